import type {
  DeregisterScalableTargetRequest,
  PutScalingPolicyRequest,
  RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type { PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateModelInput,
  DeleteEndpointInput,
  DescribeEndpointInput,
  ProductionVariant,
  UpdateEndpointInput,
} from '@aws-sdk/client-sagemaker';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { FIXED_ALARM_FIELDS, VARYING_ALARM_FIELDS } from '../../lambdas/shared/endpoints/alarms';
import { INVOCATIONS_TARGET_TRACKING, VARIANT_SCALING } from '../../lambdas/shared/endpoints/autoscaling';
import { ALARM_KINDS, type AlarmKind, VARIANT_NAME } from '../../lambdas/shared/endpoints/naming';
import { DEPLOYMENT_FAILED, EVENT_SOURCE, MODEL_DEPLOYED } from '../../lambdas/shared/events';
import { retryTransientSageMakerErrors } from './sagemaker-retry';

/** State names: the local runner, the tests and the bench address states by these. */
export const DeploymentStates = {
  prepare: 'PrepareDeployment',
  begin: 'BeginDeployment',
  createModel: 'CreateModel',
  isServerless: 'IsServerlessEndpoint',
  createEndpointConfig: 'CreateEndpointConfig',
  createServerlessEndpointConfig: 'CreateServerlessEndpointConfig',
  putAlarms: ['PutInvocation5xxErrorsAlarm', 'PutModelLatencyP99Alarm', 'PutInvocationErrorRateAlarm'],
  hasEndpoint: 'HasEndpoint',
  createEndpoint: 'CreateEndpoint',
  updateEndpoint: 'UpdateEndpoint',
  changesInstanceType: 'ChangesAutoscaledInstanceType',
  deregisterScalableTarget: 'DeregisterScalableTarget',
  waitForEndpoint: 'WaitForEndpoint',
  describeAfterWait: 'DescribeEndpointAfterWait',
  endpointOutcome: 'IsNewConfigInService',
  smokeTest: 'SmokeTest',
  smokePassed: 'SmokeTestPassed',
  promote: 'PromoteDeployment',
  publishDeployed: 'PublishModelDeployed',
  hasAutoscaling: 'HasAutoscaling',
  registerScalableTarget: 'RegisterScalableTarget',
  putScalingPolicy: 'PutScalingPolicy',
  finishPromoted: 'FinishPromotedDeployment',
  finishAfterAutoscalingFailure: 'FinishPromotedDeploymentWithoutAutoscaling',
  deployed: 'Deployed',
  hasPrevious: 'HasPreviousConfig',
  restorePrevious: 'RestorePreviousConfig',
  waitForRestore: 'WaitForRestore',
  deleteUnverified: 'DeleteUnverifiedEndpoint',
  recordFailure: 'RecordDeploymentFailure',
  publishFailed: 'PublishDeploymentFailed',
  finishFailed: 'FinishFailedDeployment',
  failed: 'DeploymentNotPromoted',
} as const;

export interface DeploymentFunctions {
  readonly prepare: lambda.IFunction;
  readonly begin: lambda.IFunction;
  readonly waitForEndpoint: lambda.IFunction;
  readonly smokeTest: lambda.IFunction;
  readonly promote: lambda.IFunction;
  readonly recordFailure: lambda.IFunction;
  readonly finish: lambda.IFunction;
}

export interface DeploymentDefinitionProps {
  readonly functions: DeploymentFunctions;
  /** Where ModelDeployed and DeploymentFailed are published. */
  readonly eventBus: events.IEventBus;
  /** How long a deployment waits on its endpoint before one DescribeEndpoint decides (every model's longest). */
  readonly endpointWaitSeconds: number;
  /**
   * The SNS topic the endpoints' alarms notify on ALARM and on OK (AlarmActions/OKActions, the same for
   * every endpoint, so constants of the definition rather than fields of the plan).
   * @default none: the endpoint alarms only drive rollback
   */
  readonly alarmTopicArn?: string | undefined;
}

/**
 * A request's fields as a Task's Parameters: each given as it is (`Field`, nested objects and arrays typed the
 * same way) or taken from the state (`Field.$`). `satisfies` against it makes a misspelt or unknown field, or a
 * constant of the wrong type, fail the build.
 */
export type TaskParameters<T> = { [K in keyof T & string]?: TaskValue<T[K]> } & {
  [K in keyof T & string as `${K}.$`]?: string;
};
type TaskValue<V> = V extends readonly (infer E)[]
  ? TaskValue<E>[]
  : V extends string | number | boolean | undefined
    ? V
    : TaskParameters<V>;

/** `{ 'F.$': '<path>.F' }` for each field: fields of a request the plan built, taken as they are. */
export function fieldsFrom<T>(path: string, fields: readonly (keyof T & string)[]): TaskParameters<T> {
  return Object.fromEntries(fields.map((field) => [`${field}.$`, `${path}.${field}`])) as TaskParameters<T>;
}

/**
 * The Lambda service's own errors and unhandled function errors: worth retrying on any of these short,
 * idempotent functions (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];

/**
 * AWS SDK integrations name errors `<ServiceName>.<ErrorName>` in PascalCase, always with the `Exception` suffix
 * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). These are the common
 * throttling and server errors of the APIs (CommonErrors in each API reference: ThrottlingException,
 * InternalFailure, ServiceUnavailable; CloudWatch's PutMetricAlarm also InternalServiceFault). Named so, a
 * Retrier can tell them from a validation error; the optimized SageMaker tasks cannot (sagemaker-retry.ts).
 */
const commonTransient = (service: string) =>
  ['ThrottlingException', 'InternalFailureException', 'ServiceUnavailableException'].map(
    (error) => `${service}.${error}`,
  );
export const SDK_TRANSIENT_ERRORS = {
  sagemaker: commonTransient('SageMaker'),
  cloudwatch: [...commonTransient('CloudWatch'), 'CloudWatch.InternalServiceFaultException'],
  // Application Auto Scaling's own: ConcurrentUpdateException (another change to the target in progress) and
  // InternalServiceException (API reference, RegisterScalableTarget/PutScalingPolicy Errors).
  autoscaling: [
    ...commonTransient('ApplicationAutoScaling'),
    'ApplicationAutoScaling.ConcurrentUpdateException',
    'ApplicationAutoScaling.InternalServiceException',
  ],
};

/**
 * A non-zero FailedEntryCount fails the optimized PutEvents task with `EventBridge.FailedEntry`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html); entries fail for throttling
 * and internal errors, worth another try.
 */
const EVENTBRIDGE_TRANSIENT_ERRORS = ['EventBridge.FailedEntry', 'EventBridge.AmazonEventBridgeException'];

/**
 * Another deployment of the model holds the lease: wait for it with a backoff of 30 s doubling up to 5 min,
 * 12 tries, about 47 minutes in all, then fail naming the holder (LeaseHeldError's message).
 */
export const LEASE_RETRY = {
  intervalSeconds: 30,
  backoffRate: 2,
  maxDelaySeconds: 300,
  maxAttempts: 12,
} as const;

/** The longest a deployment waits for the lease (the sum of {@link LEASE_RETRY}'s delays), for timeouts. */
export function leaseWaitSeconds(): number {
  let total = 0;
  let delay: number = LEASE_RETRY.intervalSeconds;
  for (let attempt = 0; attempt < LEASE_RETRY.maxAttempts; attempt++) {
    total += Math.min(delay, LEASE_RETRY.maxDelaySeconds);
    delay *= LEASE_RETRY.backoffRate;
  }
  return total;
}

/**
 * The deployment workflow: PrepareDeployment (record + lease) -> BeginDeployment (registry Deploying, the
 * requests) -> CreateModel -> CreateEndpointConfig -> the endpoint's three alarms -> CreateEndpoint or
 * UpdateEndpoint (blue/green, alarm rollback) -> WaitForEndpoint (task token, resumed by the endpoint's events;
 * on timeout one DescribeEndpoint) -> the new config InService? -> SmokeTest -> PromoteDeployment ->
 * ModelDeployed -> FinishPromotedDeployment (cleanup, lease released). A failed smoke test or promotion puts
 * the previous config back (or deletes a first endpoint that never proved itself); a first endpoint that ended
 * Failed is deleted too, so the next deployment can create it again; every failure is recorded
 * (RecordDeploymentFailure), announced (DeploymentFailed) and releases the lease. JSONPath only: the local
 * executor does not run JSONata.
 */
export function deploymentDefinition(scope: Construct, props: DeploymentDefinitionProps): sfn.IChainable {
  const { functions } = props;
  const partition = Stack.of(scope).partition;
  const S = DeploymentStates;

  const invoke = (
    id: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    resultPath: string | null,
  ) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: resultPath ?? sfn.JsonPath.DISCARD,
    }).addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

  /** A raw service-integration Task (CDK's typed tasks cannot take whole request objects from paths). */
  const serviceTask = (
    id: string,
    resource: string,
    fields: { Parameters: object; ResultSelector?: object; ResultPath?: string | null },
    retryOn: readonly string[],
  ) => {
    const state = new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${partition}:states:::${resource}`,
        ...fields,
        ResultPath: fields.ResultPath === undefined ? null : fields.ResultPath,
      },
    });
    if (retryOn.length > 0) {
      state.addRetry({
        errors: [...retryOn],
        interval: Duration.seconds(5),
        maxAttempts: 2,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
    }
    return state;
  };
  /**
   * An optimized SageMaker task (`sagemaker:*`): no Retrier (its API errors, validation ones included, are all
   * SageMaker.AmazonSageMakerException); transient causes are tried again by retryTransientSageMakerErrors,
   * counted at `$.<task>Retries`, the error kept at `$.<task>Error` meanwhile so that a retry that got through
   * leaves nothing at `resultPath` for RecordDeploymentFailure; the rest goes to `target` at `resultPath`.
   */
  const sageMakerTask = (
    id: string,
    resource: string,
    fields: { Parameters: object },
    target: sfn.IChainable,
    resultPath = '$.error',
  ) => {
    const base = `$.${id.charAt(0).toLowerCase()}${id.slice(1)}`;
    return retryTransientSageMakerErrors(scope, serviceTask(id, `sagemaker:${resource}`, fields, []), {
      target,
      resultPath,
      retriesPath: `${base}Retries`,
      caughtPath: `${base}Error`,
    });
  };

  // Failure: record why, announce it, release the lease, fail the execution.
  const failed = new sfn.Fail(scope, S.failed, {
    error: 'DeploymentNotPromoted',
    cause: 'The deployment ended without promotion; `mlops deployments show <deploymentId>` has its reasons.',
  });
  const finishFailed = invoke(
    S.finishFailed,
    functions.finish,
    { 'deploymentId.$': '$.deploymentId', 'model.$': '$.model' },
    '$.finish',
  );
  finishFailed.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.finishError' }).next(failed);
  const publishFailed = publishEvent(scope, S.publishFailed, DEPLOYMENT_FAILED, '$.failure', props.eventBus);
  publishFailed.addCatch(finishFailed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  publishFailed.next(finishFailed);
  // The whole state: which of plan, endpoint, smoke, error, restore it holds depends on where it failed.
  const recordFailure = invoke(S.recordFailure, functions.recordFailure, { 'state.$': '$' }, '$.failure');
  recordFailure.addCatch(finishFailed, { errors: ['States.ALL'], resultPath: '$.recordError' });
  recordFailure.next(publishFailed);
  const catchInto = <T extends sfn.TaskStateBase | sfn.CustomState>(
    state: T,
    next: sfn.IChainable,
    path = '$.error',
  ): T => {
    state.addCatch(next, { errors: ['States.ALL'], resultPath: path });
    return state;
  };

  const prepare = invoke(
    S.prepare,
    functions.prepare,
    { 'request.$': '$', 'executionArn.$': '$$.Execution.Id' },
    '$.deployment',
  ).addRetry({
    errors: ['LeaseHeldError'],
    interval: Duration.seconds(LEASE_RETRY.intervalSeconds),
    backoffRate: LEASE_RETRY.backoffRate,
    maxDelay: Duration.seconds(LEASE_RETRY.maxDelaySeconds),
    maxAttempts: LEASE_RETRY.maxAttempts,
    jitterStrategy: sfn.JitterType.FULL,
  });
  catchInto(prepare, recordFailure);
  const begin = catchInto(
    invoke(S.begin, functions.begin, { 'deployment.$': '$.deployment' }, '$.plan'),
    recordFailure,
  );

  const createModel = sageMakerTask(
    S.createModel,
    'createModel',
    {
      Parameters: {
        'ModelName.$': '$.plan.createModel.ModelName',
        'PrimaryContainer.$': '$.plan.createModel.PrimaryContainer',
        // The model's own role (lib/constructs/deployment-pipeline.ts): PassRole allows only the model roles.
        'ExecutionRoleArn.$': '$.plan.createModel.ExecutionRoleArn',
        'EnableNetworkIsolation.$': '$.plan.createModel.EnableNetworkIsolation',
      } satisfies TaskParameters<CreateModelInput>,
    },
    recordFailure,
  );
  // A serverless config has no DataCaptureConfig or KmsKeyId (requests.ts says why), and a JSONPath to an absent
  // field fails the state: one typed state per endpoint type. The plan's request is built (and typed) in
  // lambdas/shared/endpoints/requests.ts; these take its per-deployment fields and fix the rest.
  const config = '$.plan.createEndpointConfig';
  const variant = `${config}.ProductionVariants[0]`;
  const createEndpointConfig = sageMakerTask(
    S.createEndpointConfig,
    'createEndpointConfig',
    {
      Parameters: {
        'EndpointConfigName.$': '$.plan.names.endpointConfigName',
        ProductionVariants: [
          {
            VariantName: VARIANT_NAME,
            'ModelName.$': '$.plan.names.modelName',
            ...fieldsFrom<ProductionVariant>(variant, ['InstanceType', 'InitialInstanceCount']),
            InitialVariantWeight: 1,
          },
        ],
        ...fieldsFrom<CreateEndpointConfigInput>(config, ['DataCaptureConfig', 'KmsKeyId']),
      } satisfies TaskParameters<CreateEndpointConfigInput>,
    },
    recordFailure,
  );
  const createServerlessEndpointConfig = sageMakerTask(
    S.createServerlessEndpointConfig,
    'createEndpointConfig',
    {
      Parameters: {
        'EndpointConfigName.$': '$.plan.names.endpointConfigName',
        ProductionVariants: [
          {
            VariantName: VARIANT_NAME,
            'ModelName.$': '$.plan.names.modelName',
            ...fieldsFrom<ProductionVariant>(variant, ['ServerlessConfig']),
          },
        ],
      } satisfies TaskParameters<CreateEndpointConfigInput>,
    },
    recordFailure,
  );
  // Each alarm's fixed fields as constants, its per-endpoint fields from the plan (alarms.ts builds both).
  const putAlarms = S.putAlarms.map((id, index) => {
    const kind = ALARM_KINDS[index] as AlarmKind;
    return catchInto(
      serviceTask(
        id,
        'aws-sdk:cloudwatch:putMetricAlarm',
        {
          Parameters: {
            ...FIXED_ALARM_FIELDS[kind],
            ...fieldsFrom<PutMetricAlarmInput>(`$.plan.alarms[${index}]`, VARYING_ALARM_FIELDS[kind]),
            ...(props.alarmTopicArn === undefined
              ? {}
              : { AlarmActions: [props.alarmTopicArn], OKActions: [props.alarmTopicArn] }),
          } satisfies TaskParameters<PutMetricAlarmInput>,
        },
        SDK_TRANSIENT_ERRORS.cloudwatch,
      ),
      recordFailure,
    );
  });
  const endpointParameters = {
    'EndpointName.$': '$.plan.names.endpointName',
    'EndpointConfigName.$': '$.plan.names.endpointConfigName',
  };
  const createEndpoint = sageMakerTask(
    S.createEndpoint,
    'createEndpoint',
    { Parameters: endpointParameters satisfies TaskParameters<CreateEndpointInput> },
    recordFailure,
  );
  const updateEndpoint = sageMakerTask(
    S.updateEndpoint,
    'updateEndpoint',
    {
      Parameters: {
        ...endpointParameters,
        'DeploymentConfig.$': '$.plan.updateEndpoint.DeploymentConfig',
      } satisfies TaskParameters<UpdateEndpointInput>,
    },
    recordFailure,
  );

  const waitOn = (id: string, resultPath: string) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: functions.waitForEndpoint,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        'deploymentId.$': '$.deploymentId',
        'endpointName.$': '$.plan.names.endpointName',
        'timeoutSeconds.$': '$.plan.waitTimeoutSeconds',
      }),
      // The longest blue/green timeout plus provisioning of any model. Fixed, not TimeoutSecondsPath: Step
      // Functions reads that path from the state's input, the local executor from the effective input.
      taskTimeout: sfn.Timeout.duration(Duration.seconds(props.endpointWaitSeconds)),
      retryOnServiceExceptions: false,
      resultPath,
    }).addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS.filter((error) => error !== 'Lambda.Unknown'),
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

  const waitForEndpoint = waitOn(S.waitForEndpoint, '$.endpoint');
  // No event came in time: DescribeEndpoint once and decide on what it says.
  const describeAfterWait = catchInto(
    serviceTask(
      S.describeAfterWait,
      'aws-sdk:sagemaker:describeEndpoint',
      {
        Parameters: {
          'EndpointName.$': '$.plan.names.endpointName',
        } satisfies TaskParameters<DescribeEndpointInput>,
        // The whole output, no ResultSelector: FailureReason (why SageMaker rolled back or failed) is optional in
        // DescribeEndpoint's output (API_DescribeEndpoint, Response Syntax), and a selector path to an absent
        // field fails the state. EndpointStatus and EndpointConfigName, which the outcome reads, are required.
        ResultPath: '$.endpoint',
      },
      SDK_TRANSIENT_ERRORS.sagemaker,
    ),
    recordFailure,
  );
  waitForEndpoint.addCatch(describeAfterWait, { errors: ['States.Timeout'], resultPath: '$.waitError' });
  catchInto(waitForEndpoint, recordFailure);

  // Restore: a smoke test or promotion failed with the new config serving.
  const restoreFailed = recordFailure;
  const waitForRestore = waitOn(S.waitForRestore, '$.restored');
  waitForRestore.addCatch(restoreFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' });
  waitForRestore.next(recordFailure);
  const restorePrevious = sageMakerTask(
    S.restorePrevious,
    'updateEndpoint',
    {
      Parameters: {
        'EndpointName.$': '$.plan.names.endpointName',
        'EndpointConfigName.$': '$.plan.previousConfigName',
      } satisfies TaskParameters<UpdateEndpointInput>,
    },
    restoreFailed,
    '$.restoreError',
  );
  // An endpoint this deployment created that failed (SageMaker left it Failed: "DeleteEndpoint is the only
  // operation that can be performed", EndpointStatus in API_DescribeEndpoint) or failed its smoke test serves
  // nothing else: delete it, so that the next deployment creates it afresh rather than finding it Failed.
  const deleteUnverified = serviceTask(
    S.deleteUnverified,
    'aws-sdk:sagemaker:deleteEndpoint',
    {
      Parameters: {
        'EndpointName.$': '$.plan.names.endpointName',
      } satisfies TaskParameters<DeleteEndpointInput>,
      // DeleteEndpoint answers {} (API_DeleteEndpoint): its presence tells RecordDeploymentFailure it was deleted.
      ResultPath: '$.deletedEndpoint',
    },
    SDK_TRANSIENT_ERRORS.sagemaker,
  );
  deleteUnverified.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.deleteError' });
  deleteUnverified.next(recordFailure);
  const hasPrevious = new sfn.Choice(scope, S.hasPrevious)
    .when(sfn.Condition.isString('$.plan.previousConfigName'), restorePrevious.next(waitForRestore))
    .otherwise(deleteUnverified);

  // Success.
  const deployed = new sfn.Succeed(scope, S.deployed);
  const finishPromotedPayload = {
    'deploymentId.$': '$.deploymentId',
    'model.$': '$.model',
    'servingConfigName.$': '$.plan.names.endpointConfigName',
    'autoscaling.$': '$.plan.autoscaling',
  };
  const finishPromoted = invoke(S.finishPromoted, functions.finish, finishPromotedPayload, '$.finish');
  finishPromoted.addCatch(deployed, { errors: ['States.ALL'], resultPath: '$.finishError' }).next(deployed);
  // The same cleanup, told why autoscaling is missing: it records the error on the deployment.
  const finishWithoutAutoscaling = invoke(
    S.finishAfterAutoscalingFailure,
    functions.finish,
    { ...finishPromotedPayload, 'autoscalingError.$': '$.autoscalingError' },
    '$.finish',
  );
  finishWithoutAutoscaling
    .addCatch(deployed, { errors: ['States.ALL'], resultPath: '$.finishError' })
    .next(deployed);
  // Autoscaling once the new config serves. A failure here does not undo a promotion that happened: the
  // cleanup records it on the deployment (stage AutoscalingFailed) and the execution still succeeds.
  // Namespace, dimension and policy type fixed here (autoscaling.ts), the variant and bounds from the plan.
  const registerScalableTarget = serviceTask(
    S.registerScalableTarget,
    'aws-sdk:applicationautoscaling:registerScalableTarget',
    {
      Parameters: {
        ...VARIANT_SCALING,
        ...fieldsFrom<RegisterScalableTargetRequest>('$.plan.autoscaling.register', [
          'ResourceId',
          'MinCapacity',
          'MaxCapacity',
        ]),
      } satisfies TaskParameters<RegisterScalableTargetRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  const policy = '$.plan.autoscaling.policy';
  const putScalingPolicy = serviceTask(
    S.putScalingPolicy,
    'aws-sdk:applicationautoscaling:putScalingPolicy',
    {
      Parameters: {
        ...VARIANT_SCALING,
        PolicyType: INVOCATIONS_TARGET_TRACKING.PolicyType,
        ...fieldsFrom<PutScalingPolicyRequest>(policy, ['ResourceId', 'PolicyName']),
        TargetTrackingScalingPolicyConfiguration: {
          'TargetValue.$': `${policy}.TargetTrackingScalingPolicyConfiguration.TargetValue`,
          PredefinedMetricSpecification: {
            PredefinedMetricType: INVOCATIONS_TARGET_TRACKING.PredefinedMetricType,
          },
        },
      } satisfies TaskParameters<PutScalingPolicyRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  for (const state of [registerScalableTarget, putScalingPolicy]) {
    state.addCatch(finishWithoutAutoscaling, { errors: ['States.ALL'], resultPath: '$.autoscalingError' });
  }
  registerScalableTarget.next(putScalingPolicy).next(finishPromoted);
  const hasAutoscaling = new sfn.Choice(scope, S.hasAutoscaling)
    // IsNull true, not IsNotNull: the local executor ignores a condition whose value is false.
    .when(sfn.Condition.isNull('$.plan.autoscaling'), finishPromoted)
    .otherwise(registerScalableTarget);
  const publishDeployed = publishEvent(
    scope,
    S.publishDeployed,
    MODEL_DEPLOYED,
    '$.promoted',
    props.eventBus,
  );
  publishDeployed.addCatch(hasAutoscaling, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  const promote = catchInto(
    invoke(
      S.promote,
      functions.promote,
      {
        'deployment.$': '$.deployment',
        'endpointName.$': '$.plan.names.endpointName',
        'endpointConfigName.$': '$.plan.names.endpointConfigName',
        'smoke.$': '$.smoke',
      },
      '$.promoted',
    ),
    hasPrevious,
  );
  const smokeTest = catchInto(
    invoke(
      S.smokeTest,
      functions.smokeTest,
      {
        'deploymentId.$': '$.deploymentId',
        'endpointName.$': '$.plan.names.endpointName',
        'smokeTest.$': '$.plan.smokeTest',
      },
      '$.smoke',
    ),
    hasPrevious,
  );
  const smokePassed = new sfn.Choice(scope, S.smokePassed)
    .when(
      sfn.Condition.booleanEquals('$.smoke.passed', true),
      promote.next(publishDeployed).next(hasAutoscaling),
    )
    .otherwise(hasPrevious);
  // InService on the new config: go on. InService on another config: SageMaker rolled back (by an alarm, or
  // silently). Failed after this deployment's CreateEndpoint: delete it. Anything else: it failed, or was still
  // changing when the wait ended.
  const outcome = new sfn.Choice(scope, S.endpointOutcome)
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.endpoint.EndpointStatus', 'InService'),
        sfn.Condition.isPresent('$.endpoint.EndpointConfigName'),
        sfn.Condition.stringEqualsJsonPath(
          '$.endpoint.EndpointConfigName',
          '$.plan.names.endpointConfigName',
        ),
      ),
      smokeTest.next(smokePassed),
    )
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.plan.action', 'create'),
        sfn.Condition.stringEquals('$.endpoint.EndpointStatus', 'Failed'),
      ),
      deleteUnverified,
    )
    .otherwise(recordFailure);
  waitForEndpoint.next(outcome);
  describeAfterWait.next(outcome);

  // An autoscaled variant cannot change instance type while registered: deregister first (gone already is fine).
  const deregister = serviceTask(
    S.deregisterScalableTarget,
    'aws-sdk:applicationautoscaling:deregisterScalableTarget',
    {
      Parameters: {
        ...VARIANT_SCALING,
        'ResourceId.$': '$.plan.deregisterScalableTarget.ResourceId',
      } satisfies TaskParameters<DeregisterScalableTargetRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  deregister.addCatch(updateEndpoint, {
    errors: ['ApplicationAutoScaling.ObjectNotFoundException'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  catchInto(deregister, recordFailure);
  updateEndpoint.next(waitForEndpoint);
  const changesInstanceType = new sfn.Choice(scope, S.changesInstanceType)
    .when(sfn.Condition.isNull('$.plan.deregisterScalableTarget'), updateEndpoint)
    .otherwise(deregister.next(updateEndpoint));

  const [firstAlarm, ...otherAlarms] = putAlarms;
  if (firstAlarm === undefined) throw new Error('no endpoint alarms');
  createModel.next(
    new sfn.Choice(scope, S.isServerless)
      .when(
        sfn.Condition.stringEquals('$.plan.endpointType', 'serverless'),
        createServerlessEndpointConfig.next(firstAlarm),
      )
      .otherwise(createEndpointConfig.next(firstAlarm)),
  );
  let chain: sfn.INextable = firstAlarm;
  for (const alarm of otherAlarms) {
    chain.next(alarm);
    chain = alarm;
  }
  chain.next(
    new sfn.Choice(scope, S.hasEndpoint)
      .when(sfn.Condition.stringEquals('$.plan.action', 'create'), createEndpoint.next(waitForEndpoint))
      .otherwise(changesInstanceType),
  );
  return prepare.next(begin).next(createModel);
}

/** PutEvents of one of the workflow's own events, its detail taken whole from the state. */
function publishEvent(
  scope: Construct,
  id: string,
  detailType: string,
  detailPath: string,
  bus: events.IEventBus,
): sfn.CustomState {
  const entry = {
    Source: EVENT_SOURCE,
    DetailType: detailType,
    'Detail.$': detailPath,
    EventBusName: bus.eventBusName,
  } satisfies TaskParameters<NonNullable<PutEventsCommandInput['Entries']>[number]>;
  const state = new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::events:putEvents`,
      Parameters: { Entries: [entry] },
      ResultPath: null,
    },
  });
  state.addRetry({
    errors: EVENTBRIDGE_TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return state;
}
