/**
 * MetricDataQuery evaluation, shared by GetMetricData and metric alarms —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * (500 queries a request, ids starting with a lowercase letter, MetricStat or Expression but not both,
 * 100,800 datapoints a page by default, ScanBy TimestampDescending by default).
 */
import type {
  GetMetricDataInput,
  GetMetricDataOutput,
  MetricDataQuery,
  MetricDataResult,
  MetricStat,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchError, invalidValue, missing } from './errors';
import { type InsightsQuery, insightsSeries, isInsightsQuery, parseInsights } from './insights';
import { evaluate, type MathValue, type Node, parse, references, type Series } from './metric-math';
import { bucketStarts, decodeToken, encodeToken, validPeriod } from './queries';
import { aggregate, percentileOf, type Sample, STATISTICS, statisticValue } from './statistics';
import { type MetricStore, toMillis, UNITS, validateDimensions } from './store';

export const MAX_QUERIES = 500;
export const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID = /^[a-z][a-zA-Z0-9_]*$/;

/** How period seconds map to real time: the API's own (scale 1), or an alarm's at the runtime's time scale. */
export interface TimeFrame {
  /** Period starts (ms) of a query of this period in the frame's range. */
  grid(periodS: number): number[];
  /** Real ms a period of `periodS` seconds lasts. */
  periodMs(periodS: number): number;
}

export interface CheckedQuery {
  readonly query: MetricDataQuery;
  readonly node?: Node;
  /** A Metrics Insights query (an Expression starting with SELECT) instead of metric math. */
  readonly insights?: InsightsQuery;
}

/** A statistic name MetricStat and alarms accept: the five standard ones or a percentile. */
export function validStat(stat: unknown): stat is string {
  return (
    typeof stat === 'string' &&
    ((STATISTICS as readonly string[]).includes(stat) || percentileOf(stat) !== undefined)
  );
}

