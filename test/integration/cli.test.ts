import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { listModels, showModel, showVersion } from '../../cli/models';
import { runCli } from '../../cli/program';
import { listRuns, showRun } from '../../cli/runs';
import { localTarget, resolveTarget, type Target, type TargetOptions } from '../../cli/target';
import { uploadDataset } from '../../cli/upload';
import { type Lineage, ModelRegistryClient, type Run } from '../../lambdas/shared/registry';
import { type LocalS3, type S3EventRecord, startLocalS3 } from '../../local/aws/s3';
import { type RuntimeDiscovery, writeDiscovery } from '../../local/discovery';
import { useRegistryTable } from '../support/dynamodb';

const DATA_BUCKET = 'cli-data-bucket';
const ROOT = join(__dirname, '..', '..');

const table = useRegistryTable();
let s3: LocalS3;
let workDir: string;
let stateDir: string;
let registry: ModelRegistryClient;
let target: Target;
/** What the simulated pipeline does when an object is created, by key. */
const pipelines = new Map<string, (record: S3EventRecord) => Promise<void>>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  stateDir = join(workDir, 'state');
  mkdirSync(stateDir);
  s3 = await startLocalS3({ directory: join(workDir, 's3'), buckets: [DATA_BUCKET] });
  s3.onEvent((record) => {
    if (!record.eventName.startsWith('ObjectCreated')) return;
    void pipelines.get(record.s3.object.key)?.(record);
  });
  writeDiscovery(stateDir, discovery(process.pid));
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
  target = localTarget(discovery(process.pid));
});

