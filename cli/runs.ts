/**
 * `mlops runs list` and `mlops runs show`: the training pipeline's runs as the registry records them.
 */
import { formatUsd, type RunCost } from '../lambdas/shared/cost/calculate';
import { type ModelRegistryClient, RUN_STATUSES, type Run, type RunStatus } from '../lambdas/shared/registry';
import { RunArtifacts } from '../lambdas/shared/s3-layout';
import { parseInteger, parseModelName } from './arguments';
import { NotFoundError } from './errors';
import { formatDuration, formatTime, NONE, oneLine, renderFields, renderTable } from './output';
import { collect, MAX_PAGE_SIZE } from './paging';

/** What the run commands read. */
export type RunReader = Pick<ModelRegistryClient, 'getRun' | 'listRunsByModel' | 'listRunsByStatus'>;

export const DEFAULT_RUN_LIMIT = 20;

export interface ListRunsOptions {
  readonly model?: string;
  readonly status?: RunStatus;
  /** 1..1000. @default DEFAULT_RUN_LIMIT */
  readonly limit?: number;
}

/**
 * Runs, newest first: of one model, in one status, or both (a model's runs filtered by status). Without
 * either, the newest runs of every status (the registry indexes runs by status, so all of them are the
 * union of the three listings).
 *
 * @throws UsageError for an invalid model name or limit
 */
export async function listRuns(registry: RunReader, options: ListRunsOptions = {}): Promise<Run[]> {
  const limit = parseInteger(String(options.limit ?? DEFAULT_RUN_LIMIT), 'limit', 1, MAX_PAGE_SIZE);
  const { status } = options;
  if (options.model !== undefined) {
    const model = parseModelName(options.model);
    const keep = status === undefined ? undefined : (run: Run) => run.status === status;
    return collect((page) => registry.listRunsByModel(model, page), limit, keep);
  }
  const statuses = status === undefined ? RUN_STATUSES : [status];
  const lists = await Promise.all(
    statuses.map((each) => collect((page) => registry.listRunsByStatus(each, page), limit)),
  );
  return lists.flat().sort(newestFirst).slice(0, limit);
}

/**
 * One run.
 *
 * @throws NotFoundError naming the run when the registry has no such run
 */
export async function showRun(registry: Pick<RunReader, 'getRun'>, runId: string): Promise<Run> {
  const run = await registry.getRun(runId);
  if (run === undefined) {
    throw new NotFoundError(`Run ${runId} does not exist (list runs with \`mlops runs list\`)`);
  }
  return run;
}

/** The registry's order: start time, then run id, both descending. */
function newestFirst(a: Run, b: Run): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

/** How long a run took, or has been running. */
export function runDuration(run: Run, now: Date): string {
  const end = run.endedAt === undefined ? now.getTime() : Date.parse(run.endedAt);
  return formatDuration(end - Date.parse(run.startedAt));
}

/** `retry of <run>`, `duplicate of <run>`: how a run relates to another, or undefined. */
export function runLink(run: Run): string | undefined {
  const links = [
    ...(run.retryOf === undefined ? [] : [`retry of ${run.retryOf}`]),
    ...(run.duplicateOf === undefined ? [] : [`duplicate of ${run.duplicateOf}`]),
  ];
  return links.length === 0 ? undefined : links.join(', ');
}

/** The run's error cause with the pipeline's `Full report: s3://…` pointer turned into the command that prints it. */
export function withArtifactHints(cause: string): string {
  const report = RunArtifacts.report.replaceAll('.', '\\.');
  return cause.replace(
    new RegExp(`Full report: s3://\\S+?/runs/([^/\\s]+)/${report}`, 'g'),
    (_match, runId: string) => `Full report: \`mlops artifacts ${runId} report\``,
  );
}

/** `runs list` as a table; a NOTE column appears when a run is a retry or a duplicate. */
export function renderRunsTable(runs: readonly Run[], now: Date): string {
  if (runs.length === 0) return 'No runs.\n';
  const notes = runs.some((run) => runLink(run) !== undefined);
  const rows = runs.map((run) => [
    run.runId,
    run.model,
    run.status,
    run.step ?? NONE,
    formatTime(run.startedAt),
    runDuration(run, now),
    run.version === undefined ? NONE : `v${run.version}`,
    ...(notes ? [runLink(run) ?? ''] : []),
  ]);
  const headers = ['RUN', 'MODEL', 'STATUS', 'STEP', 'STARTED', 'DURATION', 'VERSION'];
  return renderTable(notes ? [...headers, 'NOTE'] : headers, rows);
}

