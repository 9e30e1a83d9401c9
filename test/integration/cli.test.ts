import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../cli/approval';
import { requestDeployment } from '../../cli/deployments';
import { CliError, UsageError } from '../../cli/errors';
import { listModels, showModel, showVersion } from '../../cli/models';
import { interpret, readPredictions } from '../../cli/predict';
import { runCli } from '../../cli/program';
import { listRuns, showRun } from '../../cli/runs';
import { localTarget, resolveTarget, type Target, type TargetOptions } from '../../cli/target';
import { uploadDataset } from '../../cli/upload';
import type { RunCost } from '../../lambdas/shared/cost/calculate';
import { alarmNames } from '../../lambdas/shared/endpoints/naming';
import {
  DEPLOYMENT_REQUESTED,
  type DeploymentRequestedDetail,
  deploymentIdFor,
  deploymentRequestedDetailSchema,
  EVENT_SOURCE,
  MODEL_APPROVED,
  MODEL_REJECTED,
  modelDecisionDetailSchema,
  RUN_RETRY_REQUESTED,
  retryRunId,
} from '../../lambdas/shared/events';
import {
  type Deployment,
  type Lineage,
  ModelRegistryClient,
  type ModelVersion,
  type Run,
} from '../../lambdas/shared/registry';
import { runForUpload } from '../../lambdas/shared/runs';
import {
  declaredContractKey,
  modelArtifactKey,
  RunArtifacts,
  runArtifactKey,
  storedContractKey,
} from '../../lambdas/shared/s3-layout';
import type { DatasetEncoding } from '../../lambdas/validate-dataset/report';
import { type LocalEvent, type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, type S3EventRecord, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { type RuntimeDiscovery, writeDiscovery } from '../../local/discovery';
import { type LocalSageMakerRuntime, startLocalSageMakerRuntime } from '../../local/sagemaker/runtime';
import { float32 } from '../../local/sagemaker/runtime/python-format';
import { type LocalSageMaker, startLocalSageMaker } from '../../local/sagemaker/server';
import { fitModel, type GbdtModel, predict as xgboostPredict } from '../../local/trainers/xgboost/gbdt';
import { useRegistryTable } from '../support/dynamodb';

const DATA_BUCKET = 'cli-data-bucket';
const ARTIFACTS_BUCKET = 'cli-artifacts-bucket';
const ROOT = join(__dirname, '..', '..');

const table = useRegistryTable();
let s3: LocalS3;
let eventBridge: LocalEventBridge;
let workDir: string;
let stateDir: string;
let registry: ModelRegistryClient;
let target: Target;
/** What the simulated pipeline does when an object is created, by key. */
const pipelines = new Map<string, (record: S3EventRecord) => Promise<void>>();
/** What the simulated StartRun does when a retry of a run is requested, by the run retried. */
const retries = new Map<string, (event: LocalEvent) => Promise<void>>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  stateDir = join(workDir, 'state');
  mkdirSync(stateDir);
  s3 = await startLocalS3({ directory: join(workDir, 's3'), buckets: [DATA_BUCKET, ARTIFACTS_BUCKET] });
  eventBridge = await startLocalEventBridge({ account: '123456789012', region: 'us-east-1' });
  eventBridge.onEvent(
    (event) => void retries.get((event.detail as { retryOf?: string }).retryOf ?? '')?.(event),
  );
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
  await eventBridge?.stop();
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

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process against the test's state directory, counting target look-ups. */
async function mlops(
  argv: readonly string[],
  resolved: TargetOptions[] = [],
  requestId?: string,
): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--state-dir', stateDir], {
    operator: 'ops@test',
    ...(requestId === undefined ? {} : { newRequestId: () => requestId }),
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    pollIntervalMs: 25,
    resolveTarget: (options) => {
      resolved.push(options);
      return resolveTarget(options);
    },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/**
 * Runs the real entry point in a child process, by default from the project folder. `readerGone`: the reader of
 * its stdout goes away before the CLI writes (as `| head -2` does once it has its lines).
 */
function mlopsProcess(argv: readonly string[], cwd = ROOT, readerGone = false): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'bin', 'mlops.ts'), ...argv], { cwd });
    // Closed before the child has even loaded the CLI: its first write meets a pipe with no reader.
    if (readerGone) child.stdout.destroy();
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
    artifactUri: `s3://${ARTIFACTS_BUCKET}/${modelArtifactKey(runId, runId)}`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
  };
}

/** Long enough for a 25 ms poll to see every step even on a busy machine. */
const STEP_MS = 200;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newRunId = (model: string) => `${model}-${randomBytes(8).toString('hex')}`;

/** Plays the pipeline for an upload: StartRun (named by runForUpload), the steps, then a version or a failure. */
function simulatePipeline(key: string, ending: 'succeed' | 'fail'): void {
  pipelines.set(key, async (record) => {
    // The version id the local S3 gave the upload, when it gives one (as a versioned bucket does).
    const { versionId } = record.s3.object as { versionId?: string };
    const { runId, model, dataset } = runForUpload({ bucket: record.s3.bucket.name, key, versionId });
    await pause(50);
    await registry.createRun({ runId, model, dataset, step: 'ValidateDataset' });
    await pause(STEP_MS);
    if (ending === 'fail') {
      const report = `s3://${ARTIFACTS_BUCKET}/${runArtifactKey(runId, RunArtifacts.report)}`;
      const cause =
        `s3://${DATA_BUCKET}/${key} was rejected: row 3, column "age": "abc" is not a number\n` +
        `row 9, column "plan": empty value. Full report: ${report}`;
      await registry.updateRun(runId, {
        status: 'Failed',
        error: 'DatasetRejected',
        cause,
        endedAt: new Date(),
      });
      return;
    }
    await playTraining(runId, model);
  });
}

/** The steps after validation, as the workflow records them, ending with a registered version. */
async function playTraining(runId: string, model: string): Promise<void> {
  await registry.updateRun(runId, { step: 'TrainModel' });
  await pause(STEP_MS);
  await registry.updateRun(runId, { step: 'EvaluateModel' });
  await pause(STEP_MS);
  const { version } = await registry.registerVersion(model, {
    lineage: lineage(model, runId, 0.9137),
    status: 'Approved',
    reason: 'validation:auc 0.9137 meets the threshold 0.8; no production champion yet',
  });
  await registry.updateRun(runId, {
    status: 'Succeeded',
    step: 'RegisterModel',
    version: version.version,
    endedAt: new Date(),
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
    expect(text.stdout).toMatch(
      /^Run churn-[0-9a-f]{16} starts for churn: follow it with `mlops runs show churn-/m,
    );
    // Named as StartRun names it: from the object version the upload created (none in an unversioned bucket).
    const { runId } = runForUpload({ bucket: DATA_BUCKET, key: json.key, versionId: json.versionId });
    expect(json).toMatchObject({
      bucket: DATA_BUCKET,
      key: 'datasets/churn/customers.csv',
      size: Buffer.byteLength(readFileSync(file)),
      runId,
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
    const runId = /waiting for run (\S+)\.\.\./.exec(stderr)?.[1];
    expect(stderr.split('\n').map((line) => line.replace(/^\[\d+s\] /, ''))).toEqual([
      `Uploaded monthly.csv (44 B) to s3://${DATA_BUCKET}/${key}; waiting for run ${runId}...`,
      `run ${runId} Running (ValidateDataset)`,
      `run ${runId} Running (TrainModel)`,
      `run ${runId} Running (EvaluateModel)`,
      `run ${runId} Succeeded (RegisterModel)`,
      '',
    ]);
    expect(stdout).toMatch(new RegExp(`^Run +${runId}$`, 'm'));
    expect(stdout).toMatch(/^Version +wait-ok v1$/m);
    expect(stdout).toMatch(/^Status +Approved$/m);
    expect(stdout).toMatch(/^Objective +validation:auc 0\.9137$/m);
  });

  it('--wait shows every step the run passed through, also those shorter than the poll interval', async () => {
    // Prepare: a poll interval longer than the whole run (its steps take 200 ms each)
    const key = 'datasets/wait-slow/slow-poll.csv';
    simulatePipeline(key, 'succeed');
    const err: string[] = [];

    // Act
    const code = await runCli(
      ['upload', csvFile('slow-poll.csv'), '--model', 'wait-slow', '--wait', '--state-dir', stateDir],
      { io: { out: () => undefined, err: (text) => err.push(text) }, pollIntervalMs: 3_000 },
    );

    // Assess: the same lines as with a 25 ms poll
    expect(code).toBe(0);
    const runId = /waiting for run (\S+)\.\.\./.exec(err.join(''))?.[1];
    expect(
      err
        .join('')
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^\[\d+s\] /, '')),
    ).toEqual([
      `run ${runId} Running (ValidateDataset)`,
      `run ${runId} Running (TrainModel)`,
      `run ${runId} Running (EvaluateModel)`,
      `run ${runId} Succeeded (RegisterModel)`,
      '',
    ]);
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
    const { runId } = result.run;
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      `error: Run ${runId} failed in ValidateDataset: DatasetRejected: ` +
        `s3://${DATA_BUCKET}/datasets/wait-fail/bad.csv was rejected: row 3, column "age": "abc" is not a number; ` +
        `row 9, column "plan": empty value. Full report: \`mlops artifacts ${runId} report\``,
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
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(
        `^error: Timed out after 0\\.4s: run nobody-[0-9a-f]{16} for s3://${DATA_BUCKET}/datasets/nobody/lonely\\.csv ` +
          'has not started \\(is the pipeline running\\? see `mlops runs list`\\)$',
      ),
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

  it('runs list and runs show give a Running run its current step, and no end yet', async () => {
    // Prepare: a run the pipeline is training now
    const runId = newRunId('live');
    await registry.createRun({
      runId,
      model: 'live',
      dataset: { bucket: DATA_BUCKET, key: 'datasets/live/now.csv' },
      step: 'ValidateDataset',
      startedAt: new Date(Date.now() - 90_000),
    });
    await registry.updateRun(runId, { step: 'TrainModel' });

    // Act
    const list = await mlops(['runs', 'list', '--model', 'live']);
    const show = await mlops(['runs', 'show', runId]);

    // Assess
    expect(list.code).toBe(0);
    expect(list.stdout.trimEnd().split('\n')[1]).toMatch(
      new RegExp(`^${runId} +live +Running +TrainModel +\\S+Z +\\d+m \\d\\ds +-$`),
    );
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^Status +Running$/m);
    expect(show.stdout).toMatch(/^Step +TrainModel$/m);
    expect(show.stdout).toMatch(/^Ended +-$/m);
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

/** A churn dataset the validator accepts: 12 rows, 2 classes, a nullable numeric column. */
function churnCsv(): string {
  const rows = Array.from({ length: 12 }, (_, i) => {
    const tenure = i === 4 ? '' : String(3 + i * 5);
    return `${tenure},${['basic', 'premium', 'standard'][i % 3]},${i % 2 === 0 ? 'no' : 'yes'}`;
  });
  return `tenure,plan,churned\n${rows.join('\n')}\n`;
}

async function putObject(bucket: string, key: string, body: string | Buffer): Promise<void> {
  await target.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

describe('mlops upload schema.json', () => {
  it('checks the contract with the pipeline parser first: every field error, exit 2, nothing uploaded', async () => {
    // Prepare
    const dir = mkdtempSync(join(workDir, 'bad-schema-'));
    const file = join(dir, 'schema.json');
    writeFileSync(
      file,
      JSON.stringify({
        target: 'y',
        problemType: 'ranking',
        columns: [{ name: 'age', type: 'float' }],
        extra: 1,
      }),
    );
    const resolved: TargetOptions[] = [];

    // Act
    const outcome = await mlops(['upload', file, '--model', 'contract-bad'], resolved);

    // Assess
    expect(outcome).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `error: ${file} is not a valid data contract (3 errors); nothing was uploaded (see docs/data-contract.md):\n` +
        '  problemType: "ranking" is not allowed (expected "binary", "multiclass" or "regression")\n' +
        '  columns[0].type: "float" is not allowed (expected "numeric" or "categorical")\n' +
        '  extra: unknown field\n',
    });
    expect(resolved).toEqual([]);
    expect(await objectKeys(target.s3, 'datasets/contract-bad/')).toEqual([]);
  });

  it('uploads a contract that declares only the target and problem type', async () => {
    // Prepare
    const dir = mkdtempSync(join(workDir, 'target-only-'));
    const file = join(dir, 'schema.json');
    writeFileSync(file, JSON.stringify({ target: 'churned', problemType: 'binary' }));

    // Act
    const outcome = await mlops(['upload', file, '--model', 'target-only']);

    // Assess
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toBe(
      `Uploaded schema.json (43 B) to s3://${DATA_BUCKET}/${declaredContractKey('target-only')}\n` +
        "It is target-only's data contract from now on; no run starts.\n",
    );
  });
});

