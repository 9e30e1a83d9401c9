import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { evaluateModel } from '../../lambdas/evaluate-model/evaluate';
import { reconcileExecution } from '../../lambdas/reconcile-execution/reconcile';
import { recordDuplicate } from '../../lambdas/record-duplicate/record-duplicate';
import { recordFailure } from '../../lambdas/record-failure/record-failure';
import { registerModel } from '../../lambdas/register-model/register';
import type {
  DuplicateRunPlan,
  EvaluationDecision,
  EvaluationPlan,
  RunContext,
  StartRunInput,
  TrainingResult,
  TrainingRunPlan,
} from '../../lambdas/shared/pipeline';
import { type Lineage, ModelRegistryClient } from '../../lambdas/shared/registry';
import { METRICS_NAMESPACE } from '../../lambdas/shared/runtime/powertools';
import { startRun } from '../../lambdas/start-run/start-run';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let registry: ModelRegistryClient;
const eventBridge = mockClient(EventBridgeClient);
const events = new EventBridgeClient({ region: 'us-east-1' });
const logger = new Logger({ logLevel: 'SILENT' });

beforeAll(() => {
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
});

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

afterAll(() => {
  eventBridge.restore();
});

/** Metrics as the handlers create them: ServerlessMlops namespace, no default `service` dimension. */
function newMetrics(): Metrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
  metrics.clearDefaultDimensions();
  return metrics;
}

const executionArn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:training:${name}`;

/** StartRun's input for an upload, as the state machine passes it: the S3 Object Created event's detail. */
function upload(
  model: string,
  versionId: string,
  execution = `exec-${versionId}`,
  key = `datasets/${model}/data.csv`,
): StartRunInput {
  return {
    detailType: 'Object Created',
    detail: {
      version: '0',
      bucket: { name: 'data-bucket' },
      object: { key, size: 2048, etag: 'e', 'version-id': versionId, sequencer: '00' },
      'request-id': 'r',
      requester: '123456789012',
      reason: 'PutObject',
    },
    executionArn: executionArn(execution),
  };
}

const aucPlan: EvaluationPlan = {
  problemType: 'binary',
  metric: 'validation:auc',
  higherIsBetter: true,
  threshold: 0.75,
  minImprovement: 0.005,
  approval: 'auto',
};

function planFor(run: RunContext, evaluation: EvaluationPlan = aucPlan): TrainingRunPlan {
  const runs = `s3://artifacts-bucket/runs/${run.runId}`;
  return {
    reportUri: `${runs}/report.json`,
    baselineUri: `${runs}/baseline.json`,
    lineage: {
      sha256: createHash('sha256').update(run.runId).digest('hex'),
      rowCount: 1_000,
      sizeBytes: 2048,
    },
    training: {
      jobName: run.runId,
      algorithmSpecification: {
        TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        TrainingInputMode: 'File',
      },
      hyperParameters: { objective: 'binary:logistic', num_round: '100' },
      resourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
      stoppingCondition: { MaxRuntimeInSeconds: 3600 },
      enableManagedSpotTraining: false,
      trainUri: `${runs}/train/`,
      validationUri: `${runs}/validation/`,
      outputUri: `${runs}/output/`,
      checkpointUri: `${runs}/checkpoints/`,
    },
    evaluation,
  };
}

function trainingFor(run: RunContext, auc: number): TrainingResult {
  return {
    jobName: run.runId,
    status: 'Completed',
    artifactUri: `s3://artifacts-bucket/runs/${run.runId}/output/${run.runId}/output/model.tar.gz`,
    metrics: [
      { MetricName: 'train:auc', Value: 0.97 },
      { MetricName: 'validation:auc', Value: auc },
    ],
  };
}

async function started(model: string, versionId: string): Promise<RunContext> {
  return startRun(upload(model, versionId), { registry, logger, metrics: newMetrics() });
}

