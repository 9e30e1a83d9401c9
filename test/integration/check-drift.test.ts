/**
 * The scheduled drift check end to end on real parts: the registry on DynamoDB Local, the artifacts bucket on
 * s3rver, the local EventBridge, the baseline built by the training validator, capture files in the layout and
 * record format the local SageMaker Runtime writes, and Powertools' EMF output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CheckDriftDependencies, checkDrift } from '../../lambdas/check-drift/check';
import { windowFiles } from '../../lambdas/shared/capture';
import { DRIFT_DETECTED, driftDetectedDetailSchema } from '../../lambdas/shared/events';
import type { RuntimeMonitoringSettings } from '../../lambdas/shared/model-settings';
import type { DriftWindowReport } from '../../lambdas/shared/monitoring';
import { SeededRandom } from '../../lambdas/shared/random';
import { ModelRegistryClient, MonitoringWindows } from '../../lambdas/shared/registry';
import { createPowertools } from '../../lambdas/shared/runtime/powertools';
import { RunArtifacts, runArtifactKey } from '../../lambdas/shared/s3-layout';
import { bytesDataset } from '../../lambdas/validate-dataset';
import { baselineFromRows } from '../../lambdas/validate-dataset/drift-baseline';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { captureRecord } from '../../local/sagemaker/runtime/capture';
import { useRegistryTable } from '../support/dynamodb';

const REGION = 'us-east-1';
const BUCKET = 'artifacts';
const table = useRegistryTable();
const logger = new Logger({ logLevel: 'SILENT' });
const PLANS = ['basic', 'pro', 'team'];

let root: string;
let s3Server: LocalS3;
let s3: S3Client;
let bus: LocalEventBridge;
let events: EventBridgeClient;
let registry: ModelRegistryClient;
let windows: MonitoringWindows;

const defaults: RuntimeMonitoringSettings = {
  schedule: 'rate(1 hour)',
  minSamples: 200,
  driftShare: 0.5,
  criticalFeatures: [],
  correction: 'benjamini-hochberg',
  alpha: 0.05,
  consecutiveWindows: 2,
  cooldownSeconds: 86_400,
  qualityTolerance: 0.1,
};

function deps(metrics = createPowertools('check-drift').metrics): CheckDriftDependencies {
  return {
    registry,
    windows,
    s3,
    events,
    artifactsBucket: BUCKET,
    eventBusName: 'default',
    settings: { defaults },
    logger,
    metrics,
    settleSeconds: 0,
  };
}

/** Normal deviates (Box–Muller) from a fixed seed. */
function normals(seed: number): () => number {
  const random = new SeededRandom(seed, 3);
  return () => Math.sqrt(-2 * Math.log(random.nextOpen())) * Math.cos(2 * Math.PI * random.next());
}

/** Rows of (x1, x2, plan, label) from a fixed seed; x1 shifted by `shift`σ, plans skewed by `skew`. */
function rows(count: number, seed: number, shift = 0, skew = 0): { x1: number; x2: number; plan: string }[] {
  const normal = normals(seed);
  const random = new SeededRandom(seed, 4);
  return Array.from({ length: count }, () => {
    const u = random.next();
    const plan = u < 0.5 - skew ? 'basic' : u < 0.8 ? 'pro' : 'team';
    return { x1: 10 + 2 * (normal() + shift), x2: normal(), plan };
  });
}

/** Trains nothing: registers and deploys a version whose run has the validator's baseline and encoding. */
async function deployedModel(model: string, deployedAt: Date, baselineFormat?: number): Promise<void> {
  const runId = `${model}-0123456789abcdef`;
  const reference = rows(2000, 1).map((r, i) => `${r.x1},${r.x2},${r.plan},${i % 2}`);
  const { statistics, encoding } = await baselineFromRows({
    open: bytesDataset(`x1,x2,plan,label\n${reference.join('\n')}\n`),
    targetColumn: 'label',
    problemType: 'binary',
  });
  expect(encoding.features.map((f) => f.name)).toEqual(['x1', 'x2', 'plan']);
  await put(
    runArtifactKey(runId, RunArtifacts.baseline),
    JSON.stringify(
      baselineFormat === undefined ? statistics : { ...statistics, formatVersion: baselineFormat },
    ),
  );
  await put(runArtifactKey(runId, RunArtifacts.encoding), JSON.stringify(encoding));
  const clocked = new ModelRegistryClient({
    client: table.documentClient,
    tableName: table.tableName,
    clock: () => deployedAt,
  });
  const { version } = await clocked.registerVersion(model, {
    status: 'Approved',
    lineage: {
      dataset: {
        bucket: 'data',
        key: `datasets/${model}/d.csv`,
        versionId: 'v1',
        sha256: 'a'.repeat(64),
        rowCount: 2000,
      },
      trainingJobName: `train-${model}`,
      image: 'xgboost:1.7-1',
      hyperparameters: { objective: 'binary:logistic' },
      metrics: { 'validation:auc': 0.9 },
      artifactUri: `s3://${BUCKET}/runs/${runId}/model.tar.gz`,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
      runId,
    },
  });
  const deploymentId = `${model}-deploy-1`;
  await clocked.createDeployment({ deploymentId, model, version: version.version });
  await clocked.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
  await clocked.beginDeployment(deploymentId);
  await clocked.promoteDeployment(deploymentId, {
    endpointName: `${model}-endpoint`,
    endpointConfigName: `${model}-cfg-1`,
  });
  await clocked.releaseDeploymentLease(model, deploymentId);
}

