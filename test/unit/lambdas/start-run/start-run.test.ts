import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { RUN_RETRY_REQUESTED, retryRunId } from '../../../../lambdas/shared/events';
import type { StartRunInput } from '../../../../lambdas/shared/pipeline';
import type { CreateRunInput, ModelRegistryClient, Run } from '../../../../lambdas/shared/registry';
import { runForUpload, runIdFor } from '../../../../lambdas/shared/runs';
import { startRun } from '../../../../lambdas/start-run/start-run';
import { DATASET_KEY_CASES } from '../../../support/dataset-keys';

const SAGEMAKER_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Training:exec-1';
const NOW = new Date('2026-11-30T12:00:00.000Z');

/** A registry that stores created runs in memory, like createRun does (first write wins). */
function fakeRegistry(existing: Run[] = []) {
  const runs = new Map(existing.map((run) => [run.runId, run]));
  const createRun = vi.fn<ModelRegistryClient['createRun']>(async (input: CreateRunInput) => {
    const stored = runs.get(input.runId);
    if (stored) return { created: false, run: stored };
    const { actor: _actor, reasons: _reasons, startedAt, endedAt: _endedAt, ...fields } = input;
    const run: Run = { ...fields, status: 'Running', startedAt: new Date(startedAt ?? NOW).toISOString() };
    runs.set(run.runId, run);
    return { created: true, run };
  });
  const getRun = vi.fn<ModelRegistryClient['getRun']>(async (runId) => runs.get(runId));
  return { createRun, getRun, runs };
}

function deps(registry = fakeRegistry()) {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  return { registry, logger: new Logger({ logLevel: 'SILENT' }), metrics, clock: () => NOW };
}

function objectCreated(key: string, versionId: string | null = 'v1'): StartRunInput {
  return {
    detailType: 'Object Created',
    detail: {
      version: '0',
      bucket: { name: 'data-bucket' },
      object: { key, size: 10, ...(versionId === null ? {} : { 'version-id': versionId }) },
    },
    executionArn: EXECUTION,
  };
}

describe('StartRun over the table of dataset keys (test/support/dataset-keys.ts)', () => {
  it.each(DATASET_KEY_CASES)('$key', async ({ key, starts }) => {
    // Prepare
    const d = deps();

    // Act
    const act = startRun(objectCreated(key), d);

    // Assess: a run for the model, or DatasetRejected saying why (also for keys the rule never delivers)
    if (starts !== false && 'model' in starts) {
      const run = await act;
      expect(run).toMatchObject({ model: starts.model, dataset: { key }, duplicate: false });
      expect(d.registry.createRun).toHaveBeenCalledWith(
        expect.objectContaining({ model: starts.model, step: 'ValidateDataset' }),
      );
    } else {
      await expect(act).rejects.toMatchObject({ name: 'DatasetRejected' });
      if (starts !== false) await expect(act).rejects.toThrow(starts.rejected);
      await expect(act).rejects.toThrow('expected datasets/<model>/[<folders>/]<file>.csv');
      expect(d.registry.createRun).not.toHaveBeenCalled();
    }
  });
});

describe('StartRun input', () => {
  it('records the run in step ValidateDataset, with the object version and the execution', async () => {
    // Prepare
    const d = deps();

    // Act
    const run = await startRun(objectCreated('datasets/churn/2026/11/data.csv', 'v7'), d);

    // Assess
    const dataset = { bucket: 'data-bucket', key: 'datasets/churn/2026/11/data.csv', versionId: 'v7' };
    expect(run).toEqual({ runId: runIdFor('churn', dataset), model: 'churn', dataset, duplicate: false });
    expect(d.registry.createRun).toHaveBeenCalledWith({
      runId: run.runId,
      model: 'churn',
      dataset,
      executionArn: EXECUTION,
      startedAt: NOW,
      step: 'ValidateDataset',
    });
  });

  it('accepts an unversioned bucket (no version-id, or null)', async () => {
    // Act
    const absent = await startRun(objectCreated('datasets/churn/a.csv', null), deps());
    const nulled = await startRun(
      {
        ...objectCreated('datasets/churn/a.csv'),
        detail: {
          bucket: { name: 'data-bucket' },
          object: { key: 'datasets/churn/a.csv', 'version-id': null },
        },
      },
      deps(),
    );

    // Assess
    expect(absent.dataset).toEqual({ bucket: 'data-bucket', key: 'datasets/churn/a.csv' });
    expect(nulled.runId).toBe(absent.runId);
  });

  it.each([
    [
      'an unknown detail type',
      { detailType: 'Object Deleted', detail: {}, executionArn: EXECUTION },
      'detailType',
    ],
    [
      'a detail without the key',
      { ...objectCreated('x'), detail: { bucket: { name: 'b' }, object: {} } },
      'detail.object.key',
    ],
    [
      'no execution',
      { detailType: 'Object Created', detail: objectCreated('datasets/a/b.csv').detail },
      'executionArn',
    ],
    [
      'a retry without a request id',
      {
        detailType: RUN_RETRY_REQUESTED,
        detail: { retryOf: 'a-1', requestedBy: 'me' },
        executionArn: EXECUTION,
      },
      'detail.requestId',
    ],
  ])('refuses %s with InvalidInput naming the field', async (_, input, field) => {
    // Act
    const act = startRun(input, deps());

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(act).rejects.toThrow(field);
  });
});

