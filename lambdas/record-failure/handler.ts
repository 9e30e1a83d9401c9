/** RecordFailure Lambda: a caught pipeline error -> the run marked Failed with a clear reason. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { caughtErrorSchema, runContextSchema } from '../shared/pipeline-schemas';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type RecordFailureResult, recordFailure } from './record-failure';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('record-failure');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Records why the run failed; the state machine's Fail state then shows `error` and `reason`. */
/** `run` is absent only when StartRun itself failed; `error` is what the Catch caught. */
const inputSchema = z.object({
  run: z.exactOptional(runContextSchema),
  error: caughtErrorSchema,
  step: z.exactOptional(z.string()),
});

export const handler = (event: unknown, context: Context): Promise<RecordFailureResult> =>
  instrumented(powertools, context, () =>
    recordFailure(parseInput(inputSchema, event, 'RecordFailure'), { registry, ...powertools }),
  );
