/**
 * Metrics Insights queries as alarms use them (one aggregated series): `SELECT FUNCTION(metric) FROM
 * namespace | SCHEMA("namespace", key, ...) [WHERE key = 'v' | key != 'v' | key IN ('a', ...) | key NOT IN
 * (...) [AND ...]]` with FUNCTION one of AVG, COUNT, MAX, MIN, SUM —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
 * SCHEMA keeps the metrics whose dimension names are exactly its keys; keywords are case-insensitive,
 * identifiers case-sensitive. GROUP BY, ORDER BY and LIMIT are refused here (not served locally).
 */
import type { Dimension } from '@aws-sdk/client-cloudwatch';
import { CloudWatchError } from './errors';
import type { Series as MathSeries } from './metric-math';
import { aggregate, type Sample } from './statistics';
import type { MetricStore } from './store';

type Condition =
  | { readonly key: string; readonly op: '=' | '!='; readonly value: string }
  | { readonly key: string; readonly op: 'IN' | 'NOT IN'; readonly values: readonly string[] };

/** A parsed Metrics Insights query. */
export interface InsightsQuery {
  readonly fn: 'AVG' | 'COUNT' | 'MAX' | 'MIN' | 'SUM';
  readonly metricName: string;
  readonly namespace: string;
  /** SCHEMA's dimension keys; undefined: FROM a namespace (any dimensions). */
  readonly schemaKeys?: readonly string[];
  readonly where: readonly Condition[];
}

/** Whether an expression is a Metrics Insights query rather than metric math. */
export function isInsightsQuery(expression: string): boolean {
  return /^\s*SELECT\s/i.test(expression);
}

function fail(id: string, detail: string): CloudWatchError {
  return new CloudWatchError('ValidationError', `Error in expression ${id}: ${detail}`);
}

const IDENT = String.raw`(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))`;
const STRING = String.raw`'((?:[^'\\]|\\.)*)'`;

function identifier(quoted: string | undefined, bare: string | undefined): string {
  return quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
}

/** Parses a query; throws a ValidationError naming the query id. */
export function parseInsights(id: string, text: string): InsightsQuery {
  const head = new RegExp(
    String.raw`^\s*SELECT\s+(AVG|COUNT|MAX|MIN|SUM)\s*\(\s*${IDENT}\s*\)\s+FROM\s+(?:SCHEMA\s*\(([^)]*)\)|${IDENT})\s*(.*)$`,
    'is',
  ).exec(text);
  if (!head) throw fail(id, 'not a query of the form SELECT FUNCTION(metric) FROM namespace | SCHEMA(...)');
  const [, fn, metricQuoted, metricBare, schema, nsQuoted, nsBare, rest = ''] = head;
  let namespace: string;
  let schemaKeys: string[] | undefined;
  if (schema !== undefined) {
    const args = [...schema.matchAll(new RegExp(`\\s*${IDENT}\\s*(?:,|$)`, 'g'))].map((m) =>
      identifier(m[1], m[2]),
    );
    if (args.length === 0 || args[0] === '') throw fail(id, 'SCHEMA needs the namespace first');
    namespace = args[0] ?? '';
    schemaKeys = args.slice(1);
  } else {
    namespace = identifier(nsQuoted, nsBare);
  }
  const where: Condition[] = [];
  const clause = rest.trim();
  if (clause !== '') {
    const whereMatch = /^WHERE\s+(.*)$/is.exec(clause);
    if (!whereMatch) throw fail(id, `${clause.split(/\s+/)[0]} is not served by the local CloudWatch`);
    for (const part of (whereMatch[1] ?? '').split(/\s+AND\s+/i)) {
      const eq = new RegExp(String.raw`^\s*${IDENT}\s*(=|!=|<>)\s*${STRING}\s*$`, 's').exec(part);
      if (eq) {
        const key = identifier(eq[1], eq[2]);
        where.push({ key, op: eq[3] === '=' ? '=' : '!=', value: (eq[4] ?? '').replace(/\\(.)/g, '$1') });
        continue;
      }
      const list = new RegExp(String.raw`^\s*${IDENT}\s+(NOT\s+IN|IN)\s*\(([^)]*)\)\s*$`, 'is').exec(part);
      if (!list) throw fail(id, `the condition "${part.trim()}" is not served by the local CloudWatch`);
      const values = [...(list[4] ?? '').matchAll(new RegExp(STRING, 'g'))].map((m) =>
        (m[1] ?? '').replace(/\\(.)/g, '$1'),
      );
      where.push({
        key: identifier(list[1], list[2]),
        op: /^NOT/i.test(list[3] ?? '') ? 'NOT IN' : 'IN',
        values,
      });
    }
  }
  return {
    fn: (fn ?? 'MAX').toUpperCase() as InsightsQuery['fn'],
    metricName: identifier(metricQuoted, metricBare),
    namespace,
    ...(schemaKeys === undefined ? {} : { schemaKeys }),
    where,
  };
}

function matches(query: InsightsQuery, dimensions: readonly Dimension[]): boolean {
  if (query.schemaKeys !== undefined) {
    const names = dimensions.map((d) => d.Name ?? '').sort();
    const keys = [...query.schemaKeys].sort();
    if (names.length !== keys.length || names.some((name, i) => name !== keys[i])) return false;
  }
  return query.where.every((condition) => {
    const value = dimensions.find((d) => d.Name === condition.key)?.Value;
    if (!('values' in condition)) {
      return condition.op === '=' ? value === condition.value : value !== condition.value;
    }
    const listed = value !== undefined && condition.values.includes(value);
    return condition.op === 'IN' ? listed : !listed;
  });
}

/**
 * The query's one series on `grid` (period starts, `periodMs` long): every observation of the matching
 * metrics in a period, aggregated by the function.
 */
export function insightsSeries(
  store: MetricStore,
  query: InsightsQuery,
  grid: readonly number[],
  periodMs: number,
): MathSeries {
  const series: MathSeries = new Map();
  const first = grid[0];
  if (first === undefined) return series;
  const end = (grid[grid.length - 1] ?? first) + periodMs;
  const buckets = new Map<number, Sample[]>();
  for (const metric of store.all()) {
    if (metric.Namespace !== query.namespace || metric.MetricName !== query.metricName) continue;
    if (!matches(query, metric.Dimensions)) continue;
    for (const s of store.samples(metric, first, end)) {
      const t = first + Math.floor((s.t - first) / periodMs) * periodMs;
      const list = buckets.get(t);
      if (list) list.push(s);
      else buckets.set(t, [s]);
    }
  }
  for (const t of [...buckets.keys()].sort((a, b) => a - b)) {
    const a = aggregate(buckets.get(t) ?? []);
    if (a.sampleCount === 0) continue;
    const value = {
      AVG: a.sum / a.sampleCount,
      COUNT: a.sampleCount,
      MAX: a.max,
      MIN: a.min,
      SUM: a.sum,
    }[query.fn];
    if (Number.isFinite(value)) series.set(t, value);
  }
  return series;
}