describe('StartRun for a retry request', () => {
  const original: Run = {
    runId: 'churn-00000000000000aa',
    model: 'churn',
    status: 'Failed',
    dataset: { bucket: 'data-bucket', key: 'datasets/churn/a.csv', versionId: 'v1' },
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Training:first',
    startedAt: '2026-11-29T10:00:00.000Z',
    endedAt: '2026-11-29T10:05:00.000Z',
    error: 'States.TaskFailed',
  };
  const retry = (detail: Record<string, unknown> = {}): StartRunInput => ({
    detailType: RUN_RETRY_REQUESTED,
    detail: { retryOf: original.runId, requestId: 'req-1', requestedBy: 'ana@laptop', ...detail },
    executionArn: EXECUTION,
  });

  it('creates a forced run of the same dataset version, linked to the first, audited as RunRetried by the requester', async () => {
    // Prepare
    const d = deps(fakeRegistry([original]));

    // Act
    const run = await startRun(retry({ reason: 'quota raised' }), d);

    // Assess
    expect(run).toEqual({
      runId: retryRunId(original, 'req-1'),
      model: 'churn',
      dataset: original.dataset,
      duplicate: false,
      forced: true,
      retryOf: original.runId,
    });
    expect(d.registry.createRun).toHaveBeenCalledWith(
      expect.objectContaining({
        runId: run.runId,
        retryOf: original.runId,
        forced: true,
        step: 'ValidateDataset',
        actor: 'ana@laptop',
        reasons: [
          `Retry of run ${original.runId} (Failed: States.TaskFailed), requested by ana@laptop`,
          'quota raised',
        ],
      }),
    );
  });

  it('lands a redelivered request on the same run (duplicate from another execution)', async () => {
    // Prepare
    const d = deps(fakeRegistry([original]));
    const first = await startRun(retry(), d);

    // Act
    const again = await startRun({ ...retry(), executionArn: `${EXECUTION}-2` }, d);
    const other = await startRun(retry({ requestId: 'req-2' }), d);

    // Assess
    expect(again).toMatchObject({ runId: first.runId, duplicate: true, forced: true });
    expect(other.runId).not.toBe(first.runId);
  });

  it.each([
    ['does not exist', undefined, 'there is no such run'],
    ['is still Running', { ...original, status: 'Running' as const }, 'it is still Running'],
  ])('refuses a run that %s (RetryRejected)', async (_, stored, message) => {
    // Prepare
    const d = deps(fakeRegistry(stored ? [stored] : []));

    // Act
    const act = startRun(retry(), d);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'RetryRejected' });
    await expect(act).rejects.toThrow(message);
    expect(d.registry.createRun).not.toHaveBeenCalled();
  });
});

describe('run ids', () => {
  const dataset = { bucket: 'data-bucket', key: 'datasets/churn/x.csv', versionId: 'v1' };

  it('runIdFor is the model plus 16 hex chars of sha256("<bucket>/<key>#<versionId>")', () => {
    // Prepare
    const expected = createHash('sha256')
      .update('data-bucket/datasets/churn/x.csv#v1')
      .digest('hex')
      .slice(0, 16);

    // Act + Assess
    expect(runIdFor('churn', dataset)).toBe(`churn-${expected}`);
    expect(runForUpload(dataset).runId).toBe(`churn-${expected}`);
    expect(runIdFor('churn', { ...dataset, versionId: 'v2' })).not.toBe(`churn-${expected}`);
  });

  it('retryRunId is the model plus 16 hex chars of sha256("retry:<runId>#<requestId>")', () => {
    // Prepare
    const expected = createHash('sha256').update('retry:churn-1#req-1').digest('hex').slice(0, 16);

    // Act + Assess
    expect(retryRunId({ runId: 'churn-1', model: 'churn' }, 'req-1')).toBe(`churn-${expected}`);
  });

  it('fit a SageMaker training job name for the longest model name (at most 49 characters)', () => {
    // Act
    const ids = [runIdFor('m'.repeat(32), dataset), retryRunId({ runId: 'x', model: 'm'.repeat(32) }, 'r')];

    // Assess
    for (const id of ids) {
      expect(id).toHaveLength(49);
      expect(id).toMatch(SAGEMAKER_JOB_NAME);
    }
  });
});
