import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListMetricsCommand,
  type MetricDatum,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointAlarms } from '../../lambdas/shared/endpoints/alarms';
import { alarmNames } from '../../lambdas/shared/endpoints/naming';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../local/cloudwatch';
import { InvocationMetrics } from '../../local/sagemaker/runtime/metrics';

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
    const both = await put([{ MetricName: 'X', Value: 1, Values: [1] }]).catch((e: unknown) => e);
    expect(both).toBeInstanceOf(InvalidParameterValueException);
    expect((both as Error).message).toBe(
      'The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.',
    );
    await expect(put([{ MetricName: 'X', Value: Number.NaN }])).rejects.toThrow(
      'The value NaN for parameter MetricData.member.1.Value is invalid.',
    );
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

const ENDPOINT = 'mlops-penguins';
const VARIANT = 'AllTraffic';
const NAMES = alarmNames(ENDPOINT);
const DIMENSIONS = [
  { Name: 'EndpointName', Value: ENDPOINT },
  { Name: 'VariantName', Value: VARIANT },
];
/** A 60 s period lasts 100 ms. */
const TIME_SCALE = 600;

/** What SageMaker publishes for one second of traffic (monitoring-cloudwatch.html): per request 1/0 errors. */
function traffic(requests: number, errors5xx: number, latencyUs: number): MetricDatum[] {
  const ok = requests - errors5xx;
  const counts = (bad: number): MetricDatum['Values'] => (bad > 0 ? [1, 0] : [0]);
  const countsOf = (bad: number) => (bad > 0 ? [bad, requests - bad] : [requests]);
  return [
    { MetricName: 'Invocations', Dimensions: DIMENSIONS, Value: requests, Unit: 'None' },
    {
      MetricName: 'Invocation5XXErrors',
      Dimensions: DIMENSIONS,
      Values: counts(errors5xx),
      Counts: countsOf(errors5xx),
      Unit: 'None',
    },
    { MetricName: 'Invocation4XXErrors', Dimensions: DIMENSIONS, Value: 0, Unit: 'None' },
    {
      MetricName: 'ModelLatency',
      Dimensions: DIMENSIONS,
      Values: [latencyUs],
      Counts: [Math.max(ok, 1)],
      Unit: 'Microseconds',
    },
  ];
}

