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

/** Writes the JSON only if the key holds no object yet; false when another writer got there first. */
export async function putJsonIfAbsent(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
): Promise<boolean> {
  try {
    await s3.send(new PutObjectCommand({ ...jsonObject(bucket, key, value), IfNoneMatch: '*' }));
    return true;
  } catch (error) {
    const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412) return false;
    throw error;
  }
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
