/**
 * RegisterModel: records the evaluated model as a new version with its full lineage, closes the run and
 * announces the version.
 *
 * Idempotency (the workflow retries this task on its own failures, e.g. PutEvents refused or the run update
 * throwing, and after Lambda service errors, possibly after the function did its writes): the registry keeps
 * one version per run (registerVersion writes a per-run marker in the same transaction as the version), so a
 * repeated registration returns the version the run registered first. The order is registerVersion ->
 * ModelRegistered event -> run Succeeded, and every step is safe to repeat, so a crash between any two of
 * them is healed by the retry, which publishes the same event and returns the same result as a first run:
 * - after registerVersion: the retry gets the same version back (`created: false`), then goes on;
 * - after the event: the event is published again (consumers must tolerate duplicates anyway: EventBridge
 *   delivers at least once);
 * - the run is marked Succeeded last, so a Succeeded run always has its version announced.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MODEL_REGISTERED, type ModelRegisteredDetail } from '../shared/events';
import { MetricNames } from '../shared/metric-names';
import {
  type EvaluationDecision,
  type RunContext,
  RunSteps,
  type TrainingResult,
  type TrainingRunPlan,
} from '../shared/pipeline';
import { putEvent } from '../shared/put-event';
import type { Lineage, ModelRegistryClient, ModelVersionStatus } from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';

/** RegisterModel's input, as the state machine passes it. */
export interface RegisterModelInput {
  readonly run: RunContext;
  readonly plan: TrainingRunPlan;
  readonly training: TrainingResult;
  readonly evaluation: EvaluationDecision;
}

/** RegisterModel's result, at `$.registered`. */
export interface RegisterModelResult {
  readonly version: number;
  readonly status: ModelVersionStatus;
}

export interface RegisterModelDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getRun' | 'registerVersion' | 'updateRun'>;
  readonly events: EventBridgeClient;
  /** Bus name or ARN; `default` for the account's default bus. */
  readonly eventBusName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** The registry's limit for a status reason. */
const MAX_STATUS_REASON = 2_000;

/** Entry-level PutEvents failures (throttling, internal errors) are transient: a few tries, then give up. */
const PUT_EVENTS_ATTEMPTS = 3;

/**
 * Registers the run's model version (once per run), publishes `ObjectiveValue` and `ModelRegistered`, and
 * marks the run Succeeded.
 *
 * @returns the version number and its status in the registry
 * @throws Error when the run record does not exist, or the event could not be published
 */
export async function registerModel(
  input: RegisterModelInput,
  deps: RegisterModelDependencies,
): Promise<RegisterModelResult> {
  const { run, evaluation } = input;
  const { registry, logger, metrics } = deps;
  logger.appendKeys({ runId: run.runId, model: run.model });
  logger.setCorrelationId(run.runId);

  const stored = await registry.getRun(run.runId);
  if (stored?.executionArn === undefined) {
    throw new Error(
      `Run ${run.runId} is not in the registry with its execution: StartRun records both before training`,
    );
  }

  const { created, version } = await registry.registerVersion(run.model, {
    lineage: lineageOf(input, stored.executionArn),
    status: evaluation.status,
    reason: statusReason(evaluation.reasons),
  });
  // The status it was registered in (a retry finds the version as it is now, maybe already moved on).
  const registeredStatus = created ? version.status : evaluation.status;
  const result: RegisterModelResult = { version: version.version, status: registeredStatus };
  if (created) {
    logger.info(`Registered ${run.model} v${version.version} as ${version.status}`, {
      reasons: evaluation.reasons,
    });
    metrics.addDimension(MODEL_DIMENSION, run.model);
    metrics.addMetric(MetricNames.objectiveValue, MetricUnit.NoUnit, evaluation.value);
    metrics.addMetadata('metric', evaluation.metric);
    metrics.addMetadata('version', String(version.version));
    publishMetric(metrics, MetricNames.modelRegistered, 1, {
      model: run.model,
      metadata: { version: version.version, status: version.status, runId: run.runId },
    });
  } else {
    logger.info(`Run already registered ${run.model} v${version.version}; not registering another version`, {
      status: version.status,
    });
  }

  await publishModelRegistered(deps, {
    model: run.model,
    version: version.version,
    status: registeredStatus,
    metric: evaluation.metric,
    value: evaluation.value,
    runId: run.runId,
  });

  if (stored.status !== 'Succeeded' || stored.version !== version.version) {
    await registry.updateRun(run.runId, {
      status: 'Succeeded',
      version: version.version,
      step: RunSteps.registerModel,
      endedAt: (deps.clock ?? (() => new Date()))(),
    });
    publishMetric(metrics, MetricNames.runSucceeded, 1, {
      model: run.model,
      metadata: { runId: run.runId, version: version.version },
    });
  }
  return result;
}

/** Everything that produced the version: data -> training job -> artifact, and the run. */
export function lineageOf(input: RegisterModelInput, executionArn: string): Lineage {
  const { run, plan, training } = input;
  return {
    dataset: {
      bucket: run.dataset.bucket,
      key: run.dataset.key,
      // S3's own name for the version of an object written while versioning was off.
      versionId: run.dataset.versionId ?? 'null',
      sha256: plan.lineage.sha256,
      rowCount: plan.lineage.rowCount,
    },
    trainingJobName: training.jobName,
    image: plan.training.algorithmSpecification.TrainingImage,
    hyperparameters: plan.training.hyperParameters,
    metrics: Object.fromEntries((training.metrics ?? []).map((entry) => [entry.MetricName, entry.Value])),
    artifactUri: training.artifactUri,
    executionArn,
    runId: run.runId,
  };
}

/** The evaluation's reasons as one status reason, within the registry's limit. */
export function statusReason(reasons: readonly string[]): string | undefined {
  const joined = reasons.join('; ');
  if (joined === '') return undefined;
  return joined.length <= MAX_STATUS_REASON ? joined : `${joined.slice(0, MAX_STATUS_REASON - 3)}...`;
}

async function publishModelRegistered(
  deps: RegisterModelDependencies,
  detail: ModelRegisteredDetail,
): Promise<void> {
  const outcome = await putEvent(deps.events, deps.eventBusName, MODEL_REGISTERED, detail, {
    attempts: PUT_EVENTS_ATTEMPTS,
    onRetry: ({ errorCode, attempt }) =>
      deps.logger.warn('PutEvents rejected the entry; retrying', { errorCode, attempt }),
  });
  if (!outcome.published) {
    throw new Error(
      `Could not publish ${MODEL_REGISTERED} for ${detail.model} v${detail.version} to event bus ${deps.eventBusName} after ${outcome.attempt} attempts: ${outcome.errorCode ?? 'unknown error'} ${outcome.errorMessage ?? ''}`.trim(),
    );
  }
  deps.logger.info(`Published ${MODEL_REGISTERED}`, { eventId: outcome.eventId, bus: deps.eventBusName });
}
