/** RecordDuplicate Lambda: a run whose bytes were already trained -> closed Succeeded as a duplicate. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RecordDuplicateResult } from '../shared/pipeline';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { recordDuplicate } from './record-duplicate';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('record-duplicate');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Closes the run as a duplicate of the run that trained the same bytes (input parsed by its schema). */
export const handler = (event: unknown, context: Context): Promise<RecordDuplicateResult> =>
  instrumented(powertools, context, () => recordDuplicate(event, { registry, ...powertools }));
