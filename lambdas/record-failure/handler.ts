/** RecordFailure Lambda: a caught pipeline error -> the run marked Failed with a clear reason. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { type RecordFailureInput, type RecordFailureResult, recordFailure } from './record-failure';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('record-failure');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Records why the run failed; the state machine's Fail state then shows `error` and `reason`. */
export const handler = (event: RecordFailureInput, context: Context): Promise<RecordFailureResult> =>
  instrumented(powertools, context, () => recordFailure(event, { registry, ...powertools }));
