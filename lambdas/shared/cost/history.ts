/**
 * What an execution used, read from its GetExecutionHistory events
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html,
 * API_HistoryEvent.html): state transitions as Step Functions bills them, the Lambda invocations with their
 * durations, and the SageMaker training jobs it started.
 */

/** The fields of a HistoryEvent this module reads (the SDK's HistoryEvent fits). */
export interface HistoryEventLike {
  readonly id?: number | undefined;
  readonly previousEventId?: number | undefined;
  readonly type?: string | undefined;
  readonly timestamp?: Date | undefined;
  readonly taskScheduledEventDetails?:
    | {
        readonly resourceType?: string | undefined;
        readonly resource?: string | undefined;
        readonly parameters?: string | undefined;
      }
    | undefined;
  readonly lambdaFunctionScheduledEventDetails?: { readonly resource?: string | undefined } | undefined;
}

/** One Lambda invocation: which function, for how long. */
export interface LambdaInvocation {
  /** The function's name (from its ARN or name as the state called it). */
  readonly functionName: string;
  /** From the task's start to its end, in ms: an upper bound of the billed duration. */
  readonly durationMs: number;
}

export interface ExecutionUsage {
  /**
   * Billed state transitions: every state entered, plus every retry (each retry is charged as another
   * transition: https://aws.amazon.com/step-functions/pricing/, "Step Functions counts a state transition
   * each time a step of your workflow is executed ... including retries").
   */
  readonly stateTransitions: number;
  readonly lambdaInvocations: readonly LambdaInvocation[];
  /** Names of the SageMaker training jobs the execution created (each once). */
  readonly trainingJobs: readonly string[];
}

const ENDED = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut']);
const LAMBDA_ENDED = new Set(['LambdaFunctionSucceeded', 'LambdaFunctionFailed', 'LambdaFunctionTimedOut']);

/** `arn:...:function:name[:qualifier]` or a bare name -> the name. */
export function functionNameOf(reference: string): string {
  const match = /:function:([^:]+)/.exec(reference);
  return match?.[1] ?? reference;
}

/** Reads the usage of one execution from its events, in any order. */
export function usageOf(events: readonly HistoryEventLike[]): ExecutionUsage {
  const sorted = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const byId = new Map(sorted.map((event) => [event.id, event]));
  let stateTransitions = 0;
  let scheduledInState = 0;
  const trainingJobs = new Set<string>();
  const lambdaInvocations: LambdaInvocation[] = [];
  for (const event of sorted) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      stateTransitions += 1;
      scheduledInState = 0;
    } else if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') {
      // A second schedule within one state entry is a retry: billed as one more transition.
      if (scheduledInState > 0) stateTransitions += 1;
      scheduledInState += 1;
      const job = trainingJobOf(event);
      if (job !== undefined) trainingJobs.add(job);
    } else if (ENDED.has(type) || LAMBDA_ENDED.has(type)) {
      const invocation = lambdaInvocationOf(event, byId);
      if (invocation) lambdaInvocations.push(invocation);
    }
  }
  return { stateTransitions, lambdaInvocations, trainingJobs: [...trainingJobs] };
}

/** The training job a SageMaker task scheduled (createTrainingJob[.sync], aws-sdk:sagemaker:createTrainingJob). */
function trainingJobOf(event: HistoryEventLike): string | undefined {
  const details = event.taskScheduledEventDetails;
  if (details?.resourceType !== 'sagemaker' || !details.resource?.startsWith('createTrainingJob'))
    return undefined;
  const parameters = parseObject(details.parameters);
  const name = parameters?.TrainingJobName;
  return typeof name === 'string' ? name : undefined;
}

/** An ended Lambda task, walked back through previousEventId to its start (or schedule) and its function. */
function lambdaInvocationOf(
  ended: HistoryEventLike,
  byId: ReadonlyMap<number | undefined, HistoryEventLike>,
): LambdaInvocation | undefined {
  let started: HistoryEventLike | undefined;
  let cursor = byId.get(ended.previousEventId);
  for (let hops = 0; cursor && hops < 4; hops += 1) {
    if (cursor.type === 'TaskStarted' || cursor.type === 'LambdaFunctionStarted') started ??= cursor;
    if (cursor.type === 'TaskScheduled' || cursor.type === 'LambdaFunctionScheduled') break;
    cursor = byId.get(cursor.previousEventId);
  }
  if (!cursor) return undefined;
  const functionName = lambdaFunctionOf(cursor);
  const from = (started ?? cursor).timestamp;
  if (functionName === undefined || !from || !ended.timestamp) return undefined;
  return { functionName, durationMs: Math.max(0, ended.timestamp.getTime() - from.getTime()) };
}

function lambdaFunctionOf(scheduled: HistoryEventLike): string | undefined {
  if (scheduled.type === 'LambdaFunctionScheduled') {
    const resource = scheduled.lambdaFunctionScheduledEventDetails?.resource;
    return resource === undefined ? undefined : functionNameOf(resource);
  }
  const details = scheduled.taskScheduledEventDetails;
  if (details?.resourceType !== 'lambda' || !details.resource?.startsWith('invoke')) return undefined;
  const name = parseObject(details.parameters)?.FunctionName;
  return typeof name === 'string' ? functionNameOf(name) : undefined;
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
