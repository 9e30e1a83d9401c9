/**
 * The business metrics the Lambdas publish (issue 11 §1), read from the EMF lines Powertools prints, with
 * the registry on DynamoDB Local and the buckets on s3rver: names and units from metric-names.ts, the model
 * dimension (plus Step or Reason where it matters), ids as properties, never dimensions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { promote } from '../../lambdas/promote-deployment/promote';
import { reconcileExecution } from '../../lambdas/reconcile-execution/reconcile';
import { recordFailure as recordDeploymentFailure } from '../../lambdas/record-deployment-failure/record';
import { recordFailure } from '../../lambdas/record-failure/record-failure';
import { type RegisterModelInput, registerModel } from '../../lambdas/register-model/register';
import { METRICS_NAMESPACE, MetricNames, RejectionReasons } from '../../lambdas/shared/metric-names';
import type { RuntimeModelSettings } from '../../lambdas/shared/model-settings';
import type { RunContext } from '../../lambdas/shared/pipeline';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { runForUpload } from '../../lambdas/shared/runs';
import { publishMetric } from '../../lambdas/shared/runtime/metrics';
import { createPowertools } from '../../lambdas/shared/runtime/powertools';
import { smokeTest } from '../../lambdas/smoke-test/smoke';
import { rejectionReason, validateRun } from '../../lambdas/validate-dataset/validate-run';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { useRegistryTable } from '../support/dynamodb';

const REGION = 'us-east-1';
const DATA = 'data';
const ARTIFACTS = 'artifacts';
const table = useRegistryTable();
let root: string;
let s3Server: LocalS3;
let s3: S3Client;
let registry: ModelRegistryClient;
let bus: LocalEventBridge;
let events: EventBridgeClient;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lambda-metrics-'));
  s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: [DATA, ARTIFACTS] });
  s3 = new S3Client(localS3ClientConfig(s3Server.endpoint, REGION));
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
  bus = await startLocalEventBridge({ account: '123456789012', region: REGION });
  events = new EventBridgeClient({
    region: REGION,
    endpoint: bus.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 60_000);

afterAll(async () => {
  events?.destroy();
  await bus?.stop();
  s3?.destroy();
  await s3Server?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** EMF documents Powertools writes to stdout during a test. */
let emitted: Record<string, unknown>[] = [];
/** What Powertools prints as warnings: to stderr (its own Console), or console.warn in dev mode. */
let warnings: string[] = [];
beforeEach(() => {
  emitted = [];
  warnings = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (line.includes('"_aws"')) emitted.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    warnings.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  });
});
afterEach(() => vi.restoreAllMocks());

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

