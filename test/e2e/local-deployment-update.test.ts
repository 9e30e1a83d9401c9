/**
 * Blue/green updates on the local runtime, under traffic: a second version whose fleet fails every request
 * (the SageMaker Runtime's fault switch) trips the endpoint's Invocation5XXErrors alarm during its canary and
 * SageMaker rolls the update back (RolledBack, `production` unchanged); the same version deployed again on a
 * healthy fleet goes through the canary and baking, both fleets serving, and is promoted; a requested rollback
 * (`mlops rollback`) puts the previous version back through the same workflow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_REQUESTED, EVENT_SOURCE } from '../../lambdas/shared/events';
import { LocalApp } from '../../local/app';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { noisySample, sendTraffic, validationRows, waitForRuns } from '../../local/scenarios/rollback';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';
import { ServiceEvents } from '../support/service-events';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'penguins', 'penguins.csv');
const ENDPOINT = 'serverlessmlops-penguins';
const ALARM_5XX = `${ENDPOINT}-invocation-5xx-errors`;
const ALARMS = [ALARM_5XX, `${ENDPOINT}-model-latency-p99`, `${ENDPOINT}-invocation-error-rate`];
const CONFIG = {
  models: {
    penguins: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'auto',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 30 } },
      // At time scale 60: a 5 s canary on half the fleet, then 5 s of baking.
      deployment: {
        mode: 'auto',
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', canaryPercent: 50, wait: '5m' },
        bakeTime: '5m',
      },
    },
  },
};

describe('local runtime: blue/green updates under traffic', () => {
  let app: LocalApp;
  let stateDir: string;
  let s3: S3Client;
  let rows: string[];
  const errors: string[] = [];
  const events = new ServiceEvents();
  const { stages, alarms } = events;

  /** A Deployment Requested event as `mlops deploy` / `mlops rollback` put it on the bus. */
  async function requestDeployment(version: number, kind: 'deploy' | 'rollback', requestId: string) {
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
                model: 'penguins',
                version,
                kind,
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

  /** Waits until the endpoint's three alarms are OK on healthy traffic (one in ALARM would roll an update back). */
  async function alarmsOk(): Promise<void> {
    const allOk = () => ALARMS.every((name) => app.cloudwatch.alarmState(name) === 'OK');
    await underTraffic(async () => {
      const deadline = Date.now() + 30_000;
      while (!allOk() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    });
    expect(ALARMS.map((name) => app.cloudwatch.alarmState(name))).toEqual(['OK', 'OK', 'OK']);
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

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-update-'));
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
    // v1: a noisier copy of the sample, so that the clean sample trains a better v2.
    const csv = readFileSync(SAMPLE, 'utf8');
    await s3.send(
      new PutObjectCommand({
        Bucket: app.resources.dataBucket,
        Key: 'datasets/penguins/noisy.csv',
        Body: noisySample(csv, 'species'),
      }),
    );
    await waitForRuns(app);
    rows = await validationRows(s3, app.resources.artifactsBucket, 'penguins', 10);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await app?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts from v1 serving', async () => {
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(1);
    expect(errors).toEqual([]);
  });

  it('rolls back a version whose canary fails under traffic: 5XX alarm, RolledBack, production unchanged', async () => {
    // Prepare: every request to a v2 fleet fails, as a broken container would
    app.sagemakerRuntime.setFault({ endpointConfigName: /-v2-a\d+$/, errorRate: 1 });

    // Act
    const tally = await underTraffic(async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: app.resources.dataBucket,
          Key: 'datasets/penguins/penguins.csv',
          Body: readFileSync(SAMPLE),
        }),
      );
      await waitForRuns(app);
    });
    app.sagemakerRuntime.setFault(undefined);

    // Assess
    const v2 = await app.registry.getVersion('penguins', 2);
    const { items: deployments } = await app.registry.listDeployments('penguins');
    const rolledBack = deployments.find((d) => d.version === 2);
    const stats = app.sagemakerRuntime.stats(ENDPOINT);
    const endpoint = app.sagemaker.hosting.endpoint(ENDPOINT);
    expect(v2?.status).toBe('RolledBack');
    expect(rolledBack?.status).toBe('RolledBack');
    expect(rolledBack?.reasons.join(' ')).toContain(ALARM_5XX);
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(1);
    expect(endpoint?.status).toBe('InService');
    expect(endpoint?.serving?.endpointConfigName).toBe('serverlessmlops-penguins-v1-a1');
    expect(endpoint?.pending).toBeUndefined();
    // The canary took half the traffic and failed it all; blue kept answering.
    expect(stages).toContainEqual({
      config: 'serverlessmlops-penguins-v2-a1',
      status: 'ActivatingTraffic',
      share: 0.5,
    });
    expect(stages.at(-1)).toMatchObject({ config: 'serverlessmlops-penguins-v2-a1', status: 'Deleting' });
    // The deployment's record has the green fleet's stages, Creating too (its event comes before the waiter).
    expect(rolledBack?.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['BlueGreen:Creating', 'BlueGreen:ActivatingTraffic:50', 'BlueGreen:Deleting']),
    );
    expect(alarms).toContain(`${ALARM_5XX}:ALARM`);
    expect(stats['serverlessmlops-penguins-v2-a1']?.errors).toBeGreaterThan(0);
    expect(stats['serverlessmlops-penguins-v2-a1']?.errors).toBe(
      stats['serverlessmlops-penguins-v2-a1']?.invocations,
    );
    expect(stats['serverlessmlops-penguins-v1-a1']?.errors).toBe(0);
    expect(tally.errors).toBe(stats['serverlessmlops-penguins-v2-a1']?.errors);
  });

  it('deploys the same version again on a healthy fleet: canary, baking, promotion, both fleets serving', async () => {
    // Prepare: the alarms back to OK on healthy traffic (an alarm still in ALARM would roll the update back at
    // its first stage)
    await alarmsOk();
    const before = app.sagemakerRuntime.stats(ENDPOINT)['serverlessmlops-penguins-v1-a1']?.invocations ?? 0;

    // Act: `mlops deploy penguins 2`
    const tally = await underTraffic(async () => {
      await requestDeployment(2, 'deploy', 'e2e-redeploy-1');
      await waitForRuns(app);
    });

    // Assess
    const stats = app.sagemakerRuntime.stats(ENDPOINT);
    expect((await app.registry.getVersion('penguins', 2))?.status).toBe('Deployed');
    expect((await app.registry.getVersion('penguins', 1))?.status).toBe('Retired');
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(2);
    expect(app.sagemaker.hosting.endpoint(ENDPOINT)?.serving?.endpointConfigName).toBe(
      'serverlessmlops-penguins-v2-a2',
    );
    const update = stages.filter((s) => s.config === 'serverlessmlops-penguins-v2-a2').map((s) => s.status);
    expect(update).toEqual(['Creating', 'ActivatingTraffic', 'Baking']);
    const redeployed = (await app.registry.listDeployments('penguins')).items.find(
      (d) => d.endpointConfigName === 'serverlessmlops-penguins-v2-a2',
    );
    expect(
      redeployed?.stages.filter((s) => s.name.startsWith('BlueGreen:')).map((s) => s.name.split(':')[1]),
    ).toEqual(['Creating', 'ActivatingTraffic', 'Baking']);
    // Blue served during the update and green during the canary and after.
    expect(stats['serverlessmlops-penguins-v1-a1']?.invocations ?? 0).toBeGreaterThan(before);
    expect(stats['serverlessmlops-penguins-v2-a2']?.invocations).toBeGreaterThan(0);
    expect(tally.errors).toBe(0);
    expect(errors).toEqual([]);
  });

  it('rolls back to v1 by request (mlops rollback): v1 serves again on a new config, v2 Retired', async () => {
    // Prepare
    await alarmsOk();

    // Act
    const tally = await underTraffic(async () => {
      await requestDeployment(1, 'rollback', 'e2e-rollback-1');
      await waitForRuns(app);
    });

    // Assess
    const { items } = await app.registry.listDeployments('penguins');
    expect(items.find((d) => d.kind === 'rollback')).toMatchObject({ version: 1, status: 'Promoted' });
    expect((await app.registry.getAlias('penguins', 'production'))?.version).toBe(1);
    expect((await app.registry.getVersion('penguins', 1))?.status).toBe('Deployed');
    expect((await app.registry.getVersion('penguins', 2))?.status).toBe('Retired');
    expect(app.sagemaker.hosting.endpoint(ENDPOINT)?.serving?.endpointConfigName).toBe(
      'serverlessmlops-penguins-v1-a2',
    );
    expect(tally.errors).toBe(0);
    expect(errors).toEqual([]);
  });
});
