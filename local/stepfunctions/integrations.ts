/**
 * Step Functions service integrations run locally, chosen by the Task state's Resource ARN, so any Task the
 * stack adds works without changes here as long as its service is:
 * - `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem` (optimized integration) against
 *   DynamoDB Local, with the state's effective Parameters as the request;
 * - `arn:aws:states:::aws-sdk:sagemaker:<action>` (AWS SDK integration) against the local SageMaker;
 * - `arn:aws:states:::sagemaker:createTrainingJob.sync` (see sync-task.ts);
 * - `arn:aws:states:::sagemaker:createModel|createEndpointConfig|createEndpoint|updateEndpoint` (optimized,
 *   request-response) against the local SageMaker, errors named as that integration names them (apiFailure);
 * - `arn:aws:states:::aws-sdk:cloudwatch|applicationautoscaling:<action>` against the local servers;
 * - `arn:aws:states:::lambda:invoke` with FunctionName and Payload, on the template's in-process functions;
 * - `arn:aws:states:::events:putEvents` on the local EventBridge (`EventBridge.FailedEntry` when an entry fails);
 * - any of these with `.waitForTaskToken` (see {@link waitForTaskToken}).
 *
 * Results are the API response without SDK metadata, as plain JSON (Dates as epoch milliseconds, as the
 * .sync task gives them). Errors are named as Step Functions names them: "the resulting Error field will be
 * composed of the service name and error name, separated by a period", both PascalCase, with an `Exception`
 * suffix even where the service's own name has none (Step Functions Developer Guide, "Learning to use AWS
 * service SDK integrations", https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html):
 * `DynamoDB.ConditionalCheckFailedException`, `SageMaker.ResourceNotFoundException`. Errors that are not the
 * service's (connection refused, ...) become `States.TaskFailed`.
 */
import * as applicationAutoScaling from '@aws-sdk/client-application-auto-scaling';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as sagemaker from '@aws-sdk/client-sagemaker';
import type { PutEventsEntry, PutEventsResult } from '../aws/eventbridge';
import type { LocalFunction } from '../lambda/functions';
import { lambdaTask } from '../lambda/functions';
import { apiFailure, stepFunctionsJson } from '../sagemaker/sync-task';
import { type LocalTaskHandler, taskFailure } from './executor';
import { type TaskTokens, taskTokenPlaceholder, withToken } from './task-tokens';

/** A Task's handler for its Resource ARN, or undefined when no local integration serves it. */
export type IntegrationResolver = (resource: string) => LocalTaskHandler | undefined;

const OPTIMIZED = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z0-9]+)(\.sync|\.waitForTaskToken)?$/;
const AWS_SDK = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)(\.sync|\.waitForTaskToken)?$/;

/** The DynamoDB API actions Step Functions' optimized DynamoDB integration offers. */
const DYNAMODB_ACTIONS = ['getItem', 'putItem', 'updateItem', 'deleteItem'] as const;

/** The optimized DynamoDB integration against `client` (DynamoDB Local). */
export function dynamoDbIntegration(client: dynamodb.DynamoDBClient): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = OPTIMIZED.exec(resource) ?? [];
    if (service !== 'dynamodb' || pattern !== undefined) return undefined;
    if (!DYNAMODB_ACTIONS.includes(action as (typeof DYNAMODB_ACTIONS)[number])) return undefined;
    return sdkCall(client, dynamodb, action as string, 'DynamoDB', 'AmazonDynamoDBv2');
  };
}

/** AWS SDK integrations for SageMaker (`aws-sdk:sagemaker:<action>`, request-response) against `client`. */
export function sageMakerSdkIntegration(client: sagemaker.SageMakerClient): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = AWS_SDK.exec(resource) ?? [];
    if (service !== 'sagemaker' || action === undefined || pattern !== undefined) return undefined;
    return sdkCall(client, sagemaker, action, 'SageMaker', 'SageMaker');
  };
}

/**
 * The SageMaker APIs Step Functions' optimized integration offers request-response for hosting
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html: CreateEndpoint,
 * CreateEndpointConfig, CreateModel, UpdateEndpoint; "no specific optimizations for Request Response").
 */