describe('mlops init', () => {
  it('--out infers the contract offline with the pipeline validator, prints it and writes it', async () => {
    // Prepare
    const file = csvFile('init-churn.csv', churnCsv());
    const out = join(mkdtempSync(join(workDir, 'init-')), 'schema.json');
    const resolved: TargetOptions[] = [];

    // Act
    const outcome = await mlops(
      ['init', file, '--model', 'churn', '--target', 'churned', '--out', out],
      resolved,
    );
    const again = await mlops(
      ['init', file, '--model', 'churn', '--target', 'churned', '--out', out],
      resolved,
    );

    // Assess
    expect(resolved).toEqual([]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      [
        'Model         churn',
        `File          ${file}`,
        'Rows          12',
        'Target        churned',
        'Problem type  binary',
        'Labels        no, yes',
        '',
        'COLUMN   TYPE         NULLABLE  ROLE     OBSERVED',
        'tenure   numeric      yes       feature  3 to 58, mean 31.1818, 1 empty',
        'plan     categorical  no        feature  3 values: basic 4, premium 4, standard 4',
        'churned  categorical  no        target   2 classes: no 6, yes 6',
        '',
        `Wrote the contract to ${out}.`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      target: 'churned',
      problemType: 'binary',
      columns: [
        { name: 'tenure', type: 'numeric', nullable: true },
        { name: 'plan', type: 'categorical' },
        { name: 'churned', type: 'categorical' },
      ],
      labels: ['no', 'yes'],
    });
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${out} already exists (use --force to overwrite it)\n`,
    });
  });

  it('uploads the contract to datasets/<model>/schema.json, and replaces one only with --force', async () => {
    // Prepare
    const file = csvFile('init-upload.csv', churnCsv());

    // Act
    const first = await mlops(['init', file, '--model', 'init-up', '--target', 'churned', '--json']);
    const second = await mlops(['init', file, '--model', 'init-up', '--target', 'churned']);
    const forced = await mlops(['init', file, '--model', 'init-up', '--target', 'churned', '--force']);

    // Assess
    const uri = `s3://${DATA_BUCKET}/${declaredContractKey('init-up')}`;
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'accepted', model: 'init-up', writtenTo: uri });
    const stored = await target.s3.send(
      new GetObjectCommand({ Bucket: DATA_BUCKET, Key: declaredContractKey('init-up') }),
    );
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '')).toEqual(
      JSON.parse(first.stdout).contract,
    );
    expect(second).toMatchObject({ code: 1, stdout: '' });
    expect(second.stderr).toBe(
      `error: ${uri} already exists: init-up has a declared contract (use --force to replace it, or --out <file> to write this one locally)\n`,
    );
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(
      `Wrote the contract to ${uri}. Uploads to datasets/init-up/ are checked against it.`,
    );
  });

  it('reports why a file cannot give a contract (exit 1) and refuses an unknown problem type (exit 2)', async () => {
    // Prepare
    const file = csvFile('init-short.csv', 'a,b\n1,x\n2,y\n');

    // Act
    const rejected = await mlops([
      'init',
      file,
      '--model',
      'short',
      '--target',
      'b',
      '--out',
      join(workDir, 'x.json'),
    ]);
    const usage = await mlops([
      'init',
      file,
      '--model',
      'short',
      '--target',
      'b',
      '--problem-type',
      'ranking',
    ]);

    // Assess
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toMatch(/^Status +rejected$/m);
    expect(rejected.stdout).toContain('too-few-rows');
    expect(rejected.stderr).toBe(
      `error: ${file} was rejected: no contract was written (the problems are listed above)\n`,
    );
    expect(existsSync(join(workDir, 'x.json'))).toBe(false);
    expect(usage).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Invalid --problem-type "ranking": expected one of binary, multiclass, regression\n',
    });
  });
});

describe('mlops validate', () => {
  const contract = {
    target: 'churned',
    problemType: 'binary',
    labels: ['no', 'yes'],
    columns: [
      { name: 'tenure', type: 'numeric', nullable: true, min: 0 },
      { name: 'plan', type: 'categorical' },
      { name: 'churned', type: 'categorical' },
    ],
  };
  let schema: string;

  beforeAll(() => {
    schema = join(mkdtempSync(join(workDir, 'validate-')), 'schema.json');
    writeFileSync(schema, JSON.stringify(contract));
  });

  it('--schema accepts a conforming file (exit 0) and prints rows, types and the split', async () => {
    // Act
    const outcome = await mlops(['validate', csvFile('ok.csv', churnCsv()), '--schema', schema]);

    // Assess
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toMatch(/^Status +accepted$/m);
    expect(outcome.stdout).toMatch(
      new RegExp(`^Contract +file \\(${schema.replaceAll('/', '\\/')}\\)$`, 'm'),
    );
    expect(outcome.stdout).toMatch(/^Rows +12$/m);
    expect(outcome.stdout).toMatch(/^Split +10 train, 2 validation \(seed 42\)$/m);
    expect(outcome.stdout).toMatch(/^tenure +numeric +yes +feature +3 to 58/m);
  });

  it('--schema rejects a file with bad cells (exit 1) and names each row and column', async () => {
    // Prepare
    const bad = churnCsv().replace('\n8,', '\nabc,').replace('premium,yes\n', 'premium,maybe\n');

    // Act
    const text = await mlops(['validate', csvFile('bad-cells.csv', bad), '--schema', schema]);
    const json = await mlops(['validate', csvFile('bad-cells.csv', bad), '--schema', schema, '--json']);

    // Assess
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^Status +rejected$/m);
    expect(text.stdout).toMatch(/^not-a-number +row 2 \(line 3\), column "tenure": "abc" is not a number/m);
    expect(text.stdout).toMatch(/^unknown-label +row 2 \(line 3\), column "churned": "maybe"/m);
    expect(text.stderr).toBe(`error: ${join(workDir, 'bad-cells.csv')} was rejected: 2 problems\n`);
    expect(text.stdout).toContain(
      [
        'COLUMN   TYPE         ROLE',
        'tenure   numeric      feature',
        'plan     categorical  feature',
        'churned  categorical  target',
      ].join('\n'),
    );
    expect(json.code).toBe(1);
    const document = JSON.parse(json.stdout);
    expect(document.report.problems).toEqual([
      expect.objectContaining({ kind: 'not-a-number', row: 2, column: 'tenure', value: 'abc' }),
      expect.objectContaining({ kind: 'unknown-label', row: 2, column: 'churned', value: 'maybe' }),
    ]);
    // The contract came from the file given, as the text output says
    expect(document.report.contractSource).toBe('file');
    expect(document.contractSource).toEqual({ kind: 'file', location: schema });
  });

  it('says a file rejected at its header stopped there, and still shows the header with the types', async () => {
    // Prepare: no target column; one column the contract does not know
    const file = csvFile('no-target.csv', 'tenure,plan,extra\n3,basic,x\n');

    // Act
    const outcome = await mlops(['validate', file, '--schema', schema]);

    // Assess
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/^Rows +none read: validation stopped at the header$/m);
    expect(outcome.stdout).not.toMatch(/^Rows +0$/m);
    expect(outcome.stdout).toContain(
      [
        'COLUMN  TYPE         ROLE',
        'tenure  numeric      feature',
        'plan    categorical  feature',
        'extra   -            ignored',
      ].join('\n'),
    );
    expect(outcome.stdout).toMatch(
      /^missing-target +header \(line 1\): the target column "churned" is missing/m,
    );
  });

  it('shows the types the validator inferred for a rejected file when the contract declares none', async () => {
    // Prepare: a partial contract (the target only) and a ragged row
    const partial = csvFile('partial-schema.json', JSON.stringify({ target: 'churned' }));
    const file = csvFile('ragged.csv', 'tenure,plan,churned\n3,basic,no\n5,premium\n7,basic,yes\n');

    // Act
    const outcome = await mlops(['validate', file, '--schema', partial]);

    // Assess
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/^field-count +row 2 \(line 3\)/m);
    expect(outcome.stdout).toContain(
      [
        'COLUMN   TYPE         ROLE',
        'tenure   numeric      feature',
        'plan     categorical  feature',
        'churned  categorical  target',
      ].join('\n'),
    );
  });

  it('refuses a file that is not a .csv, as upload does (exit 2), before reading anything', async () => {
    // Prepare
    const file = csvFile('data.txt', churnCsv());

    // Act
    const outcome = await mlops(['validate', file, '--schema', schema]);
    const init = await mlops([
      'init',
      file,
      '--model',
      'm',
      '--target',
      'churned',
      '--out',
      join(workDir, 'o.json'),
    ]);

    // Assess
    const refusal = (command: string) =>
      `error: Cannot ${command} data.txt: only <file>.csv is a dataset (the pipeline trains on ` +
      'datasets/<model>/<file>.csv; `mlops upload` refuses other names)\n';
    expect(outcome).toEqual({ code: 2, stdout: '', stderr: refusal('validate') });
    expect(init).toEqual({ code: 2, stdout: '', stderr: refusal('init') });
  });

  it('--model reads the declared contract, else the stored one, and says how to make one when there is none', async () => {
    // Prepare
    await putObject(DATA_BUCKET, declaredContractKey('declared'), JSON.stringify(contract));
    await putObject(
      ARTIFACTS_BUCKET,
      storedContractKey('stored'),
      JSON.stringify({ ...contract, labels: undefined }),
    );
    const file = csvFile('by-model.csv', churnCsv());

    // Act
    const declared = await mlops(['validate', file, '--model', 'declared']);
    const stored = await mlops(['validate', file, '--model', 'stored']);
    const none = await mlops(['validate', file, '--model', 'nocontract']);

    // Assess
    expect(declared.code).toBe(0);
    expect(declared.stdout).toContain(`declared (s3://${DATA_BUCKET}/${declaredContractKey('declared')})`);
    expect(stored.code).toBe(0);
    expect(stored.stdout).toContain(`stored (s3://${ARTIFACTS_BUCKET}/${storedContractKey('stored')})`);
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: Model nocontract has no contract yet (neither s3://${DATA_BUCKET}/${declaredContractKey('nocontract')} ` +
        `nor s3://${ARTIFACTS_BUCKET}/${storedContractKey('nocontract')} exists): create one with ` +
        '`mlops init <file.csv> --model nocontract --target <column>`, or check the file against a local schema with ' +
        '`mlops validate <file.csv> --schema <schema.json>`\n',
    });
  });

  it('needs exactly one of --model and --schema (exit 2)', async () => {
    // Act
    const neither = await mlops(['validate', csvFile('x.csv', churnCsv())]);
    const both = await mlops(['validate', csvFile('x.csv', churnCsv()), '--model', 'm', '--schema', schema]);

    // Assess
    const stderr = 'error: validate needs exactly one of --model <name> or --schema <file>\n';
    expect(neither).toEqual({ code: 2, stdout: '', stderr });
    expect(both).toEqual({ code: 2, stdout: '', stderr });
  });
});

