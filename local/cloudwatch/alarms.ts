/**
 * Metric alarms: PutMetricAlarm (a metric with Statistic or ExtendedStatistic, or metric math with Metrics[]),
 * DescribeAlarms, DeleteAlarms, SetAlarmState, and their evaluation.
 *
 * Evaluation follows "Evaluating an alarm" and "Configuring how CloudWatch alarms treat missing data" —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation :
 * the last EvaluationPeriods complete periods decide; CloudWatch retrieves a wider evaluation range (5
 * datapoints for 3 evaluation periods in the docs' tables; here always EvaluationPeriods + 2) and uses the most
 * recent real datapoints in it before filling any with TreatMissingData, "as few times as possible"; all
 * missing gives INSUFFICIENT_DATA (missing), the current state (ignore), ALARM (breaching) or OK
 * (notBreaching); and "premature alarm state" logic puts an alarm in ALARM when its oldest breaching datapoint
 * in the last EvaluationPeriods is at least DatapointsToAlarm periods old and every newer one breaches or is
 * missing (ignore: the state is kept instead) — this reproduces every row of the docs' two tables. A percentile alarm with EvaluateLowSampleCountPercentile
 * `ignore` keeps its state while a period has fewer than 10/(1-p) samples (p ≥ 0.5) or 10/p (p < 0.5).
 *
 * StateReason and StateReasonData are worded as CloudWatch words them ("Threshold Crossed: 1 out of the last
 * 1 datapoints [99.5 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for
 * OK -> ALARM transition).", "Unchecked: Initial alarm creation", "no datapoints were received for 1 period
 * and 1 missing datapoint was treated as [NonBreaching]") — the examples of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
import type {
  DeleteAlarmsInput,
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  MetricAlarm,
  MetricDataQuery,
  PutMetricAlarmInput,
  SetAlarmStateInput,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchError, invalidValue, missing } from './errors';
import { type CheckedQuery, checkQueries, runQueries, type TimeFrame, validStat } from './metric-data';
import { decodeToken, encodeToken } from './queries';
import { percentileOf } from './statistics';
import { type MetricStore, UNITS, validateDimensions } from './store';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  readonly reasonData?: string;
  /** ms since the epoch. */
  readonly timestamp: number;
}

/** What alarms.json keeps of an alarm. */
export interface StoredAlarm {
  readonly config: PutMetricAlarmInput & { AlarmName: string };
  readonly arn: string;
  /** The id a single-metric alarm's metric has in events (CloudWatch gives it a UUID). */
  readonly metricId: string;
  readonly configUpdated: number;
  state: AlarmState;
  stateTransitioned: number;
}

export const COMPARISONS = {
  GreaterThanOrEqualToThreshold: {
    words: 'greater than or equal to',
    test: (v: number, t: number) => v >= t,
  },
  GreaterThanThreshold: { words: 'greater than', test: (v: number, t: number) => v > t },
  LessThanThreshold: { words: 'less than', test: (v: number, t: number) => v < t },
  LessThanOrEqualToThreshold: { words: 'less than or equal to', test: (v: number, t: number) => v <= t },
} as const;
type Comparison = keyof typeof COMPARISONS;

const TREATMENTS = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
type Treatment = (typeof TREATMENTS)[number];

/** Alarm periods: 10, 20, 30 or any multiple of 60 seconds (API_PutMetricAlarm, Period). */
function validAlarmPeriod(period: unknown): period is number {
  return (
    typeof period === 'number' &&
    Number.isInteger(period) &&
    period > 0 &&
    ([10, 20, 30].includes(period) || period % 60 === 0)
  );
}

