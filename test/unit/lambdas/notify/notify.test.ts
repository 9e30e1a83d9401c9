import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleEventSchema, notify } from '../../../../lambdas/notify/notify';
import { EVENT_SOURCE } from '../../../../lambdas/shared/events';
import { type LocalSns, startLocalSns } from '../../../../local/aws/sns';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:Alerts';

/** A Metrics stand-in recording what single metrics were added. */
function recordingMetrics() {
  const added: { dimensions: Record<string, string>; name: string; value: number }[] = [];
  return {
    added,
    singleMetric: () => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension: (name: string, value: string) => {
          dimensions[name] = value;
        },
        addMetric: (name: string, _unit: string, value: number) => added.push({ dimensions, name, value }),
      };
    },
  };
}

describe('notify: publishes one readable message per lifecycle event (local SNS, the SDK client)', () => {
  let sns: LocalSns;
  let client: SNSClient;

  beforeAll(async () => {
    sns = await startLocalSns({
      topics: [{ arn: TOPIC, subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com' }] }],
    });
    client = new SNSClient({
      endpoint: sns.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await sns.stop();
  });

  it('sends subject and text with the event type and model as attributes', async () => {
    const event = lifecycleEventSchema.parse({
      source: EVENT_SOURCE,
      'detail-type': 'DriftDetected',
      detail: {
        model: 'churn',
        version: 2,
        windowId: 'w1',
        from: '2026-11-30T13:00:00Z',
        until: '2026-11-30T14:00:00Z',
        driftShare: 0.25,
        driftedFeatures: ['tenure'],
        predictionDrift: false,
        rows: 300,
        reasons: ['tenure drifted'],
        reportKey: 'k',
        htmlReportKey: 'h',
      },
    });
    const metrics = recordingMetrics();
    const sent = await notify(event, {
      sns: client,
      topicArn: TOPIC,
      stackName: 'ServerlessMlops',
      logger: { info: () => undefined },
      metrics: metrics as never,
    });
    const [message] = sns.messages(TOPIC);
    expect(message?.MessageId).toBe(sent.messageId);
    expect(message?.Subject).toBe('[ServerlessMlops] churn v2 drift detected (25% of features)');
    expect(message?.Message).toContain('Look closer: mlops drift show churn --window w1');
    expect(message?.MessageAttributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'DriftDetected' },
      model: { DataType: 'String', StringValue: 'churn' },
    });
    expect(message?.deliveries).toEqual(['would email ops@example.com']);
    expect(metrics.added).toEqual([
      { dimensions: { model: 'churn' }, name: 'NotificationsPublished', value: 1 },
    ]);
  });

  it('refuses an event the rule does not send (another source or type)', () => {
    expect(() =>
      lifecycleEventSchema.parse({
        source: 'aws.s3',
        'detail-type': 'DriftDetected',
        detail: { model: 'm' },
      }),
    ).toThrow();
    expect(() =>
      lifecycleEventSchema.parse({
        source: EVENT_SOURCE,
        'detail-type': 'Run Retry Requested',
        detail: { model: 'm' },
      }),
    ).toThrow();
  });

  it('an event without the fields its message reads is refused, naming them, before anything is sent', async () => {
    const before = sns.messages(TOPIC).length;
    await expect(
      notify(
        lifecycleEventSchema.parse({
          source: EVENT_SOURCE,
          'detail-type': 'DriftDetected',
          detail: { model: 'churn' },
        }),
        {
          sns: client,
          topicArn: TOPIC,
          stackName: 'S',
          logger: { info: () => undefined },
          metrics: recordingMetrics() as never,
        },
      ),
    ).rejects.toThrow(/Notify \(DriftDetected\) was invoked with an unexpected input: version: .*driftShare/);
    expect(sns.messages(TOPIC)).toHaveLength(before);
  });

  it('a topic that does not exist is NotFound, as SNS answers', async () => {
    await expect(
      notify(
        lifecycleEventSchema.parse({
          source: EVENT_SOURCE,
          'detail-type': 'RetrainNeedsLabels',
          detail: { model: 'churn', trigger: 'drift', windowId: 'w', message: 'm', reasons: [] },
        }),
        {
          sns: client,
          topicArn: `${TOPIC}-missing`,
          stackName: 'S',
          logger: { info: () => undefined },
          metrics: recordingMetrics() as never,
        },
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
