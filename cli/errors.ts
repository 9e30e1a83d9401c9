/**
 * How the `mlops` CLI fails: one clear line on stderr and an exit code, never a stack trace.
 * 1 = the command could not do its job (no runtime, unknown model/run/version, a failed run, a timeout);
 * 2 = the command line itself is wrong (usage errors, invalid argument values).
 */
import { RegistryError, ValidationError } from '../lambdas/shared/registry';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An expected failure with a message meant for the operator. */
export class CliError extends Error {
  public override readonly name: string = 'CliError';

  constructor(
    message: string,
    public readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** The arguments are wrong; nothing was sent anywhere. */
export class UsageError extends CliError {
  public override readonly name = 'UsageError';

  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** Something the operator asked about does not exist (model, version, run). */
export class NotFoundError extends CliError {
  public override readonly name = 'NotFoundError';
}

/** What to print and which code to exit with. */
export interface FailureReport {
  readonly message: string;
  readonly exitCode: number;
}

/**
 * Turns anything thrown into one line for people.
 *
 * @param error - what a command threw
 * @param target - where the CLI was pointed, named when the servers cannot be reached
 */
export function describeError(error: unknown, target?: string): FailureReport {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ValidationError) return { message: `Invalid ${error.message}`, exitCode: EXIT_USAGE };
  if (error instanceof RegistryError) return { message: error.message, exitCode: EXIT_FAILURE };
  const network = networkProblem(error);
  if (network !== undefined) {
    const where = target === undefined ? '' : ` ${target}`;
    return { message: `Cannot reach${where}: ${network} (is it still running?)`, exitCode: EXIT_FAILURE };
  }
  return { message: firstLine(serviceMessage(error)), exitCode: EXIT_FAILURE };
}

/** Connection-level codes Node reports when a server is gone or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

function networkProblem(error: unknown): string | undefined {
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  const candidates = error instanceof AggregateError ? [error, ...error.errors] : [error];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      const message = candidate instanceof Error && candidate.message !== '' ? candidate.message : code;
      return message;
    }
  }
  return undefined;
}

/** AWS SDK errors carry the service's error name (e.g. NoSuchBucket) and $metadata; show the name. */
function serviceMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const isService = typeof (error as { $metadata?: unknown }).$metadata === 'object';
  const message = error.message || error.name;
  return isService && !message.startsWith(error.name) ? `${error.name}: ${message}` : message;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() || 'Unknown error';
}
