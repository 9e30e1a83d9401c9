/**
 * RecordDuplicate: closes a run whose dataset has the same bytes (sha256) as one the model already trained
 * on. The run ends Succeeded without training, linked to the run that trained the bytes and its version.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricNames } from '../shared/metric-names';
import { type RecordDuplicateResult, RunSteps } from '../shared/pipeline';
import { duplicateRunPlanSchema, runContextSchema } from '../shared/pipeline-schemas';
import { type ModelRegistryClient, REGISTRY_EVENT_TYPES, RunStatusConflictError } from '../shared/registry';
import { parseInput } from '../shared/runtime/errors';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import * as z from '../shared/zod';

/** `{run, plan}` as the state machine passes it, the plan being ValidateDataset's duplicate plan. */
export const recordDuplicateInputSchema = z.object({ run: runContextSchema, plan: duplicateRunPlanSchema });

export interface RecordDuplicateDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getRun' | 'updateRun'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * Marks the run Succeeded as a duplicate (`duplicateOf`, the original's `version`, step ValidateDataset)
 * and records a RunDuplicate audit event in the same transaction. Idempotent: a run already closed as a
 * duplicate of the same run is left as it is and the same result returned.
 *
 * @throws InvalidInputError for an input that is not `{run, plan: {duplicateOf, ...}}`
 * @throws RunStatusConflictError when the run ended otherwise meanwhile
 */
export async function recordDuplicate(
  input: unknown,
  deps: RecordDuplicateDependencies,
): Promise<RecordDuplicateResult> {
  const { run, plan } = parseInput(recordDuplicateInputSchema, input, 'RecordDuplicate');
  const { registry, logger, metrics } = deps;
  const { runId: duplicateOf, version } = plan.duplicateOf;
  logger.appendKeys({ runId: run.runId, model: run.model });
  logger.setCorrelationId(run.runId);
  const result: RecordDuplicateResult = { runId: run.runId, status: 'Succeeded', duplicateOf, version };
  const reason = `same sha256 as run ${duplicateOf} (v${version}); not trained again`;
  try {
    await registry.updateRun(
      run.runId,
      {
        status: 'Succeeded',
        duplicateOf,
        version,
        step: RunSteps.validateDataset,
        endedAt: (deps.clock ?? (() => new Date()))(),
      },
      { expectedStatus: 'Running', eventType: REGISTRY_EVENT_TYPES.runDuplicate, reasons: [reason] },
    );
  } catch (error) {
    if (!(error instanceof RunStatusConflictError)) throw error;
    const stored = await registry.getRun(run.runId);
    if (stored?.status !== 'Succeeded' || stored.duplicateOf !== duplicateOf) throw error;
    logger.info('Run already closed as this duplicate; nothing to do');
    return result;
  }
  metrics.addDimension(MODEL_DIMENSION, run.model);
  metrics.addMetric(MetricNames.duplicateDataset, MetricUnit.Count, 1);
  // An expected verdict: WARN, so that an operator sees why nothing was trained.
  logger.warn(`Dataset already trained: ${reason}`, {
    sha256: plan.lineage.sha256,
    dataset: run.dataset,
    duplicateOf,
    version,
  });
  return result;
}
