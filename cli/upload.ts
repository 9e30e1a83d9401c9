/**
 * `mlops upload <file> --model <name> [--wait]`: puts a dataset where the pipeline picks it up
 * (`datasets/<model>/<file>` in the data bucket) and, with --wait, follows the run the upload started.
 */
import { createReadStream, type Stats, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ModelRegistryClient, ModelVersion, Run } from '../lambdas/shared/registry';
import { parseModelName } from './arguments';
import { CliError, UsageError } from './errors';
import { type Objective, objectiveOf } from './models';
import { formatBytes, formatDuration, formatMetricValue, oneLine, renderFields } from './output';

/** Where datasets go; the pipeline's trigger matches `datasets/*.csv`. */
export const DATASET_PREFIX = 'datasets/';
/** The optional data contract beside a model's datasets; uploading it starts no run. */
export const SCHEMA_FILE = 'schema.json';

export const DEFAULT_TIMEOUT_SECONDS = 1800;
export const DEFAULT_POLL_INTERVAL_MS = 2000;
/** How far the uploader's clock may be ahead of the pipeline's before --wait stops looking at older runs. */
const CLOCK_SKEW_MS = 60_000;
const RUN_PAGE_SIZE = 25;

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
  /** When the upload began (ISO-8601): the run it starts cannot have started before. */
  readonly startedAt: string;
  readonly startsRun: boolean;
}

