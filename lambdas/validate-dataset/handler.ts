import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { RuntimeModelSettingsMap } from '../shared/model-settings';
import type { RunContext, RunPlan } from '../shared/pipeline';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { validateRun } from './validate-run';

const powertools = createPowertools('validate-dataset');
const config = {
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  kmsKeyArn: requireEnv('KMS_KEY_ARN'),
  // Produced by the stack from the validated configuration; checked here only for its shape.
  modelSettings: parseJsonEnv(
    'MODEL_SETTINGS',
    z.record(z.string(), z.looseObject({ training: z.looseObject({ image: z.string() }) })),
  ) as unknown as RuntimeModelSettingsMap,
};
const s3 = powertools.tracer.captureAWSv3Client(new S3Client({}));

export const handler = (event: { run: RunContext }, context: Context): Promise<RunPlan> =>
  instrumented(powertools, context, () => {
    powertools.logger.appendKeys({ runId: event.run.runId, model: event.run.model });
    powertools.logger.setCorrelationId(event.run.runId);
    return validateRun(event.run, { s3, logger: powertools.logger, config });
  });
