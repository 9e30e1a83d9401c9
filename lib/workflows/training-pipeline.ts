import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RunSteps } from '../../lambdas/shared/pipeline';
import { RunAttributes, runKeyTemplate } from '../../lambdas/shared/registry/keys';
import type { TableReference } from '../constructs/references';
import { MAX_SAGEMAKER_RETRIES, retryTransientSageMakerErrors } from './sagemaker-retry';

/** State names: the local runner and the tests address states by these. */
export const TrainingStates = {
  startRun: 'StartRun',
  alreadyStarted: 'AlreadyStarted',
  isDuplicate: 'IsDuplicateDelivery',
  validate: 'ValidateDataset',
  isTrainedDataset: 'IsTrainedDataset',
  recordDuplicate: 'RecordDuplicateRun',
  alreadyTrained: 'AlreadyTrained',
  recordTrainingStep: 'RecordTrainingStep',
  train: 'TrainModel',
  isExistingJob: 'IsExistingTrainingJob',
  firstTrainingRetry: 'FirstTrainingRetry',
  nextTrainingRetry: 'NextTrainingRetry',
  waitBeforeTrainingRetry: 'WaitBeforeTrainingRetry',
  describeExistingJob: 'DescribeExistingJob',
  existingJobStatus: 'ExistingJobStatus',
  waitForExistingJob: 'WaitForExistingJob',
  existingJobFailed: 'ExistingJobFailed',
  hasMetrics: 'HasFinalMetrics',
  noMetrics: 'NoMetricsReported',
  collectTraining: 'CollectTrainingResult',
  recordEvaluationStep: 'RecordEvaluationStep',
  evaluate: 'EvaluateModel',
  register: 'RegisterModel',
  succeeded: 'Registered',
  recordFailure: 'RecordFailure',
  failed: 'RunFailed',
  startFailed: 'StartFailed',
} as const;

export interface TrainingPipelineFunctions {
  readonly startRun: lambda.IFunction;
  readonly validateDataset: lambda.IFunction;
  readonly evaluateModel: lambda.IFunction;
  readonly registerModel: lambda.IFunction;
  readonly recordFailure: lambda.IFunction;
  readonly recordDuplicate: lambda.IFunction;
}

export interface TrainingPipelineDefinitionProps {
  readonly functions: TrainingPipelineFunctions;
  /** Role SageMaker assumes for the training job. */
  readonly trainingRole: iam.IRole;
  /** Encrypts the model artifacts SageMaker writes. */
  readonly encryptionKey: kms.IKey;
  /** The registry table: the workflow records the run's current step on its run item. */
  readonly registryTable: TableReference;
}

/**
 * The Lambda service's own errors, never the function's verdicts: worth retrying on any Lambda task
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * Unhandled function errors, timeouts and out-of-memory ends (same page): retried on the short functions, not
 * on the validator, which may have spent its 15 minutes and would only spend them again.
 */
const LAMBDA_UNKNOWN = 'Lambda.Unknown';

/**
 * SageMaker's answer to a CreateTrainingJob for a name that exists: `ResourceInUse`, "Training job names must
 * be unique within an AWS account and region, and a training job with this name already exists"
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html, Errors). Step
 * Functions names modeled exceptions `SageMaker.<Name>Exception`; anything else it reports as
 * SageMaker.AmazonSageMakerException, so the cause is matched too.
 */
const EXISTING_JOB_ERRORS = ['SageMaker.ResourceInUseException', 'SageMaker.AmazonSageMakerException'];
const EXISTING_JOB_CAUSE = '*training job with this name already exists*';

/** CreateTrainingJob calls after the first one for transient causes; then the run fails with the last cause. */
export const MAX_TRAINING_RETRIES = MAX_SAGEMAKER_RETRIES;

/**
 * The training pipeline: StartRun -> (duplicate delivery? stop) -> ValidateDataset -> (bytes already
 * trained? record and stop) -> TrainModel (.sync) -> EvaluateModel -> RegisterModel. Tasks retry what is
 * transient; anything else is caught and recorded on the run by RecordFailure. JSONPath only: the local
 * executor does not run JSONata.
 */
