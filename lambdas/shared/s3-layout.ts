/**
 * The stack's S3 layout, in one place (docs/data-contract.md describes it for users). IAM policies, rule
 * patterns, Lambdas, the local runtime and the CLI derive every key, prefix and pattern from here, so they
 * cannot drift apart — as table-design.ts does for the registry's keys.
 *
 * Data bucket:
 * - `datasets/<model>/[<folders>/]<file>.csv` — an upload starts a run for `<model>` (`.csv` in any case;
 *   sub-folders are for the user's own partitioning, e.g. by date)
 * - `datasets/<model>/schema.json` — the model's declared data contract (optional)
 * - `ground-truth/<model>/…` — labels for served predictions
 *
 * Artifacts bucket:
 * - `contracts/<model>/schema.json` — the contract inferred from the model's first accepted dataset
 * - `runs/<runId>/…` — one run's artifacts ({@link RunArtifacts})
 * - `capture/<model>/…` — endpoint data capture; `monitoring/<model>/<window>/…` — drift reports
 */
import { RUN_ID_HASH_CHARS } from './events';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './registry/schemas';

/** Top-level prefixes, each ending in `/`. */
export const Prefixes = {
  datasets: 'datasets/',
  groundTruth: 'ground-truth/',
  contracts: 'contracts/',
  runs: 'runs/',
  capture: 'capture/',
  monitoring: 'monitoring/',
} as const;

/** The declared contract's file name, directly under `datasets/<model>/`. */
export const SCHEMA_FILE = 'schema.json';

/** The extension of files that start a run; compared without regard to case. */
export const DATASET_EXTENSION = '.csv';

/** What a dataset key must look like, for messages. */
export const DATASET_KEY_LAYOUT = `${Prefixes.datasets}<model>/[<folders>/]<file>${DATASET_EXTENSION}`;

/** `datasets/<model>/` */
export function datasetsPrefix(model: string): string {
  return `${Prefixes.datasets}${model}/`;
}

/** `datasets/<model>/<relativePath>` (relativePath may hold sub-folders). */
export function datasetKey(model: string, relativePath: string): string {
  return `${datasetsPrefix(model)}${relativePath}`;
}

/** `datasets/<model>/schema.json` in the data bucket: the declared contract. */
export function declaredContractKey(model: string): string {
  return `${datasetsPrefix(model)}${SCHEMA_FILE}`;
}

/** `contracts/<model>/schema.json` in the artifacts bucket: the contract stored after inference. */
export function storedContractKey(model: string): string {
  return `${Prefixes.contracts}${model}/${SCHEMA_FILE}`;
}

/** `runs/<runId>/` */
export function runPrefix(runId: string): string {
  return `${Prefixes.runs}${runId}/`;
}

/** A run's artifacts, relative to {@link runPrefix}. Folders end in `/`. */
export const RunArtifacts = {
  /** The validation report (accepted and rejected datasets alike). */
  report: 'validation-report.json',
  /** Lineage: dataset object, version, sha256, contract, plan. */
  lineage: 'lineage.json',
  /** The data contract the run was validated against (declared, stored or inferred), as it was then. */
  contract: 'contract.json',
  /** Baseline statistics of the accepted dataset (drift checks compare against it). */
  baseline: 'baseline.json',
  /**
   * The version's predictions on its validation split, made at deployment (drift checks test the served
   * predictions against them): D1's PredictionBaseline JSON.
   */
  predictionBaseline: 'prediction-baseline.json',
  /** How the training CSV was encoded (label classes, category codes): predictions are encoded the same way. */
  encoding: 'encoding.json',
  /** Training and validation splits in the training algorithm's format. */
  splits: 'splits/',
  /** SageMaker's OutputDataConfig.S3OutputPath: `<job>/output/model.tar.gz` lands under it. */
  output: 'output/',
  /** SageMaker's CheckpointConfig.S3Uri. */
  checkpoints: 'checkpoints/',
} as const;

/** The folder of one split channel: `splits/<channel>/`. */
export function splitFolder(channel: 'train' | 'validation'): string {
  return `${RunArtifacts.splits}${channel}/`;
}

/** The file of one split channel, as ValidateDataset writes it: `splits/<channel>/<channel>.csv`. */
export function splitFile(channel: 'train' | 'validation'): string {
  return `${splitFolder(channel)}${channel}.csv`;
}

/** `runs/<runId>/<artifact>` */
export function runArtifactKey(runId: string, artifact: string): string {
  return `${runPrefix(runId)}${artifact}`;
}

/** The file name prefix of the retrainer's datasets. */
const RETRAIN_DATASET_FILE_PREFIX = 'retrain-';

/** `datasets/<model>/retrain-<windowId>.csv`: the retrainer's dataset for a window (an upload that starts a run). */
export function retrainDatasetKey(model: string, windowId: string): string {
  return datasetKey(model, `${RETRAIN_DATASET_FILE_PREFIX}${windowId}${DATASET_EXTENSION}`);
}

