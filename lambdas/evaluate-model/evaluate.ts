/**
 * EvaluateModel: judges the trained challenger against the configured threshold and the production
 * champion. The verdict itself ({@link decide}) is a pure function; {@link evaluateModel} only gathers its
 * inputs from the training result and the registry.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { formatMetric } from '../shared/metrics';
import type {
  EvaluationDecision,
  EvaluationPlan,
  RunContext,
  TrainingResult,
  TrainingRunPlan,
} from '../shared/pipeline';
import type { ModelRegistryClient } from '../shared/registry';
import { metricMissing } from '../shared/runtime/errors';

/** EvaluateModel's input, as the state machine passes it. */
export interface EvaluateModelInput {
  readonly run: RunContext;
  readonly plan: TrainingRunPlan;
  readonly training: TrainingResult;
}

export interface EvaluateModelDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getAlias' | 'getVersion'>;
  readonly logger: Logger;
}

/**
 * Evaluates a run's trained model: its objective value, the production champion's value for the same
 * metric, and the resulting decision.
 *
 * @throws PipelineError `MetricMissing` when the job did not report the objective
 * @throws Error when the production alias points at a version that does not exist (a broken registry
 *   must not let a challenger through unchecked)
 */
export async function evaluateModel(
  input: EvaluateModelInput,
  deps: EvaluateModelDependencies,
): Promise<EvaluationDecision> {
  const { run, plan, training } = input;
  const { registry, logger } = deps;
  logger.appendKeys({ runId: run.runId, model: run.model });
  logger.setCorrelationId(run.runId);
  const { metric } = plan.evaluation;
  const value = objectiveValue(training, metric);
  const champion = await productionChampion(registry, run.model, metric);
  const decision = decide({ evaluation: plan.evaluation, value, champion });
  // A rejected challenger is an expected verdict, but one an operator should see.
  const log = decision.status === 'Rejected' ? logger.warn.bind(logger) : logger.info.bind(logger);
  log(`Evaluation: ${decision.status}`, {
    metric,
    value,
    champion,
    trainingJobName: training.jobName,
    reasons: decision.reasons,
  });
  return decision;
}

async function productionChampion(
  registry: EvaluateModelDependencies['registry'],
  model: string,
  metric: string,
): Promise<ChampionValue | undefined> {
  const alias = await registry.getAlias(model, 'production');
  if (alias === undefined) return undefined;
  const version = await registry.getVersion(model, alias.version);
  if (version === undefined) {
    throw new Error(
      `The production alias of ${model} points at v${alias.version}, which does not exist in the registry`,
    );
  }
  const value = version.lineage.metrics[metric];
  return value === undefined ? { version: alias.version } : { version: alias.version, value };
}

/** The production champion as the registry knows it; `value` is absent when it has none for the metric. */
export interface ChampionValue {
  readonly version: number;
  readonly value?: number;
}

export interface DecisionInput {
  readonly evaluation: EvaluationPlan;
  /** The challenger's value for `evaluation.metric`. */
  readonly value: number;
  /** The production version's value; undefined when there is none to compare with. */
  readonly champion?: ChampionValue | undefined;
}

/**
 * Relative slack for comparing metric values: `0.825 - 0.82` is `0.00499999...` in binary floating point,
 * which must still count as an improvement of the required `0.005`.
 */
const RELATIVE_TOLERANCE = 1e-9;

/**
 * Finds the objective in the training job's final metrics.
 *
 * @throws PipelineError `MetricMissing` naming the metric and the metrics the job did report
 */
export function objectiveValue(training: Pick<TrainingResult, 'metrics'>, metric: string): number {
  // The payload is JSON from the state machine: guard against a job that reported nothing at all.
  const reported = training.metrics ?? [];
  const found = reported.find((entry) => entry.MetricName === metric);
  if (found === undefined || typeof found.Value !== 'number' || !Number.isFinite(found.Value)) {
    throw metricMissing(
      metric,
      reported.map((entry) => entry.MetricName),
    );
  }
  return found.Value;
}

/**
 * Decides whether a challenger may become a version candidate for production.
 *
 * Rejected when it misses the threshold or does not beat the champion strictly and by at least
 * `minImprovement` (in the metric's better direction); otherwise Approved for `auto` approval and
 * PendingApproval for `manual`. A champion without a value for the metric cannot be compared, so the
 * version then always waits for an operator, whatever the approval mode.
 *
 * @returns the decision with one human-readable reason per rule applied
 */
export function decide(input: DecisionInput): EvaluationDecision {
  const { evaluation, value, champion } = input;
  const { metric, higherIsBetter, threshold, minImprovement, approval } = evaluation;
  const reasons: string[] = [];
  let rejected = false;

  if (threshold === undefined) {
    reasons.push(`no threshold is set for ${metric}`);
  } else if (higherIsBetter ? value >= threshold : value <= threshold) {
    reasons.push(`${metric} ${formatMetric(value)} meets the threshold ${threshold}`);
  } else {
    const side = higherIsBetter ? 'below' : 'above';
    reasons.push(`${metric} ${formatMetric(value)} is ${side} the threshold ${threshold}`);
    rejected = true;
  }

  let comparable = true;
  if (champion === undefined) {
    reasons.push('no production champion yet');
  } else if (champion.value === undefined) {
    comparable = false;
    reasons.push(`the production champion v${champion.version} has no ${metric} value to compare with`);
  } else {
    const improvement = higherIsBetter ? value - champion.value : champion.value - value;
    const slack = RELATIVE_TOLERANCE * Math.max(1, Math.abs(value), Math.abs(champion.value));
    const against = `the production champion v${champion.version} (${formatMetric(champion.value)})`;
    // "Beat" is strict: a tie with minImprovement 0 is no evidence that the challenger is better.
    if (improvement > slack && improvement >= minImprovement - slack) {
      const required = minImprovement > 0 ? ` (required ${formatMetric(minImprovement)})` : '';
      reasons.push(
        `${metric} ${formatMetric(value)} beats ${against} by ${formatMetric(improvement)}${required}`,
      );
    } else {
      const required = minImprovement > 0 ? ` by the required ${formatMetric(minImprovement)}` : '';
      reasons.push(`${metric} ${formatMetric(value)} does not beat ${against}${required}`);
      rejected = true;
    }
  }

  const status = rejected ? 'Rejected' : approval === 'auto' && comparable ? 'Approved' : 'PendingApproval';
  if (status === 'Approved') reasons.push('approval is automatic for this model');
  if (status === 'PendingApproval') {
    reasons.push(
      approval === 'manual'
        ? 'approval is manual for this model: an operator must approve this version'
        : 'approval is automatic, but without a comparable champion an operator must approve this version',
    );
  }

  return {
    status,
    metric,
    value,
    ...(champion?.value === undefined
      ? {}
      : { champion: { version: champion.version, value: champion.value } }),
    reasons,
  };
}
