/**
 * Errors the pipeline's Lambdas throw on purpose. The Lambda runtime reports `error.name` as the errorType,
 * and Step Functions matches Catch/Retry on it, so the name is the contract and the message is for people.
 */
import { PipelineErrors } from '../pipeline';
import * as z from '../zod';

export type PipelineErrorName = (typeof PipelineErrors)[keyof typeof PipelineErrors];

const NAMES: ReadonlySet<string> = new Set(Object.values(PipelineErrors));

/** An expected, non-retryable pipeline failure; `name` is one of {@link PipelineErrors}. */
export class PipelineError extends Error {
  override readonly name: PipelineErrorName;

  constructor(name: PipelineErrorName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/** True when `error` is a {@link PipelineError}, optionally of the given name. */
export function isPipelineError(error: unknown, name?: PipelineErrorName): error is PipelineError {
  return error instanceof Error && NAMES.has(error.name) && (name === undefined || error.name === name);
}

/** The dataset (or its S3 key) broke the data contract; `message` says what and where. */
export function datasetRejected(message: string, options?: ErrorOptions): PipelineError {
  return new PipelineError(PipelineErrors.datasetRejected, message, options);
}

/** The model has no usable contract or settings. */
export function contractMissing(message: string, options?: ErrorOptions): PipelineError {
  return new PipelineError(PipelineErrors.contractMissing, message, options);
}

/**
 * The training job reported no value for the objective metric.
 *
 * @param metric - the objective, e.g. `validation:auc`
 * @param reported - the metric names the job did report
 */
export function metricMissing(metric: string, reported: readonly string[]): PipelineError {
  const names = reported.length === 0 ? 'none' : reported.join(', ');
  return new PipelineError(
    PipelineErrors.metricMissing,
    `The training job reported no value for the objective metric ${metric} (it reported: ${names})`,
  );
}

/** A retry request the pipeline cannot carry out: the run does not exist or has not ended. */
export function retryRejected(message: string): PipelineError {
  return new PipelineError(PipelineErrors.retryRejected, message);
}

/**
 * A Lambda was invoked with an input of the wrong shape: a wiring bug between the state machine and the
 * function, so not one of the expected {@link PipelineErrors} (logged as an error, with its stack).
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInput';
}

/**
 * Parses a handler's input with its schema (the state machine's payloads are contracts, not casts).
 *
 * @param functionName - the function, for the message, e.g. `StartRun`
 * @throws InvalidInputError naming every field that does not match, e.g. `detail.object.key: expected string`
 */
export function parseInput<T>(schema: z.core.$ZodType<T>, input: unknown, functionName: string): T {
  const parsed = z.safeParse(schema, input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.length === 0 ? '(input)' : issue.path.join('.')}: ${issue.message}`,
  );
  throw new InvalidInputError(`${functionName} was invoked with an unexpected input: ${problems.join('; ')}`);
}