/** `capture/<model>/`: the endpoint's DataCaptureConfig destination. */
export function capturePrefix(model: string): string {
  return `${Prefixes.capture}${model}/`;
}

/** `monitoring/<model>/`: drift and quality reports, one folder per window. */
export function monitoringPrefix(model: string): string {
  return `${Prefixes.monitoring}${model}/`;
}

/** Report files in a monitoring window's folder: the drift report (JSON and HTML) and the quality report. */
export const MonitoringReportFiles = {
  json: 'report.json',
  html: 'report.html',
  quality: 'quality.json',
} as const;

/** `monitoring/<model>/<windowId>/` */
export function windowFolder(model: string, windowId: string): string {
  return `${monitoringPrefix(model)}${windowId}/`;
}

/** `monitoring/<model>/<windowId>/<file>` */
export function windowReportKey(model: string, windowId: string, file: string): string {
  return `${windowFolder(model, windowId)}${file}`;
}

/** `ground-truth/<model>/` in the data bucket. */
export function groundTruthPrefix(model: string): string {
  return `${Prefixes.groundTruth}${model}/`;
}

/** The model of a ground-truth key `ground-truth/<model>/…`; undefined when the key is not under a model folder. */
export function parseGroundTruthKey(key: string): { readonly model: string } | undefined {
  if (!key.startsWith(Prefixes.groundTruth)) return undefined;
  const parts = key.slice(Prefixes.groundTruth.length).split('/');
  const [model = ''] = parts;
  return parts.length < 2 || model === '' ? undefined : { model };
}

/*
 * Data capture files, as SageMaker writes them under DataCaptureConfig's DestinationS3Uri:
 * `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`, named by the time (UTC) of the
 * file's first record (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html).
 * The stack's prefix is capture/<model> ({@link capturePrefix}); the local runtime takes any.
 */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `yyyy/mm/dd/hh` (UTC) of `time` (ms since the epoch; before 1970 counts as 1970): a capture hour folder. */
export function captureHour(time: number): string {
  const t = new Date(Math.max(0, time));
  return `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/${pad(t.getUTCHours())}`;
}

/** `<prefix>/<endpoint>/<variant>/`; `prefix` with or without its trailing `/`. */
export function captureVariantFolder(prefix: string, endpointName: string, variantName: string): string {
  return `${withSlash(prefix)}${endpointName}/${variantName}/`;
}

/** `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/` of a record at `time`. */
export function captureFolder(
  prefix: string,
  endpointName: string,
  variantName: string,
  time: number,
): string {
  return `${captureVariantFolder(prefix, endpointName, variantName)}${captureHour(time)}/`;
}

/** `<folder><mm-ss-mmm>-<uuid>.jsonl` for a file whose first record is at `time` ({@link captureFolder}'s folder). */
export function captureFileKey(folder: string, time: number, uuid: string): string {
  const t = new Date(time);
  return `${withSlash(folder)}${pad(t.getUTCMinutes())}-${pad(t.getUTCSeconds())}-${pad(t.getUTCMilliseconds(), 3)}-${uuid}.jsonl`;
}

/** A capture file key, understood. */
export interface CaptureKey {
  readonly endpointName: string;
  readonly variantName: string;
  /** `<prefix>/<endpoint>/<variant>/` */
  readonly variantFolder: string;
  /** The time of the file's first record, ms since the epoch; undefined when the key is not a capture file's. */
  readonly time?: number;
  readonly uuid?: string;
}

/**
 * The endpoint and variant of a key under `prefix` (`<prefix>/<endpoint>/<variant>/…`) and, when the rest is
 * `yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`, its time and uuid; undefined when the key has no
 * endpoint/variant folder under `prefix`.
 */
export function parseCaptureKey(prefix: string, key: string): CaptureKey | undefined {
  const base = withSlash(prefix);
  if (!key.startsWith(base)) return undefined;
  const parts = key.slice(base.length).split('/');
  const [endpointName = '', variantName = '', ...rest] = parts;
  if (parts.length < 3 || endpointName === '' || variantName === '') return undefined;
  const folder = {
    endpointName,
    variantName,
    variantFolder: captureVariantFolder(base, endpointName, variantName),
  };
  const match = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})-(\d{2})-(\d{3})-(.+)\.jsonl$/.exec(
    rest.join('/'),
  );
  if (match === null) return folder;
  const field = (index: number) => Number(match[index]);
  const time = Date.UTC(field(1), field(2) - 1, field(3), field(4), field(5), field(6), field(7));
  const uuid = match[8] ?? '';
  return uuid.includes('/') ? folder : { ...folder, time, uuid };
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** `s3://<bucket>/<key>` */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The bucket and key of `s3://<bucket>/<key>` (a non-empty key), the inverse of {@link s3Uri}; else undefined. */
export function parseS3Uri(uri: string): { readonly bucket: string; readonly key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { bucket: match[1], key: match[2] };
}

