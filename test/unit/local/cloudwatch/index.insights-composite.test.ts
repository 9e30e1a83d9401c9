import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../../../local/cloudwatch';
import { evaluateAlarmRule, parseAlarmRule, ruleAlarms } from '../../../../local/cloudwatch/composite';
import { parseInsights } from '../../../../local/cloudwatch/insights';

describe('local CloudWatch: Metrics Insights queries and composite alarms', () => {
  let cloudwatch: LocalCloudWatch;
  let client: CloudWatchClient;

  beforeAll(async () => {
    cloudwatch = await startLocalCloudWatch({ region: 'us-east-1', account: '000000000000' });
    client = new CloudWatchClient({
      endpoint: cloudwatch.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await cloudwatch.stop();
  });

  it('SELECT over SCHEMA with WHERE … NOT IN aggregates the matching series into one', async () => {
    const now = new Date();
    const put = (model: string, value: number, extra: { Name: string; Value: string }[] = []) =>
      client.send(
        new PutMetricDataCommand({
          Namespace: 'ServerlessMlops',
          MetricData: [
            {
              MetricName: 'DriftShare',
              Dimensions: [{ Name: 'model', Value: model }, ...extra],
              Value: value,
              Timestamp: now,
            },
          ],
        }),
      );
    await put('churn', 0.9);
    await put('prices', 0.4);
    await put('houses', 0.6);
    // Another dimension set: SCHEMA(…, model) leaves it out.
    await put('houses', 1, [{ Name: 'Feature', Value: 'rooms' }]);
    const query = (expression: string) =>
      client
        .send(
          new GetMetricDataCommand({
            StartTime: new Date(now.getTime() - 120_000),
            EndTime: new Date(now.getTime() + 60_000),
            MetricDataQueries: [{ Id: 'q', Expression: expression, Period: 60 }],
          }),
        )
        .then((out) => out.MetricDataResults?.[0]?.Values ?? []);

    expect(
      await query(
        `SELECT MAX(DriftShare) FROM SCHEMA("ServerlessMlops", model) WHERE model NOT IN ('churn')`,
      ),
    ).toEqual([0.6]);
    expect(await query(`SELECT MAX(DriftShare) FROM SCHEMA("ServerlessMlops", model)`)).toEqual([0.9]);
    expect(await query(`SELECT MAX(DriftShare) FROM "ServerlessMlops"`)).toEqual([1]);
    expect(
      await query(`SELECT COUNT(DriftShare) FROM SCHEMA("ServerlessMlops", model) WHERE model != 'churn'`),
    ).toEqual([2]);
    expect(
      await query(
        `SELECT SUM(DriftShare) FROM SCHEMA("ServerlessMlops", model) WHERE model IN ('churn', 'prices')`,
      ),
    ).toEqual([1.3]);
  });

  it('refuses what it does not serve, naming the query', () => {
    expect(() => parseInsights('q', 'SELECT MAX(x) FROM "ns" GROUP BY model')).toThrow(
      /Error in expression q: GROUP/,
    );
    expect(() => parseInsights('q', 'SELECT P99(x) FROM "ns"')).toThrow(/Error in expression q/);
  });

  it('an alarm on a Metrics Insights query is accepted', async () => {
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: 'drift-any',
        Metrics: [
          {
            Id: 'q',
            Expression: `SELECT MAX(DriftShare) FROM SCHEMA("ServerlessMlops", model)`,
            Period: 3600,
            ReturnData: true,
          },
        ],
        EvaluationPeriods: 1,
        Threshold: 0.5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
      }),
    );
    expect(cloudwatch.alarmState('drift-any')).toBeDefined();
  });

  it('a composite alarm follows its children (by name or ARN) and tells listeners', async () => {
    const metricAlarm = (name: string) =>
      client.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'Test',
          MetricName: name,
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        }),
      );
    await metricAlarm('a');
    await metricAlarm('b');
    const changes: string[] = [];
    cloudwatch.onAlarmChange((name, state, previous) => changes.push(`${name}:${previous}->${state}`));
    await client.send(
      new PutCompositeAlarmCommand({
        AlarmName: 'unhealthy',
        AlarmRule: 'ALARM("a") OR ALARM("arn:aws:cloudwatch:us-east-1:000000000000:alarm:b")',
        AlarmActions: ['arn:aws:sns:us-east-1:000000000000:topic'],
      }),
    );
    expect(cloudwatch.alarmState('unhealthy')).toBe('OK');
    await client.send(new SetAlarmStateCommand({ AlarmName: 'b', StateValue: 'ALARM', StateReason: 'test' }));
    expect(cloudwatch.alarmState('unhealthy')).toBe('ALARM');
    expect(changes).toContain('unhealthy:OK->ALARM');
    expect(cloudwatch.alarmInfo('unhealthy')).toMatchObject({
      state: 'ALARM',
      actions: { ALARM: ['arn:aws:sns:us-east-1:000000000000:topic'], OK: [] },
    });
  });

  it('AlarmRule: NOT over AND over OR, parentheses, TRUE/FALSE; syntax errors refused', () => {
    const states: Record<string, 'OK' | 'ALARM'> = { a: 'ALARM', b: 'OK', c: 'ALARM' };
    const holds = (rule: string) => evaluateAlarmRule(parseAlarmRule(rule), (name) => states[name]);
    expect(holds('ALARM("a") AND NOT ALARM("b")')).toBe(true);
    expect(holds('ALARM("b") OR ALARM("a") AND OK("b")')).toBe(true);
    expect(holds('(ALARM("b") OR ALARM("a")) AND OK("c")')).toBe(false);
    expect(holds('FALSE OR INSUFFICIENT_DATA("missing")')).toBe(false);
    expect(ruleAlarms(parseAlarmRule('ALARM("a") OR (OK("b") AND TRUE)'))).toEqual(['a', 'b']);
    expect(() => parseAlarmRule('ALARM("a") OR')).toThrow(/AlarmRule is invalid/);
    expect(() => parseAlarmRule('ALARM(a)')).toThrow(/AlarmRule is invalid/);
  });
});
