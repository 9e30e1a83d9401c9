/**
 * ReconcileExecution: closes the run of a training execution that ended without RegisterModel or
 * RecordFailure closing it (timed out, aborted, or failed with an error no Catch handles).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describeFailure, truncate } from '../shared/failures';
import { MetricDimensions, MetricNames } from '../shared/metric-names';
import { type ModelRegistryClient, RunNotFoundError, RunStatusConflictError } from '../shared/registry';
import { runIdOfExecution } from '../shared/runs';
import { publishMetric } from '../shared/runtime/metrics';
import * as z from '../shared/zod';

/** Execution statuses that end an execution; the rule routes only these here. */
export type EndedExecutionStatus = 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The `detail` of an EventBridge "Step Functions Execution Status Change" event. */
export interface ExecutionStatusChangeDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: string;
  /** The execution input as a JSON string (null when Step Functions left it out). */
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
}

export interface ExecutionStatusChangeEvent {
  readonly 'detail-type'?: string;
  readonly detail: ExecutionStatusChangeDetail;
}

/**
 * The EventBridge "Step Functions Execution Status Change" event (fields as Step Functions documents them;
 * `input`, `error` and `cause` may be null).
 */
export const executionStatusChangeSchema = z.object({
  'detail-type': z.exactOptional(z.string()),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    stateMachineArn: z.string(),
    status: z.string(),
    input: z.exactOptional(z.nullable(z.string())),
    error: z.exactOptional(z.nullable(z.string())),
    cause: z.exactOptional(z.nullable(z.string())),
  }),
}) satisfies z.ZodMiniType<ExecutionStatusChangeEvent>;

/** Why nothing was changed. */
export type SkipReason =
  | 'StatusNotHandled'
  | 'NotADatasetExecution'
  | 'RunNotFound'
  | 'RunAlreadyClosed'
  | 'OtherExecution';

export type ReconcileResult =
  | { readonly action: 'Closed'; readonly runId: string; readonly error: string; readonly cause: string }
  | { readonly action: 'Skipped'; readonly reason: SkipReason; readonly runId?: string };

export interface ReconcileDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getRun' | 'updateRun'>;
  readonly logger: Logger;
  /**
   * Where RunFailed is published for a run this closes (RecordFailure never saw it fail).
   * @default - none published
   */
  readonly metrics?: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

const ERRORS: { readonly [S in EndedExecutionStatus]: string } = {
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'ExecutionTimedOut',
  ABORTED: 'ExecutionAborted',
};

/**
 * Marks the execution's run Failed when it is still Running and owned by this execution; otherwise changes
 * nothing and logs why. Safe to deliver twice or out of order: the update applies only to a Running run
 * (expectedStatus), so a run closed meanwhile, by RecordFailure, RegisterModel or an earlier delivery,
 * stays as it is.
 */
export async function reconcileExecution(
  event: ExecutionStatusChangeEvent,
  deps: ReconcileDependencies,
): Promise<ReconcileResult> {
  const { logger, registry } = deps;
  const { executionArn, status } = event.detail;
  logger.appendKeys({ executionArn, executionStatus: status });
  if (!isEnded(status)) {
    logger.info('Execution status is not one this function closes runs for; nothing to do');
    return { action: 'Skipped', reason: 'StatusNotHandled' };
  }

  const runId = await runIdOfExecution(event.detail.input, registry);
  if (runId === undefined) {
    logger.info(
      'Execution input names no run (not a dataset upload or a retry of a known run); no run to close',
    );
    return { action: 'Skipped', reason: 'NotADatasetExecution' };
  }
  logger.appendKeys({ runId });
  logger.setCorrelationId(runId);

  const run = await registry.getRun(runId);
  if (run === undefined) {
    logger.info('No run recorded for this execution (it ended before StartRun recorded one)');
    return { action: 'Skipped', reason: 'RunNotFound', runId };
  }
  if (run.executionArn !== executionArn) {
    logger.info('Another execution owns this run (a duplicate delivery); leaving it to that execution', {
      ownerExecutionArn: run.executionArn,
    });
    return { action: 'Skipped', reason: 'OtherExecution', runId };
  }
  if (run.status !== 'Running') {
    logger.info('Run already closed; nothing to do', { runStatus: run.status });
    return { action: 'Skipped', reason: 'RunAlreadyClosed', runId };
  }

  const { error, cause } = explain(event.detail, status, run.step);
  try {
    await registry.updateRun(
      runId,
      {
        status: 'Failed',
        error,
        cause,
        ...(run.step ? { step: run.step } : {}),
        endedAt: (deps.clock ?? (() => new Date()))(),
      },
      { expectedStatus: 'Running' },
    );
  } catch (failure) {
    // Closed (or deleted) between the read and the write: whoever closed it knew better.
    if (failure instanceof RunStatusConflictError || failure instanceof RunNotFoundError) {
      logger.info('Run closed meanwhile; nothing to do', { problem: failure.message });
      return { action: 'Skipped', reason: 'RunAlreadyClosed', runId };
    }
    throw failure;
  }
  logger.warn('Execution ended without closing its run; marked the run Failed', { error, cause });
  if (deps.metrics !== undefined) {
    publishMetric(deps.metrics, MetricNames.runFailed, 1, {
      model: run.model,
      ...(run.step ? { breakdown: { [MetricDimensions.step]: run.step } } : {}),
      metadata: { runId, error },
    });
  }
  return { action: 'Closed', runId, error, cause };
}

function isEnded(status: string): status is EndedExecutionStatus {
  return Object.hasOwn(ERRORS, status);
}

/** The error name and the sentence recorded on the run. */
export function explain(
  detail: Pick<ExecutionStatusChangeDetail, 'executionArn' | 'error' | 'cause'>,
  status: EndedExecutionStatus,
  step: string | undefined,
): { readonly error: string; readonly cause: string } {
  const where = step ? ` during ${step}` : '';
  const execution = detail.executionArn.split(':').at(-1) ?? detail.executionArn;
  const given = detail.cause?.trim() ?? '';
  switch (status) {
    case 'TIMED_OUT':
      return {
        error: ERRORS.TIMED_OUT,
        cause: truncate(
          `Execution ${execution} exceeded the state machine timeout${where} and was stopped before the run was closed${given ? `: ${given}` : ''}`,
        ),
      };
    case 'ABORTED':
      return {
        error: ERRORS.ABORTED,
        cause: truncate(
          `Execution ${execution} was stopped (aborted)${where} before the run was closed${given ? `: ${given}` : ''}`,
        ),
      };
    case 'FAILED': {
      const error = detail.error?.trim() || ERRORS.FAILED;
      const reason = given ? describeFailure({ Error: error, Cause: given }).reason : 'no cause given';
      return {
        error,
        cause: truncate(
          `Execution ${execution} failed${where} with ${error}, which no Catch handled, before the run was closed: ${reason}`,
        ),
      };
    }
  }
}
