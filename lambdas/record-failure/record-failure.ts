/**
 * RecordFailure: turns what a Step Functions Catch caught into a clear reason, and records it on the run.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describeFailure } from '../shared/failures';
import { MetricDimensions, MetricNames } from '../shared/metric-names';
import { type CaughtError, PipelineErrors, type RunContext } from '../shared/pipeline';
import { InvalidStatusTransitionError, type ModelRegistryClient, RunNotFoundError } from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';

/** RecordFailure's input: `run` is absent only when StartRun itself failed. */
export interface RecordFailureInput {
  readonly run?: RunContext;
  readonly error: CaughtError;
  /** The state that failed, e.g. `TrainModel`. */
  readonly step?: string;
}

/** RecordFailure's result, at `$.failure`; the Fail state shows `error` and `reason`. */
export interface RecordFailureResult {
  readonly runId?: string;
  readonly status: 'Failed';
  readonly error: string;
  readonly reason: string;
}

export interface RecordFailureDependencies {
  readonly registry: Pick<ModelRegistryClient, 'updateRun'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * Marks the run Failed with the error, a clear reason, the failed step and the end time. The registry
 * writes the RunFailed audit event in the same transaction as the status change, so the two cannot part.
 * Repeating it is harmless: a run already Failed is only overwritten with the same facts, and no second
 * event is written. A run that already ended otherwise (Succeeded) is left as it is, and logged.
 */
export async function recordFailure(
  input: RecordFailureInput,
  deps: RecordFailureDependencies,
): Promise<RecordFailureResult> {
  const { logger, metrics, registry } = deps;
  const { error, reason, source } = describeFailure(input.error);
  const context = { step: input.step, error, reason, source };
  // An expected verdict (the data, the contract, the metric) is a WARN; anything else is an ERROR.
  const log = isExpectedVerdict(error) ? logger.warn.bind(logger) : logger.error.bind(logger);
  if (input.run === undefined) {
    log('Pipeline failed before a run was recorded', context);
    return { status: 'Failed', error, reason };
  }

  const { runId, model } = input.run;
  logger.appendKeys({ runId, model });
  logger.setCorrelationId(runId);
  try {
    await registry.updateRun(runId, {
      status: 'Failed',
      error,
      cause: reason,
      ...(input.step ? { step: input.step } : {}),
      endedAt: (deps.clock ?? (() => new Date()))(),
    });
  } catch (failure) {
    // A run that already ended, or was never recorded, must not hide the original failure behind its own.
    const ended = failure instanceof InvalidStatusTransitionError || failure instanceof RunNotFoundError;
    if (!ended) throw failure;
    logger.warn('Run left as it is', { problem: failure.message });
  }
  // [model] for alarms, [model, Step] for the dashboard.
  publishMetric(metrics, MetricNames.runFailed, 1, {
    model,
    breakdown: input.step ? { [MetricDimensions.step]: input.step } : undefined,
    metadata: { runId, error },
  });
  log('Run failed', context);
  return { runId, status: 'Failed', error, reason };
}

const EXPECTED: ReadonlySet<string> = new Set(Object.values(PipelineErrors));

/** Whether a caught error name is one of the pipeline's expected verdicts (PipelineErrors). */
export function isExpectedVerdict(error: string): boolean {
  return EXPECTED.has(error);
}
