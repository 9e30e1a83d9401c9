/**
 * InvokeEndpoint on the local SageMaker Runtime: `NODE_OPTIONS=--openssl-legacy-provider npx tsx bench/serving.ts [--requests N]`
 * (s3rver needs the flag, see local/aws/s3.ts; `npm run bench` passes it).
 * A penguins model (the sample dataset, the stack's default hyperparameters: 100 rounds of depth-6 trees,
 * multi:softprob over 3 species) behind a real-time endpoint of the local SageMaker; one client sends one
 * CSV row at a time through the SDK's SageMakerRuntimeClient: p50 and p99 latency (target p99 under 10 ms)
 * and throughput (target over 1,000 requests/s); then requests of 1,000 rows.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { create as createTar } from 'tar';
import { modelArtifactKey, s3Uri } from '../lambdas/shared/s3-layout';
import { startLocalS3 } from '../local/aws/s3';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../local/aws/s3-client';
import { startLocalSageMakerRuntime } from '../local/sagemaker/runtime';
import { startLocalSageMaker } from '../local/sagemaker/server';
import { fitModel } from '../local/trainers/xgboost/gbdt';

const REGION = 'us-east-1';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
/** Where a training run of the stack would have left the model. */
const MODEL_KEY = modelArtifactKey('penguins-0000000000000000', 'penguins-train');
const SAMPLE = join(__dirname, '..', 'samples', 'penguins', 'penguins.csv');

/** The sample as numbers: species is the label, island and sex become category indexes, blanks missing. */
function penguins(): { features: number[][]; labels: number[] } {
  const [, ...lines] = readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const categories = new Map<string, number>();
  const code = (column: number, value: string) => {
    const key = `${column}:${value}`;
    if (!categories.has(key))
      categories.set(key, [...categories.keys()].filter((k) => k.startsWith(`${column}:`)).length);
    return categories.get(key) as number;
  };
  const features: number[][] = [];
  const labels: number[] = [];
  for (const line of lines) {
    const [species = '', island = '', ...rest] = line.split(',');
    const sex = rest.pop() ?? '';
    labels.push(code(0, species));
    features.push([
      code(1, island),
      ...rest.map((v) => (v === '' ? Number.NaN : Number(v))),
      sex === '' ? Number.NaN : code(6, sex),
    ]);
  }
  return { features, labels };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string' } }, strict: false });
  const requests = Number(values.requests ?? 5000);
  const root = mkdtempSync(join(tmpdir(), 'bench-serving-'));
  const s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: ['artifacts'] });
  const s3Config = localS3ClientConfig(s3Server.endpoint, REGION);
  const s3 = new S3Client(s3Config);
  const sagemaker = await startLocalSageMaker({
    workDir: join(root, 'sagemaker'),
    s3: s3Config,
    trainers: [],
    hostingDelays: { provisionMs: 100 },
  });
  const runtime = await startLocalSageMakerRuntime({
    hosting: sagemaker.hosting,
    s3,
    account: '000000000000',
    region: REGION,
    workDir: join(root, 'runtime'),
    metrics: () => undefined,
  });
  const control = new SageMakerClient({
    region: REGION,
    endpoint: sagemaker.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const client = new SageMakerRuntimeClient({
    region: REGION,
    endpoint: runtime.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const data = penguins();
    const model = fitModel(data.features, data.labels, {
      objective: 'multi:softprob',
      numClass: 3,
      numRound: 100,
      maxDepth: 6,
    });
    const modelDir = join(root, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'xgboost-model.json'), JSON.stringify(model));
    await createTar({ gzip: true, cwd: modelDir, file: join(root, 'model.tar.gz') }, ['xgboost-model.json']);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: MODEL_KEY,
        Body: readFileSync(join(root, 'model.tar.gz')),
      }),
    );
    await control.send(
      new CreateModelCommand({
        ModelName: 'penguins-v1',
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: s3Uri('artifacts', MODEL_KEY) },
        ExecutionRoleArn: 'arn:aws:iam::000000000000:role/ModelRole',
      }),
    );
    await control.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'penguins-v1',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'penguins-v1',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    await control.send(
      new CreateEndpointCommand({ EndpointName: 'penguins', EndpointConfigName: 'penguins-v1' }),
    );
    while (
      (await control.send(new DescribeEndpointCommand({ EndpointName: 'penguins' }))).EndpointStatus !==
      'InService'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const csv = (rows: number) =>
      new TextEncoder().encode(
        Array.from({ length: rows }, (_, i) =>
          (data.features[i % data.features.length] ?? []).map((v) => (Number.isNaN(v) ? '' : v)).join(','),
        ).join('\n'),
      );
    const invoke = (body: Uint8Array) =>
      client.send(
        new InvokeEndpointCommand({
          EndpointName: 'penguins',
          ContentType: 'text/csv',
          Accept: 'text/csv',
          Body: body,
        }),
      );

    const one = csv(1);
    for (let i = 0; i < 500; i++) await invoke(one); // warm-up: the model load, the JIT, the keep-alive socket
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      await invoke(one);
      latencies.push(performance.now() - t);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const single = {
      bench: 'serving',
      request: '1 CSV row, sequential, one SDK client',
      requests,
      p50Ms: Number(percentile(latencies, 50).toFixed(3)),
      p99Ms: Number(percentile(latencies, 99).toFixed(3)),
      requestsPerSecond: Math.round(requests / seconds),
      target: 'p99 under 10 ms, over 1,000 requests/s',
    };
    console.log(
      `1-row InvokeEndpoint x ${requests}: p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ${single.requestsPerSecond} requests/s`,
    );
    console.log(`BENCH ${JSON.stringify(single)}`);

    const big = csv(1000);
    for (let i = 0; i < 5; i++) await invoke(big);
    const bigLatencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      const output = await invoke(big);
      bigLatencies.push(performance.now() - t);
      if (i === 0 && new TextDecoder().decode(output.Body).trim().split('\n').length !== 1000) {
        throw new Error('expected 1,000 predictions');
      }
    }
    bigLatencies.sort((a, b) => a - b);
    const thousand = {
      bench: 'serving',
      request: '1,000 CSV rows',
      requests: bigLatencies.length,
      p50Ms: Number(percentile(bigLatencies, 50).toFixed(2)),
      p99Ms: Number(percentile(bigLatencies, 99).toFixed(2)),
      rowsPerSecond: Math.round(1000 / (percentile(bigLatencies, 50) / 1000)),
    };
    console.log(
      `1,000-row InvokeEndpoint: p50 ${thousand.p50Ms} ms, p99 ${thousand.p99Ms} ms (${thousand.rowsPerSecond} rows/s)`,
    );
    console.log(`BENCH ${JSON.stringify(thousand)}`);
  } finally {
    client.destroy();
    control.destroy();
    await runtime.stop();
    await sagemaker.stop();
    s3.destroy();
    await s3Server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
