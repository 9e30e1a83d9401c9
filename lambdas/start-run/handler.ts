/** StartRun Lambda: an upload (S3 Object Created) or a retry request -> a run record -> RunContext. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RunContext } from '../shared/pipeline';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { startRun } from './start-run';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('start-run');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Records the run (the input is parsed by startRun's schema); `duplicate: true` for a redelivered event. */
export const handler = (event: unknown, context: Context): Promise<RunContext> =>
  instrumented(powertools, context, () => startRun(event, { registry, ...powertools }));
