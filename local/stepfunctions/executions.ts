/**
 * The executions of the runtime's state machines as the Step Functions API sees them: StartExecution with its
 * name rules and idempotency, DescribeExecution, ListExecutions
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
 * API_DescribeExecution.html, API_ListExecutions.html). Executions started by rules, schedules and the API
 * all go through here; the runner (the app's, or the runtime's own) runs them. Kept in
 * `<dir>/executions.json` so that a name stays taken across restarts, as Step Functions keeps it for 90 days.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionResult } from './executor';
import { forgetRecording, type HistoryEventJson, liveHistory } from './history';
import { StepFunctionsApiError } from './task-tokens';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as DescribeExecution answers (dates as epoch milliseconds here). */
export interface ExecutionRecord {
  readonly executionArn: string;
  /** As the caller named it (a template may build its own ARN: its account, its StateMachineName). */
  readonly stateMachineArn: string;
  /** The runtime's ARN of that state machine. */
  readonly machine: string;
  readonly name: string;
  status: ExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
  /** The input, as the JSON text it was started with. */
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** The context object's Execution fields ($$.Execution) of a new execution. */
export interface ExecutionContext {
  readonly Execution: { readonly Id: string; readonly Name: string; readonly StartTime: string };
}

/** Runs an execution to its end: the app's runner (events, observers) or the runtime's. */
export type ExecutionRunner = (
  stateMachineArn: string,
  input: unknown,
  context: ExecutionContext,
) => Promise<ExecutionResult>;

/** An execution just started, or the running one an idempotent StartExecution found. */
export interface StartedExecution {
  readonly execution: ExecutionRecord;
  /** False when StartExecution found this execution already running with the same input. */
  readonly started: boolean;
  /** Settles with the result once the execution ends (at once for one found running: its first result). */
  readonly result: Promise<ExecutionResult>;
}

/** Names: 1-80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or control characters. */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
const isControl = (name: string) =>
  [...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
/** StartExecution's input: at most 256 KiB (Step Functions service quotas, "maximum input or output size"). */
const MAX_INPUT_BYTES = 262_144;

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[^:]{1,80}$/;

export class ExecutionRegistry {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly results = new Map<string, Promise<ExecutionResult>>();
  /** Histories of ended executions (in memory: an execution from before a restart answers its start and end). */
  private readonly histories = new Map<string, HistoryEventJson[]>();
  private readonly file: string | undefined;

  /**
   * @param stateMachines the state machines that exist: each name it answers to (its StateMachineName, its
   *   local name) to the runtime's ARN. The account in a caller's ARN is not checked: a template synthesized
   *   for another account calls its state machines by that account's ARNs.
   * @param runner runs an execution; replace it with {@link setRunner} (the app does)
   * @param dir where executions.json is kept; none keeps them in memory only
   */
  constructor(
    private readonly stateMachines: ReadonlyMap<string, string>,
    private runner: ExecutionRunner,
    dir?: string,
  ) {
    this.file = dir === undefined ? undefined : join(dir, 'executions.json');
    if (this.file && existsSync(this.file)) {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as ExecutionRecord[];
      for (const record of saved) {
        // The process that ran it is gone: nothing will finish it.
        if (record.status === 'RUNNING') {
          record.status = 'ABORTED';
          record.stopDate = Date.now();
          record.cause = 'The local runtime stopped while the execution ran.';
        }
        this.executions.set(record.executionArn, record);
      }
    }
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
  }

  setRunner(runner: ExecutionRunner): void {
    this.runner = runner;
  }

  /**
   * StartExecution. A name in use: the running execution when the input is the same, else
   * ExecutionAlreadyExists (always, once that execution has closed). No name: a UUID, as Step Functions does.
   * @throws StepFunctionsApiError InvalidArn, StateMachineDoesNotExist, InvalidName, InvalidExecutionInput,
   *   ExecutionAlreadyExists
   */
  start(stateMachineArn: unknown, name?: unknown, input?: unknown): StartedExecution {
    if (typeof stateMachineArn !== 'string' || stateMachineArn.length === 0)
      throw new StepFunctionsApiError(
        'ValidationException',
        "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
      );
    const machine = this.machineOf(stateMachineArn);
    const executionName = name === undefined || name === null ? randomUUID() : name;
    if (
      typeof executionName !== 'string' ||
      executionName.length < 1 ||
      executionName.length > 80 ||
      NAME_FORBIDDEN.test(executionName) ||
      isControl(executionName)
    )
      throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${String(executionName)}'`);
    const text = input === undefined || input === null ? '{}' : input;
    if (typeof text !== 'string')
      throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES)
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'the input exceeds ${MAX_INPUT_BYTES} bytes'`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:').concat(`:${executionName}`);
    const existing = this.executions.get(executionArn);
    if (existing) {
      const result = this.results.get(executionArn);
      if (existing.status === 'RUNNING' && existing.input === text && result)
        return { execution: existing, started: false, result };
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      machine,
      name: executionName,
      status: 'RUNNING',
      startDate: Date.now(),
      input: text,
    };
    this.executions.set(executionArn, record);
    this.save();
    const context: ExecutionContext = {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date(record.startDate).toISOString(),
      },
    };
    // Through a promise, so that a runner that throws at once still ends its execution (ABORTED).
    const result = Promise.resolve()
      .then(() => this.runner(machine, parsed, context))
      .then(
        (outcome) => {
          record.status = outcome.status;
          record.stopDate = Date.now();
          this.keepHistory(executionArn);
          if (outcome.status === 'SUCCEEDED') record.output = JSON.stringify(outcome.output ?? null);
          if (outcome.error !== undefined) record.error = outcome.error;
          if (outcome.cause !== undefined) record.cause = outcome.cause;
          this.save();
          return outcome;
        },
        (error: unknown) => {
          // The local executor itself gave up (a Task without a handler, ...): no end state was reached.
          record.status = 'ABORTED';
          record.stopDate = Date.now();
          record.cause = error instanceof Error ? error.message : String(error);
          this.keepHistory(executionArn);
          this.save();
          throw error;
        },
      );
    this.results.set(executionArn, result);
    void result.catch(() => undefined);
    return { execution: record, started: true, result };
  }

  /**
   * DescribeExecution.
   * @throws StepFunctionsApiError InvalidArn, ExecutionDoesNotExist
   */
  describe(executionArn: unknown): ExecutionRecord {
    if (typeof executionArn !== 'string' || !EXECUTION_ARN.test(executionArn))
      throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    const record = this.executions.get(executionArn);
    if (!record)
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /**
   * ListExecutions of one state machine, newest first, optionally of one status; pages of `maxResults`
   * (0 or absent: 100; at most 1000) with an opaque nextToken.
   * @throws StepFunctionsApiError InvalidArn, StateMachineDoesNotExist, InvalidToken, ValidationException
   */
  list(request: {
    stateMachineArn?: unknown;
    statusFilter?: unknown;
    maxResults?: unknown;
    nextToken?: unknown;
  }): { executions: ExecutionRecord[]; nextToken?: string } {
    const { statusFilter } = request;
    const machine = this.machineOf(request.stateMachineArn);
    const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
    if (statusFilter !== undefined && !statuses.includes(String(statusFilter)))
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value '${String(statusFilter)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(', ')}]`,
      );
    const max = typeof request.maxResults === 'number' && request.maxResults > 0 ? request.maxResults : 100;
    if (max > 1000)
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      );
    let offset = 0;
    if (request.nextToken !== undefined) {
      const decoded = /^local-page-(\d+)$/.exec(
        Buffer.from(String(request.nextToken), 'base64url').toString('utf8'),
      );
      if (!decoded)
        throw new StepFunctionsApiError('InvalidToken', `Invalid Token: '${String(request.nextToken)}'`);
      offset = Number(decoded[1]);
    }
    const all = [...this.executions.values()]
      .filter((e) => e.machine === machine)
      .filter((e) => statusFilter === undefined || e.status === statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const page = all.slice(offset, offset + max);
    return offset + max < all.length
      ? { executions: page, nextToken: Buffer.from(`local-page-${offset + max}`).toString('base64url') }
      : { executions: page };
  }