/** Validates a PutMetricAlarm request as CloudWatch does; returns the checked metric-math queries if any. */
export function validatePutMetricAlarm(input: PutMetricAlarmInput): CheckedQuery[] | undefined {
  if (!input.AlarmName) throw missing('AlarmName');
  if (input.AlarmName.length > 255)
    throw invalidValue('AlarmName', input.AlarmName, 'It must be 1 to 255 characters long.');
  // "Alarm names must contain only ASCII characters" (AlarmThatSendsEmail.html, common features).
  if (!/^[\x20-\x7e]+$/.test(input.AlarmName))
    throw invalidValue('AlarmName', input.AlarmName, 'Alarm names must contain only ASCII characters.');
  if ((input.AlarmDescription?.length ?? 0) > 1024)
    throw invalidValue('AlarmDescription', input.AlarmDescription);
  if (input.EvaluationPeriods === undefined || input.EvaluationPeriods === null)
    throw missing('EvaluationPeriods');
  if (!Number.isInteger(input.EvaluationPeriods) || input.EvaluationPeriods < 1) {
    throw invalidValue('EvaluationPeriods', input.EvaluationPeriods);
  }
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm !== null) {
    if (!Number.isInteger(input.DatapointsToAlarm) || input.DatapointsToAlarm < 1) {
      throw invalidValue('DatapointsToAlarm', input.DatapointsToAlarm);
    }
    if (input.DatapointsToAlarm > input.EvaluationPeriods) {
      throw new CloudWatchError(
        'ValidationError',
        'DatapointsToAlarm must be less than or equal to EvaluationPeriods.',
      );
    }
  }
  if (!input.ComparisonOperator) throw missing('ComparisonOperator');
  if (!(input.ComparisonOperator in COMPARISONS)) {
    // The three band operators need an anomaly detection model, which is not served locally.
    throw invalidValue(
      'ComparisonOperator',
      input.ComparisonOperator,
      'Only static-threshold operators are served locally.',
    );
  }
  if (input.Threshold === undefined || input.Threshold === null) {
    throw new CloudWatchError(
      'ValidationError',
      'Threshold is required for alarms based on static thresholds.',
    );
  }
  if (
    input.TreatMissingData !== undefined &&
    !(TREATMENTS as readonly string[]).includes(input.TreatMissingData)
  ) {
    throw invalidValue('TreatMissingData', input.TreatMissingData);
  }
  if (
    input.EvaluateLowSampleCountPercentile !== undefined &&
    !['evaluate', 'ignore'].includes(input.EvaluateLowSampleCountPercentile)
  ) {
    throw invalidValue('EvaluateLowSampleCountPercentile', input.EvaluateLowSampleCountPercentile);
  }
  const single = [
    'MetricName',
    'Namespace',
    'Statistic',
    'ExtendedStatistic',
    'Dimensions',
    'Period',
    'Unit',
  ] as const;
  if (input.Metrics) {
    const given = single.filter((k) => input[k] !== undefined && input[k] !== null);
    if (given.length > 0) {
      throw new CloudWatchError(
        'InvalidParameterCombination',
        `The parameters Metrics and ${given[0]} are mutually exclusive and you have specified both.`,
      );
    }
    const checked = checkQueries(input.Metrics, 'Metrics');
    if (checked.filter((q) => q.query.ReturnData !== false).length !== 1) {
      throw new CloudWatchError(
        'ValidationError',
        'Exactly one element of the metrics list should return data.',
      );
    }
    const periods = new Set(checked.flatMap((q) => (q.query.MetricStat ? [q.query.MetricStat.Period] : [])));
    if (periods.size > 1) {
      throw new CloudWatchError('ValidationError', 'All metrics in an alarm must use the same period.');
    }
    const period = [...periods][0] ?? checked.find((q) => q.query.Period)?.query.Period ?? 60;
    if (!validAlarmPeriod(period)) throw invalidValue('Metrics.member.1.MetricStat.Period', period);
    checkTotal(period, input.EvaluationPeriods);
    return checked;
  }
  if (!input.MetricName) throw missing('MetricName');
  if (!input.Namespace) throw missing('Namespace');
  validateDimensions('Dimensions', input.Dimensions);
  if (input.Statistic && input.ExtendedStatistic) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      'The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.',
    );
  }
  if (!input.Statistic && !input.ExtendedStatistic) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      'Exactly one of the parameters Statistic and ExtendedStatistic must be specified.',
    );
  }
  if (input.Statistic && (!validStat(input.Statistic) || percentileOf(input.Statistic) !== undefined)) {
    throw invalidValue('Statistic', input.Statistic);
  }
  if (input.ExtendedStatistic && percentileOf(input.ExtendedStatistic) === undefined) {
    throw invalidValue(
      'ExtendedStatistic',
      input.ExtendedStatistic,
      'Only percentiles (pNN) are served locally.',
    );
  }
  if (input.Unit !== undefined && !UNITS.includes(input.Unit)) throw invalidValue('Unit', input.Unit);
  if (input.Period === undefined || input.Period === null) throw missing('Period');
  if (!validAlarmPeriod(input.Period)) throw invalidValue('Period', input.Period);
  checkTotal(input.Period, input.EvaluationPeriods);
  return undefined;
}