afterAll(async () => {
  target?.close();
  await s3?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function discovery(pid: number): RuntimeDiscovery {
  return {
    formatVersion: 1,
    pid,
    startedAt: new Date().toISOString(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    endpoints: {
      s3: s3.endpoint,
      dynamodb: table.endpoint,
      eventbridge: 'http://127.0.0.1:1',
      sagemaker: 'http://127.0.0.1:1',
    },
    resources: {
      dataBucket: DATA_BUCKET,
      artifactsBucket: 'cli-artifacts-bucket',
      registryTable: table.tableName,
      trainingStateMachine: 'arn:aws:states:us-east-1:123456789012:stateMachine:training',
    },
  };
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process against the test's state directory, counting target look-ups. */
async function mlops(argv: readonly string[], resolved: TargetOptions[] = []): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--state-dir', stateDir], {
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    pollIntervalMs: 25,
    resolveTarget: (options) => {
      resolved.push(options);
      return resolveTarget(options);
    },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Runs the real entry point in a child process, by default from the project folder. */
function mlopsProcess(argv: readonly string[], cwd = ROOT): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'bin', 'mlops.ts'), ...argv], { cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

function csvFile(name: string, content = 'age,plan,churned\n42,basic,no\n31,premium,yes\n'): string {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
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
    hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', max_depth: '5' },
    metrics: { 'validation:auc': auc, 'train:auc': 0.99 },
    artifactUri: `s3://cli-artifacts-bucket/runs/${runId}/model.tar.gz`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
  };
}

/** Long enough for a 25 ms poll to see every step even on a busy machine. */
const STEP_MS = 200;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newRunId = (model: string) => `${model}-${randomBytes(8).toString('hex')}`;

/** Plays the pipeline for an upload: StartRun, the steps, then a version (or a failure). */
function simulatePipeline(key: string, ending: 'succeed' | 'fail'): void {
  pipelines.set(key, async (record) => {
    const model = key.split('/')[1] ?? '';
    const runId = newRunId(model);
    await pause(50);
    await registry.createRun({
      runId,
      model,
      dataset: { bucket: record.s3.bucket.name, key },
      step: 'StartRun',
    });
    await pause(STEP_MS);
    await registry.updateRun(runId, { step: 'ValidateDataset' });
    await pause(STEP_MS);
    if (ending === 'fail') {
      const cause = 'row 3, column "age": "abc" is not a number\nrow 9, column "plan": empty value';
      await registry.updateRun(runId, {
        status: 'Failed',
        error: 'DatasetRejected',
        cause,
        endedAt: new Date(),
      });
      return;
    }
    await registry.updateRun(runId, { step: 'TrainModel' });
    await pause(STEP_MS);
    const { version } = await registry.registerVersion(model, {
      lineage: lineage(model, runId, 0.9137),
      status: 'Approved',
      reason: 'validation:auc 0.9137 meets the threshold 0.8; no production champion yet',
    });
    await registry.updateRun(runId, { status: 'Succeeded', version: version.version, endedAt: new Date() });
  });
}

async function objectKeys(client: S3Client, prefix: string): Promise<string[]> {
  const listing = await client.send(new ListObjectsV2Command({ Bucket: DATA_BUCKET, Prefix: prefix }));
  return (listing.Contents ?? []).map((object) => object.Key ?? '');
}

describe('mlops upload', () => {
  it('streams the file to datasets/<model>/<basename> and says where it went', async () => {
    // Prepare
    const file = csvFile('customers.csv');

    // Act
    const text = await mlops(['upload', file, '--model', 'churn']);
    const json = await uploadDataset({ s3: target.s3, dataBucket: DATA_BUCKET }, file, 'churn');

    // Assess
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(`to s3://${DATA_BUCKET}/datasets/churn/customers.csv`);
    expect(json).toMatchObject({
      bucket: DATA_BUCKET,
      key: 'datasets/churn/customers.csv',
      size: Buffer.byteLength(readFileSync(file)),
    });
    const object = await target.s3.send(
      new GetObjectCommand({ Bucket: DATA_BUCKET, Key: 'datasets/churn/customers.csv' }),
    );
    expect(await object.Body?.transformToString()).toBe(readFileSync(file, 'utf8'));
  });

  it('refuses a bad model name and a missing file before looking up the target or sending anything', async () => {
    // Prepare
    const file = csvFile('refused.csv');
    const resolved: TargetOptions[] = [];

    // Act
    const badName = await mlops(['upload', file, '--model', 'Churn_Model'], resolved);
    const missing = await mlops(['upload', join(workDir, 'absent.csv'), '--model', 'refused'], resolved);
    const direct = uploadDataset({ s3: target.s3, dataBucket: DATA_BUCKET }, file, 'Churn_Model');

    // Assess
    expect(badName).toMatchObject({ code: 2, stdout: '' });
    expect(badName.stderr).toBe(
      'error: Invalid model name "Churn_Model": expected 1-32 lowercase letters, digits or hyphens, ' +
        'starting and ending with a letter or digit\n',
    );
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(`error: File not found: ${join(workDir, 'absent.csv')}\n`);
    await expect(direct).rejects.toBeInstanceOf(UsageError);
    expect(resolved).toEqual([]);
    expect(await objectKeys(target.s3, 'datasets/Churn_Model/')).toEqual([]);
    expect(await objectKeys(target.s3, 'datasets/refused/')).toEqual([]);
  });

  it('--wait finds the run of this upload, shows its progress and prints the registered version', async () => {
    // Prepare: an older run of the same key must not be mistaken for this upload's
    const key = 'datasets/wait-ok/monthly.csv';
    await registry.createRun({
      runId: newRunId('wait-ok'),
      model: 'wait-ok',
      dataset: { bucket: DATA_BUCKET, key },
      status: 'Failed',
      startedAt: new Date(Date.now() - 3_600_000),
      endedAt: new Date(Date.now() - 3_500_000),
      error: 'DatasetRejected',
    });
    simulatePipeline(key, 'succeed');

    // Act
    const { code, stdout, stderr } = await mlops([
      'upload',
      csvFile('monthly.csv'),
      '--model',
      'wait-ok',
      '--wait',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(stderr).toMatch(/run wait-ok-[0-9a-f]{16} Running \(ValidateDataset\)/);
    expect(stderr).toMatch(/run wait-ok-[0-9a-f]{16} Running \(TrainModel\)/);
    expect(stderr).toMatch(/run wait-ok-[0-9a-f]{16} Succeeded/);
    expect(stdout).toMatch(/^Run +wait-ok-[0-9a-f]{16}$/m);
    expect(stdout).toMatch(/^Version +wait-ok v1$/m);
    expect(stdout).toMatch(/^Status +Approved$/m);
    expect(stdout).toMatch(/^Objective +validation:auc 0\.9137$/m);
  });

  it('--wait --json prints the outcome and exits 1 with the error and cause when the run fails', async () => {
    // Prepare
    simulatePipeline('datasets/wait-fail/bad.csv', 'fail');

    // Act
    const { code, stdout, stderr } = await mlops([
      'upload',
      csvFile('bad.csv'),
      '--model',
      'wait-fail',
      '--wait',
      '--json',
    ]);

    // Assess
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      outcome: 'Failed',
      upload: { key: 'datasets/wait-fail/bad.csv', uri: `s3://${DATA_BUCKET}/datasets/wait-fail/bad.csv` },
      run: { status: 'Failed', error: 'DatasetRejected', step: 'ValidateDataset' },
      version: null,
    });
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      `error: Run ${result.run.runId} failed in ValidateDataset: DatasetRejected: ` +
        'row 3, column "age": "abc" is not a number; row 9, column "plan": empty value',
    );
  });

  it('--wait gives up after --timeout with a clear message when no run starts', async () => {
    // Prepare
    const file = csvFile('lonely.csv');

    // Act
    const started = Date.now();
    const { code, stdout, stderr } = await mlops([
      'upload',
      file,
      '--model',
      'nobody',
      '--wait',
      '--timeout',
      '0.4',
    ]);

    // Assess
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      `error: Timed out after 0.4s: no run has started for s3://${DATA_BUCKET}/datasets/nobody/lonely.csv ` +
        '(is the pipeline running? see `mlops runs list`)',
    );
  });
});

