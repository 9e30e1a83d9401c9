/**
 * RunCost: when a training execution ends (any final status), what its run cost: the execution's history
 * (transitions, Lambda durations, training jobs), each job's billable seconds, the region's prices. Recorded on
 * the run and published as the `RunCost` metric (USD, per model).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type RunCost, runCost, type TrainingJobUsage } from '../shared/cost/calculate';
import { usageOf } from '../shared/cost/history';
import type { PriceTable } from '../shared/cost/prices';
import type { NotRecorded } from '../shared/cost/record';
import { MetricNames } from '../shared/metric-names';
import type { ModelRegistryClient } from '../shared/registry';
import { runIdOfExecution } from '../shared/runs';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import * as z from '../shared/zod';

/** The metric, in USD per run, dimension model (the dashboard reads it by this name). */
export const RUN_COST_METRIC = MetricNames.runCost;

/** The execution statuses that end it; any of them has cost something. */
export const FINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The "Step Functions Execution Status Change" event's fields this function reads. */
export const runCostEventSchema = z.object({
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    status: z.string(),
    input: z.exactOptional(z.nullable(z.string())),
  }),
});
export type RunCostEvent = z.infer<typeof runCostEventSchema>;

export interface RunCostDependencies {
  readonly registry: Pick<ModelRegistryClient, 'getRun'>;
  /**
   * Every event of the execution (GetExecutionHistory, all pages); undefined when Step Functions does not know
   * the execution (ExecutionDoesNotExist: past its retention, or an event not from Step Functions).
   */
  readonly history: (executionArn: string) => Promise<readonly HistoryEvent[] | undefined>;
  /** DescribeTrainingJob of one job; undefined when it does not exist. */
  readonly trainingJob: (name: string) => Promise<TrainingJobUsage | undefined>;
  readonly costs: {
    record(runId: string, executionArn: string, cost: RunCost): Promise<'Recorded' | NotRecorded>;
  };
  readonly prices: PriceTable;
  readonly region: string;
  /** Each function's memory (MB) by name. */
  readonly memoryMb: Readonly<Record<string, number>>;
  readonly metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'addMetadata'>;
  readonly logger: Logger;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export type RunCostResult =
  | { readonly action: 'Recorded'; readonly runId: string; readonly cost: RunCost }
  | {
      readonly action: 'Skipped';
      readonly reason: 'NotFinal' | 'NotADatasetExecution' | 'ExecutionNotFound' | NotRecorded;
      readonly runId?: string;
    };

/** Computes and records the cost of the execution's run; publishes RunCost once it is recorded. */
export async function recordRunCost(event: RunCostEvent, deps: RunCostDependencies): Promise<RunCostResult> {
  const { executionArn, status, input } = event.detail;
  const { logger } = deps;
  if (!(FINAL_STATUSES as readonly string[]).includes(status)) {
    logger.info('Execution has not ended; nothing to cost', { status });
    return { action: 'Skipped', reason: 'NotFinal' };
  }
  const runId = await runIdOfExecution(input, deps.registry);
  if (runId === undefined) {
    logger.info('Execution input names no run; nothing to cost');
    return { action: 'Skipped', reason: 'NotADatasetExecution' };
  }
  logger.appendKeys({ runId });
  const events = await deps.history(executionArn);
  if (events === undefined) {
    logger.info('Step Functions does not know this execution; nothing to cost');
    return { action: 'Skipped', reason: 'ExecutionNotFound', runId };
  }
  const usage = usageOf(events);
  const jobs = (await Promise.all(usage.trainingJobs.map((name) => deps.trainingJob(name)))).filter(
    (job): job is TrainingJobUsage => job !== undefined,
  );
  const cost = runCost({
    usage,
    jobs,
    memoryMb: deps.memoryMb,
    prices: deps.prices,
    region: deps.region,
    now: (deps.clock ?? (() => new Date()))(),
  });
  const outcome = await deps.costs.record(runId, executionArn, cost);
  if (outcome !== 'Recorded') {
    logger.info('Cost not recorded', { reason: outcome });
    return { action: 'Skipped', reason: outcome, runId };
  }
  if (cost.unpriced.length > 0)
    logger.warn('No price for these training instance types: their time is not in the total', {
      unpriced: cost.unpriced,
      region: deps.region,
    });
  const run = await deps.registry.getRun(runId);
  if (run) {
    deps.metrics.addDimension(MODEL_DIMENSION, run.model);
    deps.metrics.addMetadata('runId', runId);
    deps.metrics.addMetric(RUN_COST_METRIC, MetricUnit.NoUnit, cost.totalUsd);
    // Instance-seconds billed, all jobs and instances: the dashboard's training time.
    if (cost.training.billableSeconds > 0)
      deps.metrics.addMetric(MetricNames.trainingSeconds, MetricUnit.Seconds, cost.training.billableSeconds);
  }
  logger.info('Run cost recorded', { totalUsd: cost.totalUsd, status });
  return { action: 'Recorded', runId, cost };
}