describe('mlops artifacts', () => {
  let trained: Run;
  let rejected: Run;
  const report = JSON.stringify({ status: 'accepted', rows: 12 }, null, 2);

  beforeAll(async () => {
    const model = 'artifacts';
    const dataset = { bucket: DATA_BUCKET, key: `datasets/${model}/a.csv` };
    const runId = newRunId(model);
    await registry.createRun({ runId, model, dataset, step: 'ValidateDataset' });
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(runId, RunArtifacts.report), report);
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(runId, RunArtifacts.lineage), '{"rowCount":12}');
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(runId, RunArtifacts.baseline), '{"rows":12}');
    await putObject(ARTIFACTS_BUCKET, modelArtifactKey(runId, runId), Buffer.from([0x1f, 0x8b, 0, 255]));
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(runId, RunArtifacts.contract), '{"target":"y0"}');
    await putObject(ARTIFACTS_BUCKET, storedContractKey(model), '{"target":"y"}'); // listed, not parsed
    await registry.registerVersion(model, { lineage: lineage(model, runId, 0.9), status: 'Approved' });
    trained = await registry.updateRun(runId, { status: 'Succeeded', step: 'RegisterModel', version: 1 });
    const failedId = newRunId(model);
    await registry.createRun({ runId: failedId, model, dataset, step: 'ValidateDataset' });
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(failedId, RunArtifacts.report), '{"status":"rejected"}');
    rejected = await registry.updateRun(failedId, {
      status: 'Failed',
      error: 'DatasetRejected',
      endedAt: new Date(),
    });
  });

  it('lists what a run has, prints a JSON artifact and saves one with --out', async () => {
    // Prepare
    const out = join(mkdtempSync(join(workDir, 'artifacts-')), 'baseline.json');

    // Act
    const list = await mlops(['artifacts', trained.runId]);
    const printed = await mlops(['artifacts', trained.runId, 'report']);
    const saved = await mlops(['artifacts', trained.runId, 'baseline', '--out', out]);

    // Assess
    const at = (key: string) => `s3://${ARTIFACTS_BUCKET}/${key}`;
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toBe(
      [
        'ARTIFACT  SIZE  LOCATION',
        `report    ${`${Buffer.byteLength(report)} B`.padEnd(4)}  ${at(runArtifactKey(trained.runId, RunArtifacts.report))}`,
        `lineage   15 B  ${at(runArtifactKey(trained.runId, RunArtifacts.lineage))}`,
        `baseline  11 B  ${at(runArtifactKey(trained.runId, RunArtifacts.baseline))}`,
        `encoding  -     ${at(runArtifactKey(trained.runId, RunArtifacts.encoding))}`,
        `contract  15 B  ${at(runArtifactKey(trained.runId, RunArtifacts.contract))}`,
        `model     4 B   ${at(modelArtifactKey(trained.runId, trained.runId))}`,
        `Print one with \`mlops artifacts ${trained.runId} <name>\`, or save it with --out <file>.`,
        '',
      ].join('\n'),
    );
    expect(printed).toEqual({ code: 0, stdout: `${report}\n`, stderr: '' });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(
      `Saved ${at(runArtifactKey(trained.runId, RunArtifacts.baseline))} (11 B) to ${out}\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe('{"rows":12}');
  });

  it('downloads model.tar.gz byte for byte, and only with --out', async () => {
    // Prepare
    const out = join(mkdtempSync(join(workDir, 'model-')), 'model.tar.gz');

    // Act
    const saved = await mlops(['artifacts', trained.runId, 'model', '--out', out]);
    const printed = await mlops(['artifacts', trained.runId, 'model']);

    // Assess
    expect(saved.code).toBe(0);
    expect([...readFileSync(out)]).toEqual([0x1f, 0x8b, 0, 255]);
    expect(printed).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: model.tar.gz is binary: save it with --out <file>\n',
    });
  });

  it('ends quietly with exit code 0 when the reader of its output goes away (`| head -2`)', async () => {
    // Act: an artifact, a table and the help, each into a pipe whose reader is gone
    const outcomes = await Promise.all([
      mlopsProcess(['artifacts', trained.runId, 'baseline', '--state-dir', stateDir], ROOT, true),
      mlopsProcess(['runs', 'list', '--state-dir', stateDir], ROOT, true),
      mlopsProcess(['--help'], ROOT, true),
    ]);

    // Assess: no EPIPE stack trace, no failure
    expect(outcomes.map(({ code, stderr }) => ({ code, stderr }))).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
  });

  it("gives a run's own contract, and for an older run without one the model's current contract, saying so", async () => {
    // Act
    const own = await mlops(['artifacts', trained.runId, 'contract']);
    const older = await mlops(['artifacts', rejected.runId, 'contract']);
    const listed = await mlops(['artifacts', rejected.runId]);

    // Assess
    expect(own).toEqual({ code: 0, stdout: '{"target":"y0"}\n', stderr: '' });
    const note =
      `run ${rejected.runId} has no s3://${ARTIFACTS_BUCKET}/${runArtifactKey(rejected.runId, RunArtifacts.contract)} ` +
      "(only accepted datasets get one, since this version): this is model artifacts's current contract, which may " +
      'differ from the one the run was validated against';
    expect(older).toEqual({ code: 0, stdout: '{"target":"y"}\n', stderr: `note: ${note}\n` });
    expect(listed.stdout).toMatch(
      new RegExp(`^contract +14 B +s3://${ARTIFACTS_BUCKET}/${storedContractKey('artifacts')}$`, 'm'),
    );
    expect(listed.stdout).toContain(`\ncontract: ${note}\n`);
  });

  it('says why a run lacks an artifact, and names an unknown artifact or run', async () => {
    // Act
    const baseline = await mlops(['artifacts', rejected.runId, 'baseline']);
    const unknown = await mlops(['artifacts', rejected.runId, 'weights']);
    const noRun = await mlops(['artifacts', 'artifacts-0000000000000000']);

    // Assess
    expect(baseline).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: Run ${rejected.runId} has no baseline (no s3://${ARTIFACTS_BUCKET}/${runArtifactKey(rejected.runId, RunArtifacts.baseline)}): ` +
        'it failed in ValidateDataset (DatasetRejected) before writing it\n',
    });
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: Invalid artifact "weights": expected one of report, lineage, baseline, encoding, contract, model\n',
    });
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toBe(
      'error: Run artifacts-0000000000000000 does not exist (list runs with `mlops runs list`)\n',
    );
  });
});

describe('mlops runs retry', () => {
  let failed: Run;
  let running: Run;

  beforeAll(async () => {
    const model = 'retry';
    const dataset = { bucket: DATA_BUCKET, key: 'datasets/retry/a.csv', versionId: 'v1' };
    const failedId = newRunId(model);
    await registry.createRun({ runId: failedId, model, dataset, step: 'ValidateDataset' });
    failed = await registry.updateRun(failedId, {
      status: 'Failed',
      step: 'TrainModel',
      error: 'SageMaker.ResourceLimitExceededException',
      endedAt: new Date(),
    });
    running = (await registry.createRun({ runId: newRunId(model), model, dataset, step: 'TrainModel' })).run;
  });

  it('sends one Run Retry Requested event to the stack bus and names the new run', async () => {
    // Prepare
    const requestId = randomBytes(8).toString('hex');
    const before = eventBridge.events.length;

    // Act
    const outcome = await mlops(['runs', 'retry', failed.runId, '--reason', 'quota raised'], [], requestId);

    // Assess
    const newRun = retryRunId(failed, requestId);
    expect(outcome).toEqual({
      code: 0,
      stdout:
        `Requested a retry of run ${failed.runId}: run ${newRun} starts for retry (forced: trained even if the data was trained before).\n` +
        `Follow it with \`mlops runs show ${newRun}\`, or retry with --wait.\n`,
      stderr: '',
    });
    expect(eventBridge.events.slice(before)).toEqual([
      expect.objectContaining({
        source: EVENT_SOURCE,
        'detail-type': RUN_RETRY_REQUESTED,
        eventBusName: 'default',
        detail: { retryOf: failed.runId, requestId, requestedBy: 'ops@test', reason: 'quota raised' },
      }),
    ]);
  });

  it('--wait follows the new run to its version; runs show and list link it to the first', async () => {
    // Prepare: StartRun's part, played when the request arrives
    const requestId = randomBytes(8).toString('hex');
    const newRun = retryRunId(failed, requestId);
    retries.set(failed.runId, async (event) => {
      const detail = event.detail as { retryOf: string; requestedBy: string };
      await registry.createRun({
        runId: newRun,
        model: failed.model,
        dataset: failed.dataset,
        step: 'ValidateDataset',
        retryOf: detail.retryOf,
        forced: true,
        actor: detail.requestedBy,
      });
      await pause(STEP_MS);
      await playTraining(newRun, failed.model);
    });

    // Act
    const waited = await mlops(['runs', 'retry', failed.runId, '--wait'], [], requestId);
    const show = await mlops(['runs', 'show', newRun]);
    const list = await mlops(['runs', 'list', '--model', 'retry']);

    // Assess
    expect(waited.code).toBe(0);
    expect(waited.stderr).toMatch(new RegExp(`run ${newRun} Running \\(TrainModel\\)`));
    expect(waited.stdout).toMatch(new RegExp(`^Retry of +${failed.runId}$`, 'm'));
    expect(waited.stdout).toMatch(/^Version +retry v1$/m);
    expect(show.stdout).toMatch(new RegExp(`^Retry of +${failed.runId}$`, 'm'));
    expect(list.stdout).toMatch(/ NOTE$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^${newRun} +retry +Succeeded +RegisterModel .* v1 +retry of ${failed.runId}$`, 'm'),
    );
  });

  it('--json prints the request: the run retried, the new run, who asked and the event id', async () => {
    // Act
    const outcome = await mlops(['runs', 'retry', failed.runId, '--json'], [], 'request-json');

    // Assess
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(outcome.stdout)).toEqual({
      retry: {
        retryOf: failed.runId,
        requestId: 'request-json',
        requestedBy: 'ops@test',
        model: 'retry',
        runId: retryRunId(failed, 'request-json'),
        eventId: eventBridge.events.at(-1)?.id,
      },
    });
  });

  it('refuses a run still Running and an unknown run, sending nothing', async () => {
    // Prepare
    const before = eventBridge.events.length;

    // Act
    const busy = await mlops(['runs', 'retry', running.runId]);
    const unknown = await mlops(['runs', 'retry', 'retry-0000000000000000']);

    // Assess
    expect(busy).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: Run ${running.runId} is still Running (in TrainModel): only a run that ended (Failed or Succeeded) can be retried\n`,
    });
    expect(unknown.code).toBe(1);
    expect(eventBridge.events.length).toBe(before);
  });

  it('shows a duplicate run as a duplicate of the run that trained the data', async () => {
    // Prepare
    const runId = newRunId('retry');
    await registry.createRun({
      runId,
      model: 'retry',
      dataset: { bucket: DATA_BUCKET, key: 'datasets/retry/b.csv' },
    });
    await registry.updateRun(runId, {
      status: 'Succeeded',
      step: 'ValidateDataset',
      duplicateOf: failed.runId,
      endedAt: new Date(),
    });

    // Act
    const show = await mlops(['runs', 'show', runId]);

    // Assess
    expect(show.stdout).toMatch(
      new RegExp(`^Duplicate of +${failed.runId} \\(same data; not trained again\\)$`, 'm'),
    );
  });
});