/** The documents that carry metric `name`, with their directive. */
function documents(name: string) {
  return emitted
    .filter((doc) => name in doc)
    .map((doc) => {
      const [directive] = (doc._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics;
      return { doc, directive: directive as Directive };
    });
}

function only(name: string) {
  const found = documents(name);
  expect(found, `${name} published once`).toHaveLength(1);
  return found[0] as { doc: Record<string, unknown>; directive: Directive };
}

const powertools = () => {
  const tools = createPowertools('metrics-test');
  return { ...tools, logger: new Logger({ logLevel: 'SILENT' }) };
};

const settings: RuntimeModelSettings = {
  approval: 'auto',
  problemType: 'binary',
  targetColumn: 'churned',
  training: {
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    builtInAlgorithm: true,
    hyperparameters: { num_round: '10' },
    instanceType: 'ml.m5.xlarge',
    instanceCount: 1,
    maxRuntimeSeconds: 3600,
    managedSpot: false,
    volumeSizeGb: 30,
    metricDefinitions: [],
  },
  evaluation: { minImprovement: 0 },
};

const rows = (n: number, label: (i: number) => string) => [
  'tenure,plan,churned',
  ...Array.from({ length: n }, (_, i) => `${i},${['basic', 'pro'][i % 2]},${label(i)}`),
];

async function upload(model: string, lines: string[]): Promise<RunContext> {
  const key = `datasets/${model}/${randomBytes(4).toString('hex')}.csv`;
  await s3.send(new PutObjectCommand({ Bucket: DATA, Key: key, Body: lines.join('\n') }));
  return {
    runId: `${model}-${randomBytes(8).toString('hex')}`,
    model,
    dataset: { bucket: DATA, key },
    duplicate: false,
  };
}

function validate(run: RunContext, modelSettings: Record<string, RuntimeModelSettings>) {
  const { logger, metrics } = powertools();
  return validateRun(run, {
    s3,
    registry: { findTrainedDataset: async () => undefined },
    logger,
    metrics,
    config: { artifactsBucket: ARTIFACTS, kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k', modelSettings },
  });
}

describe('publishMetric', () => {
  it("keys a metric by model alone: no Powertools `service` dimension (a single metric's default)", () => {
    // Prepare
    const { metrics } = powertools();

    // Act: as check-quality and retrain publish theirs
    publishMetric(metrics, MetricNames.qualityDegraded, 1, { model: 'churn', metadata: { windowId: 'w1' } });
    publishMetric(metrics, MetricNames.runFailed, 1, { model: 'churn', breakdown: { Step: 'TrainModel' } });

    // Assess
    expect(only(MetricNames.qualityDegraded)).toEqual({
      doc: expect.not.objectContaining({ service: expect.anything() }),
      directive: {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['model']],
        Metrics: [{ Name: 'QualityDegraded', Unit: 'Count' }],
      },
    });
    expect(only(MetricNames.qualityDegraded).doc).toMatchObject({ model: 'churn', windowId: 'w1' });
    expect(only(MetricNames.runFailed).directive.Dimensions).toEqual([['model'], ['model', 'Step']]);
  });

  it('publishes [model] and [model, Step] with nothing printed but the EMF line (no Powertools warning)', () => {
    // Prepare
    const { metrics } = powertools();

    // Act
    publishMetric(metrics, MetricNames.runFailed, 1, {
      model: 'churn',
      breakdown: { Step: 'TrainModel' },
      metadata: { runId: 'churn-1', error: 'States.TaskFailed' },
    });

    // Assess
    const { doc, directive } = only(MetricNames.runFailed);
    expect(directive).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['model'], ['model', 'Step']],
      Metrics: [{ Name: 'RunFailed', Unit: 'Count' }],
    });
    expect(Object.keys(doc).sort()).toEqual(['RunFailed', 'Step', '_aws', 'error', 'model', 'runId']);
    expect(doc).toMatchObject({ model: 'churn', Step: 'TrainModel', runId: 'churn-1', RunFailed: 1 });
    expect(warnings).toEqual([]);
  });
});

describe('ValidateDataset metrics', () => {
  it('publishes rows validated and rows per second for an accepted dataset, per model, the run id a property', async () => {
    // Prepare
    const run = await upload(
      'metrics-accepted',
      rows(200, (i) => String(i % 2)),
    );

    // Act
    await validate(run, { 'metrics-accepted': settings });

    // Assess
    const validated = only(MetricNames.rowsValidated);
    expect(validated.doc).toMatchObject({ model: 'metrics-accepted', runId: run.runId, RowsValidated: 200 });
    expect(validated.directive).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['model']],
      Metrics: [{ Name: 'RowsValidated', Unit: 'Count' }],
    });
    const throughput = only(MetricNames.validationThroughput);
    expect(throughput.directive.Metrics).toEqual([{ Name: 'ValidationRowsPerSecond', Unit: 'Count/Second' }]);
    expect(throughput.doc.ValidationRowsPerSecond).toBeGreaterThan(0);
    expect(documents(MetricNames.datasetRejected)).toEqual([]);
  });

  it('counts a rejection once, per model and per reason class', async () => {
    // Prepare: every label the same class
    const run = await upload(
      'metrics-rejected',
      rows(50, () => '1'),
    );

    // Act
    await expect(validate(run, { 'metrics-rejected': settings })).rejects.toMatchObject({
      name: 'DatasetRejected',
    });

    // Assess
    const rejected = only(MetricNames.datasetRejected);
    expect(rejected.doc).toMatchObject({
      model: 'metrics-rejected',
      Reason: RejectionReasons.label,
      runId: run.runId,
      DatasetRejected: 1,
    });
    expect(rejected.directive.Dimensions).toEqual([['model'], ['model', 'Reason']]);
  });

  it('counts a model without a contract under Reason Contract', async () => {
    // Prepare: no target column anywhere
    const run = await upload(
      'metrics-no-contract',
      rows(50, (i) => String(i % 2)),
    );
    const { targetColumn: _none, ...withoutTarget } = settings;

    // Act
    await expect(validate(run, { 'metrics-no-contract': withoutTarget })).rejects.toMatchObject({
      name: 'ContractMissing',
    });

    // Assess
    expect(only(MetricNames.datasetRejected).doc).toMatchObject({
      model: 'metrics-no-contract',
      Reason: RejectionReasons.contract,
    });
  });

  it('classes a rejection by its most fundamental problem', () => {
    expect(rejectionReason({ countsByKind: { 'single-class': 1, 'missing-column': 2 } })).toBe('Header');
    expect(rejectionReason({ countsByKind: { 'not-a-number': 3, 'unknown-label': 1 } })).toBe('Values');
    expect(rejectionReason({ countsByKind: { 'invalid-utf8': 1 } })).toBe('Structure');
    expect(rejectionReason({ countsByKind: { 'too-few-rows': 1 } })).toBe('Size');
    expect(rejectionReason({ countsByKind: { 'too-many-classes': 1 } })).toBe('Label');
  });
});