/** Period × EvaluationPeriods: at most 7 days, and one day for periods under an hour (API_PutMetricAlarm). */
function checkTotal(period: number, evaluationPeriods: number): void {
  const limit = period < 3600 ? 86_400 : 604_800;
  if (period * evaluationPeriods > limit) {
    throw new CloudWatchError(
      'ValidationError',
      `Metrics cannot be checked across more than ${limit === 86_400 ? 'a day' : '7 days'} (EvaluationPeriods * Period must be <= ${limit}).`,
    );
  }
}

/** The alarm's queries, checked: its Metrics, or its one metric as a MetricStat query. */
export function alarmQueries(config: PutMetricAlarmInput): CheckedQuery[] {
  if (config.Metrics) return checkQueries(config.Metrics, 'Metrics');
  return [{ query: singleMetricQuery(config) }];
}

function singleMetricQuery(config: PutMetricAlarmInput): MetricDataQuery {
  return {
    Id: 'm1',
    MetricStat: {
      Metric: {
        Namespace: config.Namespace,
        MetricName: config.MetricName,
        ...(config.Dimensions ? { Dimensions: config.Dimensions } : {}),
      },
      Period: config.Period,
      Stat: config.Statistic ?? config.ExtendedStatistic,
      ...(config.Unit ? { Unit: config.Unit } : {}),
    },
    ReturnData: true,
  };
}

export function alarmPeriod(config: PutMetricAlarmInput): number {
  if (config.Period) return config.Period;
  const stat = config.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period;
  return stat ?? config.Metrics?.find((q) => q.Period)?.Period ?? 60;
}

/** One period of the evaluation range, oldest first. */
interface Point {
  readonly t: number;
  readonly value: number | undefined;
  readonly sampleCount: number | undefined;
}

/** The outcome of an evaluation: a new state, or undefined to keep the current one. */
export interface Verdict {
  readonly value: AlarmStateValue;
  readonly reason: string;
  readonly reasonData: string;
}

/**
 * The real ms an alarm period lasts: `Period / timeScale` seconds, but not under `minPeriodMs` (metrics that
 * arrive once a second leave shorter periods mostly empty, and an alarm would judge gaps, not traffic).
 */
export function scaledPeriodMs(periodS: number, timeScale: number, minPeriodMs = 0): number {
  return Math.max((periodS * 1000) / timeScale, minPeriodMs);
}

/**
 * Evaluates an alarm at `now` (real ms). Periods last {@link scaledPeriodMs} and are aligned to multiples of
 * that length; the newest evaluated period is the last complete one.
 */