describe('local CloudWatch alarms: the deployment alarms evaluated at the time scale', () => {
  let root: string;
  let cloudwatch: LocalCloudWatch;
  let client: CloudWatchClient;
  const events: Record<string, unknown>[] = [];
  let profile: { requests: number; errors5xx: number; latencyUs: number } | undefined;
  let pump: NodeJS.Timeout;

  async function start(): Promise<void> {
    cloudwatch = await startLocalCloudWatch({
      region: REGION,
      account: ACCOUNT,
      timeScale: TIME_SCALE,
      // The traffic below is put every 20 ms, not once a second as the local SageMaker Runtime does.
      minAlarmPeriodMs: 0,
      workDir: join(root, 'cloudwatch'),
      onEvent: (event) => events.push(event),
    });
    client = new CloudWatchClient({
      region: REGION,
      endpoint: cloudwatch.endpoint,
      credentials: CREDENTIALS,
    });
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-cloudwatch-'));
    await start();
    // Traffic as SageMaker's metrics, every 20 ms (several datums per scaled period).
    pump = setInterval(() => {
      if (profile)
        cloudwatch.putMetricData(
          'AWS/SageMaker',
          traffic(profile.requests, profile.errors5xx, profile.latencyUs),
        );
    }, 20);
  });

  afterAll(async () => {
    clearInterval(pump);
    client.destroy();
    await cloudwatch.stop();
    rmSync(root, { recursive: true, force: true });
  });

  function until(name: string, state: string): Promise<void> {
    if (cloudwatch.alarmState(name) === state) return Promise.resolve();
    return new Promise((resolve) => {
      const off = cloudwatch.onAlarmChange((alarm, value) => {
        if (alarm === name && value === state) {
          off();
          resolve();
        }
      });
    });
  }

  it('creates the three alarms in INSUFFICIENT_DATA, then OK without traffic (missing data is notBreaching)', async () => {
    const requests = endpointAlarms({
      model: 'penguins',
      endpointName: ENDPOINT,
      variantName: VARIANT,
      alarmNames: NAMES,
      alarms: { latencyP99Ms: 100, errorRatePercent: 5 },
    });
    for (const request of requests) await client.send(new PutMetricAlarmCommand(request));
    const { MetricAlarms = [] } = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: ENDPOINT }));
    expect(MetricAlarms.map((a) => a.AlarmName)).toEqual([
      NAMES.invocation5xxErrors,
      NAMES.invocationErrorRate,
      NAMES.modelLatencyP99,
    ]);
    await Promise.all(Object.values(NAMES).map((name) => until(name, 'OK')));
    const ok = await client.send(new DescribeAlarmsCommand({ AlarmNames: [NAMES.invocation5xxErrors] }));
    expect(ok.MetricAlarms?.[0]).toMatchObject({
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${NAMES.invocation5xxErrors}`,
      StateValue: 'OK',
      StateReason:
        'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum',
      Dimensions: DIMENSIONS,
      Threshold: 0,
    });
    const first = events.find(
      (e) => (e.detail as { alarmName: string }).alarmName === NAMES.invocation5xxErrors,
    ) as Record<string, unknown>;
    expect(first).toMatchObject({
      version: '0',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      region: REGION,
      resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${NAMES.invocation5xxErrors}`],
      detail: {
        alarmName: NAMES.invocation5xxErrors,
        previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
        state: { value: 'OK' },
        configuration: {
          metrics: [
            {
              metricStat: {
                metric: {
                  dimensions: { EndpointName: ENDPOINT, VariantName: VARIANT },
                  name: 'Invocation5XXErrors',
                  namespace: 'AWS/SageMaker',
                },
                period: 60,
                stat: 'Sum',
              },
              returnData: true,
            },
          ],
        },
      },
    });
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((first.detail as { state: { timestamp: string } }).state.timestamp).toMatch(/\.\d{3}\+0000$/);
  });

  it('healthy traffic keeps every alarm OK', async () => {
    profile = { requests: 10, errors5xx: 0, latencyUs: 5_000 };
    // Several scaled periods of healthy traffic: the error-rate expression has values, and they are 0.
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (const name of Object.values(NAMES)) expect(cloudwatch.alarmState(name)).toBe('OK');
  });

  it('5xx errors put the 5xx and the error-rate alarms in ALARM, with reasons and events as CloudWatch gives them', async () => {
    profile = { requests: 10, errors5xx: 3, latencyUs: 5_000 };
    await Promise.all([until(NAMES.invocation5xxErrors, 'ALARM'), until(NAMES.invocationErrorRate, 'ALARM')]);
    const { MetricAlarms = [] } = await client.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }));
    const errorRate = MetricAlarms.find((a) => a.AlarmName === NAMES.invocationErrorRate);
    // A period the errors started in holds fewer failed requests: each listed value is above 5%.
    expect(errorRate?.StateReason).toMatch(
      /^Threshold Crossed: [23] out of the last 3 datapoints \[\d+\.\d+ \(\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\), \d+\.\d+ .*\] were greater than the threshold \(5\.0\) \(minimum 2 datapoints for OK -> ALARM transition\)\.$/,
    );
    expect(JSON.parse(errorRate?.StateReasonData ?? '{}')).toMatchObject({
      version: '1.0',
      period: 60,
      threshold: 5,
    });
    const alarmEvent = events.find(
      (e) =>
        (e.detail as { alarmName: string; state: { value: string } }).alarmName ===
          NAMES.invocationErrorRate && (e.detail as { state: { value: string } }).state.value === 'ALARM',
    );
    expect(alarmEvent?.detail).toMatchObject({
      previousState: { value: 'OK' },
      configuration: {
        metrics: expect.arrayContaining([
          {
            expression: '100 * (FILL(errors4xx, 0) + FILL(errors5xx, 0)) / invocations',
            id: 'errorRate',
            label: 'Invocation error rate (%)',
            returnData: true,
          },
          expect.objectContaining({ id: 'invocations', returnData: false }),
        ]),
      },
    });
    expect(cloudwatch.alarmState(NAMES.modelLatencyP99)).toBe('OK');
  });

  it('slow responses put the p99 latency alarm in ALARM (2 of 3 periods over the limit in µs)', async () => {
    profile = { requests: 10, errors5xx: 0, latencyUs: 250_000 };
    await until(NAMES.modelLatencyP99, 'ALARM');
    profile = { requests: 10, errors5xx: 0, latencyUs: 5_000 };
    await Promise.all(Object.values(NAMES).map((name) => until(name, 'OK')));
  });

  it('answers GetMetricData with the error-rate expression over what was put', async () => {
    const alarm = (await client.send(new DescribeAlarmsCommand({ AlarmNames: [NAMES.invocationErrorRate] })))
      .MetricAlarms?.[0];
    const { MetricDataResults = [] } = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: alarm?.Metrics ?? [],
        StartTime: new Date(Date.now() - 10 * MINUTE),
        EndTime: new Date(Date.now() + MINUTE),
      }),
    );
    expect(MetricDataResults.map((r) => r.Id)).toEqual(['errorRate']);
    const values = MetricDataResults[0]?.Values ?? [];
    // Traffic of this test file ran within the last minute or two: 0%, 30% and 0% of requests failed.
    expect(Math.max(...values)).toBeGreaterThan(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(30);
  });

  it('SetAlarmState changes the state until the next evaluation and refuses unknown alarms', async () => {
    profile = undefined;
    const changes: string[] = [];
    const off = cloudwatch.onAlarmChange((name, state) => {
      if (name === NAMES.invocation5xxErrors) changes.push(state);
    });
    await client.send(
      new SetAlarmStateCommand({
        AlarmName: NAMES.invocation5xxErrors,
        StateValue: 'ALARM',
        StateReason: 'testing',
      }),
    );
    expect(changes[0]).toBe('ALARM');
    await until(NAMES.invocation5xxErrors, 'OK');
    off();
    await expect(
      client.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'x' })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    expect(cloudwatch.alarmState(NAMES.invocation5xxErrors)).toBe('OK');
  });

  it('keeps alarms in alarms.json across a restart, and deletes them', async () => {
    client.destroy();
    await cloudwatch.stop();
    const saved = JSON.parse(readFileSync(join(root, 'cloudwatch', 'alarms.json'), 'utf8')) as {
      alarms: unknown[];
    };
    expect(saved.alarms).toHaveLength(3);
    await start();
    expect(cloudwatch.alarmState(NAMES.modelLatencyP99)).toBe('OK');
    // Unknown names are skipped; the others are deleted (API_DeleteAlarms).
    await client.send(new DeleteAlarmsCommand({ AlarmNames: [...Object.values(NAMES), 'nope'] }));
    const { MetricAlarms } = await client.send(new DescribeAlarmsCommand({}));
    expect(MetricAlarms).toEqual([]);
    expect(cloudwatch.alarmState(NAMES.modelLatencyP99)).toBeUndefined();
  });
});

