/** ReconcileExecution Lambda: a training execution that ended FAILED/TIMED_OUT/ABORTED -> its run closed. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { executionStatusChangeSchema, type ReconcileResult, reconcileExecution } from './reconcile';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('reconcile-execution');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Marks the run Failed when its execution ended without closing it; otherwise logs why not. */
export const handler = (event: unknown, context: Context): Promise<ReconcileResult> =>
  instrumented(powertools, context, () =>
    reconcileExecution(parseInput(executionStatusChangeSchema, event, 'ReconcileExecution'), {
      registry,
      logger: powertools.logger,
      metrics: powertools.metrics,
    }),
  );