export function trainingPipelineDefinition(
  scope: Construct,
  props: TrainingPipelineDefinitionProps,
): sfn.IChainable {
  const { functions } = props;
  const invoke = (
    id: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    resultPath: string,
    options: { retryUnknown?: boolean } = {},
  ) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    return task.addRetry({
      errors: [...LAMBDA_SERVICE_ERRORS, ...(options.retryUnknown === false ? [] : [LAMBDA_UNKNOWN])],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
  };

  const startFailed = new sfn.Fail(scope, TrainingStates.startFailed, {
    comment:
      'No run could be recorded: the event named no dataset this stack trains on, or no run that can be retried.',
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  const failed = new sfn.Fail(scope, TrainingStates.failed, {
    errorPath: '$.failure.error',
    causePath: '$.failure.reason',
  });
  const recordFailure = invoke(
    TrainingStates.recordFailure,
    functions.recordFailure,
    { 'run.$': '$.run', 'error.$': '$.error', 'step.$': '$.failedStep' },
    '$.failure',
  ).next(failed);

  /** Notes which step failed (its error is at `$.error`) and records the run as Failed. */
  const failureOf = (step: string): sfn.Pass => {
    const noteStep = new sfn.Pass(scope, `${step}Failed`, {
      result: sfn.Result.fromString(step),
      resultPath: '$.failedStep',
    });
    noteStep.next(recordFailure);
    return noteStep;
  };
  /** Catches everything a task did not retry, and records the run as Failed in that step. */
  const catchInto = <T extends sfn.TaskStateBase | sfn.CustomState>(state: T, step = state.id): T => {
    state.addCatch(failureOf(step), { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  };

  // The whole event: an S3 "Object Created" detail or a "Run Retry Requested" one; StartRun tells them apart.
  // Per-field paths would fail the state (uncatchable States.Runtime) for an event without those fields.
  const startRun = invoke(
    TrainingStates.startRun,
    functions.startRun,
    { 'detail.$': '$.detail', 'detailType.$': "$['detail-type']", 'executionArn.$': '$$.Execution.Id' },
    '$.run',
  ).addCatch(startFailed, { errors: ['States.ALL'], resultPath: '$.error' });

  const validate = catchInto(
    invoke(TrainingStates.validate, functions.validateDataset, { 'run.$': '$.run' }, '$.plan', {
      retryUnknown: false,
    }),
  );
  const recordDuplicate = catchInto(
    invoke(
      TrainingStates.recordDuplicate,
      functions.recordDuplicate,
      { 'run.$': '$.run', 'plan.$': '$.plan' },
      '$.duplicate',
    ),
  );
  const alreadyTrained = new sfn.Succeed(scope, TrainingStates.alreadyTrained, {
    comment: 'The same bytes were already trained for this model: the run is recorded as their duplicate.',
  });

  const train = trainTask(scope, props);
  // A job that ended in the describe loop is in the .sync task's shape at $.trainingJob.
  const metricsReported = new sfn.Choice(scope, TrainingStates.hasMetrics);
  const trainFailed = failureOf(TrainingStates.train);
  // SageMaker's API errors: an existing job (a lost response) is watched; a transient cause is tried again, a
  // bounded number of times, counted at $.trainingRetries; anything else fails. The error may stay at $.error
  // after a retry that got through: CollectTrainingResult keeps only run, plan and training.
  retryTransientSageMakerErrors(scope, train, {
    target: trainFailed,
    resultPath: '$.error',
    caughtPath: '$.error',
    retriesPath: '$.trainingRetries',
    errors: EXISTING_JOB_ERRORS,
    before: [
      [
        sfn.Condition.stringMatches('$.error.Cause', EXISTING_JOB_CAUSE),
        watchExistingJob(scope, metricsReported, trainFailed),
      ],
    ],
    names: {
      choice: TrainingStates.isExistingJob,
      first: TrainingStates.firstTrainingRetry,
      next: TrainingStates.nextTrainingRetry,
      wait: TrainingStates.waitBeforeTrainingRetry,
    },
  });

  // Keeps ids and pointers only (the description is dropped); a job without metrics reaches EvaluateModel,
  // which fails it with MetricMissing, recorded like any other failure.
  const collectTraining = new sfn.Pass(scope, TrainingStates.collectTraining, {
    parameters: {
      'run.$': '$.run',
      'plan.$': '$.plan',
      training: {
        'jobName.$': '$.trainingJob.TrainingJobName',
        'status.$': '$.trainingJob.TrainingJobStatus',
        'artifactUri.$': '$.trainingJob.ModelArtifacts.S3ModelArtifacts',
        'metrics.$': '$.trainingJob.FinalMetricDataList',
      },
    },
  });
  metricsReported
    .when(sfn.Condition.isPresent('$.trainingJob.FinalMetricDataList'), collectTraining)
    .otherwise(
      new sfn.Pass(scope, TrainingStates.noMetrics, {
        result: sfn.Result.fromArray([]),
        resultPath: '$.trainingJob.FinalMetricDataList',
      }).next(collectTraining),
    );
  const evaluate = catchInto(
    invoke(
      TrainingStates.evaluate,
      functions.evaluateModel,
      { 'run.$': '$.run', 'plan.$': '$.plan', 'training.$': '$.training' },
      '$.evaluation',
    ),
  );
  const register = catchInto(
    invoke(
      TrainingStates.register,
      functions.registerModel,
      { 'run.$': '$.run', 'plan.$': '$.plan', 'training.$': '$.training', 'evaluation.$': '$.evaluation' },
      '$.registered',
    ),
  );
  // Registration is idempotent per run (a per-run marker in the version's transaction): its own failures
  // (PutEvents refused, the run update throwing) are retried rather than leaving a registered version behind
  // a Failed run with no ModelRegistered event.
  register.addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(5),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });

  const alreadyStarted = new sfn.Succeed(scope, TrainingStates.alreadyStarted, {
    comment: 'S3 and EventBridge deliver at least once: this object version already has a run.',
  });
  const recordTrainingStep = recordStep(scope, TrainingStates.recordTrainingStep, RunSteps.trainModel, props);
  const recordEvaluationStep = recordStep(
    scope,
    TrainingStates.recordEvaluationStep,
    RunSteps.evaluateModel,
    props,
  );
  continueAfter(recordTrainingStep, train);
  continueAfter(recordEvaluationStep, evaluate);
  collectTraining
    .next(recordEvaluationStep)
    .next(evaluate)
    .next(register)
    .next(new sfn.Succeed(scope, TrainingStates.succeeded));
  return startRun.next(
    new sfn.Choice(scope, TrainingStates.isDuplicate)
      .when(sfn.Condition.booleanEquals('$.run.duplicate', true), alreadyStarted)
      .otherwise(
        validate.next(
          new sfn.Choice(scope, TrainingStates.isTrainedDataset)
            .when(sfn.Condition.isPresent('$.plan.duplicateOf'), recordDuplicate.next(alreadyTrained))
            .otherwise(recordTrainingStep.next(train).next(metricsReported)),
        ),
      ),
  );
}

/**
 * Records on the run item which step it is in (the CLI shows it while the run is Running), straight from
 * the workflow: one DynamoDB UpdateItem, only while the run exists and is Running. The step is cosmetic: a
 * refused condition (DynamoDB.ConditionalCheckFailedException) or any other error moves on, never fails
 * the run.
 */
function recordStep(
  scope: Construct,
  id: string,
  step: string,
  props: TrainingPipelineDefinitionProps,
): sfn.CustomState {
  const { partitionKey, sortKey } = runKeyTemplate;
  const parameters = {
    TableName: props.registryTable.tableName,
    Key: {
      [partitionKey.name]: { 'S.$': `States.Format('${partitionKey.format}', $.run.runId)` },
      [sortKey.name]: { S: sortKey.value },
    },
    UpdateExpression: 'SET #step = :step',
    ConditionExpression: `attribute_exists(${partitionKey.name}) AND #status = :running`,
    ExpressionAttributeNames: { '#step': RunAttributes.step, '#status': RunAttributes.status },
    ExpressionAttributeValues: { ':step': { S: step }, ':running': { S: 'Running' } },
  } satisfies UpdateItemParameters;
  const state = new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::dynamodb:updateItem`,
      Parameters: parameters,
      ResultPath: null,
    },
  });
  state.addRetry({
    errors: [
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.RequestLimitExceeded',
      'DynamoDB.ThrottlingException',
      'DynamoDB.InternalServerErrorException',
      'DynamoDB.AmazonDynamoDBException',
    ],
    interval: Duration.seconds(1),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}

/**
 * UpdateItem's request as a Task's Parameters: the API's own fields, with JSONPath (`S.$`) allowed in key
 * values. Checked with `satisfies`, so a misspelt field fails the build rather than the execution.
 */
type UpdateItemParameters = Omit<UpdateItemCommandInput, 'Key' | 'TableName'> & {
  readonly TableName: string;
  readonly Key: Record<string, { readonly S: string } | { readonly 'S.$': string }>;
};

/** Adds the catch that lets a step recording fall through to the next state. */
function continueAfter(state: sfn.CustomState, next: sfn.IChainable): void {
  state.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
}

/**
 * The job a lost CreateTrainingJob response started: describe it until it ends (the .sync integration's
 * job, done by hand), then go on as the .sync task would have: Completed -> the metrics path with the
 * description at `$.trainingJob`; Failed or Stopped -> recorded as States.TaskFailed with the description as
 * cause, the .sync task's own failure.
 */
function watchExistingJob(
  scope: Construct,
  completed: sfn.IChainable,
  failed: sfn.IChainable,
): sfn.IChainable {
  const describe = new sfn.CustomState(scope, TrainingStates.describeExistingJob, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::aws-sdk:sagemaker:describeTrainingJob`,
      Parameters: { 'TrainingJobName.$': '$.plan.training.jobName' },
      ResultPath: '$.trainingJob',
    },
  });
  // AWS SDK integrations name errors `SageMaker.<exception>`; throttling and 5xx are worth another call.
  describe.addRetry({
    errors: ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException'],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  describe.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  const wait = new sfn.Wait(scope, TrainingStates.waitForExistingJob, {
    time: sfn.WaitTime.duration(Duration.minutes(1)),
  });
  const jobFailed = new sfn.Pass(scope, TrainingStates.existingJobFailed, {
    parameters: { Error: 'States.TaskFailed', 'Cause.$': 'States.JsonToString($.trainingJob)' },
    resultPath: '$.error',
  }).next(failed);
  return describe.next(
    new sfn.Choice(scope, TrainingStates.existingJobStatus)
      .when(sfn.Condition.stringEquals('$.trainingJob.TrainingJobStatus', 'Completed'), completed)
      .when(
        sfn.Condition.or(
          sfn.Condition.stringEquals('$.trainingJob.TrainingJobStatus', 'Failed'),
          sfn.Condition.stringEquals('$.trainingJob.TrainingJobStatus', 'Stopped'),
        ),
        jobFailed,
      )
      .otherwise(wait.next(describe)),
  );
}

