/**
 * The deployment half of the loop on the local runtime: the sample trains, registers Approved, and the
 * deployment workflow (started by StartDeployment through the local Step Functions API) creates the endpoint,
 * waits on its task token until the endpoint's event resumes it, smoke-tests and promotes it. Then the
 * endpoint serves predictions through the SageMaker Runtime, captures them to S3 in SageMaker's layout and
 * publishes AWS/SageMaker metrics to the local CloudWatch.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApp } from '../../local/app';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { validationRows, waitForRuns } from '../../local/scenarios/rollback';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'penguins', 'penguins.csv');
const ENDPOINT = 'serverlessmlops-penguins';
const CONFIG = {
  models: {
    penguins: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'auto',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 30 } },
      deployment: {
        mode: 'auto',
        dataCapturePercent: 100,
        endpoint: { autoscaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 100 } },
      },
    },
  },
};

describe('local runtime: train, register, deploy, serve', () => {
  let app: LocalApp;
  let stateDir: string;
  let s3: S3Client;
  let sfn: SFNClient;
  let runtime: SageMakerRuntimeClient;
  let cloudwatch: CloudWatchClient;
  let rows: string[];
  const errors: string[] = [];
  const eventTypes: string[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-deploy-'));
    const template = synthStack({ config: CONFIG }).template.toJSON() as CfnTemplate;
    app = await LocalApp.start({
      template,
      stateDir,
      pollIntervalMs: 100,
      timeScale: 60,
      environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      observer: {
        error: (message) => errors.push(message),
        serviceEvent: (event) => eventTypes.push(String(event['detail-type'])),
      },
    });
    const { region } = app.runtime.resources.env;
    const client = { region, credentials: LOCAL_CREDENTIALS };
    s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, region));
    sfn = new SFNClient({ ...client, endpoint: app.endpoints.stepfunctions });
    runtime = new SageMakerRuntimeClient({ ...client, endpoint: app.endpoints.sagemakerRuntime });
    cloudwatch = new CloudWatchClient({ ...client, endpoint: app.endpoints.cloudwatch });
    await s3.send(
      new PutObjectCommand({
        Bucket: app.resources.dataBucket,
        Key: 'datasets/penguins/penguins.csv',
        Body: readFileSync(SAMPLE),
      }),
    );
    await waitForRuns(app);
    rows = await validationRows(s3, app.resources.artifactsBucket, 'penguins', 5);
  }, 120_000);

  afterAll(async () => {
    for (const client of [s3, sfn, runtime, cloudwatch]) client?.destroy();
    await app?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('deploys the approved version: Deployed, production alias on it, the endpoint InService', async () => {
    // Act
    const version = await app.registry.getVersion('penguins', 1);
    const alias = await app.registry.getAlias('penguins', 'production');
    const endpoint = app.sagemaker.hosting.endpoint(ENDPOINT);

    // Assess
    expect(errors).toEqual([]);
    expect(version?.status).toBe('Deployed');
    expect(version?.deployment?.endpointName).toBe(ENDPOINT);
    expect(alias?.version).toBe(1);
    expect(endpoint?.status).toBe('InService');
    expect(endpoint?.serving?.endpointConfigName).toBe(version?.deployment?.endpointConfigName);
    // The workflow waited on the endpoint's events (routed by the template's rule), not by polling.
    expect(eventTypes).toContain('SageMaker Endpoint State Change');
  });

  it('registers the variant with the local Application Auto Scaling once promoted, with its policy', () => {
    // Act
    const targets = app.applicationAutoScaling.targets();
    const policies = app.applicationAutoScaling.policies();

    // Assess
    expect(targets).toEqual([
      expect.objectContaining({
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 2,
      }),
    ]);
    expect(policies).toEqual([
      expect.objectContaining({
        ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
        PolicyType: 'TargetTrackingScaling',
      }),
    ]);
  });

  it("takes the Lambdas' embedded-metric-format lines into the local CloudWatch", async () => {
    // Act: the registration's ObjectiveValue, written by Powertools Metrics in RegisterModel
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'ServerlessMlops' }));

    // Assess
    expect(listed.Metrics?.map((m) => m.MetricName)).toContain('ObjectiveValue');
  });

  it('shows both executions through the Step Functions API, the deployment named by its deployment id', async () => {
    // Prepare
    const version = await app.registry.getVersion('penguins', 1);
    const deploymentId = version?.deployment?.deploymentId ?? '';
    const execution = app.runtime.executions.all().find((e) => e.name === deploymentId);

    // Act
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution?.executionArn }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: execution?.stateMachineArn }));

    // Assess
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.input ?? '{}')).toMatchObject({
      model: 'penguins',
      version: 1,
      kind: 'deploy',
    });
    expect(listed.executions?.map((e) => e.name)).toEqual([deploymentId]);
    expect(app.runtime.tokens.pending).toEqual([]);
  });

  it('starts no second deployment when the registration event is delivered again', async () => {
    // Prepare: the event the training pipeline put on the bus
    const registered = app.runtime.events.events.find((e) => e['detail-type'] === 'ModelRegistered');
    expect(registered).toBeDefined();
    const before = app.runtime.executions.all().length;

    // Act
    await app.deliver({ version: '0', ...registered });
    await app.idle();

    // Assess: StartDeployment's StartExecution with the same name was refused (ExecutionAlreadyExists)
    expect(app.runtime.executions.all()).toHaveLength(before);
    expect(errors).toEqual([]);
  });

  it('serves predictions: one row of K class probabilities per input row', async () => {
    // Act
    const answer = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: ENDPOINT,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        Body: rows.slice(0, 3).join('\n'),
      }),
    );

    // Assess
    const lines = Buffer.from(answer.Body ?? new Uint8Array())
      .toString('utf8')
      .trim()
      .split('\n');
    expect(answer.InvokedProductionVariant).toBe('AllTraffic');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const probabilities = line.split(',').map(Number);
      expect(probabilities).toHaveLength(3);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    }
  });

  it("captures every invocation in SageMaker's layout and record shape, under capture/<model>/", async () => {
    // Prepare: the smoke test's request and these ones, with an inference id on the last
    for (const row of rows.slice(0, 4)) {
      await runtime.send(
        new InvokeEndpointCommand({ EndpointName: ENDPOINT, ContentType: 'text/csv', Body: row }),
      );
    }
    await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: ENDPOINT,
        ContentType: 'text/csv',
        Body: rows[0] ?? '',
        InferenceId: 'e2e-inference-1',
      }),
    );
    const served = Object.values(app.sagemakerRuntime.stats(ENDPOINT)).reduce((n, s) => n + s.invocations, 0);

    // Act
    await app.sagemakerRuntime.flush();
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: app.resources.artifactsBucket, Prefix: 'capture/penguins/' }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
    const records = (
      await Promise.all(
        keys.map(async (key) => {
          const object = await s3.send(
            new GetObjectCommand({ Bucket: app.resources.artifactsBucket, Key: key }),
          );
          return ((await object.Body?.transformToString()) ?? '').trim().split('\n');
        }),
      )
    )
      .flat()
      .map((line) => JSON.parse(line) as Record<string, never>);

    // Assess
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(
        new RegExp(`^capture/penguins/${ENDPOINT}/AllTraffic/\\d{4}/\\d{2}/\\d{2}/\\d{2}/[\\w-]+\\.jsonl$`),
      );
    }
    expect(records).toHaveLength(served);
    for (const record of records) {
      expect(record).toMatchObject({
        captureData: {
          endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', encoding: 'CSV' },
          endpointOutput: { mode: 'OUTPUT', encoding: 'CSV' },
        },
        eventMetadata: { eventId: expect.any(String), inferenceTime: expect.any(String) },
        eventVersion: '0',
      });
    }
    expect(records.filter((r) => JSON.stringify(r).includes('"inferenceId":"e2e-inference-1"'))).toHaveLength(
      1,
    );
  });

  it('publishes Invocations per EndpointName and VariantName to the local CloudWatch', async () => {
    // Prepare
    const served = Object.values(app.sagemakerRuntime.stats(ENDPOINT)).reduce((n, s) => n + s.invocations, 0);
    await app.sagemakerRuntime.flush();

    // Act
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'EndpointName', Value: ENDPOINT },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: ['Sum'],
      }),
    );

    // Assess
    expect(stats.Datapoints?.reduce((sum, point) => sum + (point.Sum ?? 0), 0)).toBe(served);
  });
  it('answers on the inference API (the function URL, AWS_IAM): a signed POST /models/<model>/invocations is served, an unsigned one refused', async () => {
    // Prepare: SigV4 as any client of an AWS_IAM function URL signs (service lambda)
    const [url] = app.runtime.functionUrls.urls;
    if (!url) throw new Error('the stack has no function URL');
    const target = new URL('models/penguins/invocations', url.url);
    const request = {
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      headers: { host: target.host, 'content-type': 'text/csv', accept: 'text/csv' },
      body: rows.slice(0, 2).join('\n'),
    };
    const signer = new SignatureV4({
      service: 'lambda',
      region: app.runtime.resources.env.region,
      credentials: LOCAL_CREDENTIALS,
      sha256: NodeSha256,
    });
    const signed = await signer.sign(request);

    // Act
    const answer = await fetch(target, { method: 'POST', headers: signed.headers, body: request.body });
    const unsigned = await fetch(target, { method: 'POST', headers: request.headers, body: request.body });

    // Assess
    expect(url.authType).toBe('AWS_IAM');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
    const lines = (await answer.text()).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.split(',')).toHaveLength(3);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ Message: 'Forbidden' });
  });
});

/** SHA-256 (and HMAC-SHA-256 with a secret) for the signer, from node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as Uint8Array));
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}
