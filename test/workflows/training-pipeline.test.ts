/**
 * Executes the synthesized training state machine (references resolved) with aws-local-stepfunctions.
 * The Lambda tasks run the real handlers in-process against DynamoDB Local, s3rver and a local EventBridge;
 * the SageMaker task is given a local handler that plays the training job.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, RUN_RETRY_REQUESTED, retryRunId } from '../../lambdas/shared/events';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { MAX_TRAINING_RETRIES, TrainingStates } from '../../lib/workflows/training-pipeline';
import { LOCAL_CREDENTIALS, LocalRuntime } from '../../local/runtime';
import { type LocalTaskHandler, taskFailure } from '../../local/stepfunctions/executor';
import { findLogicalId } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const CONFIG = {
  models: {
    defaults: { approval: 'auto' },
    churn: { problemType: 'binary', targetColumn: 'churned', evaluation: { threshold: 0.7 } },
    reviewed: { problemType: 'binary', targetColumn: 'churned', approval: 'manual' },
    dedupe: { problemType: 'binary', targetColumn: 'churned' },
    replayed: { problemType: 'binary', targetColumn: 'churned' },
    picky: { problemType: 'binary', targetColumn: 'churned', evaluation: { minImprovement: 0.05 } },
  },
};

/** A deterministic, learnable binary dataset: churn follows usage and plan. */
function churnCsv(rows: number, seed = 1): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const lines = ['tenure,monthly_spend,plan,churned'];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(random() * 60);
    const spend = Math.round(random() * 10000) / 100;
    const plan = ['basic', 'plus', 'pro'][Math.floor(random() * 3)];
    const churned = tenure < 20 && random() < 0.8 ? 1 : 0;
    lines.push(`${tenure},${spend},${plan},${churned}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('training pipeline, executed from the synthesized definition', () => {
  let runtime: LocalRuntime;
  let s3: S3Client;
  let registry: ModelRegistryClient;
  let dynamodb: DynamoDBClient;
  let stateMachineId: string;
  let dataBucket: string;
  let artifactsBucket: string;
  let trainingCalls: Record<string, unknown>[];
  let objective: number;
  let version = 0;

  /** The SageMaker task: checks the splits exist, then completes with the objective the test chose. */
  const trainer: LocalTaskHandler = async (input) => {
    const request = input as {
      TrainingJobName: string;
      InputDataConfig: { DataSource: { S3DataSource: { S3Uri: string } } }[];
    };
    trainingCalls.push(request as unknown as Record<string, unknown>);
    for (const channel of request.InputDataConfig) {
      const uri = new URL(channel.DataSource.S3DataSource.S3Uri);
      const name = uri.pathname.split('/').filter(Boolean).at(-1);
      await s3.send(new GetObjectCommand({ Bucket: uri.host, Key: `${uri.pathname.slice(1)}${name}.csv` }));
    }
    return {
      TrainingJobName: request.TrainingJobName,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: {
        S3ModelArtifacts: `s3://${artifactsBucket}/runs/${request.TrainingJobName}/output/model.tar.gz`,
      },
      FinalMetricDataList: [
        { MetricName: 'validation:auc', Value: objective },
        { MetricName: 'train:auc', Value: 0.99 },
      ],
    };
  };

  async function upload(model: string, body: string, file = 'data.csv'): Promise<Record<string, unknown>> {
    const key = `datasets/${model}/${file}`;
    await s3.send(new PutObjectCommand({ Bucket: dataBucket, Key: key, Body: body }));
    version += 1;
    // s3rver keeps no versions; the event names one, as S3 does for a versioned bucket.
    return {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: {
        bucket: { name: dataBucket },
        object: { key, size: Buffer.byteLength(body), 'version-id': `v${version}` },
      },
    };
  }

  // The step updates (dynamodb:updateItem) run on the runtime's own DynamoDB integration; the existing-job
  // describe only where a test plays that job.
  const noExistingJob: LocalTaskHandler = async () => {
    throw new Error('DescribeExistingJob was not expected in this test');
  };

  const run = (event: unknown, services: Record<string, LocalTaskHandler> = {}) =>
    runtime.execute(stateMachineId, event, {
      services: {
        [TrainingStates.train]: trainer,
        [TrainingStates.describeExistingJob]: noExistingJob,
        ...services,
      },
      retryIntervalMs: 0,
      waitMs: 0,
    });

  beforeAll(async () => {
    const { template } = synthStack({ config: CONFIG });
    const json = template.toJSON() as Parameters<typeof LocalRuntime.start>[0]['template'];
    runtime = await LocalRuntime.start({ template: json, environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    stateMachineId = findLogicalId(json, 'AWS::StepFunctions::StateMachine');
    const bucket = (prefix: string) =>
      runtime.resources.physicalName(findLogicalId(json, 'AWS::S3::Bucket', prefix));
    dataBucket = bucket('StorageData');
    artifactsBucket = bucket('StorageArtifacts');
    s3 = new S3Client({ region: 'us-east-1', endpoint: runtime.s3.endpoint, credentials: LOCAL_CREDENTIALS });
    const tableId = findLogicalId(json, 'AWS::DynamoDB::Table');
    dynamodb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: runtime.dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    registry = new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(dynamodb),
      tableName: runtime.resources.physicalName(tableId),
    });
  });

  // Each test counts its own CreateTrainingJob calls, also when run alone (-t).
  beforeEach(() => {
    trainingCalls = [];
  });

  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await runtime?.stop();
  });

  it('validates, trains, evaluates and registers version 1 with its lineage', async () => {
    // Prepare
    trainingCalls = [];
    objective = 0.83;
    const event = await upload('churn', churnCsv(300));

    // Act
    const result = await run(event);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stateTransitions).toBeLessThanOrEqual(20);
    expect(trainingCalls).toHaveLength(1);
    const stored = await registry.getVersion('churn', 1);
    expect(stored).toMatchObject({
      status: 'Approved',
      lineage: {
        dataset: {
          bucket: dataBucket,
          key: 'datasets/churn/data.csv',
          versionId: 'v1',
          sha256: expect.stringMatching(/^[a-f0-9]{64}$/),
          rowCount: 300,
        },
        trainingJobName: expect.stringMatching(/^churn-[0-9a-f]{16}$/),
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        hyperparameters: expect.objectContaining({ objective: 'binary:logistic', eval_metric: 'auc' }),
        metrics: { 'validation:auc': 0.83, 'train:auc': 0.99 },
        artifactUri: expect.stringMatching(/^s3:\/\/.+\/runs\/churn-[0-9a-f]{16}\/output\/model\.tar\.gz$/),
        executionArn: expect.stringContaining(':execution:'),
      },
    });
    expect(runtime.events.events.map((e) => e['detail-type'])).toContain('ModelRegistered');
  });

  it('starts exactly one training job when the same object version is delivered three times', async () => {
    // Prepare
    trainingCalls = [];
    objective = 0.8;
    const event = await upload('dedupe', churnCsv(120));

    // Act
    const results = [await run(event), await run(event), await run(event)];

    // Assess
    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(results.map((r) => (r.output as { run: { duplicate: boolean } }).run.duplicate)).toEqual([
      false,
      true,
      true,
    ]);
    expect(trainingCalls).toHaveLength(1);
    expect((await registry.listVersions('dedupe', {})).items).toHaveLength(1);
  });

  it('still runs a newer upload that arrives between replays', async () => {
    // Prepare
    trainingCalls = [];
    objective = 0.8;
    const first = await upload('replayed', churnCsv(120, 2));
    await run(first);
    const newer = await upload('replayed', churnCsv(130, 3));

    // Act
    const results = [await run(first), await run(newer), await run(first)];

    // Assess
    expect(results.map((r) => (r.output as { run: { duplicate: boolean } }).run.duplicate)).toEqual([
      true,
      false,
      true,
    ]);
    expect(trainingCalls).toHaveLength(2);
    expect((await registry.listVersions('replayed', {})).items.map((v) => v.version)).toEqual([2, 1]);
  });

  it('records a rejected dataset as a Failed run with the validator reasons and trains nothing', async () => {
    // Prepare
    trainingCalls = [];
    const event = await upload(
      'churn',
      'tenure,monthly_spend,plan,churned\n1,abc,basic,0\n2,3.5,plus\n',
      'bad.csv',
    );

    // Act
    const result = await run(event);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DatasetRejected');
    expect(trainingCalls).toHaveLength(0);
    const failed = await runOf(result);
    expect(failed).toMatchObject({
      status: 'Failed',
      error: 'DatasetRejected',
      step: TrainingStates.validate,
    });
    expect(failed.cause).toMatch(/monthly_spend/);
    expect(failed.cause).toMatch(/abc/);
  });

  it('fails a model whose target column is declared nowhere, saying how to declare it', async () => {
    // Prepare
    trainingCalls = [];
    const event = await upload('undeclared', churnCsv(50));

    // Act
    const result = await run(event);

    // Assess
    expect(result.error).toBe('ContractMissing');
    const failed = await runOf(result);
    expect(failed.cause).toContain('datasets/undeclared/schema.json');
    expect(failed.cause).toContain('models.undeclared.targetColumn');
    expect(trainingCalls).toHaveLength(0);
  });

  it('records a failed training job with SageMaker FailureReason', async () => {
    // Prepare
    const event = await upload('churn', churnCsv(100, 4), 'fails.csv');
    const failingTrainer: LocalTaskHandler = async (input) => {
      throw taskFailure(
        'States.TaskFailed',
        JSON.stringify({
          TrainingJobName: (input as { TrainingJobName: string }).TrainingJobName,
          TrainingJobStatus: 'Failed',
          FailureReason: 'AlgorithmError: num_round must be positive',
        }),
      );
    };

    // Act
    const result = await run(event, { [TrainingStates.train]: failingTrainer });

    // Assess
    expect(result.status).toBe('FAILED');
    const failed = await runOf(result);
    expect(failed).toMatchObject({ status: 'Failed', step: TrainingStates.train });
    expect(failed.cause).toContain('AlgorithmError: num_round must be positive');
  });

  it('records a job that reported no metric as MetricMissing, not a stuck run', async () => {
    // Prepare: DescribeTrainingJob omits FinalMetricDataList when the job emitted no metric
    const event = await upload('churn', churnCsv(100, 11), 'silent.csv');
    const silentTrainer: LocalTaskHandler = async (input) => {
      const { FinalMetricDataList: _omitted, ...description } = (await trainer(input)) as Record<
        string,
        unknown
      >;
      return description;
    };

    // Act
    const result = await run(event, { [TrainingStates.train]: silentTrainer });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(await runOf(result)).toMatchObject({
      status: 'Failed',
      step: TrainingStates.evaluate,
      error: 'MetricMissing',
    });
  });

  it('passes only ids and pointers on after training, not the job description', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 12), 'lean.csv');

    // Act
    const result = await run(event);

    // Assess
    expect(Object.keys(result.output as object).sort()).toEqual([
      'evaluation',
      'plan',
      'registered',
      'run',
      'training',
    ]);
    expect(Object.keys((result.output as { training: object }).training).sort()).toEqual([
      'artifactUri',
      'jobName',
      'metrics',
      'status',
    ]);
  });

  it('rejects a model below the absolute threshold, with the numbers in the reasons', async () => {
    // Prepare
    objective = 0.62;
    const event = await upload('churn', churnCsv(100, 5), 'weak.csv');

    // Act
    const result = await run(event);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const registered = (result.output as { registered: { version: number } }).registered;
    const stored = await registry.getVersion('churn', registered.version);
    expect(stored?.status).toBe('Rejected');
    expect(stored?.statusReason).toMatch(/0\.62.*0\.7/);
  });

  it('rejects a challenger the production champion beats', async () => {
    // Prepare
    objective = 0.9;
    const championRun = await run(await upload('picky', churnCsv(100, 6)));
    const champion = (championRun.output as { registered: { version: number } }).registered.version;
    await registry.setAlias('picky', 'production', champion, { expectedVersion: null });
    objective = 0.92;
    const event = await upload('picky', churnCsv(100, 7), 'next.csv');

    // Act
    const result = await run(event);

    // Assess
    const registered = (result.output as { registered: { version: number } }).registered;
    const stored = await registry.getVersion('picky', registered.version);
    expect(stored?.status).toBe('Rejected');
    expect(stored?.statusReason).toMatch(/champion/);
  });

  it('leaves a model with manual approval PendingApproval', async () => {
    // Prepare
    objective = 0.85;
    const event = await upload('reviewed', churnCsv(100, 8));

    // Act
    const result = await run(event);

    // Assess
    const registered = (result.output as { registered: { version: number } }).registered;
    expect((await registry.getVersion('reviewed', registered.version))?.status).toBe('PendingApproval');
  });

  it('retries a transient Lambda error and then succeeds', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 9), 'flaky.csv');
    const evaluate = functionFor(TrainingStates.evaluate);
    let calls = 0;
    const flaky: LocalTaskHandler = async (input) => {
      calls += 1;
      if (calls === 1)
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      return evaluate(input);
    };

    // Act
    const result = await run(event, { [TrainingStates.evaluate]: flaky });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect(result.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
  });

  it('records the step the run is in: TrainModel while training, EvaluateModel while evaluating', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 13), 'steps.csv');
    const seen: Record<string, string | undefined> = {};
    const evaluate = functionFor(TrainingStates.evaluate);
    const stepOf = async (input: unknown) =>
      (await registry.getRun((input as { run: { runId: string } }).run.runId))?.step;

    // Act
    const result = await run(event, {
      [TrainingStates.train]: async (input) => {
        const runId = (input as { Tags: { Key: string; Value: string }[] }).Tags.find(
          (tag) => tag.Key === 'serverless-mlops:run',
        )?.Value as string;
        seen.training = (await registry.getRun(runId))?.step;
        return trainer(input);
      },
      [TrainingStates.evaluate]: async (input) => {
        seen.evaluating = await stepOf(input);
        return evaluate(input);
      },
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(seen).toEqual({ training: 'TrainModel', evaluating: 'EvaluateModel' });
    expect((await runOf(result)).step).toBe('RegisterModel');
  });

  it('goes on when the step update is refused (the run is no longer Running)', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 14), 'refused-step.csv');
    const refused: LocalTaskHandler = async () => {
      throw taskFailure('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    };

    // Act
    const result = await run(event, { [TrainingStates.recordTrainingStep]: refused });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(trainingCallsOf(result)).toBe(1);
  });

  it('waits out SageMaker.ResourceLimitExceededException (over the instance quota) and trains', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 15), 'quota.csv');
    let attempts = 0;
    const overQuota: LocalTaskHandler = async (input) => {
      attempts += 1;
      if (attempts <= 2) {
        throw taskFailure(
          'SageMaker.ResourceLimitExceededException',
          'The account-level service limit ml.m5.xlarge for training job usage is 2 Instances (Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceLimitExceeded)',
        );
      }
      return trainer(input);
    };

    // Act
    const result = await run(event, { [TrainingStates.train]: overQuota });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
  });

  it.each([['SageMaker.ResourceInUseException'], ['SageMaker.AmazonSageMakerException']])(
    'watches the job a lost CreateTrainingJob response started (retry answered %s "already exists")',
    async (error) => {
      // Prepare
      objective = 0.81;
      const event = await upload('churn', churnCsv(100, error.length), `exists-${error}.csv`);
      const described: string[] = [];
      let creates = 0;
      const exists: LocalTaskHandler = async (input) => {
        const { TrainingJobName } = input as { TrainingJobName: string };
        creates += 1;
        throw taskFailure(
          error,
          `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:123456789012:training-job/${TrainingJobName}) (Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceInUse)`,
        );
      };
      const describe: LocalTaskHandler = async (input) => {
        const { TrainingJobName } = input as { TrainingJobName: string };
        described.push(TrainingJobName);
        return {
          TrainingJobName,
          TrainingJobStatus: 'Completed',
          ModelArtifacts: {
            S3ModelArtifacts: `s3://${artifactsBucket}/runs/${TrainingJobName}/output/model.tar.gz`,
          },
          FinalMetricDataList: [{ MetricName: 'validation:auc', Value: objective }],
        };
      };

      // Act
      const result = await run(event, {
        [TrainingStates.train]: exists,
        [TrainingStates.describeExistingJob]: describe,
      });

      // Assess: the existing job is watched at once, the create is not tried again
      expect(result.status).toBe('SUCCEEDED');
      expect(creates).toBe(1);
      const stored = await runOf(result);
      expect(described).toEqual([stored.runId]);
      expect(stored).toMatchObject({ status: 'Succeeded', version: expect.any(Number) });
      expect((await registry.getVersion('churn', stored.version as number))?.lineage.metrics).toEqual({
        'validation:auc': 0.81,
      });
    },
  );

  it('keeps watching an existing job while it is InProgress or Stopping, until it ends', async () => {
    // Prepare
    objective = 0.79;
    const event = await upload('churn', churnCsv(100, 23), 'exists-in-progress.csv');
    const statuses = ['InProgress', 'InProgress', 'Completed'];
    const described: string[] = [];
    const exists: LocalTaskHandler = async () => {
      throw taskFailure(
        'SageMaker.ResourceInUseException',
        'Training job names must be unique within an AWS account and region, and a training job with this name already exists',
      );
    };
    const describe: LocalTaskHandler = async (input) => {
      const { TrainingJobName } = input as { TrainingJobName: string };
      const status = statuses[described.length] ?? 'Completed';
      described.push(status);
      return {
        TrainingJobName,
        TrainingJobStatus: status,
        ...(status === 'Completed'
          ? {
              ModelArtifacts: {
                S3ModelArtifacts: `s3://${artifactsBucket}/runs/${TrainingJobName}/output/model.tar.gz`,
              },
              FinalMetricDataList: [{ MetricName: 'validation:auc', Value: objective }],
            }
          : {}),
      };
    };

    // Act
    const result = await run(event, {
      [TrainingStates.train]: exists,
      [TrainingStates.describeExistingJob]: describe,
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(described).toEqual(['InProgress', 'InProgress', 'Completed']);
    expect(await runOf(result)).toMatchObject({ status: 'Succeeded', version: expect.any(Number) });
  });

  it('records a SageMaker validation error on the run after one CreateTrainingJob, without looking for a job', async () => {
    // Prepare
    const event = await upload('churn', churnCsv(100, 22), 'invalid-request.csv');
    let creates = 0;
    const invalid: LocalTaskHandler = async () => {
      creates += 1;
      throw taskFailure(
        'SageMaker.AmazonSageMakerException',
        '1 validation error detected: Value at resourceConfig.instanceType failed to satisfy constraint (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)',
      );
    };

    // Act (noExistingJob throws if the describe loop is entered)
    const result = await run(event, { [TrainingStates.train]: invalid });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(creates).toBe(1);
    const failed = await runOf(result);
    expect(failed).toMatchObject({
      status: 'Failed',
      step: TrainingStates.train,
      error: 'SageMaker.AmazonSageMakerException',
    });
    expect(failed.cause).toContain('Error Code: ValidationException');
  });

  it.each([
    [
      'throttling',
      'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException; Request ID: 7f1c)',
    ],
    [
      'a server error',
      'null (Service: AmazonSageMaker; Status Code: 500; Error Code: InternalFailure; Request ID: 7f1d)',
    ],
  ])('tries CreateTrainingJob again after %s, then trains', async (_kind, cause) => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 30 + cause.length), `transient-${cause.length}.csv`);
    let creates = 0;
    const flaky: LocalTaskHandler = async (input) => {
      creates += 1;
      if (creates <= 2) throw taskFailure('SageMaker.AmazonSageMakerException', cause);
      return trainer(input);
    };

    // Act
    const result = await run(event, { [TrainingStates.train]: flaky });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(creates).toBe(3);
    expect(trainingCalls).toHaveLength(1);
    expect(await runOf(result)).toMatchObject({ status: 'Succeeded', version: expect.any(Number) });
  });

  it('gives up on a cause that stays transient after the bounded retries, recording it', async () => {
    // Prepare
    const event = await upload('churn', churnCsv(100, 31), 'always-throttled.csv');
    let creates = 0;
    const throttled: LocalTaskHandler = async () => {
      creates += 1;
      throw taskFailure(
        'SageMaker.AmazonSageMakerException',
        'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException; Request ID: 7f1e)',
      );
    };

    // Act
    const result = await run(event, { [TrainingStates.train]: throttled });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(creates).toBe(1 + MAX_TRAINING_RETRIES);
    expect(await runOf(result)).toMatchObject({
      status: 'Failed',
      step: TrainingStates.train,
      error: 'SageMaker.AmazonSageMakerException',
      cause: expect.stringContaining('ThrottlingException'),
    });
  });

  it('records an existing job that failed as the .sync task would, with its FailureReason', async () => {
    // Prepare
    const event = await upload('churn', churnCsv(100, 16), 'exists-failed.csv');
    const exists: LocalTaskHandler = async () => {
      throw taskFailure(
        'SageMaker.ResourceInUseException',
        'Training job names must be unique within an AWS account and region, and a training job with this name already exists',
      );
    };
    const describe: LocalTaskHandler = async (input) => ({
      TrainingJobName: (input as { TrainingJobName: string }).TrainingJobName,
      TrainingJobStatus: 'Failed',
      FailureReason: 'ClientError: Please ensure the training data is a CSV file',
    });

    // Act
    const result = await run(event, {
      [TrainingStates.train]: exists,
      [TrainingStates.describeExistingJob]: describe,
    });

    // Assess
    expect(result.status).toBe('FAILED');
    const failed = await runOf(result);
    expect(failed).toMatchObject({
      status: 'Failed',
      step: TrainingStates.train,
      error: 'States.TaskFailed',
    });
    expect(failed.cause).toContain('Please ensure the training data is a CSV file');
  });

  it('does not retry a dataset the validator rejects', async () => {
    // Prepare
    const event = await upload(
      'churn',
      'tenure,monthly_spend,plan,churned\n1,abc,basic,0\n',
      'rejected-once.csv',
    );
    const validate = functionFor(TrainingStates.validate);
    let calls = 0;

    // Act
    const result = await run(event, {
      [TrainingStates.validate]: async (input) => {
        calls += 1;
        return validate(input);
      },
    });

    // Assess
    expect(result.error).toBe('DatasetRejected');
    expect(calls).toBe(1);
  });

  it('does not run the validator again after Lambda.Unknown (a timeout or out-of-memory end)', async () => {
    // Prepare
    const event = await upload('churn', churnCsv(100, 17), 'timeout.csv');
    let calls = 0;
    const timedOut: LocalTaskHandler = async () => {
      calls += 1;
      throw taskFailure(
        'Lambda.Unknown',
        'The cause could not be determined because Lambda did not return an error type.',
      );
    };

    // Act
    const result = await run(event, { [TrainingStates.validate]: timedOut });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(calls).toBe(1);
    expect(await runOf(result)).toMatchObject({
      status: 'Failed',
      step: TrainingStates.validate,
      error: 'Lambda.Unknown',
    });
  });

  it('retries Lambda.ClientExecutionTimeoutException', async () => {
    // Prepare
    objective = 0.8;
    const event = await upload('churn', churnCsv(100, 18), 'client-timeout.csv');
    const evaluate = functionFor(TrainingStates.evaluate);
    let calls = 0;

    // Act
    const result = await run(event, {
      [TrainingStates.evaluate]: async (input) => {
        calls += 1;
        if (calls === 1)
          throw taskFailure('Lambda.ClientExecutionTimeoutException', 'Client execution did not complete');
        return evaluate(input);
      },
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
  });

  it("retries RegisterModel's own failure, so the version it registered is announced and the run Succeeded", async () => {
    // Prepare
    objective = 0.9;
    const event = await upload('churn', churnCsv(100, 19), 'register-retry.csv');
    const register = functionFor(TrainingStates.register);
    let calls = 0;

    // Act: the first attempt registers, then fails as PutEvents would
    const result = await run(event, {
      [TrainingStates.register]: async (input) => {
        calls += 1;
        const registered = await register(input);
        if (calls === 1)
          throw taskFailure('EventsNotPublished', 'PutEvents failed for 1 entry: ThrottlingException');
        return registered;
      },
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    const stored = await runOf(result);
    expect(stored.status).toBe('Succeeded');
    expect(
      (await registry.listVersions('churn', {})).items.filter((v) =>
        v.lineage.dataset.key.endsWith('register-retry.csv'),
      ),
    ).toHaveLength(1);
  });

  it('ends a re-upload of bytes already trained for the model as a duplicate, without training', async () => {
    // Prepare
    objective = 0.8;
    const body = churnCsv(120, 20);
    const first = await run(await upload('churn', body, 'first.csv'));
    const again = await upload('churn', body, 'copy.csv');
    trainingCalls = [];

    // Act
    const result = await run(again);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(result.status).toBe('SUCCEEDED');
    expect(
      result.events.some(
        (e) => (e as { state?: { name: string } }).state?.name === TrainingStates.alreadyTrained,
      ),
    ).toBe(true);
    expect(trainingCalls).toHaveLength(0);
    const firstRun = await runOf(first);
    expect(await runOf(result)).toMatchObject({
      status: 'Succeeded',
      duplicateOf: firstRun.runId,
      version: firstRun.version,
    });
  });

  it('starts a new, forced run of the same dataset for a Run Retry Requested event', async () => {
    // Prepare: a run that failed in training
    objective = 0.8;
    const failedTraining: LocalTaskHandler = async () => {
      throw taskFailure(
        'States.TaskFailed',
        JSON.stringify({ TrainingJobStatus: 'Failed', FailureReason: 'InternalServerError' }),
      );
    };
    const original = await runOf(
      await run(await upload('churn', churnCsv(120, 21), 'to-retry.csv'), {
        [TrainingStates.train]: failedTraining,
      }),
    );
    const detail = { retryOf: original.runId, requestId: 'request-1', requestedBy: 'tester@host' };
    trainingCalls = [];

    // Act
    const result = await run({ source: EVENT_SOURCE, 'detail-type': RUN_RETRY_REQUESTED, detail });

    // Assess
    expect(original.status).toBe('Failed');
    expect(result.status).toBe('SUCCEEDED');
    expect(trainingCalls).toHaveLength(1);
    const retried = await runOf(result);
    expect(retried).toMatchObject({
      runId: retryRunId(original, 'request-1'),
      status: 'Succeeded',
      retryOf: original.runId,
      forced: true,
      dataset: original.dataset,
    });
  });

  it.each([TrainingStates.validate, TrainingStates.train, TrainingStates.evaluate, TrainingStates.register])(
    'records a failure in %s on the run, with the step, error and cause',
    async (state) => {
      // Prepare
      objective = 0.8;
      const event = await upload('churn', churnCsv(100, 10), `broken-${state}.csv`);
      const broken: LocalTaskHandler = async () => {
        throw taskFailure('Boom', `${state} exploded`);
      };

      // Act
      const result = await run(event, { [state]: broken });

      // Assess
      expect(result.status).toBe('FAILED');
      expect(await runOf(result)).toMatchObject({ status: 'Failed', step: state, error: 'Boom' });
    },
  );

  /** The run the execution recorded (its id is in the output of StartRun, kept on failure). */
  async function runOf(result: { events: readonly unknown[] }) {
    const entered = result.events.find(
      (e) =>
        (e as { type: string; state?: { name: string } }).type === 'StateExited' &&
        (e as { state: { name: string } }).state.name === TrainingStates.startRun,
    ) as { state: { output: { run: { runId: string } } } } | undefined;
    const runId = entered?.state.output.run.runId;
    if (!runId) throw new Error('the execution recorded no run');
    const stored = await registry.getRun(runId);
    if (!stored) throw new Error(`run ${runId} not found`);
    return stored;
  }

  /** CreateTrainingJob calls an execution made (the training task's entries). */
  function trainingCallsOf(result: { events: readonly unknown[] }): number {
    return result.events.filter(
      (e) =>
        (e as { type: string; state?: { name: string } }).type === 'StateEntered' &&
        (e as { state: { name: string } }).state.name === TrainingStates.train,
    ).length;
  }

  function functionFor(state: string): LocalTaskHandler {
    const handler = runtime.taskHandlers(stateMachineId)[state];
    if (!handler) throw new Error(`no handler for ${state}`);
    return handler;
  }
});
