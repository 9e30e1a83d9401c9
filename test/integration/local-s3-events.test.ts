import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, type S3EventRecord, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { objectCreatedEvent } from '../../local/events/router';

const BUCKET = 'events-bucket';
const ENV = { account: '000000000000', region: 'us-east-1' };

describe('local S3 notifications as EventBridge "Object Created" events', () => {
  let directory: string;
  let s3: LocalS3;
  let client: S3Client;
  const records: S3EventRecord[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'mlops-s3-events-'));
    s3 = await startLocalS3({ directory, buckets: [BUCKET] });
    s3.onEvent((record) => records.push(record));
    client = new S3Client(localS3ClientConfig(s3.endpoint, ENV.region));
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each(['datasets/churn/a+b.csv', 'datasets/churn/100% sure.csv', 'datasets/churn/%41 é.csv'])(
    'carries the key %s exactly as uploaded',
    async (key) => {
      // Prepare
      const before = records.length;

      // Act
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'a,b\n1,2\n' }));

      // Assess
      const record = records[before];
      expect(record).toBeDefined();
      const event = objectCreatedEvent(record as S3EventRecord, ENV, 'v1') as {
        detail: { object: { key: string } };
      };
      expect(event.detail.object.key).toBe(key);
    },
  );

  it('gives each write a version id, returned to the uploader and carried by its event', async () => {
    // Prepare
    const before = records.length;

    // Act
    const first = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'datasets/churn/v.csv', Body: 'a\n1\n' }),
    );
    const second = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'datasets/churn/v.csv', Body: 'a\n2\n' }),
    );

    // Assess
    expect(first.VersionId).toMatch(/^[0-9a-f]{32}$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(records.slice(before).map((record) => record.s3.object.versionId)).toEqual([
      first.VersionId,
      second.VersionId,
    ]);
  });
  it('pages a listing of more keys than max-keys with continuation tokens (s3rver ciphers them with DES)', async () => {
    // Prepare
    const prefix = 'capture/paged/';
    const keys = Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(3, '0')}.jsonl`);
    await Promise.all(
      keys.map((Key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: '{}' }))),
    );

    // Act
    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client, pageSize: 10 },
      { Bucket: BUCKET, Prefix: prefix },
    )) {
      pages += 1;
      listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    }

    // Assess
    expect(pages).toBe(3);
    expect(listed).toEqual(keys);
  });
});