/** A production champion with the given AUC, registered and aliased the way an operator's promotion would. */
async function promoteChampion(model: string, auc: number): Promise<number> {
  const runId = `${model}-champion`;
  const lineage: Lineage = {
    dataset: {
      bucket: 'data-bucket',
      key: `datasets/${model}/old.csv`,
      versionId: 'v0',
      sha256: createHash('sha256').update(runId).digest('hex'),
      rowCount: 500,
    },
    trainingJobName: runId,
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    hyperparameters: {},
    metrics: { 'validation:auc': auc },
    artifactUri: `s3://artifacts-bucket/runs/${runId}/model.tar.gz`,
    executionArn: executionArn(runId),
    runId,
  };
  const { version } = await registry.registerVersion(model, { lineage, status: 'Approved' });
  await registry.setAlias(model, 'production', version.version, { expectedVersion: null, reason: 'test' });
  return version.version;
}

describe('StartRun', () => {
  it('turns three deliveries of the same upload into one run, the later two marked duplicate', async () => {
    // Prepare: S3 -> EventBridge delivered the same Object Created event to three executions
    const deliveries = ['a', 'b', 'c'].map((execution) => upload('dedupe', 'v1', execution));
    const metrics = deliveries.map(() => newMetrics());

    // Act
    const results: RunContext[] = [];
    for (const [i, delivery] of deliveries.entries()) {
      results.push(await startRun(delivery, { registry, logger, metrics: metrics[i] ?? newMetrics() }));
    }

    // Assess
    const [first, ...others] = results;
    expect(first?.duplicate).toBe(false);
    expect(others.map((run) => run.duplicate)).toEqual([true, true]);
    expect(new Set(results.map((run) => run.runId)).size).toBe(1);
    const runs = await registry.listRunsByModel('dedupe');
    expect(runs.items).toHaveLength(1);
    expect(runs.items[0]).toMatchObject({
      runId: first?.runId,
      status: 'Running',
      dataset: { bucket: 'data-bucket', key: 'datasets/dedupe/data.csv', versionId: 'v1' },
      executionArn: executionArn('a'),
    });
    expect(metrics.map((each) => each.serializeMetrics())).toMatchObject([
      { model: 'dedupe', RunStarted: 1 },
      { model: 'dedupe', DuplicateDelivery: 1 },
      { model: 'dedupe', DuplicateDelivery: 1 },
    ]);
  });

  it('carries on when its own execution retries StartRun (same executionArn)', async () => {
    // Prepare
    const delivery = upload('retry', 'v1');
    const first = await startRun(delivery, { registry, logger, metrics: newMetrics() });

    // Act
    const retried = await startRun(delivery, { registry, logger, metrics: newMetrics() });

    // Assess
    expect(retried).toEqual(first);
    expect(retried.duplicate).toBe(false);
  });

  it('starts a new run for a new upload (new object version)', async () => {
    // Act
    const first = await started('reupload', 'v1');
    const second = await started('reupload', 'v2');

    // Assess
    expect(second.runId).not.toBe(first.runId);
    expect(second.duplicate).toBe(false);
    expect((await registry.listRunsByModel('reupload')).items).toHaveLength(2);
  });

  it('records nothing for a key outside the layout', async () => {
    // Prepare
    const delivery = upload('x', 'v1', 'exec-layout', 'datasets/Layout/data.csv');

    // Act
    const act = startRun(delivery, { registry, logger, metrics: newMetrics() });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'DatasetRejected' });
    expect((await registry.listRunsByModel('x')).items).toHaveLength(0);
  });
});

