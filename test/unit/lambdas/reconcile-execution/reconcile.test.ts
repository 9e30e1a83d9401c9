import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import {
  type ExecutionStatusChangeDetail,
  explain,
  reconcileExecution,
} from '../../../../lambdas/reconcile-execution/reconcile';
import { EVENT_SOURCE, RUN_RETRY_REQUESTED, retryRunId } from '../../../../lambdas/shared/events';
import { MAX_REASON_CHARS } from '../../../../lambdas/shared/failures';
import {
  type ModelRegistryClient,
  type Run,
  RunNotFoundError,
  RunStatusConflictError,
} from '../../../../lambdas/shared/registry';
import { runForUpload, runIdOfExecution } from '../../../../lambdas/shared/runs';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Training:exec-1';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Training';
const UPLOAD = { bucket: 'data-bucket', key: 'datasets/churn/data.csv', versionId: 'v1' };
const RUN_ID = runForUpload(UPLOAD).runId;
const NOW = new Date('2026-11-26T12:00:00.000Z');

/** The S3 "Object Created" event that started the execution, as Step Functions passes it on. */
function s3Input(object: Record<string, unknown> = { key: UPLOAD.key, 'version-id': UPLOAD.versionId }) {
  return JSON.stringify({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: UPLOAD.bucket }, object },
  });
}

function event(detail: Partial<ExecutionStatusChangeDetail> = {}) {
  return {
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      status: 'TIMED_OUT',
      input: s3Input(),
      error: null,
      cause: null,
      ...detail,
    },
  };
}

function running(overrides: Partial<Run> = {}): Run {
  return {
    runId: RUN_ID,
    model: 'churn',
    status: 'Running',
    dataset: UPLOAD,
    executionArn: EXECUTION,
    startedAt: '2026-11-26T09:00:00.000Z',
    ...overrides,
  };
}

type UpdateRun = ModelRegistryClient['updateRun'];

function deps(run: Run | undefined, update: UpdateRun = async () => running({ status: 'Failed' })) {
  const registry = {
    getRun: vi.fn<ModelRegistryClient['getRun']>(async () => run),
    updateRun: vi.fn<UpdateRun>(update),
  };
  const logger = new Logger({ logLevel: 'SILENT' });
  return { registry, logger, clock: () => NOW } as const;
}

