/** ValidateDataset Lambda: the run's dataset -> report, splits, baseline and the run's plan. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { runtimeModelSettingsMapSchema } from '../shared/model-settings-schemas';
import type { RunPlan } from '../shared/pipeline';
import { runContextSchema } from '../shared/pipeline-schemas';
import { TrainedDatasets } from '../shared/registry/trained-datasets';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { validateRun } from './validate-run';

const powertools = createPowertools('validate-dataset');
const config = {
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  kmsKeyArn: requireEnv('KMS_KEY_ARN'),
  modelSettings: parseJsonEnv('MODEL_SETTINGS', runtimeModelSettingsMapSchema),
};
const s3 = powertools.tracer.captureAWSv3Client(new S3Client({}));
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
// Reads only whether the run's bytes were trained before (dynamodb:GetItem), without the registry client.
const registry = new TrainedDatasets(dynamodb, requireEnv('REGISTRY_TABLE_NAME'));

/** `{run}` as the state machine passes it. */
const inputSchema = z.object({ run: runContextSchema });

export const handler = (event: unknown, context: Context): Promise<RunPlan> =>
  instrumented(powertools, context, () => {
    const { run } = parseInput(inputSchema, event, 'ValidateDataset');
    powertools.logger.appendKeys({ runId: run.runId, model: run.model });
    powertools.logger.setCorrelationId(run.runId);
    return validateRun(run, { s3, registry, logger: powertools.logger, metrics: powertools.metrics, config });
  });
