/**
 * The web console's first page with a full registry: 50 models and 1,000 runs (each model with a registered
 * version) in DynamoDB Local, then the time to GET / (with and without the app's first build), /api/models
 * and the first page of /api/runs, and the three a browser asks for at once. Target: under 1 s.
 * Prints `BENCH {json}` lines (see bench/index.ts). `--models N --runs N` change the sizes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localTarget } from '../cli/target';
import { ModelRegistryClient } from '../lambdas/shared/registry';
import { datasetKey, modelArtifactKey, s3Uri } from '../lambdas/shared/s3-layout';
import { startDynamoDbLocal } from '../local/aws/dynamodb-local';
import { createTableInputFromTemplate } from '../local/aws/dynamodb-tables';
import { startConsoleServer } from '../local/console/server';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const TARGET_MS = 1000;
/** Writes in flight while seeding. */
const CONCURRENCY = 16;

async function registryTableInput(tableName: string) {
  const [{ App, Stack }, { Template }, kms, { ModelRegistry }] = await Promise.all([
    import('aws-cdk-lib'),
    import('aws-cdk-lib/assertions'),
    import('aws-cdk-lib/aws-kms'),
    import('../lib/constructs/model-registry'),
  ]);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ConsoleBench');
  new ModelRegistry(stack, 'Registry', { encryptionKey: new kms.Key(stack, 'Key') });
  const [table] = Object.entries(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
  if (table === undefined) throw new Error('the ModelRegistry construct has no table');
  const [logicalId, resource] = table;
  return createTableInputFromTemplate(
    logicalId,
    { Type: 'AWS::DynamoDB::Table', ...resource },
    { tableName },
  );
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

async function timed(url: string): Promise<{ ms: number; status: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  return { ms: Math.round(performance.now() - started), status: response.status, bytes: body.byteLength };
}

function print(figure: Record<string, unknown>, text: string): void {
  console.log(text);
  console.log(`BENCH ${JSON.stringify({ bench: 'console', ...figure })}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { models: { type: 'string', default: '50' }, runs: { type: 'string', default: '1000' } },
    allowPositionals: true,
    strict: false,
  });
  const models = Number(values.models);
  const runs = Number(values.runs);
  const tableName = `registry-${randomUUID()}`;
  const [local, input] = await Promise.all([startDynamoDbLocal(), registryTableInput(tableName)]);
  const dynamodb = new DynamoDBClient({ region: REGION, endpoint: local.endpoint, credentials: CREDENTIALS });
  try {
    await dynamodb.send(new CreateTableCommand(input.createTable));
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
    const registry = new ModelRegistryClient({ client: DynamoDBDocumentClient.from(dynamodb), tableName });

    const seeding = performance.now();
    const names = Array.from({ length: models }, (_, i) => `bench-model-${String(i).padStart(3, '0')}`);
    const runIds = Array.from({ length: runs }, (_, i) => ({
      model: names[i % models] as string,
      runId: `bench-run-${String(i).padStart(5, '0')}`,
      index: i,
    }));
    await inBatches(runIds, async ({ model, runId, index }) => {
      await registry.createRun({
        runId,
        model,
        dataset: { bucket: 'bench-data', key: datasetKey(model, `${index}.csv`) },
        step: 'ValidateDataset',
      });
      // The first run of each model registers its version; of the others, one in three fails.
      if (index < models) {
        const { version } = await registry.registerVersion(model, {
          status: 'Approved',
          lineage: {
            dataset: {
              bucket: 'bench-data',
              key: datasetKey(model, `${index}.csv`),
              versionId: 'null',
              sha256: createHash('sha256').update(runId).digest('hex'),
              rowCount: 1000,
            },
            trainingJobName: `train-${runId}`,
            image: 'xgboost',
            hyperparameters: { eval_metric: 'auc' },
            metrics: { 'validation:auc': 0.8 + (index % 20) / 100 },
            artifactUri: s3Uri('bench-artifacts', modelArtifactKey(runId, `train-${runId}`)),
            executionArn: `arn:aws:states:${REGION}:000000000000:execution:training:${runId}`,
            runId,
          },
        });
        await registry.updateRun(runId, {
          status: 'Succeeded',
          step: 'RegisterModel',
          version: version.version,
        });
      } else if (index % 3 === 0) {
        await registry.updateRun(runId, { status: 'Failed', step: 'TrainModel', error: 'Bench' });
      }
    });
    console.log(
      `Seeded ${models} models and ${runs} runs in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );

    const unused = 'http://127.0.0.1:9';
    const target = localTarget({
      formatVersion: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region: REGION,
      credentials: CREDENTIALS,
      endpoints: { s3: unused, dynamodb: local.endpoint, eventbridge: unused, sagemaker: unused },
      resources: {
        dataBucket: 'bench-data',
        artifactsBucket: 'bench-artifacts',
        registryTable: tableName,
        trainingStateMachine: `arn:aws:states:${REGION}:000000000000:stateMachine:training`,
      },
    });
    const server = await startConsoleServer({ target, stackName: 'ServerlessMlops', port: 0 });
    try {
      const cold = await timed(server.url);
      const pages = ['', 'api/models', 'api/runs', `api/runs?model=${names[0]}`];
      // Warm-up: the SDK's connections; then the median of several loads of each.
      for (const path of pages) await timed(server.url + path);
      const samples: Record<string, number[]> = {};
      const together: number[] = [];
      for (let round = 0; round < 7; round += 1) {
        for (const path of pages) {
          const result = await timed(server.url + path);
          if (result.status !== 200) throw new Error(`/${path} answered ${result.status}`);
          const list = samples[path] ?? [];
          list.push(result.ms);
          samples[path] = list;
        }
        const started = performance.now();
        await Promise.all(['', 'api/models', 'api/runs'].map((path) => timed(server.url + path)));
        together.push(Math.round(performance.now() - started));
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      print(
        { page: '/ (first, builds the app)', ms: cold.ms, models, runs },
        `GET / first (esbuild builds the app): ${cold.ms} ms`,
      );
      for (const path of pages) {
        const ms = median(samples[path] ?? []);
        print({ page: `/${path}`, ms, models, runs }, `GET /${path}: median ${ms} ms`);
      }
      const firstPage = median(together);
      print(
        {
          page: 'first page (/, /api/models, /api/runs at once)',
          ms: firstPage,
          targetMs: TARGET_MS,
          ok: firstPage < TARGET_MS,
          models,
          runs,
        },
        `First page (/, /api/models, /api/runs at once): median ${firstPage} ms (target < ${TARGET_MS} ms)`,
      );
    } finally {
      await server.stop();
      target.close();
    }
  } finally {
    dynamodb.destroy();
    await local.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
