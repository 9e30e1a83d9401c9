import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EVENT_SOURCE, RUN_RETRY_REQUESTED } from '../../lambdas/shared/events';
import type { RuntimeModelSettingsMap } from '../../lambdas/shared/model-settings';
import { datasetKeyWildcards, KeyPatterns, Prefixes } from '../../lambdas/shared/s3-layout';
import { trainingPipelineDefinition } from '../workflows/training-pipeline';
import { grantListUnder } from './list-bucket';
import type { ModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';
import type { BucketReference } from './references';
import {
  allowEventBridgeDeadLetters,
  deadLetterQueue,
  keepFailedInvocations,
  ruleArn,
  ruleDelivery,
  uniqueRuleName,
} from './rule-dead-letters';
import { TrainingRole } from './training-role';

/** Lambda environment variables are capped at 4 KB in total; leave room for the others. */
const MAX_MODEL_SETTINGS_BYTES = 3072;

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
  /** Where datasets are uploaded (s3-layout's DATASET_KEY_LAYOUT); its EventBridge notifications start runs. */
  readonly dataBucket: BucketReference;
  /** Where runs write their reports, splits, baselines and models (`runs/<runId>/`). */
  readonly artifactsBucket: BucketReference;
  /** Records runs, versions and audit events. */
  readonly registry: ModelRegistry;
  /**
   * Encrypts logs, the dead-letter queues, training volumes and model artifacts. Must be a key of this stack
   * (kms.Key): EventBridge is allowed to use it for the dead-letter queue through its key policy.
   */
  readonly encryptionKey: kms.IKey;
  /** Every model's resolved settings plus `defaults` (lib/config toRuntimeModelSettings). */
  readonly modelSettings: RuntimeModelSettingsMap;

  /**
   * Bus that receives `ModelRegistered` events and on which `Run Retry Requested` events start runs.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * What happens to log groups and the dead-letter queues when they leave the stack.
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
  /** Starts a run for each dataset upload. */
  public readonly rule: events.Rule;
  /** Starts a run again for `mlops runs retry` (a `Run Retry Requested` event on the stack's bus). */
  public readonly retryRule: events.Rule;
  /** Routes executions that ended FAILED, TIMED_OUT or ABORTED to ReconcileExecution. */
  public readonly executionEndedRule: events.Rule;
  /** Events the rules could not deliver after their retries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** ReconcileExecution invocations that failed after Lambda's asynchronous retries (destination records). */
  public readonly reconcileDeadLetterQueue: sqs.Queue;
  public readonly functions: {
    readonly startRun: PipelineFunction;
    readonly validateDataset: PipelineFunction;
    readonly evaluateModel: PipelineFunction;
    readonly registerModel: PipelineFunction;
    readonly recordFailure: PipelineFunction;
    readonly recordDuplicate: PipelineFunction;
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
      recordDuplicate: fn('record-duplicate', {}),
    };
    // Not part of the workflow: EventBridge invokes it when an execution ends without closing its run.
    this.functions = { ...workflowFunctions, reconcileExecution: fn('reconcile-execution', {}) };
    const lambdas = Object.fromEntries(
      Object.entries(workflowFunctions).map(([name, f]) => [name, f.function]),
    ) as Record<keyof typeof workflowFunctions, PipelineFunction['function']>;

    this.grantRegistryAccess(registry);
    this.grantValidatorStorage(
      this.functions.validateDataset.role,
      dataBucket,
      artifactsBucket,
      encryptionKey,
    );
    eventBus.grantPutEventsTo(lambdas.registerModel);

    this.trainingRole = new TrainingRole(this, 'TrainingRole', {
      artifactsBucket,
      encryptionKey,
      // SageMaker pulls its own algorithm images; the role needs ECR access only for custom images.
      images: Object.values(props.modelSettings)
        .filter(({ training }) => !training.builtInAlgorithm)
        .map(({ training }) => training.image),
    }).role;

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
          registryTable: registry.table,
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
    // RecordTrainingStep / RecordEvaluationStep update the run item directly (dynamodb:updateItem tasks).
    registry.grantItemActions(this.stateMachine, 'UpdateItem');

    const rules = {
      datasetUploaded: uniqueRuleName(this, 'DatasetUploaded'),
      retryRequested: uniqueRuleName(this, 'RetryRequested'),
      executionEnded: uniqueRuleName(this, 'ExecutionEnded'),
    };
    this.deadLetterQueue = deadLetterQueue(this, 'TriggerDeadLetters', {
      reason:
        "This queue is the dead-letter queue of the pipeline's rules; a DLQ of a DLQ would never be read.",
      removalPolicy,
      encryptionKey,
    });
    allowEventBridgeDeadLetters(this, encryptionKey, [
      ruleArn(this, rules.datasetUploaded),
      ruleArn(this, rules.executionEnded),
      ruleArn(this, rules.retryRequested, eventBus),
    ]);
    const ruleTarget = ruleDelivery(this.deadLetterQueue);
    this.rule = new events.Rule(this, 'DatasetUploaded', {
      ruleName: rules.datasetUploaded,
      description: `A CSV under ${Prefixes.datasets}<model>/ in the data bucket starts a training run`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataBucket.bucketName] },
          // Values in one array are OR-ed: the .csv extension in any letter case, sub-folders allowed (a
          // wildcard matches zero or more characters, '/' included; several per value are allowed:
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html,
          // "Wildcard matching"). A pattern EventBridge found too complex would fail PutRule at deploy.
          object: { key: datasetKeyWildcards().map((wildcard) => ({ wildcard })) },
        },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, ruleTarget)],
    });
    this.retryRule = new events.Rule(this, 'RetryRequested', {
      ruleName: rules.retryRequested,
      eventBus,
      description: '`mlops runs retry` starts a new run of an ended run',
      eventPattern: { source: [EVENT_SOURCE], detailType: [RUN_RETRY_REQUESTED] },
      targets: [new targets.SfnStateMachine(this.stateMachine, ruleTarget)],
    });
    // Step Functions sends status changes to the default bus only, whatever props.eventBus is.
    this.executionEndedRule = new events.Rule(this, 'ExecutionEnded', {
      ruleName: rules.executionEnded,
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

    // EventBridge invokes ReconcileExecution asynchronously: once Lambda's own retries are spent, the event
    // would be dropped and the run would stay Running. The on-failure destination keeps it; Lambda writes the
    // invocation record with the function's role.
    this.reconcileDeadLetterQueue = deadLetterQueue(this, 'ReconcileDeadLetters', {
      reason: 'On-failure destination of ReconcileExecution; a DLQ of a DLQ would never be read.',
      removalPolicy,
      encryptionKey,
    });
    keepFailedInvocations(this.functions.reconcileExecution.function, this.reconcileDeadLetterQueue);
  }

  /**
   * Each function gets the registry actions its code sends (lambdas/shared/registry/registry.ts and
   * requests.ts): reads are GetItem; createRun is a transaction of Puts (run, audit event); updateRun reads,
   * then an UpdateItem, or a transaction of Update (run) and Put (event) when the status changes;
   * registerVersion reads the model, then a transaction of Updates (latest version, trained dataset) and Puts
   * (version, event, run marker). Transactions are authorized per item action. No function queries the
   * table or an index.
   */
  private grantRegistryAccess(registry: ModelRegistry): void {
    const f = this.functions;
    registry.grantItemActions(f.startRun.function, 'GetItem', 'PutItem'); // createRun, getRun
    registry.grantItemActions(f.validateDataset.function, 'GetItem'); // findTrainedDataset
    registry.grantItemActions(f.evaluateModel.function, 'GetItem'); // getAlias, getVersion
    // getRun, registerVersion, updateRun
    registry.grantItemActions(f.registerModel.function, 'GetItem', 'PutItem', 'UpdateItem');
    for (const closesRuns of [f.recordFailure, f.recordDuplicate, f.reconcileExecution]) {
      registry.grantItemActions(closesRuns.function, 'GetItem', 'PutItem', 'UpdateItem'); // getRun, updateRun
    }
  }

  /** What createTrainingJob.sync needs (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html). */
  private grantSageMakerSync(stateMachine: sfn.StateMachine, invoked: readonly PipelineFunction[]): void {
    const { partition, region, account } = Stack.of(this);
    const trainingJobs = `arn:${partition}:sagemaker:${region}:${account}:training-job/*`;
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
        ],
        // Job names are derived from run ids at run time.
        resources: [trainingJobs],
      }),
    );
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:ListTags'],
        // '*': as Step Functions documents for createTrainingJob.sync (sagemaker-iam.html above).
        resources: ['*'],
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
    // The role may be passed to SageMaker only, as the documented policy has it.
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.trainingRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    acknowledgeWildcardResource(
      stateMachine.role,
      trainingJobs,
      'Training job names are derived from run ids at run time.',
    );
    acknowledgeWildcardResource(
      stateMachine.role,
      '*',
      'X-Ray tracing and CloudWatch Logs delivery (logs:*LogDelivery) have no resource-level permissions; sagemaker:ListTags on * is what Step Functions documents for createTrainingJob.sync.',
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
    data: BucketReference,
    artifacts: BucketReference,
    key: kms.IKey,
  ): void {
    const uploads = data.arnForObjects(KeyPatterns.datasets);
    const runs = artifacts.arnForObjects(KeyPatterns.runs);
    const contracts = artifacts.arnForObjects(KeyPatterns.contracts);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [uploads] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [runs, contracts],
      }),
    );
    // The optional schema.json and the stored contract lookups must see that there is none (404, not 403).
    const listUnder = (bucket: BucketReference, prefixes: string[]) => grantListUnder(role, bucket, prefixes);
    listUnder(data, [KeyPatterns.datasets]);
    listUnder(artifacts, [KeyPatterns.contracts, KeyPatterns.runs]);
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    const reasons: [string, string][] = [
      [uploads, `Any dataset under ${Prefixes.datasets} may start a run; read-only.`],
      [runs, `Each run writes under ${Prefixes.runs}<runId>/, known only at run time.`],
      [contracts, `The inferred contract of a model is stored under ${Prefixes.contracts}<model>/.`],
    ];
    for (const [resource, reason] of reasons) acknowledgeWildcardResource(role, resource, reason);
  }
}