  /**
   * GetExecutionHistory: the execution's events, oldest first unless `reverseOrder`, in pages of `maxResults`
   * (0 or absent: 100; at most 1000) with an opaque nextToken
   * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html). Without
   * `includeExecutionData` the inputs and outputs are left out, as AWS does.
   * @throws StepFunctionsApiError InvalidArn, ExecutionDoesNotExist, InvalidToken, ValidationException
   */
  history(request: {
    executionArn?: unknown;
    maxResults?: unknown;
    reverseOrder?: unknown;
    nextToken?: unknown;
    includeExecutionData?: unknown;
  }): { events: HistoryEventJson[]; nextToken?: string } {
    const record = this.describe(request.executionArn);
    const max = typeof request.maxResults === 'number' && request.maxResults > 0 ? request.maxResults : 100;
    if (max > 1000)
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      );
    let offset = 0;
    if (request.nextToken !== undefined && request.nextToken !== null) {
      const decoded = /^local-history-(\d+)$/.exec(
        Buffer.from(String(request.nextToken), 'base64url').toString('utf8'),
      );
      if (!decoded)
        throw new StepFunctionsApiError('InvalidToken', `Invalid Token: '${String(request.nextToken)}'`);
      offset = Number(decoded[1]);
    }
    let events =
      this.histories.get(record.executionArn) ?? liveHistory(record.executionArn) ?? bareHistory(record);
    if (request.reverseOrder === true) events = [...events].reverse();
    if (request.includeExecutionData === false) events = events.map(withoutData);
    const page = events.slice(offset, offset + max);
    return offset + max < events.length
      ? { events: page, nextToken: Buffer.from(`local-history-${offset + max}`).toString('base64url') }
      : { events: page };
  }

  /** Moves an ended execution's live history into the registry. */
  private keepHistory(executionArn: string): void {
    const history = liveHistory(executionArn);
    if (history) this.histories.set(executionArn, history);
    forgetRecording(executionArn);
  }

  /** The runtime's ARN of the state machine an ARN names. */
  private machineOf(stateMachineArn: unknown): string {
    const match = typeof stateMachineArn === 'string' ? STATE_MACHINE_ARN.exec(stateMachineArn) : null;
    if (!match) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${String(stateMachineArn)}'`);
    const machine = this.stateMachines.get(match[1] ?? '');
    if (!machine)
      throw new StepFunctionsApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn as string}'`,
      );
    return machine;
  }

  /** Every execution, oldest first (tests, progress). */
  all(): readonly ExecutionRecord[] {
    return [...this.executions.values()];
  }

  /** Resolves once every running execution has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.results.values()]);
  }

  private save(): void {
    if (!this.file) return;
    writeFileSync(this.file, JSON.stringify([...this.executions.values()]));
  }
}

/** The history of an execution this process did not run: its start, and its end once it has one. */
function bareHistory(record: ExecutionRecord): HistoryEventJson[] {
  const events: HistoryEventJson[] = [
    {
      id: 1,
      previousEventId: 0,
      timestamp: record.startDate / 1000,
      type: 'ExecutionStarted',
      executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false } },
    },
  ];
  const ends: Record<string, string> = {
    SUCCEEDED: 'ExecutionSucceeded',
    FAILED: 'ExecutionFailed',
    TIMED_OUT: 'ExecutionTimedOut',
    ABORTED: 'ExecutionAborted',
  };
  const end = ends[record.status];
  if (end !== undefined)
    events.push({
      id: 2,
      previousEventId: 1,
      timestamp: (record.stopDate ?? record.startDate) / 1000,
      type: end,
    });
  return events;
}

/** A history event without the execution data (inputs, outputs, parameters) AWS leaves out when asked to. */
function withoutData(event: HistoryEventJson): HistoryEventJson {
  const copy: HistoryEventJson = { ...event };
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const {
      input: _input,
      output: _output,
      parameters: _parameters,
      ...rest
    } = value as Record<string, unknown>;
    copy[key] = rest;
  }
  return copy;
}
