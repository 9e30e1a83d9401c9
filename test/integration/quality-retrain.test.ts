/**
 * The quality check and the retrainer against real parts: DynamoDB Local (the registry), s3rver (data and
 * artifacts buckets), the local EventBridge, and capture records as the local SageMaker Runtime writes them.
 * Two windows of traffic whose predictions ignore the labels (AUC ≈ 0.5 against a registered 0.9) are Degraded;
 * the retrainer then writes the training dataset plus the new labeled rows, once, and releases its slot when the
 * retrain's run registers; a model whose drift holds without labels gets "no labeled data" instead.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQuality, type QualityReport } from '../../lambdas/check-quality/check';
import {
  considerRetrain,
  type RetrainDependencies,
  releaseOnExecutionEnded,
  releaseOnRegistered,
} from '../../lambdas/retrain/retrain';
import { parseDatasetContract } from '../../lambdas/shared/dataset-contract';
import type { RuntimeModelSettingsMap, RuntimeMonitoringSettings } from '../../lambdas/shared/model-settings';
import { ModelRegistryClient, MonitoringWindows, RetrainSlots } from '../../lambdas/shared/registry';
import { runForUpload } from '../../lambdas/shared/runs';
import { captureFileKey, captureFolder, capturePrefix } from '../../lambdas/shared/s3-layout';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { captureRecord } from '../../local/sagemaker/runtime/capture';
import { useRegistryTable } from '../support/dynamodb';

const REGION = 'us-east-1';
const DATA = 'data';
const ARTIFACTS = 'artifacts';
const BUS = 'mlops-bus';
const table = useRegistryTable();
const logger = new Logger({ logLevel: 'SILENT' });
const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
// Powertools prints EMF lines to stdout; the tests read the registry, S3 and the bus instead.
metrics.setThrowOnEmptyMetrics(false);

const monitoring: RuntimeMonitoringSettings = {
  schedule: 'rate(1 hour)',
  minSamples: 200,
  driftShare: 0.5,
  criticalFeatures: [],
  correction: 'benjamini-hochberg',
  alpha: 0.05,
  consecutiveWindows: 2,
  cooldownSeconds: 3600,
  qualityTolerance: 0.1,
};
const models = { defaults: { evaluation: { minImprovement: 0 } } } as unknown as RuntimeModelSettingsMap;

const encoding = {
  formatVersion: 1,
  format: 'xgboost-csv',
  label: { name: 'churned', problemType: 'binary', classes: ['no', 'yes'] },
  features: [
    { name: 'tenure', type: 'numeric' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
  ],
};
const contract = {
  target: 'churned',
  problemType: 'binary',
  columns: [
    { name: 'tenure', type: 'numeric', min: 0, max: 100 },
    { name: 'plan', type: 'categorical', values: ['basic', 'pro'] },
    { name: 'churned', type: 'categorical' },
  ],
  labels: ['no', 'yes'],
};
const BASE_CSV = 'tenure,plan,churned\n1,basic,yes\n2.5,pro,no\n3,basic,no';

let root: string;
let s3Server: LocalS3;
let s3: S3Client;
let bridge: LocalEventBridge;
let eventBridge: EventBridgeClient;
let registry: ModelRegistryClient;
let windows: MonitoringWindows;
let slots: RetrainSlots;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function put(bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function text(bucket: string, key: string): Promise<string> {
  const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await output.Body?.transformToString('utf8')) ?? '';
}

/** A capture line as the local runtime writes it for a text/csv request and answer. */
function captured(eventId: string, row: string, answer: string): string {
  return captureRecord(
    {
      endpointName: 'churn-endpoint',
      variantName: 'AllTraffic',
      config: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${ARTIFACTS}/capture/churn`,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
      },
      input: { body: Buffer.from(row), contentType: 'text/csv' },
      output: { body: Buffer.from(answer), contentType: 'text/csv' },
      time: Date.now(),
    },
    eventId,
  );
}

/**
 * One window of traffic: `count` one-row requests whose predictions do not depend on the label, their capture
 * file and their labels (SageMaker's ground-truth records for even requests, plain JSON Lines for odd ones).
 */
async function uploadWindow(model: string, window: number, count: number, extraLabels = ''): Promise<void> {
  const lines: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${model}-w${window}-${i}`;
    const tenure = (i * 13) % 60;
    const plan = i % 2;
    const p = ((i * 37) % 100) / 100;
    lines.push(captured(id, `${tenure},${plan}`, `${p}`));
    const label = (i * 7) % 3 === 0 ? 'yes' : 'no';
    labels.push(
      i % 2 === 0
        ? JSON.stringify({
            groundTruthData: { data: label, encoding: 'CSV' },
            eventMetadata: { eventId: id },
            eventVersion: '0',
          })
        : JSON.stringify({ inferenceId: id, label }),
    );
  }
  // SageMaker may write a record twice: the retrain keeps one row per request row.
  lines.push(lines[0] as string);
  // In the hour folder of now, as SageMaker writes it: the checks list captures by hour since the model served.
  const now = Date.now();
  const folder = captureFolder(capturePrefix(model), 'churn-endpoint', 'AllTraffic', now);
  await put(ARTIFACTS, captureFileKey(folder, now, `w${window}`), `${lines.join('\n')}\n`);
  await put(DATA, `ground-truth/${model}/w${window}.jsonl`, `${labels.join('\n')}\n${extraLabels}`);
}

async function registerServing(model: string, startedAt: Date): Promise<void> {
  const runId = `${model}-000000000000000${model.length}`;
  const key = `datasets/${model}/train.csv`;
  await put(DATA, key, BASE_CSV);
  await put(ARTIFACTS, `runs/${runId}/encoding.json`, JSON.stringify(encoding));
  await put(ARTIFACTS, `contracts/${model}/schema.json`, JSON.stringify(contract));
  await registry.createRun({ runId, model, dataset: { bucket: DATA, key }, startedAt, status: 'Succeeded' });
  await registry.registerVersion(model, {
    status: 'Approved',
    lineage: {
      dataset: {
        bucket: DATA,
        key,
        versionId: 'v1',
        sha256: createHash('sha256').update(BASE_CSV).digest('hex'),
        rowCount: 3,
      },
      trainingJobName: `train-${runId}`,
      image: 'xgboost:1.7-1',
      hyperparameters: { objective: 'binary:logistic' },
      metrics: { 'validation:auc': 0.9 },
      artifactUri: `s3://${ARTIFACTS}/runs/${runId}/output/model.tar.gz`,
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:training:x',
      runId,
    },
  });
  await registry.setAlias(model, 'production', 1, { expectedVersion: null });
}

function qualityDeps() {
  return {
    s3,
    eventBridge,
    registry,
    windows,
    logger,
    metrics,
    config: {
      dataBucket: DATA,
      artifactsBucket: ARTIFACTS,
      eventBusName: BUS,
      monitoring: { defaults: monitoring },
      models,
    },
  };
}

function retrainDeps(now: Date): RetrainDependencies {
  return {
    s3,
    eventBridge,
    registry,
    windows,
    slots,
    logger,
    metrics,
    clock: () => now,
    config: {
      dataBucket: DATA,
      artifactsBucket: ARTIFACTS,
      eventBusName: BUS,
      monitoring: { defaults: monitoring },
    },
  };
}

beforeAll(async () => {
  expect(parseDatasetContract(contract).ok).toBe(true);
  root = mkdtempSync(join(tmpdir(), 'quality-retrain-'));
  s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: [DATA, ARTIFACTS] });
  s3 = new S3Client(localS3ClientConfig(s3Server.endpoint, REGION));
  bridge = await startLocalEventBridge({ account: '123456789012', region: REGION });
  eventBridge = new EventBridgeClient({
    region: REGION,
    endpoint: bridge.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const options = { client: table.documentClient, tableName: table.tableName };
  registry = new ModelRegistryClient(options);
  windows = new MonitoringWindows(options);
  slots = new RetrainSlots(options);
});

afterAll(async () => {
  s3?.destroy();
  eventBridge?.destroy();
  await bridge?.stop();
  await s3Server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('quality check and retraining', () => {
  it('two degraded windows, then one retrain on the training dataset plus the new labeled rows', async () => {
    await registerServing('churn', new Date(Date.now() - 3_600_000));
    const hostile = 'not json\n{"inferenceId":"churn-w1-1","label":"maybe"}\n{"label":"yes"}\n';
    await uploadWindow('churn', 1, 250, hostile);
    const t1 = new Date(Date.now() + 1000).toISOString();
    const [first] = await checkQuality({ models: ['churn'], time: t1 }, qualityDeps());
    expect(first).toMatchObject({ model: 'churn', status: 'Checked', verdict: 'Degraded' });
    if (first?.status !== 'Checked') throw new Error('not checked');
    expect(first.reasons[0]).toMatch(
      /^validation:auc 0\.\d{4} over 249 labeled row\(s\) is worse than the registered validation value 0\.9000/,
    );

    const report = JSON.parse(
      await text(ARTIFACTS, `monitoring/churn/${first.windowId}/quality.json`),
    ) as QualityReport;
    expect(report.judgement.verdict).toBe('Degraded');
    expect(report.labels).toMatchObject({
      labels: 250,
      unmatched: 0,
      problems: { malformed: 1, missingId: 1, conflicts: 1 },
    });
    // The record written twice is scored once.
    expect(report.capture).toMatchObject({
      files: 1,
      filesRead: 1,
      requests: 251,
      labeledRows: 251,
      repeatedRows: 1,
    });
    // The conflicting later label ("maybe") won for request 1, and "maybe" is no class: one row not scored.
    expect(report.capture.skipped).toEqual({ unknownLabel: 1, badPrediction: 0 });
    expect(report.values.auc).toBeGreaterThan(0.35);
    expect(report.values.auc).toBeLessThan(0.65);

    const degraded = bridge.events.filter((e) => e['detail-type'] === 'ModelQualityDegraded');
    expect(degraded).toHaveLength(1);
    expect(degraded[0]?.detail).toMatchObject({
      model: 'churn',
      version: 1,
      windowId: first.windowId,
      metric: 'validation:auc',
      baseline: 0.9,
    });

    // The same scheduled time again: the same window and verdict, not a second window.
    const [again] = await checkQuality({ models: ['churn'], time: t1 }, qualityDeps());
    expect(again).toMatchObject({ status: 'AlreadyChecked', windowId: first.windowId, verdict: 'Degraded' });

    // One degraded window is not enough to retrain.
    const early = await considerRetrain(
      { model: 'churn', trigger: 'quality', windowId: first.windowId },
      retrainDeps(new Date()),
    );
    expect(early.outcome).toBe('NotHeld');

    await sleep(2100);
    await uploadWindow('churn', 2, 250);
    const t2 = new Date(Date.now() + 1000).toISOString();
    const [second] = await checkQuality({ models: ['churn'], time: t2 }, qualityDeps());
    expect(second).toMatchObject({ status: 'Checked', verdict: 'Degraded' });
    if (second?.status !== 'Checked') throw new Error('not checked');
    // Newest capture first: window 2's labels all found their rows in its own file; window 1's was not read.
    const secondReport = JSON.parse(
      await text(ARTIFACTS, `monitoring/churn/${second.windowId}/quality.json`),
    ) as QualityReport;
    expect(secondReport.capture).toMatchObject({ files: 2, filesRead: 1, labeledRows: 251, repeatedRows: 1 });
    expect(secondReport.labels).toMatchObject({ labels: 250, unmatched: 0 });

    const now = new Date(Date.parse(t2) + 1000);
    const decision = await considerRetrain(
      { model: 'churn', trigger: 'quality', windowId: second.windowId },
      retrainDeps(now),
    );
    expect(decision.outcome).toBe('Started');
    expect(decision.datasetKey).toBe(`datasets/churn/retrain-${second.windowId}.csv`);
    // 500 requests labeled; request w1-1's label is "maybe", no class of the model.
    expect(decision.labeledRows).toBe(499);
    const written = await text(DATA, decision.datasetKey as string);
    expect(written.startsWith(`${BASE_CSV}\n`)).toBe(true);
    const added = written
      .slice(BASE_CSV.length + 1)
      .trimEnd()
      .split('\n');
    expect(added).toHaveLength(499);
    // Decoded to the contract's terms: the plan's category, the label's class name.
    expect(added[0]).toBe('0,basic,yes');
    // Newest capture first: window 2's requests (w2-1: tenure 13, plan code 1), then window 1's without w1-1.
    expect(added[1]).toBe('13,pro,no');
    expect(added[250]).toBe('0,basic,yes');
    expect(added[251]).toBe('26,basic,no');
    expect(bridge.events.filter((e) => e['detail-type'] === 'RetrainStarted')).toHaveLength(1);

    // A redelivered event for the same window does not write the dataset again; a later window waits.
    const redelivered = await considerRetrain(
      { model: 'churn', trigger: 'quality', windowId: second.windowId },
      retrainDeps(now),
    );
    expect(redelivered.outcome).toBe('AlreadyStarted');

    // The retrain's run registers a version: the slot is released, and the cooldown still holds.
    await registry.createRun({
      runId: 'churn-retrain-run',
      model: 'churn',
      dataset: { bucket: DATA, key: decision.datasetKey as string },
    });
    expect(
      await releaseOnRegistered(
        { model: 'churn', version: 2, runId: 'churn-retrain-run', status: 'Approved' },
        retrainDeps(now),
      ),
    ).toBe(true);
    const slot = await slots.getSlot('churn');
    expect(slot?.inFlight).toBeUndefined();
    expect(slot?.lastOutcome).toBe('Registered');
    const cooling = await considerRetrain(
      { model: 'churn', trigger: 'quality', windowId: second.windowId },
      retrainDeps(now),
    );
    expect(cooling.outcome).toBe('CoolingDown');

    const decisions = (await registry.listEvents('churn', { limit: 100 })).items
      .filter((e) => e.type.startsWith('Retrain'))
      .map((e) => [e.type, e.details.outcome ?? null]);
    expect(decisions).toEqual([
      ['RetrainSkipped', 'CoolingDown'],
      ['RetrainEnded', 'Registered'],
      ['RetrainSkipped', 'AlreadyStarted'],
      ['RetrainStarted', null],
      ['RetrainSkipped', 'NotHeld'],
    ]);
  });

  it('a burst of checks of one model (one per ground-truth upload) records each label once, and none fails', async () => {
    await registerServing('burst', new Date(Date.now() - 3_600_000));
    await uploadWindow('burst', 1, 220);
    const time = Date.now() + 1000;
    const outcomes = await Promise.all(
      [0, 1, 2, 3].map((ms) =>
        checkQuality({ models: ['burst'], time: new Date(time + ms).toISOString() }, qualityDeps()),
      ),
    );
    const checked = outcomes.flat().filter((outcome) => outcome.status === 'Checked');
    expect(checked.length).toBeGreaterThanOrEqual(1);
    const recorded = (await windows.listWindows('burst', 'quality')).items;
    expect(recorded.map((window) => window.rows).reduce((sum, rows) => sum + rows, 0)).toBe(220);
    expect(recorded.filter((window) => window.rows > 0)).toHaveLength(1);
  });

  it("a retrain's run that ends without a version (its execution timed out) releases the slot", async () => {
    const key = 'datasets/exec/retrain-w9.csv';
    const upload = runForUpload({ bucket: DATA, key, versionId: 'v9' });
    const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:training:exec-1';
    await registry.createRun({ runId: upload.runId, model: 'exec', dataset: upload.dataset, executionArn });
    const taken = await slots.takeSlot({
      model: 'exec',
      windowId: 'w9',
      trigger: 'drift',
      datasetKey: key,
      cooldownSeconds: 0,
      reasons: ['drift held'],
      details: {},
    });
    expect(taken.taken).toBe(true);
    const input = JSON.stringify({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { bucket: { name: DATA }, object: { key, 'version-id': 'v9' } },
    });
    const deps = retrainDeps(new Date());
    // Another execution's end, and a still running one, leave the slot alone.
    const other = JSON.stringify({
      'detail-type': 'Object Created',
      detail: { bucket: { name: DATA }, object: { key: 'datasets/exec/other.csv' } },
    });
    expect(await releaseOnExecutionEnded({ executionArn, status: 'FAILED', input: other }, deps)).toBe(false);
    expect(await releaseOnExecutionEnded({ executionArn, status: 'RUNNING', input }, deps)).toBe(false);
    expect(await releaseOnExecutionEnded({ executionArn, status: 'TIMED_OUT', input }, deps)).toBe(true);
    expect(await slots.getSlot('exec')).toMatchObject({ lastOutcome: 'TimedOut' });
    expect((await slots.getSlot('exec'))?.inFlight).toBeUndefined();
    // Delivered twice: nothing more to release.
    expect(await releaseOnExecutionEnded({ executionArn, status: 'TIMED_OUT', input }, deps)).toBe(false);
  });

  it('drift that holds without new labels notifies instead of retraining', async () => {
    await registerServing('fraud', new Date(Date.now() - 3_600_000));
    const base = Date.parse('2026-11-30T08:00:00.000Z');
    let previous: string | undefined;
    let last = '';
    for (let w = 0; w < 2; w++) {
      const from = new Date(base + w * 3_600_000).toISOString();
      const until = new Date(base + (w + 1) * 3_600_000).toISOString();
      const recorded = await windows.recordWindow({
        model: 'fraud',
        kind: 'drift',
        from,
        until,
        previousUntil: previous,
        verdict: 'Drift',
        alarming: true,
        version: 1,
        rows: 1000,
        reasons: ['tenure drifted'],
        reports: {},
        summary: {},
        eventType: 'DriftChecked',
      });
      previous = until;
      last = recorded.window.windowId;
    }
    const decision = await considerRetrain(
      { model: 'fraud', trigger: 'drift', windowId: last },
      retrainDeps(new Date()),
    );
    expect(decision.outcome).toBe('NoLabeledData');
    expect(decision.reasons).toContain('drift holds; no labeled data to retrain on');
    const notices = bridge.events.filter((e) => e['detail-type'] === 'RetrainNeedsLabels');
    expect(notices.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        model: 'fraud',
        trigger: 'drift',
        windowId: last,
        message: 'drift holds; no labeled data to retrain on',
      }),
    ]);
    // The trouble still holds at the next decision: recorded again, but people are not told again within the cooldown.
    const again = await considerRetrain(
      { model: 'fraud', trigger: 'drift', windowId: last },
      retrainDeps(new Date()),
    );
    expect(again.outcome).toBe('NoLabeledData');
    expect(again.reasons.at(-1)).toBe('people were told within the last 3600 s; no new notice');
    expect(bridge.events.filter((e) => e['detail-type'] === 'RetrainNeedsLabels')).toHaveLength(1);
    const skipped = (await registry.listEvents('fraud')).items.filter((e) => e.type === 'RetrainSkipped');
    expect(skipped.map((e) => e.details.outcome)).toEqual(['NoLabeledData', 'NoLabeledData']);
    expect((await slots.getSlot('fraud'))?.inFlight).toBeUndefined();
  });
});
