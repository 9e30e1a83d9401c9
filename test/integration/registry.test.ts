import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AliasConflictError,
  type AuditEvent,
  ConcurrentModificationError,
  EventAlreadyExistsError,
  InvalidPageTokenError,
  InvalidStatusTransitionError,
  type Lineage,
  MODEL_VERSION_STATUSES,
  ModelRegistryClient,
  type ModelVersionStatus,
  type Page,
  type PageRequest,
  RunNotFoundError,
  RunStatusConflictError,
  ValidationError,
  VERSION_TRANSITIONS,
  VersionNotFoundError,
} from '../../lambdas/shared/registry';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let registry: ModelRegistryClient;

beforeAll(() => {
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
});

function lineage(runId: string, overrides: Partial<Lineage> = {}): Lineage {
  return {
    dataset: {
      bucket: 'data-bucket',
      key: `datasets/churn/${runId}.csv`,
      versionId: `v-${runId}`,
      sha256: createHash('sha256').update(runId).digest('hex'),
      rowCount: 1_000,
    },
    trainingJobName: `train-${runId}`,
    image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1',
    hyperparameters: { max_depth: '5', eta: '0.2' },
    metrics: { 'validation:auc': 0.91 },
    artifactUri: `s3://artifacts-bucket/runs/${runId}/model.tar.gz`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
    ...overrides,
  };
}

async function registerMany(model: string, count: number): Promise<number[]> {
  const versions: number[] = [];
  for (let i = 0; i < count; i++) {
    const { version } = await registry.registerVersion(model, { lineage: lineage(`${model}-run-${i}`) });
    versions.push(version.version);
  }
  return versions;
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

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the call succeeded');
}

/** Shortest chain of allowed moves from Registered to each status. */
function pathsFromRegistered(): Map<ModelVersionStatus, ModelVersionStatus[]> {
  const paths = new Map<ModelVersionStatus, ModelVersionStatus[]>([['Registered', []]]);
  const queue: ModelVersionStatus[] = ['Registered'];
  for (let from = queue.shift(); from !== undefined; from = queue.shift()) {
    for (const to of VERSION_TRANSITIONS[from]) {
      if (!paths.has(to)) {
        paths.set(to, [...(paths.get(from) ?? []), to]);
        queue.push(to);
      }
    }
  }
  return paths;
}

async function versionIn(model: string, status: ModelVersionStatus): Promise<number> {
  const path = pathsFromRegistered().get(status);
  if (path === undefined) throw new Error(`${status} is unreachable`);
  const { version } = await registry.registerVersion(model, { lineage: lineage(`${model}-${status}`) });
  for (const step of path) {
    await registry.changeStatus(model, version.version, step, { reason: `to ${step}`, actor: 'test' });
  }
  return version.version;
}

