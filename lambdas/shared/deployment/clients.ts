/**
 * The set-up the deployment workflow's Lambdas share, made once per module at init as Powertools recommends:
 * the function's Logger, Metrics and Tracer, and its SDK clients at module scope, reused across
 * invocations; the registry table's name read from the environment once, so a function deployed without it
 * fails at init naming the variable.
 *
 * Only the registry's DynamoDB client is made here. A function makes the other SDK clients it uses itself,
 * with `traced` (e.g. `traced(new SageMakerClient({}))`), so its bundle holds those clients and no others.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ModelRegistryClient } from '../registry';
import { requireEnv } from '../runtime/env';
import { createPowertools, instrumented, type Powertools } from '../runtime/powertools';

/** Recorded as the actor of the registry writes the deployment workflow makes. */
export const DEPLOYMENT_ACTOR = 'deployment-workflow';

export interface DeploymentFunction {
  readonly powertools: Powertools;
  /**
   * What every deployment step is given: the registry on `REGISTRY_TABLE_NAME`, writing as
   * {@link DEPLOYMENT_ACTOR}, and the function's logger and metrics.
   */
  readonly deps: {
    readonly registry: ModelRegistryClient;
    readonly logger: Logger;
    readonly metrics: Metrics;
  };
  /** The SDK client, its calls traced as subsegments of the invocation's. */
  readonly traced: <C>(client: C) => C;
  /** The Lambda handler running `invoke` with Powertools' per-invocation chores ({@link instrumented}). */
  readonly handler: <T>(
    invoke: (event: unknown) => Promise<T>,
  ) => (event: unknown, context: Context) => Promise<T>;
}

/**
 * Sets up one deployment function; call it once, at module scope.
 *
 * @param functionName - the service name, e.g. `smoke-test`
 * @throws Error naming `REGISTRY_TABLE_NAME` when it is not set
 */
export function deploymentFunction(functionName: string): DeploymentFunction {
  const tableName = requireEnv('REGISTRY_TABLE_NAME');
  const powertools = createPowertools(functionName);
  const traced = <C>(client: C): C => powertools.tracer.captureAWSv3Client(client);
  const registry = new ModelRegistryClient({
    client: DynamoDBDocumentClient.from(traced(new DynamoDBClient({}))),
    tableName,
    defaultActor: DEPLOYMENT_ACTOR,
  });
  return {
    powertools,
    deps: { registry, logger: powertools.logger, metrics: powertools.metrics },
    traced,
    handler: (invoke) => (event, context) => instrumented(powertools, context, () => invoke(event)),
  };
}
