import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { putJsonIfAbsent } from '../../../../lambdas/validate-dataset/s3-io';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const fast = { baseDelayMs: 1 };

/** S3's answers to a PutObject with If-None-Match (API Reference, PutObject): 412 and 409. */
const preconditionFailed = () =>
  new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });
const conflict = () =>
  new S3ServiceException({
    name: 'ConditionalRequestConflict',
    $fault: 'client',
    $metadata: { httpStatusCode: 409 },
    message: 'A conflicting conditional operation is currently in progress against this resource.',
  });

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

describe('putJsonIfAbsent', () => {
  it('writes with If-None-Match: * and reports true', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const written = await putJsonIfAbsent(s3, 'artifacts', 'contracts/churn/schema.json', { a: 1 }, fast);

    // Assess
    expect(written).toBe(true);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'artifacts',
      Key: 'contracts/churn/schema.json',
      IfNoneMatch: '*',
      ContentType: 'application/json',
    });
  });

  it('reports false when the key exists (412 PreconditionFailed)', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(preconditionFailed());

    // Act + Assess
    expect(await putJsonIfAbsent(s3, 'b', 'k', {}, fast)).toBe(false);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('retries a 409 ConditionalRequestConflict and writes when the other write did not complete', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejectsOnce(conflict()).resolves({});

    // Act + Assess
    expect(await putJsonIfAbsent(s3, 'b', 'k', {}, fast)).toBe(true);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('retries a 409 and reports false when the other write won (then 412)', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejectsOnce(conflict()).rejects(preconditionFailed());

    // Act + Assess
    expect(await putJsonIfAbsent(s3, 'b', 'k', {}, fast)).toBe(false);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('gives up after the configured attempts with the 409, and never retries other errors', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(conflict());

    // Act
    const act = putJsonIfAbsent(s3, 'b', 'k', {}, { attempts: 3, baseDelayMs: 1 });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'ConditionalRequestConflict' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);

    // Prepare
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    // Act + Assess
    await expect(putJsonIfAbsent(s3, 'b', 'k', {}, fast)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });
});
