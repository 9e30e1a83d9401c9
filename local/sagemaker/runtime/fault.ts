/**
 * The fault switch: which requests fail as a broken container would (docs/local-serving.md). Set in-process
 * (`runtime.setFault`) or over HTTP on the runtime's own address (`PUT /_local/fault` with a JSON body,
 * `GET` to read it, `DELETE` to clear it), so a demo can break a version of a running `npm start`.
 */
import type { Route } from './routing';

/**
 * Makes matching requests fail as a broken container would: with probability `errorRate` the container
 * answers `status` (default 500), so the caller gets ModelError and the variant's Invocation5XXErrors
 * counts it; `latencyMs` is added to every matching request's model time. Matchers: a string is the exact
 * name (any case), a RegExp is searched; all given matchers must match.
 */
export interface Fault {
  readonly modelName?: string | RegExp;
  readonly endpointConfigName?: string | RegExp;
  readonly endpointName?: string | RegExp;
  /** 0..1 */
  readonly errorRate: number;
  readonly latencyMs?: number;
  /** @default 500 */
  readonly status?: number;
}

const MATCHERS = ['modelName', 'endpointConfigName', 'endpointName'] as const;

/** Throws a RangeError naming what is wrong with a fault. */
export function checkFault(fault: Fault): Fault {
  if (!(fault.errorRate >= 0 && fault.errorRate <= 1)) {
    throw new RangeError(`errorRate must be between 0 and 1, got ${fault.errorRate}`);
  }
  if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0 && fault.latencyMs <= 60_000)) {
    throw new RangeError(`latencyMs must be between 0 and 60000, got ${fault.latencyMs}`);
  }
  if (
    fault.status !== undefined &&
    !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)
  ) {
    throw new RangeError(`status must be an HTTP error status (400 to 599), got ${fault.status}`);
  }
  return fault;
}

export function faultMatches(fault: Fault, chosen: Route, endpointName: string): boolean {
  const matches = (matcher: string | RegExp | undefined, value: string) =>
    matcher === undefined ||
    (typeof matcher === 'string' ? matcher.toLowerCase() === value.toLowerCase() : matcher.test(value));
  return (
    matches(fault.modelName, chosen.variant.modelName) &&
    matches(fault.endpointConfigName, chosen.fleet.endpointConfigName) &&
    matches(fault.endpointName, endpointName)
  );
}

/**
 * A fault from its JSON form: matchers are strings, `/pattern/flags` for a RegExp. Throws a RangeError
 * naming the member that is wrong.
 */
export function faultFromJson(json: unknown): Fault {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RangeError('the body must be a JSON object such as {"modelName": "/-v2-/", "errorRate": 1}');
  }
  const body = json as Record<string, unknown>;
  const known = new Set<string>([...MATCHERS, 'errorRate', 'latencyMs', 'status']);
  const unknown = Object.keys(body).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new RangeError(`unknown member(s) ${unknown.join(', ')}`);
  const number = (key: string): number | undefined => {
    const value = body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number')
      throw new RangeError(`${key} must be a number, got ${JSON.stringify(value)}`);
    return value;
  };
  const errorRate = number('errorRate');
  if (errorRate === undefined) throw new RangeError('errorRate is required (0 to 1)');
  const fault: { -readonly [K in keyof Fault]: Fault[K] } = { errorRate };
  const latencyMs = number('latencyMs');
  if (latencyMs !== undefined) fault.latencyMs = latencyMs;
  const status = number('status');
  if (status !== undefined) fault.status = status;
  for (const key of MATCHERS) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new RangeError(`${key} must be a string, got ${JSON.stringify(value)}`);
    const regex = /^\/(.*)\/([a-z]*)$/s.exec(value);
    try {
      fault[key] = regex ? new RegExp(regex[1] ?? '', regex[2]) : value;
    } catch (error) {
      throw new RangeError(`${key} is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  return checkFault(fault);
}

/** A fault's JSON form (RegExps as `/pattern/flags`). */
export function faultToJson(fault: Fault | undefined): Record<string, unknown> | null {
  if (!fault) return null;
  return Object.fromEntries(
    Object.entries(fault).map(([key, value]) => [key, value instanceof RegExp ? String(value) : value]),
  );
}