const SAGEMAKER_OPTIMIZED_ACTIONS = [
  'createModel',
  'createEndpointConfig',
  'createEndpoint',
  'updateEndpoint',
];

/**
 * The optimized SageMaker integration's request-response hosting actions against `client`. Its errors are not
 * the AWS SDK integration's: SageMaker's modeled exceptions become `SageMaker.<Name>Exception`, everything
 * else (ValidationException, throttling) `SageMaker.AmazonSageMakerException`, with the AWS SDK for Java's
 * message as Cause (see apiFailure in sync-task.ts); the deployment workflow retries and catches on those.
 */
export function sageMakerOptimizedIntegration(client: sagemaker.SageMakerClient): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = OPTIMIZED.exec(resource) ?? [];
    if (
      service !== 'sagemaker' ||
      pattern !== undefined ||
      !SAGEMAKER_OPTIMIZED_ACTIONS.includes(action ?? '')
    )
      return undefined;
    const name = `${(action as string).charAt(0).toUpperCase()}${(action as string).slice(1)}Command`;
    const Command = (sagemaker as unknown as Record<string, CommandClass>)[name] as CommandClass;
    return async (input) => {
      try {
        return stepFunctionsJson((await client.send(new Command(input) as never)) as object);
      } catch (error) {
        throw apiFailure(error);
      }
    };
  };
}

/** AWS SDK integrations (`aws-sdk:cloudwatch:<action>`, `aws-sdk:applicationautoscaling:<action>`). */
export function awsSdkIntegrations(clients: {
  readonly cloudwatch?: cloudwatch.CloudWatchClient;
  readonly applicationAutoScaling?: applicationAutoScaling.ApplicationAutoScalingClient;
}): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = AWS_SDK.exec(resource) ?? [];
    if (action === undefined || pattern !== undefined) return undefined;
    if (service === 'cloudwatch' && clients.cloudwatch)
      return sdkCall(clients.cloudwatch, cloudwatch, action, 'CloudWatch', 'CloudWatch');
    if (service === 'applicationautoscaling' && clients.applicationAutoScaling)
      return sdkCall(
        clients.applicationAutoScaling,
        applicationAutoScaling,
        action,
        'ApplicationAutoScaling',
        'ApplicationAutoScaling',
      );
    return undefined;
  };
}

/**
 * `arn:aws:states:::lambda:invoke`: FunctionName (name, ARN or partial ARN; a qualifier is ignored) and Payload;
 * the result is Invoke's response with the function's result as Payload, as the integration gives it
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html). A function error fails the Task
 * named by its errorType, as lambdaTask does.
 */
export function lambdaInvokeIntegration(functions: ReadonlyMap<string, LocalFunction>): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = OPTIMIZED.exec(resource) ?? [];
    if (service !== 'lambda' || action !== 'invoke' || pattern === '.sync') return undefined;
    return async (input) => {
      const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
      const name = functionName(String(FunctionName ?? ''));
      const fn = functions.get(name);
      if (!fn) {
        throw taskFailure(
          'Lambda.ResourceNotFoundException',
          `Function not found: ${String(FunctionName)} (Service: Lambda, Status Code: 404, Request ID: null)`,
        );
      }
      const result = await lambdaTask(fn)(Payload ?? {});
      return { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 };
    };
  };
}

/** The function name in a FunctionName parameter: `name`, `name:alias`, `123:function:name`, a full ARN. */
function functionName(value: string): string {
  const afterFunction = value.includes(':function:') ? (value.split(':function:')[1] ?? '') : value;
  return afterFunction.split(':')[0] ?? '';
}

/**
 * `arn:aws:states:::events:putEvents` on the local EventBridge. "If the FailedEntryCount in the response is
 * greater than zero, the task fails with the error EventBridge.FailedEntry"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html).
 */
