/**
 * "CloudWatch Alarm State Change" events, shaped as the examples of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html (single-metric
 * and metric math alarms): version "0", source "aws.cloudwatch", resources [alarm ARN], detail {alarmName,
 * configuration {description, metrics [{id, metricStat {metric {dimensions {Name: Value}, name, namespace},
 * period, stat, unit}, returnData} | {id, expression, label, returnData}]}, previousState, state} where a state
 * is {value, reason, reasonData (absent when none), timestamp "2019-10-02T17:04:40.989+0000"}.
 */
import { randomUUID } from 'node:crypto';
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { type AlarmState, isoMillis, type StoredAlarm } from './alarms';

export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';

export function alarmStateChangeEvent(
  alarm: StoredAlarm,
  previous: AlarmState,
  account: string,
  region: string,
): Record<string, unknown> {
  const c = alarm.config;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': ALARM_STATE_CHANGE,
    source: 'aws.cloudwatch',
    account,
    // Whole seconds, as in the examples ("2019-10-02T17:04:40Z").
    time: `${new Date(alarm.state.timestamp).toISOString().slice(0, 19)}Z`,
    region,
    resources: [alarm.arn],
    detail: {
      alarmName: c.AlarmName,
      state: eventState(alarm.state),
      previousState: eventState(previous),
      configuration: {
        ...(c.AlarmDescription !== undefined ? { description: c.AlarmDescription } : {}),
        metrics: c.Metrics
          ? c.Metrics.map((q) => eventMetric(q))
          : [
              eventMetric({
                Id: alarm.metricId,
                MetricStat: {
                  Metric: {
                    Namespace: c.Namespace,
                    MetricName: c.MetricName,
                    ...(c.Dimensions ? { Dimensions: c.Dimensions } : {}),
                  },
                  Period: c.Period,
                  Stat: c.Statistic ?? c.ExtendedStatistic,
                  ...(c.Unit ? { Unit: c.Unit } : {}),
                },
                ReturnData: true,
              }),
            ],
      },
    },
  };
}

function eventState(state: AlarmState): Record<string, unknown> {
  return {
    value: state.value,
    reason: state.reason,
    ...(state.reasonData !== undefined ? { reasonData: state.reasonData } : {}),
    timestamp: isoMillis(state.timestamp),
  };
}

function eventMetric(q: MetricDataQuery): Record<string, unknown> {
  if (q.MetricStat) {
    const m = q.MetricStat.Metric ?? {};
    return {
      id: q.Id,
      metricStat: {
        metric: {
          dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])),
          name: m.MetricName,
          namespace: m.Namespace,
        },
        period: q.MetricStat.Period,
        stat: q.MetricStat.Stat,
        ...(q.MetricStat.Unit ? { unit: q.MetricStat.Unit } : {}),
      },
      returnData: q.ReturnData !== false,
    };
  }
  return {
    expression: q.Expression,
    id: q.Id,
    ...(q.Label !== undefined ? { label: q.Label } : {}),
    returnData: q.ReturnData !== false,
  };
}