describe('mlops approve and reject', () => {
  const model = 'approvals';
  const pending = 'approval is manual for this model: an operator must approve this version';
  const events = (from: number) => eventBridge.events.slice(from);

  beforeAll(async () => {
    // v1-v5 wait for an operator; v6 was rejected and v7 approved by the pipeline.
    for (let i = 0; i < 5; i++) {
      await registry.registerVersion(model, {
        lineage: lineage(model, newRunId(model), 0.8),
        status: 'PendingApproval',
        reason: pending,
      });
    }
    await registry.registerVersion(model, {
      lineage: lineage(model, newRunId(model), 0.5),
      status: 'Rejected',
      reason: 'validation:auc 0.5 is below the threshold 0.7',
    });
    await registry.registerVersion(model, {
      lineage: lineage(model, newRunId(model), 0.9),
      status: 'Approved',
      reason: 'approval is automatic for this model',
    });
  });

  it('approve moves PendingApproval to Approved, audits who and why, and sends ModelApproved', async () => {
    // Prepare
    const before = eventBridge.events.length;

    // Act
    const outcome = await mlops(['approve', model, '1', '--reason', 'checked the confusion matrix']);

    // Assess
    expect(outcome).toEqual({
      code: 0,
      stdout:
        'Approved approvals v1 (was PendingApproval) by ops@test: checked the confusion matrix\n' +
        "Sent ModelApproved to the stack's event bus (default).\n",
      stderr: '',
    });
    const version = await registry.getVersion(model, 1);
    expect(version).toMatchObject({
      status: 'Approved',
      statusReason: 'checked the confusion matrix',
      statusChangedBy: 'ops@test',
    });
    const audit = await registry.listEvents(model);
    expect(audit.items.filter((event) => event.type === 'StatusChanged' && event.version === 1)).toEqual([
      expect.objectContaining({
        actor: 'ops@test',
        reasons: ['checked the confusion matrix'],
        details: { from: 'PendingApproval', to: 'Approved' },
        at: version?.statusChangedAt,
      }),
    ]);
    expect(events(before)).toEqual([
      expect.objectContaining({
        source: EVENT_SOURCE,
        'detail-type': MODEL_APPROVED,
        eventBusName: 'default',
        detail: {
          model,
          version: 1,
          status: 'Approved',
          reason: 'checked the confusion matrix',
          actor: 'ops@test',
        },
      }),
    ]);
    expect(modelDecisionDetailSchema.parse(events(before)[0]?.detail)).toBeDefined();
  });

  it('reject moves PendingApproval to Rejected and sends ModelRejected; without --reason the event has none', async () => {
    // Prepare
    const before = eventBridge.events.length;

    // Act
    const outcome = await mlops(['reject', model, 'v2']);

    // Assess
    expect(outcome).toEqual({
      code: 0,
      stdout:
        'Rejected approvals v2 (was PendingApproval) by ops@test: rejected by an operator (no reason given)\n' +
        "Sent ModelRejected to the stack's event bus (default).\n",
      stderr: '',
    });
    expect(await registry.getVersion(model, 2)).toMatchObject({
      status: 'Rejected',
      statusReason: 'rejected by an operator (no reason given)',
      statusChangedBy: 'ops@test',
    });
    expect(events(before)).toEqual([
      expect.objectContaining({
        source: EVENT_SOURCE,
        'detail-type': MODEL_REJECTED,
        detail: { model, version: 2, status: 'Rejected', actor: 'ops@test' },
      }),
    ]);
  });

  it('--json prints the decision with the event id EventBridge gave', async () => {
    // Act
    const outcome = await mlops(['approve', model, '3', '--reason', 'ok', '--json']);

    // Assess
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const version = await registry.getVersion(model, 3);
    expect(JSON.parse(outcome.stdout)).toEqual({
      decision: {
        model,
        version: 3,
        from: 'PendingApproval',
        status: 'Approved',
        reason: 'ok',
        actor: 'ops@test',
        changedAt: version?.statusChangedAt,
        event: { detailType: MODEL_APPROVED, eventBus: 'default', eventId: eventBridge.events.at(-1)?.id },
      },
    });
  });

  it('refuses any status but PendingApproval, naming it and what can be done, and sends nothing', async () => {
    // Prepare
    const before = eventBridge.events.length;

    // Act
    const again = await mlops(['approve', model, '1']);
    const rejectApproved = await mlops(['reject', model, '7']);
    const approveRejected = await mlops(['approve', model, '6', '--reason', 'please']);

    // Assess
    const v1 = await registry.getVersion(model, 1);
    const v7 = await registry.getVersion(model, 7);
    const v6 = await registry.getVersion(model, 6);
    const since = (version: typeof v1) =>
      `since ${version?.statusChangedAt.replace(/\.\d+Z$/, 'Z')} by ${version?.statusChangedBy}`;
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: approvals v1 is Approved (${since(v1)}): only a PendingApproval version can be approved; it is approved already; nothing to do\n`,
    });
    expect(rejectApproved).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: approvals v7 is Approved (${since(v7)}): only a PendingApproval version can be rejected; an approved version cannot be rejected; it moves on to deployment or is retired\n`,
    });
    expect(approveRejected).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: approvals v6 is Rejected (${since(v6)}): only a PendingApproval version can be approved; Rejected is final; train a new version (\`mlops upload\`, or \`mlops runs retry <run>\` for the same data)\n`,
    });
    expect(v6?.status).toBe('Rejected');
    expect(v7?.status).toBe('Approved');
    expect(events(before)).toEqual([]);
  });

  it('names an unknown model or version (exit 1) and refuses bad arguments (exit 2), sending nothing', async () => {
    // Prepare
    const before = eventBridge.events.length;
    const resolved: TargetOptions[] = [];

    // Act
    const version = await mlops(['approve', model, '99']);
    const unknown = await mlops(['reject', 'approval', '1']);
    const badVersion = await mlops(['approve', model, 'latest'], resolved);
    const badName = await mlops(['approve', 'Approvals', '1'], resolved);
    const emptyReason = await mlops(['reject', model, '4', '--reason', ' ']);
    const missing = await mlops(['approve', model]);

    // Assess
    expect(version).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: approvals v99 does not exist (approvals has v1 to v7)\n',
    });
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Model approval does not exist (did you mean approvals?)\n',
    });
    expect(badVersion).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Invalid version "latest": expected a version number, e.g. 3 or v3\n',
    });
    expect(badName.code).toBe(2);
    expect(resolved).toEqual([]);
    expect(emptyReason).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Invalid --reason: expected 1 to 2000 characters\n',
    });
    expect(missing.code).toBe(2);
    expect((await registry.getVersion(model, 4))?.status).toBe('PendingApproval');
    expect(events(before)).toEqual([]);
  });

  it('two decisions on one version at once: one is recorded and announced, the other is told what won', async () => {
    // Prepare
    const before = eventBridge.events.length;

    // Act
    const [approve, reject] = await Promise.all([
      mlops(['approve', model, '4', '--reason', 'first']),
      mlops(['reject', model, '4', '--reason', 'second']),
    ]);

    // Assess
    const outcomes = [approve, reject];
    expect(outcomes.map((outcome) => outcome.code).sort()).toEqual([0, 1]);
    const stored = await registry.getVersion(model, 4);
    const loser = outcomes.find((outcome) => outcome.code === 1);
    expect(loser?.stderr).toMatch(new RegExp(`^error: approvals v4 is ${stored?.status} \\(since `));
    expect(events(before)).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ version: 4, status: stored?.status }) }),
    ]);
  });

  it('keeps the decision when EventBridge refuses the event, and says that nothing was told', async () => {
    // Prepare: a bus that refuses every entry, as PutEvents reports it (FailedEntryCount, ErrorCode)
    const refusing = {
      send: async () => ({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again later' }],
      }),
    } as unknown as EventBridgeClient;

    // Act
    const decision = decide({ registry, events: refusing, eventBus: 'mlops-bus' }, 'approve', model, 5, {
      reason: 'looks good',
      actor: 'ops@test',
    });

    // Assess
    await expect(decision).rejects.toThrow(
      new CliError(
        'approvals v5 is Approved in the registry, but the ModelApproved event was not sent on bus mlops-bus (InternalFailure: try again later): nothing that reacts to it has been told',
      ),
    );
    expect((await registry.getVersion(model, 5))?.status).toBe('Approved');
  });
});

