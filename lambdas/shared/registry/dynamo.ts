import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import { RetriesExhaustedError } from './errors';

/** Codes DynamoDB puts in a cancelled transaction's CancellationReasons. */
export const CONDITION_FAILED = 'ConditionalCheckFailed';
export const TRANSACTION_CONFLICT = 'TransactionConflict';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  readonly maxAttempts: number;
  /** Upper bound of the first back-off; it doubles per attempt up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 60, baseDelayMs: 10, maxDelayMs: 200 };

/** Returned by an attempt that lost a race and should run again after a back-off. */
export const RETRY: unique symbol = Symbol('retry');

/**
 * Runs `attempt` until it returns a value, backing off with full jitter between attempts that return RETRY
 * (spreads contenders out so that one of them wins each round).
 * @throws RetriesExhaustedError after policy.maxAttempts attempts
 */
export async function withRetry<T>(
  operation: string,
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T | typeof RETRY>,
): Promise<T> {
  for (let n = 1; n <= policy.maxAttempts; n++) {
    const result = await attempt(n);
    if (result !== RETRY) return result;
    if (n < policy.maxAttempts) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
  throw new RetriesExhaustedError(operation, policy.maxAttempts);
}

/** The per-item reasons of a cancelled TransactWriteItems, or undefined for any other error. */
export function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  // Matched by name: two copies of the SDK in one bundle would defeat instanceof.
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
  return reasons ?? [];
}

/** Another transaction held one of the items: not a verdict on our conditions, so worth retrying. */
export function hasTransactionConflict(reasons: readonly CancellationReason[]): boolean {
  return reasons.some((reason) => reason.Code === TRANSACTION_CONFLICT);
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** A single-item write that collided with a transaction in flight on the same item. */
export function isTransactionConflict(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionConflictException';
}

/** The old item attached to a failed condition (ReturnValuesOnConditionCheckFailure ALL_OLD). */
export function oldItemOf(error: unknown): Record<string, AttributeValue> | undefined {
  return (error as { Item?: Record<string, AttributeValue> }).Item;
}

/** Reads a number attribute from an item in wire format (errors are not unmarshalled by lib-dynamodb). */
export function numberAttribute(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

export function stringAttribute(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): string | undefined {
  return item?.[name]?.S;
}
