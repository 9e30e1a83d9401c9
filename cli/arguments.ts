/**
 * Argument rules shared by the command parsers (which report them as usage errors) and the command
 * functions (which check them again, since tests and other callers reach them without commander).
 */
import {
  MODEL_NAME_PATTERN,
  MODEL_NAME_RULE,
  RUN_STATUSES,
  type RunStatus,
} from '../lambdas/shared/registry';
import { UsageError } from './errors';

/**
 * @returns the name, if the registry accepts it
 * @throws UsageError naming the name and the rule
 */
export function parseModelName(value: string): string {
  if (!MODEL_NAME_PATTERN.test(value)) {
    throw new UsageError(`Invalid model name "${value}": expected ${MODEL_NAME_RULE}`);
  }
  return value;
}

/** @throws UsageError unless `value` is an integer in min..max */
export function parseInteger(value: string, what: string, min: number, max: number): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`Invalid ${what} "${value}": expected an integer from ${min} to ${max}`);
  }
  return number;
}

/** @throws UsageError unless `value` is a positive number of seconds (fractions allowed) */
export function parseSeconds(value: string, what: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`Invalid ${what} "${value}": expected a positive number of seconds`);
  }
  return seconds;
}

/** @throws UsageError unless `value` is one of the run statuses (any case: `failed` is Failed) */
export function parseRunStatus(value: string): RunStatus {
  const status = RUN_STATUSES.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (status === undefined) {
    throw new UsageError(`Invalid run status "${value}": expected one of ${RUN_STATUSES.join(', ')}`);
  }
  return status;
}

/**
 * The version argument of `models show`, `approve`, `reject`, `deploy`, `rollback` and `predict`: `3` or `v3`.
 *
 * @throws UsageError naming `what` and the value unless it is a version number from 1
 */
export function parseVersion(value: string, what: string): number {
  const number = /^v?\d+$/i.test(value.trim()) ? Number(value.trim().replace(/^v/i, '')) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`Invalid ${what} "${value}": expected a version number, e.g. 3 or v3`);
  }
  return number;
}
