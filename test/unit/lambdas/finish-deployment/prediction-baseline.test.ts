/**
 * The prediction baseline made after a promotion, on real parts: a model trained by the local trainer's
 * GBDT, served by the local SageMaker hosting and Runtime (real-time, with data capture), the run's
 * validation split and the baseline in s3rver.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordPredictionBaseline,
  sampleValidationRows,
} from '../../../../lambdas/finish-deployment/prediction-baseline';
import { CaptureParser, INTERNAL_INFERENCE_ID_PREFIX } from '../../../../lambdas/shared/capture';
import type { PredictionBaseline } from '../../../../lambdas/shared/drift';
import type { ModelVersion } from '../../../../lambdas/shared/registry';
import { RunArtifacts, runArtifactKey, splitFile } from '../../../../lambdas/shared/s3-layout';
import { type LocalS3, startLocalS3 } from '../../../../local/aws/s3';
import { localS3ClientConfig } from '../../../../local/aws/s3-client';
import { type LocalSageMakerRuntime, startLocalSageMakerRuntime } from '../../../../local/sagemaker/runtime';
import { type LocalSageMaker, startLocalSageMaker } from '../../../../local/sagemaker/server';
import { builtInXgboostTrainer } from '../../../../local/trainers/built-in';
import { fitModel } from '../../../../local/trainers/xgboost/gbdt';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ENDPOINT = 'mlops-test-churn';
const RUN = 'churn-0123456789abcdef';
const logger = new Logger({ logLevel: 'SILENT' });

let root: string;
let s3Server: LocalS3;
let s3: S3Client;
let sagemaker: LocalSageMaker;
let runtimeServer: LocalSageMakerRuntime;
let runtime: SageMakerRuntimeClient;

/** Validation rows in the XGBoost CSV the split has: label first, then two features. */
const validation = Array.from({ length: 1500 }, (_, i) => `${i % 8 > 3 ? 1 : 0},${i % 8},${i}`);

function version(): ModelVersion {
  return {
    model: 'churn',
    version: 1,
    status: 'Approved',
    statusChangedAt: '2026-11-30T14:00:00.000Z',
    statusChangedBy: 'test',
    createdAt: '2026-11-30T14:00:00.000Z',
    lineage: {
      dataset: {
        bucket: 'data',
        key: 'datasets/churn/d.csv',
        versionId: 'v1',
        sha256: 'a'.repeat(64),
        rowCount: 7500,
      },
      trainingJobName: 'train',
      image: XGBOOST,
      hyperparameters: { objective: 'binary:logistic' },
      metrics: { 'validation:auc': 0.9 },
      artifactUri: `s3://artifacts/runs/${RUN}/model.tar.gz`,
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:training:x',
      runId: RUN,
    },
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'prediction-baseline-'));
  s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: ['artifacts'] });
  const s3Config = localS3ClientConfig(s3Server.endpoint, REGION, CREDENTIALS);
  s3 = new S3Client(s3Config);
  sagemaker = await startLocalSageMaker({
    workDir: join(root, 'sagemaker'),
    s3: s3Config,
    trainers: [builtInXgboostTrainer()],
    hostingDelays: { provisionMs: 50, deleteMs: 10 },
  });
  runtimeServer = await startLocalSageMakerRuntime({
    hosting: sagemaker.hosting,
    s3,
    account: ACCOUNT,
    region: REGION,
    workDir: join(root, 'runtime'),
  });
  runtime = new SageMakerRuntimeClient({
    region: REGION,
    endpoint: runtimeServer.endpoint,
    credentials: CREDENTIALS,
  });

  const dir = join(root, 'model');
  mkdirSync(dir, { recursive: true });
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 40; i++) {
    features.push([i % 8, Math.floor(i / 8)]);
    labels.push(i % 8 > 3 ? 1 : 0);
  }
  writeFileSync(
    join(dir, 'xgboost-model.json'),
    JSON.stringify(
      fitModel(features, labels, { objective: 'binary:logistic', numRound: 3, numClass: 1, maxDepth: 2 }),
    ),
  );
  const archive = join(root, 'model.tar.gz');
  await createTar({ gzip: true, cwd: dir, file: archive, portable: true }, ['xgboost-model.json']);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'artifacts',
      Key: `runs/${RUN}/model.tar.gz`,
      Body: readFileSync(archive),
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: 'artifacts',
      Key: runArtifactKey(RUN, splitFile('validation')),
      Body: `${validation.join('\n')}\n`,
    }),
  );
  const client = new SageMakerClient({
    region: REGION,
    endpoint: sagemaker.endpoint,
    credentials: CREDENTIALS,
  });
  await client.send(
    new CreateModelCommand({
      ModelName: `${ENDPOINT}-v1`,
      PrimaryContainer: { Image: XGBOOST, ModelDataUrl: `s3://artifacts/runs/${RUN}/model.tar.gz` },
      ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ModelRole`,
    }),
  );
  await client.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${ENDPOINT}-v1`,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: `${ENDPOINT}-v1`,
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 1,
        },
      ],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://artifacts/capture/churn',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
      },
    }),
  );
  await client.send(
    new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: `${ENDPOINT}-v1` }),
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { EndpointStatus } = await client.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    if (EndpointStatus === 'InService') break;
    if (Date.now() > deadline) throw new Error(`endpoint still ${EndpointStatus}`);
    await sleep(25);
  }
  client.destroy();
}, 60_000);