describe('mlops deploy, rollback and deployments', () => {
  /** The simulated deployment workflow: what it does for a request, by `<model>#<version>`. */
  const workflows = new Map<string, (detail: DeploymentRequestedDetail) => Promise<void>>();
  const requested = (from: number) =>
    eventBridge.events.slice(from).filter((event) => event['detail-type'] === DEPLOYMENT_REQUESTED);
  const names = (model: string, version: number, attempt = 1) => ({
    endpointName: `mlops-${model}`,
    endpointConfigName: `mlops-${model}-v${version}-a${attempt}`,
  });

  /** Registers a version; `artifact: true` also writes its model.tar.gz. */
  async function version(
    model: string,
    status: 'Approved' | 'PendingApproval' | 'Rejected',
    artifact = true,
  ): Promise<ModelVersion> {
    const runId = newRunId(model);
    const registered = await registry.registerVersion(model, {
      lineage: lineage(model, runId, 0.9),
      status,
      reason: `registered ${status} by the test`,
    });
    if (artifact) {
      await target.s3.send(
        new PutObjectCommand({
          Bucket: ARTIFACTS_BUCKET,
          Key: modelArtifactKey(runId, runId),
          Body: 'model',
        }),
      );
    }
    return registered.version;
  }

  /** A deployment as the workflow records it, up to Deploying with its endpoint names and stages. */
  async function begin(
    model: string,
    number: number,
    deploymentId: string,
    kind: 'deploy' | 'rollback',
    routing: Record<string, unknown> = {
      trafficRouting: { type: 'CANARY', canaryPercent: 10, waitIntervalSeconds: 300 },
    },
  ) {
    await registry.createDeployment({ deploymentId, model, version: number, kind, actor: 'ops@test' });
    await registry.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
    await registry.beginDeployment(deploymentId, { actor: 'deployment-workflow' });
    await registry.recordDeploymentProgress(deploymentId, {
      stage: {
        name: 'EndpointConfigCreated',
        details: routing,
      },
      ...names(model, number),
    });
  }

  /** A whole promoted deployment. */
  async function promote(model: string, number: number, kind: 'deploy' | 'rollback' = 'deploy', id?: string) {
    const deploymentId = id ?? `${model}-v${number}-${randomBytes(8).toString('hex')}`;
    await begin(model, number, deploymentId, kind);
    await registry.recordDeploymentProgress(deploymentId, { stage: { name: 'SmokeTestPassed' } });
    await registry.promoteDeployment(deploymentId, { ...names(model, number), actor: 'deployment-workflow' });
    await registry.releaseDeploymentLease(model, deploymentId);
    return deploymentId;
  }

  /** A deployment SageMaker rolled back on an alarm. */
  async function rollBack(model: string, number: number, id?: string) {
    const deploymentId = id ?? `${model}-v${number}-${randomBytes(8).toString('hex')}`;
    // The routing as the workflow's plan records it: the type, and why it is not the configured one.
    await begin(model, number, deploymentId, 'deploy', {
      trafficRouting: 'ALL_AT_ONCE',
      trafficRoutingAdjusted: 'CANARY traffic shifting is sized by the instance count',
    });
    const alarm = alarmNames(`mlops-${model}`).invocation5xxErrors;
    await registry.recordDeploymentFailure(deploymentId, {
      outcome: 'RolledBack',
      reasons: [`SageMaker rolled the endpoint back: alarm ${alarm} went into ALARM`],
      actor: 'deployment-workflow',
    });
    await registry.releaseDeploymentLease(model, deploymentId);
    return deploymentId;
  }

  beforeAll(() => {
    eventBridge.onEvent((event) => {
      if (event['detail-type'] !== DEPLOYMENT_REQUESTED) return;
      const detail = deploymentRequestedDetailSchema.parse(event.detail);
      void workflows.get(`${detail.model}#${detail.version}`)?.(detail);
    });
  });

  describe('deploy', () => {
    const model = 'deploys';
    const v: Record<string, ModelVersion> = {};

    beforeAll(async () => {
      v.production = await version(model, 'Approved'); // v1: deployed below, production
      v.approved = await version(model, 'Approved'); // v2
      v.pending = await version(model, 'PendingApproval'); // v3
      v.rejected = await version(model, 'Rejected'); // v4
      v.lost = await version(model, 'Approved', false); // v5: its artifact is gone
      v.started = await version(model, 'Approved'); // v6: a deployment of it is recorded, not begun
      await promote(model, 1);
      await registry.createDeployment({
        deploymentId: 'deploys-v6-started',
        model,
        version: 6,
        actor: 'ops@test',
      });
    });

    it('sends one Deployment Requested event and prints the deployment id the workflow will use', async () => {
      // Prepare
      const requestId = randomUUID();
      const before = eventBridge.events.length;

      // Act
      const outcome = await mlops(['deploy', model, 'v2', '--reason', 'better auc'], [], requestId);

      // Assess
      const detail = {
        model,
        version: 2,
        kind: 'deploy',
        requestId,
        requestedBy: 'ops@test',
        reason: 'better auc',
      };
      const id = deploymentIdFor({ model, version: 2, kind: 'deploy', requestId });
      expect(outcome).toEqual({
        code: 0,
        stdout:
          `Requested deployment ${id} of deploys v2 (Approved; production now: v1).\n` +
          `Follow it with \`mlops deployments show ${id}\`, or ask with --wait.\n`,
        stderr: '',
      });
      expect(requested(before)).toEqual([
        expect.objectContaining({ source: EVENT_SOURCE, eventBusName: 'default', detail }),
      ]);
      expect(deploymentRequestedDetailSchema.parse(requested(before)[0]?.detail)).toEqual(detail);
    });

    it('--json prints the request: detail, deployment id, status, production, artifact and event id', async () => {
      // Prepare
      const requestId = randomUUID();

      // Act
      const outcome = await mlops(['deploy', model, '2', '--json'], [], requestId);

      // Assess
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(outcome.stdout)).toEqual({
        request: {
          model,
          version: 2,
          kind: 'deploy',
          requestId,
          requestedBy: 'ops@test',
          deploymentId: deploymentIdFor({ model, version: 2, kind: 'deploy', requestId }),
          from: 'Approved',
          production: 1,
          artifactUri: v.approved?.lineage.artifactUri,
          event: {
            detailType: DEPLOYMENT_REQUESTED,
            eventBus: 'default',
            eventId: eventBridge.events.at(-1)?.id,
          },
        },
      });
    });

    it('refuses a version that cannot be deployed, naming its status and what to do, and sends nothing', async () => {
      // Prepare
      const before = eventBridge.events.length;
      const since = (record: ModelVersion | undefined) =>
        `since ${record?.statusChangedAt.replace(/\.\d+Z$/, 'Z')} by ${record?.statusChangedBy}`;
      const allowed =
        'only an Approved version, or one that served or failed before (Failed, RolledBack, Retired), can be deployed';

      // Act
      const pending = await mlops(['deploy', model, '3']);
      const rejected = await mlops(['deploy', model, '4']);
      const serving = await mlops(['deploy', model, '1']);
      const lost = await mlops(['deploy', model, '5']);
      const started = await mlops(['deploy', model, '6']);

      // Assess
      expect(pending).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: deploys v3 is PendingApproval (${since(v.pending)}): ${allowed}; approve it first with \`mlops approve deploys 3\`\n`,
      });
      expect(rejected.stderr).toBe(
        `error: deploys v4 is Rejected (${since(v.rejected)}): ${allowed}; Rejected is final; train a new version\n`,
      );
      const deployed = await registry.getVersion(model, 1);
      expect(serving.stderr).toBe(
        `error: deploys v1 is Deployed (${since(deployed)}): ${allowed}; it is serving as production already; to go back to an earlier version use \`mlops rollback\`\n`,
      );
      expect(lost).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: deploys v5's artifact ${v.lost?.lineage.artifactUri} no longer exists: it cannot be deployed (train it again: \`mlops runs retry ${v.lost?.lineage.runId}\`)\n`,
      });
      expect(started.stderr).toMatch(
        /^error: deployment deploys-v6-started of deploys v6 is Started already \(since \S+Z by ops@test\): follow it with `mlops deployments show deploys-v6-started`\n$/,
      );
      expect([rejected.code, serving.code, started.code]).toEqual([1, 1, 1]);
      expect(requested(before)).toEqual([]);
    });

    it('names a version being deployed and the deployment doing it', async () => {
      // Prepare: v6's recorded deployment begins
      await registry.takeDeploymentLease(model, 'deploys-v6-started', { ttlSeconds: 600 });
      await registry.beginDeployment('deploys-v6-started');

      // Act
      const outcome = await mlops(['deploy', model, '6']);

      // Assess
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(
        /; deployment deploys-v6-started is deploying it: follow it with `mlops deployments show deploys-v6-started`\n$/,
      );
      expect(outcome.stderr).toMatch(/^error: deploys v6 is Deploying \(since /);
    });

    it('names an unknown model or version (exit 1) and refuses bad arguments (exit 2), sending nothing', async () => {
      // Prepare
      const before = eventBridge.events.length;
      const resolved: TargetOptions[] = [];

      // Act
      const unknownVersion = await mlops(['deploy', model, '99']);
      const unknownModel = await mlops(['deploy', 'deploy', '1']);
      const badVersion = await mlops(['deploy', model, 'latest'], resolved);
      const badTimeout = await mlops(['deploy', model, '2', '--wait', '--timeout', 'soon'], resolved);
      const emptyReason = await mlops(['deploy', model, '2', '--reason', '']);

      // Assess
      expect(unknownVersion).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: deploys v99 does not exist (deploys has v1 to v6)\n',
      });
      expect(unknownModel.stderr).toBe('error: Model deploy does not exist (did you mean deploys?)\n');
      expect(badVersion).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: Invalid version "latest": expected a version number, e.g. 3 or v3\n',
      });
      expect(badTimeout.code).toBe(2);
      expect(resolved).toEqual([]);
      expect(emptyReason).toMatchObject({
        code: 2,
        stderr: 'error: Invalid --reason: expected 1 to 2000 characters\n',
      });
      expect(requested(before)).toEqual([]);
    });

    it('says nothing started when EventBridge refuses the request', async () => {
      // Prepare: a bus that refuses every entry, as PutEvents reports it
      const refusing = {
        send: async () => ({
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again later' }],
        }),
      } as unknown as EventBridgeClient;

      // Act
      const request = requestDeployment(
        { registry, s3: target.s3, events: refusing, eventBus: 'mlops-bus' },
        model,
        2,
      );

      // Assess
      await expect(request).rejects.toThrow(
        new CliError(
          'EventBridge refused the deployment request for deploys v2 on bus mlops-bus (InternalFailure: try again later): nothing was started',
        ),
      );
    });
  });

  describe('--wait', () => {
    const model = 'waits';

    beforeAll(async () => {
      for (let i = 0; i < 3; i++) await version(model, 'Approved');
      // The workflow's part: v1 is promoted, v2 rolled back by an alarm; nothing runs for v3.
      workflows.set(`${model}#1`, async (detail) => {
        await pause(50);
        // Each write, as the workflow's steps make it, with time for a 25 ms poll to see it.
        const deploymentId = deploymentIdFor(detail);
        await registry.createDeployment({ deploymentId, model, version: 1, actor: detail.requestedBy });
        await pause(STEP_MS);
        await registry.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
        await registry.beginDeployment(deploymentId, { actor: 'deployment-workflow' });
        await pause(STEP_MS);
        await registry.recordDeploymentProgress(deploymentId, {
          stage: {
            name: 'TrafficShift:CANARY',
            details: { trafficRouting: { type: 'LINEAR', stepPercent: 25, intervalSeconds: 60 } },
          },
          ...names(model, 1),
        });
        await pause(STEP_MS);
        await registry.promoteDeployment(deploymentId, { ...names(model, 1), actor: 'deployment-workflow' });
        const id = deploymentId;
        await registry.releaseDeploymentLease(model, id);
      });
      workflows.set(`${model}#2`, async (detail) => {
        await pause(50);
        await rollBack(model, 2, deploymentIdFor(detail));
      });
    });

    it('follows the deployment to Promoted, with its stages on stderr and the record on stdout', async () => {
      // Prepare
      const requestId = randomUUID();
      const id = deploymentIdFor({ model, version: 1, kind: 'deploy', requestId });

      // Act
      const outcome = await mlops(['deploy', model, '1', '--wait'], [], requestId);

      // Assess
      expect(outcome.code).toBe(0);
      expect(outcome.stderr.split('\n').map((line) => line.replace(/^\[\d+s\] /, ''))).toEqual([
        `Requested deployment ${id} of waits v1 (Approved; production now: none). Waiting for it...`,
        `deployment ${id} Started`,
        `deployment ${id} Deploying (Began)`,
        `deployment ${id} Deploying (TrafficShift:CANARY)`,
        `deployment ${id} Promoted (Promoted)`,
        '',
      ]);
      expect(outcome.stdout).toMatch(new RegExp(`^Deployment +${id}\\nModel +waits v1\\nKind +deploy\\n`));
      expect(outcome.stdout).toMatch(/^Status +Promoted$/m);
      expect(outcome.stdout).toMatch(/^Endpoint config +mlops-waits-v1-a1$/m);
      expect(outcome.stdout).toMatch(/^Traffic routing +LINEAR 25% every 60s$/m);
      expect((await registry.getAlias(model, 'production'))?.version).toBe(1);
    });

    it('exits 1 with the reasons when the deployment is rolled back; --json prints the outcome', async () => {
      // Prepare
      const requestId = randomUUID();
      const id = deploymentIdFor({ model, version: 2, kind: 'deploy', requestId });

      // Act
      const outcome = await mlops(['deploy', model, '2', '--wait', '--json'], [], requestId);

      // Assess
      expect(outcome.code).toBe(1);
      const alarm = alarmNames('mlops-waits').invocation5xxErrors;
      expect(outcome.stderr.trimEnd().split('\n').at(-1)).toBe(
        `error: Deployment ${id} of waits v2 ended RolledBack: SageMaker rolled the endpoint back: alarm ${alarm} went into ALARM`,
      );
      const json = JSON.parse(outcome.stdout);
      expect(json).toMatchObject({
        request: { deploymentId: id, version: 2, production: 1 },
        outcome: 'RolledBack',
        deployment: { deploymentId: id, status: 'RolledBack' },
      });
      expect((await registry.getAlias(model, 'production'))?.version).toBe(1);
    });

    it('gives up after --timeout, saying the deployment has not started', async () => {
      // Prepare
      const requestId = randomUUID();
      const id = deploymentIdFor({ model, version: 3, kind: 'deploy', requestId });

      // Act
      const outcome = await mlops(['deploy', model, '3', '--wait', '--timeout', '0.3'], [], requestId);

      // Assess
      expect(outcome.code).toBe(1);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr.trimEnd().split('\n').at(-1)).toBe(
        `error: Timed out after 0.3s: deployment ${id} has not started (is the stack's deployment workflow running? see \`mlops deployments list <model>\`)`,
      );
    });
  });

  describe('rollback', () => {
    const model = 'rollbacks';
    const ids: string[] = [];

    beforeAll(async () => {
      // v1, v2, v3 served in turn (production v3); v1's artifact is gone; v4 never served (rolled back).
      await version(model, 'Approved', false);
      await version(model, 'Approved');
      await version(model, 'Approved');
      await version(model, 'Approved');
      ids.push(await promote(model, 1));
      ids.push(await promote(model, 2));
      ids.push(await promote(model, 3));
      ids.push(await rollBack(model, 4));
      // The workflow's part for rollbacks to v2: promoted.
      workflows.set(`${model}#2`, async (detail) => {
        await pause(50);
        await promote(model, 2, detail.kind, deploymentIdFor(detail));
      });
    });

    it('returns to the version that served before production, as a rollback, and --wait follows it', async () => {
      // Prepare
      const requestId = randomUUID();
      const before = eventBridge.events.length;
      const id = deploymentIdFor({ model, version: 2, kind: 'rollback', requestId });

      // Act
      const outcome = await mlops(['rollback', model, '--reason', 'v3 is slow', '--wait'], [], requestId);

      // Assess
      expect(outcome.code).toBe(0);
      expect(outcome.stderr.split('\n')[0]).toBe(
        `Requested rollback ${id} of rollbacks to v2 (Retired; production now: v3). Waiting for it...`,
      );
      expect(outcome.stdout).toMatch(/^Kind +rollback$/m);
      expect(requested(before)).toEqual([
        expect.objectContaining({
          detail: {
            model,
            version: 2,
            kind: 'rollback',
            requestId,
            requestedBy: 'ops@test',
            reason: 'v3 is slow',
          },
        }),
      ]);
      expect((await registry.getAlias(model, 'production'))?.version).toBe(2);
      ids.push(id);
    });

    it('after a rollback, rolls back to the version the rollback replaced (from the audit trail)', async () => {
      // Prepare
      const requestId = randomUUID();

      // Act
      const outcome = await mlops(['rollback', model, '--json'], [], requestId);

      // Assess
      expect(outcome.code).toBe(0);
      expect(JSON.parse(outcome.stdout).request).toMatchObject({
        version: 3,
        kind: 'rollback',
        from: 'Retired',
        production: 2,
        deploymentId: deploymentIdFor({ model, version: 3, kind: 'rollback', requestId }),
      });
    });

    it('refuses a --to that never served, is production, lost its artifact or does not exist, sending nothing', async () => {
      // Prepare
      const before = eventBridge.events.length;
      const v1 = await registry.getVersion(model, 1);

      // Act
      const never = await mlops(['rollback', model, '--to', '4']);
      const current = await mlops(['rollback', model, '--to', 'v2']);
      const lost = await mlops(['rollback', model, '--to', '1']);
      const missing = await mlops(['rollback', model, '--to', '9']);
      const bad = await mlops(['rollback', model, '--to', 'previous']);

      // Assess
      expect(never).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: rollbacks v4 never served (it was never Deployed; it is RolledBack): a rollback returns to a version that served before\n',
      });
      expect(current.stderr).toMatch(
        /^error: rollbacks v2 is production already \(since \S+Z\): nothing to roll back\n$/,
      );
      expect(lost.stderr).toBe(
        `error: rollbacks v1's artifact ${v1?.lineage.artifactUri} no longer exists: it cannot be deployed (train it again: \`mlops runs retry ${v1?.lineage.runId}\`)\n`,
      );
      expect(missing.stderr).toBe('error: rollbacks v9 does not exist (rollbacks has v1 to v4)\n');
      expect([current.code, lost.code, missing.code, bad.code]).toEqual([1, 1, 1, 2]);
      expect(bad.stderr).toBe('error: Invalid --to "previous": expected a version number, e.g. 3 or v3\n');
      expect(requested(before)).toEqual([]);
    });

    it('says when there is nothing to roll back to: no production version, or only the first one served', async () => {
      // Prepare
      await version('rollback-none', 'Approved');
      await version('rollback-first', 'Approved');
      await version('rollback-first', 'Approved');
      await promote('rollback-first', 1);
      // production pointed at v1 by hand (no deployment), then v2 deployed over it.
      await version('rollback-hand', 'Approved');
      await version('rollback-hand', 'Approved');
      await registry.setAlias('rollback-hand', 'production', 1, { expectedVersion: null, actor: 'ops@test' });
      await promote('rollback-hand', 2);
      const before = eventBridge.events.length;

      // Act
      const none = await mlops(['rollback', 'rollback-none']);
      const first = await mlops(['rollback', 'rollback-first']);
      const approved = await mlops(['rollback', 'rollback-first', '--to', '2']);
      const unknown = await mlops(['rollback', 'rollbacks-x']);
      const byHand = await mlops(['rollback', 'rollback-hand']);

      // Assess
      expect(none).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: rollback-none has no production version: nothing to roll back (deploy one with `mlops deploy rollback-none <version>`)\n',
      });
      expect(first.stderr).toBe(
        'error: rollback-first v1 is the first version rollback-first served: there is no earlier one to roll back to\n',
      );
      expect(approved.stderr).toBe(
        'error: rollback-first v2 never served (it was never Deployed; it is Approved): a rollback returns to a version that served before; deploy it with `mlops deploy rollback-first 2`\n',
      );
      expect(unknown).toMatchObject({
        code: 1,
        stderr: 'error: Model rollbacks-x does not exist (did you mean rollbacks?)\n',
      });
      expect(byHand).toMatchObject({
        code: 1,
        stderr:
          'error: rollback-hand v1, production before v2, never served from the endpoint (the alias was set without a deployment): name a version that did with --to\n',
      });
      expect(requested(before)).toEqual([]);
    });

    it('deployments list shows them newest first with kind, status, duration and outcome; --limit pages', async () => {
      // Act
      const text = await mlops(['deployments', 'list', model]);
      const limited = await mlops(['deployments', 'list', model, '--limit', '2']);
      const json = await mlops(['deployments', 'list', model, '--json']);

      // Assess
      expect(text).toMatchObject({ code: 0, stderr: '' });
      const [header, ...rows] = text.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ID +VERSION +KIND +STATUS +STARTED +DURATION +OUTCOME$/);
      expect(rows.map((row) => row.split(/ {2,}/).slice(0, 4))).toEqual(
        [...ids].reverse().map((id, index) => {
          const [number, kind, status] =
            [
              ['v2', 'rollback', 'Promoted'],
              ['v4', 'deploy', 'RolledBack'],
              ['v3', 'deploy', 'Promoted'],
              ['v2', 'deploy', 'Promoted'],
              ['v1', 'deploy', 'Promoted'],
            ][index] ?? [];
          return [id, number, kind, status];
        }),
      );
      expect(rows[1]).toMatch(
        /RolledBack +\S+Z +\d+s +SageMaker rolled the endpoint back: alarm mlops-rollbacks-invocation-5xx-errors went into ALARM$/,
      );
      expect(rows[0]).toMatch(/Promoted +\S+Z +\d+s +deployment \S+ promoted$/);
      const limitedRows = limited.stdout.trimEnd().split('\n');
      expect(limitedRows).toHaveLength(4);
      expect(limitedRows.at(-1)).toBe('Older deployments exist: show more with --limit (up to 1000).');
      const listing = JSON.parse(json.stdout);
      expect(listing.model).toBe(model);
      expect(listing.more).toBe(false);
      expect(listing.deployments.map((deployment: Deployment) => deployment.deploymentId)).toEqual(
        [...ids].reverse(),
      );
    });

    it('deployments list says when a model has none, and names an unknown model', async () => {
      // Act
      const none = await mlops(['deployments', 'list', 'rollback-none']);
      const unknown = await mlops(['deployments', 'list', 'rollbacks-x']);
      const badLimit = await mlops(['deployments', 'list', model, '--limit', '0']);

      // Assess
      expect(none).toEqual({
        code: 0,
        stdout:
          'No deployments of rollback-none yet: deploy an Approved version with `mlops deploy rollback-none <version>`.\n',
        stderr: '',
      });
      expect(unknown).toMatchObject({
        code: 1,
        stderr: 'error: Model rollbacks-x does not exist (did you mean rollbacks?)\n',
      });
      expect(badLimit).toMatchObject({
        code: 2,
        stderr: 'error: Invalid --limit "0": expected an integer from 1 to 1000\n',
      });
    });

    it('deployments show prints the stages with times, traffic routing, alarms, reasons and names', async () => {
      // Act
      const promoted = await mlops(['deployments', 'show', ids[2] ?? '']);
      const rolledBack = await mlops(['deployments', 'show', ids[3] ?? '']);
      const json = await mlops(['deployments', 'show', ids[3] ?? '', '--json']);

      // Assess
      expect(promoted.code).toBe(0);
      const lines = (text: string) =>
        text.split('\n').map((line) => line.replace(/\d{4}-\d\d-\d\dT\S+Z/g, '<time>'));
      expect(lines(promoted.stdout)).toEqual([
        `Deployment         ${ids[2]}`,
        'Model              rollbacks v3',
        'Kind               deploy',
        'Attempt            1',
        'Status             Promoted',
        'Started            <time> by ops@test',
        'Ended              <time>',
        expect.stringMatching(/^Duration +\d+s$/),
        'Production before  v2 (alias revision 2)',
        'Endpoint           mlops-rollbacks',
        'Endpoint config    mlops-rollbacks-v3-a1',
        'Traffic routing    CANARY 10%, then the rest after 300s',
        'Execution          -',
        '',
        'STAGE                  AT                    SINCE START  DETAILS',
        expect.stringMatching(/^Began +<time> +\+\d+s +baseline=\{"version":2,"revision":2\}$/),
        expect.stringMatching(
          /^EndpointConfigCreated +<time> +\+\d+s +trafficRouting=\{"type":"CANARY","canaryPercent":10,"waitIntervalSeconds":300\}$/,
        ),
        expect.stringMatching(/^SmokeTestPassed +<time> +\+\d+s +-$/),
        expect.stringMatching(/^Promoted +<time> +\+\d+s +alias=production revision=3$/),
        '',
        'ALARM                                  FIRED',
        'mlops-rollbacks-invocation-5xx-errors  -',
        'mlops-rollbacks-model-latency-p99      -',
        'mlops-rollbacks-invocation-error-rate  -',
        '',
        'Reasons:',
        `  deployment ${ids[2]} promoted`,
        '',
      ]);
      expect(rolledBack.stdout).toMatch(/^Status +RolledBack$/m);
      expect(rolledBack.stdout).toMatch(
        /^Traffic routing +ALL_AT_ONCE \(CANARY traffic shifting is sized by the instance count\)$/m,
      );
      expect(rolledBack.stdout).toMatch(/^mlops-rollbacks-invocation-5xx-errors +named in the outcome$/m);
      expect(rolledBack.stdout).toMatch(
        /^Reasons:\n {2}SageMaker rolled the endpoint back: alarm mlops-rollbacks-invocation-5xx-errors went into ALARM\n$/m,
      );
      const details = JSON.parse(json.stdout);
      expect(details.deployment).toEqual(await registry.getDeployment(ids[3] ?? ''));
      expect(details.alarms).toEqual([
        { name: 'mlops-rollbacks-invocation-5xx-errors', fired: true },
        { name: 'mlops-rollbacks-model-latency-p99', fired: false },
        { name: 'mlops-rollbacks-invocation-error-rate', fired: false },
      ]);
      expect(details).toMatchObject({
        trafficRouting: 'ALL_AT_ONCE',
        trafficRoutingAdjusted: 'CANARY traffic shifting is sized by the instance count',
      });
    });

    it('deployments show names an unknown deployment (exit 1) and refuses an invalid id (exit 2)', async () => {
      // Act
      const unknown = await mlops(['deployments', 'show', 'rollbacks-v9-0000000000000000']);
      const invalid = await mlops(['deployments', 'show', '../etc']);

      // Assess
      expect(unknown).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "error: Deployment rollbacks-v9-0000000000000000 does not exist (list a model's deployments with `mlops deployments list <model>`)\n",
      });
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toMatch(/^error: Invalid deploymentId: /);
    });
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

  it('runs as `mlops` from any folder after `npm link` (the documented step), without the registry', async () => {
    // Prepare: `npm link` into a private prefix; offline, so nothing can come from the public registry
    const prefix = mkdtempSync(join(workDir, 'npm-prefix-'));
    const link = spawnSync('npm', ['link', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      env: { ...process.env, npm_config_prefix: prefix },
      encoding: 'utf8',
    });
    const elsewhere = mkdtempSync(join(workDir, 'elsewhere-'));

    // Act: by name on the PATH, from a folder that is not the project
    const run = spawnSync('mlops', ['models', 'list', '--json', '--state-dir', stateDir], {
      cwd: elsewhere,
      env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });

    // Assess
    expect(link.status, link.stderr).toBe(0);
    expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout).models.map((model: { model: string }) => model.model)).toContain('fraud');
  });

  it('says how to start a runtime of that --state-dir when none is running, exit code 1, no stack trace', async () => {
    // Prepare
    const empty = mkdtempSync(join(workDir, 'empty-'));

    // Act
    const { code, stdout, stderr } = await mlopsProcess(['runs', 'list', '--state-dir', empty]);
    const inProject = await mlopsProcess(['runs', 'list', '--state-dir', 'no-such-state']);

    // Assess: npm start runs in the project folder, so a folder inside it is named from there
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `error: No local runtime is running (no ${join(empty, 'runtime.json')}). ` +
        `Start one with \`npm start -- --state-dir ${empty}\` in the project folder.\n`,
    );
    expect(inProject.stderr).toBe(
      'error: No local runtime is running (no no-such-state/runtime.json). ' +
        'Start one with `npm start -- --state-dir no-such-state` in the project folder.\n',
    );
  });

  it('looks for the runtime in the project folder when run from another folder', async () => {
    // Act
    const { code, stderr } = await mlopsProcess(['models', 'list', '--json'], workDir);

    // Assess: whether or not `npm start` is up, the CLI looked in the project folder, not in the working one.
    if (code !== 0) {
      expect(stderr).toContain(`no ${join(ROOT, '.mlops-local', 'runtime.json')})`);
      expect(stderr).toContain('Start one with `npm start` in the project folder');
    }
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
        `Start it with \`npm start -- --state-dir ${stale}\`.\n`,
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

describe('mlops predict', () => {
  const MODEL = 'penguins';
  const ISLANDS = ['Biscoe', 'Dream', 'Torgersen'];
  const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'];
  const ENDPOINT = `mlops-${MODEL}`;
  let hostingDir: string;
  let predictState: string;
  let sagemaker: LocalSageMaker;
  let runtime: LocalSageMakerRuntime;
  let client: SageMakerClient;
  let model: GbdtModel;

  /** Encoded training rows: island code, bill length; the species follows the island. */
  function training(): { features: number[][]; labels: number[] } {
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 90; i++) {
      const island = i % 3;
      features.push([island, 35 + (i % 17)]);
      labels.push(island);
    }
    return { features, labels };
  }

  /** mlops against the state directory whose runtime.json names the local SageMaker Runtime. */
  async function predictCli(argv: readonly string[], stdin = ''): Promise<Outcome> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...argv, '--state-dir', predictState], {
      io: { out: (text) => out.push(text), err: (text) => err.push(text) },
      stdin: async () => stdin,
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  /** What the model answers for encoded rows, as the endpoint prints it (float32, as Python does). */
  const expected = (rows: number[][]) => {
    const scores = xgboostPredict(model, rows);
    return rows.map((_, r) => [0, 1, 2].map((k) => Number(float32(scores[r * 3 + k] ?? Number.NaN))));
  };

  beforeAll(async () => {
    hostingDir = mkdtempSync(join(tmpdir(), 'mlops-predict-'));
    const s3Config = localS3ClientConfig(s3.endpoint, 'us-east-1', {
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    sagemaker = await startLocalSageMaker({
      workDir: join(hostingDir, 'sagemaker'),
      s3: s3Config,
      trainers: [],
      hostingDelays: { provisionMs: 50, deleteMs: 50 },
    });
    runtime = await startLocalSageMakerRuntime({
      hosting: sagemaker.hosting,
      s3: target.s3,
      account: '123456789012',
      region: 'us-east-1',
      workDir: join(hostingDir, 'runtime'),
    });
    client = new SageMakerClient({
      region: 'us-east-1',
      endpoint: sagemaker.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    // A trained version: its model.tar.gz and encoding.json where the pipeline writes them.
    const { features, labels } = training();
    model = fitModel(features, labels, {
      objective: 'multi:softprob',
      numClass: 3,
      numRound: 8,
      maxDepth: 3,
    });
    const runId = newRunId(MODEL);
    const dir = join(hostingDir, 'model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'xgboost-model.json'), JSON.stringify(model));
    await createTar({ gzip: true, cwd: dir, file: join(hostingDir, 'model.tar.gz'), portable: true }, [
      'xgboost-model.json',
    ]);
    await putObject(
      ARTIFACTS_BUCKET,
      modelArtifactKey(runId, runId),
      readFileSync(join(hostingDir, 'model.tar.gz')),
    );
    const encoding: DatasetEncoding = {
      formatVersion: 1,
      format: 'xgboost-csv',
      label: { name: 'species', problemType: 'multiclass', classes: SPECIES },
      features: [
        { name: 'island', type: 'categorical', categories: ISLANDS },
        { name: 'bill_length_mm', type: 'numeric' },
      ],
    };
    await putObject(ARTIFACTS_BUCKET, runArtifactKey(runId, RunArtifacts.encoding), JSON.stringify(encoding));
    const base = lineage(MODEL, runId, 0.9);
    const v1 = await registry.registerVersion(MODEL, {
      lineage: { ...base, hyperparameters: { objective: 'multi:softprob', num_class: '3' } },
      status: 'Approved',
    });
    await registry.registerVersion(MODEL, {
      lineage: lineage(MODEL, newRunId(MODEL), 0.8),
      status: 'Approved',
    });
    // Its endpoint, as the deployment workflow creates it, and its promotion in the registry.
    const configName = `${ENDPOINT}-v1-a1`;
    await client.send(
      new CreateModelCommand({
        ModelName: configName,
        PrimaryContainer: { Image: base.image, ModelDataUrl: base.artifactUri },
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/model',
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: configName,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: configName,
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    await client.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: configName }));
    for (let i = 0; ; i++) {
      const { EndpointStatus } = await client.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
      if (EndpointStatus === 'InService') break;
      if (i > 200) throw new Error(`endpoint ${EndpointStatus}`);
      await pause(25);
    }
    const deploymentId = `${MODEL}-v1-${randomBytes(8).toString('hex')}`;
    await registry.createDeployment({
      deploymentId,
      model: MODEL,
      version: v1.version.version,
      actor: 'ops@test',
    });
    await registry.takeDeploymentLease(MODEL, deploymentId, { ttlSeconds: 600 });
    await registry.beginDeployment(deploymentId, { actor: 'deployment-workflow' });
    await registry.promoteDeployment(deploymentId, {
      endpointName: ENDPOINT,
      endpointConfigName: configName,
      actor: 'deployment-workflow',
    });
    await registry.releaseDeploymentLease(MODEL, deploymentId);
    predictState = join(hostingDir, 'state');
    mkdirSync(predictState);
    const base2 = discovery(process.pid);
    writeDiscovery(predictState, {
      ...base2,
      endpoints: { ...base2.endpoints, sagemaker: sagemaker.endpoint, sagemakerRuntime: runtime.endpoint },
    });
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await runtime?.stop();
    await sagemaker?.stop();
    if (hostingDir) rmSync(hostingDir, { recursive: true, force: true });
  });

  it('predicts a file with a header (any column order, the label dropped): class and probability per row', async () => {
    // Prepare
    const file = csvFile(
      'penguins-predict.csv',
      'bill_length_mm,species,island\n39.1,Adelie,Torgersen\n46.5,,Dream\n,x,Biscoe\n',
    );

    // Act
    const table = await predictCli(['predict', MODEL, file, '--version', '1']);
    const json = await predictCli(['predict', MODEL, file, '--json']);

    // Assess
    const [torgersen, dream, biscoe] = expected([
      [2, 39.1],
      [1, 46.5],
      [0, Number.NaN],
    ]);
    expect(table).toMatchObject({ code: 0 });
    expect(table.stderr).toBe(`${MODEL} v1 on endpoint ${ENDPOINT}: 3 rows (header skipped)\n`);
    expect(table.stdout.split('\n')[0]).toMatch(/^ROW\s+PREDICTION\s+PROBABILITY$/);
    expect(table.stdout).toMatch(/^1\s+Gentoo\s+0\.\d{4}$/m);
    expect(table.stdout).toMatch(/^2\s+Chinstrap\s+0\.\d{4}$/m);
    expect(table.stdout).toMatch(/^3\s+Adelie\s+0\.\d{4}$/m);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({
      model: MODEL,
      version: 1,
      endpointName: ENDPOINT,
      endpointConfigName: `${ENDPOINT}-v1-a1`,
      objective: 'multi:softprob',
      header: true,
    });
    expect(result.predictions.map((p: { probabilities: Record<string, number> }) => p.probabilities)).toEqual(
      [torgersen, dream, biscoe].map((row) => Object.fromEntries(SPECIES.map((s, k) => [s, row?.[k]]))),
    );
  });

  it('reads rows without a header in the features order, from standard input with -', async () => {
    // Act
    const outcome = await predictCli(['predict', MODEL, '-', '--json'], 'Biscoe,40\nTorgersen,50\n');

    // Assess
    expect(outcome.code).toBe(0);
    const result = JSON.parse(outcome.stdout);
    expect(result.header).toBe(false);
    expect(result.predictions.map((p: { label: string }) => p.label)).toEqual(['Adelie', 'Gentoo']);
    expect(result.predictions[0].probabilities.Adelie).toBe(expected([[0, 40]])[0]?.[0]);
  });

  it('refuses a --version that does not serve, naming the one that does', async () => {
    // Act
    const outcome = await predictCli(['predict', MODEL, '-', '--version', 'v2'], 'Biscoe,40\n');

    // Assess
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${MODEL} v2 does not serve: v1 serves as production on endpoint ${ENDPOINT}; predict with --version 1 (or without --version), or deploy v2 first with \`mlops deploy ${MODEL} 2\`\n`,
    });
  });

  it('names the row and column of a value the model cannot take, and a row of the wrong width', async () => {
    // Act
    const category = await predictCli(['predict', MODEL, '-'], 'Biscoe,40\nAtlantis,41\n');
    const width = await predictCli(['predict', MODEL, '-'], 'Biscoe,40,Adelie\n');
    const number = await predictCli(['predict', MODEL, '-'], 'island,bill_length_mm\nDream,long\n');

    // Assess
    expect(category.stderr).toBe(
      `error: stdin, row 2, column island: "Atlantis" is not a category ${MODEL} v1 was trained on (Biscoe, Dream, Torgersen)\n`,
    );
    expect(width.stderr).toBe(
      `error: stdin, row 1: 3 fields, expected 2: ${MODEL} v1 takes the features island, bill_length_mm in this order, without the label (species)\n`,
    );
    expect(number.stderr).toBe('error: stdin, row 1, column bill_length_mm: "long" is not a number\n');
    const typo = await predictCli(['predict', MODEL, '-'], 'island,bill_lenght_mm\nDream,40\n');
    expect(typo.stderr).toBe(
      `error: stdin: the first row looks like a header, but "bill_lenght_mm" is not a column of ${MODEL} v1 (features: island, bill_length_mm; label: species)\n`,
    );
    expect([category.code, width.code, number.code]).toEqual([1, 1, 1]);
  });

  it('says when nothing serves, and when the runtime serves no endpoints', async () => {
    // Prepare: a model with versions but no production
    await registry.registerVersion('unserved', {
      lineage: lineage('unserved', newRunId('unserved'), 0.9),
      status: 'Approved',
    });

    // Act
    const unserved = await predictCli(['predict', 'unserved', '-'], '1,2\n');
    const noRuntime = await mlops(['predict', MODEL, csvFile('one-row.csv', 'Biscoe,40\n')]);

    // Assess
    expect(unserved.stderr).toBe(
      'error: unserved has no version serving (no production version): deploy one with `mlops deploy unserved <version>`\n',
    );
    expect(noRuntime.code).toBe(1);
    expect(noRuntime.stderr).toContain(
      'serves no endpoints (its runtime.json has no endpoints.sagemakerRuntime)',
    );
  });
});

describe('mlops predict: reading answers per objective', () => {
  it('reads a class and its probability, a class index, or a value, and refuses an answer of the wrong size', () => {
    // Act
    const binary = readPredictions('0.25\n0.75\n', 2, 1, 'e').map((v, i) =>
      interpret(i + 1, v, 'binary:logistic', ['no', 'yes']),
    );
    const softmax = interpret(1, [2], 'multi:softmax', ['a', 'b', 'c']);
    const regression = readPredictions('[1.5, -2]', 2, 1, 'e').map((v, i) =>
      interpret(i + 1, v, 'reg:squarederror', undefined),
    );
    const softprob = readPredictions('0.1,0.7,0.2\n', 1, 3, 'e');

    // Assess
    expect(binary).toEqual([
      { row: 1, label: 'no', probability: 0.25 },
      { row: 2, label: 'yes', probability: 0.75 },
    ]);
    expect(softmax).toEqual({ row: 1, label: 'c' });
    expect(regression).toEqual([
      { row: 1, value: 1.5 },
      { row: 2, value: -2 },
    ]);
    expect(softprob).toEqual([[0.1, 0.7, 0.2]]);
    expect(() => readPredictions('0.1\n', 2, 1, 'mlops-x')).toThrow(
      'mlops-x answered 1 number(s) for 2 row(s), expected 2: "0.1\\n"',
    );
  });
});

describe('mlops runs: cost', () => {
  const cost = (totalUsd: number, trainingUsd: number): RunCost => ({
    totalUsd,
    training: {
      usd: trainingUsd,
      billableSeconds: 180,
      jobs: [
        {
          name: 'job',
          instanceType: 'ml.m5.xlarge',
          instanceCount: 1,
          billableSeconds: 180,
          usd: trainingUsd,
        },
      ],
    },
    stepFunctions: { usd: 0.000125, stateTransitions: 5 },
    lambda: { usd: totalUsd - trainingUsd - 0.000125, gbSeconds: 2.5, invocations: 4 },
    unpriced: [],
    region: 'us-east-1',
    pricesAsOf: '2026-11-30',
    priceSources: ['https://aws.amazon.com/sagemaker/pricing/'],
    computedAt: '2026-11-30T12:00:00.000Z',
  });
  let costed: string[];
  let uncosted: string;

  beforeAll(async () => {
    costed = [];
    for (const [i, total] of [0.0117, 0.0235].entries()) {
      const runId = newRunId('costly');
      const executionArn = `arn:aws:states:us-east-1:123456789012:execution:Training:${runId}`;
      await registry.createRun({
        runId,
        model: 'costly',
        dataset: { bucket: DATA_BUCKET, key: `datasets/costly/${i}.csv` },
        executionArn,
        startedAt: new Date(Date.now() - 60_000 * (i + 2)),
      });
      expect(await target.costs.record(runId, executionArn, cost(total, total - 0.0002))).toBe('Recorded');
      costed.push(runId);
    }
    uncosted = newRunId('costly');
    await registry.createRun({
      runId: uncosted,
      model: 'costly',
      dataset: { bucket: DATA_BUCKET, key: 'datasets/costly/running.csv' },
    });
  });

  it('runs show prints what the run cost and what it is made of', async () => {
    const text = await mlops(['runs', 'show', costed[0] ?? '']);
    const json = await mlops(['--json', 'runs', 'show', costed[0] ?? '']);
    const none = await mlops(['runs', 'show', uncosted]);

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^Cost +\$0\.0117 \(training \$0\.0115: 180 instance-s of ml\.m5\.xlarge; 5 state transitions \$0\.000125; Lambda 2\.5 GB-s \$0\.000075; us-east-1 prices of 2026-11-30\)$/m,
    );
    expect(JSON.parse(json.stdout).cost.totalUsd).toBe(0.0117);
    expect(none.stdout).toMatch(/^Cost +-$/m);
  });

  it('runs list --cost adds a COST column and sums the listed runs per model', async () => {
    const text = await mlops(['runs', 'list', '--model', 'costly', '--cost']);
    const json = await mlops(['runs', 'list', '--model', 'costly', '--cost', '--json']);

    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN +MODEL +STATUS +STARTED +DURATION +VERSION +COST$/);
    expect(lines.find((l) => l.startsWith(costed[1] ?? '?'))).toMatch(/ \$0\.0235$/);
    expect(lines.find((l) => l.startsWith(uncosted))).toMatch(/ -$/);
    expect(text.stdout).toMatch(/^MODEL +RUNS +COSTED +TOTAL\ncostly +3 +2 +\$0\.0352$/m);
    expect(JSON.parse(json.stdout).byModel).toEqual([
      { model: 'costly', runs: 3, costed: 2, totalUsd: 0.0352 },
    ]);
  });
});
