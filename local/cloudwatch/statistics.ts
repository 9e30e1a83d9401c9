/**
 * CloudWatch's statistics over the samples of one period. Definitions:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Percentiles
 */

/** What one PutMetricData datum leaves in a period: raw values (with counts) or a statistic set. */
export interface Sample {
  /** ms since the epoch. */
  readonly t: number;
  readonly unit: string;
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Raw values and how often each occurred; absent for a statistic set (no percentiles then). */
  readonly values?: readonly number[];
  readonly counts?: readonly number[];
}

/** The aggregate of a period's samples. */
export interface Aggregate {
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Sorted raw values with their counts, or undefined when some sample had none (percentiles unavailable). */
  readonly distribution: { readonly values: number[]; readonly counts: number[] } | undefined;
}

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

export function aggregate(samples: readonly Sample[]): Aggregate {
  let sampleCount = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let raw: [number, number][] | undefined = [];
  for (const s of samples) {
    sampleCount += s.sampleCount;
    sum += s.sum;
    min = Math.min(min, s.min);
    max = Math.max(max, s.max);
    if (raw === undefined) continue;
    if (s.values) {
      for (const [i, v] of s.values.entries()) raw.push([v, s.counts?.[i] ?? 1]);
    } else if (s.min === s.max && s.sum === s.min * s.sampleCount) {
      // "CloudWatch needs raw data points to calculate percentiles": a statistic set counts as raw data only
      // when Min = Max and Sum = Min × SampleCount (cloudwatch_concepts.html#Percentiles).
      raw.push([s.min, s.sampleCount]);
    } else {
      raw = undefined;
    }
  }
  let distribution: Aggregate['distribution'];
  if (raw) {
    raw.sort((a, b) => a[0] - b[0]);
    distribution = { values: raw.map((r) => r[0]), counts: raw.map((r) => r[1]) };
  }
  return { sampleCount, sum, min, max, distribution };
}

export function statistic(a: Aggregate, name: Statistic): number {
  switch (name) {
    case 'SampleCount':
      return a.sampleCount;
    case 'Sum':
      return a.sum;
    case 'Minimum':
      return a.min;
    case 'Maximum':
      return a.max;
    case 'Average':
      return a.sum / a.sampleCount;
  }
}

/** `p0.0`–`p100`: CloudWatch's percentile syntax (up to 10 decimals); others (tm, wm, ...) are not served. */
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/;

/** The percentile in 0..100 an extended statistic names, or undefined when it names none. */
export function percentileOf(name: string): number | undefined {
  return PERCENTILE.test(name) ? Number(name.slice(1)) : undefined;
}

/**
 * The pNN of a period, nearest-rank over the raw values (CloudWatch computes percentiles from the values it
 * holds; it documents no interpolation). Undefined when the period holds a statistic set it cannot use, or
 * a negative value ("percentile statistics are not available for metrics when any of the metric values are
 * negative numbers", cloudwatch_concepts.html#Percentiles).
 */
export function percentile(a: Aggregate, p: number): number | undefined {
  const d = a.distribution;
  if (d === undefined || a.sampleCount === 0 || (d.values[0] ?? 0) < 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * a.sampleCount));
  let seen = 0;
  for (let i = 0; i < d.values.length; i++) {
    seen += d.counts[i] ?? 0;
    if (seen >= rank) return d.values[i];
  }
  return d.values[d.values.length - 1];
}

/** A named statistic (standard or pNN) of a period. */
export function statisticValue(a: Aggregate, stat: string): number | undefined {
  if ((STATISTICS as readonly string[]).includes(stat)) return statistic(a, stat as Statistic);
  const p = percentileOf(stat);
  return p === undefined ? undefined : percentile(a, p);
}
