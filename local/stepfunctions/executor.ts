import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { statesOfType, taskStates } from './definition';
import { recordingOf, type TaskCall } from './history';

/** One execution event (the package does not export its type). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/**
 * The error a Task fails with, shaped as Step Functions reports it: `name` is the Error that Retry and Catch
 * match, the message is the Cause (the local executor hands a Catch `error.message` as Cause).
 */
export function taskFailure(error: string, cause: string): Error {
  const failure = new Error(cause, { cause });
  failure.name = error;
  return failure;
}

/** Runs one Task state locally: receives the state's effective input, returns its result or throws. */
export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

export interface ExecutionOptions {
  /** A handler for every Task state, by state name: a Task without one would call real AWS. */
  readonly tasks: Readonly<Record<string, LocalTaskHandler>>;
  /** The context object ($$): Step Functions fills it, the local executor leaves it empty unless given. */
  readonly context?: {
    readonly Execution: { readonly Id: string; readonly Name: string; readonly StartTime: string };
    /** `$$.Task.Token`: a placeholder the `.waitForTaskToken` handlers replace (see task-tokens.ts). */
    readonly Task?: { readonly Token: string };
  };
  /** Milliseconds to wait between retries, instead of the definition's intervals (tests, demos). */
  readonly retryIntervalMs?: number;
  /** Milliseconds every Wait state waits, instead of what the definition says (tests, demos). */
  readonly waitMs?: number;
  /** Called with each execution event as it happens (progress display). */
  readonly onEvent?: (event: EventLog) => void;
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly EventLog[];
  /** States entered, as Step Functions bills them. */
  readonly stateTransitions: number;
}

/** A definition validated once (validation costs 100-250 ms), run as many times as needed. */
export class LocalStateMachine {
  private readonly machine: StateMachine;
  private readonly taskNames: string[];
  private readonly waitNames: string[];
  /** Each Task state's Resource, by state name. */
  private readonly resources: Map<string, string>;

  constructor(public readonly definition: StateMachineDefinition) {
    this.machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    this.taskNames = taskStates(definition).map((task) => task.name);
    this.resources = new Map(taskStates(definition).map((task) => [task.name, task.resource]));
    this.waitNames = statesOfType(definition, 'Wait');
  }

  async execute(input: unknown, options: ExecutionOptions): Promise<ExecutionResult> {
    const missing = this.taskNames.filter((name) => !options.tasks[name]);
    if (missing.length > 0) throw new Error(`No local handler for Task state(s): ${missing.join(', ')}`);
    const { retryIntervalMs, waitMs, context } = options;
    // GetExecutionHistory's record of this execution: the executor's events and each Task call with its
    // effective parameters and timing (what TaskScheduled / TaskSucceeded report on AWS).
    const recording = context === undefined ? undefined : recordingOf(context.Execution.Id);
    const tasks = recording
      ? Object.fromEntries(
          Object.entries(options.tasks).map(([name, handler]) => [
            name,
            async (input: unknown) => {
              const call: TaskCall = {
                state: name,
                resource: this.resources.get(name) ?? '',
                parameters: input,
                started: Date.now(),
              };
              recording.tasks.push(call);
              try {
                const output = await handler(input);
                call.output = output;
                return output;
              } catch (error) {
                const failure = error instanceof Error ? error : new Error(String(error));
                call.error = { name: failure.name, message: failure.message };
                throw error;
              } finally {
                call.ended = Date.now();
              }
            },
          ]),
        )
      : options.tasks;
    const every = (names: readonly string[], ms: number) =>
      Object.fromEntries(names.map((name) => [name, ms]));
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: tasks as Record<string, (input: unknown) => Promise<never>>,
        ...(retryIntervalMs === undefined
          ? {}
          : { retryIntervalOverrides: every(this.taskNames, retryIntervalMs) }),
        ...(waitMs === undefined ? {} : { waitTimeOverrides: every(this.waitNames, waitMs) }),
      },
      ...(context === undefined ? {} : { context }),
    });
    const events: EventLog[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        recording?.events.push(event);
        options.onEvent?.(event);
      }
    })();
    try {
      const output = await execution.result;
      await collecting;
      return { status: 'SUCCEEDED', output, events, stateTransitions: countTransitions(events) };
    } catch (error) {
      await collecting;
      if (!(error instanceof ExecutionError)) throw error;
      const failure = events.find((event) => event.type === 'ExecutionFailed') as
        | { Error?: string; Cause?: unknown }
        | undefined;
      return {
        status: 'FAILED',
        error: failure?.Error ?? error.name,
        cause: failure?.Cause === undefined ? error.message : String(failure.Cause),
        events,
        stateTransitions: countTransitions(events),
      };
    }
  }
}

function countTransitions(events: readonly EventLog[]): number {
  return events.filter((event) => event.type === 'StateEntered').length;
}
