/**
 * What a failure means, in one bounded sentence: the explanation RecordFailure records for a caught error
 * and ReconcileExecution for an execution that failed uncaught.
 */
import type { CaughtError } from './pipeline';

/** Room for a useful message (SageMaker's FailureReason is at most 1024) without storing whole traces. */
export const MAX_REASON_CHARS = 2_000;

/** Where the failure came from, judged by the shape of the Cause. */
export type FailureSource = 'sagemaker' | 'lambda' | 'other';

export interface FailureDescription {
  /** The error name Step Functions matched, e.g. `States.TaskFailed` or `DatasetRejected`. */
  readonly error: string;
  /** One clear, bounded sentence for people. */
  readonly reason: string;
  readonly source: FailureSource;
}

/**
 * Explains a caught error.
 *
 * - SageMaker `.sync` failure: the Cause is DescribeTrainingJob's JSON; FailureReason and TrainingJobStatus.
 * - Lambda error: the Cause is `{ errorType, errorMessage, trace }`; the errorMessage.
 * - Anything else: the raw Cause, or the error name when there is none.
 *
 * The reason is truncated to {@link MAX_REASON_CHARS}.
 */
export function describeFailure(caught: CaughtError): FailureDescription {
  const error = caught.Error?.trim() || 'Unknown';
  const cause = caught.Cause?.trim() ?? '';
  const parsed = parseObject(cause);

  if (parsed !== undefined && typeof parsed.TrainingJobStatus === 'string') {
    return { error, reason: truncate(trainingFailure(parsed)), source: 'sagemaker' };
  }
  if (parsed !== undefined && typeof parsed.errorMessage === 'string') {
    const message = parsed.errorMessage.trim();
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : error;
    return { error, reason: truncate(message || `${type} (no message given)`), source: 'lambda' };
  }
  return { error, reason: truncate(cause || `${error} (no cause given)`), source: 'other' };
}

function trainingFailure(job: Readonly<Record<string, unknown>>): string {
  const name =
    typeof job.TrainingJobName === 'string'
      ? `SageMaker training job ${job.TrainingJobName}`
      : 'SageMaker training job';
  const status = String(job.TrainingJobStatus);
  const failureReason = typeof job.FailureReason === 'string' ? job.FailureReason.trim() : '';
  if (failureReason) return `${name} ${status}: ${failureReason}`;
  const secondary = typeof job.SecondaryStatus === 'string' ? ` (${job.SecondaryStatus})` : '';
  return `${name} ended with status ${status}${secondary} and no failure reason`;
}

function parseObject(text: string): Readonly<Record<string, unknown>> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    // A Cause that merely starts with "{" is still a plain message.
    return undefined;
  }
}

/**
 * Shortens text to at most `max` characters, saying how much was cut.
 *
 * @param text - the text
 * @param max - the longest result allowed
 */
export function truncate(text: string, max = MAX_REASON_CHARS): string {
  if (text.length <= max) return text;
  const marker = (cut: number) => `... [${cut} more characters]`;
  let keep = max - marker(text.length).length;
  // Do not split a UTF-16 surrogate pair.
  const last = text.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return `${text.slice(0, keep)}${marker(text.length - keep)}`;
}
