/**
 * Task tokens of `.waitForTaskToken` Tasks, as Step Functions hands them out and takes them back through
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token;
 * errors per https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
 *
 * A token stands for one attempt of one Task state: a Retry gets a new one. It ends once: with the output
 * sent, the error sent, or the state's timeout; afterwards the API answers TaskTimedOut ("the task token has
 * either expired or the task associated with the token has already been closed").
 */
import { randomBytes } from 'node:crypto';
import { taskFailure } from './executor';

/** An error of the Step Functions API (awsJson1_0: `__type` is the name). */
export class StepFunctionsApiError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = name;
  }
}

/** What a token's Task waits with. */
export interface TaskTokenWait {
  /** The state's TimeoutSeconds (the local executor times the Task out at the same moment). */
  readonly timeoutSeconds: number;
  /** The state's HeartbeatSeconds: no heartbeat for that long ends the Task with States.Timeout. */
  readonly heartbeatSeconds?: number | undefined;
}

interface OpenTask {
  readonly executionArn: string;
  readonly stateName: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  timers: NodeJS.Timeout[];
  heartbeat?: NodeJS.Timeout;
  readonly heartbeatSeconds?: number | undefined;
}

/** The longest token SendTaskSuccess takes (taskToken: 1-2048 characters). */
const MAX_TOKEN_LENGTH = 2048;
/** The largest output SendTaskSuccess takes (output: at most 262144 characters). */
const MAX_OUTPUT_LENGTH = 262_144;
/** SendTaskFailure: error at most 256 characters, cause at most 32768 (API reference, Request Parameters). */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

/** The token's payload, so that a token from elsewhere is told apart from one this runtime closed. */
interface TokenPayload {
  readonly v: 1;
  readonly x: string;
  readonly s: string;
  readonly r: string;
}

/** Every task token of a runtime: open ones resolve their Task, closed ones are remembered for the errors. */
export class TaskTokens {
  private readonly open = new Map<string, OpenTask>();
  private readonly closed = new Set<string>();