describe('mlops runs and models', () => {
  let succeeded: Run;
  let failed: Run;

  beforeAll(async () => {
    const dataset = { bucket: DATA_BUCKET, key: 'datasets/fraud/week1.csv' };
    const first = newRunId('fraud');
    await registry.createRun({
      runId: first,
      model: 'fraud',
      dataset,
      startedAt: new Date(Date.now() - 60_000),
    });
    await registry.registerVersion('fraud', { lineage: lineage('fraud', first, 0.81), status: 'Approved' });
    succeeded = await registry.updateRun(first, { status: 'Succeeded', step: 'RegisterModel', version: 1 });
    const second = newRunId('fraud');
    await registry.createRun({
      runId: second,
      model: 'fraud',
      dataset: { ...dataset, key: 'datasets/fraud/w2.csv' },
    });
    failed = await registry.updateRun(second, {
      status: 'Failed',
      step: 'TrainModel',
      error: 'States.TaskFailed',
      cause: 'SageMaker training job train-x Failed: out of memory',
    });
    await registry.registerVersion('fraud', {
      lineage: lineage('fraud', newRunId('fraud'), 0.86),
      status: 'PendingApproval',
      reason: 'approval is manual for this model: an operator must approve this version',
    });
    await registry.setAlias('fraud', 'production', 1, { expectedVersion: null, reason: 'first champion' });
  });

  it('runs list shows the runs newest first, filtered by model and status, as a table and as JSON', async () => {
    // Act
    const json = await mlops(['runs', 'list', '--model', 'fraud', '--json']);
    const text = await mlops(['runs', 'list', '--model', 'fraud']);
    const failedOnly = await listRuns(target.registry, { model: 'fraud', status: 'Failed' });
    const limited = await listRuns(target.registry, { status: 'Succeeded', limit: 1 });

    // Assess
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ runs: [failed, succeeded] });
    const [header, ...rows] = text.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^RUN +MODEL +STATUS +STEP +STARTED +DURATION +VERSION$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${failed.runId} +fraud +Failed +TrainModel `));
    expect(rows[1]).toMatch(new RegExp(`^${succeeded.runId} +fraud +Succeeded +RegisterModel .* v1$`));
    expect(failedOnly).toEqual([failed]);
    expect(limited).toHaveLength(1);
  });

  it('runs show prints one run with its error and cause, and names an unknown run', async () => {
    // Act
    const text = await mlops(['runs', 'show', failed.runId]);
    const json = await mlops(['--json', 'runs', 'show', succeeded.runId]);
    const unknown = await mlops(['runs', 'show', 'fraud-0000000000000000']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Error +States\.TaskFailed$/m);
    expect(text.stdout).toMatch(/^Cause +SageMaker training job train-x Failed: out of memory$/m);
    expect(text.stdout).toMatch(/^Dataset +s3:\/\/cli-data-bucket\/datasets\/fraud\/w2\.csv$/m);
    expect(JSON.parse(json.stdout)).toEqual({ run: succeeded });
    expect(await showRun(target.registry, succeeded.runId)).toEqual(succeeded);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe(
      'error: Run fraud-0000000000000000 does not exist (list runs with `mlops runs list`)\n',
    );
  });

  it('models list and models show give the summary, aliases and versions newest first', async () => {
    // Act
    const list = await mlops(['models', 'list']);
    const show = await mlops(['models', 'show', 'fraud']);
    const json = await mlops(['models', 'show', 'fraud', '--json']);
    const models = await listModels(target.registry);

    // Assess
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^MODEL +LATEST +PRODUCTION +STAGING +UPDATED$/m);
    expect(list.stdout).toMatch(/^fraud +v2 +v1 +- +\S+$/m);
    expect(models.find((model) => model.model === 'fraud')).toMatchObject({
      latestVersion: 2,
      aliases: { production: 1 },
    });
    expect(show.stdout).toMatch(/^production +v1 +\S+ +first champion$/m);
    expect(show.stdout).toMatch(/^staging +- +- +-$/m);
    expect(show.stdout).toMatch(/^v2 +PendingApproval +validation:auc 0\.8600 /m);
    expect(show.stdout).toMatch(/^v1 +Approved +validation:auc 0\.8100 /m);
    const details = JSON.parse(json.stdout);
    expect(details).toEqual(JSON.parse(JSON.stringify(await showModel(target.registry, 'fraud'))));
    expect(details.versions.map((version: { version: number }) => version.version)).toEqual([2, 1]);
    expect(details.aliases).toMatchObject({ production: { version: 1 }, staging: null });
  });

  it('models show --version prints the full record: status, reason, lineage and metrics', async () => {
    // Act
    const text = await mlops(['models', 'show', 'fraud', '--version', '2']);
    const json = await mlops(['models', 'show', 'fraud', '--version', '1', '--json']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Status +PendingApproval$/m);
    expect(text.stdout).toMatch(
      /^Reason +approval is manual for this model: an operator must approve this version$/m,
    );
    expect(text.stdout).toMatch(/^Training job +train-fraud-[0-9a-f]{16}$/m);
    expect(text.stdout).toMatch(/^Hyperparameters +eval_metric=auc max_depth=5 objective=binary:logistic$/m);
    expect(text.stdout).toMatch(/^validation:auc +0\.8600$/m);
    expect(JSON.parse(json.stdout)).toEqual({
      ...(await showVersion(target.registry, 'fraud', 1)),
      aliases: ['production'],
    });
  });

  it('names an unknown model (with a suggestion) and an unknown version, exit code 1', async () => {
    // Act
    const model = await mlops(['models', 'show', 'frauds']);
    const version = await mlops(['models', 'show', 'fraud', '--version', '9']);
    const usage = await mlops(['models', 'show', 'fraud', '--version', 'latest']);

    // Assess
    expect(model).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Model frauds does not exist (did you mean fraud?)\n',
    });
    expect(version).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: fraud v9 does not exist (fraud has v1 to v2)\n',
    });
    expect(usage).toMatchObject({ code: 2, stdout: '' });
  });
});

describe('mlops target resolution and the real entry point', () => {
  it('prints the registry as JSON from bin/mlops.ts', async () => {
    // Act
    const { code, stdout, stderr } = await mlopsProcess([
      'models',
      'list',
      '--json',
      '--state-dir',
      stateDir,
    ]);

    // Assess
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout).models.map((model: { model: string }) => model.model)).toContain('fraud');
  });

  it('says how to start a runtime when none is running, exit code 1, no stack trace', async () => {
    // Prepare
    const empty = mkdtempSync(join(workDir, 'empty-'));

    // Act
    const { code, stdout, stderr } = await mlopsProcess(['runs', 'list', '--state-dir', empty]);

    // Assess
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `error: No local runtime is running (no ${join(empty, 'runtime.json')}). ` +
        'Start one with `npm start` in the project folder.\n',
    );
  });

  it('looks for the runtime in the project folder when run from another folder', async () => {
    // Act
    const { code, stderr } = await mlopsProcess(['models', 'list', '--json'], workDir);

    // Assess: whether or not `npm start` is up, the CLI looked in the project folder, not in the working one.
    if (code !== 0) expect(stderr).toContain(`no ${join(ROOT, '.mlops-local', 'runtime.json')})`);
  });

  it('refuses a stale discovery file whose process is gone', async () => {
    // Prepare
    const stale = mkdtempSync(join(workDir, 'stale-'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeDiscovery(stale, discovery(dead));

    // Act
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['models', 'list', '--state-dir', stale], {
      io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    });

    // Assess
    expect({ code, stdout: out.join('') }).toEqual({ code: 1, stdout: '' });
    expect(err.join('')).toBe(
      `error: The local runtime recorded in ${join(stale, 'runtime.json')} (pid ${dead}) is not running. ` +
        'Start it with `npm start`.\n',
    );
  });

  it('reports usage errors with exit code 2', async () => {
    // Act
    const missing = await mlops(['upload']);
    const status = await mlops(['runs', 'list', '--status', 'Done']);
    const limit = await mlops(['runs', 'list', '--limit', '0']);

    // Assess
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/^error: /);
    expect(status).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Invalid run status "Done": expected one of Running, Succeeded, Failed\n',
    });
    expect(limit.stderr).toBe('error: Invalid --limit "0": expected an integer from 1 to 1000\n');
  });
});
