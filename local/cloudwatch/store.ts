/**
 * Metrics in memory: one series per (namespace, metric name, dimension set), each a list of samples as
 * PutMetricData received them. Validation follows
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html (1,000 metrics a
 * request, 30 dimensions a metric, 150 values per Values array, values in ±2^360 and no NaN/±Infinity,
 * StorageResolution 1 or 60, time stamps up to two weeks back and two hours ahead) and the member
 * constraints of the SDK's model (names 1–255, dimension values 1–1024 characters, the StandardUnit enum).
 */
import type { Dimension, MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { CloudWatchError, invalidValue, missing } from './errors';
import type { Sample } from './statistics';

export const MAX_METRIC_DATA = 1000;
export const MAX_DIMENSIONS = 30;
export const MAX_VALUES = 150;
const VALUE_LIMIT = 2 ** 360;
const TWO_WEEKS_MS = 14 * 24 * 3600_000;
const TWO_HOURS_MS = 2 * 3600_000;
/** Samples older than CloudWatch's longest put window are dropped (the local store is for live alarms). */
const RETENTION_MS = TWO_WEEKS_MS + TWO_HOURS_MS;

/** StandardUnit, from the SDK's model (enums.d.ts). */
export const UNITS: readonly StandardUnit[] = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

/** A metric's identity as the API spells it. */
export interface MetricId {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly Dimension[];
}

export interface Series extends MetricId {
  readonly samples: Sample[];
}

/** Dimensions compare as sets: sorted by name for the key. */
export function seriesKey(namespace: string, name: string, dimensions: readonly Dimension[] = []): string {
  const dims = [...dimensions]
    .map((d) => [d.Name ?? '', d.Value ?? ''] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify([namespace, name, dims]);
}

/** Epoch ms from the wire (awsJson sends epoch seconds; ISO strings are accepted too) or a Date. */
export function toMillis(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const asNumber = Number(value);
    return Number.isFinite(asNumber) && value.trim() !== '' ? asNumber * 1000 : Date.parse(value);
  }
  return Number.NaN;
}

export class MetricStore {
  readonly #series = new Map<string, Series>();
  #puts = 0;

  /**
   * Validates a PutMetricData request as CloudWatch does, then stores it (all or nothing).
   * `internal` puts stand for AWS services publishing their own metrics (AWS/SageMaker, ...), which the
   * API refuses from callers: "You cannot specify a namespace that begins with 'AWS/'".
   */
  put(namespace: unknown, data: unknown, now: number, internal = false): void {
    const samples = validatePut(namespace, data, now, internal);
    for (const { key, id, sample } of samples) {
      let series = this.#series.get(key);
      if (!series) {
        series = { ...id, samples: [] };
        this.#series.set(key, series);
      }
      insertSorted(series.samples, sample);
    }
    if (++this.#puts % 1000 === 0) this.prune(now);
  }

  /** Throws what put would throw, storing nothing. */
  validate(namespace: unknown, data: unknown, now: number, internal = true): void {
    validatePut(namespace, data, now, internal);
  }

  get(namespace: string, name: string, dimensions: readonly Dimension[] = []): Series | undefined {
    return this.#series.get(seriesKey(namespace, name, dimensions));
  }

  all(): IterableIterator<Series> {
    return this.#series.values();
  }

  /** The samples of a series in [from, to) ms, optionally of one unit (samples are kept in time order). */
  samples(id: MetricId, from: number, to: number, unit?: string): readonly Sample[] {
    const series = this.get(id.Namespace, id.MetricName, id.Dimensions);
    if (!series) return [];
    const all = series.samples;
    const window = all.slice(lowerBound(all, from), lowerBound(all, to));
    return unit === undefined ? window : window.filter((s) => s.unit === unit);
  }

  prune(now: number): void {
    for (const series of this.#series.values()) {
      const old = lowerBound(series.samples, now - RETENTION_MS);
      if (old > 0) series.samples.splice(0, old);
    }
  }
}

/** The index of the first sample at or after `t`. */
function lowerBound(samples: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid] as Sample).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Appends in the common case (data arrives in time order), else inserts in place. */
function insertSorted(samples: Sample[], sample: Sample): void {
  const last = samples[samples.length - 1];
  if (!last || last.t <= sample.t) samples.push(sample);
  else samples.splice(lowerBound(samples, sample.t + 1), 0, sample);
}

function validatePut(
  namespace: unknown,
  data: unknown,
  now: number,
  internal: boolean,
): { key: string; id: MetricId; sample: Sample }[] {
  if (namespace === undefined || namespace === null) throw missing('Namespace');
  const ns = String(namespace);
  checkName('Namespace', ns, 255);
  if (!internal && ns.startsWith('AWS/')) {
    throw invalidValue('Namespace', ns, 'Namespaces beginning with "AWS/" are reserved for AWS services.');
  }
  if (data === undefined || data === null) throw missing('MetricData');
  if (!Array.isArray(data)) throw invalidValue('MetricData', data);
  if (data.length > MAX_METRIC_DATA) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The collection MetricData must not have a size greater than ${MAX_METRIC_DATA}.`,
    );
  }
  return data.map((raw: unknown, index) => {
    const path = `MetricData.member.${index + 1}`;
    const datum = (raw ?? {}) as MetricDatum;
    if (datum.MetricName === undefined || datum.MetricName === null) throw missing(`${path}.MetricName`);
    checkName(`${path}.MetricName`, datum.MetricName, 255);
    const dimensions = validateDimensions(`${path}.Dimensions`, datum.Dimensions);
    const unit = datum.Unit ?? 'None';
    if (!UNITS.includes(unit)) throw invalidValue(`${path}.Unit`, unit);
    if (
      datum.StorageResolution !== undefined &&
      datum.StorageResolution !== null &&
      datum.StorageResolution !== 1 &&
      datum.StorageResolution !== 60
    ) {
      throw invalidValue(`${path}.StorageResolution`, datum.StorageResolution);
    }
    const t = toMillis(datum.Timestamp) ?? now;
    if (!Number.isFinite(t)) throw invalidValue(`${path}.Timestamp`, datum.Timestamp);
    if (t < now - TWO_WEEKS_MS || t > now + TWO_HOURS_MS) {
      throw invalidValue(
        `${path}.Timestamp`,
        new Date(t).toISOString(),
        'Timestamps must be within the last two weeks and no more than two hours in the future.',
      );
    }
    const sample = { t, unit, ...measurement(path, datum) };
    const id: MetricId = { Namespace: ns, MetricName: datum.MetricName, Dimensions: dimensions };
    return { key: seriesKey(ns, datum.MetricName, dimensions), id, sample };
  });
}

function measurement(path: string, datum: MetricDatum): Omit<Sample, 't' | 'unit'> {
  const given = [
    datum.Value !== undefined && datum.Value !== null ? 'Value' : undefined,
    datum.StatisticValues ? 'StatisticValues' : undefined,
    datum.Values ? 'Values' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (given.length === 0) {
    throw new CloudWatchError(
      'InvalidParameterCombination',
      `At least one of the parameters ${path}.Value, ${path}.StatisticValues or ${path}.Values must be specified.`,
    );
  }
  if (given.length > 1) {
    // Value with Values is an invalid value, Value with StatisticValues an invalid combination: the codes and
    // wording AWS answers with (recorded in getmoto/moto's tests/test_cloudwatch, which replay them).
    const code =
      given[0] === 'Value' && given[1] === 'Values' ? 'InvalidParameterValue' : 'InvalidParameterCombination';
    throw new CloudWatchError(
      code,
      `The parameters ${path}.${given[0]} and ${path}.${given[1]} are mutually exclusive and you have specified both.`,
    );
  }
  if (datum.Value !== undefined && datum.Value !== null) {
    const v = checkValue(`${path}.Value`, datum.Value);
    return { sampleCount: 1, sum: v, min: v, max: v, values: [v], counts: [1] };
  }
  if (datum.StatisticValues) {
    const s = datum.StatisticValues;
    const field = (name: keyof typeof s): number => {
      const v = s[name];
      if (v === undefined || v === null) throw missing(`${path}.StatisticValues.${name}`);
      return checkValue(`${path}.StatisticValues.${name}`, v);
    };
    const sampleCount = field('SampleCount');
    const sum = field('Sum');
    const min = field('Minimum');
    const max = field('Maximum');
    if (sampleCount <= 0) throw invalidValue(`${path}.StatisticValues.SampleCount`, sampleCount);
    if (min > max) throw invalidValue(`${path}.StatisticValues.Minimum`, min);
    return { sampleCount, sum, min, max };
  }
  const values = datum.Values ?? [];
  if (values.length > MAX_VALUES) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The collection ${path}.Values must not have a size greater than ${MAX_VALUES}.`,
    );
  }
  const counts = datum.Counts ?? values.map(() => 1);
  if (counts.length !== values.length) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The parameters ${path}.Values and ${path}.Counts must be of the same size.`,
    );
  }
  for (const [i, v] of values.entries()) checkValue(`${path}.Values.member.${i + 1}`, v);
  counts.forEach((c, i) => {
    if (!Number.isFinite(c) || c < 0) throw invalidValue(`${path}.Counts.member.${i + 1}`, c);
  });
  let sampleCount = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  values.forEach((v, i) => {
    const c = counts[i] ?? 1;
    if (c === 0) return;
    sampleCount += c;
    sum += v * c;
    min = Math.min(min, v);
    max = Math.max(max, v);
  });
  if (sampleCount === 0) {
    throw invalidValue(`${path}.Values`, '[]', 'At least one value with a positive count is required.');
  }
  return { sampleCount, sum, min, max, values: [...values], counts: [...counts] };
}

function checkValue(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > VALUE_LIMIT) {
    throw invalidValue(path, value);
  }
  return value;
}

function checkName(path: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > max) {
    throw invalidValue(path, value, `It must be 1 to ${max} characters long.`);
  }
}

/** Dimensions of a datum or a query: at most 30, names 1–255 and values 1–1024 characters, names unique. */
export function validateDimensions(path: string, dimensions: unknown): Dimension[] {
  if (dimensions === undefined || dimensions === null) return [];
  if (!Array.isArray(dimensions)) throw invalidValue(path, dimensions);
  if (dimensions.length > MAX_DIMENSIONS) {
    throw new CloudWatchError(
      'InvalidParameterValue',
      `The collection ${path} must not have a size greater than ${MAX_DIMENSIONS}.`,
    );
  }
  const seen = new Set<string>();
  return dimensions.map((raw: unknown, i) => {
    const d = (raw ?? {}) as Dimension;
    const at = `${path}.member.${i + 1}`;
    if (d.Name === undefined || d.Name === null) throw missing(`${at}.Name`);
    if (d.Value === undefined || d.Value === null) throw missing(`${at}.Value`);
    checkName(`${at}.Name`, d.Name, 255);
    checkName(`${at}.Value`, d.Value, 1024);
    if (seen.has(d.Name)) {
      throw new CloudWatchError(
        'InvalidParameterValue',
        `No metric may have duplicate dimension names. The dimension ${d.Name} appears more than once in ${path}.`,
      );
    }
    seen.add(d.Name);
    return { Name: d.Name, Value: d.Value };
  });
}