/**
 * The EventBridge key patterns of uploads that start a run: `datasets/*\/*.csv` in every letter case of the
 * extension (EventBridge's wildcard is case-sensitive; values in one array are OR-ed). `*` also matches `/`,
 * so sub-folders match; the model folder is required. Keys these match but {@link parseDatasetKey} refuses
 * (a bad model name, an empty file name) start an execution that fails at StartRun with the reason.
 */
export function datasetKeyWildcards(): string[] {
  const variants = [...DATASET_EXTENSION.slice(1)].reduce<string[]>(
    (acc, letter) => acc.flatMap((prefix) => [prefix + letter.toLowerCase(), prefix + letter.toUpperCase()]),
    [''],
  );
  return variants.map((extension) => `${Prefixes.datasets}*/*.${extension}`);
}

/** IAM resource patterns (object keys, `*` as IAM reads it) for each area, used with bucket.arnForObjects. */
export const KeyPatterns = {
  datasets: `${Prefixes.datasets}*`,
  contracts: `${Prefixes.contracts}*`,
  runs: `${Prefixes.runs}*`,
  /** One file of every run: `runs/*\/<file>`. */
  runFile: (file: string) => `${Prefixes.runs}*/${file}`,
  /** One folder of every run: `runs/*\/<artifact folder>*` (artifact folder ends in `/`). */
  runFolder: (folder: string) => `${Prefixes.runs}*/${folder}*`,
  /**
   * One folder of one model's runs only: `runs/<model>-????????????????/<artifact folder>*`. Run ids are
   * `<model>-<16 hex>` (runs.ts runIdFor, events.ts retryRunId) and IAM's `?` matches exactly one character
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html), so model
   * `churn` never matches the runs of `churn-eu` (`churn-eu-<16 hex>` has 19 characters after `churn-`).
   */
  modelRunFolder: (model: string, folder: string) =>
    `${Prefixes.runs}${model}-${'?'.repeat(RUN_ID_HASH_CHARS)}/${folder}*`,
  capture: `${Prefixes.capture}*`,
  /** `capture/<model>/*`: one model's data capture. */
  modelCapture: (model: string) => `${capturePrefix(model)}*`,
  monitoring: `${Prefixes.monitoring}*`,
  /** `ground-truth/*`: every model's labels. */
  groundTruth: `${Prefixes.groundTruth}*`,
  /** `datasets/*\/retrain-*`: the retrainer's datasets ({@link retrainDatasetKey}), uploads that start a run. */
  retrainDatasets: `${Prefixes.datasets}*/${RETRAIN_DATASET_FILE_PREFIX}*`,
} as const;

/** A dataset key, understood. */
export interface DatasetKey {
  readonly model: string;
  /** The path below `datasets/<model>/`, sub-folders included. */
  readonly relativePath: string;
}

/** Why a key is not a dataset that starts a run; `undefined` from {@link datasetKeyProblem} when it is one. */
export type DatasetKeyProblem = string;

/**
 * What is wrong with `key` as a dataset upload, in words, or `undefined` when it is one:
 * `datasets/<model>/[<folders>/]<file>.csv`, the model a valid model name, `.csv` in any case, no empty
 * folder or file name.
 */
export function datasetKeyProblem(key: string): DatasetKeyProblem | undefined {
  if (!key.startsWith(Prefixes.datasets)) return `is not under ${Prefixes.datasets}`;
  const parts = key.slice(Prefixes.datasets.length).split('/');
  if (parts.length < 2) return 'names no model folder';
  const [model = '', ...rest] = parts;
  if (!MODEL_NAME_PATTERN.test(model)) {
    return `has "${model}" as the model, which is not a valid model name (${MODEL_NAME_RULE})`;
  }
  if (rest.some((segment) => segment === '')) return 'has an empty folder or file name';
  const file = rest[rest.length - 1] ?? '';
  if (!file.toLowerCase().endsWith(DATASET_EXTENSION) || file.length <= DATASET_EXTENSION.length) {
    return `does not name a ${DATASET_EXTENSION} file`;
  }
  return undefined;
}

/**
 * The model and path of a dataset key, or `undefined` with {@link datasetKeyProblem}'s reason.
 */
export function parseDatasetKey(
  key: string,
): { readonly ok: true; readonly value: DatasetKey } | { readonly ok: false; readonly problem: string } {
  const problem = datasetKeyProblem(key);
  if (problem !== undefined) return { ok: false, problem };
  const [model = '', ...rest] = key.slice(Prefixes.datasets.length).split('/');
  return { ok: true, value: { model, relativePath: rest.join('/') } };
}

/**
 * `runs/<runId>/output/<jobName>/output/model.tar.gz`: where SageMaker puts a training job's model under
 * the run's {@link RunArtifacts.output} (S3OutputPath), as `<S3OutputPath>/<job>/output/model.tar.gz`.
 */
export function modelArtifactKey(runId: string, jobName: string): string {
  return runArtifactKey(runId, `${RunArtifacts.output}${jobName}/output/model.tar.gz`);
}
