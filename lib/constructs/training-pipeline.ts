import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RuntimeModelSettingsMap } from '../../lambdas/shared/model-settings';
import { trainingPipelineDefinition } from '../workflows/training-pipeline';
import type { ModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';

/** Lambda environment variables are capped at 4 KB in total; leave room for the others. */
const MAX_MODEL_SETTINGS_BYTES = 3072;

/** Artifacts-bucket prefixes (see docs/data-contract.md): per run, and the stored contract per model. */
export const ArtifactPrefixes = {
  runs: 'runs/',
  contracts: 'contracts/',
} as const;

/** Time the steps around training may take: validation (up to 15 min), evaluation, registration, retries. */
export const NON_TRAINING_ALLOWANCE = Duration.hours(2);

/**
 * How long an execution may run: the longest training window any model (or `defaults`) can have, maxWait
 * with managed spot (queueing for capacity counts) else maxRuntime, plus {@link NON_TRAINING_ALLOWANCE}.
 */
export function executionTimeout(modelSettings: RuntimeModelSettingsMap): Duration {
  const windows = Object.values(modelSettings).map(({ training }) =>
    training.managedSpot
      ? (training.maxWaitSeconds ?? training.maxRuntimeSeconds)
      : training.maxRuntimeSeconds,
  );
  return Duration.seconds(Math.max(0, ...windows) + NON_TRAINING_ALLOWANCE.toSeconds());
}

export interface TrainingPipelineProps {
  /** Where datasets are uploaded (`datasets/<model>/<file>.csv`); its EventBridge notifications start runs. */
  readonly dataBucket: s3.IBucket;
  /** Where runs write their reports, splits, baselines and models (`runs/<runId>/`). */
  readonly artifactsBucket: s3.IBucket;
  /** Records runs, versions and audit events. */
  readonly registry: ModelRegistry;
  /** Encrypts logs, the dead-letter queue, training volumes and model artifacts. */
  readonly encryptionKey: kms.IKey;
  /** Every model's resolved settings plus `defaults` (lib/config toRuntimeModelSettings). */
  readonly modelSettings: RuntimeModelSettingsMap;

  /**
   * Bus that receives `ModelRegistered` events.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * What happens to log groups and the dead-letter queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * S3 upload -> EventBridge rule -> Standard state machine: validate, train on SageMaker, evaluate against the
 * champion, register. Exposes its functions, roles and state machine; the logic lives in lambdas/.
 */
export class TrainingPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly trainingRole: iam.Role;
  public readonly rule: events.Rule;
  /** Routes executions that ended FAILED, TIMED_OUT or ABORTED to ReconcileExecution. */
  public readonly executionEndedRule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly functions: {
    readonly startRun: PipelineFunction;
    readonly validateDataset: PipelineFunction;
    readonly evaluateModel: PipelineFunction;
    readonly registerModel: PipelineFunction;
    readonly recordFailure: PipelineFunction;
    readonly reconcileExecution: PipelineFunction;
  };

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const { dataBucket, artifactsBucket, registry, encryptionKey } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const modelSettings = JSON.stringify(props.modelSettings);
    if (Buffer.byteLength(modelSettings) > MAX_MODEL_SETTINGS_BYTES) {
      throw new Error(
        `The models configuration is ${Buffer.byteLength(modelSettings)} bytes as JSON; the pipeline passes it to its Lambdas in an environment variable limited to ${MAX_MODEL_SETTINGS_BYTES} bytes. Move shared settings into models.defaults.`,
      );
    }

    // Functions get their own scope: state names (construct ids in the workflow) would collide with theirs.
    const functionsScope = new Construct(this, 'Functions');
    const fn = (
      entry: string,
      environment: Record<string, string>,
      extra: { memorySize?: number; timeout?: Duration } = {},
    ) =>
      new PipelineFunction(
        functionsScope,
        entry.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
        {
          entry,
          encryptionKey,
          removalPolicy,
          environment: { REGISTRY_TABLE_NAME: registry.table.tableName, ...environment },
          ...extra,
        },
      );
    const workflowFunctions = {
      startRun: fn('start-run', {}),
      validateDataset: fn(
        'validate-dataset',
        {
          ARTIFACTS_BUCKET: artifactsBucket.bucketName,
          KMS_KEY_ARN: encryptionKey.keyArn,
          MODEL_SETTINGS: modelSettings,
        },
        // Streams the whole dataset twice; CPU scales with memory.
        { memorySize: 1769, timeout: Duration.minutes(15) },
      ),
      evaluateModel: fn('evaluate-model', {}),
      registerModel: fn('register-model', { EVENT_BUS_NAME: eventBus.eventBusName }),
      recordFailure: fn('record-failure', {}),
    };
    // Not part of the workflow: EventBridge invokes it when an execution ends without closing its run.
    this.functions = { ...workflowFunctions, reconcileExecution: fn('reconcile-execution', {}) };
    const lambdas = Object.fromEntries(
      Object.entries(workflowFunctions).map(([name, f]) => [name, f.function]),
    ) as Record<keyof typeof workflowFunctions, PipelineFunction['function']>;

    registry.grantReadWrite(lambdas.startRun);
    registry.grantRead(lambdas.evaluateModel);
    registry.grantReadWrite(lambdas.registerModel);
    registry.grantReadWrite(lambdas.recordFailure);
    registry.grantReadWrite(this.functions.reconcileExecution.function);
    // The validator gets no registry access: it only reads and writes S3.
    this.grantValidatorStorage(
      this.functions.validateDataset.role,
      dataBucket,
      artifactsBucket,
      encryptionKey,
    );
    eventBus.grantPutEventsTo(lambdas.registerModel);

    this.trainingRole = this.createTrainingRole(artifactsBucket, encryptionKey);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        trainingPipelineDefinition(this, {
          functions: lambdas,
          trainingRole: this.trainingRole,
          encryptionKey,
        }),
      ),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'serverless-mlops training pipeline: validate, train, evaluate, register',
      // Not the Standard default of a year: an execution stuck past any training window its config allows
      // would keep its run Running for that long. Timing out ends it, and ReconcileExecution closes the run.
      timeout: executionTimeout(props.modelSettings),
    });
    this.grantSageMakerSync(this.stateMachine, Object.values(workflowFunctions));

    this.deadLetterQueue = new sqs.Queue(this, 'TriggerDeadLetters', {
      encryptionMasterKey: encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue of the pipeline's rules; a DLQ of a DLQ would never be read.",
    });
    const ruleTarget = {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
    };
    this.rule = new events.Rule(this, 'DatasetUploaded', {
      description: 'A CSV under datasets/<model>/ in the data bucket starts a training run',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataBucket.bucketName] },
          object: { key: [{ wildcard: 'datasets/*.csv' }] },
        },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, ruleTarget)],
    });
    // Step Functions sends status changes to the default bus only, whatever props.eventBus is.
    this.executionEndedRule = new events.Rule(this, 'ExecutionEnded', {
      description: 'A training execution that ended FAILED, TIMED_OUT or ABORTED has its run closed',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [new targets.LambdaFunction(this.functions.reconcileExecution.function, ruleTarget)],
    });
  }

  /**
   * The role SageMaker assumes for training: read the run's splits, write its model and checkpoints, use the
   * key, write its logs and metrics. Nothing else, and no network from the container (EnableNetworkIsolation).
   */
  private createTrainingRole(artifacts: s3.IBucket, key: kms.IKey): iam.Role {
    const { partition, region, account } = Stack.of(this);
    const role = new iam.Role(this, 'TrainingRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'SageMaker training jobs of the serverless-mlops pipeline',
    });
    const runObjects = (sub: string) => artifacts.arnForObjects(`${ArtifactPrefixes.runs}*/${sub}/*`);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [runObjects('splits')] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [runObjects('output')] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [runObjects('checkpoints')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [artifacts.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ArtifactPrefixes.runs}*`] } },
      }),
    );
    // CreateGrant: SageMaker encrypts the EBS training volume with the key (VolumeKmsKeyId) through a grant.
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [`arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/TrainingJobs:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // PutMetricData has no resource-level permissions; the namespace condition is the scope.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      '*',
      'cloudwatch:PutMetricData has no resource-level permissions; the namespace condition limits it to SageMaker training.',
    );
    for (const sub of ['splits', 'output', 'checkpoints']) {
      acknowledgeWildcardResource(
        role,
        runObjects(sub),
        `Run ids are only known at run time; access is limited to the ${sub}/ folder of each run.`,
      );
    }
    acknowledgeWildcardResource(
      role,
      `arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/TrainingJobs:*`,
      'SageMaker writes one log stream per training job into this log group.',
    );
    return role;
  }

  /** What createTrainingJob.sync needs: start, watch and stop jobs, pass the role, and its EventBridge rule. */
  private grantSageMakerSync(stateMachine: sfn.StateMachine, invoked: readonly PipelineFunction[]): void {
    const { partition, region, account } = Stack.of(this);
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
        ],
        // Job names are derived from run ids at run time.
        resources: [`arn:${partition}:sagemaker:${region}:${account}:training-job/*`],
      }),
    );
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          `arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`,
        ],
      }),
    );
    this.trainingRole.grantPassRole(stateMachine.role);
    acknowledgeWildcardResource(
      stateMachine.role,
      `arn:${partition}:sagemaker:${region}:${account}:training-job/*`,
      'Training job names are derived from run ids at run time.',
    );
    acknowledgeWildcardResource(
      stateMachine.role,
      '*',
      'X-Ray tracing and CloudWatch Logs delivery (logs:*LogDelivery) have no resource-level permissions.',
    );
    for (const pipelineFunction of invoked) {
      acknowledgeWildcardResource(
        stateMachine.role,
        `${pipelineFunction.function.functionArn}:*`,
        'CDK grants invoke on the function and its versions/aliases; the workflow calls only the function.',
      );
    }
  }

  /** ValidateDataset reads uploads, writes the run's artifacts and the model's stored contract. */
  private grantValidatorStorage(
    role: iam.IRole,
    data: s3.IBucket,
    artifacts: s3.IBucket,
    key: kms.IKey,
  ): void {
    const uploads = data.arnForObjects('datasets/*');
    const runs = artifacts.arnForObjects(`${ArtifactPrefixes.runs}*`);
    const contracts = artifacts.arnForObjects(`${ArtifactPrefixes.contracts}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [uploads] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [runs, contracts],
      }),
    );
    // Without ListBucket S3 answers 403, not 404, for a missing object: the optional schema.json and the
    // stored contract lookups must be able to see that there is none.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [data.bucketArn, artifacts.bucketArn],
      }),
    );
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    const reasons: [string, string][] = [
      [uploads, 'Any dataset under datasets/ may start a run; read-only.'],
      [runs, 'Each run writes under runs/<runId>/, known only at run time.'],
      [contracts, 'The inferred contract of a model is stored under contracts/<model>/.'],
    ];
    for (const [resource, reason] of reasons) acknowledgeWildcardResource(role, resource, reason);
  }
}
