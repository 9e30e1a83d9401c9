/**
 * The embedded metric format: a log line that is a JSON object with `_aws: { Timestamp, CloudWatchMetrics:
 * [{ Namespace, Dimensions: [[name, ...], ...], Metrics: [{ Name, Unit?, StorageResolution? }] }] }` and, at
 * its root, the target members the directives name (dimension values as strings, metric values as a number
 * or an array of up to 100 numbers) — https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * Each dimension set of a directive makes one metric per metric definition (an empty set: no dimensions).
 * A line that is not a valid EMF document stays a log line (CloudWatch Logs keeps it, extracting nothing).
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CloudWatchError } from './errors';
import type { MetricStore } from './store';

const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_VALUES = 100;

interface Directive {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/** The metric data an EMF line carries, by namespace; undefined when the line is not a valid EMF document. */
export function parseEmf(line: string): Map<string, MetricDatum[]> | undefined {
  const text = line.trim();
  // Cheap refusal first: most log lines are not EMF.
  if (!text.startsWith('{') || !text.includes('"_aws"')) return undefined;
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const meta = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!meta || typeof meta !== 'object') return undefined;
  if (typeof meta.Timestamp !== 'number' || !Number.isFinite(meta.Timestamp)) return undefined;
  if (!Array.isArray(meta.CloudWatchMetrics)) return undefined;
  const timestamp = new Date(meta.Timestamp);
  const byNamespace = new Map<string, MetricDatum[]>();
  for (const raw of meta.CloudWatchMetrics as Directive[]) {
    if (!raw || typeof raw !== 'object') return undefined;
    const { Namespace: namespace, Dimensions: sets, Metrics: metrics } = raw;
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255) return undefined;
    if (!Array.isArray(sets) || !Array.isArray(metrics) || metrics.length > MAX_METRICS_PER_DIRECTIVE)
      return undefined;
    const data = byNamespace.get(namespace) ?? [];
    for (const set of sets as unknown[]) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS_PER_SET) return undefined;
      const dimensions = [];
      for (const name of set as unknown[]) {
        const value = typeof name === 'string' ? root[name] : undefined;
        if (typeof name !== 'string' || typeof value !== 'string') return undefined;
        dimensions.push({ Name: name, Value: value });
      }
      for (const definition of metrics as { Name?: unknown; Unit?: unknown; StorageResolution?: unknown }[]) {
        if (!definition || typeof definition.Name !== 'string') return undefined;
        const value = root[definition.Name];
        const values = Array.isArray(value) ? value : [value];
        if (
          values.length === 0 ||
          values.length > MAX_VALUES ||
          !values.every((v) => typeof v === 'number')
        ) {
          return undefined;
        }
        data.push({
          MetricName: definition.Name,
          ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
          Timestamp: timestamp,
          Values: values as number[],
          ...(typeof definition.Unit === 'string' ? { Unit: definition.Unit as MetricDatum['Unit'] } : {}),
          ...(typeof definition.StorageResolution === 'number'
            ? { StorageResolution: definition.StorageResolution }
            : {}),
        });
      }
    }
    byNamespace.set(namespace, data);
  }
  return byNamespace;
}

/** Stores an EMF line's metrics; false when the line is not EMF or its metrics do not validate. */
export function ingestEmf(store: MetricStore, line: string, now = Date.now()): boolean {
  const parsed = parseEmf(line);
  if (!parsed) return false;
  try {
    // Validate every namespace's data before storing any, so a line is taken whole or not at all.
    for (const [namespace, data] of parsed) store.validate(namespace, data, now);
    for (const [namespace, data] of parsed) if (data.length > 0) store.put(namespace, data, now, true);
  } catch (error) {
    if (error instanceof CloudWatchError) return false;
    throw error;
  }
  return true;
}
