/** InvokeModel Lambda: the inference API behind the stack's function URL (invoke.ts). */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Context, LambdaFunctionURLResult } from 'aws-lambda';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { CaptureBuffer } from './capture';
import { invokeModel } from './invoke';

const powertools = createPowertools('invoke-model');
const traced = <C>(client: C): C => powertools.tracer.captureAWSv3Client(client);
const namePrefix = requireEnv('NAME_PREFIX');
const capturePercent = parseJsonEnv(
  'API_CAPTURE_PERCENT',
  z.record(z.string(), z.number().check(z.gte(0), z.lte(100))),
);
const positive = (name: string) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`Environment variable ${name} is not a positive number`);
  return value;
};
const maxRecords = positive('CAPTURE_MAX_RECORDS');
const maxAgeSeconds = positive('CAPTURE_MAX_AGE_SECONDS');
const capture = new CaptureBuffer(traced(new S3Client({})), {
  bucket: requireEnv('ARTIFACTS_BUCKET'),
  kmsKeyArn: requireEnv('KMS_KEY_ARN'),
  ...(maxRecords === undefined ? {} : { maxRecords }),
  ...(maxAgeSeconds === undefined ? {} : { maxAgeMs: maxAgeSeconds * 1000 }),
});
const runtime = traced(new SageMakerRuntimeClient({}));

// No SIGTERM handler: Lambda sends SIGTERM only when an extension is registered (the stack registers none), and
// the local runtime runs handlers in its own process, whose signals are its own. What an environment holds when
// it is shut down is lost: fewer than CAPTURE_MAX_RECORDS, from its last CAPTURE_MAX_AGE_SECONDS of traffic.
export const handler = (event: unknown, context: Context): Promise<LambdaFunctionURLResult> =>
  instrumented(powertools, context, () =>
    invokeModel(event, { runtime, capture, namePrefix, capturePercent, logger: powertools.logger }),
  );
