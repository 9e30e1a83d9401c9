/**
 * The invocation metrics SageMaker publishes per EndpointName and VariantName in AWS/SageMaker —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html:
 * - Invocations (None): 1 per InvokeEndpoint request the variant took (Sum, SampleCount);
 * - Invocation4XXErrors / Invocation5XXErrors (None): per request, 1 when the model answered 4xx / 5xx,
 *   else 0;
 * - InvocationsPerInstance (None): 1/instances per request (API_ScalingPolicyMetric); not for serverless
 *   variants, which have no instances (serverless-endpoints-monitoring.html lists what they publish);
 * - ModelLatency (Microseconds): the container's time to answer, as SageMaker sees it;
 * - OverheadLatency (Microseconds): the rest of the request's time in SageMaker.
 * Requests are aggregated per second into Values/Counts datums (raw values kept, so percentiles such as the
 * deployment's p99 ModelLatency alarm stay exact), at most 150 distinct values per datum as PutMetricData
 * allows — https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html.
 */
import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';

export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
/** PutMetricData: "the Values array can include as many as 150 unique values". */
const MAX_VALUES = 150;

/** One request, as the metrics see it. */
export interface InvocationSample {
  readonly endpointName: string;
  readonly variantName: string;
  /** The variant's instances; undefined for a serverless variant, which has none (and no per-instance metric). */
  readonly instanceCount: number | undefined;
  /** The container's HTTP status (undefined when the request never reached a container). */
  readonly status: number;
  readonly modelLatencyUs: number;
  readonly overheadLatencyUs: number;
  readonly time: number;
}

type Histogram = Map<number, number>;

interface Bucket {
  readonly endpointName: string;
  readonly variantName: string;
  readonly second: number;
  readonly metrics: Map<string, { readonly unit: StandardUnit; readonly values: Histogram }>;
}

/** Collects samples and hands their datums to `publish` once per second (and on flush). */
export class InvocationMetrics {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly publish: (namespace: string, data: readonly MetricDatum[]) => void,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.flush(Math.floor(Date.now() / 1000)), intervalMs);
    this.timer.unref();
  }

  record(sample: InvocationSample): void {
    const second = Math.floor(sample.time / 1000);
    const key = `${sample.endpointName}\u0000${sample.variantName}\u0000${second}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = {
        endpointName: sample.endpointName,
        variantName: sample.variantName,
        second,
        metrics: new Map(),
      };
      this.buckets.set(key, bucket);
    }
    const add = (name: string, unit: StandardUnit, value: number): void => {
      let metric = bucket.metrics.get(name);
      if (!metric) {
        metric = { unit, values: new Map() };
        bucket.metrics.set(name, metric);
      }
      metric.values.set(value, (metric.values.get(value) ?? 0) + 1);
    };
    add('Invocations', 'None', 1);
    if (sample.instanceCount !== undefined) {
      add('InvocationsPerInstance', 'None', 1 / Math.max(1, sample.instanceCount));
    }
    add('Invocation4XXErrors', 'None', sample.status >= 400 && sample.status < 500 ? 1 : 0);
    add('Invocation5XXErrors', 'None', sample.status >= 500 ? 1 : 0);
    add('ModelLatency', 'Microseconds', Math.round(sample.modelLatencyUs));
    add('OverheadLatency', 'Microseconds', Math.round(sample.overheadLatencyUs));
  }

  /** Publishes every bucket older than `beforeSecond` (all of them by default). */
  flush(beforeSecond = Number.POSITIVE_INFINITY): void {
    const data: MetricDatum[] = [];
    for (const [key, bucket] of this.buckets) {
      if (bucket.second >= beforeSecond) continue;
      this.buckets.delete(key);
      data.push(...datums(bucket));
    }
    if (data.length === 0) return;
    try {
      this.publish(SAGEMAKER_NAMESPACE, data);
    } catch {
      // A metric store refusing a datum must not break serving.
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

function datums(bucket: Bucket): MetricDatum[] {
  const dimensions = [
    { Name: 'EndpointName', Value: bucket.endpointName },
    { Name: 'VariantName', Value: bucket.variantName },
  ];
  const timestamp = new Date(bucket.second * 1000);
  const out: MetricDatum[] = [];
  for (const [name, { unit, values }] of bucket.metrics) {
    const entries = [...values.entries()];
    for (let i = 0; i < entries.length; i += MAX_VALUES) {
      const chunk = entries.slice(i, i + MAX_VALUES);
      out.push({
        MetricName: name,
        Dimensions: dimensions,
        Timestamp: timestamp,
        Unit: unit,
        Values: chunk.map(([value]) => value),
        Counts: chunk.map(([, count]) => count),
      });
    }
  }
  return out;
}
