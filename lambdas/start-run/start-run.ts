/**
 * StartRun: names the model and the run from the uploaded object and records the run, exactly once per
 * object version.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DatasetPointer, RunContext, StartRunInput } from '../shared/pipeline';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE, type ModelRegistryClient } from '../shared/registry';
import { datasetRejected } from '../shared/runtime/errors';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';

/** Where datasets are uploaded: `datasets/<model>/<file>.csv`. */
export const DATASET_PREFIX = 'datasets/';

/** Hex characters of the object-version hash in a run id; 64 bits keep collisions out of reach. */
export const RUN_ID_HASH_CHARS = 16;

const LAYOUT = `expected ${DATASET_PREFIX}<model>/<file>.csv`;

/**
 * Derives the model from a dataset key, `datasets/<model>/<file>.csv`, exactly one folder deep.
 *
 * @throws PipelineError `DatasetRejected` naming the key and the expected layout
 */
export function modelFromKey(key: string): string {
  const reject = (problem: string) =>
    datasetRejected(`Object key "${key}" ${problem} (${LAYOUT}, model names being ${MODEL_NAME_RULE})`);
  if (!key.startsWith(DATASET_PREFIX)) throw reject(`is not under ${DATASET_PREFIX}`);
  const parts = key.slice(DATASET_PREFIX.length).split('/');
  if (parts.length !== 2) {
    throw reject(
      parts.length < 2 ? 'names no model folder' : `is ${parts.length - 1} folders deep instead of one`,
    );
  }
  const [model = '', file = ''] = parts;
  if (!MODEL_NAME_PATTERN.test(model)) {
    throw reject(`has "${model}" as the model, which is not a valid model name`);
  }
  if (!/\.csv$/i.test(file) || file.length <= '.csv'.length) throw reject('does not name a .csv file');
  return model;
}

/**
 * The run id of an object version: `<model>-<16 hex chars of sha256("<bucket>/<key>#<versionId>")>`.
 * Deterministic, so every delivery of the same upload names the same run; a new upload is a new version
 * and so a new run. At most 49 characters, valid as a SageMaker training job name.
 */
export function runIdFor(model: string, dataset: DatasetPointer): string {
  const digest = createHash('sha256')
    .update(`${dataset.bucket}/${dataset.key}#${dataset.versionId ?? ''}`)
    .digest('hex');
  return `${model}-${digest.slice(0, RUN_ID_HASH_CHARS)}`;
}

/** What names a run: the uploaded object version (an S3 event's bucket, key and version id). */
export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  /** Absent (or null from a JSONPath) for an unversioned bucket. */
  readonly versionId?: string | null;
}

/**
 * The model, dataset pointer and run id StartRun records for an uploaded object version. Anything that has
 * to find the run of an upload (e.g. ReconcileExecution) derives it here, so the two cannot drift apart.
 *
 * @throws PipelineError `DatasetRejected` when the key is not `datasets/<model>/<file>.csv`
 */
export function runForUpload(upload: UploadedObject): {
  readonly runId: string;
  readonly model: string;
  readonly dataset: DatasetPointer;
} {
  const model = modelFromKey(upload.key);
  // An unversioned bucket's events carry no version id (or null from a JSONPath); keep the pointer clean.
  const dataset: DatasetPointer = upload.versionId
    ? { bucket: upload.bucket, key: upload.key, versionId: upload.versionId }
    : { bucket: upload.bucket, key: upload.key };
  return { runId: runIdFor(model, dataset), model, dataset };
}

export interface StartRunDependencies {
  readonly registry: Pick<ModelRegistryClient, 'createRun'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * Records the run for an uploaded object version, once.
 *
 * The run id is derived from the object version, so every delivery of the same upload lands on the same
 * run record and only the first creates it. A later delivery from another execution gets
 * `duplicate: true` and the state machine stops there; a retry of the execution that created the run
 * (same executionArn, e.g. after a Lambda service error) is not a duplicate and carries on.
 *
 * @throws PipelineError `DatasetRejected` when the key is not `datasets/<model>/<file>.csv`
 */
export async function startRun(input: StartRunInput, deps: StartRunDependencies): Promise<RunContext> {
  const { registry, logger, metrics } = deps;
  if (typeof input.bucket !== 'string' || typeof input.key !== 'string') {
    throw new Error(
      'StartRun needs the bucket and key of the uploaded object (from the S3 Object Created event)',
    );
  }
  const { runId, model, dataset } = runForUpload(input);
  logger.appendKeys({ runId, model });
  logger.setCorrelationId(runId);
  metrics.addDimension(MODEL_DIMENSION, model);

  const { created, run } = await registry.createRun({
    runId,
    model,
    dataset,
    executionArn: input.executionArn,
    startedAt: (deps.clock ?? (() => new Date()))(),
  });
  const duplicate = !created && run.executionArn !== input.executionArn;
  if (duplicate) {
    logger.info('Duplicate delivery: this object version already has a run; not starting another', {
      existingExecutionArn: run.executionArn,
      existingStatus: run.status,
      executionArn: input.executionArn,
    });
    metrics.addMetric('DuplicateDelivery', MetricUnit.Count, 1);
  } else {
    logger.info(created ? 'Run started' : 'Run already recorded by this execution (retry); carrying on', {
      dataset,
      sizeBytes: input.sizeBytes,
    });
    if (created) metrics.addMetric('RunStarted', MetricUnit.Count, 1);
  }
  return { runId, model, dataset, duplicate };
}
