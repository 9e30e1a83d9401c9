import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTarget, type Target } from '../../cli/target';
import { type Lineage, ModelRegistryClient } from '../../lambdas/shared/registry';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { type ConsoleServer, startConsoleServer } from '../../local/console/server';
import type { RuntimeDiscovery } from '../../local/discovery';
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
      ['/assets/console.js', 'text/javascript; charset=utf-8'],
      ['/assets/console.css', 'text/css; charset=utf-8'],
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
    expect(page).toContain('<script src="/assets/console.js"></script>');
    expect(page).not.toMatch(/<script>(?!<\/script>)/);
    expect((await get('/nothing-here')).status).toBe(404);
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