export function evaluateAlarm(
  store: MetricStore,
  alarm: StoredAlarm,
  queries: readonly CheckedQuery[],
  now: number,
  timeScale: number,
  minPeriodMs = 0,
): Verdict | undefined {
  const config = alarm.config;
  const period = alarmPeriod(config);
  const periodMs = scaledPeriodMs(period, timeScale, minPeriodMs);
  const n = config.EvaluationPeriods ?? 1;
  const m = config.DatapointsToAlarm ?? n;
  const range = n + 2;
  const end = Math.floor(now / periodMs) * periodMs;
  const grid = Array.from({ length: range }, (_, i) => end - (range - i) * periodMs);
  const frame: TimeFrame = { grid: () => grid, periodMs: () => periodMs };
  const results = runQueries(store, queries, frame);
  const returned = queries.find((q) => q.query.ReturnData !== false)?.query.Id ?? 'm1';
  const result = results.get(returned);
  const points: Point[] = grid.map((t) => ({
    t,
    value: result?.series.get(t),
    sampleCount: result?.sampleCounts.get(t),
  }));
  const comparison = COMPARISONS[config.ComparisonOperator as Comparison];
  const threshold = config.Threshold ?? 0;
  const breaches = (v: number): boolean => comparison.test(v, threshold);
  const treatment: Treatment = (config.TreatMissingData as Treatment | undefined) ?? 'missing';
  const real = points.filter((p) => p.value !== undefined);
  const newestReal = real.slice(-n);

  const p = percentileOf(config.ExtendedStatistic ?? '');
  if (p !== undefined && config.EvaluateLowSampleCountPercentile === 'ignore') {
    const needed = p >= 50 ? 10 / (1 - p / 100) : 10 / (p / 100);
    if (newestReal.some((point) => (point.sampleCount ?? 0) < needed)) return undefined;
  }

  const data = (evaluated: readonly Point[]) =>
    reasonData(
      config,
      now,
      evaluated.length > 0 ? (evaluated[0]?.t ?? end) : (grid[0] ?? end),
      evaluated,
      threshold,
    );
  const word = comparison.words;

  if (real.length === 0) {
    const reasonJson = data([]);
    switch (treatment) {
      case 'missing':
        return {
          value: 'INSUFFICIENT_DATA',
          reason: `Insufficient Data: ${range} datapoint${range === 1 ? ' was' : 's were'} unknown.`,
          reasonData: reasonJson,
        };
      case 'ignore':
        return undefined;
      default: {
        const as = treatment === 'breaching' ? 'Breaching' : 'NonBreaching';
        return {
          value: treatment === 'breaching' ? 'ALARM' : 'OK',
          reason: `Threshold Crossed: no datapoints were received for ${plural(n, 'period')} and ${plural(n, 'missing datapoint')} ${n === 1 ? 'was' : 'were'} treated as [${as}].`,
          reasonData: reasonJson,
        };
      }
    }
  }

  if (real.length >= n) {
    // Enough real datapoints: the newest N decide, missing data is not consulted.
    const breaching = newestReal.filter((point) => breaches(point.value as number));
    return breaching.length >= m
      ? crossed('ALARM', breaching, n, m, word, threshold, data(newestReal))
      : crossed(
          'OK',
          newestReal.filter((point) => !breaches(point.value as number)),
          n,
          n - m + 1,
          `not ${word}`,
          threshold,
          data(newestReal),
        );
  }

  // Fewer real datapoints than N: fill the shortfall with the treatment, as few times as possible.
  const fill = n - real.length;
  const realBreaching = real.filter((point) => breaches(point.value as number));
  const breachingCount = realBreaching.length + (treatment === 'breaching' ? fill : 0);
  if (breachingCount >= m) return crossed('ALARM', realBreaching, n, m, word, threshold, data(real));
  if ((treatment === 'missing' || treatment === 'ignore') && realBreaching.length === real.length) {
    // Premature alarm state: within the last N periods, the oldest breaching datapoint is at least M periods
    // old and every newer one breaches or is missing. (Only when no real datapoint in the range is below the
    // threshold: the docs' "0 - X - -" with M = 2 stays OK.)
    const lastN = points.slice(-n);
    const oldest = lastN.findIndex((point) => point.value !== undefined && breaches(point.value));
    if (oldest >= 0 && n - oldest >= m) {
      const newer = lastN.slice(oldest + 1);
      if (newer.every((point) => point.value === undefined || breaches(point.value))) {
        if (treatment === 'ignore') return undefined;
        return crossed('ALARM', realBreaching, n, m, word, threshold, data(real));
      }
    }
  }
  return crossed(
    'OK',
    real.filter((point) => !breaches(point.value as number)),
    n,
    n - m + 1,
    `not ${word}`,
    threshold,
    data(real),
  );
}