async function put(key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function getText(key: string): Promise<string> {
  const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await output.Body?.transformToString('utf8')) ?? '';
}

let fileNumber = 0;
/** A capture file of requests of `perRequest` CSV rows each (category codes), as the endpoint captures them. */
async function captureFile(
  model: string,
  data: { x1: number; x2: number; plan: string }[],
  perRequest = 5,
  prediction: (row: number) => number = () => 0.5,
) {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perRequest) {
    const batch = data.slice(i, i + perRequest);
    lines.push(
      captureRecord({
        endpointName: `${model}-endpoint`,
        variantName: 'AllTraffic',
        config: {
          DestinationS3Uri: `s3://${BUCKET}/capture/${model}`,
          InitialSamplingPercentage: 100,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
        },
        input: {
          body: Buffer.from(batch.map((r) => `${r.x1},${r.x2},${PLANS.indexOf(r.plan)}`).join('\n')),
          contentType: 'text/csv',
        },
        output: {
          body: Buffer.from(batch.map((_, j) => String(prediction(i + j))).join('\n')),
          contentType: 'text/csv',
        },
        time: Date.now(),
      }),
    );
  }
  fileNumber++;
  const now = new Date();
  const hour = now.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  await put(
    `capture/${model}/${model}-endpoint/AllTraffic/${hour}/${String(fileNumber).padStart(4, '0')}.jsonl`,
    `${lines.join('\n')}\n`,
  );
}

