/**
 * A run's cost, kept on its run item as the `cost` attribute (the registry's run schema ignores it, so readers
 * that do not care are unaffected). Written by the run-cost Lambda, read by `mlops runs show / list --cost`.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { runKey } from '../registry';
import type { RunCost } from './calculate';

/** The run item's attribute holding its cost. */
export const COST_ATTRIBUTE = 'cost';

/** Why a cost was not recorded. */
export type NotRecorded = 'RunNotFound' | 'OtherExecution';

/** BatchGetItem reads at most 100 keys per request. */
const BATCH = 100;

export class RunCosts {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Sets the run's cost, only if the run exists and is owned by this execution: a redelivered event writes the
   * same figures again (idempotent), an execution that lost its run to another changes nothing.
   */
  async record(runId: string, executionArn: string, cost: RunCost): Promise<'Recorded' | NotRecorded> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET #cost = :cost',
          ConditionExpression: 'attribute_exists(#runId) AND #executionArn = :executionArn',
          ExpressionAttributeNames: {
            '#cost': COST_ATTRIBUTE,
            '#runId': 'runId',
            '#executionArn': 'executionArn',
          },
          ExpressionAttributeValues: { ':cost': cost, ':executionArn': executionArn },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'Recorded';
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const item = (error as { Item?: Record<string, unknown> }).Item;
      return item === undefined ? 'RunNotFound' : 'OtherExecution';
    }
  }

  /** The costs of these runs, by run id (runs without one are left out). */
  async get(runIds: readonly string[]): Promise<Map<string, RunCost>> {
    const costs = new Map<string, RunCost>();
    const unique = [...new Set(runIds)];
    for (let i = 0; i < unique.length; i += BATCH) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH).map((id) => runKey(id));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 10; attempt += 1) {
        const answer: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ProjectionExpression: '#runId, #cost',
                ExpressionAttributeNames: { '#runId': 'runId', '#cost': COST_ATTRIBUTE },
              },
            },
          }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) {
          if (typeof item.runId === 'string' && item[COST_ATTRIBUTE] !== undefined)
            costs.set(item.runId, inOrder(item[COST_ATTRIBUTE] as RunCost));
        }
        keys = answer.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return costs;
  }
}

/** The cost with its fields in RunCost's order: DynamoDB keeps no order in a map, printed JSON should. */
function inOrder(cost: RunCost): RunCost {
  const { training, stepFunctions, lambda } = cost;
  return {
    totalUsd: cost.totalUsd,
    training: {
      usd: training.usd,
      billableSeconds: training.billableSeconds,
      jobs: training.jobs.map((job) => ({
        name: job.name,
        instanceType: job.instanceType,
        instanceCount: job.instanceCount,
        billableSeconds: job.billableSeconds,
        usd: job.usd,
      })),
    },
    stepFunctions: { usd: stepFunctions.usd, stateTransitions: stepFunctions.stateTransitions },
    lambda: { usd: lambda.usd, gbSeconds: lambda.gbSeconds, invocations: lambda.invocations },
    unpriced: cost.unpriced,
    region: cost.region,
    pricesAsOf: cost.pricesAsOf,
    priceSources: cost.priceSources,
    computedAt: cost.computedAt,
  };
}
