/**
 * JSON objects the stack wrote to S3 (run artifacts), read back through their schema: a damaged object is an
 * error naming its key and the field, not a value of the wrong shape travelling on.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from './s3-layout';
import * as z from './zod';

/** An object that is not JSON, or not of its schema's shape. */
export class DamagedArtifactError extends Error {
  override readonly name = 'DamagedArtifactError';
}

/** The parsed JSON of `s3://bucket/key`; undefined when there is no such object. */
export async function readJson(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  key: string,
): Promise<unknown | undefined> {
  let text: string;
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await output.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DamagedArtifactError(`${s3Uri(bucket, key)} is not JSON: ${(error as Error).message}`);
  }
}

/** `value` (read from `uri`) parsed with `schema`; {@link DamagedArtifactError} naming the fields otherwise. */
export function parseArtifact<T>(schema: z.core.$ZodType<T>, value: unknown, uri: string): T {
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`,
  );
  throw new DamagedArtifactError(`${uri} is damaged: ${issues.join('; ')}`);
}

/** The object at `s3://bucket/key` parsed with `schema`; undefined when there is no such object. */
export async function readJsonArtifact<T>(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  key: string,
  schema: z.core.$ZodType<T>,
): Promise<T | undefined> {
  const value = await readJson(s3, bucket, key);
  return value === undefined ? undefined : parseArtifact(schema, value, s3Uri(bucket, key));
}
