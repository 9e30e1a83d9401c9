/**
 * `mlops upload <file> --model <name> [--wait]`: puts a dataset where the pipeline picks it up
 * (`datasets/<model>/<file>` in the data bucket) and, with --wait, follows the run the upload started.
 */
import { createReadStream, readFileSync, type Stats, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { omitUndefined } from '../lambdas/shared/omit-undefined';
import { RunSteps } from '../lambdas/shared/pipeline';
import type { ModelRegistryClient, ModelVersion, Run } from '../lambdas/shared/registry';
import { runForUpload } from '../lambdas/shared/runs';
import {
  DATASET_EXTENSION,
  datasetKey,
  datasetKeyProblem,
  Prefixes,
  SCHEMA_FILE,
  s3Uri,
} from '../lambdas/shared/s3-layout';
import { parseModelName } from './arguments';
import { checkContract } from './contract';
import { CliError, UsageError } from './errors';
import { type Objective, objectiveOf } from './models';
import { formatBytes, formatDuration, formatMetricValue, oneLine, renderFields } from './output';
import { pollUntil } from './poll';
import { withArtifactHints } from './runs';

export { SCHEMA_FILE };

export const DEFAULT_TIMEOUT_SECONDS = 1800;
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** A local file checked and ready to upload. */
export interface DatasetFile {
  readonly path: string;
  readonly model: string;
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  /** Whether the upload starts a training run (a .csv does, schema.json does not). */
  readonly startsRun: boolean;
}

/** Where an upload went. */
export interface UploadResult {
  readonly file: string;
  readonly model: string;
  readonly bucket: string;
  readonly key: string;
  readonly uri: string;
  readonly size: number;
  /** Present when the bucket is versioned: the exact object version the run will train on. */
  readonly versionId?: string;
  /** When the upload began (ISO-8601). */
  readonly startedAt: string;
  readonly startsRun: boolean;
  /** The run the upload starts (a .csv only): derived from the object version as StartRun derives it. */
  readonly runId?: string;
}

export interface UploadDependencies {
  readonly s3: S3Client;
  readonly dataBucket: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Checks an upload before anything is sent: a valid model name, a `.csv` (or the model's schema.json, which
 * must be a valid data contract), an existing non-empty file; and that --wait has a run to wait for.
 *
 * @throws UsageError for a bad model name or file name; CliError for a missing, unreadable or empty file,
 *   and (exit code 2) for a schema.json the pipeline's contract parser refuses, with every field error
 */
export function prepareUpload(path: string, model: string, wait = false): DatasetFile {
  const name = parseModelName(model);
  const file = basename(path);
  const startsRun = file !== SCHEMA_FILE;
  const key = datasetKey(name, file);
  if (startsRun && datasetKeyProblem(key) !== undefined) throw new UsageError(unsupportedName(file));
  if (wait && !startsRun) throw new UsageError(`--wait needs a .csv: uploading ${SCHEMA_FILE} starts no run`);
  const stats = statFile(path);
  if (stats.size === 0) {
    throw new CliError(
      `${path} is empty: ${startsRun ? 'a dataset needs at least a header row' : 'a data contract is a JSON object'}`,
    );
  }
  // The pipeline's own parser decides, before anything is sent: a bad contract would fail the next run.
  if (!startsRun) checkContract(readFileSync(path, 'utf8'), path, 'nothing was uploaded');
  return {
    path,
    model: name,
    key,
    size: stats.size,
    contentType: startsRun ? 'text/csv' : 'application/json',
    startsRun,
  };
}

function unsupportedName(file: string): string {
  return (
    `Cannot upload ${file}: only <file>${DATASET_EXTENSION} (starts a training run) and ${SCHEMA_FILE} ` +
    `(the model's data contract) belong under ${Prefixes.datasets}<model>/`
  );
}

function statFile(path: string): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `File not found: ${path}` : `Cannot read ${path} (${code})`);
  }
  if (!stats.isFile()) throw new CliError(`${path} is not a file`);
  return stats;
}

