/**
 * The local CloudWatch's costs: PutMetricData through the SDK (sequential, one datum a call), in-process
 * putMetricData (what the local SageMaker Runtime calls), and one evaluation pass of the deployment's three
 * alarms per endpoint over an hour of per-second data. Prints `BENCH {json}` lines (see bench/index.ts).
 */
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { endpointAlarms } from '../lambdas/shared/endpoints/alarms';
import { alarmNames } from '../lambdas/shared/endpoints/naming';
import { startLocalCloudWatch } from '../local/cloudwatch';
import { AlarmBook } from '../local/cloudwatch/alarm-book';
import { MetricStore } from '../local/cloudwatch/store';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function print(figure: Record<string, unknown>, text: string): void {
  console.log(text);
  console.log(`BENCH ${JSON.stringify({ bench: 'cloudwatch', ...figure })}`);
}

function secondOfTraffic(endpoint: string, t: Date): MetricDatum[] {
  const Dimensions = [
    { Name: 'EndpointName', Value: endpoint },
    { Name: 'VariantName', Value: 'AllTraffic' },
  ];
  return [
    { MetricName: 'Invocations', Dimensions, Value: 100, Timestamp: t },
    { MetricName: 'Invocation4XXErrors', Dimensions, Values: [0], Counts: [100], Timestamp: t },
    { MetricName: 'Invocation5XXErrors', Dimensions, Values: [0], Counts: [100], Timestamp: t },
    {
      MetricName: 'ModelLatency',
      Dimensions,
      Values: [900, 1000, 1200, 5000],
      Counts: [40, 40, 19, 1],
      Unit: 'Microseconds',
      Timestamp: t,
    },
  ];
}

async function main(): Promise<void> {
  const cloudwatch = await startLocalCloudWatch({ region: REGION, account: ACCOUNT });
  const client = new CloudWatchClient({
    region: REGION,
    endpoint: cloudwatch.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const calls = 2000;
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      await client.send(
        new PutMetricDataCommand({ Namespace: 'Bench', MetricData: [{ MetricName: 'M', Value: i }] }),
      );
    }
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await client.send(
        new PutMetricDataCommand({ Namespace: 'Bench', MetricData: [{ MetricName: 'M', Value: i }] }),
      );
      latencies.push(performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const sdk = {
      path: 'PutMetricData via SDK',
      callsPerSecond: Math.round(calls / seconds),
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    };
    print(
      sdk,
      `PutMetricData via the SDK: ${sdk.callsPerSecond} calls/s, p50 ${sdk.p50Ms} ms, p99 ${sdk.p99Ms} ms`,
    );

    const batches = 20_000;
    const t1 = performance.now();
    for (let i = 0; i < batches; i++)
      cloudwatch.putMetricData('AWS/SageMaker', secondOfTraffic('bench', new Date()));
    const inProcess = {
      path: 'putMetricData in-process',
      datumsPerSecond: Math.round((batches * 4) / ((performance.now() - t1) / 1000)),
    };
    print(inProcess, `putMetricData in-process: ${inProcess.datumsPerSecond} datums/s`);
  } finally {
    client.destroy();
    await cloudwatch.stop();
  }

  // An hour of per-second data for 10 endpoints, their 30 alarms evaluated once.
  const store = new MetricStore();
  const now = Date.now();
  const endpoints = Array.from({ length: 10 }, (_, i) => `bench-${i}`);
  for (const endpoint of endpoints) {
    for (let s = 3600; s > 0; s--)
      store.put('AWS/SageMaker', secondOfTraffic(endpoint, new Date(now - s * 1000)), now, true);
  }
  const book = new AlarmBook({ region: REGION, account: ACCOUNT, timeScale: 1, store });
  for (const endpoint of endpoints) {
    for (const alarm of endpointAlarms({
      model: endpoint,
      endpointName: endpoint,
      variantName: 'AllTraffic',
      alarmNames: alarmNames(endpoint),
      alarms: { latencyP99Ms: 100, errorRatePercent: 5 },
    })) {
      book.put(alarm);
    }
  }
  book.stop();
  const passes = 50;
  const t2 = performance.now();
  for (let i = 0; i < passes; i++) book.evaluateAll();
  const pass = {
    path: 'alarm evaluation pass',
    alarms: 30,
    samplesPerMetric: 3600,
    msPerPass: Number(((performance.now() - t2) / passes).toFixed(2)),
  };
  print(pass, `one evaluation pass of 30 alarms over an hour of per-second data: ${pass.msPerPass} ms`);
}

void main();
