/**
 * CheckQuality Lambda. Its input is either a monitoring schedule's target input `{models: [...] | "*", exclude?,
 * time}` (the window ends at `time`), or S3's EventBridge `Object Created` event for an upload under
 * `ground-truth/<model>/` in the data bucket (that model's window ends at the event's time).
 *
 * Environment (read once, at init): REGISTRY_TABLE_NAME, DATA_BUCKET, ARTIFACTS_BUCKET, EVENT_BUS_NAME,
 * MONITORING_SETTINGS (per model + `defaults`), MODEL_SETTINGS (per model + `defaults`: the evaluation metric and
 * its direction), CAPTURE_LOOKBACK_SECONDS (optional, default 14 days).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RuntimeModelSettingsMap, RuntimeMonitoringSettingsMap } from '../shared/model-settings';
import { ModelRegistryClient, MonitoringWindows } from '../shared/registry';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import {
  type CheckQualityConfig,
  checkQuality,
  DEFAULT_CAPTURE_LOOKBACK_SECONDS,
  type ModelQualityOutcome,
} from './check';
import { scheduleInputOf } from './input';

/** The quality check's fields of MONITORING_SETTINGS' entries (the others are the other checks'). */
const monitoringSettingsSchema = z.record(
  z.string(),
  z.looseObject({
    minSamples: z.int().check(z.gte(1)),
    alpha: z.number().check(z.gt(0), z.lt(1)),
    consecutiveWindows: z.int().check(z.gte(1)),
    cooldownSeconds: z.number().check(z.gte(0)),
    qualityTolerance: z.number().check(z.gte(0)),
  }),
);

/** The evaluation part of MODEL_SETTINGS' entries. */
const modelSettingsSchema = z.record(
  z.string(),
  z.looseObject({
    evaluation: z.looseObject({
      metric: z.exactOptional(z.string()),
      higherIsBetter: z.exactOptional(z.boolean()),
    }),
  }),
);

const lookbackText = process.env.CAPTURE_LOOKBACK_SECONDS?.trim();
const captureLookbackSeconds = lookbackText ? Number(lookbackText) : DEFAULT_CAPTURE_LOOKBACK_SECONDS;
if (!(captureLookbackSeconds > 0)) {
  throw new Error(`CAPTURE_LOOKBACK_SECONDS must be a number of seconds > 0, got ${lookbackText}`);
}
const config: CheckQualityConfig = {
  dataBucket: requireEnv('DATA_BUCKET'),
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  eventBusName: requireEnv('EVENT_BUS_NAME'),
  monitoring: parseJsonEnv(
    'MONITORING_SETTINGS',
    monitoringSettingsSchema,
  ) as unknown as RuntimeMonitoringSettingsMap,
  // Checked for the fields the check reads; the rest is the training pipeline's.
  models: parseJsonEnv('MODEL_SETTINGS', modelSettingsSchema) as unknown as RuntimeModelSettingsMap,
  captureLookbackSeconds,
};

const powertools = createPowertools('check-quality');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registryOptions = {
  client: dynamodb,
  tableName: requireEnv('REGISTRY_TABLE_NAME'),
  defaultActor: 'quality-check',
};
const registry = new ModelRegistryClient(registryOptions);
const windows = new MonitoringWindows(registryOptions);
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));

export const handler = (event: unknown, context: Context): Promise<ModelQualityOutcome[]> =>
  instrumented(powertools, context, () =>
    checkQuality(scheduleInputOf(event), { s3, eventBridge, registry, windows, config, ...powertools }),
  );