  /** A new token for an attempt of `stateName` in `executionArn`. */
  mint(executionArn: string, stateName: string): string {
    const payload: TokenPayload = { v: 1, x: executionArn, s: stateName, r: randomBytes(24).toString('hex') };
    return `AQ${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  }

  /**
   * Waits for the token to be sent back; registered before the Task's work starts, since that work (a Lambda)
   * may call SendTaskSuccess before it returns. Rejects with the sent error, or States.Timeout.
   */
  wait(token: string, wait: TaskTokenWait): Promise<unknown> {
    const payload = decode(token);
    if (!payload) throw new Error(`not a token of this runtime: ${token.slice(0, 40)}`);
    return new Promise((resolve, reject) => {
      const task: OpenTask = {
        executionArn: payload.x,
        stateName: payload.s,
        resolve,
        reject,
        timers: [],
        heartbeatSeconds: wait.heartbeatSeconds,
      };
      this.open.set(token, task);
      task.timers.push(
        setTimeout(
          () => this.close(token, taskFailure('States.Timeout', 'The task timed out.')),
          timerMs(wait.timeoutSeconds),
        ),
      );
      this.armHeartbeat(token, task);
    });
  }

  /** The open tokens, oldest first (tests, diagnostics). */
  get pending(): readonly { token: string; executionArn: string; stateName: string }[] {
    return [...this.open].map(([token, task]) => ({
      token,
      executionArn: task.executionArn,
      stateName: task.stateName,
    }));
  }

  /** SendTaskSuccess: the Task's result is `output` (a JSON text). */
  sendSuccess(token: unknown, output: unknown): void {
    const task = this.task(token);
    if (typeof output !== 'string' || output.length > MAX_OUTPUT_LENGTH) {
      throw new StepFunctionsApiError(
        typeof output === 'string' ? 'InvalidOutput' : 'ValidationException',
        typeof output === 'string'
          ? `Output exceeds the maximum of ${MAX_OUTPUT_LENGTH} characters`
          : "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null",
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch (error) {
      throw new StepFunctionsApiError('InvalidOutput', `Invalid Output: '${(error as Error).message}'`);
    }
    this.closed.add(token as string);
    this.open.delete(token as string);
    clear(task);
    task.resolve(parsed);
  }

  /** SendTaskFailure: the Task fails with `error` and `cause`, as Retry and Catch see them. */
  sendFailure(token: unknown, error?: unknown, cause?: unknown): void {
    this.task(token);
    if (typeof error === 'string' && error.length > MAX_ERROR_LENGTH)
      throw lengthError('error', MAX_ERROR_LENGTH);
    if (typeof cause === 'string' && cause.length > MAX_CAUSE_LENGTH)
      throw lengthError('cause', MAX_CAUSE_LENGTH);
    this.close(
      token as string,
      taskFailure(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : ''),
    );
  }

  /** SendTaskHeartbeat: the Task's HeartbeatSeconds start again. */
  sendHeartbeat(token: unknown): void {
    const task = this.task(token);
    this.armHeartbeat(token as string, task);
  }

  /** Closes a token whose Task failed on its own (the call that was to hand the token out threw). */
  cancel(token: string, error: Error): void {
    this.close(token, error);
  }

  /** Ends every open Task (the runtime stops): their executions fail with States.Timeout. */
  closeAll(): void {
    for (const token of [...this.open.keys()])
      this.close(token, taskFailure('States.Timeout', 'The local runtime stopped.'));
  }

  private armHeartbeat(token: string, task: OpenTask): void {
    if (task.heartbeatSeconds === undefined) return;
    if (task.heartbeat) clearTimeout(task.heartbeat);
    // The ASL spec: States.Timeout is also "failed to heartbeat for a time longer than HeartbeatSeconds".
    task.heartbeat = setTimeout(
      () => this.close(token, taskFailure('States.Timeout', 'The task failed to send a heartbeat in time.')),
      timerMs(task.heartbeatSeconds),
    );
  }

  private close(token: string, error: Error): void {
    const task = this.open.get(token);
    if (!task) return;
    this.open.delete(token);
    this.closed.add(token);
    clear(task);
    task.reject(error);
  }

  /** The open Task of a token, or the error the API answers. */
  private task(token: unknown): OpenTask {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and ${MAX_TOKEN_LENGTH}`,
      );
    }
    const open = this.open.get(token);
    if (open) return open;
    if (this.closed.has(token))
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task is closed');
    if (!decode(token)) throw new StepFunctionsApiError('InvalidToken', `Invalid Token: '${token}'`);
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Task Does Not Exist');
  }
}

/**
 * A timer's delay for `seconds`: Node fires a setTimeout over 2^31-1 ms (about 24.8 days) at once, and
 * TimeoutSeconds may be up to 99999999; longer waits are cut to the longest Node keeps.
 */
function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, 2 ** 31 - 1);
}

function clear(task: OpenTask): void {
  for (const timer of task.timers) clearTimeout(timer);
  if (task.heartbeat) clearTimeout(task.heartbeat);
}

function lengthError(field: string, max: number): StepFunctionsApiError {
  return new StepFunctionsApiError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );
}

function decode(token: string): TokenPayload | undefined {
  if (!token.startsWith('AQ')) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8')) as TokenPayload;
    return payload.v === 1 && typeof payload.x === 'string' && typeof payload.s === 'string'
      ? payload
      : undefined;
  } catch {
    return undefined;
  }
}

/** What `$$.Task.Token` reads in an execution: replaced by a fresh token in the Task's input (see runtime.ts). */
export function taskTokenPlaceholder(executionArn: string): string {
  return `$$.Task.Token(${executionArn})`;
}

/** The input with every occurrence of `placeholder` (whole or inside a string) replaced by `token`. */
export function withToken(
  input: unknown,
  placeholder: string,
  token: string,
): { value: unknown; found: boolean } {
  let found = false;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (!value.includes(placeholder)) return value;
      found = true;
      return value.split(placeholder).join(token);
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return { value: walk(input), found };
}
