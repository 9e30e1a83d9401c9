/**
 * The inference API (lambdas/invoke-model) against the local SageMaker Runtime and s3rver: it answers what the
 * endpoint answers and captures in SageMaker's format and layout, buffered, for the models it is told to.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_CAPTURE_MARK,
  CaptureBuffer,
  captureEncoding,
  captureRecord,
} from '../../lambdas/invoke-model/capture';
import { EVENT_ID_HEADER, INFERENCE_ID_HEADER, invokeModel } from '../../lambdas/invoke-model/invoke';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { type LocalSageMakerRuntime, startLocalSageMakerRuntime } from '../../local/sagemaker/runtime';
import { type LocalSageMaker, startLocalSageMaker } from '../../local/sagemaker/server';
import { builtInXgboostTrainer } from '../../local/trainers/built-in';
import { fitModel } from '../../local/trainers/xgboost/gbdt';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const PREFIX = 'mlops-test';
/** 2031-02-03T04:05:06.789Z */
const T0 = Date.UTC(2031, 1, 3, 4, 5, 6, 789);
const logger = new Logger({ logLevel: 'SILENT' });

function request(
  path: string,
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'text/csv' },
  method = 'POST',
): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'url-id',
      domainName: 'url-id.lambda-url.us-east-1.on.aws',
      domainPrefix: 'url-id',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'request',
      routeKey: '$default',
      stage: '$default',
      time: '03/Feb/2031:04:05:06 +0000',
      timeEpoch: T0,
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

type Result = Exclude<LambdaFunctionURLResult, string> & { headers: Record<string, string> };

