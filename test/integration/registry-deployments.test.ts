import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AliasMovedError,
  type AuditEvent,
  DeploymentEndedError,
  DeploymentMismatchError,
  DeploymentNotFoundError,
  InvalidStatusTransitionError,
  LeaseHeldError,
  LeaseNotHeldError,
  type Lineage,
  ModelRegistryClient,
  type Page,
  type PageRequest,
  ValidationError,
  VersionNotFoundError,
} from '../../lambdas/shared/registry';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let registry: ModelRegistryClient;

beforeAll(() => {
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
});

function lineage(runId: string): Lineage {
  return {
    dataset: {
      bucket: 'data-bucket',
      key: `datasets/m/${runId}.csv`,
      versionId: `v-${runId}`,
      sha256: createHash('sha256').update(runId).digest('hex'),
      rowCount: 100,
    },
    trainingJobName: `train-${runId}`,
    image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1',
    hyperparameters: { max_depth: '5' },
    metrics: { 'validation:auc': 0.9 },
    artifactUri: `s3://artifacts-bucket/runs/${runId}/model.tar.gz`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
  };
}

async function approved(model: string, runId: string): Promise<number> {
  const { version } = await registry.registerVersion(model, { lineage: lineage(runId), status: 'Approved' });
  return version.version;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the call succeeded');
}

async function collect<T>(list: (page: PageRequest) => Promise<Page<T>>, limit = 1000): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await list({ limit, nextToken });
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return items;
}

async function events(model: string): Promise<AuditEvent[]> {
  return collect((page) => registry.listEvents(model, page));
}

/** A clock that moves `stepMs` forward on every reading. */
function ticking(startIso: string, stepMs: number): () => Date {
  let now = Date.parse(startIso);
  return () => {
    now += stepMs;
    return new Date(now);
  };
}

function clockedClient(clock: () => Date): ModelRegistryClient {
  return new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName, clock });
}

const endpoint = (model: string) => ({
  endpointName: `${model}-endpoint`,
  endpointConfigName: `${model}-cfg`,
});

/** A deployment up to Deploying: recorded, lease taken, begun. */
async function begun(model: string, version: number, deploymentId: string) {
  await registry.createDeployment({ deploymentId, model, version });
  await registry.takeDeploymentLease(model, deploymentId, { ttlSeconds: 600 });
  return registry.beginDeployment(deploymentId);
}

/** A whole successful deployment, lease released. */
async function deployed(model: string, version: number, deploymentId: string) {
  await begun(model, version, deploymentId);
  const result = await registry.promoteDeployment(deploymentId, endpoint(model));
  await registry.releaseDeploymentLease(model, deploymentId);
  return result;
}