/**
 * Uploads the file to `datasets/<model>/<basename>` in the data bucket, streamed (multipart when large).
 *
 * @throws as {@link prepareUpload}, before anything is sent
 */
export async function uploadDataset(
  deps: UploadDependencies,
  path: string,
  model: string,
): Promise<UploadResult> {
  const dataset = prepareUpload(path, model);
  const startedAt = (deps.now ?? (() => new Date()))().toISOString();
  const upload = new Upload({
    client: deps.s3,
    params: {
      Bucket: deps.dataBucket,
      Key: dataset.key,
      Body: createReadStream(dataset.path),
      ContentType: dataset.contentType,
    },
  });
  const output = await upload.done();
  const versionId = output.VersionId || undefined;
  const object = { bucket: deps.dataBucket, key: dataset.key, versionId };
  // The --json document leaves out what the upload has not (a version id, a run).
  return omitUndefined({
    file: dataset.path,
    model: dataset.model,
    bucket: deps.dataBucket,
    key: dataset.key,
    uri: s3Uri(deps.dataBucket, dataset.key),
    size: dataset.size,
    versionId,
    startedAt,
    startsRun: dataset.startsRun,
    runId: dataset.startsRun ? runForUpload(object).runId : undefined,
  });
}

/** What the registry is asked while waiting. */
export type RunWatcher = Pick<ModelRegistryClient, 'getRun' | 'getVersion'>;

