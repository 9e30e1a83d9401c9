/**
 * Errors the pipeline's Lambdas throw on purpose. The Lambda runtime reports `error.name` as the errorType,
 * and Step Functions matches Catch/Retry on it, so the name is the contract and the message is for people.
 */
import { PipelineErrors } from '../pipeline';

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