describe('RecordFailure metrics', () => {
  it('counts the failed run per model and per step', async () => {
    // Prepare
    const model = 'metrics-failed';
    const runId = `${model}-${randomBytes(8).toString('hex')}`;
    const dataset = { bucket: DATA, key: `datasets/${model}/a.csv`, versionId: 'v1' };
    await registry.createRun({ runId, model, dataset, step: 'TrainModel' });
    const { logger, metrics } = powertools();

    // Act
    await recordFailure(
      {
        run: { runId, model, dataset, duplicate: false },
        error: { Error: 'States.TaskFailed', Cause: '{}' },
        step: 'TrainModel',
      },
      { registry, logger, metrics },
    );
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics(); // as the handler does when the invocation ends

    // Assess
    const failed = only(MetricNames.runFailed);
    expect(failed.doc).toMatchObject({ model, Step: 'TrainModel', runId, RunFailed: 1 });
    expect(failed.directive.Dimensions).toEqual([['model'], ['model', 'Step']]);
    expect(warnings).toEqual([]);
  });
});

describe('ReconcileExecution metrics', () => {
  it('counts a run its timed-out execution left Running as RunFailed, per model and step, once', async () => {
    // Prepare: a run StartRun recorded, in ValidateDataset when the execution timed out
    const model = 'metrics-timed-out';
    const key = `datasets/${model}/a.csv`;
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:training:${randomBytes(4).toString('hex')}`;
    const detail = { version: '0', bucket: { name: DATA }, object: { key, size: 10, 'version-id': 'v1' } };
    const { runId } = runForUpload({ bucket: DATA, key, versionId: 'v1' });
    const dataset = { bucket: DATA, key, versionId: 'v1' };
    await registry.createRun({ runId, model, dataset, executionArn, step: 'ValidateDataset' });
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:training',
        status: 'TIMED_OUT',
        input: JSON.stringify({ 'detail-type': 'Object Created', detail }),
      },
    };
    const { logger, metrics } = powertools();

    // Act: delivered twice
    expect(await reconcileExecution(event, { registry, logger, metrics })).toMatchObject({
      action: 'Closed',
    });
    await reconcileExecution(event, { registry, logger, metrics });

    // Assess
    const failed = only(MetricNames.runFailed);
    expect(failed.doc).toMatchObject({ model, Step: 'ValidateDataset', runId, error: 'ExecutionTimedOut' });
    expect(failed.directive.Dimensions).toEqual([['model'], ['model', 'Step']]);
  });
});

describe('RegisterModel metrics', () => {
  it('publishes the objective value, ModelRegistered and RunSucceeded once, retries adding nothing', async () => {
    // Prepare: a run that trained and was evaluated
    const model = 'metrics-register';
    const runId = `${model}-${randomBytes(8).toString('hex')}`;
    const dataset = { bucket: DATA, key: `datasets/${model}/a.csv`, versionId: 'v1' };
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`;
    await registry.createRun({ runId, model, dataset, executionArn, step: 'EvaluateModel' });
    const runs = `s3://${ARTIFACTS}/runs/${runId}`;
    const input: RegisterModelInput = {
      run: { runId, model, dataset, duplicate: false },
      plan: {
        reportUri: `${runs}/report.json`,
        baselineUri: `${runs}/baseline.json`,
        lineage: { sha256: createHash('sha256').update(runId).digest('hex'), rowCount: 100, sizeBytes: 2048 },
        training: {
          jobName: runId,
          algorithmSpecification: { TrainingImage: settings.training.image, TrainingInputMode: 'File' },
          hyperParameters: { objective: 'binary:logistic' },
          resourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
          stoppingCondition: { MaxRuntimeInSeconds: 3600 },
          enableManagedSpotTraining: false,
          trainUri: `${runs}/train/`,
          validationUri: `${runs}/validation/`,
          outputUri: `${runs}/output/`,
          checkpointUri: `${runs}/checkpoints/`,
        },
        evaluation: {
          problemType: 'binary' as const,
          metric: 'validation:auc',
          higherIsBetter: true,
          threshold: 0.5,
          minImprovement: 0,
          approval: 'auto' as const,
        },
      },
      training: {
        jobName: runId,
        status: 'Completed',
        artifactUri: `${runs}/output/model.tar.gz`,
        metrics: [{ MetricName: 'validation:auc', Value: 0.81 }],
      },
      evaluation: { status: 'Approved' as const, metric: 'validation:auc', value: 0.81, reasons: ['first'] },
    };
    const { logger, metrics } = powertools();
    const deps = { registry, events, eventBusName: 'default', logger, metrics };

    // Act: the step, then a retry of it (Step Functions retries a Task whose answer was lost)
    await registerModel(input, deps);
    metrics.publishStoredMetrics();
    await registerModel(input, deps);
    metrics.publishStoredMetrics();

    // Assess
    const objective = only(MetricNames.objectiveValue);
    expect(objective.doc).toMatchObject({
      model,
      ObjectiveValue: 0.81,
      metric: 'validation:auc',
      version: '1',
    });
    expect(objective.directive.Dimensions).toEqual([['model']]);
    expect(only(MetricNames.modelRegistered).doc).toMatchObject({
      model,
      version: '1',
      status: 'Approved',
      runId,
    });
    expect(only(MetricNames.runSucceeded).doc).toMatchObject({ model, runId, RunSucceeded: 1 });
  });
});