/** A change --wait reports: the run appeared, or its status or step changed. */
export interface WaitProgress {
  readonly run: Run;
  /** Since the wait began. */
  readonly elapsedMs: number;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** @default DEFAULT_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number | undefined;
  readonly onProgress?: (progress: WaitProgress) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How the wait ended. `version` and `objective` are set once the run Succeeded with a version. */
export interface WaitResult {
  readonly outcome: 'Succeeded' | 'Failed' | 'TimedOut';
  readonly run: Run | null;
  readonly version: ModelVersion | null;
  readonly objective: Objective | null;
}

/**
 * Polls the registry for the run `runId` (named before it exists: StartRun derives it from the uploaded
 * object version, see lambdas/shared/runs.ts) and follows it until it ends or the time is up.
 * Never throws for the run's outcome: a failed run and a timeout are results, for the caller to report.
 */
export async function waitForRun(
  registry: RunWatcher,
  runId: string,
  options: WaitOptions,
): Promise<WaitResult> {
  let shown: Run | undefined;
  const { value: run, timedOut } = await pollUntil(() => registry.getRun(runId), {
    timeoutMs: options.timeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    now: options.now,
    stateOf: (current) => `${current.status}/${current.step}`,
    done: (current) => current.status !== 'Running',
    onChange: (current, elapsedMs) => {
      for (const passed of stepsSince(shown, current)) options.onProgress?.({ run: passed, elapsedMs });
      shown = current;
    },
  });
  if (timedOut || run === undefined) {
    return { outcome: 'TimedOut', run: run ?? null, version: null, objective: null };
  }
  return ended(registry, run);
}

/** The pipeline's steps in the order a run goes through them (a run in one has passed all before it). */
const STEP_ORDER: readonly string[] = [
  RunSteps.validateDataset,
  RunSteps.trainModel,
  RunSteps.evaluateModel,
  RunSteps.registerModel,
];

/**
 * What to report for a run seen as `current` after `previous` (undefined: not seen yet): each step it passed
 * since, as Running in that step, then `current` as it is (an ended run also as Running in its last step
 * first, unless that is RegisterModel, which is recorded with the outcome). A poll sees the run only now and then, and a step may take less than the interval; the steps are
 * ordered, so what is reported does not depend on when the polls came.
 */
export function stepsSince(previous: Run | undefined, current: Run): Run[] {
  const from = previous?.step === undefined ? -1 : STEP_ORDER.indexOf(previous.step);
  const to = current.step === undefined ? -1 : STEP_ORDER.indexOf(current.step);
  if (to < 0 || to < from) return [current];
  // RegisterModel is recorded with the run's outcome: a run is never seen Running in it.
  const passed = STEP_ORDER.slice(from + 1, to + 1).filter((step) => step !== RunSteps.registerModel);
  const running = passed.map((step) => ({
    ...current,
    status: 'Running' as const,
    step,
  }));
  // A Running run is the last of them itself.
  if (current.status === 'Running' && current.step === passed.at(-1))
    return [...running.slice(0, -1), current];
  return [...running, current];
}

async function ended(registry: RunWatcher, run: Run): Promise<WaitResult> {
  if (run.status === 'Failed') return { outcome: 'Failed', run, version: null, objective: null };
  const version = run.version === undefined ? undefined : await registry.getVersion(run.model, run.version);
  const objective = version === undefined ? undefined : objectiveOf(version);
  return { outcome: 'Succeeded', run, version: version ?? null, objective: objective ?? null };
}

/** Where the upload went, and what happens next. */
export function renderUpload(upload: UploadResult): string {
  const file = basename(upload.file);
  const where = `Uploaded ${file} (${formatBytes(upload.size)}) to ${upload.uri}\n`;
  if (!upload.startsRun) return `${where}It is ${upload.model}'s data contract from now on; no run starts.\n`;
  return (
    `${where}Run ${upload.runId} starts for ${upload.model}: follow it with ` +
    `\`mlops runs show ${upload.runId}\`, or upload with --wait.\n`
  );
}

/** One progress line: `[12s] run churn-1a2b Running (ValidateDataset)`. */
export function renderProgress(progress: WaitProgress): string {
  const { run, elapsedMs } = progress;
  const step = run.step === undefined ? '' : ` (${run.step})`;
  return `[${formatDuration(elapsedMs)}] run ${run.runId} ${run.status}${step}\n`;
}

/** A succeeded run: its id, the version it registered (or the run it duplicates), status and objective. */
export function renderSucceeded(result: WaitResult): string {
  const { run, version, objective } = result;
  const value = objective === null ? undefined : `${objective.metric} ${formatMetricValue(objective.value)}`;
  const dataset = run === null ? undefined : s3Uri(run.dataset.bucket, run.dataset.key);
  return renderFields([
    ['Dataset', dataset],
    ['Run', run?.runId],
    ['Run status', run?.status],
    ...(run?.retryOf === undefined ? [] : [['Retry of', run.retryOf] as const]),
    ...(run?.duplicateOf === undefined
      ? []
      : [['Duplicate of', `${run.duplicateOf} (same data; not trained again)`] as const]),
    ['Version', version === null ? undefined : `${version.model} v${version.version}`],
    ['Status', version?.status],
    ['Objective', value],
    ['Reason', version?.statusReason],
  ]);
}

/**
 * Why --wait did not succeed, as one line for stderr.
 *
 * @param what - what should have started the run, e.g. `s3://…/datasets/churn/a.csv`
 */
export function waitFailure(result: WaitResult, runId: string, what: string, timeoutMs: number): string {
  const { run } = result;
  if (result.outcome === 'Failed' && run !== null) {
    const step = run.step === undefined ? '' : ` in ${run.step}`;
    const cause = run.cause === undefined ? '' : `: ${withArtifactHints(oneLine(run.cause))}`;
    return `Run ${run.runId} failed${step}: ${run.error ?? 'unknown error'}${cause}`;
  }
  // Short timeouts as given (0.5s), not rounded to a misleading 0s or 1s.
  const after = `Timed out after ${timeoutMs < 60_000 ? `${timeoutMs / 1000}s` : formatDuration(timeoutMs)}`;
  if (run === null) {
    return `${after}: run ${runId} for ${what} has not started (is the pipeline running? see \`mlops runs list\`)`;
  }
  const step = run.step === undefined ? '' : ` in ${run.step}`;
  return `${after}: run ${run.runId} is still ${run.status}${step} (follow it with \`mlops runs show ${run.runId}\`)`;
}
