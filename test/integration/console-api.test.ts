import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTarget, type Target } from '../../cli/target';
import { type Lineage, ModelRegistryClient, windowIdFor } from '../../lambdas/shared/registry';
import { RunArtifacts, runArtifactKey } from '../../lambdas/shared/s3-layout';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { type LocalStepFunctionsApi, startLocalStepFunctionsApi } from '../../local/aws/stepfunctions-api';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../local/cloudwatch';
import { ConsoleFeed, observeBoth } from '../../local/console/api/feed';
import { RUNS_PAGE } from '../../local/console/api/runs';
import { type ConsoleServer, DEFAULT_CONSOLE_PORT, startConsoleServer } from '../../local/console/server';
import { CONSOLE_CSS_PATH, CONSOLE_JS_PATH } from '../../local/console/ui/build';
import type { RuntimeDiscovery } from '../../local/discovery';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { ExecutionRegistry } from '../../local/stepfunctions/executions';
import { LocalStateMachine } from '../../local/stepfunctions/executor';
import { TaskTokens } from '../../local/stepfunctions/task-tokens';
import { useRegistryTable } from '../support/dynamodb';

const DATA_BUCKET = 'console-data';
const ARTIFACTS_BUCKET = 'console-artifacts';
/** A name a page would run as markup if it were ever put into HTML. */
const HOSTILE = '<img src=x onerror=alert(1)>';

const table = useRegistryTable();
let s3: LocalS3;
let eventBridge: LocalEventBridge;
let workDir: string;
let registry: ModelRegistryClient;
let target: Target;
let server: ConsoleServer;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-console-'));
  s3 = await startLocalS3({ directory: join(workDir, 's3'), buckets: [DATA_BUCKET, ARTIFACTS_BUCKET] });
  eventBridge = await startLocalEventBridge({ account: '123456789012', region: 'us-east-1' });
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
  target = localTarget(discovery());
  server = await startConsoleServer({ target, stackName: 'ServerlessMlops', port: 0 });
});

afterAll(async () => {
  await server?.stop();
  target?.close();
  await s3?.stop();
  await eventBridge?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function discovery(): RuntimeDiscovery {
  return {
    formatVersion: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    endpoints: {
      s3: s3.endpoint,
      dynamodb: table.endpoint,
      eventbridge: eventBridge.endpoint,
      sagemaker: 'http://127.0.0.1:1',
    },
    resources: {
      dataBucket: DATA_BUCKET,
      artifactsBucket: ARTIFACTS_BUCKET,
      registryTable: table.tableName,
      trainingStateMachine: 'arn:aws:states:us-east-1:123456789012:stateMachine:training',
    },
  };
}

function lineage(model: string, runId: string, auc: number): Lineage {
  return {
    dataset: {
      bucket: DATA_BUCKET,
      key: `datasets/${model}/${runId}.csv`,
      versionId: 'null',
      sha256: createHash('sha256').update(runId).digest('hex'),
      rowCount: 500,
    },
    trainingJobName: `train-${runId}`,
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc' },
    metrics: { 'validation:auc': auc, 'train:auc': 0.99 },
    artifactUri: `s3://${ARTIFACTS_BUCKET}/runs/${runId}/model.tar.gz`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
  };
}

const uniqueModel = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** A model with a succeeded run and a version in `status`. */
async function modelWithVersion(
  model: string,
  status: 'Approved' | 'PendingApproval',
  auc = 0.9,
  reason = 'by the test',
) {
  const runId = `${model}-${randomBytes(6).toString('hex')}`;
  const dataset = { bucket: DATA_BUCKET, key: `datasets/${model}/${runId}.csv` };
  await registry.createRun({ runId, model, dataset, step: 'ValidateDataset' });
  const { version } = await registry.registerVersion(model, {
    lineage: lineage(model, runId, auc),
    status,
    reason,
  });
  await registry.updateRun(runId, { status: 'Succeeded', step: 'RegisterModel', version: version.version });
  return { runId, version: version.version };
}

const get = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);
async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  const response = await get(path);
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return (await response.json()) as T;
}