export interface UploadDependencies {
  readonly s3: S3Client;
  readonly dataBucket: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Checks an upload before anything is sent: a valid model name, a `.csv` (or the model's schema.json), an
 * existing non-empty file; and that --wait has a run to wait for.
 *
 * @throws UsageError for a bad model name or file name; CliError for a missing, unreadable or empty file
 */
export function prepareUpload(path: string, model: string, wait = false): DatasetFile {
  const name = parseModelName(model);
  const file = basename(path);
  const startsRun = file.endsWith('.csv') && file.length > '.csv'.length;
  if (!startsRun && file !== SCHEMA_FILE) throw new UsageError(unsupportedName(file));
  if (wait && !startsRun) throw new UsageError(`--wait needs a .csv: uploading ${SCHEMA_FILE} starts no run`);
  const stats = statFile(path);
  if (stats.size === 0) throw new CliError(`${path} is empty: a dataset needs at least a header row`);
  return {
    path,
    model: name,
    key: `${DATASET_PREFIX}${name}/${file}`,
    size: stats.size,
    contentType: startsRun ? 'text/csv' : 'application/json',
    startsRun,
  };
}

function unsupportedName(file: string): string {
  const hint = /\.csv$/i.test(file) ? ` (rename it to end in lowercase ".csv")` : '';
  return (
    `Cannot upload ${file}${hint}: only <file>.csv (starts a training run) and ${SCHEMA_FILE} ` +
    `(the model's data contract) belong under ${DATASET_PREFIX}<model>/`
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
  return {
    file: dataset.path,
    model: dataset.model,
    bucket: deps.dataBucket,
    key: dataset.key,
    uri: `s3://${deps.dataBucket}/${dataset.key}`,
    size: dataset.size,
    ...(output.VersionId ? { versionId: output.VersionId } : {}),
    startedAt,
    startsRun: dataset.startsRun,
  };
}

/** What the registry is asked while waiting. */
export type RunWatcher = Pick<ModelRegistryClient, 'getRun' | 'getVersion' | 'listRunsByModel'>;

/** A change --wait reports: the run appeared, or its status or step changed. */
export interface WaitProgress {
  readonly run: Run;
  /** Since the wait began. */
  readonly elapsedMs: number;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** @default DEFAULT_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
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
 * Polls the registry for the run the upload started and follows it until it ends or the time is up.
 * Never throws for the run's outcome: a failed run and a timeout are results, for the caller to report.
 */
export async function waitForRun(
  registry: RunWatcher,
  upload: UploadResult,
  options: WaitOptions,
): Promise<WaitResult> {
  const now = options.now ?? Date.now;
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const begin = now();
  const deadline = begin + options.timeoutMs;
  let run: Run | undefined;
  let seen = '';
  for (;;) {
    run = run === undefined ? await findRun(registry, upload) : ((await registry.getRun(run.runId)) ?? run);
    if (run !== undefined && `${run.status}/${run.step}` !== seen) {
      seen = `${run.status}/${run.step}`;
      options.onProgress?.({ run, elapsedMs: now() - begin });
    }
    if (run !== undefined && run.status !== 'Running') return ended(registry, run);
    const left = deadline - now();
    if (left <= 0) return { outcome: 'TimedOut', run: run ?? null, version: null, objective: null };
    await sleep(Math.min(interval, left));
  }
}

/**
 * The run started by this upload: the model's runs for this object (its version when the bucket is
 * versioned, else one started at or after the upload began), searched newest first.
 */
export async function findRun(
  registry: Pick<RunWatcher, 'listRunsByModel'>,
  upload: UploadResult,
): Promise<Run | undefined> {
  const since = Date.parse(upload.startedAt);
  let nextToken: string | undefined;
  do {
    const page = await registry.listRunsByModel(upload.model, {
      limit: RUN_PAGE_SIZE,
      ...(nextToken ? { nextToken } : {}),
    });
    const match = page.items.find((run) => startedBy(run, upload, since));
    if (match !== undefined) return match;
    // Newest first: once a page reaches runs from before the upload, ours is not further down.
    const oldest = page.items.at(-1);
    if (oldest !== undefined && Date.parse(oldest.startedAt) < since - CLOCK_SKEW_MS) return undefined;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return undefined;
}

function startedBy(run: Run, upload: UploadResult, since: number): boolean {
  const { dataset } = run;
  if (dataset.bucket !== upload.bucket || dataset.key !== upload.key) return false;
  if (upload.versionId !== undefined && dataset.versionId !== undefined) {
    return dataset.versionId === upload.versionId;
  }
  return Date.parse(run.startedAt) >= since;
}

async function ended(registry: RunWatcher, run: Run): Promise<WaitResult> {
  if (run.status === 'Failed') return { outcome: 'Failed', run, version: null, objective: null };
  const version = run.version === undefined ? undefined : await registry.getVersion(run.model, run.version);
  const objective = version === undefined ? undefined : objectiveOf(version);
  return { outcome: 'Succeeded', run, version: version ?? null, objective: objective ?? null };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Where the upload went, and what happens next. */
export function renderUpload(upload: UploadResult): string {
  const file = basename(upload.file);
  const where = `Uploaded ${file} (${formatBytes(upload.size)}) to ${upload.uri}\n`;
  if (!upload.startsRun) return `${where}It is ${upload.model}'s data contract from now on; no run starts.\n`;
  return (
    `${where}A training run starts for ${upload.model}: follow it with ` +
    `\`mlops runs list --model ${upload.model}\`, or upload with --wait.\n`
  );
}

/** One progress line: `[12s] run churn-1a2b Running (ValidateDataset)`. */
export function renderProgress(progress: WaitProgress): string {
  const { run, elapsedMs } = progress;
  const step = run.step === undefined ? '' : ` (${run.step})`;
  return `[${formatDuration(elapsedMs)}] run ${run.runId} ${run.status}${step}\n`;
}

/** A succeeded run: its id, the version it registered, that version's status and objective. */
export function renderSucceeded(result: WaitResult, upload: UploadResult): string {
  const { run, version, objective } = result;
  const value = objective === null ? undefined : `${objective.metric} ${formatMetricValue(objective.value)}`;
  return renderFields([
    ['Dataset', upload.uri],
    ['Run', run?.runId],
    ['Run status', run?.status],
    ['Version', version === null ? undefined : `${version.model} v${version.version}`],
    ['Status', version?.status],
    ['Objective', value],
    ['Reason', version?.statusReason],
  ]);
}

/** Why --wait did not succeed, as one line for stderr. */
export function waitFailure(result: WaitResult, upload: UploadResult, timeoutMs: number): string {
  const { run } = result;
  if (result.outcome === 'Failed' && run !== null) {
    const step = run.step === undefined ? '' : ` in ${run.step}`;
    const cause = run.cause === undefined ? '' : `: ${oneLine(run.cause)}`;
    return `Run ${run.runId} failed${step}: ${run.error ?? 'unknown error'}${cause}`;
  }
  // Short timeouts as given (0.5s), not rounded to a misleading 0s or 1s.
  const after = `Timed out after ${timeoutMs < 60_000 ? `${timeoutMs / 1000}s` : formatDuration(timeoutMs)}`;
  if (run === null) {
    return `${after}: no run has started for ${upload.uri} (is the pipeline running? see \`mlops runs list\`)`;
  }
  const step = run.step === undefined ? '' : ` in ${run.step}`;
  return `${after}: run ${run.runId} is still ${run.status}${step} (follow it with \`mlops runs show ${run.runId}\`)`;
}
