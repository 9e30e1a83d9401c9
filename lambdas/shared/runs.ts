/**
 * How a run is named. StartRun records runs under these ids; anything that has to find the run of an upload
 * (ReconcileExecution, the CLI's `upload --wait`) derives the id here, so they cannot drift apart.
 */
import { createHash } from 'node:crypto';
import {
  objectCreatedDetailSchema,
  RUN_ID_HASH_CHARS,
  RUN_RETRY_REQUESTED,
  retryRunId,
  runRetryRequestedDetailSchema,
} from './events';
import type { DatasetPointer } from './pipeline';
import type { ModelRegistryClient } from './registry';
import { datasetRejected } from './runtime/errors';
import { DATASET_KEY_LAYOUT, parseDatasetKey } from './s3-layout';
import * as z from './zod';

export { RUN_ID_HASH_CHARS, retryRunId } from './events';

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
  /** Absent, undefined or null (from a JSONPath) for an unversioned bucket. */
  readonly versionId?: string | null | undefined;
}

/** The run StartRun records for an upload. */
export interface UploadRun {
  readonly runId: string;
  readonly model: string;
  readonly dataset: DatasetPointer;
}

/**
 * The model, dataset pointer and run id StartRun records for an uploaded object version.
 *
 * @throws PipelineError `DatasetRejected` naming the key, what is wrong with it and the expected layout
 *   (s3-layout.ts's datasetKeyProblem decides)
 */
export function runForUpload(upload: UploadedObject): UploadRun {
  const parsed = parseDatasetKey(upload.key);
  if (!parsed.ok) {
    throw datasetRejected(
      `Object key "${upload.key}" ${parsed.problem} (expected ${DATASET_KEY_LAYOUT}; the model is the first folder)`,
    );
  }
  const { model } = parsed.value;
  // An unversioned bucket's events carry no version id (or null from a JSONPath); keep the pointer clean.
  const dataset: DatasetPointer = upload.versionId
    ? { bucket: upload.bucket, key: upload.key, versionId: upload.versionId }
    : { bucket: upload.bucket, key: upload.key };
  return { runId: runIdFor(model, dataset), model, dataset };
}

/** An execution input: the EventBridge event the rule started the execution with. */
const executionInputSchema = z.object({ 'detail-type': z.exactOptional(z.string()), detail: z.unknown() });

/**
 * The run id StartRun gave this execution, from the execution input (the EventBridge event that started
 * it), derived the way StartRun derives it; undefined when the input names no run (not an upload or retry
 * request, a key StartRun rejects, or a retry of a run that does not exist).
 */
export async function runIdOfExecution(
  input: string | null | undefined,
  registry: Pick<ModelRegistryClient, 'getRun'>,
): Promise<string | undefined> {
  if (!input) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(input);
  } catch {
    return undefined;
  }
  const event = z.safeParse(executionInputSchema, json);
  if (!event.success) return undefined;
  if (event.data['detail-type'] === RUN_RETRY_REQUESTED) {
    const retry = z.safeParse(runRetryRequestedDetailSchema, event.data.detail);
    if (!retry.success) return undefined;
    const original = await registry.getRun(retry.data.retryOf);
    return original === undefined ? undefined : retryRunId(original, retry.data.requestId);
  }
  const upload = z.safeParse(objectCreatedDetailSchema, event.data.detail);
  if (!upload.success) return undefined;
  const { bucket, object } = upload.data;
  try {
    return runForUpload({ bucket: bucket.name, key: object.key, versionId: object['version-id'] ?? null })
      .runId;
  } catch {
    // StartRun rejected this key too (DatasetRejected), so it recorded no run.
    return undefined;
  }
}