describe('versions', () => {
  it('allocates versions 1..50 without gaps or duplicates under 50 concurrent registrations', async () => {
    // Prepare
    const model = 'concurrent';
    const runs = Array.from({ length: 50 }, (_, i) => `concurrent-run-${i}`);

    // Act
    const results = await Promise.all(
      runs.map((runId) => registry.registerVersion(model, { lineage: lineage(runId) })),
    );

    // Assess
    const expected = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(results.map(({ version }) => version.version).sort((a, b) => a - b)).toEqual(expected);
    expect(results.every(({ created }) => created)).toBe(true);
    const stored = await collect((page) => registry.listVersions(model, page));
    expect(stored.map(({ version }) => version)).toEqual([...expected].reverse());
    expect(new Set(stored.map(({ lineage: { runId } }) => runId))).toEqual(new Set(runs));
    expect((await registry.getModel(model))?.latestVersion).toBe(50);
    const events = await collect((page) => registry.listEvents(model, page));
    expect(events).toHaveLength(50);
    expect(events.every(({ type }) => type === 'VersionRegistered')).toBe(true);
    expect(events.map(({ version }) => version).sort((a = 0, b = 0) => a - b)).toEqual(expected);
  });

  it('stores the lineage and the initial status, and returns it from getVersion', async () => {
    // Prepare
    const model = 'lineage';
    const input = {
      lineage: lineage('lineage-run'),
      status: 'PendingApproval',
      reason: 'auc 0.91 > 0.88',
    } as const;

    // Act
    const { version } = await registry.registerVersion(model, { ...input, actor: 'pipeline' });

    // Assess
    const stored = await registry.getVersion(model, 1);
    expect(stored).toEqual(version);
    expect(stored).toMatchObject({
      model,
      version: 1,
      status: 'PendingApproval',
      statusReason: 'auc 0.91 > 0.88',
      statusChangedBy: 'pipeline',
      lineage: input.lineage,
    });
    expect(await registry.getVersion(model, 2)).toBeUndefined();
  });

  it('registers a run once: a redelivered registration returns the first version and writes nothing', async () => {
    // Prepare
    const model = 'redelivered';
    const first = await registry.registerVersion(model, { lineage: lineage('same-run') });

    // Act
    const again = await registry.registerVersion(model, {
      lineage: lineage('same-run', { trainingJobName: 'other' }),
    });

    // Assess
    expect(again).toEqual({ created: false, version: first.version });
    expect((await registry.getModel(model))?.latestVersion).toBe(1);
    expect(await collect((page) => registry.listEvents(model, page))).toHaveLength(1);
  });

  it('records the bytes a version was trained on, keeping the first run for bytes trained again', async () => {
    // Prepare: two runs trained on the same bytes (the second a forced retry)
    const bytes = lineage('trained-1').dataset;
    const first = lineage('trained-1');
    const again = lineage('trained-2', { dataset: { ...bytes, versionId: 'v-again' } });

    // Act
    const one = await registry.registerVersion('trained', { lineage: first });
    await registry.registerVersion('trained', { lineage: first });
    const two = await registry.registerVersion('trained', { lineage: again });
    const found = await registry.findTrainedDataset('trained', bytes.sha256);
    const unknown = await registry.findTrainedDataset('trained', 'f'.repeat(64));

    // Assess
    expect([one.version.version, two.version.version]).toEqual([1, 2]);
    expect(found).toEqual({
      model: 'trained',
      sha256: bytes.sha256,
      runId: 'trained-1',
      version: 1,
      createdAt: one.version.createdAt,
    });
    expect(unknown).toBeUndefined();
    expect((await registry.listVersions('trained')).items).toHaveLength(2);
    await expect(registry.findTrainedDataset('trained', 'not-a-hash')).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('pages versions newest first with an opaque nextToken', async () => {
    // Prepare
    const model = 'paging';
    await registerMany(model, 5);

    // Act
    const first = await registry.listVersions(model, { limit: 2 });
    const second = await registry.listVersions(model, { limit: 2, nextToken: first.nextToken });
    const third = await registry.listVersions(model, { limit: 2, nextToken: second.nextToken });

    // Assess
    expect(first.items.map(({ version }) => version)).toEqual([5, 4]);
    expect(second.items.map(({ version }) => version)).toEqual([3, 2]);
    expect(third.items.map(({ version }) => version)).toEqual([1]);
    expect(first.nextToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(third.nextToken).toBeUndefined();
  });

  it('lists models by name, page by page', async () => {
    // Prepare
    await registerMany('models-b', 1);
    await registerMany('models-a', 2);

    // Act
    const models = await collect((page) => registry.listModels(page), 1);

    // Assess
    const names = models.map(({ model }) => model);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['models-a', 'models-b']));
    expect(models.find(({ model }) => model === 'models-a')?.latestVersion).toBe(2);
  });

  it('refuses a malformed nextToken, a token of another listing and a bad limit', async () => {
    // Prepare
    await registerMany('tokens', 3);
    const { nextToken } = await registry.listVersions('tokens', { limit: 1 });
    const forged = Buffer.from(JSON.stringify({ PK: 'MODEL#tokens', SK: 'VERSION#1', x: 1 })).toString(
      'base64url',
    );

    // Act
    const notBase64 = await rejectionOf(registry.listVersions('tokens', { nextToken: 'not base64!' }));
    const notJson = await rejectionOf(registry.listVersions('tokens', { nextToken: 'bm90IGpzb24' }));
    const wrongKeys = await rejectionOf(registry.listVersions('tokens', { nextToken: forged }));
    const otherModel = await rejectionOf(registry.listVersions('paging', { nextToken }));
    const otherListing = await rejectionOf(registry.listEvents('tokens', { nextToken }));
    const badLimit = await rejectionOf(registry.listVersions('tokens', { limit: 0 }));

    // Assess
    expect(notBase64).toBeInstanceOf(InvalidPageTokenError);
    expect(notBase64).toHaveProperty('message', 'invalid nextToken: not base64url text');
    expect(notJson).toHaveProperty('message', 'invalid nextToken: not valid JSON once decoded');
    expect(wrongKeys).toBeInstanceOf(InvalidPageTokenError);
    expect(otherModel).toHaveProperty('message', 'invalid nextToken: it was issued for a different listing');
    expect(otherListing).toBeInstanceOf(InvalidPageTokenError);
    expect(badLimit).toBeInstanceOf(ValidationError);
    expect(badLimit).toHaveProperty('field', 'page.limit');
  });

  it('refuses invalid input with an error naming the field', async () => {
    // Act
    const badModel = await rejectionOf(registry.registerVersion('Churn!', { lineage: lineage('x') }));
    const badSha = await rejectionOf(
      registry.registerVersion('churn', {
        lineage: lineage('x', { dataset: { ...lineage('x').dataset, sha256: 'abc' } }),
      }),
    );
    const badVersion = await rejectionOf(registry.getVersion('churn', 0));

    // Assess
    expect(badModel).toBeInstanceOf(ValidationError);
    expect(badModel).toHaveProperty('field', 'model');
    expect(badSha).toHaveProperty(
      'message',
      'input.lineage.dataset.sha256: expected 64 lowercase hex characters',
    );
    expect(badVersion).toHaveProperty('field', 'version');
  });
});

describe('status lifecycle against the table', () => {
  const paths = pathsFromRegistered();

  it('can reach every status through allowed moves', () => {
    // Assess
    expect([...paths.keys()].sort()).toEqual([...MODEL_VERSION_STATUSES].sort());
  });

  it.each(MODEL_VERSION_STATUSES)(
    'refuses every disallowed move from %s and leaves the status as it was',
    async (from) => {
      // Prepare
      const model = `refuse-${from.toLowerCase()}`;
      const version = await versionIn(model, from);
      const eventsBefore = (await registry.listEvents(model)).items.length;
      const refused = MODEL_VERSION_STATUSES.filter((to) => !VERSION_TRANSITIONS[from].includes(to));

      // Act
      const errors = await Promise.all(
        refused.map((to) =>
          rejectionOf(registry.changeStatus(model, version, to, { reason: 'try', actor: 'test' })),
        ),
      );

      // Assess
      for (const [i, error] of errors.entries()) {
        expect(error).toBeInstanceOf(InvalidStatusTransitionError);
        expect(error).toMatchObject({ from, to: refused[i] });
        expect((error as Error).message).toContain(
          `${model} v${version}: cannot move from ${from} to ${refused[i]}`,
        );
      }
      expect((await registry.getVersion(model, version))?.status).toBe(from);
      expect((await registry.listEvents(model)).items).toHaveLength(eventsBefore);
    },
  );

  it.each(MODEL_VERSION_STATUSES.filter((from) => VERSION_TRANSITIONS[from].length > 0))(
    'performs every allowed move from %s and records it',
    async (from) => {
      // Prepare
      const targets = VERSION_TRANSITIONS[from];
      const versions = await Promise.all(
        targets.map((to) => versionIn(`allow-${from.toLowerCase()}-${to.toLowerCase()}`, from)),
      );

      // Act
      const moved = await Promise.all(
        targets.map((to, i) =>
          registry.changeStatus(`allow-${from.toLowerCase()}-${to.toLowerCase()}`, versions[i] ?? 0, to, {
            reason: `because ${to}`,
            actor: 'alice',
          }),
        ),
      );

      // Assess
      for (const [i, to] of targets.entries()) {
        const model = `allow-${from.toLowerCase()}-${to.toLowerCase()}`;
        expect(moved[i]).toMatchObject({
          status: to,
          statusReason: `because ${to}`,
          statusChangedBy: 'alice',
        });
        expect(await registry.getVersion(model, versions[i] ?? 0)).toEqual(moved[i]);
        const [latest] = (await registry.listEvents(model, { limit: 1 })).items;
        expect(latest).toMatchObject({ type: 'StatusChanged', actor: 'alice', reasons: [`because ${to}`] });
        expect(latest?.details).toEqual({ from, to });
      }
    },
  );

  it('refuses to move a version that does not exist', async () => {
    // Act
    const error = await rejectionOf(
      registry.changeStatus('ghost', 7, 'Approved', { reason: 'r', actor: 'a' }),
    );

    // Assess
    expect(error).toBeInstanceOf(VersionNotFoundError);
    expect(error).toHaveProperty('message', 'ghost v7 does not exist');
  });

  it('reports a status change made between its read and its write instead of applying a stale decision', async () => {
    // Prepare
    const model = 'stale';
    const version = await versionIn(model, 'Approved');
    const racing = table.newDocumentClient();
    let interfered = false;
    racing.middlewareStack.add(
      (next) => async (args) => {
        if (!interfered && 'TransactItems' in (args.input as object)) {
          interfered = true;
          await registry.changeStatus(model, version, 'Retired', { reason: 'superseded', actor: 'bob' });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const slow = new ModelRegistryClient({ client: racing, tableName: table.tableName });

    // Act
    const error = await rejectionOf(
      slow.changeStatus(model, version, 'Deploying', { reason: 'go', actor: 'alice' }),
    );

    // Assess
    expect(error).toBeInstanceOf(ConcurrentModificationError);
    expect(error).toHaveProperty('actual', 'status Retired');
    expect((await registry.getVersion(model, version))?.status).toBe('Retired');
  });
});

describe('aliases', () => {
  it('lets exactly one of 20 concurrent moves from the same expected version win', async () => {
    // Prepare
    const model = 'alias-race';
    await registerMany(model, 21);
    await registry.setAlias(model, 'production', 1, { expectedVersion: null, reason: 'first deploy' });
    const targets = Array.from({ length: 20 }, (_, i) => i + 2);

    // Act
    const outcomes = await Promise.allSettled(
      targets.map((version) =>
        registry.setAlias(model, 'production', version, { expectedVersion: 1, actor: `op-${version}` }),
      ),
    );

    // Assess
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.value;
    expect(winner).toMatchObject({ model, alias: 'production', revision: 2 });
    expect(losers).toHaveLength(19);
    for (const { reason } of losers) {
      expect(reason).toBeInstanceOf(AliasConflictError);
      expect(reason).toMatchObject({
        model,
        alias: 'production',
        expectedVersion: 1,
        actualVersion: winner?.version,
      });
    }
    expect(await registry.getAlias(model, 'production')).toEqual(winner);
    const moves = (await collect((page) => registry.listEvents(model, page))).filter(
      ({ type }) => type === 'AliasMoved',
    );
    expect(moves.map(({ details }) => details)).toEqual([
      { alias: 'production', from: 1, to: winner?.version, revision: 2 },
      { alias: 'production', from: null, to: 1, revision: 1 },
    ]);
  });

  it('refuses an alias to a version that does not exist and leaves the alias alone', async () => {
    // Prepare
    const model = 'alias-missing';
    await registerMany(model, 1);
    await registry.setAlias(model, 'staging', 1, { expectedVersion: null });

    // Act
    const error = await rejectionOf(registry.setAlias(model, 'staging', 9, { expectedVersion: 1 }));

    // Assess
    expect(error).toBeInstanceOf(VersionNotFoundError);
    expect(await registry.getAlias(model, 'staging')).toMatchObject({ version: 1, revision: 1 });
  });

  it('reports the actual version when the expectation is stale, and validates alias names', async () => {
    // Prepare
    const model = 'alias-stale';
    await registerMany(model, 2);
    await registry.setAlias(model, 'production', 2, { expectedVersion: null });

    // Act
    const exists = await rejectionOf(registry.setAlias(model, 'production', 1, { expectedVersion: null }));
    const unset = await rejectionOf(registry.setAlias(model, 'staging', 1, { expectedVersion: 2 }));
    const badName = await rejectionOf(
      registry.setAlias(model, 'canary' as 'staging', 1, { expectedVersion: null }),
    );

    // Assess
    expect(exists).toMatchObject({ expectedVersion: null, actualVersion: 2 });
    expect(exists).toHaveProperty('message', 'alias-stale production: expected unset but it is v2');
    expect(unset).toMatchObject({ expectedVersion: 2, actualVersion: null });
    expect(badName).toBeInstanceOf(ValidationError);
    expect(await registry.getAlias(model, 'staging')).toBeUndefined();
  });
});

describe('runs', () => {
  const dataset = { bucket: 'data-bucket', key: 'datasets/runs/a.csv', versionId: 'v1' };

  it('creates a run once: a duplicate delivery returns the stored run', async () => {
    // Prepare
    const run = { runId: 'run-dup', model: 'runs', dataset, startedAt: '2030-01-01T00:00:00.000Z' };

    // Act
    const first = await registry.createRun(run);
    const duplicate = await registry.createRun({ ...run, executionArn: 'arn:other' });

    // Assess
    expect(first).toMatchObject({ created: true, run: { ...run, status: 'Running' } });
    expect(duplicate).toEqual({ created: false, run: first.run });
    expect(await registry.getRun('run-dup')).toEqual(first.run);
  });

  it('updates a run, keeps the by-status listing in sync and records the outcome', async () => {
    // Prepare
    const { run } = await registry.createRun({ runId: 'run-upd', model: 'runs-upd', dataset });

    // Act
    const progressed = await registry.updateRun(run.runId, { step: 'Train' }, { expectedStatus: 'Running' });
    const done = await registry.updateRun(run.runId, {
      status: 'Succeeded',
      version: 3,
      endedAt: new Date(0),
    });
    const late = await rejectionOf(
      registry.updateRun(run.runId, { step: 'Late' }, { expectedStatus: 'Running' }),
    );
    const revived = await rejectionOf(registry.updateRun(run.runId, { status: 'Running' }));
    const missing = await rejectionOf(registry.updateRun('no-such-run', { step: 'x' }));

    // Assess
    expect(progressed).toMatchObject({ step: 'Train', status: 'Running' });
    expect(done).toMatchObject({
      step: 'Train',
      status: 'Succeeded',
      version: 3,
      endedAt: '1970-01-01T00:00:00.000Z',
    });
    expect(await registry.getRun(run.runId)).toEqual(done);
    expect(late).toBeInstanceOf(RunStatusConflictError);
    expect(late).toMatchObject({ expectedStatus: 'Running', actualStatus: 'Succeeded' });
    expect(revived).toBeInstanceOf(InvalidStatusTransitionError);
    expect(missing).toBeInstanceOf(RunNotFoundError);
    const succeeded = await collect((page) => registry.listRunsByStatus('Succeeded', page));
    const running = await collect((page) => registry.listRunsByStatus('Running', page));
    expect(succeeded.map(({ runId }) => runId)).toContain('run-upd');
    expect(running.map(({ runId }) => runId)).not.toContain('run-upd');
    const events = (await registry.listEvents('runs-upd')).items.map(({ type }: AuditEvent) => type);
    expect(events).toEqual(['RunSucceeded', 'RunStarted']);
  });

  it('records a retry with its link, forced, and a RunRetried event by the requester with the reasons', async () => {
    // Prepare
    const input = {
      runId: 'run-retry-2',
      model: 'runs-retry',
      dataset,
      retryOf: 'run-retry-1',
      forced: true,
      step: 'ValidateDataset',
      actor: 'ana@laptop',
      reasons: ['Retry of run run-retry-1 (Failed), requested by ana@laptop', 'quota raised'],
    };

    // Act
    const { run } = await registry.createRun(input);

    // Assess
    expect(await registry.getRun('run-retry-2')).toEqual(run);
    expect(run).toMatchObject({
      retryOf: 'run-retry-1',
      forced: true,
      step: 'ValidateDataset',
      status: 'Running',
    });
    const [event] = (await registry.listEvents('runs-retry')).items;
    expect(event).toMatchObject({
      type: 'RunRetried',
      actor: 'ana@laptop',
      reasons: input.reasons,
      runId: 'run-retry-2',
      details: { retryOf: 'run-retry-1', forced: true },
    });
  });

  it('closes a run with a named event type and reasons (RunDuplicate), and stores duplicateOf', async () => {
    // Prepare
    const { run } = await registry.createRun({ runId: 'run-dupbytes', model: 'runs-dupbytes', dataset });

    // Act
    const closed = await registry.updateRun(
      run.runId,
      { status: 'Succeeded', duplicateOf: 'run-first', version: 2, endedAt: new Date(0) },
      {
        expectedStatus: 'Running',
        eventType: 'RunDuplicate',
        reasons: ['same sha256 as run run-first (v2)'],
      },
    );

    // Assess
    expect(await registry.getRun(run.runId)).toEqual(closed);
    expect(closed).toMatchObject({ status: 'Succeeded', duplicateOf: 'run-first', version: 2 });
    const types = (await registry.listEvents('runs-dupbytes')).items.map((event) => [
      event.type,
      event.reasons,
    ]);
    expect(types).toEqual([
      ['RunDuplicate', ['same sha256 as run run-first (v2)']],
      ['RunStarted', []],
    ]);
  });

  it('lists a model’s runs and runs by status newest first, page by page', async () => {
    // Prepare
    const model = 'runs-list';
    for (const [i, day] of ['01', '03', '02'].entries()) {
      await registry.createRun({ runId: `list-${i}`, model, dataset, startedAt: `2031-01-${day}T00:00:00Z` });
    }

    // Act
    const first = await registry.listRunsByModel(model, { limit: 2 });
    const rest = await registry.listRunsByModel(model, { limit: 2, nextToken: first.nextToken });
    const running = await collect((page) => registry.listRunsByStatus('Running', page), 2);

    // Assess
    expect(first.items.map(({ runId }) => runId)).toEqual(['list-1', 'list-2']);
    expect(rest.items.map(({ runId }) => runId)).toEqual(['list-0']);
    const startedAt = running.map(({ startedAt }) => startedAt);
    expect(startedAt).toEqual([...startedAt].sort().reverse());
    expect(running.map(({ runId }) => runId)).toEqual(expect.arrayContaining(['list-0', 'list-1', 'list-2']));
  });
});

describe('audit events', () => {
  it('never overwrites an event: the same id at the same time is refused and the original kept', async () => {
    // Prepare
    const event = {
      id: 'drift-2031-01-01',
      at: '2031-01-01T00:00:00.000Z',
      model: 'audited',
      type: 'DriftChecked',
      actor: 'drift-monitor',
      reasons: ['psi 0.31 > 0.2 on tenure'],
      details: { psi: { tenure: 0.31 } },
    };
    const original = await registry.appendEvent(event);

    // Act
    const error = await rejectionOf(registry.appendEvent({ ...event, details: { psi: { tenure: 0 } } }));

    // Assess
    expect(error).toBeInstanceOf(EventAlreadyExistsError);
    expect(original).toMatchObject({ ...event, reasons: event.reasons });
    expect((await registry.listEvents('audited')).items).toEqual([original]);
  });

  it('lists events newest first and refuses details that are not JSON', async () => {
    // Prepare
    const base = { model: 'audit-order', type: 'Noted', actor: 'test', details: {} };
    await registry.appendEvent({ ...base, at: '2031-01-01T00:00:00Z', details: { n: 1 } });
    await registry.appendEvent({ ...base, at: '2031-01-03T00:00:00Z', details: { n: 3 } });
    await registry.appendEvent({ ...base, at: '2031-01-02T00:00:00Z', details: { n: 2 } });

    // Act
    const page = await registry.listEvents('audit-order', { limit: 2 });
    const notJson = await rejectionOf(registry.appendEvent({ ...base, details: { ratio: Number.NaN } }));

    // Assess
    expect(page.items.map(({ details }) => details)).toEqual([{ n: 3 }, { n: 2 }]);
    expect(page.nextToken).toBeDefined();
    expect(notJson).toHaveProperty('field', 'event.details.ratio');
  });
});
