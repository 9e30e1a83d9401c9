import { Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** State names: the local runner and the tests address states by these. */
export const TrainingStates = {
  startRun: 'StartRun',
  alreadyStarted: 'AlreadyStarted',
  isDuplicate: 'IsDuplicateDelivery',
  validate: 'ValidateDataset',
  train: 'TrainModel',
  hasMetrics: 'HasFinalMetrics',
  noMetrics: 'NoMetricsReported',
  collectTraining: 'CollectTrainingResult',
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
}

export interface TrainingPipelineDefinitionProps {
  readonly functions: TrainingPipelineFunctions;
  /** Role SageMaker assumes for the training job. */
  readonly trainingRole: iam.IRole;
  /** Encrypts the model artifacts SageMaker writes. */
  readonly encryptionKey: kms.IKey;
}

/** Errors worth retrying on any Lambda task: the Lambda service's own, never the function's verdicts. */
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];

/**
 * The training pipeline: StartRun -> (duplicate? stop) -> ValidateDataset -> TrainModel (.sync) ->
 * EvaluateModel -> RegisterModel. Every task retries transient errors with backoff; anything else is caught
 * and recorded on the run by RecordFailure. JSONPath only: the local executor does not run JSONata.
 */
export function trainingPipelineDefinition(
  scope: Construct,
  props: TrainingPipelineDefinitionProps,
): sfn.IChainable {
  const { functions } = props;
  const invoke = (id: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    return task.addRetry({
      errors: LAMBDA_TRANSIENT,
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
  };

  const startFailed = new sfn.Fail(scope, TrainingStates.startFailed, {
    comment: 'No run could be recorded: the event did not name a dataset this stack trains on.',
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

  /** Catches everything a task did not retry, notes which step failed, and records the run as Failed. */
  const catchInto = <T extends sfn.TaskStateBase | sfn.CustomState>(state: T): T => {
    const noteStep = new sfn.Pass(scope, `${state.id}Failed`, {
      result: sfn.Result.fromString(state.id),
      resultPath: '$.failedStep',
    });
    noteStep.next(recordFailure);
    state.addCatch(noteStep, { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  };

  const startRun = invoke(
    TrainingStates.startRun,
    functions.startRun,
    {
      'bucket.$': '$.detail.bucket.name',
      'key.$': '$.detail.object.key',
      'versionId.$': "$.detail.object['version-id']",
      'sizeBytes.$': '$.detail.object.size',
      'executionArn.$': '$$.Execution.Id',
    },
    '$.run',
  ).addCatch(startFailed, { errors: ['States.ALL'], resultPath: '$.error' });

  const validate = catchInto(
    invoke(TrainingStates.validate, functions.validateDataset, { 'run.$': '$.run' }, '$.plan'),
  );
  const train = catchInto(trainTask(scope, props));
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
  const metricsReported = new sfn.Choice(scope, TrainingStates.hasMetrics)
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

  const alreadyStarted = new sfn.Succeed(scope, TrainingStates.alreadyStarted, {
    comment: 'S3 and EventBridge deliver at least once: this object version already has a run.',
  });
  collectTraining.next(evaluate).next(register).next(new sfn.Succeed(scope, TrainingStates.succeeded));
  return startRun.next(
    new sfn.Choice(scope, TrainingStates.isDuplicate)
      .when(sfn.Condition.booleanEquals('$.run.duplicate', true), alreadyStarted)
      .otherwise(validate.next(train).next(metricsReported)),
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
  // Throttling and other API errors surface as SageMaker.AmazonSageMakerException; a failed job as
  // States.TaskFailed, which is a verdict, not a hiccup, and is not retried.
  state.addRetry({
    errors: ['SageMaker.AmazonSageMakerException'],
    interval: Duration.seconds(5),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}
