/** RunCost Lambda: a training execution ended (any final status) -> its run's cost recorded and published. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { TrainingJobUsage } from '../shared/cost/calculate';
import { RunCosts } from '../shared/cost/record';
import { ModelRegistryClient } from '../shared/registry';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { type RunCostResult, recordRunCost, runCostEventSchema } from './run-cost';
import { costSettingsSchema } from './settings';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const { region, prices, functions } = parseJsonEnv('COST_SETTINGS', costSettingsSchema);
const memoryMb = Object.fromEntries(functions.map((f) => [f.name, f.memoryMb]));

const powertools = createPowertools('run-cost');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const sfn = tracer.captureAWSv3Client(new SFNClient({}));
const sagemaker = tracer.captureAWSv3Client(new SageMakerClient({}));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'run-cost' });
const costs = new RunCosts(dynamodb, tableName);

/**
 * Every page of the execution's history (1,000 events a page, the most GetExecutionHistory returns); undefined
 * when Step Functions answers ExecutionDoesNotExist.
 */
async function history(executionArn: string): Promise<HistoryEvent[] | undefined> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const command = new GetExecutionHistoryCommand({
      executionArn,
      maxResults: 1000,
      includeExecutionData: true,
      nextToken,
    });
    const page = await sfn.send(command).catch((error: Error) => {
      if (error.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    });
    if (page === undefined) return undefined;
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function trainingJob(name: string): Promise<TrainingJobUsage | undefined> {
  try {
    const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    return {
      name,
      instanceType: job.ResourceConfig?.InstanceType ?? 'unknown',
      instanceCount: job.ResourceConfig?.InstanceCount ?? 1,
      billableSeconds: job.BillableTimeInSeconds ?? 0,
    };
  } catch (error) {
    // A job whose creation failed does not exist: nothing was billed for it.
    if (
      (error as Error).name === 'ResourceNotFound' ||
      /not found|does not exist/i.test((error as Error).message)
    )
      return undefined;
    throw error;
  }
}

export const handler = (event: unknown, context: Context): Promise<RunCostResult> =>
  instrumented(powertools, context, () =>
    recordRunCost(parseInput(runCostEventSchema, event, 'RunCost'), {
      registry,
      history,
      trainingJob,
      costs,
      prices,
      region,
      memoryMb,
      metrics: powertools.metrics,
      logger: powertools.logger,
    }),
  );