describe('EvaluateModel against the registry', () => {
  it('rejects a challenger that does not beat the production champion by minImprovement', async () => {
    // Prepare
    const champion = await promoteChampion('eval-worse', 0.82);
    const run = await started('eval-worse', 'v1');

    // Act
    const decision = await evaluateModel(
      { run, plan: planFor(run), training: trainingFor(run, 0.8123) },
      { registry, logger },
    );

    // Assess
    expect(decision).toEqual({
      status: 'Rejected',
      metric: 'validation:auc',
      value: 0.8123,
      champion: { version: champion, value: 0.82 },
      reasons: [
        'validation:auc 0.8123 meets the threshold 0.75',
        `validation:auc 0.8123 does not beat the production champion v${champion} (0.8200) by the required 0.0050`,
      ],
    });
  });

  it('approves a challenger that beats the champion, with automatic approval', async () => {
    // Prepare
    const champion = await promoteChampion('eval-better', 0.82);
    const run = await started('eval-better', 'v1');

    // Act
    const decision = await evaluateModel(
      { run, plan: planFor(run), training: trainingFor(run, 0.84) },
      { registry, logger },
    );

    // Assess
    expect(decision.status).toBe('Approved');
    expect(decision.champion).toEqual({ version: champion, value: 0.82 });
  });

  it('judges the first model of a name by the threshold alone', async () => {
    // Prepare
    const run = await started('eval-first', 'v1');

    // Act
    const decision = await evaluateModel(
      { run, plan: planFor(run, { ...aucPlan, approval: 'manual' }), training: trainingFor(run, 0.8) },
      { registry, logger },
    );

    // Assess
    expect(decision.status).toBe('PendingApproval');
    expect(decision.reasons).toContain('no production champion yet');
  });

  it('fails with MetricMissing when the job did not report the objective', async () => {
    // Prepare
    const run = await started('eval-missing', 'v1');
    const training = { ...trainingFor(run, 0.8), metrics: [{ MetricName: 'train:auc', Value: 0.9 }] };

    // Act
    const act = evaluateModel({ run, plan: planFor(run), training }, { registry, logger });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'MetricMissing',
      message:
        'The training job reported no value for the objective metric validation:auc (it reported: train:auc)',
    });
  });
});

