import { describe, expect, it } from 'vitest';
import {
  ALARM_DESCRIPTION_MAX_LENGTH,
  type EndpointAlarmParameters,
  endpointAlarms,
  endpointAlarmsByKind,
  FIXED_ALARM_FIELDS,
  RUNBOOK,
  VARYING_ALARM_FIELDS,
} from '../../../../../lambdas/shared/endpoints/alarms';
import {
  ALARM_KINDS,
  alarmNames,
  endpointName,
  VARIANT_NAME,
} from '../../../../../lambdas/shared/endpoints/naming';
import { deploymentConfig } from '../../../../../lambdas/shared/endpoints/requests';
import type { RuntimeDeploymentSettings } from '../../../../../lambdas/shared/model-settings';

const endpoint = endpointName('mlops', 'churn');
const DIMENSIONS = [
  { Name: 'EndpointName', Value: 'mlops-churn' },
  { Name: 'VariantName', Value: 'AllTraffic' },
];

const params: EndpointAlarmParameters = {
  model: 'churn',
  endpointName: endpoint,
  variantName: VARIANT_NAME,
  alarmNames: alarmNames(endpoint),
  alarms: { latencyP99Ms: 250, errorRatePercent: 2 },
};

describe('endpointAlarms', () => {
  it("splits each request into the workflow's fixed fields and the fields it takes from the plan, nothing else", () => {
    for (const kind of ALARM_KINDS) {
      // Act
      const alarm = endpointAlarmsByKind(params)[kind];

      // Assess: the workflow's typed state sends exactly these fields.
      expect(Object.keys(alarm).sort()).toEqual(
        [...Object.keys(FIXED_ALARM_FIELDS[kind]), ...VARYING_ALARM_FIELDS[kind]].sort(),
      );
      expect(alarm).toMatchObject(FIXED_ALARM_FIELDS[kind]);
    }
  });

  it('alarms on any 5xx in a minute, per endpoint variant', () => {
    // Act
    const alarm = endpointAlarmsByKind(params).invocation5xxErrors;

    // Assess
    expect(alarm).toMatchObject({
      AlarmName: 'mlops-churn-invocation-5xx-errors',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: DIMENSIONS,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Metrics).toBeUndefined();
  });

  it('alarms on p99 ModelLatency over the limit, converting milliseconds to microseconds', () => {
    // Act
    const alarm = endpointAlarmsByKind(params).modelLatencyP99;

    // Assess: 250 ms is 250 000 µs, the unit SageMaker publishes ModelLatency in
    expect(alarm).toMatchObject({
      AlarmName: 'mlops-churn-model-latency-p99',
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: DIMENSIONS,
      ExtendedStatistic: 'p99',
      Unit: 'Microseconds',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 250_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      EvaluateLowSampleCountPercentile: 'evaluate',
    });
    expect(alarm.Statistic).toBeUndefined();
  });

  it('alarms on (4XX + 5XX) / Invocations as a percentage with metric math', () => {
    // Act
    const alarm = endpointAlarmsByKind(params).invocationErrorRate;

    // Assess
    const stat = (id: string, metricName: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/SageMaker', MetricName: metricName, Dimensions: DIMENSIONS },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    expect(alarm).toEqual({
      AlarmName: 'mlops-churn-invocation-error-rate',
      AlarmDescription: expect.any(String),
      Metrics: [
        stat('errors4xx', 'Invocation4XXErrors'),
        stat('errors5xx', 'Invocation5XXErrors'),
        stat('invocations', 'Invocations'),
        {
          Id: 'errorRate',
          Expression: '100 * (FILL(errors4xx, 0) + FILL(errors5xx, 0)) / invocations',
          Label: 'Invocation error rate (%)',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('uses metric-math ids that start with a lowercase letter and are all referenced', () => {
    // Prepare
    const metrics = endpointAlarmsByKind(params).invocationErrorRate.Metrics ?? [];
    const expression = metrics.find((query) => query.ReturnData)?.Expression ?? '';

    // Assess
    expect(metrics.filter((query) => query.ReturnData)).toHaveLength(1);
    for (const query of metrics) expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    for (const query of metrics.filter((q) => !q.ReturnData)) expect(expression).toContain(query.Id);
  });

  it('returns the three alarms in the order AutoRollbackConfiguration names them', () => {
    // Prepare
    const settings: RuntimeDeploymentSettings = {
      mode: 'auto',
      endpoint: { type: 'realtime', instanceType: 'ml.m5.large', initialInstanceCount: 1 },
      trafficRouting: { type: 'ALL_AT_ONCE' },
      bakeSeconds: 0,
      maxExecutionTimeoutSeconds: 600,
      dataCapturePercent: 100,
      alarms: params.alarms,
      retainVersions: 3,
    };

    // Act
    const alarms = endpointAlarms(params);
    const rollback = deploymentConfig(settings, params.alarmNames).AutoRollbackConfiguration?.Alarms;

    // Assess
    expect(alarms.map((alarm) => alarm.AlarmName)).toEqual(
      ALARM_KINDS.map((kind) => params.alarmNames[kind]),
    );
    expect(rollback).toEqual(alarms.map((alarm) => ({ AlarmName: alarm.AlarmName })));
  });

  it('says what each alarm means, what to do, and where the runbook is', () => {
    // Act
    const alarms = endpointAlarmsByKind(params);

    // Assess
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmDescription).toMatch(/^Model churn, endpoint mlops-churn: /);
      expect(alarm.AlarmDescription).toContain(' What to do: ');
      expect(alarm.AlarmDescription?.endsWith(`Runbook: ${RUNBOOK}`)).toBe(true);
      expect(alarm.AlarmDescription?.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_MAX_LENGTH);
    }
    expect(alarms.modelLatencyP99.AlarmDescription).toContain('over 250 ms');
    expect(alarms.invocationErrorRate.AlarmDescription).toContain('More than 2% of InvokeEndpoint requests');
    expect(RUNBOOK).toBe('docs/operations.md#endpoint-alarms');
  });

  it('notifies a topic on ALARM and on OK only when one is given', () => {
    // Prepare
    const topic = 'arn:aws:sns:us-east-1:123456789012:mlops-alarms';

    // Act
    const quiet = endpointAlarms(params);
    const notifying = endpointAlarms({ ...params, notificationTopicArn: topic });

    // Assess
    for (const alarm of quiet) {
      expect(alarm).not.toHaveProperty('AlarmActions');
      expect(alarm).not.toHaveProperty('OKActions');
    }
    for (const alarm of notifying) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
    }
  });
});
