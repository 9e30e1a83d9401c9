/**
 * Step Functions service integrations run locally, chosen by the Task state's Resource ARN, so any Task the
 * stack adds works without changes here as long as its service is:
 * - `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem` (optimized integration) against
 *   DynamoDB Local, with the state's effective Parameters as the request;
 * - `arn:aws:states:::aws-sdk:sagemaker:<action>` (AWS SDK integration) against the local SageMaker;
 * - `arn:aws:states:::sagemaker:createTrainingJob.sync` (see sync-task.ts).
 *
 * Results are the API response without SDK metadata, as plain JSON (Dates as epoch milliseconds, as the
 * .sync task gives them). Errors are named as Step Functions names them: "the resulting Error field will be
 * composed of the service name and error name, separated by a period", both PascalCase, with an `Exception`
 * suffix even where the service's own name has none (Step Functions Developer Guide, "Learning to use AWS
 * service SDK integrations", https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html):
 * `DynamoDB.ConditionalCheckFailedException`, `SageMaker.ResourceNotFoundException`. Errors that are not the
 * service's (connection refused, ...) become `States.TaskFailed`.
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as sagemaker from '@aws-sdk/client-sagemaker';
import { stepFunctionsJson } from '../sagemaker/sync-task';
import { type LocalTaskHandler, taskFailure } from './executor';

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
