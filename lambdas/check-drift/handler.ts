/**
 * CheckDrift Lambda, the target of the monitoring schedules' rules: `{models: [...] | "*", exclude?, time}`.
 * Environment (read once, at init): REGISTRY_TABLE_NAME, ARTIFACTS_BUCKET, EVENT_BUS_NAME,
 * MONITORING_SETTINGS (per model + `defaults`), CAPTURE_SETTLE_SECONDS (optional, default 60).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RuntimeMonitoringSettingsMap } from '../shared/model-settings';
import { runtimeMonitoringSettingsMapSchema } from '../shared/model-settings-schemas';
import { ModelRegistryClient, MonitoringWindows } from '../shared/registry';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type CheckDriftResult, checkDrift, DEFAULT_SETTLE_SECONDS } from './check';

/** The rule's target input. */
export const checkDriftInputSchema = z.object({
  models: z.union([z.literal('*'), z.array(z.string())]),
  exclude: z.exactOptional(z.array(z.string())),
  time: z.iso.datetime({ offset: true }),
});

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const artifactsBucket = requireEnv('ARTIFACTS_BUCKET');
const eventBusName = requireEnv('EVENT_BUS_NAME');
const settings: RuntimeMonitoringSettingsMap = parseJsonEnv(
  'MONITORING_SETTINGS',
  runtimeMonitoringSettingsMapSchema,
);
const settleText = process.env.CAPTURE_SETTLE_SECONDS?.trim();
const settleSeconds = settleText ? Number(settleText) : DEFAULT_SETTLE_SECONDS;
if (!(settleSeconds >= 0))
  throw new Error(`CAPTURE_SETTLE_SECONDS must be a number of seconds ≥ 0, got ${settleText}`);

const powertools = createPowertools('check-drift');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registryOptions = { client: dynamodb, tableName, defaultActor: 'drift-check' };
const registry = new ModelRegistryClient(registryOptions);
const windows = new MonitoringWindows(registryOptions);
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const events = tracer.captureAWSv3Client(new EventBridgeClient({}));

export const handler = (event: unknown, context: Context): Promise<CheckDriftResult> =>
  instrumented(powertools, context, () =>
    checkDrift(parseInput(checkDriftInputSchema, event, 'CheckDrift'), {
      registry,
      windows,
      s3,
      events,
      artifactsBucket,
      eventBusName,
      settings,
      settleSeconds,
      ...powertools,
    }),
  );
