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
import {
  runtimeEvaluationSettingsMapSchema,
  runtimeMonitoringSettingsMapSchema,
} from '../shared/model-settings-schemas';
import { ModelRegistryClient, MonitoringWindows } from '../shared/registry';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import {
  type CheckQualityConfig,
  checkQuality,
  DEFAULT_CAPTURE_LOOKBACK_SECONDS,
  type ModelQualityOutcome,
} from './check';
import { scheduleInputOf } from './input';

const lookbackText = process.env.CAPTURE_LOOKBACK_SECONDS?.trim();
const captureLookbackSeconds = lookbackText ? Number(lookbackText) : DEFAULT_CAPTURE_LOOKBACK_SECONDS;
if (!(captureLookbackSeconds > 0)) {
  throw new Error(`CAPTURE_LOOKBACK_SECONDS must be a number of seconds > 0, got ${lookbackText}`);
}
const config: CheckQualityConfig = {
  dataBucket: requireEnv('DATA_BUCKET'),
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  eventBusName: requireEnv('EVENT_BUS_NAME'),
  monitoring: parseJsonEnv('MONITORING_SETTINGS', runtimeMonitoringSettingsMapSchema),
  models: parseJsonEnv('MODEL_SETTINGS', runtimeEvaluationSettingsMapSchema),
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
