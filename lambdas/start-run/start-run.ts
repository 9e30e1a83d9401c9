/**
 * StartRun: names the model and the run from what started the execution (an upload, or a retry request)
 * and records the run, exactly once per object version or request.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  OBJECT_CREATED,
  type ObjectCreatedDetail,
  type RunRetryRequestedDetail,
  retryRunId,
} from '../shared/events';
import { MetricNames } from '../shared/metric-names';
import { type DatasetPointer, type RunContext, RunSteps } from '../shared/pipeline';
import type { CreateRunInput, ModelRegistryClient } from '../shared/registry';
import { runForUpload } from '../shared/runs';
import { parseInput, retryRejected } from '../shared/runtime/errors';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import { startRunInputSchema } from './input';

export interface StartRunDependencies {
  readonly registry: Pick<ModelRegistryClient, 'createRun' | 'getRun'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** What StartRun records, before it is recorded. */
interface NewRun {
  readonly input: CreateRunInput & { readonly dataset: DatasetPointer };
  /** Logged with the outcome. */
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * Records the run for an uploaded object version or a retry request, once.
 *
 * The run id is derived from the object version (or the retry request), so every delivery of the same
 * event lands on the same run record and only the first creates it. A later delivery from another execution
 * gets `duplicate: true` and the state machine stops there; a retry of the execution that created the run
 * (same executionArn, e.g. after a Lambda service error) is not a duplicate and carries on.
 *
 * @param input - `{detail, detailType, executionArn}` as the state machine passes it (parsed here)
 * @throws PipelineError `DatasetRejected` when the key is not a dataset key (s3-layout.ts decides)
 * @throws PipelineError `RetryRejected` when the retried run does not exist or has not ended
 * @throws InvalidInputError when the input is not one of the two events
 */
export async function startRun(input: unknown, deps: StartRunDependencies): Promise<RunContext> {
  const { registry, logger, metrics } = deps;
  const parsed = parseInput(startRunInputSchema, input, 'StartRun');
  const startedAt = (deps.clock ?? (() => new Date()))();
  const { executionArn } = parsed;
  const next =
    parsed.detailType === OBJECT_CREATED
      ? uploadRun(parsed.detail)
      : await retryRun(parsed.detail, deps.registry);
  const { runId, model } = next.input;
  logger.appendKeys({ runId, model });
  logger.setCorrelationId(runId);
  metrics.addDimension(MODEL_DIMENSION, model);

  const { created, run } = await registry.createRun({
    ...next.input,
    executionArn,
    startedAt,
    step: RunSteps.validateDataset,
  });
  const duplicate = !created && run.executionArn !== executionArn;
  if (duplicate) {
    logger.info('Duplicate delivery: this run is already recorded; not starting another', {
      existingExecutionArn: run.executionArn,
      existingStatus: run.status,
      executionArn,
    });
    metrics.addMetric(MetricNames.duplicateDelivery, MetricUnit.Count, 1);
  } else {
    logger.info(created ? 'Run started' : 'Run already recorded by this execution (retry); carrying on', {
      dataset: run.dataset,
      ...next.context,
    });
    if (created) metrics.addMetric(MetricNames.runStarted, MetricUnit.Count, 1);
  }
  return {
    runId,
    model,
    dataset: run.dataset,
    duplicate,
    ...(run.forced === true ? { forced: true } : {}),
    ...(run.retryOf === undefined ? {} : { retryOf: run.retryOf }),
  };
}

/** The run of an uploaded object version. */
function uploadRun(detail: ObjectCreatedDetail): NewRun {
  const { runId, model, dataset } = runForUpload({
    bucket: detail.bucket.name,
    key: detail.object.key,
    versionId: detail.object['version-id'] ?? null,
  });
  return { input: { runId, model, dataset }, context: { sizeBytes: detail.object.size } };
}

/** A new run of a run's dataset version: forced (trains even bytes already trained), linked to the first. */
async function retryRun(
  detail: RunRetryRequestedDetail,
  registry: StartRunDependencies['registry'],
): Promise<NewRun> {
  const original = await registry.getRun(detail.retryOf);
  if (original === undefined) {
    throw retryRejected(`Cannot retry run ${detail.retryOf}: there is no such run`);
  }
  if (original.status === 'Running') {
    throw retryRejected(
      `Cannot retry run ${original.runId}: it is still Running (wait for it to end, or stop its execution)`,
    );
  }
  const why = `Retry of run ${original.runId} (${original.status}${original.error ? `: ${original.error}` : ''}), requested by ${detail.requestedBy}`;
  return {
    input: {
      runId: retryRunId(original, detail.requestId),
      model: original.model,
      dataset: original.dataset,
      retryOf: original.runId,
      forced: true,
      actor: detail.requestedBy,
      reasons: detail.reason === undefined ? [why] : [why, detail.reason],
    },
    context: { retryOf: original.runId, requestId: detail.requestId, requestedBy: detail.requestedBy },
  };
}
