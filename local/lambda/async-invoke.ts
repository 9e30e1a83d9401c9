/**
 * Asynchronous invocation of the template's functions (EventBridge targets), as Lambda runs it: retries of
 * a function error per the function's `AWS::Lambda::EventInvokeConfig` (MaximumRetryAttempts, default 2;
 * MaximumEventAgeInSeconds, default 6 h), then an invocation record sent to the on-failure destination
 * (on success, to the on-success one). Lambda Developer Guide, "Asynchronous invocation" and "Capturing
 * records of Lambda asynchronous invocations"
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): "If the function
 * returns an error, by default Lambda attempts to run it two more times, with a one-minute wait between the
 * first two attempts, and two minutes between the second and third attempts"; for an SQS destination "the
 * invocation record is passed as the Message".
 */
import { randomUUID } from 'node:crypto';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from '../template/template';
import type { LocalFunction } from './functions';

/** A function's asynchronous invocation settings. */
export interface AsyncInvokeConfig {
  /** Retries after a function error, 0-2. */
  readonly maximumRetryAttempts: number;
  /** How long an event may wait for its next attempt, in seconds. */
  readonly maximumEventAgeSeconds: number;
  /** Destination ARNs of invocation records; none when undefined. */
  readonly onFailure?: string | undefined;
  readonly onSuccess?: string | undefined;
}

/** Lambda's settings for a function without an EventInvokeConfig. */
export const DEFAULT_ASYNC_INVOKE: AsyncInvokeConfig = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 21_600,
};

/** The waits before the 2nd and 3rd attempts, as Lambda documents them. */
export const LAMBDA_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/** The template's EventInvokeConfigs ($LATEST or unqualified), by function name. */
export function asyncInvokeConfigs(
  template: CfnTemplate,
  resources: LocalResources,
): Map<string, AsyncInvokeConfig> {
  const configs = new Map<string, AsyncInvokeConfig>();
  for (const [, resource] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
    const properties = resolveIntrinsics(resource.Properties ?? {}, resources.resolve) as {
      FunctionName: string;
      Qualifier?: string;
      MaximumRetryAttempts?: number;
      MaximumEventAgeInSeconds?: number;
      DestinationConfig?: { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } };
    };
    // Versions and aliases are not invoked locally: only $LATEST's settings apply.
    if (properties.Qualifier !== undefined && properties.Qualifier !== '$LATEST') continue;
    const name = properties.FunctionName.split(':function:')[1]?.split(':')[0] ?? properties.FunctionName;
    const onFailure = properties.DestinationConfig?.OnFailure?.Destination;
    const onSuccess = properties.DestinationConfig?.OnSuccess?.Destination;
    configs.set(name, {
      maximumRetryAttempts: properties.MaximumRetryAttempts ?? DEFAULT_ASYNC_INVOKE.maximumRetryAttempts,
      maximumEventAgeSeconds:
        properties.MaximumEventAgeInSeconds ?? DEFAULT_ASYNC_INVOKE.maximumEventAgeSeconds,
      onFailure,
      onSuccess,
    });
  }
  return configs;
}

/** The invocation record Lambda sends a destination (the guide's "Example invocation record"). */
export interface InvocationRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: '$LATEST';
    readonly functionError?: 'Unhandled';
  };
  readonly responsePayload: unknown;
}

/** Where records go: a destination ARN and the record, serialized as Lambda sends it. */
export type RecordSender = (destinationArn: string, record: InvocationRecord) => void;

export interface AsyncInvokeOptions {
  /** @default DEFAULT_ASYNC_INVOKE */
  readonly config?: AsyncInvokeConfig | undefined;
  readonly send: RecordSender;
  /** Waits before each retry. @default LAMBDA_RETRY_DELAYS_MS */
  readonly retryDelaysMs?: readonly number[];
}

/** The outcome of one asynchronous invocation, once Lambda is done with it. */
export interface AsyncInvokeResult {
  readonly attempts: number;
  readonly succeeded: boolean;
  /** The record sent to a destination, if one was configured for this outcome. */
  readonly record?: InvocationRecord;
}

/**
 * Runs `fn` on `event` as an asynchronous invocation. Never rejects: a failure ends in the on-failure
 * destination (or is discarded, as Lambda discards it), which the result reports.
 */
export async function invokeAsync(
  fn: LocalFunction,
  functionArn: string,
  event: unknown,
  options: AsyncInvokeOptions,
): Promise<AsyncInvokeResult> {
  const config = options.config ?? DEFAULT_ASYNC_INVOKE;
  const delays = options.retryDelaysMs ?? LAMBDA_RETRY_DELAYS_MS;
  const requestId = randomUUID();
  const receivedAt = Date.now();
  const record = (
    condition: InvocationRecord['requestContext']['condition'],
    attempts: number,
    responsePayload: unknown,
  ): InvocationRecord => ({
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId,
      functionArn: `${functionArn}:$LATEST`,
      condition,
      approximateInvokeCount: attempts,
    },
    requestPayload: event,
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(condition === 'Success' ? {} : { functionError: 'Unhandled' as const }),
    },
    responsePayload,
  });

  let attempts = 0;
  for (;;) {
    attempts += 1;
    let errorDocument: unknown;
    try {
      const response = await fn.invoke(event);
      if (!config.onSuccess) return { attempts, succeeded: true };
      const sent = record('Success', attempts, response ?? null);
      options.send(config.onSuccess, sent);
      return { attempts, succeeded: true, record: sent };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // The Node.js runtime's error document.
      errorDocument = { errorType: err.name, errorMessage: err.message, trace: err.stack?.split('\n') ?? [] };
    }
    const delay = delays[Math.min(attempts - 1, delays.length - 1)] ?? 0;
    const tooOld = Date.now() + delay - receivedAt > config.maximumEventAgeSeconds * 1000;
    if (attempts > config.maximumRetryAttempts || tooOld) {
      const condition = attempts > config.maximumRetryAttempts ? 'RetriesExhausted' : 'EventAgeExceeded';
      if (!config.onFailure) return { attempts, succeeded: false };
      const sent = record(condition, attempts, errorDocument);
      options.send(config.onFailure, sent);
      return { attempts, succeeded: false, record: sent };
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
