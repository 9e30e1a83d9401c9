import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { InvocationMetrics, SAGEMAKER_NAMESPACE } from '../../../../../local/sagemaker/runtime/metrics';

const SECOND = Date.UTC(2026, 10, 30, 14, 0, 0);

describe('invocation metrics, aggregated per second', () => {
  const published: { namespace: string; data: readonly MetricDatum[] }[] = [];
  let metrics: InvocationMetrics | undefined;
  afterEach(() => {
    metrics?.stop();
    published.length = 0;
  });

  const sample = (status: number, modelLatencyUs: number, time = SECOND + 100) => ({
    endpointName: 'penguins',
    variantName: 'AllTraffic',
    instanceCount: 2,
    status,
    modelLatencyUs,
    overheadLatencyUs: 50,
    time,
  });

  it('publishes value/count datums per metric, endpoint, variant and second', () => {
    metrics = new InvocationMetrics((namespace, data) => published.push({ namespace, data }), 60_000);
    metrics.record(sample(200, 1000));
    metrics.record(sample(200, 1000));
    metrics.record(sample(500, 3000));
    metrics.record(sample(400, 2000, SECOND + 1500));
    metrics.flush();
    expect(published).toHaveLength(1);
    expect(published[0]?.namespace).toBe(SAGEMAKER_NAMESPACE);
    const data = published[0]?.data ?? [];
    const find = (name: string, second: number) =>
      data.find((d) => d.MetricName === name && d.Timestamp?.getTime() === second);
    expect(find('Invocations', SECOND)).toEqual({
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'EndpointName', Value: 'penguins' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      Timestamp: new Date(SECOND),
      Unit: 'None',
      Values: [1],
      Counts: [3],
    });
    expect(find('Invocation5XXErrors', SECOND)).toMatchObject({ Values: [0, 1], Counts: [2, 1] });
    expect(find('Invocation4XXErrors', SECOND)).toMatchObject({ Values: [0], Counts: [3] });
    expect(find('Invocation4XXErrors', SECOND + 1000)).toMatchObject({ Values: [1], Counts: [1] });
    expect(find('InvocationsPerInstance', SECOND)).toMatchObject({ Values: [0.5], Counts: [3] });
    expect(find('ModelLatency', SECOND)).toMatchObject({
      Unit: 'Microseconds',
      Values: [1000, 3000],
      Counts: [2, 1],
    });
    expect(find('OverheadLatency', SECOND)).toMatchObject({
      Unit: 'Microseconds',
      Values: [50],
      Counts: [3],
    });
  });

  it('splits more than 150 distinct values over datums, and publishes no per-instance metric for serverless', () => {
    metrics = new InvocationMetrics((namespace, data) => published.push({ namespace, data }), 60_000);
    for (let i = 0; i < 200; i++) metrics.record({ ...sample(200, 1000 + i), instanceCount: undefined });
    metrics.flush();
    const data = published.flatMap((p) => p.data);
    const latency = data.filter((d) => d.MetricName === 'ModelLatency');
    expect(latency.map((d) => d.Values?.length)).toEqual([150, 50]);
    expect(data.some((d) => d.MetricName === 'InvocationsPerInstance')).toBe(false);
  });

  it('keeps the current second until it is over', () => {
    metrics = new InvocationMetrics((namespace, data) => published.push({ namespace, data }), 60_000);
    metrics.record(sample(200, 1000, SECOND + 2500));
    metrics.flush(Math.floor((SECOND + 2900) / 1000));
    expect(published).toHaveLength(0);
    metrics.flush(Math.floor((SECOND + 3000) / 1000));
    expect(published).toHaveLength(1);
  });
});
