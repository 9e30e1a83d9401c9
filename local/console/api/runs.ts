/**
 * GET /api/runs, /api/runs/:runId and its artifacts: one registry page of runs (of a model, or of every status
 * merged newest first), a run's steps from its Step Functions execution history, its validation report, training
 * rounds and evaluation, and links to what it left in the artifacts bucket.
 */
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import {
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { parseModelName } from '../../../cli/arguments';
import { ARTIFACT_NAMES, findArtifact, parseArtifactName } from '../../../cli/artifacts';
import { showRun } from '../../../cli/runs';
import type { Target } from '../../../cli/target';
import { RUN_STATUSES, type Run } from '../../../lambdas/shared/registry';
import { RunArtifacts, runArtifactKey } from '../../../lambdas/shared/s3-layout';
import { ApiError } from './errors';

/** Runs per page. */
export const RUNS_PAGE = 25;

/** One training round's metrics, as the job logged them. */
export interface TrainingRound {
  readonly round: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** What a run page reads beyond the target. */
export interface RunReaders {
  /** GetExecutionHistory (the run's steps, evaluation). */
  readonly stepFunctions?: Pick<SFNClient, 'send'>;
  /** A training job's rounds as its log reported them; undefined when not known. */
  readonly trainingRounds?: (jobName: string) => readonly TrainingRound[] | undefined;
}

/** A run as the list shows it. */
function runRow(run: Run, costUsd: number | undefined) {
  const ended = run.endedAt === undefined ? undefined : Date.parse(run.endedAt);
  return {
    runId: run.runId,
    model: run.model,
    status: run.status,
    step: run.step,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: ended === undefined ? undefined : ended - Date.parse(run.startedAt),
    costUsd,
    version: run.version,
  };
}

/** Where each status listing stands: the registry's token of the page being read and how much of it was shown. */
type MergeCursor = Record<string, { readonly token: string | null; readonly skip: number } | null>;

/**
 * One page of runs, newest first: of one model (the registry's page), or of every status, merged from one
 * page of each status listing (the cursor keeps each listing's place, so no page reads more than 3 pages).
 */
export async function runsPage(target: Target, model: string | undefined, cursor: string | undefined) {
  const { registry } = target;
  let runs: Run[];
  let next: string | undefined;
  if (model !== undefined) {
    const page = await registry.listRunsByModel(parseModelName(model), {
      limit: RUNS_PAGE,
      nextToken: cursor,
    });
    runs = page.items;
    next = page.nextToken;
  } else {
    const state: MergeCursor =
      cursor === undefined
        ? Object.fromEntries(RUN_STATUSES.map((status) => [status, { token: null, skip: 0 }]))
        : decodeCursor(cursor);
    const pages = await Promise.all(
      RUN_STATUSES.map(async (status) => {
        const place = state[status];
        if (place === null || place === undefined) return { status, items: [] as Run[], place };
        const page = await registry.listRunsByStatus(status, {
          limit: RUNS_PAGE,
          nextToken: place.token ?? undefined,
        });
        return { status, items: page.items.slice(place.skip), place, page };
      }),
    );
    runs = pages
      .flatMap((each) => each.items)
      .sort(newestFirst)
      .slice(0, RUNS_PAGE);
    const shown = new Set(runs.map((run) => run.runId));
    const after: MergeCursor = {};
    for (const { status, items, place, page } of pages) {
      if (place === null || place === undefined || page === undefined) {
        after[status] = null;
        continue;
      }
      const taken = items.filter((run) => shown.has(run.runId)).length;
      const skip = place.skip + taken;
      if (skip < page.items.length) after[status] = { token: place.token, skip };
      else after[status] = page.nextToken === undefined ? null : { token: page.nextToken, skip: 0 };
    }
    next = Object.values(after).some((place) => place !== null)
      ? Buffer.from(JSON.stringify(after)).toString('base64url')
      : undefined;
  }
  const costs = await target.costs.get(runs.map((run) => run.runId));
  return {
    runs: runs.map((run) => runRow(run, costs.get(run.runId)?.totalUsd)),
    next,
  };
}

function decodeCursor(cursor: string): MergeCursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as MergeCursor;
  } catch {
    // answered below
  }
  throw new ApiError(400, 'Invalid cursor');
}

/** The registry's order: start time, then run id, both descending. */
function newestFirst(a: Run, b: Run): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

interface Step {
  name: string;
  status: 'Running' | 'Succeeded' | 'Failed';
  startedAt?: string | undefined;
  endedAt?: string | undefined;
}

/**
 * A run's page: the run, its steps with timings, validation report, training rounds, evaluation and artifacts.
 *
 * @throws NotFoundError for an unknown run
 */