/** Validates queries as CloudWatch does (ids, one of MetricStat/Expression, references, periods, stats). */
export function checkQueries(queries: unknown, path: string): CheckedQuery[] {
  if (queries === undefined || queries === null) throw missing(path);
  if (!Array.isArray(queries) || queries.length === 0) throw invalidValue(path, queries);
  if (queries.length > MAX_QUERIES) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The collection ${path} must not have a size greater than ${MAX_QUERIES}.`,
    );
  }
  const ids = new Set<string>();
  const checked = queries.map((raw: unknown, i): CheckedQuery => {
    const q = (raw ?? {}) as MetricDataQuery;
    const at = `${path}.member.${i + 1}`;
    if (!q.Id) throw missing(`${at}.Id`);
    if (!ID.test(q.Id) || q.Id.length > 255) {
      throw invalidValue(
        `${at}.Id`,
        q.Id,
        'The Id must start with a lowercase letter and contain only letters, numbers and underscores.',
      );
    }
    if (ids.has(q.Id)) {
      throw new CloudWatchError(
        'ValidationError',
        `The value ${q.Id} for field Id must be unique across all queries.`,
      );
    }
    ids.add(q.Id);
    if (q.MetricStat && q.Expression) {
      throw new CloudWatchError(
        'InvalidParameterCombination',
        `The parameters ${at}.MetricStat and ${at}.Expression are mutually exclusive and you have specified both.`,
      );
    }
    if (q.MetricStat) {
      checkMetricStat(q.MetricStat, `${at}.MetricStat`);
      return { query: q };
    }
    if (!q.Expression) {
      throw new CloudWatchError(
        'InvalidParameterCombination',
        `Exactly one of the parameters ${at}.MetricStat and ${at}.Expression must be specified.`,
      );
    }
    if (q.Expression.length > 2048) throw invalidValue(`${at}.Expression`, q.Expression);
    if (isInsightsQuery(q.Expression)) return { query: q, insights: parseInsights(q.Id, q.Expression) };
    return { query: q, node: parse(q.Id, q.Expression) };
  });
  for (const { query, node } of checked) {
    if (!node) continue;
    for (const ref of references(node)) {
      if (!ids.has(ref)) {
        throw new CloudWatchError(
          'ValidationError',
          `Error in expression ${query.Id}: Unrecognized metric id ${ref}`,
        );
      }
    }
  }
  return checked;
}

function checkMetricStat(stat: MetricStat, at: string): void {
  const metric = stat.Metric;
  if (!metric) throw missing(`${at}.Metric`);
  if (!metric.Namespace) throw missing(`${at}.Metric.Namespace`);
  if (!metric.MetricName) throw missing(`${at}.Metric.MetricName`);
  validateDimensions(`${at}.Metric.Dimensions`, metric.Dimensions);
  if (stat.Period === undefined || stat.Period === null) throw missing(`${at}.Period`);
  if (!validPeriod(stat.Period)) throw invalidValue(`${at}.Period`, stat.Period);
  if (!stat.Stat) throw missing(`${at}.Stat`);
  if (!validStat(stat.Stat)) throw invalidValue(`${at}.Stat`, stat.Stat);
  if (stat.Unit !== undefined && !UNITS.includes(stat.Unit)) throw invalidValue(`${at}.Unit`, stat.Unit);
}

/** One query's datapoints, and the sample count behind each (for percentile low-sample checks). */
export interface QueryResult {
  readonly series: Series;
  readonly sampleCounts: Map<number, number>;
}

/** The series of one MetricStat: one value per period that has data (the statistic's value). */
export function metricStatSeries(store: MetricStore, stat: MetricStat, frame: TimeFrame): QueryResult {
  const metric = stat.Metric ?? {};
  const period = stat.Period ?? 60;
  const grid = frame.grid(period);
  const periodMs = frame.periodMs(period);
  const first = grid[0];
  const series: Series = new Map();
  const sampleCounts = new Map<number, number>();
  if (first === undefined) return { series, sampleCounts };
  const last = (grid[grid.length - 1] ?? first) + periodMs;
  const samples = store.samples(
    {
      Namespace: metric.Namespace ?? '',
      MetricName: metric.MetricName ?? '',
      Dimensions: metric.Dimensions ?? [],
    },
    first,
    last,
    stat.Unit,
  );
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const t = first + Math.floor((s.t - first) / periodMs) * periodMs;
    const list = buckets.get(t);
    if (list) list.push(s);
    else buckets.set(t, [s]);
  }
  for (const t of [...buckets.keys()].sort((a, b) => a - b)) {
    const a = aggregate(buckets.get(t) ?? []);
    const v = statisticValue(a, stat.Stat ?? '');
    if (v === undefined || !Number.isFinite(v)) continue;
    series.set(t, v);
    sampleCounts.set(t, a.sampleCount);
  }
  return { series, sampleCounts };
}

/** Every query's series, expressions evaluated over the metrics they read (cycles are refused). */
export function runQueries(
  store: MetricStore,
  queries: readonly CheckedQuery[],
  frame: TimeFrame,
): Map<string, QueryResult> {
  const byId = new Map(queries.map((q) => [q.query.Id as string, q]));
  const results = new Map<string, QueryResult>();
  const running = new Set<string>();
  const gridPeriod = queries.find((q) => q.query.MetricStat)?.query.MetricStat?.Period ?? 60;
  const run = (id: string): QueryResult => {
    const done = results.get(id);
    if (done) return done;
    const q = byId.get(id);
    if (!q) throw new CloudWatchError('ValidationError', `Unrecognized metric id ${id}`);
    if (running.has(id))
      throw new CloudWatchError('ValidationError', `Error in expression ${id}: Circular dependency`);
    running.add(id);
    let result: QueryResult;
    if (q.query.MetricStat) {
      result = metricStatSeries(store, q.query.MetricStat, frame);
    } else if (q.insights) {
      const period = q.query.Period ?? gridPeriod;
      const series = insightsSeries(store, q.insights, frame.grid(period), frame.periodMs(period));
      result = { series, sampleCounts: new Map() };
    } else {
      const period = q.query.Period ?? gridPeriod;
      const value = evaluate(id, q.node as Node, frame.grid(period), (ref) => run(ref).series as MathValue);
      result = { series: asSeries(id, value, frame.grid(period)), sampleCounts: new Map() };
    }
    running.delete(id);
    results.set(id, result);
    return result;
  };
  for (const q of queries) run(q.query.Id as string);
  return results;
}

function asSeries(id: string, value: MathValue, grid: readonly number[]): Series {
  if (value instanceof Map) return value;
  if (typeof value === 'number') return new Map(grid.map((t) => [t, value]));
  throw new CloudWatchError(
    'ValidationError',
    `Error in expression ${id}: The expression must return a single time series`,
  );
}

/** GetMetricData: results per returned query, sorted by ScanBy, paged by MaxDatapoints. */
export function getMetricData(store: MetricStore, input: GetMetricDataInput): GetMetricDataOutput {
  const queries = checkQueries(input.MetricDataQueries, 'MetricDataQueries');
  const start = toMillis(input.StartTime);
  const end = toMillis(input.EndTime);
  if (start === undefined) throw missing('StartTime');
  if (end === undefined) throw missing('EndTime');
  if (!Number.isFinite(start)) throw invalidValue('StartTime', input.StartTime);
  if (!Number.isFinite(end)) throw invalidValue('EndTime', input.EndTime);
  if (start >= end) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
  }
  const scanBy = input.ScanBy ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending')
    throw invalidValue('ScanBy', scanBy);
  const max = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (!Number.isInteger(max) || max < 1) throw invalidValue('MaxDatapoints', max);
  const frame: TimeFrame = { grid: (p) => bucketStarts(start, end, p), periodMs: (p) => p * 1000 };
  const results = runQueries(store, queries, frame);
  const all = queries
    .filter((q) => q.query.ReturnData !== false)
    .map((q) => {
      const id = q.query.Id as string;
      const points = [...(results.get(id)?.series ?? new Map<number, number>())].sort((a, b) =>
        scanBy === 'TimestampAscending' ? a[0] - b[0] : b[0] - a[0],
      );
      const label = q.query.Label ?? q.query.MetricStat?.Metric?.MetricName ?? id;
      return { id, label, points };
    });
  // A page holds at most MaxDatapoints datapoints across results; the token is how many were already sent.
  let skip = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
  let room = max;
  let remaining = false;
  const page: MetricDataResult[] = all.map(({ id, label, points }) => {
    const from = Math.min(skip, points.length);
    skip -= from;
    const taken = points.slice(from, from + room);
    room -= taken.length;
    const complete = from + taken.length >= points.length;
    if (!complete) remaining = true;
    return {
      Id: id,
      Label: label,
      Timestamps: taken.map(([t]) => new Date(t)),
      Values: taken.map(([, v]) => v),
      StatusCode: complete ? 'Complete' : 'PartialData',
      Messages: [],
    };
  });
  const sent = (input.NextToken === undefined ? 0 : decodeToken(input.NextToken)) + (max - room);
  return { MetricDataResults: page, Messages: [], ...(remaining ? { NextToken: encodeToken(sent) } : {}) };
}