afterAll(async () => {
  runtime?.destroy();
  await runtimeServer?.stop();
  await sagemaker?.stop();
  s3?.destroy();
  await s3Server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('prediction baseline', () => {
  it('samples the validation split uniformly with a fixed seed, label cut off, in file order', async () => {
    const deps = { s3, artifactsBucket: 'artifacts' };
    const sample = await sampleValidationRows(deps, RUN, 300);
    expect(await sampleValidationRows(deps, RUN, 300)).toEqual(sample);
    // Rows are unique by their second feature (the row's index): a subset, in file order, no repeats.
    const indexes = sample.map((row) => Number(row.split(',')[1]));
    expect(sample).toEqual(indexes.map((i) => `${i % 8},${i}`));
    expect(indexes).toEqual([...new Set(indexes)].sort((a, b) => a - b));
    expect(indexes).toHaveLength(300);
    // Uniform: about as many from each half of the file (binomial(300, 1/2): sd ≈ 8.7, so ±35 is 4 sd).
    expect(Math.abs(indexes.filter((i) => i < 750).length - 150)).toBeLessThan(35);
    // A split no larger than the sample is taken whole.
    expect(await sampleValidationRows(deps, RUN, 5000)).toEqual(validation.map((l) => l.slice(2)));
  });

  it('predicts the validation rows through the endpoint once per run, as callers would, and marks the requests internal', async () => {
    const deps = { s3, runtime, artifactsBucket: 'artifacts', logger };
    const outcome = await recordPredictionBaseline(version(), ENDPOINT, deps);
    const key = runArtifactKey(RUN, RunArtifacts.predictionBaseline);
    expect(outcome).toEqual({ status: 'written', key, rows: 1500, outputs: 1 });
    const stored = JSON.parse(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: key }))
      ).Body?.transformToString()) ?? '',
    ) as PredictionBaseline;
    expect(stored.formatVersion).toBe(1);
    expect(stored.outputs).toBe(1);
    expect(stored.reference).toHaveLength(1);
    // The same numbers a caller gets for those rows.
    const direct = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: ENDPOINT,
        ContentType: 'text/csv',
        Body: new TextEncoder().encode(
          validation
            .slice(0, 8)
            .map((l) => l.slice(2))
            .join('\n'),
        ),
      }),
    );
    const answers = new TextDecoder().decode(direct.Body).trim().split(/[\n,]/).map(Number);
    expect(stored.reference[0]?.slice(0, 8)).toEqual(answers);

    expect(await recordPredictionBaseline(version(), ENDPOINT, deps)).toEqual({ status: 'exists', key });

    // Its requests were captured with the internal InferenceId, so the checks can skip them.
    await runtimeServer.flush();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'artifacts', Prefix: 'capture/churn/' }));
    const parser = new CaptureParser({
      features: [
        { name: 'a', type: 'numeric' },
        { name: 'b', type: 'numeric' },
      ],
      outputWidth: 1,
    });
    const ids: (string | undefined)[] = [];
    for (const object of listed.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: object.Key }));
      await parser.parseStream(body.Body as AsyncIterable<Uint8Array>, object.Key ?? '', (r) =>
        ids.push(r.inferenceId),
      );
    }
    const internal = ids.filter((id) => id?.startsWith(INTERNAL_INFERENCE_ID_PREFIX));
    expect(internal).toEqual([
      `${INTERNAL_INFERENCE_ID_PREFIX}prediction-baseline-0`,
      `${INTERNAL_INFERENCE_ID_PREFIX}prediction-baseline-1`,
    ]);
  }, 60_000);
});