export function eventBridgeIntegration(
  put: (entries: readonly PutEventsEntry[]) => PutEventsResult,
): IntegrationResolver {
  return (resource) => {
    const [, service, action, pattern] = OPTIMIZED.exec(resource) ?? [];
    if (service !== 'events' || action !== 'putEvents' || pattern !== undefined) return undefined;
    return async (input) => {
      const { Entries } = (input ?? {}) as { Entries?: PutEventsEntry[] };
      // Step Functions takes Detail as JSON and sends it as the text PutEvents wants.
      const entries = (Entries ?? []).map((entry) =>
        typeof entry.Detail === 'string' || entry.Detail === undefined
          ? entry
          : { ...entry, Detail: JSON.stringify(entry.Detail) },
      );
      const result = put(entries);
      if (result.FailedEntryCount > 0) {
        throw taskFailure('EventBridge.FailedEntry', JSON.stringify(result));
      }
      return result;
    };
  };
}

/**
 * A `.waitForTaskToken` Task: the underlying request-response call (e.g. lambda:invoke) is made with
 * `$$.Task.Token` replaced by a new token, then the Task waits until SendTaskSuccess (its output is the
 * result), SendTaskFailure (the Task fails with that error and cause), or its TimeoutSeconds /
 * HeartbeatSeconds pass (States.Timeout) —
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token.
 * The token is registered before the call: the callee may answer before it returns.
 */
export function waitForTaskToken(
  call: LocalTaskHandler,
  tokens: TaskTokens,
  state: {
    readonly name: string;
    readonly timeoutSeconds: number;
    readonly heartbeatSeconds?: number | undefined;
    readonly executionArn: () => string;
  },
): LocalTaskHandler {
  return async (input) => {
    const executionArn = state.executionArn();
    const token = tokens.mint(executionArn, state.name);
    const { value, found } = withToken(input, taskTokenPlaceholder(executionArn), token);
    if (!found) {
      // Step Functions refuses such a definition: the token has to reach someone.
      throw taskFailure(
        'States.Runtime',
        `The Task ${state.name} uses .waitForTaskToken but its parameters do not pass $$.Task.Token`,
      );
    }
    const waiting = tokens.wait(token, {
      timeoutSeconds: state.timeoutSeconds,
      heartbeatSeconds: state.heartbeatSeconds,
    });
    try {
      await call(value);
    } catch (error) {
      tokens.cancel(token, error as Error);
      await waiting.catch(() => undefined);
      throw error;
    }
    return waiting;
  };
}

/** The first resolver that serves a resource. */
export function firstOf(...resolvers: readonly IntegrationResolver[]): IntegrationResolver {
  return (resource) => {
    for (const resolve of resolvers) {
      const handler = resolve(resource);
      if (handler) return handler;
    }
    return undefined;
  };
}

type Client = { send(command: unknown): Promise<unknown> };
type CommandClass = new (input: unknown) => unknown;

/** Calls `<Action>Command` of an SDK client package with the state's input. */
function sdkCall(
  client: Client,
  sdk: object,
  action: string,
  service: string,
  serviceId: string,
): LocalTaskHandler | undefined {
  const name = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
  const Command = (sdk as Record<string, unknown>)[name] as CommandClass | undefined;
  if (typeof Command !== 'function') return undefined;
  return async (input) => {
    try {
      return stepFunctionsJson((await client.send(new Command(input))) as object);
    } catch (error) {
      throw serviceFailure(error, service, serviceId);
    }
  };
}

/** An SDK error as the Error and Cause a Retry or Catch sees. */
export function serviceFailure(error: unknown, service: string, serviceId: string): Error {
  const sdkError = error as {
    name?: string;
    message?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const message = sdkError.message ?? String(error);
  // Only errors the service answered with carry $fault; the rest never reached it.
  if (sdkError.$fault === undefined || !sdkError.name) return taskFailure('States.TaskFailed', message);
  const errorName = sdkError.name.endsWith('Exception') ? sdkError.name : `${sdkError.name}Exception`;
  return taskFailure(
    `${service}.${errorName}`,
    `${message} (Service: ${serviceId}, Status Code: ${sdkError.$metadata?.httpStatusCode ?? 400}, ` +
      `Request ID: ${sdkError.$metadata?.requestId ?? 'null'})`,
  );
}