describe('deployment records', () => {
  it('records a deployment once per id: re-runs and concurrent duplicates return the stored one', async () => {
    // Prepare
    const model = 'dep-create';
    const version = await approved(model, 'r1');
    const input = {
      deploymentId: 'dep-create-1',
      model,
      version,
      executionArn: 'arn:exec:1',
      reason: 'approved',
    };

    // Act
    const first = await registry.createDeployment(input);
    const again = await Promise.all(Array.from({ length: 5 }, () => registry.createDeployment(input)));

    // Assess
    expect(first.created).toBe(true);
    expect(first.deployment).toMatchObject({
      deploymentId: 'dep-create-1',
      model,
      version,
      attempt: 1,
      kind: 'deploy',
      status: 'Started',
      stages: [],
      reasons: [],
      executionArn: 'arn:exec:1',
      startedBy: 'mlops',
    });
    expect(again.every(({ created }) => !created)).toBe(true);
    expect(again.map(({ deployment }) => deployment)).toEqual(Array(5).fill(first.deployment));
    expect(await registry.getDeployment('dep-create-1')).toEqual(first.deployment);
    const started = (await events(model)).filter((event) => event.type === 'DeploymentStarted');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      version,
      reasons: ['approved'],
      details: { deploymentId: 'dep-create-1' },
    });
  });

  it('refuses a reused id for another version, a missing version, an undeployable one and a rollback to a version that never served', async () => {
    // Prepare
    const model = 'dep-refuse';
    const version = await approved(model, 'r1');
    const { version: pending } = await registry.registerVersion(model, {
      lineage: lineage('r2'),
      status: 'PendingApproval',
    });
    await registry.createDeployment({ deploymentId: 'dep-refuse-1', model, version });

    // Act
    const mismatch = await rejectionOf(
      registry.createDeployment({ deploymentId: 'dep-refuse-1', model, version: pending.version }),
    );
    const missing = await rejectionOf(
      registry.createDeployment({ deploymentId: 'dep-refuse-2', model, version: 9 }),
    );
    const undeployable = await rejectionOf(
      registry.createDeployment({ deploymentId: 'dep-refuse-3', model, version: pending.version }),
    );
    const rollback = await rejectionOf(
      registry.createDeployment({ deploymentId: 'dep-refuse-4', model, version, kind: 'rollback' }),
    );
    const unknown = await rejectionOf(registry.beginDeployment('nobody'));

    // Assess
    expect(mismatch).toBeInstanceOf(DeploymentMismatchError);
    expect(String(mismatch)).toContain(`exists for ${model} v${version}, not ${model} v${pending.version}`);
    expect(missing).toBeInstanceOf(VersionNotFoundError);
    expect(undeployable).toBeInstanceOf(InvalidStatusTransitionError);
    expect(String(undeployable)).toContain('cannot move from PendingApproval to Deploying');
    expect(rollback).toBeInstanceOf(ValidationError);
    expect(String(rollback)).toContain('never served');
    expect(unknown).toBeInstanceOf(DeploymentNotFoundError);
    expect(await registry.getDeployment('dep-refuse-2')).toBeUndefined();
  });

  it('records stages in order, keeps the first record of a redelivered stage, and refuses progress once ended', async () => {
    // Prepare
    const model = 'dep-stages';
    const version = await approved(model, 'r1');
    const clocked = clockedClient(ticking('2026-01-01T00:00:00Z', 1000));
    await clocked.createDeployment({ deploymentId: 'dep-stages-1', model, version });

    // Act
    await clocked.recordDeploymentProgress('dep-stages-1', {
      stage: { name: 'ModelCreated', details: { modelName: 'm-1' } },
    });
    await clocked.recordDeploymentProgress('dep-stages-1', {
      stage: { name: 'EndpointConfigCreated' },
      endpointName: 'dep-stages-endpoint',
      endpointConfigName: 'dep-stages-v1-a1',
    });
    const redelivered = await clocked.recordDeploymentProgress('dep-stages-1', {
      stage: { name: 'ModelCreated', details: { modelName: 'other' } },
    });
    await clocked.recordDeploymentFailure('dep-stages-1', {
      outcome: 'Failed',
      reasons: ['CreateModel failed'],
    });
    const late = await rejectionOf(
      clocked.recordDeploymentProgress('dep-stages-1', { stage: { name: 'TrafficShift:BASELINE' } }),
    );

    // Assess
    expect(redelivered.stages.map(({ name }) => name)).toEqual(['ModelCreated', 'EndpointConfigCreated']);
    expect(redelivered.stages[0]).toEqual({
      name: 'ModelCreated',
      at: '2026-01-01T00:00:02.000Z',
      details: { modelName: 'm-1' },
    });
    expect(redelivered).toMatchObject({
      endpointName: 'dep-stages-endpoint',
      endpointConfigName: 'dep-stages-v1-a1',
    });
    expect(late).toBeInstanceOf(DeploymentEndedError);
    const stored = await registry.getDeployment('dep-stages-1');
    expect(stored?.stages.map(({ name }) => name)).toEqual([
      'ModelCreated',
      'EndpointConfigCreated',
      'Failed',
    ]);
  });

  it('lists stages by when they began, not by when their events arrived', async () => {
    // Prepare: SageMaker's events of one change arrive in any order.
    const model = 'dep-stage-order';
    const version = await approved(model, 'r1');
    const clocked = clockedClient(ticking('2026-01-02T00:00:00Z', 1000));
    await clocked.createDeployment({ deploymentId: 'dep-stage-order-1', model, version });

    // Act: ActivatingTraffic (began at :05) is recorded before Creating (began at :01).
    await clocked.recordDeploymentProgress('dep-stage-order-1', {
      stage: { name: 'BlueGreen:ActivatingTraffic:50', at: '2026-01-02T00:01:05.000Z' },
    });
    await clocked.recordDeploymentProgress('dep-stage-order-1', {
      stage: { name: 'BlueGreen:Creating', at: '2026-01-02T00:01:01.000Z' },
    });
    const stored = await registry.getDeployment('dep-stage-order-1');

    // Assess
    expect(stored?.stages.map(({ name, at }) => `${at} ${name}`)).toEqual([
      '2026-01-02T00:01:01.000Z BlueGreen:Creating',
      '2026-01-02T00:01:05.000Z BlueGreen:ActivatingTraffic:50',
    ]);
  });

  it("lists a model's deployments newest first, page by page", async () => {
    // Prepare
    const model = 'dep-list';
    const version = await approved(model, 'r1');
    const clocked = clockedClient(ticking('2026-02-01T00:00:00Z', 60_000));
    for (const n of [1, 2, 3]) {
      await clocked.createDeployment({ deploymentId: `dep-list-${n}`, model, version, attempt: n });
    }
    const other = await approved('dep-list-other', 'r1');
    await registry.createDeployment({
      deploymentId: 'dep-list-other-1',
      model: 'dep-list-other',
      version: other,
    });

    // Act
    const listed = await collect((page) => registry.listDeployments(model, page), 1);

    // Assess
    expect(listed.map(({ deploymentId }) => deploymentId)).toEqual([
      'dep-list-3',
      'dep-list-2',
      'dep-list-1',
    ]);
    expect(listed.map(({ attempt }) => attempt)).toEqual([3, 2, 1]);
  });
});