describe('RegisterModel', () => {
  async function evaluated(model: string, auc = 0.84) {
    const run = await started(model, 'v1');
    const plan = planFor(run);
    const training = trainingFor(run, auc);
    const evaluation = await evaluateModel({ run, plan, training }, { registry, logger });
    return { run, plan, training, evaluation };
  }

  const deps = (metrics = newMetrics()) => ({ registry, events, eventBusName: 'mlops-bus', logger, metrics });

  it('registers the version with its full lineage, closes the run and announces it', async () => {
    // Prepare
    const input = await evaluated('register-once');
    const metrics = newMetrics();

    // Act
    const result = await registerModel(input, deps(metrics));

    // Assess: the version and its lineage
    expect(result).toEqual({ version: 1, status: 'Approved' });
    const version = await registry.getVersion('register-once', 1);
    expect(version).toMatchObject({
      status: 'Approved',
      statusReason: input.evaluation.reasons.join('; '),
      lineage: {
        dataset: {
          bucket: 'data-bucket',
          key: 'datasets/register-once/data.csv',
          versionId: 'v1',
          sha256: input.plan.lineage.sha256,
          rowCount: 1_000,
        },
        trainingJobName: input.run.runId,
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        hyperparameters: { objective: 'binary:logistic', num_round: '100' },
        metrics: { 'train:auc': 0.97, 'validation:auc': 0.84 },
        artifactUri: input.training.artifactUri,
        executionArn: executionArn('exec-v1'),
        runId: input.run.runId,
      },
    });
    // ...the run
    expect(await registry.getRun(input.run.runId)).toMatchObject({ status: 'Succeeded', version: 1 });
    // ...the metric
    expect(metrics.serializeMetrics()).toMatchObject({
      model: 'register-once',
      ObjectiveValue: 0.84,
      metric: 'validation:auc',
      _aws: { CloudWatchMetrics: [{ Namespace: 'ServerlessMlops', Dimensions: [['model']] }] },
    });
    // ...and the event
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const [entry] = calls[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({
      Source: 'serverless-mlops',
      DetailType: 'ModelRegistered',
      EventBusName: 'mlops-bus',
    });
    expect(JSON.parse(entry?.Detail ?? '')).toEqual({
      model: 'register-once',
      version: 1,
      status: 'Approved',
      metric: 'validation:auc',
      value: 0.84,
      runId: input.run.runId,
    });
  });

  it('registers one version when the same run is registered twice', async () => {
    // Prepare
    const input = await evaluated('register-twice');
    const first = await registerModel(input, deps());
    const metrics = newMetrics();

    // Act
    const second = await registerModel(input, deps(metrics));

    // Assess
    expect(second).toEqual(first);
    expect((await registry.listVersions('register-twice')).items).toHaveLength(1);
    expect(metrics.hasStoredMetrics()).toBe(false);
    // Announced again: a retry cannot know whether the first attempt's event went out.
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('heals a crash between registering the version and closing the run', async () => {
    // Prepare: the first attempt registered the version, then died before anything else
    const input = await evaluated('register-crash');
    const { version: before } = await registry.registerVersion('register-crash', {
      lineage: {
        dataset: {
          bucket: input.run.dataset.bucket,
          key: input.run.dataset.key,
          versionId: 'v1',
          sha256: input.plan.lineage.sha256,
          rowCount: 1_000,
        },
        trainingJobName: input.training.jobName,
        image: input.plan.training.algorithmSpecification.TrainingImage,
        hyperparameters: input.plan.training.hyperParameters,
        metrics: { 'validation:auc': 0.84 },
        artifactUri: input.training.artifactUri,
        executionArn: executionArn('exec-v1'),
        runId: input.run.runId,
      },
      status: 'Approved',
    });

    // Act: Step Functions retries the task
    const result = await registerModel(input, deps());

    // Assess
    expect(result.version).toBe(before.version);
    expect((await registry.listVersions('register-crash')).items).toHaveLength(1);
    expect(await registry.getRun(input.run.runId)).toMatchObject({
      status: 'Succeeded',
      version: before.version,
    });
  });

  it('records step RegisterModel on the closed run and the bytes as trained by this run', async () => {
    // Prepare
    const input = await evaluated('register-marks');

    // Act
    const { version } = await registerModel(input, deps());

    // Assess
    expect(await registry.getRun(input.run.runId)).toMatchObject({
      status: 'Succeeded',
      step: 'RegisterModel',
      version,
    });
    expect(await registry.findTrainedDataset('register-marks', input.plan.lineage.sha256)).toMatchObject({
      runId: input.run.runId,
      version,
    });
  });

  it('completes the run and announces the version exactly as a first run would when closing the run failed after registering', async () => {
    // Prepare: the first attempt registers and publishes, then the run update throws
    const input = await evaluated('register-update-fails');
    const failing = Object.assign(Object.create(registry) as ModelRegistryClient, {
      updateRun: async () => {
        throw Object.assign(new Error('Throughput exceeds the current capacity'), {
          name: 'ProvisionedThroughputExceededException',
        });
      },
    });
    const firstMetrics = newMetrics();
    await expect(registerModel(input, { ...deps(firstMetrics), registry: failing })).rejects.toThrow(
      'Throughput exceeds',
    );
    expect(await registry.getRun(input.run.runId)).toMatchObject({ status: 'Running' });

    // Act: the workflow retries RegisterModel
    const result = await registerModel(input, deps());

    // Assess: one version, the run closed, the same event as the first attempt's
    expect(result).toEqual({ version: 1, status: 'Approved' });
    expect((await registry.listVersions('register-update-fails')).items).toHaveLength(1);
    expect(await registry.getRun(input.run.runId)).toMatchObject({
      status: 'Succeeded',
      version: 1,
      step: 'RegisterModel',
    });
    const details = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries?.[0])
      .map((entry) => ({
        source: entry?.Source,
        type: entry?.DetailType,
        detail: JSON.parse(entry?.Detail ?? ''),
      }));
    expect(details).toHaveLength(2);
    expect(details[1]).toEqual(details[0]);
    expect(details[0]).toEqual({
      source: 'serverless-mlops',
      type: 'ModelRegistered',
      detail: {
        model: 'register-update-fails',
        version: 1,
        status: 'Approved',
        metric: 'validation:auc',
        value: 0.84,
        runId: input.run.runId,
      },
    });
    const succeeded = (await registry.listEvents('register-update-fails')).items.filter(
      (event) => event.type === 'RunSucceeded',
    );
    expect(succeeded).toHaveLength(1);
  });

  it('announces the status the version was registered in, even if it moved on before the retry', async () => {
    // Prepare: registered as PendingApproval, then approved by an operator before the retry
    const input = await evaluated('register-moved');
    const manual = { ...input, evaluation: { ...input.evaluation, status: 'PendingApproval' as const } };
    const failing = Object.assign(Object.create(registry) as ModelRegistryClient, {
      updateRun: async () => {
        throw new Error('boom');
      },
    });
    const first = registerModel(manual, { ...deps(), registry: failing });
    await expect(first).rejects.toThrow('boom');
    await registry.changeStatus('register-moved', 1, 'Approved', { reason: 'looks good', actor: 'ana' });

    // Act
    const result = await registerModel(manual, deps());

    // Assess
    expect(result).toEqual({ version: 1, status: 'PendingApproval' });
    const last = eventBridge.commandCalls(PutEventsCommand).at(-1)?.args[0].input.Entries?.[0];
    expect(JSON.parse(last?.Detail ?? '')).toMatchObject({ version: 1, status: 'PendingApproval' });
  });

  it('registers a rejected challenger as Rejected, with the reasons', async () => {
    // Prepare
    await promoteChampion('register-rejected', 0.9);
    const input = await evaluated('register-rejected', 0.8);

    // Act
    const result = await registerModel(input, deps());

    // Assess
    expect(result).toEqual({ version: 2, status: 'Rejected' });
    expect((await registry.getVersion('register-rejected', 2))?.statusReason).toContain(
      'does not beat the production champion v1 (0.9000)',
    );
  });

  it('publishes to the default bus without naming it', async () => {
    // Prepare
    const input = await evaluated('register-default-bus');

    // Act
    await registerModel(input, { ...deps(), eventBusName: 'default' });

    // Assess
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty('EventBusName');
  });

  it('leaves the run open when the event cannot be published, and succeeds on retry', async () => {
    // Prepare: PutEvents accepts the request but rejects the entry, every time
    const input = await evaluated('register-bus-down');
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    // Act
    const act = registerModel(input, deps());

    // Assess
    await expect(act).rejects.toThrow(
      'Could not publish ModelRegistered for register-bus-down v1 to event bus mlops-bus after 3 attempts: InternalFailure try again',
    );
    expect(await registry.getRun(input.run.runId)).toMatchObject({ status: 'Running' });

    // Act: the bus recovers and the task runs again
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const result = await registerModel(input, deps());

    // Assess
    expect(result.version).toBe(1);
    expect((await registry.listVersions('register-bus-down')).items).toHaveLength(1);
    expect(await registry.getRun(input.run.runId)).toMatchObject({ status: 'Succeeded', version: 1 });
  });

  it('refuses to register for a run that was never recorded', async () => {
    // Prepare
    const run: RunContext = {
      runId: 'ghost-0123456789abcdef',
      model: 'ghost',
      dataset: { bucket: 'data-bucket', key: 'datasets/ghost/data.csv', versionId: 'v1' },
      duplicate: false,
    };
    const evaluation: EvaluationDecision = {
      status: 'Approved',
      metric: 'validation:auc',
      value: 0.9,
      reasons: [],
    };

    // Act
    const act = registerModel(
      { run, plan: planFor(run), training: trainingFor(run, 0.9), evaluation },
      deps(),
    );

    // Assess
    await expect(act).rejects.toThrow('Run ghost-0123456789abcdef is not in the registry');
    expect((await registry.listVersions('ghost')).items).toHaveLength(0);
  });
});

describe('RecordFailure', () => {
  const sageMakerFailure = {
    Error: 'States.TaskFailed',
    Cause: JSON.stringify({
      TrainingJobName: 'x',
      TrainingJobStatus: 'Failed',
      FailureReason: 'ClientError: Data download failed: no file in s3://artifacts-bucket/runs/x/train/',
    }),
  };

  it('marks the run Failed with the SageMaker FailureReason, and records RunFailed once', async () => {
    // Prepare
    const run = await started('failing', 'v1');
    const metrics = newMetrics();
    const clock = () => new Date('2026-11-26T12:00:00.000Z');

    const emitted: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      emitted.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.includes('"RunFailed"')),
      );
      return true;
    });

    // Act: delivered twice
    const result = await recordFailure(
      { run, error: sageMakerFailure, step: 'TrainModel' },
      { registry, logger, metrics, clock },
    );
    await recordFailure(
      { run, error: sageMakerFailure, step: 'TrainModel' },
      { registry, logger, metrics: newMetrics(), clock },
    );
    vi.restoreAllMocks();

    // Assess
    const reason =
      'SageMaker training job x Failed: ClientError: Data download failed: no file in s3://artifacts-bucket/runs/x/train/';
    expect(result).toEqual({ runId: run.runId, status: 'Failed', error: 'States.TaskFailed', reason });
    expect(await registry.getRun(run.runId)).toMatchObject({
      status: 'Failed',
      error: 'States.TaskFailed',
      cause: reason,
      step: 'TrainModel',
      endedAt: '2026-11-26T12:00:00.000Z',
    });
    const failures = (await registry.listEvents('failing')).items.filter(
      (event) => event.type === 'RunFailed',
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ runId: run.runId, details: { cause: reason, step: 'TrainModel' } });
    // Each delivery publishes its own EMF line at once (a single metric): the registry, not the metric, is once.
    expect(emitted.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ model: 'failing', Step: 'TrainModel', RunFailed: 1 }),
      expect.objectContaining({ model: 'failing', Step: 'TrainModel', RunFailed: 1 }),
    ]);
  });

  it('leaves a run that already succeeded as it is', async () => {
    // Prepare
    const run = await started('failing-late', 'v1');
    await registry.updateRun(run.runId, { status: 'Succeeded', endedAt: new Date() });

    // Act
    const result = await recordFailure(
      { run, error: { Error: 'States.Timeout' }, step: 'Notify' },
      { registry, logger, metrics: newMetrics() },
    );

    // Assess
    expect(result.status).toBe('Failed');
    expect(await registry.getRun(run.runId)).toMatchObject({ status: 'Succeeded' });
  });

  it('only reports when StartRun failed and there is no run', async () => {
    // Prepare
    const error = {
      Error: 'DatasetRejected',
      Cause: JSON.stringify({
        errorType: 'DatasetRejected',
        errorMessage: 'Object key "datasets/a.csv" names no model folder',
      }),
    };

    // Act
    const result = await recordFailure({ error }, { registry, logger, metrics: newMetrics() });

    // Assess
    expect(result).toEqual({
      status: 'Failed',
      error: 'DatasetRejected',
      reason: 'Object key "datasets/a.csv" names no model folder',
    });
  });
});

