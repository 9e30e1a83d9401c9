/**
 * The kinds of Task the deployment workflow is built of (a Lambda invoke, a raw service integration, an
 * optimized SageMaker call, the endpoint wait, an event published), each with its retries, and the typing of
 * their Parameters against the AWS SDK's request types. The phases (../deployment.ts and this folder) build
 * their states with these.
 */
import type { PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../../lambdas/shared/events';
import { retryTransientSageMakerErrors } from '../sagemaker-retry';

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

/** What the endpoint waits need: the function that stores the task token, and the longest wait. */
export interface EndpointWaitProps {
  readonly waitForEndpoint: lambda.IFunction;
  /** How long a deployment waits on its endpoint before one DescribeEndpoint decides. */
  readonly endpointWaitSeconds: number;
}

/** The deployment workflow's Task builders, all in one scope. */
export interface DeploymentTasks {
  readonly scope: Construct;
  /** A Lambda invoke (payload response only), its transient Lambda errors retried. */
  invoke(
    id: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    resultPath: string | null,
  ): sfn.TaskStateBase;
  /** A raw service-integration Task (CDK's typed tasks cannot take whole request objects from paths). */
  serviceTask(
    id: string,
    resource: string,
    fields: { Parameters: object; ResultSelector?: object; ResultPath?: string | null },
    retryOn: readonly string[],
  ): sfn.CustomState;
  /**
   * An optimized SageMaker task (`sagemaker:*`): no Retrier (its API errors, validation ones included, are all
   * SageMaker.AmazonSageMakerException); transient causes are tried again by retryTransientSageMakerErrors,
   * counted at `$.<task>Retries`, the error kept at `$.<task>Error` meanwhile so that a retry that got through
   * leaves nothing at `resultPath` for RecordDeploymentFailure; the rest goes to `target` at `resultPath`.
   */
  sageMakerTask(
    id: string,
    resource: string,
    fields: { Parameters: object },
    target: sfn.IChainable,
    resultPath?: string,
  ): sfn.CustomState;
  /** Waits for the endpoint's next state change with a task token, at `resultPath`. */
  waitOn(id: string, resultPath: string): sfn.TaskStateBase;
  /** PutEvents of one of the workflow's own events, its detail taken whole from the state. */
  publishEvent(id: string, detailType: string, detailPath: string, bus: events.IEventBus): sfn.CustomState;
}

export function deploymentTasks(scope: Construct, wait: EndpointWaitProps): DeploymentTasks {
  const partition = Stack.of(scope).partition;

  const invoke: DeploymentTasks['invoke'] = (id, fn, payload, resultPath) =>
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

  const serviceTask: DeploymentTasks['serviceTask'] = (id, resource, fields, retryOn) => {
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

  const sageMakerTask: DeploymentTasks['sageMakerTask'] = (
    id,
    resource,
    fields,
    target,
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

  const waitOn: DeploymentTasks['waitOn'] = (id, resultPath) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: wait.waitForEndpoint,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        'deploymentId.$': '$.deploymentId',
        'endpointName.$': '$.plan.names.endpointName',
        'timeoutSeconds.$': '$.plan.waitTimeoutSeconds',
      }),
      // The longest blue/green timeout plus provisioning of any model. Fixed, not TimeoutSecondsPath: Step
      // Functions reads that path from the state's input, the local executor from the effective input.
      taskTimeout: sfn.Timeout.duration(Duration.seconds(wait.endpointWaitSeconds)),
      retryOnServiceExceptions: false,
      resultPath,
    }).addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS.filter((error) => error !== 'Lambda.Unknown'),
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

  const publishEvent: DeploymentTasks['publishEvent'] = (id, detailType, detailPath, bus) => {
    const entry = {
      Source: EVENT_SOURCE,
      DetailType: detailType,
      'Detail.$': detailPath,
      EventBusName: bus.eventBusName,
    } satisfies TaskParameters<NonNullable<PutEventsCommandInput['Entries']>[number]>;
    const state = new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${partition}:states:::events:putEvents`,
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
  };

  return { scope, invoke, serviceTask, sageMakerTask, waitOn, publishEvent };
}

/** Catches every error of `state` into `next`, the error at `path`. */
export function catchInto<T extends sfn.TaskStateBase | sfn.CustomState>(
  state: T,
  next: sfn.IChainable,
  path = '$.error',
): T {
  state.addCatch(next, { errors: ['States.ALL'], resultPath: path });
  return state;
}
