import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  type AlarmStateValue,
  alarmQueries,
  evaluateAlarm,
  javaDouble,
  type StoredAlarm,
} from '../../../../local/cloudwatch/alarms';
import { MetricStore } from '../../../../local/cloudwatch/store';

const PERIOD_MS = 60_000;
// A fixed clock: 10 s into a minute, so the last complete period ends at NOW - 10 s.
const NOW = Date.UTC(2026, 10, 30, 12, 0, 10);
const END = NOW - 10_000;

/**
 * A datapoint pattern as the CloudWatch docs write them, oldest first over the evaluation range:
 * `0` below the threshold, `X` breaching, `-` missing.
 */
function evaluate(
  pattern: string,
  config: Partial<PutMetricAlarmInput>,
  current: AlarmStateValue = 'OK',
): AlarmStateValue {
  const store = new MetricStore();
  const cells = pattern.split(' ');
  cells.forEach((cell, i) => {
    if (cell === '-') return;
    const t = END - (cells.length - i) * PERIOD_MS + 1000;
    store.put('Local/Test', [{ MetricName: 'M', Value: cell === 'X' ? 2 : 0, Timestamp: new Date(t) }], NOW);
  });
  const alarm = storedAlarm({
    AlarmName: 'a',
    Namespace: 'Local/Test',
    MetricName: 'M',
    Statistic: 'Maximum',
    Period: 60,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 3,
    ...config,
  });
  alarm.state = { value: current, reason: 'before', timestamp: NOW - PERIOD_MS };
  return evaluateAlarm(store, alarm, alarmQueries(alarm.config), NOW, 1)?.value ?? current;
}

function storedAlarm(config: PutMetricAlarmInput): StoredAlarm {
  return {
    config: { ...config, AlarmName: config.AlarmName ?? 'a' },
    arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:a',
    metricId: 'm',
    configUpdated: NOW,
    state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', timestamp: NOW },
    stateTransitioned: NOW,
  };
}

const TREATMENTS = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data
// Columns: MISSING, IGNORE, BREACHING, NOT BREACHING. "retain" = the current state (tested from two states).
const THREE_OF_THREE: [string, string[]][] = [
  ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
  ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
  ['- - - - -', ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
  ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['- - X - -', ['ALARM', 'retain', 'ALARM', 'OK']],
];
const TWO_OF_THREE: [string, string[]][] = [
  ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - X -', ['ALARM', 'retain', 'ALARM', 'OK']],
];

describe('alarm evaluation reproduces the CloudWatch docs tables', () => {
  for (const [table, m] of [
    [THREE_OF_THREE, 3],
    [TWO_OF_THREE, 2],
  ] as const) {
    for (const [pattern, expected] of table) {
      TREATMENTS.forEach((treatment, column) => {
        it(`${m} of 3, ${pattern}, ${treatment} → ${expected[column]}`, () => {
          const config = { DatapointsToAlarm: m, TreatMissingData: treatment };
          if (expected[column] === 'retain') {
            expect(evaluate(pattern, config, 'OK')).toBe('OK');
            expect(evaluate(pattern, config, 'ALARM')).toBe('ALARM');
          } else {
            expect(evaluate(pattern, config, 'OK')).toBe(expected[column]);
            expect(evaluate(pattern, config, 'ALARM')).toBe(expected[column]);
          }
        });
      });
    }
  }

  it('does not alarm prematurely on one fresh breaching datapoint', () => {
    expect(evaluate('- - - - X', { DatapointsToAlarm: 3 }, 'OK')).toBe('OK');
  });
});

describe('alarm reasons', () => {
  it('word a threshold crossing as CloudWatch does', () => {
    const store = new MetricStore();
    const t = END - PERIOD_MS + 1000;
    store.put('Local/Test', [{ MetricName: 'M', Value: 99.5, Timestamp: new Date(t) }], NOW);
    const alarm = storedAlarm({
      AlarmName: 'a',
      Namespace: 'Local/Test',
      MetricName: 'M',
      Statistic: 'Average',
      Period: 60,
      Threshold: 50,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    const verdict = evaluateAlarm(store, alarm, alarmQueries(alarm.config), NOW, 1);
    expect(verdict?.value).toBe('ALARM');
    expect(verdict?.reason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoints [99.5 (30/11/26 11:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
    );
    expect(JSON.parse(verdict?.reasonData ?? '{}')).toMatchObject({
      version: '1.0',
      queryDate: '2026-11-30T12:00:10.000+0000',
      startDate: '2026-11-30T11:59:00.000+0000',
      statistic: 'Average',
      period: 60,
      recentDatapoints: [99.5],
      threshold: 50,
    });
  });

  it('say how missing data was treated when none arrived', () => {
    const alarm = storedAlarm({
      AlarmName: 'a',
      Namespace: 'Local/Test',
      MetricName: 'M',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const verdict = evaluateAlarm(new MetricStore(), alarm, alarmQueries(alarm.config), NOW, 1);
    expect(verdict).toMatchObject({
      value: 'OK',
      reason:
        'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    });
  });

  it('print numbers as Java doubles', () => {
    expect(javaDouble(50)).toBe('50.0');
    expect(javaDouble(0.0666851903306472)).toBe('0.0666851903306472');
    expect(javaDouble(2e7)).toBe('2.0E7');
  });
});

describe('alarm periods at a time scale', () => {
  it('evaluates periods of Period / timeScale real seconds', () => {
    const store = new MetricStore();
    // timeScale 60: a 60 s period lasts 1 s. Errors in the last complete (scaled) period.
    const now = Date.UTC(2026, 10, 30, 12, 0, 0, 500);
    store.put('Local/Test', [{ MetricName: 'E', Value: 1, Timestamp: new Date(now - 1000) }], now);
    const alarm = storedAlarm({
      AlarmName: 'a',
      Namespace: 'Local/Test',
      MetricName: 'E',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(evaluateAlarm(store, alarm, alarmQueries(alarm.config), now, 60)?.value).toBe('ALARM');
    // While the datapoint is in the evaluation range (N + 2 periods) it is the newest real one and still
    // decides ("alarms might repeatedly re-evaluate the last set of data points ... after the metric has
    // stopped flowing"); once out of it, missing data is notBreaching: OK.
    expect(evaluateAlarm(store, alarm, alarmQueries(alarm.config), now + 2000, 60)?.value).toBe('ALARM');
    expect(evaluateAlarm(store, alarm, alarmQueries(alarm.config), now + 4000, 60)?.value).toBe('OK');
  });

  it('never makes a period shorter than minPeriodMs', () => {
    const store = new MetricStore();
    const now = Date.UTC(2026, 10, 30, 12, 0, 0, 500);
    // Published once a second, stamped with its second: at time scale 600 a period would last 100 ms.
    store.put('Local/Test', [{ MetricName: 'E', Value: 1, Timestamp: new Date(now - 500) }], now);
    const alarm = storedAlarm({
      AlarmName: 'a',
      Namespace: 'Local/Test',
      MetricName: 'E',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const queries = alarmQueries(alarm.config);
    expect(evaluateAlarm(store, alarm, queries, now + 1000, 600)?.value).toBe('OK');
    expect(evaluateAlarm(store, alarm, queries, now + 1000, 600, 1000)?.value).toBe('ALARM');
  });
});