export async function runDetail(target: Target, readers: RunReaders, runId: string) {
  const run = await showRun(target.registry, runId);
  const [costs, history, validation] = await Promise.all([
    target.costs.get([run.runId]),
    executionHistory(readers, run.executionArn),
    readReport(target, run.runId),
  ]);
  const steps: Step[] = [];
  let jobName: string | undefined;
  let evaluation: Evaluation | undefined;
  for (const event of history) {
    const at = event.timestamp?.toISOString();
    const entered = event.stateEnteredEventDetails;
    if (entered?.name !== undefined) {
      steps.push({ name: entered.name, status: 'Running', startedAt: at });
      jobName ??= jobNameIn(entered.input);
    }
    const exited = event.stateExitedEventDetails;
    if (exited?.name !== undefined) {
      const step = steps.findLast((each) => each.name === exited.name && each.status === 'Running');
      if (step !== undefined) {
        step.status = 'Succeeded';
        if (at !== undefined) step.endedAt = at;
      }
      evaluation ??= evaluationIn(exited.output);
    }
    if (
      event.type?.endsWith('Failed') ||
      event.type === 'ExecutionTimedOut' ||
      event.type === 'ExecutionAborted'
    ) {
      const step = steps.findLast((each) => each.status === 'Running');
      if (step !== undefined && event.type !== 'TaskFailed') {
        step.status = 'Failed';
        if (at !== undefined) step.endedAt = at;
      }
    }
  }
  const rounds = jobName === undefined ? undefined : readers.trainingRounds?.(jobName);
  return {
    run: { ...runRow(run, costs.get(run.runId)?.totalUsd), ...extras(run) },
    steps,
    validation,
    ...(rounds === undefined || rounds.length === 0 ? {} : { training: { rounds } }),
    evaluation,
    artifacts: ARTIFACT_NAMES.map((name) => ({
      name,
      href: `/api/runs/${encodeURIComponent(run.runId)}/artifacts/${name}`,
    })),
  };
}

function extras(run: Run) {
  return {
    dataset: run.dataset,
    error: run.error,
    cause: run.cause,
    executionArn: run.executionArn,
    retryOf: run.retryOf,
    duplicateOf: run.duplicateOf,
  };
}

type HistoryEvent = NonNullable<GetExecutionHistoryCommandOutput['events']>[number];

/** A run's execution has a few dozen events: a few pages at most. */
const HISTORY_PAGES = 5;

async function executionHistory(
  readers: RunReaders,
  executionArn: string | undefined,
): Promise<HistoryEvent[]> {
  if (executionArn === undefined || readers.stepFunctions === undefined) return [];
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    let output: GetExecutionHistoryCommandOutput;
    try {
      output = await readers.stepFunctions.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
      );
    } catch (error) {
      // An execution of an earlier runtime process is not kept: the run's record still shows.
      if ((error as Error).name === 'ExecutionDoesNotExist') return events;
      throw error;
    }
    events.push(...(output.events ?? []));
    nextToken = output.nextToken;
    if (nextToken === undefined) break;
  }
  return events;
}

function parse(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function jobNameIn(input: string | undefined): string | undefined {
  const plan = parse(input)?.plan as { training?: { jobName?: unknown } } | undefined;
  const name = plan?.training?.jobName;
  return typeof name === 'string' ? name : undefined;
}

/** EvaluateModel's decision (lambdas/shared/pipeline.ts EvaluationDecision) in the state's output. */
function evaluationIn(output: string | undefined): Evaluation | undefined {
  const evaluation = parse(output)?.evaluation;
  if (typeof evaluation !== 'object' || evaluation === null) return undefined;
  const { status, decision, reasons, metric, value, champion } = evaluation as Record<string, unknown>;
  const chosen = status ?? decision;
  return {
    decision: typeof chosen === 'string' ? chosen : 'Unknown',
    reasons: Array.isArray(reasons) ? reasons.map(String) : [],
    ...(typeof metric === 'string' ? { metric } : {}),
    ...(typeof value === 'number' ? { value } : {}),
    ...(typeof champion === 'object' && champion !== null ? { champion } : {}),
  };
}

/** What EvaluateModel decided, and why. */
interface Evaluation {
  readonly decision: string;
  readonly reasons: string[];
  readonly metric?: string;
  readonly value?: number;
  readonly champion?: object;
}

/** The validation report (accepted and rejected datasets alike); undefined before validation wrote it. */
async function readReport(target: Target, runId: string): Promise<Record<string, unknown> | undefined> {
  try {
    const object = await target.s3.send(
      new GetObjectCommand({
        Bucket: target.resources.artifactsBucket,
        Key: runArtifactKey(runId, RunArtifacts.report),
      }),
    );
    const report = parse(await object.Body?.transformToString('utf8'));
    if (report === undefined) return undefined;
    return { ...report, accepted: report.status === 'accepted' };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * One artifact's bytes, as a download (Content-Disposition: attachment), never rendered by the browser.
 *
 * @throws UsageError for an unknown artifact name; NotFoundError when the run or the object is missing
 */
export async function artifactDownload(target: Target, runId: string, name: string) {
  const artifact = parseArtifactName(name);
  const { location } = await findArtifact(
    { s3: target.s3, registry: target.registry, resources: target.resources },
    runId,
    artifact,
  );
  const object = await target.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  const body = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  const file = location.key.split('/').pop() ?? artifact;
  return {
    kind: 'raw' as const,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${file.replace(/[^\w.-]/g, '_')}"`,
    },
    body,
  };
}