describe('RecordDuplicate', () => {
  function duplicatePlan(original: { runId: string; version: number }): DuplicateRunPlan {
    return {
      reportUri: 's3://artifacts-bucket/runs/x/validation-report.json',
      lineage: { sha256: 'a'.repeat(64), rowCount: 10, sizeBytes: 100 },
      duplicateOf: original,
    };
  }

  it('closes the run Succeeded as a duplicate, with a RunDuplicate event, once', async () => {
    // Prepare
    const run = await started('dup-bytes', 'v2');
    const plan = duplicatePlan({ runId: 'dup-bytes-0000000000000001', version: 3 });
    const clock = () => new Date('2026-11-30T12:00:00.000Z');
    const metrics = newMetrics();

    // Act: delivered twice (a retried task)
    const first = await recordDuplicate({ run, plan }, { registry, logger, metrics, clock });
    const second = await recordDuplicate({ run, plan }, { registry, logger, metrics: newMetrics(), clock });

    // Assess
    const expected = {
      runId: run.runId,
      status: 'Succeeded',
      duplicateOf: 'dup-bytes-0000000000000001',
      version: 3,
    };
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(await registry.getRun(run.runId)).toMatchObject({
      status: 'Succeeded',
      duplicateOf: 'dup-bytes-0000000000000001',
      version: 3,
      step: 'ValidateDataset',
      endedAt: '2026-11-30T12:00:00.000Z',
    });
    const events = (await registry.listEvents('dup-bytes')).items.filter((e) => e.runId === run.runId);
    expect(events.map((e) => e.type).sort()).toEqual(['RunDuplicate', 'RunStarted']);
    expect(events.find((e) => e.type === 'RunDuplicate')?.reasons).toEqual([
      'same sha256 as run dup-bytes-0000000000000001 (v3); not trained again',
    ]);
    expect(metrics.serializeMetrics()).toMatchObject({ model: 'dup-bytes', DuplicateDataset: 1 });
  });

  it('refuses to close a run that already ended otherwise', async () => {
    // Prepare
    const run = await started('dup-ended', 'v1');
    await registry.updateRun(run.runId, { status: 'Failed', error: 'X', endedAt: new Date() });

    // Act
    const act = recordDuplicate(
      { run, plan: duplicatePlan({ runId: 'dup-ended-0000000000000001', version: 1 }) },
      { registry, logger, metrics: newMetrics() },
    );

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'RunStatusConflictError' });
  });

  it('refuses an input without the duplicate plan (InvalidInput, naming the field)', async () => {
    // Prepare
    const run = await started('dup-input', 'v1');

    // Act
    const act = recordDuplicate(
      { run, plan: { reportUri: 'x' } },
      { registry, logger, metrics: newMetrics() },
    );

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(act).rejects.toThrow('plan.duplicateOf');
  });
});

