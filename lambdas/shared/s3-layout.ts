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

/** `capture/<model>/`: the endpoint's DataCaptureConfig destination. */
export function capturePrefix(model: string): string {
  return `${Prefixes.capture}${model}/`;
}

/** `monitoring/<model>/`: drift and quality reports, one folder per window. */
export function monitoringPrefix(model: string): string {
  return `${Prefixes.monitoring}${model}/`;
}

/** `ground-truth/<model>/` in the data bucket. */
export function groundTruthPrefix(model: string): string {
  return `${Prefixes.groundTruth}${model}/`;
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
