import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigInput,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import type { Fleet } from '../../local/sagemaker/hosting-state';
import { type LocalSageMakerRuntime, startLocalSageMakerRuntime } from '../../local/sagemaker/runtime';
import { float32 } from '../../local/sagemaker/runtime/python-format';
import { type LocalSageMaker, startLocalSageMaker } from '../../local/sagemaker/server';
import { builtInXgboostTrainer } from '../../local/trainers/built-in';
import { fitModel, type GbdtModel, type Objective, predict } from '../../local/trainers/xgboost/gbdt';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ModelRole`;
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const SCALE_SERVER = join(__dirname, '..', 'fixtures', 'serving', 'scale-server.cjs');
const USER_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/scale-server:1';
const BROKEN_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/broken-server:1';
const UNMAPPED_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/unmapped:1';

/** Two features; the label depends on both, so the trees split on each. */
function dataset(objective: Objective): { features: number[][]; labels: number[] } {
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    const x = (i % 10) / 10;
    const y = Math.floor(i / 10) / 6;
    features.push([x, y]);
    labels.push(
      objective === 'multi:softprob'
        ? x + y > 1
          ? 2
          : x > 0.5
            ? 1
            : 0
        : objective === 'binary:logistic'
          ? x + y > 0.8
            ? 1
            : 0
          : x * 3 + y,
    );
  }
  return { features, labels };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function train(objective: Objective): GbdtModel {
  const { features, labels } = dataset(objective);
  return fitModel(features, labels, {
    objective,
    numRound: 5,
    numClass: objective === 'multi:softprob' ? 3 : 1,
    maxDepth: 3,
  });
}

describe('local SageMaker Runtime (InvokeEndpoint over the real SDK client)', () => {
  let root: string;
  let s3Server: LocalS3;
  let s3: S3Client;
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  let runtime: LocalSageMakerRuntime;
  let invoker: SageMakerRuntimeClient;
  const models: Record<string, GbdtModel> = {};
  const published: MetricDatum[] = [];
  const warnings: string[] = [];

  /** Uploads a model.tar.gz holding `files` and returns its URI. */
  async function artifact(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, 'artifacts', name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const archive = join(root, 'artifacts', `${name}.tar.gz`);
    await createTar({ gzip: true, cwd: dir, file: archive, portable: true }, Object.keys(files));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: `runs/${name}/model.tar.gz`,
        Body: readFileSync(archive),
      }),
    );
    return `s3://artifacts/runs/${name}/model.tar.gz`;
  }

  async function deploy(
    endpointName: string,
    modelName: string,
    options: {
      image?: string;
      files?: Record<string, string>;
      environment?: Record<string, string>;
      config?: Partial<CreateEndpointConfigInput>;
    } = {},
  ): Promise<void> {
    const modelDataUrl = await artifact(modelName, options.files ?? { 'README.txt': 'no model' });
    await client.send(
      new CreateModelCommand({
        ModelName: modelName,
        PrimaryContainer: {
          Image: options.image ?? XGBOOST,
          ModelDataUrl: modelDataUrl,
          ...(options.environment ? { Environment: options.environment } : {}),
        },
        ExecutionRoleArn: ROLE,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${modelName}-config`,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: modelName,
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
            InitialVariantWeight: 1,
          },
        ],
        ...options.config,
      }),
    );
    await client.send(
      new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${modelName}-config` }),
    );
  }

  async function waitInService(endpointName: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { EndpointStatus } = await client.send(
        new DescribeEndpointCommand({ EndpointName: endpointName }),
      );
      if (EndpointStatus === 'InService') return;
      if (Date.now() > deadline) throw new Error(`${endpointName} still ${EndpointStatus}`);
      await sleep(25);
    }
  }

  async function invoke(input: Omit<InvokeEndpointCommandInput, 'Body'> & { Body: string }) {
    const output = await invoker.send(
      new InvokeEndpointCommand({ ...input, Body: new TextEncoder().encode(input.Body) }),
    );
    return { ...output, text: new TextDecoder().decode(output.Body) };
  }

  async function failure(
    input: Omit<InvokeEndpointCommandInput, 'Body'> & { Body: string },
  ): Promise<unknown> {
    return invoke(input).then(
      () => expect.unreachable('InvokeEndpoint succeeded'),
      (error: unknown) => error,
    );
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-sagemaker-runtime-'));
    s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: ['artifacts', 'capture'] });
    const s3Config = localS3ClientConfig(s3Server.endpoint, REGION, CREDENTIALS);
    s3 = new S3Client(s3Config);
    sagemaker = await startLocalSageMaker({
      workDir: join(root, 'sagemaker'),
      s3: s3Config,
      trainers: [builtInXgboostTrainer()],
      hostingDelays: { provisionMs: 300, deleteMs: 100 },
    });
    client = new SageMakerClient({ region: REGION, endpoint: sagemaker.endpoint, credentials: CREDENTIALS });
    runtime = await startLocalSageMakerRuntime({
      hosting: sagemaker.hosting,
      s3,
      account: ACCOUNT,
      region: REGION,
      workDir: join(root, 'runtime'),
      metrics: (namespace, data) => {
        expect(namespace).toBe('AWS/SageMaker');
        published.push(...data);
      },
      capture: { flushIntervalMs: 60_000 },
      servers: [
        { image: /\/scale-server:/, command: process.execPath, args: [SCALE_SERVER] },
        {
          image: BROKEN_IMAGE,
          command: process.execPath,
          args: ['-e', 'console.error("no model"); process.exit(3)'],
        },
      ],
      startupTimeoutMs: 10_000,
      onWarning: (message) => warnings.push(message),
    });
    invoker = new SageMakerRuntimeClient({
      region: REGION,
      endpoint: runtime.endpoint,
      credentials: CREDENTIALS,
    });
    for (const objective of ['binary:logistic', 'multi:softprob', 'reg:squarederror'] as const) {
      models[objective] = train(objective);
    }
    await deploy('binary', 'binary-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['binary:logistic']) },
    });
    await deploy('softprob', 'softprob-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['multi:softprob']) },
    });
    await deploy('regression', 'regression-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['reg:squarederror']) },
    });
    await Promise.all(['binary', 'softprob', 'regression'].map(waitInService));
  });

  afterAll(async () => {
    invoker?.destroy();
    client?.destroy();
    await runtime?.stop();
    await sagemaker?.stop();
    s3?.destroy();
    await s3Server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('scores one CSV row with the endpoint model, as XGBoost answers text/csv', async () => {
    const output = await invoke({ EndpointName: 'binary', ContentType: 'text/csv', Body: '0.9,0.5' });
    const [expected = Number.NaN] = predict(models['binary:logistic'] as GbdtModel, [[0.9, 0.5]]);
    expect(output.text).toBe(`${float32(expected)}\n`);
    expect(expected).toBeGreaterThan(0.5);
    expect(output.ContentType).toBe('text/csv; charset=utf-8');
    expect(output.InvokedProductionVariant).toBe('AllTraffic');
  });

  it('scores many rows, an empty field being a missing value, one line each', async () => {
    const output = await invoke({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Accept: 'text/csv',
      Body: '0.1,0.1\n0.9,0.9\n,0.5\n',
    });
    const expected = predict(models['binary:logistic'] as GbdtModel, [
      [0.1, 0.1],
      [0.9, 0.9],
      [Number.NaN, 0.5],
    ]);
    expect(output.text).toBe(Array.from(expected, (p) => `${float32(p)}\n`).join(''));
  });

  it('answers multi:softprob with num_class probabilities per row, regression with the value', async () => {
    const softprob = await invoke({
      EndpointName: 'softprob',
      ContentType: 'text/csv',
      Body: '0.2,0.1\n0.9,0.9',
    });
    const lines = softprob.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const probabilities = line.split(',').map(Number);
      expect(probabilities).toHaveLength(3);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const regression = await invoke({ EndpointName: 'regression', ContentType: 'text/csv', Body: '0.5,0.5' });
    const [value = Number.NaN] = predict(models['reg:squarederror'] as GbdtModel, [[0.5, 0.5]]);
    expect(regression.text).toBe(`${float32(value)}\n`);
  });

  it('answers Accept application/json as {"predictions": [{"score": …}]} and scores JSON instances', async () => {
    const json = await invoke({
      EndpointName: 'binary',
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: JSON.stringify({ instances: [{ features: [0.9, 0.5] }, { features: [null, 0.1] }] }),
    });
    expect(json.ContentType).toBe('application/json');
    const expected = predict(models['binary:logistic'] as GbdtModel, [
      [0.9, 0.5],
      [Number.NaN, 0.1],
    ]);
    expect(json.text).toBe(
      `{"predictions": [{"score": ${float32(expected[0] ?? 0)}}, {"score": ${float32(expected[1] ?? 0)}}]}`,
    );
    const softprob = await invoke({
      EndpointName: 'softprob',
      ContentType: 'text/csv',
      Accept: 'application/json',
      Body: '0.2,0.1',
    });
    const parsed = JSON.parse(softprob.text) as { predictions: { score: number[] }[] };
    expect(parsed.predictions[0]?.score).toHaveLength(3);
  });

  it('answers a malformed body with ModelError carrying the container status and a message naming row and column', async () => {
    const error = await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Body: '0.1,0.2\n0.3,abc',
    });
    expect(error).toBeInstanceOf(ModelError);
    const modelError = error as ModelError;
    expect(modelError.$metadata.httpStatusCode).toBe(424);
    expect(modelError.OriginalStatusCode).toBe(415);
    expect(modelError.OriginalMessage).toContain(
      "could not convert string to float: 'abc' (row 2, column 2)",
    );
    expect(modelError.message).toMatch(
      /^Received client error \(415\) from primary with message "Loading csv data failed/,
    );
    expect(modelError.message).toContain(`in account ${ACCOUNT} for more information.`);
    expect(modelError.LogStreamArn).toBe(
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/binary`,
    );

    const header = (await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Body: 'bill_length_mm,bill_depth_mm\n0.1,0.2',
    })) as ModelError;
    expect(header.OriginalMessage).toContain(
      "could not convert string to float: 'bill_length_mm' (row 1, column 1; a header row? send the rows without it)",
    );

    const ragged = (await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Body: '0.1,0.2\n0.3',
    })) as ModelError;
    expect(ragged.OriginalMessage).toContain('row 2 has 1 columns, row 1 has 2');

    const withLabel = (await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Body: '1,0.1,0.2',
    })) as ModelError;
    expect(withLabel.OriginalStatusCode).toBe(400);
    expect(withLabel.OriginalMessage).toBe(
      'Unable to evaluate payload provided: the rows have 3 columns, the model has 2 features (send the features only, without the label)',
    );

    const type = (await failure({
      EndpointName: 'binary',
      ContentType: 'application/x-image',
      Body: 'x',
    })) as ModelError;
    expect(type.OriginalStatusCode).toBe(415);
    expect(type.OriginalMessage).toMatch(/^application\/x-image is not an accepted ContentType: csv, libsvm/);

    const accept = (await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Accept: 'image/png',
      Body: '0.1,0.2',
    })) as ModelError;
    expect(accept.OriginalStatusCode).toBe(406);
  });

  it('answers an unknown endpoint and one not yet InService with ValidationError, as SageMaker words it', async () => {
    const unknown = await failure({ EndpointName: 'nope', ContentType: 'text/csv', Body: '1,2' });
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).message).toBe(`Endpoint nope of account ${ACCOUNT} not found.`);
    expect((unknown as ValidationError).$metadata.httpStatusCode).toBe(400);

    await deploy('creating', 'creating-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['binary:logistic']) },
    });
    const creating = await failure({ EndpointName: 'creating', ContentType: 'text/csv', Body: '1,2' });
    expect((creating as ValidationError).message).toBe(`Endpoint creating of account ${ACCOUNT} not found.`);
    await waitInService('creating');
    const served = await invoke({ EndpointName: 'creating', ContentType: 'text/csv', Body: '0.9,0.5' });
    expect(Number(served.text)).toBeGreaterThan(0.5);

    const badName = await failure({ EndpointName: 'bad_name', ContentType: 'text/csv', Body: '1,2' });
    expect((badName as ValidationError).message).toContain(
      "Value 'bad_name' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
  });

  it('answers ModelError when the model archive has no model the built-in image can load', async () => {
    await deploy('empty', 'empty-v1', { files: { 'README.txt': 'no model here' } });
    await waitInService('empty');
    const error = (await failure({
      EndpointName: 'empty',
      ContentType: 'text/csv',
      Body: '1,2',
    })) as ModelError;
    expect(error.OriginalStatusCode).toBe(500);
    expect(error.OriginalMessage).toBe('Unable to load model: no xgboost-model.json in the model archive');
  });

  /** Sum and count of a metric's published values for an endpoint (all variants). */
  function metric(name: string, endpointName: string): { sum: number; count: number; units: Set<string> } {
    const out = { sum: 0, count: 0, units: new Set<string>() };
    for (const datum of published) {
      if (datum.MetricName !== name) continue;
      if (!datum.Dimensions?.some((d) => d.Name === 'EndpointName' && d.Value === endpointName)) continue;
      expect(datum.Dimensions?.map((d) => d.Name)).toEqual(['EndpointName', 'VariantName']);
      out.units.add(datum.Unit ?? '');
      (datum.Values ?? []).forEach((value, i) => {
        const count = datum.Counts?.[i] ?? 1;
        out.sum += value * count;
        out.count += count;
      });
    }
    return out;
  }

  it('splits traffic between blue and green during a canary, then serves green alone', async () => {
    await deploy('canary', 'canary-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['binary:logistic']) },
    });
    await waitInService('canary');
    await client.send(
      new CreateModelCommand({
        ModelName: 'canary-v2',
        PrimaryContainer: {
          Image: XGBOOST,
          ModelDataUrl: await artifact('canary-v2', {
            'xgboost-model.json': JSON.stringify(models['reg:squarederror']),
          }),
        },
        ExecutionRoleArn: ROLE,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'canary-v2-config',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'canary-v2',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 2,
            InitialVariantWeight: 1,
          },
        ],
      }),
    );
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: 'canary',
        EndpointConfigName: 'canary-v2-config',
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY',
              CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 },
              WaitIntervalInSeconds: 3,
            },
            TerminationWaitInSeconds: 1,
          },
        },
      }),
    );
    // While the green fleet is Creating, blue takes everything; then the canary (1 of 2 instances: 50%).
    const deadline = Date.now() + 8000;
    let stats = runtime.stats('canary');
    while (
      ((stats['canary-v2-config']?.invocations ?? 0) < 20 ||
        (stats['canary-v1-config']?.invocations ?? 0) < 20) &&
      Date.now() < deadline
    ) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          invoke({ EndpointName: 'canary', ContentType: 'text/csv', Body: '0.5,0.5' }),
        ),
      );
      stats = runtime.stats('canary');
    }
    expect(stats['canary-v1-config']?.invocations).toBeGreaterThanOrEqual(20);
    expect(stats['canary-v2-config']?.invocations).toBeGreaterThanOrEqual(20);
    await waitInService('canary');
    const before = runtime.stats('canary');
    for (let i = 0; i < 10; i++)
      await invoke({ EndpointName: 'canary', ContentType: 'text/csv', Body: '0.5,0.5' });
    const after = runtime.stats('canary');
    expect(after['canary-v1-config']?.invocations).toBe(before['canary-v1-config']?.invocations);
    expect(after['canary-v2-config']?.invocations).toBe((before['canary-v2-config']?.invocations ?? 0) + 10);
    const [value = Number.NaN] = predict(models['reg:squarederror'] as GbdtModel, [[0.5, 0.5]]);
    expect((await invoke({ EndpointName: 'canary', ContentType: 'text/csv', Body: '0.5,0.5' })).text).toBe(
      `${float32(value)}\n`,
    );
  });

  it("captures sampled invocations to S3 in SageMaker's layout and record format", async () => {
    await deploy('captured', 'captured-v1', {
      files: { 'xgboost-model.json': JSON.stringify(models['binary:logistic']) },
      config: {
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: 's3://capture/datacapture',
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
        },
      },
    });
    await waitInService('captured');
    for (let i = 0; i < 5; i++) {
      await invoke({
        EndpointName: 'captured',
        ContentType: 'text/csv',
        Body: `0.${i},0.5`,
        InferenceId: `req-${i}`,
      });
    }
    await invoke({
      EndpointName: 'captured',
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: '{"features":[0.3,0.3]}',
    });
    await failure({ EndpointName: 'captured', ContentType: 'text/csv', Body: 'x,y' });
    await runtime.flush();
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: 'capture', Prefix: 'datacapture/captured/AllTraffic/' }),
    );
    const keys = (listed.Contents ?? []).map((object) => object.Key ?? '');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(
        /^datacapture\/captured\/AllTraffic\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/,
      );
    }
    const records = [];
    for (const key of keys) {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'capture', Key: key }));
      const text = (await object.Body?.transformToString()) ?? '';
      records.push(
        ...text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      );
    }
    // The failed request is not captured.
    expect(records).toHaveLength(6);
    const first = records.find((r) => r.eventMetadata.inferenceId === 'req-1');
    expect(first).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '0.1,0.5', encoding: 'CSV' },
        endpointOutput: {
          observedContentType: 'text/csv; charset=utf-8',
          mode: 'OUTPUT',
          data: expect.stringMatching(/^0\.\d+\n$/),
          encoding: 'CSV',
        },
      },
      eventMetadata: {
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        inferenceId: 'req-1',
        inferenceTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      },
      eventVersion: '0',
    });
    const json = records.find((r) => r.captureData.endpointInput.observedContentType === 'application/json');
    expect(json.captureData.endpointInput.encoding).toBe('JSON');
    expect(json.captureData.endpointOutput.data).toMatch(/^\{"predictions": \[\{"score": /);
    expect(json.eventMetadata.inferenceId).toBeUndefined();
  });

  it('publishes AWS/SageMaker invocation metrics per endpoint and variant, and the fault switch fails a fleet with 5XX', async () => {
    await runtime.flush();
    const before = metric('Invocations', 'binary');
    const errorsBefore = metric('Invocation5XXErrors', 'binary');
    await invoke({ EndpointName: 'binary', ContentType: 'text/csv', Body: '0.1,0.1' });
    runtime.setFault({ endpointConfigName: 'binary-v1-config', errorRate: 1, latencyMs: 5 });
    const faulted = (await failure({
      EndpointName: 'binary',
      ContentType: 'text/csv',
      Body: '0.1,0.1',
    })) as ModelError;
    expect(faulted).toBeInstanceOf(ModelError);
    expect(faulted.OriginalStatusCode).toBe(500);
    expect(faulted.message).toMatch(
      /^Received server error \(500\) from primary with message "Fault injected/,
    );
    // Another fleet is untouched.
    expect(
      Number(
        (await invoke({ EndpointName: 'softprob', ContentType: 'text/csv', Body: '0.1,0.1' })).text.split(
          ',',
        )[0],
      ),
    ).toBeGreaterThan(0);
    runtime.setFault({ modelName: /^binary-/, errorRate: 0 });
    await invoke({ EndpointName: 'binary', ContentType: 'text/csv', Body: '0.1,0.1' });
    runtime.setFault(undefined);
    expect(() => runtime.setFault({ errorRate: 2 })).toThrow(RangeError);
    await runtime.flush();

    const invocations = metric('Invocations', 'binary');
    expect(invocations.sum - before.sum).toBe(3);
    expect(invocations.units).toEqual(new Set(['None']));
    const errors = metric('Invocation5XXErrors', 'binary');
    expect(errors.sum - errorsBefore.sum).toBe(1);
    expect(errors.count - errorsBefore.count).toBe(3);
    const latency = metric('ModelLatency', 'binary');
    expect(latency.units).toEqual(new Set(['Microseconds']));
    expect(latency.count).toBe(invocations.count);
    expect(metric('OverheadLatency', 'binary').count).toBe(invocations.count);
    expect(metric('Invocation4XXErrors', 'binary').sum).toBeGreaterThan(0); // the malformed bodies above
    const stats = runtime.stats('binary')['binary-v1-config'];
    expect(stats?.errors).toBeGreaterThanOrEqual(1);
  });

  it('takes the fault switch over HTTP on its own address: PUT sets it, GET reads it, DELETE clears it', async () => {
    const url = `${runtime.endpoint}/_local/fault`;
    const put = await fetch(url, {
      method: 'PUT',
      body: JSON.stringify({ modelName: '/^softprob-/i', errorRate: 1, status: 503 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ fault: { modelName: '/^softprob-/i', errorRate: 1, status: 503 } });
    const failed = (await failure({
      EndpointName: 'softprob',
      ContentType: 'text/csv',
      Body: '0.1,0.1',
    })) as ModelError;
    expect(failed.OriginalStatusCode).toBe(503);
    expect(await (await fetch(url)).json()).toEqual({
      fault: { modelName: '/^softprob-/i', errorRate: 1, status: 503 },
    });
    const invalid = await fetch(url, { method: 'PUT', body: JSON.stringify({ errorRate: 1.5 }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      message: 'Invalid fault: errorRate must be between 0 and 1, got 1.5',
    });
    const unknown = await fetch(url, { method: 'PUT', body: JSON.stringify({ errorRate: 1, model: 'x' }) });
    expect(await unknown.json()).toEqual({ message: 'Invalid fault: unknown member(s) model' });
    expect(await (await fetch(url, { method: 'DELETE' })).json()).toEqual({ fault: null });
    await invoke({ EndpointName: 'softprob', ContentType: 'text/csv', Body: '0.1,0.1' });
  });

  it('runs a serving command for a mapped image under the hosting contract and proxies to it', async () => {
    await deploy('user', 'user-v1', {
      image: USER_IMAGE,
      files: { 'model.json': JSON.stringify({ scale: 10 }) },
      environment: { PID_FILE: join(root, 'user-server.pid') },
    });
    await waitInService('user');
    const output = await invoke({
      EndpointName: 'user',
      ContentType: 'text/csv',
      CustomAttributes: 'trace=1',
      Body: '1,2\n3,4',
    });
    expect(output.text).toBe('30\n70\n');
    expect(output.ContentType).toBe('text/csv');
    expect(output.CustomAttributes).toBe('echo:trace=1');
    const refused = (await failure({
      EndpointName: 'user',
      ContentType: 'text/csv',
      Body: 'a,b',
    })) as ModelError;
    expect(refused.OriginalStatusCode).toBe(400);
    expect(refused.OriginalMessage).toBe('rows must be numbers');

    // The fleet goes, its server stops.
    const pid = Number(readFileSync(join(root, 'user-server.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    await client.send(new DeleteEndpointCommand({ EndpointName: 'user' }));
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    expect(alive(pid)).toBe(false);

    await deploy('broken', 'broken-v1', { image: BROKEN_IMAGE });
    await waitInService('broken');
    const broken = (await failure({
      EndpointName: 'broken',
      ContentType: 'text/csv',
      Body: '1',
    })) as ModelError;
    expect(broken.OriginalStatusCode).toBe(500);
    expect(broken.OriginalMessage).toMatch(
      /failed to start: the serving command .* exited \(code 3, signal null\) before GET \/ping answered 200; its last lines: no model$/,
    );
    // Every request starts it again; the runtime's log says so once, not per request.
    await failure({ EndpointName: 'broken', ContentType: 'text/csv', Body: '1' });
    const said = warnings.filter((w) => w.startsWith('The container for model broken-v1 failed to start'));
    expect(said).toHaveLength(1);

    await deploy('unmapped', 'unmapped-v1', { image: UNMAPPED_IMAGE });
    await waitInService('unmapped');
    const unmapped = (await failure({
      EndpointName: 'unmapped',
      ContentType: 'text/csv',
      Body: '1',
    })) as ModelError;
    expect(unmapped.OriginalMessage).toContain(`No local server for image ${UNMAPPED_IMAGE}`);
  });

  it("checks a new fleet's health as SageMaker does: the model loads, the serving command answers GET /ping", async () => {
    // Prepare: fleets never deployed, so nothing started their containers before the check
    const PING =
      'The primary container for production variant AllTraffic did not pass the ping health check. Please ' +
      'check CloudWatch logs for this endpoint.';
    const fleet = (name: string, image: string, modelDataUrl: string): Fleet => ({
      endpointConfigName: `${name}-config`,
      variants: [
        {
          variantName: 'AllTraffic',
          modelName: name,
          containers: [{ Image: image, ModelDataUrl: modelDataUrl }],
          instanceType: 'ml.m5.large',
          instanceCount: 1,
          weight: 1,
        },
      ],
    });
    const good = await artifact('health-good', {
      'xgboost-model.json': JSON.stringify(models['binary:logistic']),
    });
    const truncated = await artifact('health-truncated', {
      'xgboost-model.json': JSON.stringify(models['binary:logistic']).slice(0, 100),
    });
    const noModel = await artifact('health-no-model', { 'README.txt': 'no model here' });
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: 'runs/health-garbage/model.tar.gz',
        Body: 'this is not a gzipped tar archive',
      }),
    );
    const user = await artifact('health-user', { 'model.json': JSON.stringify({ scale: 2 }) });

    // Act
    const [healthy, userHealthy, badJson, missingFile, garbage, missing, exits, unmapped] = await Promise.all(
      [
        runtime.healthCheck(fleet('health-good', XGBOOST, good)),
        runtime.healthCheck(fleet('health-user', USER_IMAGE, user)),
        runtime.healthCheck(fleet('health-truncated', XGBOOST, truncated)),
        runtime.healthCheck(fleet('health-no-model', XGBOOST, noModel)),
        runtime.healthCheck(
          fleet('health-garbage', XGBOOST, 's3://artifacts/runs/health-garbage/model.tar.gz'),
        ),
        runtime.healthCheck(
          fleet('health-missing', XGBOOST, 's3://artifacts/runs/health-missing/model.tar.gz'),
        ),
        runtime.healthCheck(fleet('health-exits', BROKEN_IMAGE, noModel)),
        runtime.healthCheck(fleet('health-unmapped', UNMAPPED_IMAGE, noModel)),
      ],
    );

    // Assess
    expect(healthy).toBeUndefined();
    expect(userHealthy).toBeUndefined();
    expect(badJson).toMatch(
      new RegExp(`^${PING.replace(/\./g, '\\.')} Local container log: Unable to load model: `),
    );
    expect(missingFile).toBe(
      `${PING} Local container log: Unable to load model: no xgboost-model.json in the model archive`,
    );
    expect(garbage).toBe(
      'Failed to extract model data archive from URL "s3://artifacts/runs/health-garbage/model.tar.gz". ' +
        'Please ensure that the object located at the URL is a valid tar.gz archive.',
    );
    expect(missing).toMatch(
      /^Failed to download model data from URL "s3:\/\/artifacts\/runs\/health-missing\/model\.tar\.gz" \(NoSuchKey: .*\)\. Please ensure that there is an object located at the URL/,
    );
    expect(exits).toMatch(
      /did not pass the ping health check\. .* Local container log: the serving command .* exited \(code 3, signal null\) before GET \/ping answered 200; its last lines: no model$/,
    );
    expect(unmapped).toContain(`Local container log: No local server for image ${UNMAPPED_IMAGE}`);
    for (const reason of [badJson, missingFile, garbage, missing, exits, unmapped]) {
      expect(reason?.length).toBeLessThanOrEqual(1024);
    }
  });

  it('as the hosting health check: a fleet that fails it never serves, an update to it leaves the old fleet serving', async () => {
    // Prepare
    sagemaker.hosting.setHealthCheck((fleet) => runtime.healthCheck(fleet));
    const model = JSON.stringify(models['binary:logistic']);
    try {
      await deploy('checked-first', 'checked-broken-v1', { files: { 'xgboost-model.json': '{"trees": [' } });
      await deploy('checked', 'checked-v1', { files: { 'xgboost-model.json': model } });
      await waitInService('checked');
      await deploy('checked-unused', 'checked-v2', { files: { 'xgboost-model.json': model.slice(0, 50) } });
      const before = runtime.stats('checked')['checked-v1-config']?.invocations ?? 0;

      // Act
      await client.send(
        new UpdateEndpointCommand({ EndpointName: 'checked', EndpointConfigName: 'checked-v2-config' }),
      );
      const answers: string[] = [];
      let described = await client.send(new DescribeEndpointCommand({ EndpointName: 'checked' }));
      const deadline = Date.now() + 10_000;
      while (described.EndpointStatus === 'Updating' && Date.now() < deadline) {
        answers.push(
          (await invoke({ EndpointName: 'checked', ContentType: 'text/csv', Body: '0.9,0.5' })).text,
        );
        described = await client.send(new DescribeEndpointCommand({ EndpointName: 'checked' }));
      }
      const first = await client.send(new DescribeEndpointCommand({ EndpointName: 'checked-first' }));

      // Assess
      expect(first.EndpointStatus).toBe('Failed');
      expect(first.FailureReason).toContain('did not pass the ping health check');
      expect(described.EndpointStatus).toBe('InService');
      expect(described.EndpointConfigName).toBe('checked-v1-config');
      expect(described.FailureReason).toContain(
        'The primary container for production variant AllTraffic did not pass the ping health check.',
      );
      expect(described.FailureReason).toContain('Unable to load model');
      expect(answers.length).toBeGreaterThan(0);
      const stats = runtime.stats('checked');
      expect(stats['checked-v1-config']?.invocations).toBe(before + answers.length);
      expect(stats['checked-v1-config']?.errors).toBe(0);
      expect(stats['checked-v2-config']).toBeUndefined();
      const served = await invoke({ EndpointName: 'checked', ContentType: 'text/csv', Body: '0.9,0.5' });
      expect(Number(served.text)).toBeGreaterThan(0.5);
    } finally {
      sagemaker.hosting.setHealthCheck(undefined);
    }
  });

  it('serves the model.tar.gz a local built-in XGBoost training job wrote', async () => {
    const rows = Array.from({ length: 80 }, (_, i) => {
      const x = (i % 10) / 10;
      const y = Math.floor(i / 10) / 8;
      return `${x + y > 0.9 ? 1 : 0},${x},${y}`;
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: 'data/train/train.csv',
        Body: `${rows.join('\n')}\n`,
      }),
    );
    await client.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'trained-v1',
        AlgorithmSpecification: { TrainingImage: XGBOOST, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        HyperParameters: { objective: 'binary:logistic', num_round: '10', max_depth: '3' },
        InputDataConfig: [
          {
            ChannelName: 'train',
            ContentType: 'text/csv',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://artifacts/data/train/' } },
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://artifacts/jobs/' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 5 },
        StoppingCondition: { MaxRuntimeInSeconds: 300 },
      }),
    );
    const deadline = Date.now() + 30_000;
    let job = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'trained-v1' }));
    while (job.TrainingJobStatus === 'InProgress' && Date.now() < deadline) {
      await sleep(100);
      job = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'trained-v1' }));
    }
    expect(job.TrainingJobStatus, job.FailureReason).toBe('Completed');
    await client.send(
      new CreateModelCommand({
        ModelName: 'trained-v1',
        PrimaryContainer: { Image: XGBOOST, ModelDataUrl: job.ModelArtifacts?.S3ModelArtifacts },
        ExecutionRoleArn: ROLE,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'trained-v1-config',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'trained-v1',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    await client.send(
      new CreateEndpointCommand({ EndpointName: 'trained', EndpointConfigName: 'trained-v1-config' }),
    );
    await waitInService('trained');
    const output = await invoke({
      EndpointName: 'trained',
      ContentType: 'text/csv',
      Body: '0.9,0.9\n0.0,0.0',
    });
    const [high = Number.NaN, low = Number.NaN] = output.text.trim().split('\n').map(Number);
    expect(high).toBeGreaterThan(0.5);
    expect(low).toBeLessThan(0.5);
  });
});
