import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { recordFailure } from '../../../../lambdas/record-failure/record-failure';
import type { RunContext } from '../../../../lambdas/shared/pipeline';
import type { ModelRegistryClient, Run } from '../../../../lambdas/shared/registry';

const run: RunContext = {
  runId: 'churn-0123456789abcdef',
  model: 'churn',
  dataset: { bucket: 'data', key: 'datasets/churn/a.csv', versionId: 'v1' },
  duplicate: false,
};

function deps() {
  const logger = new Logger({ logLevel: 'SILENT' });
  const warn = vi.spyOn(logger, 'warn');
  const error = vi.spyOn(logger, 'error');
  const registry = {
    updateRun: vi.fn<ModelRegistryClient['updateRun']>(async () => ({}) as Run),
  };
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  return { registry, logger, metrics, warn, error };
}

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: ['at x (file.js:1:1)'] });

describe('recordFailure logging', () => {
  it.each(['DatasetRejected', 'ContractMissing', 'MetricMissing', 'RetryRejected'])(
    'logs an expected verdict (%s) at WARN, not ERROR',
    async (name) => {
      // Prepare
      const d = deps();

      // Act
      await recordFailure({ run, error: { Error: name, Cause: lambdaCause(name, 'why') }, step: 'X' }, d);

      // Assess
      expect(d.warn).toHaveBeenCalledWith(
        'Run failed',
        expect.objectContaining({ error: name, reason: 'why' }),
      );
      expect(d.error).not.toHaveBeenCalled();
    },
  );

  it('logs an expected verdict before any run (StartRun rejected the key) at WARN', async () => {
    // Prepare
    const d = deps();

    // Act
    await recordFailure(
      { error: { Error: 'DatasetRejected', Cause: lambdaCause('DatasetRejected', 'bad key') } },
      d,
    );

    // Assess
    expect(d.warn).toHaveBeenCalledWith('Pipeline failed before a run was recorded', expect.anything());
    expect(d.error).not.toHaveBeenCalled();
  });

  it('logs anything else at ERROR', async () => {
    // Prepare
    const d = deps();

    // Act
    await recordFailure({ run, error: { Error: 'States.TaskFailed', Cause: '{}' }, step: 'TrainModel' }, d);

    // Assess
    expect(d.error).toHaveBeenCalledWith(
      'Run failed',
      expect.objectContaining({ error: 'States.TaskFailed' }),
    );
  });
});
