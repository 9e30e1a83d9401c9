/**
 * Retrain Lambda, the target of the rules for DriftDetected and ModelQualityDegraded (decide and maybe retrain)
 * and ModelRegistered (release the retrain slot of the run that registered), all from the stack's bus, and of
 * the training state machine's "Step Functions Execution Status Change" (SUCCEEDED, FAILED, TIMED_OUT, ABORTED;
 * default bus): a retrain's run that ended without registering releases the slot too.
 *
 * Environment (read once, at init): REGISTRY_TABLE_NAME, DATA_BUCKET, ARTIFACTS_BUCKET, EVENT_BUS_NAME,
 * MONITORING_SETTINGS (per model + `defaults`), KMS_KEY_ARN (optional: SSE-KMS for the dataset written),
 * RETRAIN_ABANDON_AFTER_SECONDS (optional, default 6 h), CAPTURE_LOOKBACK_SECONDS (optional, default 14 days).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { DEFAULT_CAPTURE_LOOKBACK_SECONDS } from '../shared/ground-truth';
import { runtimeMonitoringSettingsMapSchema } from '../shared/model-settings-schemas';
import { ModelRegistryClient, MonitoringWindows, RetrainSlots } from '../shared/registry';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { retrainActionOf } from './input';
import {
  considerRetrain,
  DEFAULT_ABANDON_AFTER_SECONDS,
  type RetrainConfig,
  type RetrainDecision,
  releaseOnExecutionEnded,
  releaseOnRegistered,
} from './retrain';

const abandonText = process.env.RETRAIN_ABANDON_AFTER_SECONDS?.trim();
const abandonAfterSeconds = abandonText ? Number(abandonText) : DEFAULT_ABANDON_AFTER_SECONDS;
if (!(abandonAfterSeconds > 0)) {
  throw new Error(`RETRAIN_ABANDON_AFTER_SECONDS must be a number of seconds > 0, got ${abandonText}`);
}
const lookbackText = process.env.CAPTURE_LOOKBACK_SECONDS?.trim();
const captureLookbackSeconds = lookbackText ? Number(lookbackText) : DEFAULT_CAPTURE_LOOKBACK_SECONDS;
if (!(captureLookbackSeconds > 0)) {
  throw new Error(`CAPTURE_LOOKBACK_SECONDS must be a number of seconds > 0, got ${lookbackText}`);
}
const kmsKeyArn = process.env.KMS_KEY_ARN?.trim();
const config: RetrainConfig = {
  dataBucket: requireEnv('DATA_BUCKET'),
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  eventBusName: requireEnv('EVENT_BUS_NAME'),
  monitoring: parseJsonEnv('MONITORING_SETTINGS', runtimeMonitoringSettingsMapSchema),
  ...(kmsKeyArn ? { kmsKeyArn } : {}),
  abandonAfterSeconds,
  captureLookbackSeconds,
};

const powertools = createPowertools('retrain');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registryOptions = {
  client: dynamodb,
  tableName: requireEnv('REGISTRY_TABLE_NAME'),
  defaultActor: 'retrainer',
};
const deps = {
  s3: tracer.captureAWSv3Client(new S3Client({})),
  eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  registry: new ModelRegistryClient(registryOptions),
  windows: new MonitoringWindows(registryOptions),
  slots: new RetrainSlots(registryOptions),
  config,
  ...powertools,
};

export const handler = (
  event: unknown,
  context: Context,
): Promise<RetrainDecision | { readonly released: boolean }> =>
  instrumented(powertools, context, async () => {
    const action = retrainActionOf(event);
    if (action.kind === 'registered') return { released: await releaseOnRegistered(action.detail, deps) };
    if (action.kind === 'executionEnded')
      return { released: await releaseOnExecutionEnded(action.detail, deps) };
    return considerRetrain(action.request, deps);
  });
