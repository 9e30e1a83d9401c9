import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTrainingJobCommand,
  type CreateTrainingJobRequest,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobResponse,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { type LocalTaskHandler, taskFailure } from '../stepfunctions/executor';

export interface TrainingSyncTaskOptions {
  /** Time between DescribeTrainingJob calls. @default 1000 */
  readonly pollIntervalMs?: number;
}

/** SageMaker exceptions the API model declares; Step Functions names them after the SDK's classes. */
const MODELED_EXCEPTIONS = new Set(['ResourceInUse', 'ResourceLimitExceeded', 'ResourceNotFound']);

/**
 * The local `arn:aws:states:::sagemaker:createTrainingJob.sync` integration: CreateTrainingJob with the
 * state's effective Parameters, DescribeTrainingJob until the job ends, and the Describe response as the
 * result, as plain JSON with timestamps in epoch milliseconds (the form Step Functions gives them).
 *
 * Failures as Step Functions raises them: a job that ends Failed or Stopped -> `States.TaskFailed` with the
 * Describe response (JSON) as Cause; an API error -> `SageMaker.ResourceInUseException` (likewise
 * ResourceLimitExceeded, ResourceNotFound) or, for everything else (ValidationException, throttling,
 * connection errors), `SageMaker.AmazonSageMakerException`, with the AWS SDK for Java's message as Cause.
 */
export function createTrainingJobSyncTask(
  client: SageMakerClient,
  options: TrainingSyncTaskOptions = {},
): LocalTaskHandler {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  return async (input) => {
    const request = input as CreateTrainingJobRequest;
    await call(() => client.send(new CreateTrainingJobCommand(request)));
    for (;;) {
      const job = await call(() =>
        client.send(new DescribeTrainingJobCommand({ TrainingJobName: request.TrainingJobName })),
      );
      const status = job.TrainingJobStatus;
      if (status === 'Completed') return stepFunctionsJson(job);
      if (status === 'Failed' || status === 'Stopped') {
        throw taskFailure('States.TaskFailed', JSON.stringify(stepFunctionsJson(job)));
      }
      await sleep(pollIntervalMs);
    }
  };
}

/** The Describe response as a state receives it: no SDK metadata, Dates as epoch milliseconds. */
export function stepFunctionsJson(response: DescribeTrainingJobResponse | object): Record<string, unknown> {
  const { $metadata: _metadata, ...fields } = response as { $metadata?: unknown };
  return plainJson(fields) as Record<string, unknown>;
}

function plainJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(plainJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, plainJson(field)]),
    );
  }
  return value;
}

async function call<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw apiFailure(error);
  }
}

/** An SDK error as Step Functions raises it for Retry and Catch, e.g. SageMaker.AmazonSageMakerException. */
export function apiFailure(error: unknown): Error {
  const { name, message, status, requestId } = errorParts(error);
  const errorName = MODELED_EXCEPTIONS.has(name)
    ? `SageMaker.${name}Exception`
    : 'SageMaker.AmazonSageMakerException';
  return taskFailure(
    errorName,
    `${message} (Service: AmazonSageMaker; Status Code: ${status}; Error Code: ${name}; ` +
      `Request ID: ${requestId}; Proxy: null)`,
  );
}

function errorParts(error: unknown): { name: string; message: string; status: number; requestId: string } {
  const sdkError = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  return {
    name: sdkError.name ?? 'Error',
    message: sdkError.message ?? String(error),
    status: sdkError.$metadata?.httpStatusCode ?? 500,
    requestId: sdkError.$metadata?.requestId ?? 'null',
  };
}
