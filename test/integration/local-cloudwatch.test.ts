import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../local/cloudwatch';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const MINUTE = 60_000;

describe('local CloudWatch metrics over the real SDK client', () => {
  let cloudwatch: LocalCloudWatch;
  let client: CloudWatchClient;

  beforeAll(async () => {
    cloudwatch = await startLocalCloudWatch({ region: REGION, account: ACCOUNT });
    client = new CloudWatchClient({
      region: REGION,
      endpoint: cloudwatch.endpoint,
      credentials: CREDENTIALS,
    });
  });

  afterAll(async () => {
    client.destroy();
    await cloudwatch.stop();
  });

  it('aggregates Value, Values/Counts and StatisticValues per period with percentiles', async () => {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE;
    const dims = [
      { Name: 'EndpointName', Value: 'penguins' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'Local/Test',
        MetricData: [
          {
            MetricName: 'Latency',
            Dimensions: dims,
            Value: 10,
            Unit: 'Milliseconds',
            Timestamp: new Date(minute + 1000),
          },
          {
            MetricName: 'Latency',
            // Same dimensions in another order: the same metric.
            Dimensions: [...dims].reverse(),
            Values: [20, 30, 100],
            Counts: [2, 6, 1],
            Unit: 'Milliseconds',
            Timestamp: new Date(minute + 2000),
          },
          {
            MetricName: 'Latency',
            Dimensions: dims,
            StatisticValues: { SampleCount: 2, Sum: 8, Minimum: 4, Maximum: 4 },
            Unit: 'Milliseconds',
            Timestamp: new Date(minute + MINUTE + 5000),
          },
        ],
      }),
    );
    const { Datapoints = [], Label } = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Local/Test',
        MetricName: 'Latency',
        Dimensions: dims,
        StartTime: new Date(minute),
        EndTime: new Date(minute + 2 * MINUTE),
        Period: 60,
        Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'],
        ExtendedStatistics: ['p50', 'p99'],
      }),
    );
    expect(Label).toBe('Latency');
    const sorted = [...Datapoints].sort(
      (a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0),
    );
    expect(sorted).toEqual([
      {
        Timestamp: new Date(minute),
        SampleCount: 10,
        Sum: 10 + 40 + 180 + 100,
        Average: 33,
        Minimum: 10,
        Maximum: 100,
        Unit: 'Milliseconds',
        ExtendedStatistics: { p50: 30, p99: 100 },
      },
      {
        Timestamp: new Date(minute + MINUTE),
        SampleCount: 2,
        Sum: 8,
        Average: 4,
        Minimum: 4,
        Maximum: 4,
        Unit: 'Milliseconds',
        // Min = Max and Sum = Min × SampleCount: usable for percentiles.
        ExtendedStatistics: { p50: 4, p99: 4 },
      },
    ]);
    const other = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Local/Test',
        MetricName: 'Latency',
        Dimensions: dims,
        StartTime: new Date(minute),
        EndTime: new Date(minute + 2 * MINUTE),
        Period: 120,
        Statistics: ['Sum'],
        Unit: 'Seconds',
      }),
    );
    expect(other.Datapoints).toEqual([]);
  });

  it('lists metrics by namespace and dimension filter', async () => {
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'Local/List',
        MetricData: [
          { MetricName: 'A', Dimensions: [{ Name: 'Model', Value: 'm1' }], Value: 1 },
          { MetricName: 'A', Dimensions: [{ Name: 'Model', Value: 'm2' }], Value: 1 },
          { MetricName: 'B', Value: 1 },
        ],
      }),
    );
    const all = await client.send(new ListMetricsCommand({ Namespace: 'Local/List' }));
    expect(all.Metrics).toHaveLength(3);
    const m1 = await client.send(
      new ListMetricsCommand({ Namespace: 'Local/List', Dimensions: [{ Name: 'Model', Value: 'm1' }] }),
    );
    expect(m1.Metrics).toEqual([
      { Namespace: 'Local/List', MetricName: 'A', Dimensions: [{ Name: 'Model', Value: 'm1' }] },
    ]);
  });

  it('refuses what CloudWatch refuses, with its error codes', async () => {
    const put = (data: object[], namespace = 'Local/Test') =>
      client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data as never }));
    const tooMany = Array.from({ length: 1001 }, () => ({ MetricName: 'X', Value: 1 }));
    const error = await put(tooMany).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    expect((error as { Error?: unknown }).Error).toMatchObject({ Code: 'InvalidParameterValue' });
    expect((error as Error).message).toBe(
      'The collection MetricData must not have a size greater than 1000.',
    );
    await expect(put([{ MetricName: 'X', Value: 1 }], 'AWS/SageMaker')).rejects.toBeInstanceOf(
      InvalidParameterValueException,
    );
    await expect(
      put([
        {
          MetricName: 'X',
          Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })),
          Value: 1,
        },
      ]),
    ).rejects.toThrow('must not have a size greater than 30');
    await expect(
      put([
        { MetricName: 'X', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } },
      ]),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(put([{ MetricName: 'X', Values: [1, 2], Counts: [1] }])).rejects.toThrow(
      'must be of the same size',
    );
    await expect(put([{ MetricName: 'X', Value: 1, StorageResolution: 5 }])).rejects.toBeInstanceOf(
      InvalidParameterValueException,
    );
    const tooLong = await client
      .send(
        new GetMetricStatisticsCommand({
          Namespace: 'Local/Test',
          MetricName: 'Latency',
          StartTime: new Date(Date.now() - 2 * 24 * 3600_000),
          EndTime: new Date(),
          Period: 60,
          Statistics: ['Sum'],
        }),
      )
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(InvalidParameterCombinationException);
    expect((tooLong as Error).message).toMatch(
      /^You have requested up to 2,88\d datapoints, which exceeds the limit of 1,440/,
    );
  });

  it('takes AWS/ namespaces in-process, as the services publishing them', async () => {
    cloudwatch.putMetricData('AWS/SageMaker', [
      {
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'EndpointName', Value: 'e' }],
        Value: 3,
        Unit: 'None',
      },
    ]);
    const { Datapoints } = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'EndpointName', Value: 'e' }],
        StartTime: new Date(Date.now() - 2 * MINUTE),
        EndTime: new Date(Date.now() + MINUTE),
        Period: 300,
        Statistics: ['Sum'],
      }),
    );
    expect(Datapoints?.map((d) => d.Sum)).toEqual([3]);
    expect(() => cloudwatch.putMetricData('Local/Test', [{ MetricName: 'X', Value: Number.NaN }])).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValueException' }),
    );
  });
});