describe('deployment lease', () => {
  it('of ten deployments taking the lease at once exactly one wins; the others learn who holds it and until when', async () => {
    // Prepare
    const model = 'lease-race';
    const ids = Array.from({ length: 10 }, (_, i) => `lease-race-${i}`);

    // Act
    const results = await Promise.allSettled(
      ids.map((id) => registry.takeDeploymentLease(model, id, { ttlSeconds: 300 })),
    );

    // Assess
    const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const lost = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(won).toHaveLength(1);
    const [lease] = won;
    expect(lost).toHaveLength(9);
    for (const error of lost) {
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect(error).toMatchObject({ model, holder: lease?.holder, expiresAt: lease?.expiresAt });
      expect(String(error)).toContain(
        `deployment ${lease?.holder} holds the deployment lease until ${lease?.expiresAt}`,
      );
    }
    expect(await registry.getDeploymentLease(model)).toEqual(lease);
  });

  it('is renewed and released only by its holder; a re-take by the holder is a no-op success', async () => {
    // Prepare
    const model = 'lease-holder';
    let now = Date.parse('2026-03-01T00:00:00Z');
    const clocked = new ModelRegistryClient({
      client: table.documentClient,
      tableName: table.tableName,
      clock: () => new Date(now),
    });
    await clocked.takeDeploymentLease(model, 'a', { ttlSeconds: 60 });

    // Act
    now += 30_000;
    const retaken = await clocked.takeDeploymentLease(model, 'a', { ttlSeconds: 60 });
    now += 30_000;
    const renewed = await clocked.renewDeploymentLease(model, 'a', { ttlSeconds: 120 });
    const renewByOther = await rejectionOf(clocked.renewDeploymentLease(model, 'b', { ttlSeconds: 120 }));
    const releasedByOther = await clocked.releaseDeploymentLease(model, 'b');
    const stillHeld = await clocked.getDeploymentLease(model);
    const released = await clocked.releaseDeploymentLease(model, 'a');
    const releasedAgain = await clocked.releaseDeploymentLease(model, 'a');
    const takenNext = await clocked.takeDeploymentLease(model, 'b', { ttlSeconds: 60 });

    // Assess
    expect(retaken.expiresAt).toBe('2026-03-01T00:01:30.000Z');
    expect(renewed).toMatchObject({ holder: 'a', expiresAt: '2026-03-01T00:03:00.000Z' });
    expect(renewByOther).toBeInstanceOf(LeaseNotHeldError);
    expect(String(renewByOther)).toContain('deployment a does');
    expect(releasedByOther).toBe(false);
    expect(stillHeld?.holder).toBe('a');
    expect(released).toBe(true);
    expect(releasedAgain).toBe(false);
    expect(takenNext.holder).toBe('b');
  });

  it('can be taken over once expired; the old holder can then neither renew nor release it', async () => {
    // Prepare
    const model = 'lease-expired';
    let now = Date.parse('2026-03-02T00:00:00Z');
    const clocked = new ModelRegistryClient({
      client: table.documentClient,
      tableName: table.tableName,
      clock: () => new Date(now),
    });
    await clocked.takeDeploymentLease(model, 'crashed', { ttlSeconds: 60 });
    now += 59_000;
    const early = await rejectionOf(clocked.takeDeploymentLease(model, 'next', { ttlSeconds: 60 }));

    // Act
    now += 2_000;
    const taken = await clocked.takeDeploymentLease(model, 'next', { ttlSeconds: 60 });
    const renew = await rejectionOf(clocked.renewDeploymentLease(model, 'crashed', { ttlSeconds: 60 }));
    const release = await clocked.releaseDeploymentLease(model, 'crashed');

    // Assess
    expect(early).toBeInstanceOf(LeaseHeldError);
    expect(early).toMatchObject({ holder: 'crashed', expiresAt: '2026-03-02T00:01:00.000Z' });
    expect(taken).toEqual({
      model,
      holder: 'next',
      acquiredAt: '2026-03-02T00:01:01.000Z',
      expiresAt: '2026-03-02T00:02:01.000Z',
    });
    expect(renew).toBeInstanceOf(LeaseNotHeldError);
    expect(renew).toMatchObject({ holder: 'next' });
    expect(release).toBe(false);
    expect((await clocked.getDeploymentLease(model))?.holder).toBe('next');
  });

  it('refuses a lease duration out of range', async () => {
    // Act
    const error = await rejectionOf(registry.takeDeploymentLease('lease-bad', 'x', { ttlSeconds: 0 }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toContain('options.ttlSeconds: expected 1..86400 seconds');
  });
});

describe('endpoint waiters', () => {
  it('hands a token to exactly one of two concurrent takes, and to nobody after', async () => {
    // Prepare
    await registry.putEndpointWaiter('waiter-endpoint', 'token-1', 'dep-w1');

    // Act
    const takes = await Promise.all([
      registry.takeEndpointWaiter('waiter-endpoint'),
      registry.takeEndpointWaiter('waiter-endpoint'),
    ]);
    const third = await registry.takeEndpointWaiter('waiter-endpoint');

    // Assess
    const got = takes.filter((waiter) => waiter !== undefined);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      endpointName: 'waiter-endpoint',
      taskToken: 'token-1',
      deploymentId: 'dep-w1',
    });
    expect(third).toBeUndefined();
  });

  it('replaces an earlier wait, and deletes only the deployment’s own waiter', async () => {
    // Prepare
    await registry.putEndpointWaiter('waiter-replace', 'token-old', 'dep-w2');
    await registry.putEndpointWaiter('waiter-replace', 'token-new', 'dep-w2');

    // Act
    const byOther = await registry.deleteEndpointWaiter('waiter-replace', 'dep-other');
    const taken = await registry.takeEndpointWaiter('waiter-replace');
    await registry.putEndpointWaiter('waiter-replace', 'token-3', 'dep-w2');
    const byOwner = await registry.deleteEndpointWaiter('waiter-replace', 'dep-w2');
    const afterDelete = await registry.takeEndpointWaiter('waiter-replace');

    // Assess
    expect(byOther).toBe(false);
    expect(taken?.taskToken).toBe('token-new');
    expect(byOwner).toBe(true);
    expect(afterDelete).toBeUndefined();
  });

  it('refuses an endpoint name SageMaker would refuse', async () => {
    // Act
    const error = await rejectionOf(registry.putEndpointWaiter('bad_name', 'token', 'dep'));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toContain('endpointName: expected a SageMaker name');
  });
});