/** A time strictly after every file written so far (s3rver's LastModified has whole milliseconds or seconds). */
async function tick(): Promise<string> {
  await sleep(1100);
  const time = new Date().toISOString();
  await sleep(1100);
  return time;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'check-drift-'));
  s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: [BUCKET] });
  s3 = new S3Client(localS3ClientConfig(s3Server.endpoint, REGION));
  bus = await startLocalEventBridge({ account: '123456789012', region: REGION });
  events = new EventBridgeClient({
    region: REGION,
    endpoint: bus.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const options = { client: table.documentClient, tableName: table.tableName };
  registry = new ModelRegistryClient(options);
  windows = new MonitoringWindows(options);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  events?.destroy();
  await bus?.stop();
  await s3Server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('checkDrift', () => {
  it('checks windows in turn: baseline-like traffic, hostile lines counted, a shift flagged once, late files in the next window', async () => {
    const model = 'churn';
    await deployedModel(model, new Date(Date.now() - 3_600_000));

    // Window 1: 600 baseline-like rows in two files, plus a file of hostile lines.
    await captureFile(model, rows(300, 11));
    await captureFile(model, rows(300, 12));
    await put(
      `capture/${model}/${model}-endpoint/AllTraffic/2031/01/01/00/hostile.jsonl`,
      [
        '{"captureData": {',
        JSON.stringify({
          captureData: {
            endpointInput: {
              observedContentType: 'text/csv',
              mode: 'INPUT',
              data: '1,2\nabc,1,0\n',
              encoding: 'CSV',
            },
            endpointOutput: {
              observedContentType: 'text/csv',
              mode: 'OUTPUT',
              data: '0.1\n0.2',
              encoding: 'CSV',
            },
          },
          eventMetadata: { eventId: 'e', inferenceTime: '2031-01-01T00:00:00Z' },
        }),
        '',
      ].join('\n'),
    );
    const t1 = await tick();
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const first = await checkDrift({ models: '*', time: t1 }, deps());
    expect(first.models).toEqual([
      expect.objectContaining({ model, status: 'checked', verdict: 'NoDrift', rows: 600 }),
    ]);
    const w1 = first.models[0] as { windowId: string; reportKey: string };
    const report = JSON.parse(await getText(w1.reportKey)) as DriftWindowReport;
    expect(report.capture).toMatchObject({ files: 3, records: 121, requestRows: 602, rows: 600 });
    expect(report.capture.problems.counts).toEqual({
      'malformed-record': 1,
      'wrong-column-count': 1,
      'not-a-number': 1,
    });
    expect(report.drift.features.map((f) => [f.name, f.drifted])).toEqual([
      ['x1', false],
      ['x2', false],
      ['plan', false],
    ]);
    const html = await getText(w1.reportKey.replace('report.json', 'report.html'));
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    // Metrics: per model and per feature, EMF on stdout.
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf.find((m) => 'DriftShare' in m)).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'ServerlessMlops',
            Dimensions: [['model']],
            Metrics: [{ Name: 'DriftShare', Unit: 'None' }],
          },
        ],
      },
      model,
      DriftShare: 0,
    });
    expect(emf.find((m) => 'RowsChecked' in m)).toMatchObject({ model, RowsChecked: 600 });
    expect(emf.filter((m) => 'FeatureDriftScore' in m).map((m) => m.Feature)).toEqual(['x1', 'x2', 'plan']);

    // Window 2: x1 shifted by 0.5σ and plans skewed in 400 rows.
    await captureFile(model, rows(400, 21, 0.5, 0.3));
    const t2 = await tick();
    // A file landing after the check's time belongs to the next window.
    const second = await checkDrift({ models: [model], time: t2 }, deps());
    await captureFile(model, rows(250, 31));
    expect(second.models).toEqual([
      expect.objectContaining({ status: 'checked', verdict: 'Drift', rows: 400 }),
    ]);
    const driftEvents = bus.events.filter((e) => e['detail-type'] === DRIFT_DETECTED);
    expect(driftEvents).toHaveLength(1);
    const detail = driftDetectedDetailSchema.parse(driftEvents[0]?.detail);
    expect(detail).toMatchObject({ model, version: 1, rows: 400, predictionDrift: false });
    expect(detail.driftedFeatures).toEqual(expect.arrayContaining(['x1', 'plan']));

    // The same schedule delivered again: the same window and verdict, one DriftChecked event, the event again.
    const again = await checkDrift({ models: [model], time: t2 }, deps());
    expect(again.models).toEqual([{ ...second.models[0], status: 'already-checked' }]);
    expect(bus.events.filter((e) => e['detail-type'] === DRIFT_DETECTED)).toHaveLength(2);

    // Window 3: the late file only.
    const t3 = await tick();
    const third = await checkDrift({ models: [model], time: t3 }, deps());
    expect(third.models).toEqual([expect.objectContaining({ verdict: 'NoDrift', rows: 250 })]);

    // Window 4: nothing captured: InsufficientData, recorded, the cursor moves on.
    const t4 = await tick();
    lines.length = 0;
    const fourth = await checkDrift({ models: [model], time: t4 }, deps());
    const emptyWindowMetrics = lines
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => Object.keys(JSON.parse(l)));
    expect(emptyWindowMetrics).toEqual([['_aws', 'model', 'RowsChecked']]);
    expect(fourth.models).toEqual([expect.objectContaining({ verdict: 'InsufficientData', rows: 0 })]);

    const recorded = await windows.recentWindows(model, 'drift', 10);
    expect(recorded.map((w) => w.verdict)).toEqual(['InsufficientData', 'NoDrift', 'Drift', 'NoDrift']);
    // Consecutive windows share their bounds: no gap, no overlap.
    for (let i = 0; i + 1 < recorded.length; i++) {
      expect(recorded[i]?.from).toBe(recorded[i + 1]?.until);
    }
    vi.restoreAllMocks();
    const audit = (await registry.listEvents(model, { limit: 100 })).items.filter(
      (e) => e.type === 'DriftChecked',
    );
    expect(audit).toHaveLength(4);
  }, 120_000);

  it('lists a window per endpoint and variant from its hour less the capture delay, by LastModified', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const hour = new Date().toISOString().slice(0, 13).replace(/[-T]/g, '/');
    const keys = [
      `capture/listing/ep-a/AllTraffic/${hour}/00-00-000-a.jsonl`,
      `capture/listing/ep-b/Canary/${hour}/00-00-000-b.jsonl`,
      'capture/listing/stray.jsonl',
      // Named for a first record years ago: beyond the capture delay, not listed.
      'capture/listing/ep-a/AllTraffic/2020/01/01/00/00-00-000-old.jsonl',
    ];
    for (const key of keys) await put(key, '\n');
    const until = await tick();
    const listed: string[] = [];
    for await (const key of windowFiles({ s3, artifactsBucket: BUCKET }, 'listing', before, until))
      listed.push(key);
    expect(listed.sort()).toEqual(keys.slice(0, 3).sort());
    const none: string[] = [];
    for await (const key of windowFiles(
      { s3, artifactsBucket: BUCKET },
      'listing',
      until,
      new Date().toISOString(),
    )) {
      none.push(key);
    }
    expect(none).toEqual([]);
  });

  it('skips models without a production deployment and reports a named one as not deployed', async () => {
    await registry.registerVersion('pending', {
      lineage: {
        dataset: {
          bucket: 'data',
          key: 'datasets/pending/d.csv',
          versionId: 'v1',
          sha256: 'b'.repeat(64),
          rowCount: 1,
        },
        trainingJobName: 'train-pending',
        image: 'xgboost:1.7-1',
        hyperparameters: {},
        metrics: {},
        artifactUri: `s3://${BUCKET}/runs/pending-0000000000000000/model.tar.gz`,
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:training:pending',
        runId: 'pending-0000000000000000',
      },
    });
    const time = new Date().toISOString();
    const all = await checkDrift({ models: '*', exclude: ['churn'], time }, deps());
    expect(all.models).toEqual([]);
    const named = await checkDrift({ models: ['pending'], time }, deps());
    expect(named.models).toEqual([expect.objectContaining({ model: 'pending', status: 'not-deployed' })]);
  });

  it('tests the served predictions against the prediction baseline: prediction drift alone is drift', async () => {
    const model = 'scored';
    await deployedModel(model, new Date(Date.now() - 3_600_000));
    const random = new SeededRandom(5, 6);
    const baseline = {
      formatVersion: 1,
      outputs: 1,
      reference: [Array.from({ length: 2000 }, () => random.next())],
    };
    await put(
      runArtifactKey(`${model}-0123456789abcdef`, RunArtifacts.predictionBaseline),
      JSON.stringify(baseline),
    );
    // Features as in training; the model now answers 0.8–1.0 where it answered uniformly.
    await captureFile(model, rows(400, 51), 5, (i) => 0.8 + ((i * 7919) % 1000) / 5000);
    const time = await tick();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await checkDrift({ models: [model], time }, deps());
    vi.restoreAllMocks();
    expect(result.models).toEqual([expect.objectContaining({ verdict: 'Drift', rows: 400 })]);
    const report = JSON.parse(
      await getText((result.models[0] as { reportKey: string }).reportKey),
    ) as DriftWindowReport;
    expect(report.capture).toMatchObject({ predictionBaseline: true, predictions: 400 });
    expect(report.drift.features.every((f) => !f.drifted)).toBe(true);
    expect(report.drift.prediction?.map((p) => [p.name, p.drifted])).toEqual([['prediction', true]]);
    expect(report.drift.reasons.some((r) => r.startsWith('prediction drift in prediction'))).toBe(true);
    const detail = driftDetectedDetailSchema.parse(
      bus.events.filter((e) => e['detail-type'] === DRIFT_DETECTED).at(-1)?.detail,
    );
    expect(detail).toMatchObject({ model, predictionDrift: true, driftedFeatures: [] });
  }, 60_000);

  it('says a model trained before baselines had reference samples cannot be checked, without failing or recording', async () => {
    await deployedModel('legacy', new Date(Date.now() - 3_600_000), 1);
    await captureFile('legacy', rows(300, 41));
    const time = await tick();
    const result = await checkDrift({ models: ['legacy'], time }, deps());
    expect(result.models).toEqual([
      {
        model: 'legacy',
        status: 'no-baseline',
        reason: expect.stringMatching(/^legacy v1: .*formatVersion 1.*retrain/),
      },
    ]);
    expect(await windows.cursor('legacy', 'drift')).toBeUndefined();
  }, 60_000);

  it('says which field of a damaged baseline is wrong, naming its key, without failing or recording', async () => {
    // Prepare: the baseline loses a feature's name
    await deployedModel('damaged', new Date(Date.now() - 3_600_000));
    const key = runArtifactKey('damaged-0123456789abcdef', RunArtifacts.baseline);
    const baseline = JSON.parse(await getText(key));
    delete baseline.features[1].name;
    await put(key, JSON.stringify(baseline));
    await captureFile('damaged', rows(300, 43));
    const time = await tick();

    // Act
    const result = await checkDrift({ models: ['damaged'], time }, deps());

    // Assess
    expect(result.models).toEqual([
      {
        model: 'damaged',
        status: 'no-baseline',
        reason: `damaged v1: s3://${BUCKET}/${key} is damaged: features.1.name: Invalid input: expected string, received undefined`,
      },
    ]);
    expect(await windows.cursor('damaged', 'drift')).toBeUndefined();
  }, 60_000);
});
