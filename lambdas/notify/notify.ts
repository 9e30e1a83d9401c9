/**
 * Notify: a lifecycle event of the stack (EventBridge, source serverless-mlops) becomes one readable message
 * on the stack's SNS topic. Email subscribers read the subject and the text; nothing else is sent.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  DEPLOYMENT_FAILED,
  DRIFT_DETECTED,
  driftDetectedDetailSchema,
  EVENT_SOURCE,
  MODEL_DEPLOYED,
  MODEL_QUALITY_DEGRADED,
  MODEL_REGISTERED,
  modelQualityDegradedDetailSchema,
  RETRAIN_NEEDS_LABELS,
  RETRAIN_STARTED,
  retrainDetailSchema,
} from '../shared/events';
import { parseInput } from '../shared/runtime/errors';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import {
  formatNotification,
  NOTIFIED_EVENT_TYPES,
  type Notification,
  type NotifiedEventType,
} from './messages';

/** The EventBridge envelope fields Notify reads. */
export const lifecycleEventSchema = z.object({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.enum(NOTIFIED_EVENT_TYPES),
  detail: z.looseObject({ model: z.string().check(z.minLength(1)) }),
});
export type LifecycleEvent = z.output<typeof lifecycleEventSchema>;

const reasons = z.array(z.string());
const version = z.int().check(z.gte(1));
const model = z.string().check(z.minLength(1));

/**
 * What each message reads from its event's detail: the shared schemas where events.ts has one, the fields
 * the formatter reads otherwise (ModelRegistered: RegisterModel; ModelDeployed: PromoteDeployment;
 * DeploymentFailed: RecordDeploymentFailure). An event without them is refused, naming what is missing.
 */
export const DETAIL_SCHEMAS: Readonly<Record<NotifiedEventType, z.core.$ZodType>> = {
  [MODEL_REGISTERED]: z.looseObject({
    model,
    version,
    status: z.string(),
    metric: z.string(),
    value: z.number(),
    runId: z.string(),
  }),
  [MODEL_DEPLOYED]: z.looseObject({
    deploymentId: z.string(),
    model,
    version,
    kind: z.enum(['deploy', 'rollback']),
    endpointName: z.string(),
    previousVersion: z.nullable(z.int()),
    smokeTestLatencyMs: z.number(),
  }),
  [DEPLOYMENT_FAILED]: z.looseObject({
    deploymentId: z.string(),
    model,
    version,
    kind: z.enum(['deploy', 'rollback']),
    outcome: z.enum(['Failed', 'RolledBack']),
    reasons,
  }),
  [DRIFT_DETECTED]: driftDetectedDetailSchema,
  [MODEL_QUALITY_DEGRADED]: modelQualityDegradedDetailSchema,
  [RETRAIN_STARTED]: retrainDetailSchema,
  [RETRAIN_NEEDS_LABELS]: retrainDetailSchema,
};

export interface NotifyDependencies {
  readonly sns: Pick<SNSClient, 'send'>;
  readonly topicArn: string;
  readonly stackName: string;
  readonly logger: Pick<Logger, 'info'>;
  readonly metrics: Pick<Metrics, 'singleMetric'>;
}

/** Formats and publishes one event; returns what was sent, with SNS's message id. */
export async function notify(
  event: LifecycleEvent,
  deps: NotifyDependencies,
): Promise<Notification & { readonly messageId: string | undefined }> {
  const type = event['detail-type'];
  const detail = parseInput(DETAIL_SCHEMAS[type], event.detail, `Notify (${type})`);
  const notification = formatNotification(type, detail, deps.stackName);
  const output = await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: notification.subject,
      Message: notification.message,
      // Subscribers that filter (e.g. a chat integration) can pick event types and models without parsing.
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: type },
        model: { DataType: 'String', StringValue: event.detail.model },
      },
    }),
  );
  deps.logger.info('Notification published', { eventType: type, messageId: output.MessageId });
  count(deps.metrics, event.detail.model, 'NotificationsPublished');
  return { ...notification, messageId: output.MessageId };
}

function count(metrics: NotifyDependencies['metrics'], model: string, name: string): void {
  // A single-metric instance publishes on addMetric, with its dimension set before.
  const single = metrics.singleMetric();
  single.addDimension(MODEL_DIMENSION, model);
  single.addMetric(name, MetricUnit.Count, 1);
}