/**
 * A run's cost on one line: the total, then what it is made of, and the prices' region and date.
 * `$0.0117 (training $0.0115: 180 instance-s of ml.m5.xlarge; 5 state transitions $0.0001; Lambda 0.2 GB-s $0.0000; us-east-1 prices of 2026-11-30)`
 */
export function renderCost(cost: RunCost): string {
  const types = [...new Set(cost.training.jobs.map((job) => job.instanceType))].join(', ');
  const training =
    cost.training.jobs.length === 0
      ? 'no training'
      : `training ${formatUsd(cost.training.usd)}: ${cost.training.billableSeconds} instance-s of ${types}`;
  const unpriced = cost.unpriced.length === 0 ? '' : `; no price for ${cost.unpriced.join(', ')} (left out)`;
  return (
    `${formatUsd(cost.totalUsd)} (${training}; ${cost.stepFunctions.stateTransitions} state transitions ` +
    `${formatUsd(cost.stepFunctions.usd)}; Lambda ${cost.lambda.gbSeconds} GB-s ${formatUsd(cost.lambda.usd)}` +
    `${unpriced}; ${cost.region} prices of ${cost.pricesAsOf})`
  );
}

/** One model's runs and what those with a recorded cost cost together. */
export interface ModelCost {
  readonly model: string;
  readonly runs: number;
  /** Runs with a recorded cost (a run still going, or from before costs were kept, has none). */
  readonly costed: number;
  readonly totalUsd: number;
}

/** The listed runs' costs summed per model, models in name order. */
export function costsByModel(runs: readonly Run[], costs: ReadonlyMap<string, RunCost>): ModelCost[] {
  const byModel = new Map<string, { runs: number; costed: number; totalUsd: number }>();
  for (const run of runs) {
    const entry = byModel.get(run.model) ?? { runs: 0, costed: 0, totalUsd: 0 };
    const cost = costs.get(run.runId);
    entry.runs += 1;
    if (cost) {
      entry.costed += 1;
      entry.totalUsd = Math.round((entry.totalUsd + cost.totalUsd) * 1e6) / 1e6;
    }
    byModel.set(run.model, entry);
  }
  return [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, entry]) => ({ model, ...entry }));
}

/** `runs list --cost`: the runs with a COST column, then the sums per model. */
export function renderRunsWithCost(
  runs: readonly Run[],
  costs: ReadonlyMap<string, RunCost>,
  now: Date,
): string {
  if (runs.length === 0) return 'No runs.\n';
  const table = renderTable(
    ['RUN', 'MODEL', 'STATUS', 'STARTED', 'DURATION', 'VERSION', 'COST'],
    runs.map((run) => {
      const cost = costs.get(run.runId);
      return [
        run.runId,
        run.model,
        run.status,
        formatTime(run.startedAt),
        runDuration(run, now),
        run.version === undefined ? NONE : `v${run.version}`,
        cost === undefined ? NONE : formatUsd(cost.totalUsd),
      ];
    }),
  );
  const sums = renderTable(
    ['MODEL', 'RUNS', 'COSTED', 'TOTAL'],
    costsByModel(runs, costs).map((m) => [m.model, String(m.runs), String(m.costed), formatUsd(m.totalUsd)]),
  );
  return `${table}\nCost by model (the runs listed above):\n${sums}`;
}

/** `runs show` as labelled fields. */
export function renderRun(run: Run, now: Date, cost?: RunCost): string {
  const { dataset } = run;
  const versionId = dataset.versionId === undefined ? '' : ` (version ${dataset.versionId})`;
  return renderFields([
    ['Run', run.runId],
    ['Model', run.model],
    ['Status', run.status],
    ['Step', run.step],
    ...(run.retryOf === undefined ? [] : [['Retry of', run.retryOf] as const]),
    ...(run.duplicateOf === undefined
      ? []
      : [['Duplicate of', `${run.duplicateOf} (same data; not trained again)`] as const]),
    ['Dataset', `s3://${dataset.bucket}/${dataset.key}${versionId}`],
    ['Started', formatTime(run.startedAt)],
    ['Ended', formatTime(run.endedAt)],
    ['Duration', runDuration(run, now)],
    ['Version', run.version === undefined ? undefined : `${run.model} v${run.version}`],
    ['Error', run.error],
    ['Cause', run.cause === undefined ? undefined : withArtifactHints(oneLine(run.cause))],
    ['Execution', run.executionArn],
    ['Cost', cost === undefined ? undefined : renderCost(cost)],
  ]);
}
