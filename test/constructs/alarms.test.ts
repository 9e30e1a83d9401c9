import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFIED_EVENT_TYPES } from '../../lambdas/notify/messages';
import { MetricNames } from '../../lambdas/shared/metric-names';
import type { RuntimeMonitoringSettings } from '../../lambdas/shared/model-settings';
import { Alarms, RUNBOOK_ANCHORS, RUNBOOK_FILE } from '../../lib/constructs/alarms';
import { synthStack, TEST_ENV, testApp } from '../support/cdk';

const CONFIG = {
  alarmEmails: ['ops@example.com', 'ml@example.com'],
  models: {
    defaults: { monitoring: { driftShare: 0.5 } },
    churn: { problemType: 'binary', targetColumn: 'churned', monitoring: { driftShare: 0.3 } },
  },
};

type Resource = { Type: string; Properties: Record<string, unknown> };

/** GitHub's heading anchors: lowercase, punctuation but `-` and `_` dropped, spaces to `-`. */
function anchorsOf(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) =>
        line
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      ),
  );
}

describe('Notifications and Alarms constructs (issue 11 §3)', () => {
  let template: Template;
  let alarms: Record<string, Resource>;
  let topicId: string;

  beforeAll(() => {
    // nag: synth throws on any unacknowledged AwsSolutions finding.
    ({ template } = synthStack({ config: CONFIG, nag: true }));
    alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    topicId = topics[0] ?? '';
  });

  const byName = (suffix: string): Resource => {
    const found = Object.values(alarms).find((a) => String(a.Properties.AlarmName).endsWith(suffix));
    if (!found) throw new Error(`no alarm named …${suffix}`);
    return found;
  };

  it('one topic, encrypted with the stack key, with an email subscription per alarmEmails entry', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EncryptionKey'), 'Arn'] },
    });
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint]).sort()).toEqual([
      ['email', 'ml@example.com'],
      ['email', 'ops@example.com'],
    ]);
    for (const s of subscriptions) expect(s.Properties.TopicArn).toEqual({ Ref: topicId });
  });

  it('the topic policy denies publishing without TLS and lets only this account’s alarms publish as CloudWatch', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const document = policies[0]?.Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    const statements = document.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      }),
    );
  });

  it("the key policy lets CloudWatch use the key, as alarm actions to an SSE-KMS topic need, for this account's alarms only", () => {
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0];
    const policy = key?.Properties.KeyPolicy as { Statement: { Principal?: unknown }[] };
    const cloudWatch = policy.Statement.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(cloudWatch).toEqual([
      {
        Sid: 'CloudWatchAlarmsToEncryptedTopic',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      },
    ]);
  });

  it('lifecycle events reach the notify function, which may publish to the topic and use the key', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['serverless-mlops'], 'detail-type': [...NOTIFIED_EVENT_TYPES] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsNotifyFunction'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('NotificationsNotifyRole')),
      )
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } }),
    );
    const kms = statements.find((st) => JSON.stringify(st.Action).includes('kms:'));
    expect(kms?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(kms?.Resource)).toMatch(/^\{"Fn::GetAtt":\["EncryptionKey[0-9A-F]+","Arn"\]\}$/);
  });

  it('the deployment workflow puts each endpoint alarm with the topic as its ALARM and OK action', () => {
    const machine = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) =>
      id.startsWith('DeploymentStateMachine'),
    )?.[1];
    const definitionString = machine?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    const [, parts] = definitionString['Fn::Join'];
    const text = parts
      .map((part) =>
        typeof part === 'string' ? part : JSON.stringify(part) === `{"Ref":"${topicId}"}` ? 'TOPIC' : 'X',
      )
      .join('');
    const definition = JSON.parse(text) as {
      States: Record<string, { Resource?: string; Parameters?: object }>;
    };
    const puts = Object.values(definition.States).filter((state) =>
      state.Resource?.endsWith(':aws-sdk:cloudwatch:putMetricAlarm'),
    );
    expect(puts).toHaveLength(3);
    for (const put of puts) {
      expect(put.Parameters).toMatchObject({ AlarmActions: ['TOPIC'], OKActions: ['TOPIC'] });
    }
  });

  it('every alarm, composite too, notifies the topic on ALARM and on OK', () => {
    const all = [
      ...Object.values(alarms),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ];
    expect(all.length).toBeGreaterThan(10);
    for (const alarm of all) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('each description says what to do and links a runbook section that exists', () => {
    const anchors = anchorsOf(readFileSync(join(__dirname, '..', '..', RUNBOOK_FILE), 'utf8'));
    for (const anchor of Object.values(RUNBOOK_ANCHORS)) expect(anchors).toContain(anchor);
    const all = [
      ...Object.values(alarms),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ];
    for (const alarm of all) {
      const description = String(alarm.Properties.AlarmDescription);
      expect(description).toContain('What to do: ');
      const link = /Runbook: docs\/operations\.md#([a-z0-9-]+)$/.exec(description);
      expect(link, description).not.toBeNull();
      expect(anchors).toContain(link?.[1]);
    }
  });

  it('training and deployment executions failed or timed out: any in 5 minutes', () => {
    for (const [suffix, machine] of [
      ['-training-executions-failed', '^TrainingStateMachine'],
      ['-deployment-executions-failed', '^DeploymentStateMachine'],
    ] as const) {
      const alarm = byName(suffix);
      expect(alarm.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      // biome-ignore lint/suspicious/noExplicitAny: the template's JSON, read field by field below.
      const metrics = alarm.Properties.Metrics as Record<string, any>[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
      const names = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric.MetricName);
      expect(names.sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const m of metrics.filter((q) => q.MetricStat)) {
        expect(m.MetricStat).toMatchObject({ Period: 300, Stat: 'Sum' });
        expect(m.MetricStat.Metric.Namespace).toBe('AWS/States');
        expect(m.MetricStat.Metric.Dimensions[0].Value.Ref).toMatch(new RegExp(machine));
      }
    }
  });

  it('every dead-letter queue has an alarm on its visible messages', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
      /DeadLetter/.test(id),
    );
    expect(queues.length).toBeGreaterThanOrEqual(5);
    const watched = Object.values(alarms)
      .filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((a) => {
        expect(a.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        return ((a.Properties.Dimensions as { Value: { 'Fn::GetAtt': string[] } }[])[0]?.Value[
          'Fn::GetAtt'
        ] ?? [])[0];
      });
    expect(watched.sort()).toEqual(queues.sort());
  });

  it('every pipeline function has an errors alarm (3 five-minute periods in a row)', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn.Metadata?.['ServerlessMlops::Entry'] !== undefined)
      .map(([id]) => id);
    const watched = Object.values(alarms)
      .filter(
        (a) =>
          a.Properties.MetricName === 'Errors' && String(a.Properties.AlarmName).includes('lambda-errors'),
      )
      .map((a) => {
        expect(a.Properties).toMatchObject({
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Period: 300,
          Threshold: 0,
        });
        return (a.Properties.Dimensions as { Value: { Ref: string } }[])[0]?.Value.Ref;
      });
    expect(watched.sort()).toEqual(functions.sort());
  });

  it('drift and quality per listed model, at the model’s own drift share; retraining failures', () => {
    expect(byName('-drift-churn').Properties).toMatchObject({
      Namespace: 'ServerlessMlops',
      MetricName: MetricNames.driftShare,
      Dimensions: [{ Name: 'model', Value: 'churn' }],
      Threshold: 0.3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(byName('-quality-churn').Properties).toMatchObject({
      MetricName: MetricNames.qualityDegraded,
      Threshold: 1,
      Period: 3600,
    });
    expect(
      Object.values(alarms).some((a) => String(a.Properties.AlarmName).endsWith('-drift-defaults')),
    ).toBe(false);
    const retrain = byName('-retraining-failed').Properties;
    expect(retrain).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 0 });
    const [dimension] = retrain.Dimensions as { Name: string; Value: { Ref: string } }[];
    expect(dimension?.Name).toBe('FunctionName');
    expect(dimension?.Value.Ref).toMatch(/^MonitoringRetrain/);
  });

  it('models without settings of their own, also those uploaded after the deploy: Metrics Insights alarms', () => {
    const drift = byName('-drift-other-models').Properties;
    expect(drift).toMatchObject({ Threshold: 0.5, TreatMissingData: 'ignore', EvaluationPeriods: 1 });
    expect(drift.Metrics).toEqual([
      {
        Id: 'expr_1',
        Expression: `SELECT MAX(DriftShare) FROM SCHEMA("ServerlessMlops", model) WHERE model NOT IN ('churn')`,
        Label: 'DriftShare of the models without settings of their own',
        Period: 3600,
        ReturnData: true,
      },
    ]);
    const quality = byName('-quality-other-models').Properties;
    expect(JSON.stringify(quality.Metrics)).toContain(
      `SELECT MAX(QualityDegraded) FROM SCHEMA(\\"ServerlessMlops\\", model) WHERE model NOT IN ('churn')`,
    );
  });

  it('one composite alarm, "a model is unhealthy", over training, deployment, drift, quality and retraining', () => {
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composites).toHaveLength(1);
    const rule = JSON.stringify(composites[0]?.Properties.AlarmRule);
    // The rule names each child by ARN (Fn::GetAtt of its logical id).
    const idOf = (suffix: string) =>
      Object.entries(alarms).find(([, a]) => String(a.Properties.AlarmName).endsWith(suffix))?.[0];
    const children = [
      '-training-executions-failed',
      '-deployment-executions-failed',
      '-drift-churn',
      '-quality-churn',
      '-retraining-failed',
      '-drift-other-models',
      '-quality-other-models',
    ].map(idOf);
    for (const id of children) expect(rule).toContain(`"${id}","Arn"`);
    expect(rule.match(/ALARM\(/g)).toHaveLength(children.length);
    expect(rule).toContain(' OR ');
    expect(composites[0]?.Properties.AlarmName).toBe('ServerlessMlops-a-model-is-unhealthy');
  });

  it('refuses more listed models than the composite alarm can watch (100 alarms), saying what to do', () => {
    const stack = new Stack(testApp(), 'Bare', { env: TEST_ENV });
    const settings = { driftShare: 0.5, qualityTolerance: 0.05 } as RuntimeMonitoringSettings;
    const props = (count: number) => ({
      topic: new sns.Topic(stack, `Topic${count}`),
      trainingStateMachine: sfn.StateMachine.fromStateMachineName(stack, `T${count}`, 'training'),
      deploymentStateMachine: sfn.StateMachine.fromStateMachineName(stack, `D${count}`, 'deployment'),
      deadLetterQueues: {},
      functions: {},
      retrainFunction: lambda.Function.fromFunctionName(stack, `R${count}`, 'retrain'),
      monitoringSettings: Object.fromEntries([
        ['defaults', settings],
        ...Array.from({ length: count }, (_, i) => [`m${i}`, settings]),
      ]),
    });
    expect(() => new Alarms(stack, 'Fits', props(47))).not.toThrow();
    expect(() => new Alarms(stack, 'TooMany', props(48))).toThrow(
      /would watch 101 alarms; a composite alarm's rule can include as many as 100/,
    );
  });
});
