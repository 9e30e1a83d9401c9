/**
 * Notify: a lifecycle event of the stack (EventBridge, source serverless-mlops) becomes one readable message
 * on the stack's SNS topic. Email subscribers read the subject and the text; nothing else is sent.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { EVENT_SOURCE } from '../shared/events';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { formatNotification, NOTIFIED_EVENT_TYPES, type Notification } from './messages';

/** The EventBridge envelope fields Notify reads. */
export const lifecycleEventSchema = z.object({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.enum(NOTIFIED_EVENT_TYPES),
  detail: z.looseObject({ model: z.string().check(z.minLength(1)) }),
});
export type LifecycleEvent = z.output<typeof lifecycleEventSchema>;

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
  const notification = formatNotification(type, event.detail, deps.stackName);
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