describe('ReconcileExecution', () => {
  /** What Step Functions sends EventBridge when the execution that started `upload` ends. */
  function statusChange(input: StartRunInput, status: string, executionArn = input.executionArn) {
    const execution = { 'detail-type': input.detailType, detail: input.detail };
    return {
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:training',
        status,
        input: JSON.stringify(execution),
        error: null,
        cause: null,
      },
    };
  }

  it('closes the Running run of a timed-out execution once, with the explanation, and records RunFailed', async () => {
    // Prepare
    const input = upload('stuck', 'v1');
    const run = await startRun(input, { registry, logger, metrics: newMetrics() });
    const clock = () => new Date('2026-11-26T15:00:00.000Z');

    // Act: delivered twice
    const first = await reconcileExecution(statusChange(input, 'TIMED_OUT'), { registry, logger, clock });
    const second = await reconcileExecution(statusChange(input, 'TIMED_OUT'), { registry, logger, clock });

    // Assess
    const cause =
      'Execution exec-v1 exceeded the state machine timeout during ValidateDataset and was stopped before the run was closed';
    expect(first).toEqual({ action: 'Closed', runId: run.runId, error: 'ExecutionTimedOut', cause });
    expect(second).toEqual({ action: 'Skipped', reason: 'RunAlreadyClosed', runId: run.runId });
    expect(await registry.getRun(run.runId)).toMatchObject({
      status: 'Failed',
      error: 'ExecutionTimedOut',
      cause,
      endedAt: '2026-11-26T15:00:00.000Z',
    });
    const failures = (await registry.listEvents('stuck')).items.filter((e) => e.type === 'RunFailed');
    expect(failures).toHaveLength(1);
  });

  it('leaves the run alone when the event is for another execution of the same upload', async () => {
    // Prepare
    const input = upload('stuck-dup', 'v1');
    const run = await startRun(input, { registry, logger, metrics: newMetrics() });

    // Act
    const result = await reconcileExecution(statusChange(input, 'ABORTED', executionArn('duplicate')), {
      registry,
      logger,
    });

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'OtherExecution', runId: run.runId });
    expect(await registry.getRun(run.runId)).toMatchObject({ status: 'Running' });
  });
});