describe('reconcileExecution', () => {
  it('marks a Running run of a timed-out execution Failed, only if it is still Running', async () => {
    // Prepare
    const d = deps(running({ step: 'TrainModel' }));

    // Act
    const result = await reconcileExecution(event(), d);

    // Assess
    const cause =
      'Execution exec-1 exceeded the state machine timeout during TrainModel and was stopped before the run was closed';
    expect(result).toEqual({ action: 'Closed', runId: RUN_ID, error: 'ExecutionTimedOut', cause });
    expect(d.registry.getRun).toHaveBeenCalledWith(RUN_ID);
    expect(d.registry.updateRun).toHaveBeenCalledWith(
      RUN_ID,
      { status: 'Failed', error: 'ExecutionTimedOut', cause, step: 'TrainModel', endedAt: NOW },
      { expectedStatus: 'Running' },
    );
  });

  it('names an aborted execution ExecutionAborted and sets no step when the run has none', async () => {
    // Prepare
    const d = deps(running());

    // Act
    const result = await reconcileExecution(event({ status: 'ABORTED', cause: 'Stopped by alice' }), d);

    // Assess
    expect(result).toMatchObject({
      action: 'Closed',
      error: 'ExecutionAborted',
      cause: 'Execution exec-1 was stopped (aborted) before the run was closed: Stopped by alice',
    });
    expect(d.registry.updateRun.mock.calls[0]?.[1]).not.toHaveProperty('step');
  });

  it("records an uncaught failure under the execution's own error", async () => {
    // Prepare
    const d = deps(running({ step: 'TrainModel' }));

    // Act
    const result = await reconcileExecution(
      event({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: "The JSONPath '$.trainingJob.X' could not be found in the input",
      }),
      d,
    );

    // Assess
    expect(result).toEqual({
      action: 'Closed',
      runId: RUN_ID,
      error: 'States.Runtime',
      cause:
        "Execution exec-1 failed during TrainModel with States.Runtime, which no Catch handled, before the run was closed: The JSONPath '$.trainingJob.X' could not be found in the input",
    });
  });

  it.each([
    ['no input', null],
    ['input that is not JSON', '{not json'],
    ['input that is not an S3 event', JSON.stringify({ drift: true })],
    ['a key outside datasets/<model>/', s3Input({ key: 'datasets/a.csv' })],
  ])('does nothing for an execution with %s', async (_name, input) => {
    // Prepare
    const d = deps(running());

    // Act
    const result = await reconcileExecution(event({ input }), d);

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'NotADatasetExecution' });
    expect(d.registry.getRun).not.toHaveBeenCalled();
  });

  it.each(['SUCCEEDED', 'RUNNING'])('does nothing for status %s', async (status) => {
    // Prepare
    const d = deps(running());

    // Act
    const result = await reconcileExecution(event({ status }), d);

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'StatusNotHandled' });
    expect(d.registry.getRun).not.toHaveBeenCalled();
  });

  it('does nothing when no run was recorded', async () => {
    // Prepare
    const d = deps(undefined);

    // Act
    const result = await reconcileExecution(event(), d);

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'RunNotFound', runId: RUN_ID });
    expect(d.registry.updateRun).not.toHaveBeenCalled();
  });

  it('leaves a run owned by another execution (a duplicate delivery) to that execution', async () => {
    // Prepare
    const d = deps(running({ executionArn: `${EXECUTION}-other` }));

    // Act
    const result = await reconcileExecution(event({ status: 'FAILED', error: 'States.Runtime' }), d);

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'OtherExecution', runId: RUN_ID });
    expect(d.registry.updateRun).not.toHaveBeenCalled();
  });

  it.each(['Succeeded', 'Failed'] as const)(
    'leaves a run already %s (closed by the workflow or an earlier delivery)',
    async (status) => {
      // Prepare
      const d = deps(running({ status }));

      // Act
      const result = await reconcileExecution(event({ status: 'FAILED', error: 'States.TaskFailed' }), d);

      // Assess
      expect(result).toEqual({ action: 'Skipped', reason: 'RunAlreadyClosed', runId: RUN_ID });
      expect(d.registry.updateRun).not.toHaveBeenCalled();
    },
  );

  it.each([
    ['closed', new RunStatusConflictError(RUN_ID, 'Running', 'Succeeded')],
    ['deleted', new RunNotFoundError(RUN_ID)],
  ])('does nothing when the run was %s between the read and the write', async (_name, error) => {
    // Prepare
    const d = deps(running(), () => Promise.reject(error));

    // Act
    const result = await reconcileExecution(event(), d);

    // Assess
    expect(result).toEqual({ action: 'Skipped', reason: 'RunAlreadyClosed', runId: RUN_ID });
  });

  it('fails on any other registry error, so EventBridge retries it', async () => {
    // Prepare
    const d = deps(running(), () => Promise.reject(new Error('ProvisionedThroughputExceededException')));

    // Act
    const act = reconcileExecution(event(), d);

    // Assess
    await expect(act).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('runIdOfExecution', () => {
  const registry = deps(running({ status: 'Failed' })).registry;

  it('derives the run id StartRun gives the upload, with or without a version id', async () => {
    // Act + Assess
    expect(await runIdOfExecution(s3Input(), registry)).toBe(RUN_ID);
    expect(await runIdOfExecution(s3Input({ key: UPLOAD.key, 'version-id': null }), registry)).toBe(
      runForUpload({ bucket: UPLOAD.bucket, key: UPLOAD.key }).runId,
    );
    expect(await runIdOfExecution(s3Input({ key: 'datasets/churn/2026/11/DATA.CSV' }), registry)).toBe(
      runForUpload({ bucket: UPLOAD.bucket, key: 'datasets/churn/2026/11/DATA.CSV' }).runId,
    );
  });

  it('derives the run id StartRun gives a retry request, from the retried run', async () => {
    // Prepare
    const input = JSON.stringify({
      source: EVENT_SOURCE,
      'detail-type': RUN_RETRY_REQUESTED,
      detail: { retryOf: RUN_ID, requestId: 'req-1', requestedBy: 'ana@host' },
    });

    // Act
    const runId = await runIdOfExecution(input, registry);

    // Assess
    expect(runId).toBe(retryRunId({ runId: RUN_ID, model: 'churn' }, 'req-1'));
    expect(registry.getRun).toHaveBeenCalledWith(RUN_ID);
  });

  it.each([
    ['not JSON', '{'],
    ['a key StartRun rejects', s3Input({ key: 'datasets/Bad/x.csv' })],
    ['another event', JSON.stringify({ 'detail-type': 'Scheduled Event', detail: {} })],
  ])('finds no run for %s', async (_, input) => {
    // Act + Assess
    expect(await runIdOfExecution(input, registry)).toBeUndefined();
  });
});

describe('explain', () => {
  it('falls back to ExecutionFailed and says there is no cause', () => {
    // Act
    const failure = explain({ executionArn: EXECUTION }, 'FAILED', undefined);

    // Assess
    expect(failure).toEqual({
      error: 'ExecutionFailed',
      cause:
        'Execution exec-1 failed with ExecutionFailed, which no Catch handled, before the run was closed: no cause given',
    });
  });

  it('caps the cause like RecordFailure does', () => {
    // Act
    const failure = explain(
      { executionArn: EXECUTION, cause: 'x'.repeat(10_000) },
      'TIMED_OUT',
      'TrainModel',
    );

    // Assess
    expect(failure.cause.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(failure.cause).toMatch(/more characters\]$/);
  });

  it('explains a Lambda error cause by its message', () => {
    // Act
    const failure = explain(
      {
        executionArn: EXECUTION,
        error: 'Boom',
        cause: JSON.stringify({ errorType: 'Boom', errorMessage: 'it broke', trace: [] }),
      },
      'FAILED',
      'EvaluateModel',
    );

    // Assess
    expect(failure.cause).toBe(
      'Execution exec-1 failed during EvaluateModel with Boom, which no Catch handled, before the run was closed: it broke',
    );
  });
});
