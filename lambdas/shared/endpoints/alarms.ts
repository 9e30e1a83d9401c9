/**
 * The CloudWatch alarms of one model endpoint, as PutMetricAlarm requests. The deployment workflow puts them
 * before it updates the endpoint (PutMetricAlarm creates or overwrites, so repeating it is harmless) and names
 * them in UpdateEndpoint's AutoRollbackConfiguration: SageMaker rolls a blue/green deployment back when any
 * is in ALARM — https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html
 *
 * Metrics: namespace AWS/SageMaker, dimensions EndpointName + VariantName, one-minute data; ModelLatency in
 * microseconds; Invocation4XXErrors/Invocation5XXErrors send 1 per failed request and 0 otherwise —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 *
 * TreatMissingData is notBreaching for all three: SageMaker publishes these metrics only for requests, so a
 * minute without data is a minute without traffic — nothing failed and nothing was slow. Treated as missing,
 * an idle endpoint's alarms would sit in INSUFFICIENT_DATA and mean nothing on a dashboard; treated as
 * breaching, an idle endpoint would roll back every deployment.
 */
import type { MetricDataQuery, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type { RuntimeDeploymentSettings } from '../model-settings';
import type { AlarmKind, AlarmNames } from './naming';

/** The namespace of SageMaker's endpoint invocation metrics. */
export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';

/** SageMaker publishes invocation metrics every minute; a one-minute period reacts within a canary's wait. */
export const ALARM_PERIOD_SECONDS = 60;

/** Where operators read what each alarm means and what to do (the runbook). */
export const RUNBOOK = 'docs/operations.md#endpoint-alarms';

/** ModelLatency is reported in microseconds; the configured limit is in milliseconds. */
export const MICROSECONDS_PER_MILLISECOND = 1000;

/** The endpoint an alarm set watches, and what it is for. */
export interface EndpointAlarmParameters {
  readonly model: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly alarmNames: AlarmNames;
  readonly alarms: RuntimeDeploymentSettings['alarms'];
  /** SNS topic to notify on ALARM and on OK again (observability); none: the alarms only drive rollback. */
  readonly notificationTopicArn?: string;
}

/** The three alarms, in {@link ALARM_KINDS} order, each a complete PutMetricAlarm request. */
export function endpointAlarms(p: EndpointAlarmParameters): PutMetricAlarmInput[] {
  return [invocation5xxErrorsAlarm(p), modelLatencyP99Alarm(p), invocationErrorRateAlarm(p)];
}

/**
 * What each alarm request holds whatever the endpoint and model. The deployment workflow's PutMetricAlarm
 * states send these as constants (typed against PutMetricAlarmInput) and take {@link VARYING_ALARM_FIELDS}
 * from the plan; the builders below put the two together, so both send the same request.
 */
export const FIXED_ALARM_FIELDS = {
  invocation5xxErrors: {
    Namespace: SAGEMAKER_NAMESPACE,
    MetricName: 'Invocation5XXErrors',
    Statistic: 'Sum',
    Period: ALARM_PERIOD_SECONDS,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  },
  modelLatencyP99: {
    Namespace: SAGEMAKER_NAMESPACE,
    MetricName: 'ModelLatency',
    ExtendedStatistic: 'p99',
    // The unit SageMaker publishes ModelLatency in; the threshold is in the same unit.
    Unit: 'Microseconds',
    Period: ALARM_PERIOD_SECONDS,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    EvaluateLowSampleCountPercentile: 'evaluate',
  },
  invocationErrorRate: {
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  },
} as const satisfies Record<AlarmKind, Partial<PutMetricAlarmInput>>;

/**
 * The fields of each alarm that depend on the endpoint or the model's settings: the workflow takes them from
 * the plan's requests. AlarmActions/OKActions are not among them: the stack's notification topic is the same
 * for every endpoint, so the workflow's definition sends it as a constant (lib/workflows/deployment.ts).
 */
export const VARYING_ALARM_FIELDS = {
  invocation5xxErrors: ['AlarmName', 'AlarmDescription', 'Dimensions'],
  modelLatencyP99: ['AlarmName', 'AlarmDescription', 'Dimensions', 'Threshold'],
  invocationErrorRate: ['AlarmName', 'AlarmDescription', 'Metrics', 'Threshold'],
} as const satisfies Record<AlarmKind, readonly (keyof PutMetricAlarmInput & string)[]>;

/** The alarm requests keyed by kind, for callers that want one. */
export function endpointAlarmsByKind(
  p: EndpointAlarmParameters,
): Readonly<Record<AlarmKind, PutMetricAlarmInput>> {
  return {
    invocation5xxErrors: invocation5xxErrorsAlarm(p),
    modelLatencyP99: modelLatencyP99Alarm(p),
    invocationErrorRate: invocationErrorRateAlarm(p),
  };
}

/**
 * Any 5xx from the model in a minute. A server error is never an acceptable outcome of a new version, so the
 * threshold is zero: one failing minute rolls a deployment back.
 */
export function invocation5xxErrorsAlarm(p: EndpointAlarmParameters): PutMetricAlarmInput {
  return {
    AlarmName: p.alarmNames.invocation5xxErrors,
    AlarmDescription: description(
      p,
      'The model container answered InvokeEndpoint with a 5xx (server error) in the last minute.',
      'During a deployment SageMaker rolls back to the previous version on its own. Otherwise read the ' +
        "endpoint's CloudWatch logs (/aws/sagemaker/Endpoints/<endpoint>) for the container's error, then " +
        '`mlops rollback <model>` if the serving version is at fault.',
    ),
    Dimensions: dimensions(p),
    ...FIXED_ALARM_FIELDS.invocation5xxErrors,
    ...actions(p),
  } satisfies PutMetricAlarmInput;
}

/**
 * p99 ModelLatency above the configured limit in 2 of the last 3 minutes (one slow minute, e.g. a cold
 * start, does not roll back). Low-sample percentiles are evaluated rather than ignored: a canary may carry
 * only a few requests a minute, and those are exactly the ones to judge the new version by.
 */
export function modelLatencyP99Alarm(p: EndpointAlarmParameters): PutMetricAlarmInput {
  const limitMs = p.alarms.latencyP99Ms;
  return {
    AlarmName: p.alarmNames.modelLatencyP99,
    AlarmDescription: description(
      p,
      `The model's p99 latency (ModelLatency: time inside the container) was over ${limitMs} ms in 2 of the last 3 minutes.`,
      'During a deployment SageMaker rolls back on its own. Otherwise compare with the previous version ' +
        '(`mlops deployments show <model>`), check the instance type and scaling, and raise ' +
        'deployment.alarms.latencyP99Ms only if the new latency is acceptable.',
    ),
    Dimensions: dimensions(p),
    Threshold: limitMs * MICROSECONDS_PER_MILLISECOND,
    ...FIXED_ALARM_FIELDS.modelLatencyP99,
    ...actions(p),
  } satisfies PutMetricAlarmInput;
}

/**
 * Invocation errors as a percentage of invocations, `100 * (4XX + 5XX) / Invocations`, over the configured
 * limit in 2 of the last 3 minutes. 4xx count too: a version that refuses requests its predecessor accepted
 * (say, a different feature count) fails its callers as surely as one that crashes. Error series are
 * FILLed with 0 so a minute with invocations but no error datapoint reads as 0%, and a minute without
 * invocations has no value at all (missing, so not breaching).
 */
export function invocationErrorRateAlarm(p: EndpointAlarmParameters): PutMetricAlarmInput {
  const limit = p.alarms.errorRatePercent;
  return {
    AlarmName: p.alarmNames.invocationErrorRate,
    AlarmDescription: description(
      p,
      `More than ${limit}% of InvokeEndpoint requests failed (4xx or 5xx) in 2 of the last 3 minutes.`,
      'During a deployment SageMaker rolls back on its own. Otherwise tell client errors (4xx: requests the ' +
        "model refuses — check callers against the model's contract) from server errors (5xx: see the " +
        'Invocation5XXErrors alarm), then `mlops rollback <model>` if the serving version is at fault.',
    ),
    Metrics: errorRateQueries(p),
    Threshold: limit,
    ...FIXED_ALARM_FIELDS.invocationErrorRate,
    ...actions(p),
  } satisfies PutMetricAlarmInput;
}

/** The metric-math id of the error-rate expression, the only query that returns data. */
export const ERROR_RATE_EXPRESSION_ID = 'errorRate';

/**
 * Three Sum queries and the expression over them. Ids start with a lowercase letter, as metric math
 * requires — https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
 */
function errorRateQueries(p: EndpointAlarmParameters): MetricDataQuery[] {
  const sum = (id: string, metricName: string): MetricDataQuery =>
    ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: SAGEMAKER_NAMESPACE, MetricName: metricName, Dimensions: dimensions(p) },
        Period: ALARM_PERIOD_SECONDS,
        Stat: 'Sum',
      },
      ReturnData: false,
    }) satisfies MetricDataQuery;
  return [
    sum('errors4xx', 'Invocation4XXErrors'),
    sum('errors5xx', 'Invocation5XXErrors'),
    sum('invocations', 'Invocations'),
    {
      Id: ERROR_RATE_EXPRESSION_ID,
      Expression: '100 * (FILL(errors4xx, 0) + FILL(errors5xx, 0)) / invocations',
      Label: 'Invocation error rate (%)',
      ReturnData: true,
    } satisfies MetricDataQuery,
  ];
}

function dimensions(p: EndpointAlarmParameters) {
  return [
    { Name: 'EndpointName', Value: p.endpointName },
    { Name: 'VariantName', Value: p.variantName },
  ];
}

function actions(p: EndpointAlarmParameters): Pick<PutMetricAlarmInput, 'AlarmActions' | 'OKActions'> {
  if (p.notificationTopicArn === undefined) return {};
  return { AlarmActions: [p.notificationTopicArn], OKActions: [p.notificationTopicArn] };
}

/** Alarm descriptions hold at most 1024 characters — API_PutMetricAlarm. */
export const ALARM_DESCRIPTION_MAX_LENGTH = 1024;

function description(p: EndpointAlarmParameters, meaning: string, action: string): string {
  const text = `Model ${p.model}, endpoint ${p.endpointName}: ${meaning} What to do: ${action} Runbook: ${RUNBOOK}`;
  return text.length <= ALARM_DESCRIPTION_MAX_LENGTH
    ? text
    : `${text.slice(0, ALARM_DESCRIPTION_MAX_LENGTH - 1)}…`;
}
