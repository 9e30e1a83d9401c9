/**
 * GetMetricStatistics and ListMetrics over the store —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html
 */
import type {
  Datapoint,
  Dimension,
  DimensionFilter,
  GetMetricStatisticsInput,
  GetMetricStatisticsOutput,
  ListMetricsInput,
  ListMetricsOutput,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchError, invalidValue, missing } from './errors';
import { aggregate, percentile, percentileOf, type Sample, STATISTICS, statistic } from './statistics';
import { type MetricId, type MetricStore, toMillis, UNITS, validateDimensions } from './store';

/** "A single request can include as many as 1,440 data points" (API_GetMetricStatistics). */
export const MAX_DATAPOINTS = 1440;

/** Periods: 1, 5, 10, 30 (high resolution) or any multiple of 60 seconds (API_GetMetricStatistics). */
export function validPeriod(period: unknown): period is number {
  return (
    typeof period === 'number' &&
    Number.isInteger(period) &&
    period > 0 &&
    ([1, 5, 10, 30].includes(period) || period % 60 === 0)
  );
}

/**
 * Period buckets from a start time rounded down as CloudWatch rounds it: to the whole minute for periods of
 * a minute or more, to the period below that (API_GetMetricStatistics, StartTime).
 */
export function bucketStarts(startMs: number, endMs: number, periodS: number): number[] {
  const round = periodS >= 60 ? 60_000 : periodS * 1000;
  const first = Math.floor(startMs / round) * round;
  const starts: number[] = [];
  for (let t = first; t < endMs; t += periodS * 1000) starts.push(t);
  return starts;
}

/** Samples grouped by period start and unit (data put with different units stay apart, as in CloudWatch). */
export function bucketize(
  samples: readonly Sample[],
  firstMs: number,
  periodMs: number,
): Map<number, Map<string, Sample[]>> {
  const buckets = new Map<number, Map<string, Sample[]>>();
  for (const s of samples) {
    const start = firstMs + Math.floor((s.t - firstMs) / periodMs) * periodMs;
    let byUnit = buckets.get(start);
    if (!byUnit) {
      byUnit = new Map();
      buckets.set(start, byUnit);
    }
    const list = byUnit.get(s.unit);
    if (list) list.push(s);
    else byUnit.set(s.unit, [s]);
  }
  return buckets;
}

export function getMetricStatistics(
  store: MetricStore,
  input: GetMetricStatisticsInput,
): GetMetricStatisticsOutput {
  if (!input.Namespace) throw missing('Namespace');
  if (!input.MetricName) throw missing('MetricName');
  if (input.StartTime === undefined || input.StartTime === null) throw missing('StartTime');
  if (input.EndTime === undefined || input.EndTime === null) throw missing('EndTime');
  if (input.Period === undefined || input.Period === null) throw missing('Period');
  const dimensions = validateDimensions('Dimensions', input.Dimensions);
  const start = toMillis(input.StartTime) ?? Number.NaN;
  const end = toMillis(input.EndTime) ?? Number.NaN;
  if (!Number.isFinite(start)) throw invalidValue('StartTime', input.StartTime);
  if (!Number.isFinite(end)) throw invalidValue('EndTime', input.EndTime);
  if (start >= end) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
  }
  if (!validPeriod(input.Period)) {
    throw invalidValue('Period', input.Period, 'Valid values are 1, 5, 10, 30, 60, and any multiple of 60.');
  }
  const statistics = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if (statistics.length === 0 && extended.length === 0) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      'Must specify either Statistics or ExtendedStatistics',
    );
  }
  if (statistics.length > 5) throw invalidValue('Statistics', statistics, 'At most 5 statistics.');
  if (extended.length > 10) throw invalidValue('ExtendedStatistics', extended, 'At most 10 statistics.');
  statistics.forEach((s, i) => {
    if (!(STATISTICS as readonly string[]).includes(s)) throw invalidValue(`Statistics.member.${i + 1}`, s);
  });
  extended.forEach((s, i) => {
    if (percentileOf(s) === undefined) throw invalidValue(`ExtendedStatistics.member.${i + 1}`, s);
  });
  if (input.Unit !== undefined && !UNITS.includes(input.Unit)) throw invalidValue('Unit', input.Unit);
  const starts = bucketStarts(start, end, input.Period);
  if (starts.length > MAX_DATAPOINTS) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      `You have requested up to ${starts.length.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  const first = starts[0] ?? start;
  const id: MetricId = { Namespace: input.Namespace, MetricName: input.MetricName, Dimensions: dimensions };
  const samples = store.samples(id, first, end, input.Unit);
  const datapoints: Datapoint[] = [];
  for (const [t, byUnit] of bucketize(samples, first, input.Period * 1000)) {
    for (const [unit, group] of byUnit) {
      const a = aggregate(group);
      const point: Datapoint = { Timestamp: new Date(t), Unit: unit as Datapoint['Unit'] };
      for (const s of statistics) point[s] = statistic(a, s);
      if (extended.length > 0) {
        const values: Record<string, number> = {};
        for (const name of extended) {
          const v = percentile(a, percentileOf(name) ?? 0);
          if (v !== undefined) values[name] = v;
        }
        point.ExtendedStatistics = values;
      }
      datapoints.push(point);
    }
  }
  return { Label: input.MetricName, Datapoints: datapoints };
}

const LIST_PAGE = 500;

/** ListMetrics: namespace, name and dimension filters, 500 a page (API_ListMetrics). */
export function listMetrics(store: MetricStore, input: ListMetricsInput): ListMetricsOutput {
  const filters: DimensionFilter[] = input.Dimensions ?? [];
  if (filters.length > 10) throw invalidValue('Dimensions', filters, 'At most 10 dimension filters.');
  const matches: { Namespace: string; MetricName: string; Dimensions: Dimension[] }[] = [];
  for (const series of store.all()) {
    if (input.Namespace && series.Namespace !== input.Namespace) continue;
    if (input.MetricName && series.MetricName !== input.MetricName) continue;
    const ok = filters.every((f) =>
      series.Dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
    );
    if (!ok) continue;
    if (input.RecentlyActive === 'PT3H') {
      const last = series.samples[series.samples.length - 1];
      if (!last || last.t < Date.now() - 3 * 3600_000) continue;
    }
    matches.push({
      Namespace: series.Namespace,
      MetricName: series.MetricName,
      Dimensions: series.Dimensions.map((d) => ({ ...d })),
    });
  }
  const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
  const page = matches.slice(offset, offset + LIST_PAGE);
  const next = offset + LIST_PAGE < matches.length ? encodeToken(offset + LIST_PAGE) : undefined;
  return { Metrics: page, ...(next ? { NextToken: next } : {}) };
}

export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64');
}

export function decodeToken(token: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // falls through
  }
  throw new CloudWatchError('InvalidNextToken', 'The service returned an invalid NextToken.');
}