describe('invoke-model (the inference API) on the local SageMaker Runtime and S3', () => {
  let root: string;
  let s3Server: LocalS3;
  let s3: S3Client;
  let sagemaker: LocalSageMaker;
  let runtimeServer: LocalSageMakerRuntime;
  let runtime: SageMakerRuntimeClient;
  let ids = 0;

  async function deployServerless(model: string): Promise<void> {
    const dir = join(root, 'model', model);
    mkdirSync(dir, { recursive: true });
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 40; i++) {
      features.push([i % 8, Math.floor(i / 8)]);
      labels.push(i % 8 > 3 ? 1 : 0);
    }
    const gbdt = fitModel(features, labels, {
      objective: 'binary:logistic',
      numRound: 3,
      numClass: 1,
      maxDepth: 2,
    });
    writeFileSync(join(dir, 'xgboost-model.json'), JSON.stringify(gbdt));
    const archive = join(root, `${model}.tar.gz`);
    await createTar({ gzip: true, cwd: dir, file: archive, portable: true }, ['xgboost-model.json']);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: `runs/${model}/model.tar.gz`,
        Body: readFileSync(archive),
      }),
    );
    const client = new SageMakerClient({
      region: REGION,
      endpoint: sagemaker.endpoint,
      credentials: CREDENTIALS,
    });
    await client.send(
      new CreateModelCommand({
        ModelName: `${PREFIX}-${model}-v1-a1`,
        PrimaryContainer: { Image: XGBOOST, ModelDataUrl: `s3://artifacts/runs/${model}/model.tar.gz` },
        ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ModelRole`,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${PREFIX}-${model}-v1-a1`,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: `${PREFIX}-${model}-v1-a1`,
            ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
          },
        ],
      }),
    );
    await client.send(
      new CreateEndpointCommand({
        EndpointName: `${PREFIX}-${model}`,
        EndpointConfigName: `${PREFIX}-${model}-v1-a1`,
      }),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { EndpointStatus } = await client.send(
        new DescribeEndpointCommand({ EndpointName: `${PREFIX}-${model}` }),
      );
      if (EndpointStatus === 'InService') break;
      if (Date.now() > deadline) throw new Error(`endpoint still ${EndpointStatus}`);
      await sleep(25);
    }
    client.destroy();
  }

  async function captureKeys(model: string): Promise<string[]> {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: 'artifacts', Prefix: `capture/${model}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  async function read(key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: key }));
    return (await object.Body?.transformToString()) ?? '';
  }

  function api(
    capture: CaptureBuffer,
    capturePercent: Record<string, number> = { defaults: 100 },
    now: () => number = () => T0,
  ) {
    return async (event: unknown) =>
      (await invokeModel(event, {
        runtime,
        capture,
        namePrefix: PREFIX,
        capturePercent,
        logger,
        now,
        newEventId: () => `event-${++ids}`,
      })) as Result;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'invoke-model-'));
    s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: ['artifacts'] });
    const s3Config = localS3ClientConfig(s3Server.endpoint, REGION, CREDENTIALS);
    s3 = new S3Client(s3Config);
    sagemaker = await startLocalSageMaker({
      workDir: join(root, 'sagemaker'),
      s3: s3Config,
      trainers: [builtInXgboostTrainer()],
      hostingDelays: { provisionMs: 50, deleteMs: 10 },
    });
    runtimeServer = await startLocalSageMakerRuntime({
      hosting: sagemaker.hosting,
      s3,
      account: ACCOUNT,
      region: REGION,
      workDir: join(root, 'runtime'),
    });
    runtime = new SageMakerRuntimeClient({
      region: REGION,
      endpoint: runtimeServer.endpoint,
      credentials: CREDENTIALS,
    });
    await deployServerless('churn');
    await deployServerless('fraud');
  });

  afterAll(async () => {
    runtime?.destroy();
    await runtimeServer?.stop();
    await sagemaker?.stop();
    s3?.destroy();
    await s3Server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers what the endpoint answers and captures request and response as SageMaker would', async () => {
    // Arrange
    const capture = new CaptureBuffer(s3, { bucket: 'artifacts', maxRecords: 1, newId: () => 'uuid-1' });
    const direct = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: `${PREFIX}-churn`,
        ContentType: 'text/csv',
        Body: new TextEncoder().encode('6,1\n1,2'),
      }),
    );

    // Act
    const answer = await api(capture)(
      request('/models/churn/invocations', '6,1\n1,2', {
        'Content-Type': 'text/csv',
        'X-Amzn-SageMaker-Inference-Id': 'order-17',
      }),
    );

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe(new TextDecoder().decode(direct.Body));
    expect(answer.headers[EVENT_ID_HEADER]).toMatch(/^event-\d+$/);
    expect(answer.headers['x-amzn-invoked-production-variant']).toBe('AllTraffic');
    const keys = await captureKeys('churn');
    expect(keys).toEqual([`capture/churn/${PREFIX}-churn/AllTraffic/2031/02/03/04/05-06-789-uuid-1.jsonl`]);
    const lines = (await read(keys[0] ?? '')).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '6,1\n1,2', encoding: 'CSV' },
        endpointOutput: {
          observedContentType: direct.ContentType,
          mode: 'OUTPUT',
          data: new TextDecoder().decode(direct.Body),
          encoding: 'CSV',
        },
      },
      eventMetadata: {
        eventId: answer.headers[EVENT_ID_HEADER],
        inferenceId: 'order-17',
        inferenceTime: '2031-02-03T04:05:06Z',
        capturedBy: API_CAPTURE_MARK,
      },
      eventVersion: '0',
    });
  });

  it('buffers records into one file per endpoint and hour until maxRecords or maxAge', async () => {
    // Arrange
    let now = T0;
    const capture = new CaptureBuffer(s3, {
      bucket: 'artifacts',
      maxRecords: 3,
      maxAgeMs: 60_000,
      now: () => now,
    });
    const call = api(capture, { fraud: 100 }, () => now);

    // Act: two requests stay buffered; the third fills the buffer
    await call(request('/models/fraud/invocations', '1,1'));
    now += 1000;
    await call(request('/models/fraud/invocations', '2,1'));
    const afterTwo = await captureKeys('fraud');
    now += 1000;
    await call(request('/models/fraud/invocations', '3,1'));
    const afterThree = await captureKeys('fraud');
    // One more, then a minute passes: the next request writes the old one with it
    now += 1000;
    await call(request('/models/fraud/invocations', '4,1'));
    now += 60_000;
    await call(request('/models/fraud/invocations', '5,1'));

    // Assess
    expect(afterTwo).toEqual([]);
    expect(afterThree).toHaveLength(1);
    const first = (await read(afterThree[0] ?? '')).trim().split('\n');
    expect(first.map((line) => JSON.parse(line).captureData.endpointInput.data)).toEqual([
      '1,1',
      '2,1',
      '3,1',
    ]);
    const all = await captureKeys('fraud');
    expect(all).toHaveLength(2);
    const second = (await read(all.find((key) => key !== afterThree[0]) ?? '')).trim().split('\n');
    expect(second.map((line) => JSON.parse(line).captureData.endpointInput.data)).toEqual(['4,1', '5,1']);
    expect(capture.pending).toBe(0);
  });

  it('captures nothing for a model SageMaker captures itself (capture percent 0)', async () => {
    // Arrange
    const capture = new CaptureBuffer(s3, { bucket: 'artifacts', maxRecords: 1 });
    const before = await captureKeys('churn');

    // Act
    const answer = await api(capture, { churn: 0, defaults: 100 })(
      request('/models/churn/invocations', '1,1'),
    );

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(await captureKeys('churn')).toEqual(before);
    expect(capture.pending).toBe(0);
  });

  it('keeps the records of a failed write for the next flush, and still answers', async () => {
    // Arrange: a bucket that does not exist yet
    const capture = new CaptureBuffer(s3, { bucket: 'late-bucket', maxRecords: 1 });

    // Act
    const answer = await api(capture)(request('/models/churn/invocations', '1,1'));
    const pending = capture.pending;
    await s3.send(new CreateBucketCommand({ Bucket: 'late-bucket' }));
    const written = await capture.flush();

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(pending).toBe(1);
    expect(written).toHaveLength(1);
    expect(capture.pending).toBe(0);
  });

  it.each<[string, LambdaFunctionURLEvent, number, string]>([
    ['another path', request('/invocations', '1,1'), 404, 'NotFound'],
    ['a model name the registry refuses', request('/models/Bad_Name/invocations', '1,1'), 404, 'NotFound'],
    ['a model without an endpoint', request('/models/unknown/invocations', '1,1'), 404, 'ModelNotDeployed'],
    ['a GET', request('/models/churn/invocations', undefined, {}, 'GET'), 405, 'MethodNotAllowed'],
    ['no body', request('/models/churn/invocations', undefined), 400, 'ValidationError'],
    [
      'an inference id over 64 characters',
      request('/models/churn/invocations', '1,1', {
        'content-type': 'text/csv',
        [INFERENCE_ID_HEADER]: 'x'.repeat(65),
      }),
      400,
      'ValidationError',
    ],
    [
      'an inference id the checks would skip as the stack’s own',
      request('/models/churn/invocations', '1,1', {
        'content-type': 'text/csv',
        [INFERENCE_ID_HEADER]: 'mlops-internal-baseline-1',
      }),
      400,
      'ValidationError',
    ],
  ])('refuses %s without capturing it', async (_name, event, status, error) => {
    // Arrange
    const capture = new CaptureBuffer(s3, { bucket: 'artifacts', maxRecords: 1 });

    // Act
    const answer = await api(capture)(event);

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(String(answer.body)).error).toBe(error);
    expect(capture.pending).toBe(0);
  });

  it.each<[string, unknown, string]>([
    [
      'not an object',
      'POST /models/churn/invocations',
      '(event): Invalid input: expected object, received string',
    ],
    [
      'no method',
      { ...request('/models/churn/invocations', '1,1'), requestContext: { http: {} } },
      'requestContext.http.method: Invalid input: expected string, received undefined',
    ],
    [
      'a header that is not text',
      { ...request('/models/churn/invocations', '1,1'), headers: { 'content-type': 7 } },
      'headers.content-type: Invalid input: expected string, received number',
    ],
  ])('answers 400 naming the field for an event that is %s', async (_name, event, field) => {
    // Arrange
    const capture = new CaptureBuffer(s3, { bucket: 'artifacts', maxRecords: 1 });

    // Act
    const answer = await api(capture)(event);

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(String(answer.body))).toEqual({
      error: 'ValidationError',
      message: `not a function URL request (payload format 2.0): ${field}`,
    });
    expect(capture.pending).toBe(0);
  });

  it('passes the container’s own error on as 424 ModelError, capturing nothing', async () => {
    // Arrange
    const capture = new CaptureBuffer(s3, { bucket: 'artifacts', maxRecords: 1 });

    // Act: XGBoost cannot read text features
    const answer = await api(capture)(request('/models/churn/invocations', 'not,numbers'));

    // Assess
    expect(answer.statusCode).toBe(424);
    expect(JSON.parse(String(answer.body)).error).toBe('ModelError');
    expect(capture.pending).toBe(0);
  });
});

describe('captureRecord and captureEncoding', () => {
  it('keeps the stack’s CSV and JSON types as text and anything else as base64, as SageMaker does', () => {
    // Arrange
    const body = new Uint8Array([0, 1, 2, 255]);

    // Act
    const record = JSON.parse(
      captureRecord({
        model: 'm',
        endpointName: 'e',
        variantName: 'AllTraffic',
        input: { body, contentType: 'application/x-npy' },
        output: { body: new TextEncoder().encode('{"predictions":[1]}'), contentType: 'application/json' },
        time: T0,
        eventId: 'e-1',
      }),
    );

    // Assess
    expect(captureEncoding('text/csv; charset=utf-8')).toBe('CSV');
    expect(captureEncoding('Application/JSON')).toBe('JSON');
    expect(captureEncoding(undefined)).toBe('BASE64');
    expect(record.captureData.endpointInput).toEqual({
      observedContentType: 'application/x-npy',
      mode: 'INPUT',
      data: Buffer.from(body).toString('base64'),
      encoding: 'BASE64',
    });
    expect(record.captureData.endpointOutput.encoding).toBe('JSON');
    expect(record.eventMetadata).not.toHaveProperty('inferenceId');
  });
});