/**
 * createTrainingJob.sync written as raw ASL: the plan (from ValidateDataset) supplies the per-model parts as
 * whole objects, which the typed CDK task cannot take from a path; the security settings stay fixed here.
 */
function trainTask(scope: Construct, props: TrainingPipelineDefinitionProps): sfn.CustomState {
  const channel = (name: string, uriPath: string) => ({
    ChannelName: name,
    ContentType: 'text/csv',
    CompressionType: 'None',
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': uriPath, S3DataDistributionType: 'FullyReplicated' },
    },
  });
  const state = new sfn.CustomState(scope, TrainingStates.train, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::sagemaker:createTrainingJob.sync`,
      Parameters: {
        'TrainingJobName.$': '$.plan.training.jobName',
        'AlgorithmSpecification.$': '$.plan.training.algorithmSpecification',
        'HyperParameters.$': '$.plan.training.hyperParameters',
        'ResourceConfig.$': '$.plan.training.resourceConfig',
        'StoppingCondition.$': '$.plan.training.stoppingCondition',
        'EnableManagedSpotTraining.$': '$.plan.training.enableManagedSpotTraining',
        CheckpointConfig: { 'S3Uri.$': '$.plan.training.checkpointUri' },
        InputDataConfig: [
          channel('train', '$.plan.training.trainUri'),
          channel('validation', '$.plan.training.validationUri'),
        ],
        OutputDataConfig: {
          'S3OutputPath.$': '$.plan.training.outputUri',
          KmsKeyId: props.encryptionKey.keyArn,
        },
        RoleArn: props.trainingRole.roleArn,
        // The container gets no network; SageMaker moves data in and out with the role.
        EnableNetworkIsolation: true,
        // Harmless for one instance, required protection for more: set it always.
        EnableInterContainerTrafficEncryption: true,
        Tags: [
          { Key: 'serverless-mlops:model', 'Value.$': '$.run.model' },
          { Key: 'serverless-mlops:run', 'Value.$': '$.run.runId' },
        ],
      },
      // The whole description, briefly: a ResultSelector naming FinalMetricDataList would fail with an
      // uncatchable States.Runtime for a job that reported no metric (DescribeTrainingJob then omits it).
      ResultPath: '$.trainingJob',
    },
  });
  // A burst of uploads over the account's training-instance quota: wait for running jobs to free it, with a
  // long backoff (about 45 minutes in all) before the run fails.
  state.addRetry({
    errors: ['SageMaker.ResourceLimitExceededException'],
    interval: Duration.minutes(1),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.minutes(15),
    jitterStrategy: sfn.JitterType.FULL,
  });
  // Throttling and other API errors surface as SageMaker.AmazonSageMakerException, validation errors too: no
  // Retry on it (a Retrier cannot look at the cause); retryTransientSageMakerErrors, in
  // trainingPipelineDefinition, retries the transient causes only. A failed job is States.TaskFailed, a
  // verdict, not retried.
  return state;
}