function crossed(
  value: 'OK' | 'ALARM',
  listed: readonly Point[],
  n: number,
  minimum: number,
  words: string,
  threshold: number,
  reasonJson: string,
): Verdict {
  const shown = [...listed]
    .reverse()
    .map((point) => `${javaDouble(point.value as number)} (${reasonDate(point.t)})`)
    .join(', ');
  const transition = value === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK';
  return {
    value,
    reason:
      `Threshold Crossed: ${listed.length} out of the last ${n} datapoints [${shown}] ${listed.length === 1 ? 'was' : 'were'} ` +
      `${words} the threshold (${javaDouble(threshold)}) (minimum ${plural(minimum, 'datapoint')} for ${transition} transition).`,
    reasonData: reasonJson,
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** StateReasonData: version, queryDate, startDate, statistic, period, recentDatapoints, threshold, evaluatedDatapoints. */
function reasonData(
  config: PutMetricAlarmInput,
  now: number,
  start: number,
  evaluated: readonly Point[],
  threshold: number,
): string {
  const stat = config.Statistic ?? config.ExtendedStatistic;
  return JSON.stringify({
    version: '1.0',
    queryDate: isoMillis(now),
    startDate: isoMillis(start),
    ...(stat ? { statistic: stat } : {}),
    ...(config.Unit ? { unit: config.Unit } : {}),
    period: alarmPeriod(config),
    recentDatapoints: evaluated.map((p) => p.value),
    threshold,
    evaluatedDatapoints: [...evaluated].reverse().map((p) => ({
      timestamp: isoMillis(p.t),
      ...(p.sampleCount !== undefined ? { sampleCount: p.sampleCount } : {}),
      ...(p.value !== undefined ? { value: p.value } : {}),
    })),
  });
}

/** `2019-10-02T17:04:40.985+0000`, the time stamp format of alarm states. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `02/10/19 16:59:00` (dd/MM/yy HH:mm:ss, UTC), as datapoints appear in a StateReason. */
function reasonDate(ms: number): string {
  const d = new Date(ms);
  const two = (v: number) => String(v).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** A double as Java prints it (CloudWatch's reasons do): 50 → "50.0", 1e7 → "1.0E7". */
export function javaDouble(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return v.toFixed(1);
  if (Math.abs(v) >= 1e7 || (v !== 0 && Math.abs(v) < 1e-3)) {
    const [mantissa = '0', exponent = '0'] = v.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return String(v);
}

/** DescribeAlarms' MetricAlarm for a stored alarm. */
export function describe(alarm: StoredAlarm): MetricAlarm {
  const c = alarm.config;
  return {
    AlarmName: c.AlarmName,
    AlarmArn: alarm.arn,
    ...(c.AlarmDescription !== undefined ? { AlarmDescription: c.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: new Date(alarm.configUpdated),
    ActionsEnabled: c.ActionsEnabled ?? true,
    OKActions: c.OKActions ?? [],
    AlarmActions: c.AlarmActions ?? [],
    InsufficientDataActions: c.InsufficientDataActions ?? [],
    StateValue: alarm.state.value,
    StateReason: alarm.state.reason,
    ...(alarm.state.reasonData !== undefined ? { StateReasonData: alarm.state.reasonData } : {}),
    StateUpdatedTimestamp: new Date(alarm.state.timestamp),
    StateTransitionedTimestamp: new Date(alarm.stateTransitioned),
    ...(c.MetricName !== undefined ? { MetricName: c.MetricName } : {}),
    ...(c.Namespace !== undefined ? { Namespace: c.Namespace } : {}),
    ...(c.Statistic !== undefined ? { Statistic: c.Statistic } : {}),
    ...(c.ExtendedStatistic !== undefined ? { ExtendedStatistic: c.ExtendedStatistic } : {}),
    ...(c.Metrics ? {} : { Dimensions: c.Dimensions ?? [] }),
    ...(c.Period !== undefined ? { Period: c.Period } : {}),
    ...(c.Unit !== undefined ? { Unit: c.Unit } : {}),
    EvaluationPeriods: c.EvaluationPeriods,
    ...(c.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: c.DatapointsToAlarm } : {}),
    Threshold: c.Threshold,
    ComparisonOperator: c.ComparisonOperator,
    ...(c.TreatMissingData !== undefined ? { TreatMissingData: c.TreatMissingData } : {}),
    ...(c.EvaluateLowSampleCountPercentile !== undefined
      ? { EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile }
      : {}),
    ...(c.Metrics ? { Metrics: c.Metrics } : {}),
  };
}

/** DescribeAlarms over the stored alarms (names, prefix, state; 50 a page by default, 100 at most). */
export function describeAlarms(
  alarms: ReadonlyMap<string, StoredAlarm>,
  input: DescribeAlarmsInput,
): DescribeAlarmsOutput {
  if (input.AlarmNames && input.AlarmNamePrefix) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      'The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.',
    );
  }
  if ((input.AlarmNames?.length ?? 0) > 100)
    throw invalidValue('AlarmNames', input.AlarmNames, 'At most 100 names.');
  const max = input.MaxRecords ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidValue('MaxRecords', max);
  if (input.StateValue && !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(input.StateValue)) {
    throw invalidValue('StateValue', input.StateValue);
  }
  const types = input.AlarmTypes ?? ['MetricAlarm'];
  const matches = types.includes('MetricAlarm')
    ? [...alarms.values()]
        .filter((a) => !input.AlarmNames || input.AlarmNames.includes(a.config.AlarmName))
        .filter((a) => !input.AlarmNamePrefix || a.config.AlarmName.startsWith(input.AlarmNamePrefix))
        .filter((a) => !input.StateValue || a.state.value === input.StateValue)
        .filter(
          (a) =>
            !input.ActionPrefix ||
            [
              ...(a.config.AlarmActions ?? []),
              ...(a.config.OKActions ?? []),
              ...(a.config.InsufficientDataActions ?? []),
            ].some((action) => action.startsWith(input.ActionPrefix as string)),
        )
        .sort((a, b) => (a.config.AlarmName < b.config.AlarmName ? -1 : 1))
    : [];
  const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
  const page = matches.slice(offset, offset + max).map(describe);
  return {
    MetricAlarms: page,
    CompositeAlarms: [],
    ...(offset + max < matches.length ? { NextToken: encodeToken(offset + max) } : {}),
  };
}

/**
 * DeleteAlarms' names: up to 100. "If you specify any incorrect alarm names, the alarms you specify with
 * correct names are still deleted" (API_DeleteAlarms): unknown names are skipped, not refused.
 */
export function validateDeleteAlarms(
  input: DeleteAlarmsInput,
  alarms: ReadonlyMap<string, StoredAlarm>,
): string[] {
  const names = input.AlarmNames;
  if (!names) throw missing('AlarmNames');
  if (names.length > 100) throw invalidValue('AlarmNames', names, 'At most 100 names.');
  return names.filter((name) => alarms.has(name));
}

export function validateSetAlarmState(
  input: SetAlarmStateInput,
  alarms: ReadonlyMap<string, StoredAlarm>,
): StoredAlarm {
  if (!input.AlarmName) throw missing('AlarmName');
  if (!input.StateValue) throw missing('StateValue');
  if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(input.StateValue))
    throw invalidValue('StateValue', input.StateValue);
  if (input.StateReason === undefined || input.StateReason === null) throw missing('StateReason');
  if (input.StateReason.length > 1023) throw invalidValue('StateReason', input.StateReason);
  if (input.StateReasonData !== undefined) {
    if (input.StateReasonData.length > 4000) throw invalidValue('StateReasonData', input.StateReasonData);
    try {
      JSON.parse(input.StateReasonData);
    } catch {
      throw new CloudWatchError('InvalidFormat', 'StateReasonData is not valid JSON.');
    }
  }
  const alarm = alarms.get(input.AlarmName);
  if (!alarm) throw new CloudWatchError('ResourceNotFound', 'The named resource does not exist.');
  return alarm;
}