describe('console server', () => {
  it('binds 127.0.0.1 and serves the page and its assets with the security headers', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const [path, type] of [
      ['/', 'text/html; charset=utf-8'],
      [CONSOLE_JS_PATH, 'text/javascript; charset=utf-8'],
      [CONSOLE_CSS_PATH, 'text/css; charset=utf-8'],
      ['/api/session', 'application/json; charset=utf-8'],
      ['/nothing-here', 'application/json; charset=utf-8'],
    ] as const) {
      const response = await get(path);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('content-security-policy'), path).toBe("default-src 'self'");
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
    const page = await (await get('/')).text();
    expect(page).toContain(`<script src="${CONSOLE_JS_PATH}"`);
    // No inline script: every script element loads its source (the CSP refuses inline ones anyway).
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(await (await get(CONSOLE_JS_PATH)).text()).not.toBe('');
    expect((await get('/nothing-here')).status).toBe(404);
  });

  it('asks for port 8765 first, takes a free one when it is taken (and says so), and fails on a taken port given explicitly', async () => {
    const first = await startConsoleServer({ target, stackName: 'ServerlessMlops' });
    try {
      expect(first.portFallback).toBe(first.port !== DEFAULT_CONSOLE_PORT);
      const second = await startConsoleServer({ target, stackName: 'ServerlessMlops' });
      try {
        expect(second.portFallback).toBe(true);
        expect(second.port).not.toBe(DEFAULT_CONSOLE_PORT);
      } finally {
        await second.stop();
      }
      await expect(
        startConsoleServer({ target, stackName: 'ServerlessMlops', port: first.port }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  it('refuses a Host that is not its own (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api/session', headers: { Host: 'evil.example:80' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('GET /api/session names the stack and never the token', async () => {
    const response = await get('/api/session');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ stackName: 'ServerlessMlops', target: 'local', actions: true });
    expect(text).not.toContain(server.token);
  });

  it('GET /api/models lists models with production and latest version, a page at a time', async () => {
    const model = uniqueModel('models');
    await modelWithVersion(model, 'Approved', 0.91);
    const first = await getJson<{ models: Record<string, unknown>[]; next?: string }>('/api/models');
    const all = [...first.models];
    let next = first.next;
    while (next !== undefined) {
      const page = await getJson<{ models: Record<string, unknown>[]; next?: string }>(
        `/api/models?cursor=${encodeURIComponent(next)}`,
      );
      all.push(...page.models);
      next = page.next;
    }
    expect(all.find((row) => row.name === model)).toEqual({
      name: model,
      latest: { version: 1, status: 'Approved', metricName: 'validation:auc', metricValue: 0.91 },
    });
  });

  it('GET /api/models/:model gives aliases, versions with their history, and the audit trail', async () => {
    const model = uniqueModel('detail');
    const { runId } = await modelWithVersion(model, 'PendingApproval', 0.8, HOSTILE);
    const detail = await getJson<{
      name: string;
      aliases: Record<string, number>;
      versions: Record<string, unknown>[];
      audit: Record<string, unknown>[];
    }>(`/api/models/${model}`);
    expect(detail.name).toBe(model);
    expect(detail.aliases).toEqual({});
    expect(detail.versions).toEqual([
      expect.objectContaining({
        version: 1,
        status: 'PendingApproval',
        metricName: 'validation:auc',
        metricValue: 0.8,
        runId,
        // A hostile reason comes back as data, byte for byte, in JSON (never HTML).
        history: [expect.objectContaining({ status: 'PendingApproval', reason: HOSTILE })],
      }),
    ]);
    expect(detail.audit.map((event) => event.type)).toContain('VersionRegistered');
    expect((await get('/api/models/no-such-model')).status).toBe(404);
  });
});

describe('runs', () => {
  it('GET /api/runs?model= pages as the registry pages, newest first, and the merged listing has each run once', async () => {
    const model = uniqueModel('runs');
    const ids: string[] = [];
    for (let i = 0; i < RUNS_PAGE + 5; i += 1) {
      const runId = `${model}-${String(i).padStart(3, '0')}`;
      ids.push(runId);
      await registry.createRun({
        runId,
        model,
        dataset: { bucket: DATA_BUCKET, key: `datasets/${model}/${i}.csv` },
        step: 'ValidateDataset',
      });
    }
    type RunsPage = { runs: { runId: string; model: string; status: string }[]; next?: string };
    const first = await getJson<RunsPage>(`/api/runs?model=${model}`);
    expect(first.runs).toHaveLength(RUNS_PAGE);
    expect(first.next).toBeDefined();
    const second = await getJson<RunsPage>(
      `/api/runs?model=${model}&cursor=${encodeURIComponent(first.next ?? '')}`,
    );
    const listed = [...first.runs, ...second.runs].map((run) => run.runId);
    expect(new Set(listed)).toEqual(new Set(ids));
    expect(first.runs[0]).toEqual(
      expect.objectContaining({
        model,
        status: 'Running',
        step: 'ValidateDataset',
        startedAt: expect.any(String),
      }),
    );

    const merged: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await getJson<RunsPage>(
        next === undefined ? '/api/runs' : `/api/runs?cursor=${encodeURIComponent(next)}`,
      );
      expect(page.runs.length).toBeLessThanOrEqual(RUNS_PAGE);
      merged.push(...page.runs.map((run) => run.runId));
      next = page.next;
      pages += 1;
    } while (next !== undefined);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(merged).size).toBe(merged.length);
    for (const id of ids) expect(merged).toContain(id);
  });

  it('GET /api/runs/:runId shows the validation report (a hostile column name as data) and serves artifacts as downloads', async () => {
    const model = uniqueModel('rejected');
    const runId = `${model}-run`;
    await registry.createRun({
      runId,
      model,
      dataset: { bucket: DATA_BUCKET, key: `datasets/${model}/bad.csv` },
      step: 'ValidateDataset',
    });
    await registry.updateRun(runId, { status: 'Failed', step: 'ValidateDataset', error: 'DatasetRejected' });
    const report = {
      status: 'rejected',
      rows: 2,
      columns: [HOSTILE, 'label'],
      problemCount: 1,
      problems: [{ kind: 'NotNumeric', row: 2, column: HOSTILE, message: `${HOSTILE} is not a number` }],
    };
    await target.s3.send(
      new PutObjectCommand({
        Bucket: ARTIFACTS_BUCKET,
        Key: runArtifactKey(runId, RunArtifacts.report),
        Body: JSON.stringify(report),
      }),
    );
    const detail = await getJson<{
      run: Record<string, unknown>;
      steps: unknown[];
      validation: { accepted: boolean; problems: { row: number; column: string; message: string }[] };
      artifacts: { name: string; href: string }[];
    }>(`/api/runs/${runId}`);
    expect(detail.run).toEqual(
      expect.objectContaining({ runId, model, status: 'Failed', error: 'DatasetRejected' }),
    );
    expect(detail.validation.accepted).toBe(false);
    expect(detail.validation.problems[0]).toEqual(expect.objectContaining({ row: 2, column: HOSTILE }));
    const href = detail.artifacts.find((artifact) => artifact.name === 'report')?.href ?? '';
    const download = await get(href);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="validation-report.json"');
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(JSON.parse(await download.text())).toEqual(report);
    expect((await get(`/api/runs/${runId}/artifacts/model`)).status).toBe(404);
    expect((await get(`/api/runs/${runId}/artifacts/nonsense`)).status).toBe(400);
    expect((await get('/api/runs/no-such-run')).status).toBe(404);
  });
});

describe('actions', () => {
  const approve = (model: string, headers: Record<string, string>, body = '{"reason":"looks good"}') =>
    get(`/api/models/${model}/versions/1/approve`, { method: 'POST', headers, body });
  const statusOf = async (model: string) => (await registry.getVersion(model, 1))?.status;

  it('refuse a missing or wrong token, another origin and a non-JSON body, changing nothing', async () => {
    const model = uniqueModel('guarded');
    await modelWithVersion(model, 'PendingApproval');
    const json = { 'Content-Type': 'application/json' };
    const refusals: [Record<string, string>, number][] = [
      [json, 403],
      [{ ...json, 'X-Mlops-Token': 'wrong' }, 403],
      [{ ...json, 'X-Mlops-Token': `${server.token}x` }, 403],
      [{ ...json, 'X-Mlops-Token': server.token, Origin: 'http://evil.example' }, 403],
      [{ ...json, 'X-Mlops-Token': server.token, Origin: 'null' }, 403],
      [{ ...json, 'X-Mlops-Token': server.token, 'Sec-Fetch-Site': 'cross-site' }, 403],
      [{ 'Content-Type': 'application/x-www-form-urlencoded', 'X-Mlops-Token': server.token }, 415],
      [{ 'Content-Type': 'text/plain', 'X-Mlops-Token': server.token }, 415],
    ];
    for (const [headers, status] of refusals) {
      const response = await approve(model, headers);
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(await statusOf(model)).toBe('PendingApproval');
    }
  });

  it('approve and reject with the token, as `mlops approve|reject` do, and tell open pages', async () => {
    const approved = uniqueModel('approved');
    const rejected = uniqueModel('rejected');
    await modelWithVersion(approved, 'PendingApproval');
    await modelWithVersion(rejected, 'PendingApproval');
    const events = await openEvents();
    const headers = {
      'Content-Type': 'application/json',
      'X-Mlops-Token': server.token,
      Origin: server.url.replace(/\/$/, ''),
    };
    const response = await approve(approved, headers);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual(
      expect.objectContaining({ model: approved, version: 1, status: 'Approved', reason: 'looks good' }),
    );
    expect(await statusOf(approved)).toBe('Approved');
    expect(await events.next()).toEqual({ kind: 'models' });
    events.close();

    const rejection = await get(`/api/models/${rejected}/versions/1/reject`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Mlops-Token': server.token },
      body: JSON.stringify({ reason: HOSTILE }),
    });
    expect(rejection.status).toBe(200);
    const version = await registry.getVersion(rejected, 1);
    expect(version?.status).toBe('Rejected');
    expect(version?.statusReason).toBe(HOSTILE);
    // Approving a version that is not PendingApproval is refused as the CLI refuses it.
    expect((await approve(rejected, headers)).status).toBe(409);
  });

  it('rollback needs a reason and a version that served', async () => {
    const model = uniqueModel('rollback');
    await modelWithVersion(model, 'Approved');
    const headers = { 'Content-Type': 'application/json', 'X-Mlops-Token': server.token };
    const post = (body: unknown) =>
      get(`/api/models/${model}/rollback`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect((await post({})).status).toBe(400);
    const refused = await post({ to: 1, reason: 'bad canary' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toContain('never served');
  });
});

describe('operations pages', () => {
  it('answer with their shapes when nothing is deployed or checked', async () => {
    const model = uniqueModel('ops');
    await modelWithVersion(model, 'Approved');
    expect(await getJson(`/api/deployments?model=${model}`)).toEqual({ deployments: [] });
    expect(await getJson('/api/deployments')).toEqual(expect.objectContaining({ deployments: [] }));
    expect(await getJson('/api/endpoints')).toEqual([]);
    expect((await get(`/api/endpoints/${model}/metrics?minutes=60`)).status).toBe(404);
    expect(await getJson(`/api/drift/${model}`)).toEqual({ model, windows: [] });
    expect(
      (await get(`/api/drift/${model}/20261130T140000.000Z_20261130T150000.000Z/report.html`)).status,
    ).toBe(404);
    expect(await getJson('/api/alarms')).toEqual({ alarms: [] });
    expect(await getJson('/api/notifications')).toEqual({ notifications: [] });
    expect((await get('/api/deployments/no-such-deployment')).status).toBe(404);
  });
});

/** GET /api/events, read event by event. */
async function openEvents() {
  const controller = new AbortController();
  const response = await get('/api/events', { signal: controller.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<unknown> {
      for (;;) {
        const match = /event: change\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1] ?? 'null');
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

describe('ConsoleFeed', () => {
  it('keeps each training job’s rounds, the notifications, and tells the console what changed', () => {
    const feed = new ConsoleFeed();
    const kinds: string[] = [];
    const printed: string[] = [];
    const observer = observeBoth({ trainingMetric: (job) => printed.push(job) }, feed.observer);
    feed.connect((kind) => kinds.push(kind));
    for (const [name, value] of [
      ['train:mlogloss', 0.9],
      ['validation:mlogloss', 1.0],
      ['train:mlogloss', 0.5],
      ['validation:mlogloss', 0.7],
    ] as const)
      observer.trainingMetric?.('job-1', { name, value });
    expect(feed.trainingRounds('job-1')).toEqual([
      { round: 0, metrics: { 'train:mlogloss': 0.9, 'validation:mlogloss': 1.0 } },
      { round: 1, metrics: { 'train:mlogloss': 0.5, 'validation:mlogloss': 0.7 } },
    ]);
    expect(feed.trainingRounds('job-2')).toBeUndefined();
    expect(printed).toEqual(['job-1', 'job-1', 'job-1', 'job-1']);

    observer.executionStarted?.({ id: 'e1', stateMachine: 'DeploymentStateMachine', input: {} });
    observer.serviceEvent?.({ 'detail-type': 'CloudWatch Alarm State Change' });
    observer.notification?.({
      MessageId: 'm1',
      TopicArn: 'arn:aws:sns:us-east-1:0:t',
      Message: HOSTILE,
    } as never);
    expect(new Set(kinds)).toEqual(new Set(['runs', 'deployments', 'endpoints', 'models', 'alarms']));
    kinds.length = 0;
    // An approval from the CLI reaches the page through the bus; an event of no interest changes nothing.
    feed.busEvent({ 'detail-type': 'ModelApproved' });
    feed.busEvent({ 'detail-type': 'Object Created' });
    expect(kinds).toEqual(['models']);
    feed.connect(undefined);
    feed.busEvent({ 'detail-type': 'ModelDeployed' });
    expect(kinds).toEqual(['models']);
    expect(feed.notifications()).toEqual([expect.objectContaining({ Message: HOSTILE })]);
  });

  it('serves the feed’s notifications and training rounds through the API', async () => {
    const feed = new ConsoleFeed();
    feed.observer.notification?.({ MessageId: 'm2', TopicArn: 't', Message: HOSTILE } as never);
    const fed = await startConsoleServer({
      target,
      stackName: 'ServerlessMlops',
      port: 0,
      readers: { notifications: () => feed.notifications() },
    });
    try {
      const response = await fetch(new URL('/api/notifications', fed.url));
      expect(await response.json()).toEqual({
        notifications: [expect.objectContaining({ Message: HOSTILE })],
      });
    } finally {
      await fed.stop();
    }
  });
});

describe('deployments and drift with records', () => {
  it('GET /api/deployments and /api/deployments/:id give the stages and outcome', async () => {
    const model = uniqueModel('deployed');
    await modelWithVersion(model, 'Approved');
    const deploymentId = `${model}-deploy-1`;
    await registry.createDeployment({ deploymentId, model, version: 1, reason: HOSTILE });
    await registry.recordDeploymentProgress(deploymentId, {
      stage: { name: 'TrafficShifted', details: { trafficRouting: { Type: 'CANARY', CanarySize: 10 } } },
    });
    const list = await getJson<{ deployments: Record<string, unknown>[] }>(`/api/deployments?model=${model}`);
    expect(list.deployments).toEqual([
      expect.objectContaining({ deploymentId, model, version: 1, kind: 'deploy', status: 'Started' }),
    ]);
    const detail = await getJson<Record<string, unknown>>(`/api/deployments/${deploymentId}`);
    expect(detail).toEqual(expect.objectContaining({ deploymentId, outcome: 'Started', alarms: [] }));
    expect(detail.stages).toEqual([expect.objectContaining({ name: 'TrafficShifted' })]);
    expect(detail.trafficShifts).toEqual([
      expect.objectContaining({
        stage: 'TrafficShifted',
        details: { trafficRouting: { Type: 'CANARY', CanarySize: 10 } },
      }),
    ]);
  });

  it('GET /api/drift/:model lists windows; a window’s report is served sandboxed', async () => {
    const model = uniqueModel('drifting');
    await modelWithVersion(model, 'Approved');
    const from = '2026-11-30T14:00:00.000Z';
    const until = '2026-11-30T15:00:00.000Z';
    const windowId = windowIdFor(from, until);
    const htmlKey = `monitoring/${model}/${windowId}/report.html`;
    await target.s3.send(
      new PutObjectCommand({
        Bucket: ARTIFACTS_BUCKET,
        Key: htmlKey,
        Body: '<html><body><h1>Drift</h1><script>alert(1)</script></body></html>',
      }),
    );
    await target.windows.recordWindow({
      model,
      kind: 'drift',
      from,
      until,
      previousUntil: undefined,
      verdict: 'Drift',
      alarming: true,
      version: 1,
      rows: 120,
      reasons: [`${HOSTILE} drifted`],
      reports: { html: htmlKey },
      summary: { driftShare: 0.5 },
      eventType: 'DriftChecked',
    });
    const listing = await getJson<{ windows: Record<string, unknown>[] }>(`/api/drift/${model}`);
    expect(listing.windows).toEqual([
      expect.objectContaining({
        windowId,
        verdict: 'Drift',
        alarming: true,
        rows: 120,
        reasons: [`${HOSTILE} drifted`],
      }),
    ]);
    const report = await get(`/api/drift/${model}/${windowId}/report.html`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(report.headers.get('content-security-policy')).toBe(
      "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    );
    expect(report.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await report.text()).toContain('<h1>Drift</h1>');
  });
});

describe('endpoints and alarms through the local CloudWatch', () => {
  let cloudwatch: LocalCloudWatch;
  let client: CloudWatchClient;
  let served: ConsoleServer;

  beforeAll(async () => {
    cloudwatch = await startLocalCloudWatch({ region: 'us-east-1', account: '123456789012' });
    client = new CloudWatchClient({
      region: 'us-east-1',
      endpoint: cloudwatch.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    served = await startConsoleServer({
      target,
      stackName: 'ServerlessMlops',
      port: 0,
      readers: { cloudwatch: client },
    });
  });

  afterAll(async () => {
    await served?.stop();
    client?.destroy();
    await cloudwatch?.stop();
  });

  it('GET /api/endpoints and /api/endpoints/:model/metrics read the production endpoint’s metrics', async () => {
    const model = uniqueModel('serving');
    await modelWithVersion(model, 'Approved');
    const endpointName = `${model}-endpoint`;
    const deploymentId = `${model}-deploy`;
    await registry.createDeployment({ deploymentId, model, version: 1 });
    await registry.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
    await registry.beginDeployment(deploymentId);
    await registry.promoteDeployment(deploymentId, {
      endpointName,
      endpointConfigName: `${endpointName}-config-1`,
    });
    await registry.releaseDeploymentLease(model, deploymentId);
    const at = new Date(Date.now() - 2 * 60_000);
    const Dimensions = [
      { Name: 'EndpointName', Value: endpointName },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    // As the local SageMaker Runtime publishes them (PutMetricData refuses AWS/ namespaces to callers).
    cloudwatch.putMetricData('AWS/SageMaker', [
      { MetricName: 'Invocations', Dimensions, Value: 12, Timestamp: at },
      { MetricName: 'Invocation5XXErrors', Dimensions, Value: 1, Timestamp: at },
      { MetricName: 'ModelLatency', Dimensions, Values: [1000, 3000], Counts: [9, 1], Timestamp: at },
    ]);
    const fetchJson = async (path: string) => (await fetch(new URL(path, served.url))).json();
    expect(await fetchJson('/api/endpoints')).toEqual(
      expect.arrayContaining([{ model, endpointName, status: 'Unknown', version: 1 }]),
    );
    const metrics = (await fetchJson(`/api/endpoints/${model}/metrics?minutes=10`)) as {
      series: Record<string, [number, number][]>;
    };
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    expect(metrics.series.invocations).toEqual([[minute, 12]]);
    expect(metrics.series.errors5xx).toEqual([[minute, 1]]);
    expect(metrics.series.errors4xx).toEqual([]);
    expect(metrics.series.latencyP50).toEqual([[minute, 1000]]);
    expect(metrics.series.latencyP99?.[0]?.[1]).toBe(3000);
    expect((await fetch(new URL(`/api/endpoints/${model}/metrics?minutes=0`, served.url))).status).toBe(400);
  });

  it('GET /api/alarms lists the alarms with their state and reason, ALARM first', async () => {
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: 'console-test-alarm',
        AlarmDescription: HOSTILE,
        Namespace: 'Test',
        MetricName: 'M',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await client.send(
      new SetAlarmStateCommand({
        AlarmName: 'console-test-alarm',
        StateValue: 'ALARM',
        StateReason: 'by the test',
      }),
    );
    const { alarms } = (await (await fetch(new URL('/api/alarms', served.url))).json()) as {
      alarms: Record<string, unknown>[];
    };
    expect(alarms[0]).toEqual(
      expect.objectContaining({
        name: 'console-test-alarm',
        state: 'ALARM',
        reason: 'by the test',
        description: HOSTILE,
      }),
    );
  });
});

describe('a run’s steps and evaluation from its execution history (the local Step Functions API)', () => {
  const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Training';
  let api: LocalStepFunctionsApi;
  let sfn: SFNClient;
  let executions: ExecutionRegistry;
  let served: ConsoleServer;

  beforeAll(async () => {
    const machine = new LocalStateMachine({
      StartAt: 'ValidateDataset',
      States: {
        ValidateDataset: {
          Type: 'Pass',
          Result: { trainingJobName: 'job-steps' },
          ResultPath: '$.plan',
          Next: 'EvaluateModel',
        },
        EvaluateModel: {
          Type: 'Pass',
          Result: {
            status: 'PendingApproval',
            metric: 'validation:auc',
            value: 0.9,
            reasons: [`${HOSTILE} approval is manual for this model`],
          },
          ResultPath: '$.evaluation',
          Next: 'RegisterModel',
        },
        RegisterModel: { Type: 'Fail', Error: 'Bench', Cause: 'stops here' },
      },
    } as never);
    executions = new ExecutionRegistry(new Map([['Training', MACHINE]]), (_arn, input, context) =>
      machine.execute(input, { context, retryIntervalMs: 1, tasks: {} }),
    );
    api = await startLocalStepFunctionsApi({ executions, tokens: new TaskTokens() });
    sfn = new SFNClient({
      region: 'us-east-1',
      endpoint: api.endpoint,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    served = await startConsoleServer({
      target,
      stackName: 'ServerlessMlops',
      port: 0,
      readers: { stepFunctions: sfn },
    });
  });

  afterAll(async () => {
    await served?.stop();
    sfn?.destroy();
    await api?.stop();
  });

  it('GET /api/runs/:runId lists the steps in order with their outcome, and the evaluation’s decision and reasons', async () => {
    const model = uniqueModel('steps');
    const runId = `${model}-run`;
    const started = executions.start(MACHINE, runId, '{}');
    await started.result;
    await registry.createRun({
      runId,
      model,
      dataset: { bucket: DATA_BUCKET, key: `datasets/${model}/a.csv` },
      executionArn: started.execution.executionArn,
    });
    const detail = (await (await fetch(new URL(`/api/runs/${runId}`, served.url))).json()) as {
      steps: { name: string; status: string; startedAt?: string; endedAt?: string }[];
      evaluation: { decision: string; reasons: string[]; metric: string; value: number };
    };
    expect(detail.steps.map((step) => [step.name, step.status])).toEqual([
      ['ValidateDataset', 'Succeeded'],
      ['EvaluateModel', 'Succeeded'],
      ['RegisterModel', 'Failed'],
    ]);
    expect(detail.steps[0]).toEqual(
      expect.objectContaining({ startedAt: expect.any(String), endedAt: expect.any(String) }),
    );
    expect(detail.evaluation).toEqual({
      decision: 'PendingApproval',
      reasons: [`${HOSTILE} approval is manual for this model`],
      metric: 'validation:auc',
      value: 0.9,
    });
  });
});
