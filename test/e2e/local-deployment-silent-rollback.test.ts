/**
 * A silent rollback on the local runtime: v2's model artifact is damaged after its registration, so its green
 * fleet cannot load the model and never passes SageMaker's ping health check. SageMaker does not complete the
 * update: the endpoint stays InService on v1's config with a FailureReason and no alarm goes off. The deployment
 * workflow must see it by itself (DescribeEndpoint's EndpointConfigName is not the config it deployed): v2's
 * deployment ends RolledBack with SageMaker's reason, `production` stays on v1, and v1 answers throughout.
 * The model deploys manually (deployment.mode "manual"), so each deployment starts when the test asks for it.
 * A second model's first version, damaged the same way, fails its first endpoint: the workflow deletes the Failed
 * endpoint it created, so the next deployment (the artifact mended) creates it afresh and serves.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_REQUESTED, EVENT_SOURCE } from '../../lambdas/shared/events';
import { LocalApp } from '../../local/app';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { parseS3Uri } from '../../local/sagemaker/s3-transfer';
import { noisySample, sendTraffic, validationRows, waitForRuns } from '../../local/scenarios/rollback';
import type { CfnTemplate } from '../../local/template/template';
import { MODEL_FILE } from '../../local/trainers/xgboost/training-job';
import { synthStack } from '../support/cdk';
import { ServiceEvents } from '../support/service-events';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'penguins', 'penguins.csv');
const ENDPOINT = 'serverlessmlops-penguins';
const V1_CONFIG = 'serverlessmlops-penguins-v1-a1';
const V2_CONFIG = 'serverlessmlops-penguins-v2-a1';
const FIRST_ENDPOINT = 'serverlessmlops-gentoo';
const PING_FAILURE =
  'The primary container for production variant AllTraffic did not pass the ping health check. Please check ' +
  'CloudWatch logs for this endpoint.';
const CONFIG = {
  models: {
    penguins: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'auto',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 30 } },
      // Approved versions wait for `mlops deploy`; at time scale 60 a 5 s canary on half the fleet, 5 s baking.
      deployment: {
        mode: 'manual',
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', canaryPercent: 50, wait: '5m' },
        bakeTime: '5m',
      },
    },
    gentoo: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'auto',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 30 } },
      deployment: { mode: 'manual' },
    },
  },
};

describe('local runtime: a silent rollback (the green fleet fails its health check)', () => {
  let app: LocalApp;
  let stateDir: string;
  let s3: S3Client;
  let rows: string[];
  const errors: string[] = [];
  const events = new ServiceEvents();
  const { stages, alarms } = events;

  /** A Deployment Requested event as `mlops deploy` puts it on the bus. */
  async function requestDeployment(version: number, requestId: string, model = 'penguins'): Promise<void> {
    const events = new EventBridgeClient({
      region: app.runtime.resources.env.region,
      endpoint: app.endpoints.eventbridge,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: DEPLOYMENT_REQUESTED,
              Detail: JSON.stringify({
                model,
                version,
                kind: 'deploy',
                requestId,
                requestedBy: 'e2e@test',
              }),
            },
          ],
        }),
      );
    } finally {
      events.destroy();
    }
  }

  /** Sends traffic to the endpoint while `work` runs; the tally of what the clients saw. */
  async function underTraffic(work: () => Promise<void>) {
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const traffic = sendTraffic(app, ENDPOINT, rows, stopped, 10);
    try {
      await work();
    } finally {
      stop();
    }
    return traffic;
  }

  /**
   * Replaces the version's model archive with a valid archive whose model is cut short: the download and
   * extraction succeed, loading the model fails. Returns the archive as it was.
   */
  async function damage(artifactUri: string | undefined): Promise<Uint8Array> {
    const artifact = parseS3Uri(artifactUri ?? '');
    if (!artifact) throw new Error(`no S3 artifact: ${artifactUri}`);
    const original = await s3.send(new GetObjectCommand({ Bucket: artifact.bucket, Key: artifact.key }));
    const bytes = await (
      original.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    const damaged = mkdtempSync(join(stateDir, 'damaged-'));
    writeFileSync(join(damaged, MODEL_FILE), '{"objective": "multi:softprob", "trees": [');
    await createTar({ gzip: true, cwd: damaged, file: join(damaged, 'model.tar.gz'), portable: true }, [
      MODEL_FILE,
    ]);
    await s3.send(
      new PutObjectCommand({
        Bucket: artifact.bucket,
        Key: artifact.key,
        Body: readFileSync(join(damaged, 'model.tar.gz')),
      }),
    );
    return bytes;
  }

  async function upload(key: string, body: string | Buffer): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: app.resources.dataBucket, Key: key, Body: body }));
    await waitForRuns(app);
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-silent-'));
    const template = synthStack({ config: CONFIG }).template.toJSON() as CfnTemplate;
    app = await LocalApp.start({
      template,
      stateDir,
      pollIntervalMs: 100,
      timeScale: 60,
      environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      observer: {
        error: (message) => errors.push(message),
        serviceEvent: events.record,
      },
    });
    s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, app.runtime.resources.env.region));
    // v1 from a noisier copy of the sample, so that the clean sample trains a better v2.
    await upload('datasets/penguins/noisy.csv', noisySample(readFileSync(SAMPLE, 'utf8'), 'species'));
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await app?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('deploys v1 on request, after its container passed the health check, and serves it', async () => {
    // Prepare
    expect((await app.registry.getVersion('penguins', 1))?.status).toBe('Approved');
    expect(app.sagemaker.hosting.endpoint(ENDPOINT)).toBeUndefined();

    // Act: `mlops deploy penguins 1`
    await requestDeployment(1, 'e2e-deploy-v1');
    await waitForRuns(app);

    // Assess
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(1);
    const endpoint = app.sagemaker.hosting.endpoint(ENDPOINT);
    expect(endpoint?.status).toBe('InService');
    expect(endpoint?.serving?.endpointConfigName).toBe(V1_CONFIG);
    expect(endpoint?.failureReason).toBeUndefined();
    rows = await validationRows(s3, app.resources.artifactsBucket, 'penguins', 10);
    expect(errors).toEqual([]);
  });

  it('keeps v1 serving when v2, whose model artifact was damaged after registration, fails its health check: RolledBack, production unchanged', async () => {
    // Prepare: v2 trains and registers Approved (no deployment: manual), then its model file is damaged
    await upload('datasets/penguins/penguins.csv', readFileSync(SAMPLE));
    const v2 = await app.registry.getVersion('penguins', 2);
    expect(v2?.status).toBe('Approved');
    await damage(v2?.lineage.artifactUri);
    const v1Before = app.sagemakerRuntime.stats(ENDPOINT)[V1_CONFIG]?.invocations ?? 0;

    // Act: `mlops deploy penguins 2` under traffic
    const tally = await underTraffic(async () => {
      await requestDeployment(2, 'e2e-deploy-v2');
      await waitForRuns(app);
    });

    // Assess: the deployment saw the rollback by itself and recorded SageMaker's reason
    const { items: deployments } = await app.registry.listDeployments('penguins');
    const deployment = deployments.find((d) => d.version === 2);
    expect(deployment?.status).toBe('RolledBack');
    expect((await app.registry.getVersion('penguins', 2))?.status).toBe('RolledBack');
    expect(deployment?.reasons.join(' ')).toContain(
      `SageMaker rolled endpoint ${ENDPOINT} back: it serves ${V1_CONFIG}, not ${V2_CONFIG}`,
    );
    expect(deployment?.reasons.join(' ')).toContain(`SageMaker: ${PING_FAILURE}`);
    expect(deployment?.reasons.join(' ')).toContain('Unable to load model');
    expect(deployment?.reasons.join(' ')).not.toContain('(alarm');
    // The green fleet's end is on the deployment's record too, with SageMaker's reason.
    expect(deployment?.stages.find((s) => s.name === 'BlueGreen:Deleting')?.details).toMatchObject({
      endpointConfigName: V2_CONFIG,
      trafficPercent: 0,
      failureReason: expect.stringContaining(PING_FAILURE),
    });
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(1);
    expect((await app.registry.getVersion('penguins', 1))?.status).toBe('Deployed');
    // SageMaker's side: InService on the old config, the reason on DescribeEndpoint, green gone, no alarm
    const endpoint = app.sagemaker.hosting.endpoint(ENDPOINT);
    expect(endpoint?.status).toBe('InService');
    expect(endpoint?.serving?.endpointConfigName).toBe(V1_CONFIG);
    expect(endpoint?.pending).toBeUndefined();
    expect(endpoint?.failureReason).toContain(PING_FAILURE);
    expect(stages.filter((s) => s.config === V2_CONFIG).map((s) => s.status)).toEqual([
      'Creating',
      'Deleting',
    ]);
    expect(stages.filter((s) => s.config === V2_CONFIG).every((s) => s.share === 0)).toBe(true);
    // Creating is on the record too, though its event came before the deployment waited on the endpoint.
    expect(deployment?.stages.find((s) => s.name === 'BlueGreen:Creating')?.details).toMatchObject({
      endpointConfigName: V2_CONFIG,
    });
    expect(alarms.filter((a) => a.endsWith(':ALARM'))).toEqual([]);
    // v1 answered every request; v2 never took one
    const stats = app.sagemakerRuntime.stats(ENDPOINT);
    expect(tally.sent).toBeGreaterThan(0);
    expect(tally.errors).toBe(0);
    expect(stats[V1_CONFIG]?.invocations).toBe(v1Before + tally.sent);
    expect(stats[V1_CONFIG]?.errors).toBe(0);
    expect(stats[V2_CONFIG]).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('deletes the Failed endpoint a first deployment left, so the next deployment creates it and serves', async () => {
    // Prepare: gentoo v1 trains and registers Approved (manual: no deployment), then its model file is damaged
    await upload('datasets/gentoo/penguins.csv', readFileSync(SAMPLE));
    const v1 = await app.registry.getVersion('gentoo', 1);
    expect(v1?.status).toBe('Approved');
    const original = await damage(v1?.lineage.artifactUri);

    // Act: `mlops deploy gentoo 1`
    await requestDeployment(1, 'e2e-gentoo-1', 'gentoo');
    await waitForRuns(app);

    // Assess: Failed with SageMaker's reason, and the endpoint it created deleted
    const failed = (await app.registry.listDeployments('gentoo')).items.find((d) => d.attempt === 1);
    expect(failed?.status).toBe('Failed');
    expect(failed?.reasons.join(' ')).toContain(`endpoint ${FIRST_ENDPOINT} is Failed`);
    expect(failed?.reasons.join(' ')).toContain(`SageMaker: ${PING_FAILURE}`);
    expect(failed?.reasons.join(' ')).toContain(
      `endpoint ${FIRST_ENDPOINT} deleted: this deployment created it and it never served`,
    );
    // DeleteEndpoint leaves it Deleting for a moment (local hosting's deleteMs), then it is gone.
    expect([undefined, 'Deleting']).toContain(app.sagemaker.hosting.endpoint(FIRST_ENDPOINT)?.status);
    expect(await app.registry.getAlias('gentoo', 'production')).toBeUndefined();

    // Act: the artifact mended, `mlops deploy gentoo 1` again once the endpoint is gone
    const artifact = parseS3Uri(v1?.lineage.artifactUri ?? '');
    if (!artifact) throw new Error(`v1 has no S3 artifact: ${v1?.lineage.artifactUri}`);
    await s3.send(new PutObjectCommand({ Bucket: artifact.bucket, Key: artifact.key, Body: original }));
    for (const deadline = Date.now() + 10_000; app.sagemaker.hosting.endpoint(FIRST_ENDPOINT); ) {
      if (Date.now() > deadline) throw new Error(`${FIRST_ENDPOINT} is still there`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await requestDeployment(1, 'e2e-gentoo-2', 'gentoo');
    await waitForRuns(app);

    // Assess: a second attempt created the endpoint afresh and serves v1
    const deployed = (await app.registry.listDeployments('gentoo')).items.find((d) => d.attempt === 2);
    expect(deployed?.status).toBe('Promoted');
    expect((await app.registry.getAlias('gentoo', 'production'))?.version).toBe(1);
    const endpoint = app.sagemaker.hosting.endpoint(FIRST_ENDPOINT);
    expect(endpoint?.status).toBe('InService');
    expect(endpoint?.serving?.endpointConfigName).toBe('serverlessmlops-gentoo-v1-a2');
    expect(errors).toEqual([]);
  });
});