describe('promotion', () => {
  it('promotes a first deployment: alias set, version Deployed with what serves it, deployment Promoted, events', async () => {
    // Prepare
    const model = 'promo-first';
    const version = await approved(model, 'r1');
    const began = await begun(model, version, 'promo-first-1');

    // Act
    const result = await registry.promoteDeployment('promo-first-1', {
      ...endpoint(model),
      details: { smokeTest: { rows: 20, p50Ms: 12 } },
    });

    // Assess
    expect(began).toMatchObject({ status: 'Deploying', baseline: { version: null, revision: null } });
    expect(result.promoted).toBe(true);
    expect(result.retiredVersion).toBeUndefined();
    expect(result.alias).toMatchObject({ model, alias: 'production', version, revision: 1 });
    expect(await registry.getAlias(model, 'production')).toEqual(result.alias);
    const stored = await registry.getVersion(model, version);
    expect(stored).toEqual(result.version);
    expect(stored).toMatchObject({
      status: 'Deployed',
      deployment: {
        deploymentId: 'promo-first-1',
        endpointName: 'promo-first-endpoint',
        endpointConfigName: 'promo-first-cfg',
      },
    });
    const deployment = await registry.getDeployment('promo-first-1');
    expect(deployment).toEqual(result.deployment);
    expect(deployment).toMatchObject({ status: 'Promoted', endpointName: 'promo-first-endpoint' });
    expect(deployment?.stages.map(({ name }) => name)).toEqual(['Began', 'Promoted']);
    expect(deployment?.endedAt).toBeDefined();
    const types = (await events(model)).map(({ type }) => type);
    expect(types.filter((type) => type === 'ModelDeployed')).toHaveLength(1);
    expect(types.filter((type) => type === 'AliasMoved')).toHaveLength(1);
    const deployedEvent = (await events(model)).find(({ type }) => type === 'ModelDeployed');
    expect(deployedEvent?.details).toMatchObject({
      deploymentId: 'promo-first-1',
      previousVersion: null,
      aliasRevision: 1,
      smokeTest: { rows: 20, p50Ms: 12 },
    });
  });

  it('retires the previous production version, and a re-run writes nothing', async () => {
    // Prepare
    const model = 'promo-next';
    const v1 = await approved(model, 'r1');
    const v2 = await approved(model, 'r2');
    await deployed(model, v1, 'promo-next-1');
    await begun(model, v2, 'promo-next-2');

    // Act
    const result = await registry.promoteDeployment('promo-next-2', endpoint(model));
    const before = await events(model);
    const rerun = await registry.promoteDeployment('promo-next-2', endpoint(model));

    // Assess
    expect(result).toMatchObject({ promoted: true, retiredVersion: v1, alias: { version: v2, revision: 2 } });
    expect((await registry.getVersion(model, v1))?.status).toBe('Retired');
    expect((await registry.getVersion(model, v1))?.deployment?.deploymentId).toBe('promo-next-1');
    expect((await registry.getVersion(model, v2))?.status).toBe('Deployed');
    expect(rerun).toEqual({ ...result, promoted: false });
    expect(await events(model)).toEqual(before);
  });

  it('rolls back to a retired version through the same promotion', async () => {
    // Prepare
    const model = 'promo-rollback';
    const v1 = await approved(model, 'r1');
    const v2 = await approved(model, 'r2');
    await deployed(model, v1, 'promo-rollback-1');
    await deployed(model, v2, 'promo-rollback-2');

    // Act
    await registry.createDeployment({
      deploymentId: 'promo-rollback-3',
      model,
      version: v1,
      kind: 'rollback',
    });
    await registry.takeDeploymentLease(model, 'promo-rollback-3', { ttlSeconds: 60 });
    await registry.beginDeployment('promo-rollback-3');
    const result = await registry.promoteDeployment('promo-rollback-3', endpoint(model));

    // Assess
    expect(result).toMatchObject({ retiredVersion: v2, alias: { version: v1, revision: 3 } });
    expect(result.deployment.kind).toBe('rollback');
    expect((await registry.getVersion(model, v2))?.status).toBe('Retired');
  });

  it('refuses to promote when the alias moved after the deployment began, and writes nothing', async () => {
    // Prepare
    const model = 'promo-moved';
    const v1 = await approved(model, 'r1');
    const v2 = await approved(model, 'r2');
    await deployed(model, v1, 'promo-moved-1');
    await begun(model, v2, 'promo-moved-2');
    const moved = await registry.setAlias(model, 'production', v1, { expectedVersion: v1, reason: 'manual' });
    const before = await events(model);

    // Act
    const error = await rejectionOf(registry.promoteDeployment('promo-moved-2', endpoint(model)));

    // Assess
    expect(error).toBeInstanceOf(AliasMovedError);
    expect(String(error)).toContain(
      `${model} production: moved while deploying (read v${v1} (revision 1), now v${v1} (revision 2)); nothing was written`,
    );
    expect(await registry.getAlias(model, 'production')).toEqual(moved);
    expect((await registry.getVersion(model, v2))?.status).toBe('Deploying');
    expect((await registry.getVersion(model, v1))?.status).toBe('Deployed');
    expect((await registry.getDeployment('promo-moved-2'))?.status).toBe('Deploying');
    expect(await events(model)).toEqual(before);
  });

  it('refuses a promotion whose transaction races an alias move between its read and its write', async () => {
    // Prepare
    const model = 'promo-race';
    const v1 = await approved(model, 'r1');
    await begun(model, v1, 'promo-race-1');
    const v2 = await approved(model, 'r2');
    const racing = table.newDocumentClient();
    let interfered = false;
    racing.middlewareStack.add(
      (next) => async (args) => {
        if (!interfered && 'TransactItems' in (args.input as object)) {
          interfered = true;
          await registry.setAlias(model, 'production', v2, { expectedVersion: null, reason: 'by hand' });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const slow = new ModelRegistryClient({ client: racing, tableName: table.tableName });

    // Act
    const error = await rejectionOf(slow.promoteDeployment('promo-race-1', endpoint(model)));

    // Assess
    expect(interfered).toBe(true);
    expect(error).toBeInstanceOf(AliasMovedError);
    expect(error).toMatchObject({
      expected: { version: null, revision: null },
      actual: { version: v2, revision: 1 },
    });
    expect((await registry.getVersion(model, v1))?.status).toBe('Deploying');
    expect((await registry.getDeployment('promo-race-1'))?.status).toBe('Deploying');
    expect((await events(model)).filter(({ type }) => type === 'ModelDeployed')).toEqual([]);
  });

  it('serializes two deployments of one model: the second begins after the first released the lease, on the new baseline', async () => {
    // Prepare
    const model = 'promo-serial';
    const v1 = await approved(model, 'r1');
    const v2 = await approved(model, 'r2');
    await begun(model, v1, 'promo-serial-1');
    await registry.createDeployment({ deploymentId: 'promo-serial-2', model, version: v2 });

    // Act
    const blocked = await rejectionOf(
      registry.takeDeploymentLease(model, 'promo-serial-2', { ttlSeconds: 60 }),
    );
    const notBegun = await rejectionOf(registry.beginDeployment('promo-serial-2'));
    await registry.promoteDeployment('promo-serial-1', endpoint(model));
    await registry.releaseDeploymentLease(model, 'promo-serial-1');
    await registry.takeDeploymentLease(model, 'promo-serial-2', { ttlSeconds: 60 });
    const second = await registry.beginDeployment('promo-serial-2');
    const beginAgain = await registry.beginDeployment('promo-serial-2');
    const result = await registry.promoteDeployment('promo-serial-2', endpoint(model));

    // Assess
    expect(blocked).toBeInstanceOf(LeaseHeldError);
    expect(blocked).toMatchObject({ holder: 'promo-serial-1' });
    expect(notBegun).toBeInstanceOf(LeaseNotHeldError);
    expect(notBegun).toMatchObject({ holder: 'promo-serial-1' });
    expect(second.baseline).toEqual({ version: v1, revision: 1 });
    expect(beginAgain).toEqual(second);
    expect(result).toMatchObject({ retiredVersion: v1, alias: { version: v2, revision: 2 } });
  });

  it('refuses to promote a deployment whose lease was taken over', async () => {
    // Prepare
    const model = 'promo-lease';
    const v1 = await approved(model, 'r1');
    let now = Date.now();
    const clocked = new ModelRegistryClient({
      client: table.documentClient,
      tableName: table.tableName,
      clock: () => new Date(now),
    });
    await clocked.createDeployment({ deploymentId: 'promo-lease-1', model, version: v1 });
    await clocked.takeDeploymentLease(model, 'promo-lease-1', { ttlSeconds: 1 });
    await clocked.beginDeployment('promo-lease-1');
    now += 5_000;
    await clocked.takeDeploymentLease(model, 'promo-lease-2', { ttlSeconds: 60 });

    // Act
    const error = await rejectionOf(clocked.promoteDeployment('promo-lease-1', endpoint(model)));

    // Assess
    expect(error).toBeInstanceOf(LeaseNotHeldError);
    expect(error).toMatchObject({ holder: 'promo-lease-2' });
    expect(await registry.getAlias(model, 'production')).toBeUndefined();
  });
});

describe('deployment failure', () => {
  it('marks the version RolledBack with the reasons, closes the deployment, leaves the alias and production version alone', async () => {
    // Prepare
    const model = 'fail-rollback';
    const v1 = await approved(model, 'r1');
    const v2 = await approved(model, 'r2');
    await deployed(model, v1, 'fail-rollback-1');
    await begun(model, v2, 'fail-rollback-2');
    const alias = await registry.getAlias(model, 'production');

    // Act
    const result = await registry.recordDeploymentFailure('fail-rollback-2', {
      outcome: 'RolledBack',
      reasons: ['alarm fail-rollback-5xx went to ALARM', 'endpoint serves fail-rollback-cfg-v1'],
      details: { alarms: ['fail-rollback-5xx'] },
    });
    const rerun = await registry.recordDeploymentFailure('fail-rollback-2', {
      outcome: 'RolledBack',
      reasons: ['again'],
    });

    // Assess
    expect(result.recorded).toBe(true);
    expect(result.version).toMatchObject({
      status: 'RolledBack',
      statusReason: 'alarm fail-rollback-5xx went to ALARM; endpoint serves fail-rollback-cfg-v1',
    });
    expect(await registry.getVersion(model, v2)).toEqual(result.version);
    expect(await registry.getDeployment('fail-rollback-2')).toEqual(result.deployment);
    expect(result.deployment).toMatchObject({
      status: 'RolledBack',
      reasons: ['alarm fail-rollback-5xx went to ALARM', 'endpoint serves fail-rollback-cfg-v1'],
    });
    expect(await registry.getAlias(model, 'production')).toEqual(alias);
    expect((await registry.getVersion(model, v1))?.status).toBe('Deployed');
    expect(rerun).toEqual({ ...result, recorded: false });
    const failed = (await events(model)).filter(({ type }) => type === 'DeploymentFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.details).toMatchObject({ outcome: 'RolledBack', alarms: ['fail-rollback-5xx'] });
    const promote = await rejectionOf(registry.promoteDeployment('fail-rollback-2', endpoint(model)));
    expect(promote).toBeInstanceOf(InvalidStatusTransitionError);
  });

  it('closes a deployment that never began (lease held elsewhere) as Failed, leaving its version Approved', async () => {
    // Prepare
    const model = 'fail-early';
    const v1 = await approved(model, 'r1');
    await registry.createDeployment({ deploymentId: 'fail-early-1', model, version: v1 });

    // Act
    const rolledBack = await rejectionOf(
      registry.recordDeploymentFailure('fail-early-1', { outcome: 'RolledBack', reasons: ['x'] }),
    );
    const result = await registry.recordDeploymentFailure('fail-early-1', {
      outcome: 'Failed',
      reasons: ['deployment other holds the lease'],
    });

    // Assess
    expect(rolledBack).toBeInstanceOf(InvalidStatusTransitionError);
    expect(result.deployment.status).toBe('Failed');
    expect(result.version.status).toBe('Approved');
    expect((await registry.getVersion(model, v1))?.status).toBe('Approved');
  });

  it('marks a version Failed, after which it can be deployed again', async () => {
    // Prepare
    const model = 'fail-retry';
    const v1 = await approved(model, 'r1');
    await begun(model, v1, 'fail-retry-1');
    await registry.recordDeploymentFailure('fail-retry-1', {
      outcome: 'Failed',
      reasons: ['smoke test: row 3 NaN'],
    });
    await registry.releaseDeploymentLease(model, 'fail-retry-1');

    // Act
    await registry.createDeployment({ deploymentId: 'fail-retry-2', model, version: v1, attempt: 2 });
    await registry.takeDeploymentLease(model, 'fail-retry-2', { ttlSeconds: 60 });
    await registry.beginDeployment('fail-retry-2');
    const result = await registry.promoteDeployment('fail-retry-2', endpoint(model));

    // Assess
    expect(result.version.status).toBe('Deployed');
    expect(result.deployment.attempt).toBe(2);
    expect(await registry.getDeployment('fail-retry-1')).toMatchObject({
      status: 'Failed',
      reasons: ['smoke test: row 3 NaN'],
    });
  });
});