describe("local CloudWatch alarms on the local SageMaker Runtime's metrics (published once a second)", () => {
  it('a failing variant puts the 5xx and error-rate alarms in ALARM; healthy traffic brings them back to OK', async () => {
    const cloudwatch = await startLocalCloudWatch({ region: REGION, account: ACCOUNT, timeScale: 60 });
    const client = new CloudWatchClient({
      region: REGION,
      endpoint: cloudwatch.endpoint,
      credentials: CREDENTIALS,
    });
    // As the app wires them: the runtime's per-second aggregates go to the in-process putMetricData.
    const metrics = new InvocationMetrics(
      (namespace, data) => cloudwatch.putMetricData(namespace, data),
      200,
    );
    let failing = true;
    const traffic = setInterval(() => {
      for (let i = 0; i < 5; i++) {
        metrics.record({
          endpointName: ENDPOINT,
          variantName: VARIANT,
          instanceCount: 1,
          status: failing && i < 2 ? 500 : 200,
          modelLatencyUs: 2_000,
          overheadLatencyUs: 100,
          time: Date.now(),
        });
      }
    }, 50);
    const reached = (name: string, state: string) =>
      new Promise<void>((resolve) => {
        if (cloudwatch.alarmState(name) === state) return resolve();
        const off = cloudwatch.onAlarmChange((alarm, value) => {
          if (alarm === name && value === state) {
            off();
            resolve();
          }
        });
      });
    try {
      for (const request of endpointAlarms({
        model: 'penguins',
        endpointName: ENDPOINT,
        variantName: VARIANT,
        alarmNames: NAMES,
        alarms: { latencyP99Ms: 100, errorRatePercent: 5 },
      })) {
        await client.send(new PutMetricAlarmCommand(request));
      }
      await Promise.all([
        reached(NAMES.invocation5xxErrors, 'ALARM'),
        reached(NAMES.invocationErrorRate, 'ALARM'),
      ]);
      expect(cloudwatch.alarmState(NAMES.modelLatencyP99)).toBe('OK');
      failing = false;
      await Promise.all([reached(NAMES.invocation5xxErrors, 'OK'), reached(NAMES.invocationErrorRate, 'OK')]);
    } finally {
      clearInterval(traffic);
      metrics.stop();
      client.destroy();
      await cloudwatch.stop();
    }
  });
});
