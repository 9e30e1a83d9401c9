/** The version argument of `models show`, `approve`, `reject`, `deploy`, `rollback` and `predict`. */
import { UsageError } from '../errors';

/**
 * `3` or `v3`.
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