describe('handlers, configured from the environment as the stack deploys them', () => {
  const context = { functionName: 'test', awsRequestId: 'request-1' } as Context;

  beforeAll(() => {
    vi.stubEnv('REGISTRY_TABLE_NAME', table.tableName);
    vi.stubEnv('EVENT_BUS_NAME', 'mlops-bus');
    // The SDK's service-specific endpoint variable: how the local runtime points Lambdas at DynamoDB Local.
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', table.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  afterEach(() => {
    vi.resetModules();
  });

  it('run the pipeline from upload to registered version, and record a failure', async () => {
    // Prepare
    const { handler: startRunHandler } = await import('../../lambdas/start-run/handler');
    const { handler: evaluateHandler } = await import('../../lambdas/evaluate-model/handler');
    const { handler: registerHandler } = await import('../../lambdas/register-model/handler');
    const { handler: recordFailureHandler } = await import('../../lambdas/record-failure/handler');

    // Act
    const run = await startRunHandler(upload('wired', 'v1'), context);
    const duplicate = await startRunHandler(upload('wired', 'v1', 'another-execution'), context);
    const plan = planFor(run);
    const training = trainingFor(run, 0.9);
    const evaluation = await evaluateHandler({ run, plan, training }, context);
    const registered = await registerHandler({ run, plan, training, evaluation }, context);
    const failedRun = await startRunHandler(upload('wired', 'v2'), context);
    const failure = await recordFailureHandler(
      { run: failedRun, error: sageMakerLikeFailure, step: 'TrainModel' },
      context,
    );

    // Assess
    expect(duplicate).toEqual({ ...run, duplicate: true });
    expect(evaluation.status).toBe('Approved');
    expect(registered).toEqual({ version: 1, status: 'Approved' });
    expect(await registry.getRun(run.runId)).toMatchObject({ status: 'Succeeded', version: 1 });
    expect(failure.reason).toBe('SageMaker training job wired-job Failed: AlgorithmError: out of memory');
    expect(await registry.getRun(failedRun.runId)).toMatchObject({ status: 'Failed', step: 'TrainModel' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('parse their input with a schema and name the fields that do not match (InvalidInput)', async () => {
    // Prepare
    const { handler: evaluateHandler } = await import('../../lambdas/evaluate-model/handler');
    const { handler: registerHandler } = await import('../../lambdas/register-model/handler');
    const { handler: recordFailureHandler } = await import('../../lambdas/record-failure/handler');
    const { handler: reconcileHandler } = await import('../../lambdas/reconcile-execution/handler');
    const run = await started('wired-input', 'v1');

    // Act + Assess
    await expect(evaluateHandler({ run, training: trainingFor(run, 0.9) }, context)).rejects.toThrow(
      /^EvaluateModel was invoked with an unexpected input: plan: /,
    );
    await expect(registerHandler({ run, plan: planFor(run) }, context)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/training: .*evaluation: /),
    });
    await expect(recordFailureHandler({ run, error: {} }, context)).rejects.toThrow('error.Error');
    await expect(reconcileHandler({ detail: { status: 'FAILED' } }, context)).rejects.toThrow(
      'detail.executionArn',
    );
  });

  it('fail at load with a clear message when the stack did not set a variable', async () => {
    // Prepare
    vi.stubEnv('REGISTRY_TABLE_NAME', '');

    // Act
    const load = import('../../lambdas/evaluate-model/handler');

    // Assess
    await expect(load).rejects.toThrow('Missing environment variable REGISTRY_TABLE_NAME (set by the stack)');
    vi.stubEnv('REGISTRY_TABLE_NAME', table.tableName);
  });
});

const sageMakerLikeFailure = {
  Error: 'States.TaskFailed',
  Cause: JSON.stringify({
    TrainingJobName: 'wired-job',
    TrainingJobStatus: 'Failed',
    FailureReason: 'AlgorithmError: out of memory',
  }),
};
