/**
 * An execution's history in the shapes GetExecutionHistory answers
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): built from the local
 * executor's events (states entered and exited, the execution's start and end) and the Task calls the runtime
 * made (TaskScheduled with the resource and its effective parameters, TaskStarted, TaskSucceeded / TaskFailed),
 * numbered from 1 with previousEventId. Kept live per execution, so a rule reacting to the end of an execution
 * (RunCost) reads the whole history before the execution's record is closed.
 */
import type { EventLog } from './executor';

/** One Task call as the runtime made it. */
export interface TaskCall {
  readonly state: string;
  readonly resource: string;
  /** The effective parameters (the handler's input). */
  readonly parameters: unknown;
  readonly started: number;
  ended?: number;
  output?: unknown;
  error?: { readonly name: string; readonly message: string };
}

/** A HistoryEvent as JSON on the wire (timestamps in epoch seconds). */
export type HistoryEventJson = Record<string, unknown> & {
  id: number;
  previousEventId: number;
  type: string;
};

interface Recording {
  readonly events: EventLog[];
  readonly tasks: TaskCall[];
}

/** Live recordings by execution ARN (the context's Execution.Id). */
const live = new Map<string, Recording>();

/** Starts (or returns) the recording of an execution. */
export function recordingOf(executionArn: string): Recording {
  let recording = live.get(executionArn);
  if (!recording) {
    recording = { events: [], tasks: [] };
    live.set(executionArn, recording);
  }
  return recording;
}

/** The history recorded so far, or undefined if this process never ran the execution. */
export function liveHistory(executionArn: string): HistoryEventJson[] | undefined {
  const recording = live.get(executionArn);
  return recording ? toHistory(recording.events, recording.tasks) : undefined;
}

/** Ends the live recording (the registry keeps the final history). */
export function forgetRecording(executionArn: string): void {
  live.delete(executionArn);
}

/** `arn:aws:states:::lambda:invoke` -> lambda / invoke; `...:::aws-sdk:sagemaker:describeTrainingJob` -> aws-sdk:sagemaker / describeTrainingJob. */
export function resourceParts(resource: string): { resourceType: string; resource: string } | undefined {
  const match = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (!match?.[1]) return undefined;
  const parts = match[1].split(':');
  const name = parts.pop() ?? '';
  return { resourceType: parts.join(':'), resource: name };
}

const json = (value: unknown) => JSON.stringify(value ?? null);

/**
 * The executor's events in their order, each Task call's events right after the entry of its state (the last
 * entry of that state before the call started): a retry's calls follow the same entry, as on AWS.
 */
export function toHistory(events: readonly EventLog[], tasks: readonly TaskCall[]): HistoryEventJson[] {
  type Entry = { at: number; type: string; details?: Record<string, unknown> };
  const ordered: { entry: Entry; state?: string }[] = [];
  for (const event of events) {
    const entry = executorEntry(event);
    if (entry) ordered.push({ entry, ...(event.type === 'StateEntered' ? { state: event.state.name } : {}) });
  }
  const callsAfter = new Map<number, TaskCall[]>();
  const unplaced: TaskCall[] = [];
  for (const call of tasks) {
    let at = -1;
    ordered.forEach((item, index) => {
      if (item.state === call.state && item.entry.at <= call.started) at = index;
    });
    if (at < 0) unplaced.push(call);
    else callsAfter.set(at, [...(callsAfter.get(at) ?? []), call]);
  }
  const entries: Entry[] = [];
  ordered.forEach((item, index) => {
    entries.push(item.entry);
    for (const call of callsAfter.get(index) ?? []) entries.push(...callEntries(call));
  });
  for (const call of unplaced) entries.push(...callEntries(call));
  return entries.map((entry, index) => ({
    id: index + 1,
    previousEventId: index,
    timestamp: entry.at / 1000,
    type: entry.type,
    ...entry.details,
  }));
}

function executorEntry(
  event: EventLog,
): { at: number; type: string; details?: Record<string, unknown> } | undefined {
  const at = event.timestamp;
  switch (event.type) {
    case 'ExecutionStarted':
      return {
        at,
        type: 'ExecutionStarted',
        details: {
          executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false } },
        },
      };
    case 'StateEntered':
      return {
        at,
        type: `${event.state.type}StateEntered`,
        details: { stateEnteredEventDetails: { name: event.state.name, input: json(event.state.input) } },
      };
    case 'StateExited':
      return {
        at,
        type: `${event.state.type}StateExited`,
        details: { stateExitedEventDetails: { name: event.state.name, output: json(event.state.output) } },
      };
    case 'ExecutionSucceeded':
      return {
        at,
        type: 'ExecutionSucceeded',
        details: {
          executionSucceededEventDetails: { output: json(event.output), outputDetails: { truncated: false } },
        },
      };
    case 'ExecutionFailed':
      return {
        at,
        type: 'ExecutionFailed',
        details: { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') } },
      };
    case 'ExecutionAborted':
      return { at, type: 'ExecutionAborted' };
    case 'ExecutionTimeout':
      return { at, type: 'ExecutionTimedOut' };
    default:
      // Retries, catches, Map/Parallel iterations: no HistoryEvent that billing or RunCost reads.
      return undefined;
  }
}

function callEntries(call: TaskCall): { at: number; type: string; details?: Record<string, unknown> }[] {
  const parts = resourceParts(call.resource);
  const ended = call.ended;
  if (parts) {
    return [
      {
        at: call.started,
        type: 'TaskScheduled',
        details: {
          taskScheduledEventDetails: { ...parts, region: 'us-east-1', parameters: json(call.parameters) },
        },
      },
      { at: call.started, type: 'TaskStarted', details: { taskStartedEventDetails: parts } },
      ...(ended === undefined
        ? []
        : [
            call.error
              ? {
                  at: ended,
                  type: 'TaskFailed',
                  details: {
                    taskFailedEventDetails: { ...parts, error: call.error.name, cause: call.error.message },
                  },
                }
              : {
                  at: ended,
                  type: 'TaskSucceeded',
                  details: { taskSucceededEventDetails: { ...parts, output: json(call.output) } },
                },
          ]),
    ];
  }
  // A Lambda function ARN as the Resource: Step Functions' own Lambda events.
  return [
    {
      at: call.started,
      type: 'LambdaFunctionScheduled',
      details: {
        lambdaFunctionScheduledEventDetails: { resource: call.resource, input: json(call.parameters) },
      },
    },
    { at: call.started, type: 'LambdaFunctionStarted' },
    ...(ended === undefined
      ? []
      : [
          call.error
            ? {
                at: ended,
                type: 'LambdaFunctionFailed',
                details: {
                  lambdaFunctionFailedEventDetails: { error: call.error.name, cause: call.error.message },
                },
              }
            : {
                at: ended,
                type: 'LambdaFunctionSucceeded',
                details: { lambdaFunctionSucceededEventDetails: { output: json(call.output) } },
              },
        ]),
  ];
}