describe('deployment metrics', () => {
  /** A fresh model (one deployment at a time each) with a version, and a deployment begun for it. */
  async function begun(
    options: { model?: string; version?: number; kind?: 'deploy' | 'rollback' } = {},
  ): Promise<{ model: string; deploymentId: string; version: number }> {
    const model = options.model ?? `metrics-deploy-${randomBytes(3).toString('hex')}`;
    const version = options.version ?? (await registered(model));
    const deploymentId = `${model}-v${version}-${randomBytes(6).toString('hex')}`;
    await registry.createDeployment({
      deploymentId,
      model,
      version,
      kind: options.kind ?? 'deploy',
      actor: 'ops@test',
    });
    await registry.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
    await registry.beginDeployment(deploymentId, { actor: 'deployment-workflow' });
    return { model, deploymentId, version };
  }

  /** A new Approved version of `model`. */
  async function registered(model: string): Promise<number> {
    const runId = `${model}-${randomBytes(8).toString('hex')}`;
    const result = await registry.registerVersion(model, {
      status: 'Approved',
      reason: 'registered by the test',
      lineage: {
        dataset: {
          bucket: DATA,
          key: `datasets/${model}/a.csv`,
          versionId: 'null',
          sha256: createHash('sha256').update(runId).digest('hex'),
          rowCount: 100,
        },
        trainingJobName: `train-${runId}`,
        image: settings.training.image,
        hyperparameters: { objective: 'binary:logistic' },
        metrics: { 'validation:auc': 0.9 },
        artifactUri: `s3://${ARTIFACTS}/runs/${runId}/model.tar.gz`,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
        runId,
      },
    });
    return result.version.version;
  }

  /** Records the passed smoke test, as the workflow does, and returns what PromoteDeployment is given. */
  async function smokeTested(
    begun: { model: string; deploymentId: string; version: number },
    kind: 'deploy' | 'rollback' = 'deploy',
  ) {
    const { model, deploymentId, version } = begun;
    const names = { endpointName: `mlops-${model}`, endpointConfigName: `mlops-${model}-v${version}-a1` };
    await registry.recordDeploymentProgress(deploymentId, { stage: { name: 'SmokeTestPassed' }, ...names });
    const input = {
      deployment: {
        deploymentId,
        model,
        version,
        attempt: 1,
        kind,
        actor: 'ops@test',
      },
      ...names,
      smoke: { passed: true, rows: 2, latencyMs: 12, reasons: [] },
    };
    return input;
  }

  it('publishes the smoke test latency (ms) and whether it failed, per model from the deployment record', async () => {
    // Prepare: the validation split and an endpoint that answers one probability per row
    const { model, deploymentId } = await begun();
    const key = `runs/${deploymentId}/validation.csv`;
    await s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: key, Body: '1,3,0\n0,4,1\n' }));
    const runtime = { send: async () => ({ Body: new TextEncoder().encode('0.8\n0.1\n') }) };
    let clock = 1_000;
    const { logger, metrics } = powertools();

    // Act
    const result = await smokeTest(
      {
        deploymentId,
        // A shortened endpoint name says nothing of the model: the record does.
        endpointName: 'shortened-0a1b2c3d',
        smokeTest: { validationUri: `s3://${ARTIFACTS}/${key}`, objective: 'binary:logistic' },
      },
      { s3, runtime, registry, logger, metrics, now: () => (clock += 42.5) },
    );

    // Assess
    expect(result.passed).toBe(true);
    const latency = only(MetricNames.smokeTestLatency);
    expect(latency.doc).toMatchObject({ model, deploymentId, SmokeTestLatency: 42.5 });
    expect(latency.directive.Metrics).toEqual([{ Name: 'SmokeTestLatency', Unit: 'Milliseconds' }]);
    expect(latency.directive.Dimensions).toEqual([['model']]);
    expect(only(MetricNames.smokeTestFailed).doc).toMatchObject({ model, SmokeTestFailed: 0 });
  });

  it('counts a promotion once, however often the step is retried', async () => {
    // Prepare: a deployment whose smoke test passed
    const { model, deploymentId, version } = await begun();
    const names = { endpointName: `mlops-${model}`, endpointConfigName: `mlops-${model}-v${version}-a1` };
    await registry.recordDeploymentProgress(deploymentId, { stage: { name: 'SmokeTestPassed' }, ...names });
    const { logger, metrics } = powertools();
    const input = {
      deployment: { deploymentId, model, version, attempt: 1, kind: 'deploy' as const, actor: 'ops@test' },
      ...names,
      smoke: { passed: true, rows: 2, latencyMs: 12, reasons: [] },
    };

    // Act
    await promote(input, { registry, logger, metrics });
    await promote(input, { registry, logger, metrics });

    // Assess
    expect(only(MetricNames.deploymentSucceeded).doc).toMatchObject({
      model,
      deploymentId,
      version: String(version),
      DeploymentSucceeded: 1,
    });
  });

  it("counts an operator's rollback as RollbackDeployed besides DeploymentSucceeded", async () => {
    // Prepare: v1 served, then v2; the operator rolls back to v1
    const first = await begun();
    const { model } = first;
    const quiet = { registry, logger: powertools().logger };
    await promote(await smokeTested(first), quiet);
    await registry.releaseDeploymentLease(model, first.deploymentId);
    const second = await begun({ model });
    await promote(await smokeTested(second), quiet);
    await registry.releaseDeploymentLease(model, second.deploymentId);
    const rollback = await begun({ model, version: first.version, kind: 'rollback' });
    const { logger, metrics } = powertools();

    // Act
    await promote(await smokeTested(rollback, 'rollback'), { registry, logger, metrics });

    // Assess
    expect(only(MetricNames.deploymentSucceeded).doc).toMatchObject({ model, kind: 'rollback' });
    expect(only(MetricNames.rollbackDeployed).doc).toMatchObject({
      model,
      deploymentId: rollback.deploymentId,
      version: String(first.version),
      RollbackDeployed: 1,
    });
  });

  it('counts a rolled-back deployment as DeploymentRolledBack, one that failed before its record as DeploymentFailed', async () => {
    // Prepare
    const { model, deploymentId, version } = await begun();
    const { logger, metrics } = powertools();
    const state = {
      deploymentId,
      model,
      version,
      kind: 'deploy' as const,
      requestedBy: 'ops@test',
      // SageMaker put the previous config back: the endpoint serves it, InService.
      plan: {
        names: { endpointName: `mlops-${model}`, endpointConfigName: `mlops-${model}-v${version}-a1` },
        previousConfigName: `mlops-${model}-v0-a1`,
      },
      endpoint: { EndpointStatus: 'InService', EndpointConfigName: `mlops-${model}-v0-a1` },
    };

    // Act
    await recordDeploymentFailure(state, { registry, logger, metrics });
    const { plan: _plan, endpoint: _endpoint, ...before } = state;
    await recordDeploymentFailure(
      {
        ...before,
        deploymentId: `${model}-never-${randomBytes(4).toString('hex')}`,
        error: { Error: 'States.TaskFailed' },
      },
      { registry, logger, metrics },
    );

    // Assess
    const failures = [
      ...documents(MetricNames.deploymentRolledBack),
      ...documents(MetricNames.deploymentFailed),
    ];
    expect(failures.map(({ doc }) => [doc.deploymentId === deploymentId, Object.keys(doc).at(-1)])).toEqual([
      [true, 'DeploymentRolledBack'],
      [false, 'DeploymentFailed'],
    ]);
    for (const { directive } of failures) expect(directive.Dimensions).toEqual([['model']]);
  });
});
