/**
 * `mlops runs retry <run-id> [--reason …] [--wait]`: asks the stack to run an ended run's dataset version
 * again, as a new run linked to the first. The CLI only sends the request (one EventBridge event on the
 * stack's bus); the RetryRequested rule starts the training workflow, whose StartRun records the new run
 * (forced: a dataset already trained is trained again) and the RunRetried audit event.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RUN_RETRY_REQUESTED, type RunRetryRequestedDetail, retryRunId } from '../lambdas/shared/events';
import type { ModelRegistryClient } from '../lambdas/shared/registry';
import { CliError } from './errors';
import { checkReason, currentOperator, putEvent } from './operator-events';
import { showRun } from './runs';

export interface RetryDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getRun'>;
  readonly events: EventBridgeClient;
  /** The stack's bus (name or ARN). */
  readonly eventBus: string;
}

export interface RetryOptions {
  readonly reason?: string | undefined;
  /** @default `<os user>@<host>` */
  readonly requestedBy?: string | undefined;
  /** @default a new UUID */
  readonly requestId?: string | undefined;
}

/** What was sent, and the run it starts. */
export interface RetryRequest extends RunRetryRequestedDetail {
  readonly model: string;
  /** The new run's id, derived from the request as StartRun derives it. */
  readonly runId: string;
  /** EventBridge's id of the event sent. */
  readonly eventId: string;
}

/**
 * Checks the run has ended and sends the retry request.
 *
 * @throws NotFoundError for an unknown run; CliError for a run still Running or a refused event;
 *   UsageError for an empty or too long reason
 */
export async function requestRetry(
  deps: RetryDependencies,
  runId: string,
  options: RetryOptions = {},
): Promise<RetryRequest> {
  const reason = checkReason(options.reason);
  const run = await showRun(deps.registry, runId);
  if (run.status === 'Running') {
    const step = run.step === undefined ? '' : ` (in ${run.step})`;
    throw new CliError(
      `Run ${run.runId} is still Running${step}: only a run that ended (Failed or Succeeded) can be retried`,
    );
  }
  const detail: RunRetryRequestedDetail = {
    retryOf: run.runId,
    requestId: options.requestId ?? randomUUID(),
    requestedBy: options.requestedBy ?? currentOperator(),
    ...(reason === undefined ? {} : { reason }),
  };
  const sent = await putEvent(deps, RUN_RETRY_REQUESTED, detail);
  if ('refused' in sent) {
    throw new CliError(
      `EventBridge refused the retry request for run ${run.runId} on bus ${deps.eventBus} (${sent.refused})`,
    );
  }
  return { ...detail, model: run.model, runId: retryRunId(run, detail.requestId), eventId: sent.eventId };
}

/** What was requested, and how to follow it. */
export function renderRetry(request: RetryRequest): string {
  return (
    `Requested a retry of run ${request.retryOf}: run ${request.runId} starts for ${request.model} ` +
    `(forced: trained even if the data was trained before).\n` +
    `Follow it with \`mlops runs show ${request.runId}\`, or retry with --wait.\n`
  );
}
