/** S3 adapters for the validator's input and sinks (the core knows nothing about S3). */
import { PassThrough, type Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DatasetPointer } from '../shared/pipeline';
import { type ArtifactSink, type OpenDataset, writableSink } from './sinks';

/** Opens the dataset pinned to the event's version, so every pass reads the same bytes. */
export function s3Dataset(s3: S3Client, dataset: DatasetPointer): OpenDataset {
  return async function* open() {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: dataset.bucket, Key: dataset.key, VersionId: dataset.versionId }),
    );
    yield* response.Body as Readable;
  };
}

/**
 * A streamed upload (multipart when large) that becomes visible only when closed; abort discards the
 * parts, so a failed validation leaves no half-written split.
 */
export function s3Sink(s3: S3Client, bucket: string, key: string): ArtifactSink {
  const body = new PassThrough();
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' },
  });
  const done = upload.done();
  // Surfaces through close(); without this an early failure would be an unhandled rejection.
  done.catch(() => undefined);
  const stream = writableSink(body);
  return {
    write: (chunk) => stream.write(chunk),
    async close() {
      await stream.close();
      await done;
    },
    async abort(reason) {
      await upload.abort().catch(() => undefined);
      await stream.abort(reason);
    },
  };
}

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<string> {
  await s3.send(new PutObjectCommand(jsonObject(bucket, key, value)));
  return `s3://${bucket}/${key}`;
}

/** How often a conditional put that met a concurrent write is tried, and the first back-off. */
export interface ConditionalPutRetry {
  /** @default 5 */
  readonly attempts?: number;
  /** Doubles per attempt, full jitter. @default 50 */
  readonly baseDelayMs?: number;
}

/**
 * Writes the JSON only if the key holds no object yet; false when another writer got there first.
 *
 * S3 answers `If-None-Match: *` with 412 PreconditionFailed when the key exists, and with 409
 * ConditionalRequestConflict when a conflicting write to the key was in progress at the same time, which is
 * exactly the race this guards; AWS says to retry the upload then (Amazon S3 API Reference, PutObject,
 * `If-None-Match`: "If a conflicting operation occurs during the upload S3 returns a 409
 * ConditionalRequestConflict response. On a 409 failure you should retry the upload."; User Guide,
 * "How to prevent object overwrites with conditional writes"). The retry then gets a 412 if the other
 * write won, or succeeds if it did not complete.
 *
 * @throws the last 409 after `retry.attempts` conflicts; any other error at once
 */
export async function putJsonIfAbsent(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  retry: ConditionalPutRetry = {},
): Promise<boolean> {
  const attempts = retry.attempts ?? 5;
  const baseDelayMs = retry.baseDelayMs ?? 50;
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.send(new PutObjectCommand({ ...jsonObject(bucket, key, value), IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      const status = httpStatus(error);
      if (errorName(error) === 'PreconditionFailed' || status === 412) return false;
      const conflict = errorName(error) === 'ConditionalRequestConflict' || status === 409;
      if (!conflict || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function jsonObject(bucket: string, key: string, value: unknown) {
  return {
    Bucket: bucket,
    Key: key,
    Body: `${JSON.stringify(value, null, 2)}\n`,
    ContentType: 'application/json',
  };
}

/** The object's text, or undefined when it does not exist. */
export async function getOptionalText(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await response.Body?.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
