import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  contractMissing,
  datasetRejected,
  metricMissing,
} from '../../../../../lambdas/shared/runtime/errors';
import {
  createPowertools,
  instrumented,
  METRICS_NAMESPACE,
} from '../../../../../lambdas/shared/runtime/powertools';

describe('powertools', () => {
  const context = { functionName: 'fn', awsRequestId: 'req-1' } as Context;

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** Captures what Powertools writes (its own Console on stdout/stderr, not the global one) as JSON lines. */
  function captureOutput(): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    return lines;
  }

  it('names the service after the function unless POWERTOOLS_SERVICE_NAME is set', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', '');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const byDefault = createPowertools('start-run');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'custom');
    const fromEnv = createPowertools('start-run');
    const lines = captureOutput();

    // Act
    byDefault.logger.info('one');
    fromEnv.logger.info('two');

    // Assess
    expect(lines.map((line) => line.service)).toEqual(['start-run', 'custom']);
  });

  it('publishes metrics in the ServerlessMlops namespace with only the dimensions added', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const powertools = createPowertools('evaluate-model');
    const lines = captureOutput();

    // Act
    await instrumented(powertools, context, async () => {
      powertools.metrics.addDimension('model', 'churn');
      powertools.metrics.addMetric('RunStarted', 'Count', 1);
    });

    // Assess: no `service` dimension, so dashboards and alarms key on the model alone
    const ours = lines.find((line) => 'RunStarted' in line);
    expect(ours).toMatchObject({
      model: 'churn',
      RunStarted: 1,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['model']],
            Metrics: [{ Name: 'RunStarted', Unit: 'Count' }],
          },
        ],
      },
    });
  });

  it('logs an unexpected failure at ERROR with its stack and the invocation keys, rethrows it, then clears the keys', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const powertools = createPowertools('record-failure');
    const failure = Object.assign(new Error('Throughput exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const lines = captureOutput();

    // Act
    const run = instrumented(powertools, context, async () => {
      powertools.logger.appendKeys({ runId: 'churn-1' });
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    powertools.logger.info('next invocation');

    // Assess
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      message: 'Invocation failed',
      runId: 'churn-1',
      function_request_id: 'req-1',
      error: {
        name: 'ProvisionedThroughputExceededException',
        message: 'Throughput exceeded',
        stack: expect.stringContaining('Throughput exceeded'),
      },
    });
    expect(lines[1]).toMatchObject({ message: 'next invocation' });
    expect(lines[1]).not.toHaveProperty('runId');
  });

  it.each([
    ['DatasetRejected', datasetRejected('s3://data/datasets/churn/a.csv was rejected: row 3 ...')],
    ['ContractMissing', contractMissing('Model "churn" has no target column')],
    ['MetricMissing', metricMissing('validation:auc', [])],
  ])(
    'logs an expected verdict (%s) once at WARN with its message and no stack trace',
    async (name, failure) => {
      // Prepare
      vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
      const powertools = createPowertools('validate-dataset');
      const lines = captureOutput();

      // Act
      const run = instrumented(powertools, context, async () => {
        powertools.logger.appendKeys({ runId: 'churn-1' });
        throw failure;
      });

      // Assess
      await expect(run).rejects.toBe(failure);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'WARN',
        message: `${name}: ${failure.message}`,
        errorName: name,
        runId: 'churn-1',
      });
      expect(JSON.stringify(lines[0])).not.toContain('at ');
    },
  );
});
