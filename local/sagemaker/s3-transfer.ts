import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** A bucket and a key (or key prefix). */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Reads `s3://bucket/key` and the https forms SageMaker also accepts (virtual-hosted and path-style).
 * Returns undefined for anything else.
 */
export function parseS3Uri(uri: string): S3Location | undefined {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (s3) return { bucket: s3[1] ?? '', key: s3[2] ?? '' };
  const virtual = /^https:\/\/([^/]+)\.s3[.-][^/]*amazonaws\.com(?:\.cn)?\/?(.*)$/.exec(uri);
  if (virtual) return { bucket: virtual[1] ?? '', key: decodeURIComponent(virtual[2] ?? '') };
  const path = /^https:\/\/s3[.-][^/]*amazonaws\.com(?:\.cn)?\/([^/]+)\/?(.*)$/.exec(uri);
  if (path) return { bucket: path[1] ?? '', key: decodeURIComponent(path[2] ?? '') };
  return undefined;
}

/** `s3://bucket/key`. */
export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** `prefix` joined with more key parts by single slashes, as SageMaker joins S3OutputPath and job name. */
export function joinKey(prefix: string, ...parts: string[]): string {
  return [prefix.replace(/\/+$/, ''), ...parts].filter((part) => part !== '').join('/');
}

/**
 * Downloads every object whose key starts with `from.key` into `directory`, as SageMaker's File mode does:
 * an object's path below the directory is its key after the prefix's last `/` (so `data/train.csv` as a
 * prefix gives `train.csv`, `data/train/` gives the files under it). Returns the number of files written.
 */
export async function downloadPrefix(client: S3Client, from: S3Location, directory: string): Promise<number> {
  const base = from.key.slice(0, from.key.lastIndexOf('/') + 1);
  let count = 0;
  for await (const key of listKeys(client, from)) {
    if (key.endsWith('/')) continue; // "folder" placeholder objects
    const target = resolve(directory, key.slice(base.length));
    if (!target.startsWith(resolve(directory) + sep)) continue; // keys with `..` must not escape the channel
    const object = await client.send(new GetObjectCommand({ Bucket: from.bucket, Key: key }));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, (await object.Body?.transformToByteArray()) ?? new Uint8Array());
    count += 1;
  }
  return count;
}

async function* listKeys(client: S3Client, from: S3Location): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: from.bucket, Prefix: from.key, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Uploads one file; a Buffer body, since s3rver mis-stores streamed (aws-chunked) uploads. */
export async function uploadFile(client: S3Client, to: S3Location, file: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: to.bucket, Key: to.key, Body: await readFile(file) }));
}

/** Uploads every file below `directory` under the key prefix `to.key`. Returns the number of files. */
export async function uploadDirectory(client: S3Client, to: S3Location, directory: string): Promise<number> {
  const files = await listFiles(directory);
  for (const file of files) {
    const key = joinKey(to.key, relative(directory, file).split(sep).join('/'));
    await uploadFile(client, { bucket: to.bucket, key }, file);
  }
  return files.length;
}

/** Every regular file below a directory, recursively; none when it does not exist. */
export async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
