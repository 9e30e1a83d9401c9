/**
 * The local runtime end to end: the synthesized stack on local servers, uploads routed by the template's
 * EventBridge rule, the real Lambdas, and the local SageMaker training the stand-in XGBoost for real.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { runForUpload } from '../../lambdas/shared/runs';
import { LocalApp } from '../../local/app';
import type { S3EventRecord } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { objectCreatedEvent } from '../../local/events/router';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import type { ExecutionResult } from '../../local/stepfunctions/executor';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'penguins', 'penguins.csv');
const CONFIG = {
  models: {
    // Training only: approvals do not start deployments here (local-deployment*.test.ts deploy).
    defaults: { deployment: { mode: 'manual' } },
    penguins: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'auto',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 30 } },
    },
  },
};

describe('local runtime, end to end', () => {
  let app: LocalApp;
  let stateDir: string;
  let s3: S3Client;
  let registry: ModelRegistryClient;
  const results: ExecutionResult[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-'));
    const template = synthStack({ config: CONFIG }).template.toJSON() as CfnTemplate;
    app = await LocalApp.start({
      template,
      stateDir,
      pollIntervalMs: 100,
      environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      observer: {
        executionFinished: (_id, result) => results.push(result),
        error: (message) => errors.push(message),
      },
    });
    const { region } = app.runtime.resources.env;
    s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, region));
    registry = new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          region,
          endpoint: app.runtime.dynamodb.endpoint,
          credentials: LOCAL_CREDENTIALS,
        }),
      ),
      tableName: app.resources.registryTable,
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await app?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Uploads like a user would and waits for what the upload's notification started. */
  async function uploadAndWait(key: string, body: string | Buffer): Promise<ExecutionResult> {
    const before = results.length;
    await s3.send(new PutObjectCommand({ Bucket: app.resources.dataBucket, Key: key, Body: body }));
    const deadline = Date.now() + 10_000;
    while (results.length === before && !app.busy && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await app.idle();
    const result = results[before];
    if (!result) throw new Error(`no execution started for ${key}`);
    return result;
  }

  it('trains the sample dataset into version 1 with lineage and its metric', async () => {
    // Act
    const result = await uploadAndWait('datasets/penguins/penguins.csv', readFileSync(SAMPLE));

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const version = await registry.getVersion('penguins', 1);
    expect(version?.status).toBe('Approved');
    expect(version?.lineage.dataset).toMatchObject({ key: 'datasets/penguins/penguins.csv', rowCount: 344 });
    expect(version?.lineage.metrics['validation:merror']).toBeLessThan(0.1);
    expect(version?.lineage.artifactUri).toMatch(/\/output\/model\.tar\.gz$/);
  });

  it('fails an upload that breaks the model contract with the validator reason, and starts no training job', async () => {
    // Act
    const result = await uploadAndWait('datasets/penguins/broken.csv', 'species,island\nadelie\n');

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DatasetRejected');
    const startRun = result.events.find((e) => e.type === 'StateExited' && e.state.name === 'StartRun');
    const runId = (startRun as unknown as { state: { output: { run: { runId: string } } } }).state.output.run
      .runId;
    const run = await registry.getRun(runId);
    expect(run).toMatchObject({ status: 'Failed', error: 'DatasetRejected' });
    // The first accepted upload's inferred contract now applies to every later upload of the model.
    expect(run?.cause).toContain('the contract column "bill_length_mm" is missing from the file');
    expect(run?.cause).toMatch(/Full report: s3:\/\/.+\/validation-report\.json$/);
    const sagemaker = new SageMakerClient({
      region: app.runtime.resources.env.region,
      endpoint: app.sagemaker.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    await expect(
      sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: runId })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    sagemaker.destroy();
  });

  it('starts one run when the same S3 event is delivered three times', async () => {
    // Prepare
    const key = 'datasets/penguins/again.csv';
    await s3.send(
      new PutObjectCommand({ Bucket: app.resources.dataBucket, Key: key, Body: readFileSync(SAMPLE) }),
    );
    await app.idle();
    const record: S3EventRecord = {
      eventName: 'ObjectCreated:Put',
      eventTime: new Date().toISOString(),
      s3: { bucket: { name: app.resources.dataBucket }, object: { key, size: 1 } },
    };
    const event = objectCreatedEvent(record, app.runtime.resources.env, 'replayed-version');

    // Act
    const deliveries = [await app.deliver(event), await app.deliver(event), await app.deliver(event)];

    // Assess
    const outputs = deliveries
      .flat()
      .map((r) => (r.output as { run: { duplicate: boolean; runId: string } }).run);
    expect(outputs.map((o) => o.duplicate)).toEqual([false, true, true]);
    const runs = await registry.listRunsByModel('penguins', {});
    expect(runs.items.filter((r) => r.runId === outputs[0]?.runId)).toHaveLength(1);
  });

  it('closes a run its execution left Running when Step Functions reports the execution timed out', async () => {
    // Prepare: a run whose execution ended without RegisterModel or RecordFailure
    const upload = { bucket: app.resources.dataBucket, key: 'datasets/penguins/stuck.csv', versionId: 'v1' };
    const { runId, model, dataset } = runForUpload(upload);
    const executionArn = `${app.resources.trainingStateMachine.replace(':stateMachine:', ':execution:')}:stuck`;
    await registry.createRun({ runId, model, dataset, executionArn, startedAt: new Date() });
    const event = {
      version: '0',
      id: 'status-change-1',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: app.runtime.resources.env.account,
      region: app.runtime.resources.env.region,
      time: new Date().toISOString(),
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: app.resources.trainingStateMachine,
        status: 'TIMED_OUT',
        input: JSON.stringify({
          detail: { bucket: { name: upload.bucket }, object: { key: upload.key, 'version-id': 'v1' } },
        }),
        error: null,
        cause: null,
      },
    };

    // Act: routed by the template's rule to the ReconcileExecution function
    const started = await app.deliver(event);

    // Assess
    expect(started).toEqual([]);
    expect(await registry.getRun(runId)).toMatchObject({ status: 'Failed', error: 'ExecutionTimedOut' });
    // The failed executions above were routed the same way without trouble.
    expect(errors).toEqual([]);
  });
});
