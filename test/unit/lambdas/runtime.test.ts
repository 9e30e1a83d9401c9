import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { PipelineErrors } from '../../../lambdas/shared/pipeline';
import { parseJsonEnv, requireEnv } from '../../../lambdas/shared/runtime/env';
import {
  contractMissing,
  datasetRejected,
  isPipelineError,
  metricMissing,
  PipelineError,
} from '../../../lambdas/shared/runtime/errors';
import {
  createPowertools,
  instrumented,
  METRICS_NAMESPACE,
} from '../../../lambdas/shared/runtime/powertools';

describe('requireEnv', () => {
  it('returns the value', () => {
    // Act + Assess
    expect(requireEnv('TABLE', { TABLE: 'registry' })).toBe('registry');
  });

  it.each([
    ['unset', {}],
    ['empty', { TABLE: '' }],
    ['blank', { TABLE: '  ' }],
  ])('fails with a clear message when %s', (_name, env) => {
    // Act + Assess
    expect(() => requireEnv('TABLE', env)).toThrow('Missing environment variable TABLE (set by the stack)');
  });
});

describe('parseJsonEnv', () => {
  const schema = z.object({ models: z.array(z.string()) });

  it('parses and validates', () => {
    // Act
    const value = parseJsonEnv('SETTINGS', schema, { SETTINGS: '{"models":["churn"]}' });

    // Assess
    expect(value).toEqual({ models: ['churn'] });
  });

  it('names the variable when it is missing', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, {})).toThrow(
      'Missing environment variable SETTINGS (set by the stack)',
    );
  });

  it('names the variable and the parser error when it is not JSON', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, { SETTINGS: '{models:' })).toThrow(
      /^Environment variable SETTINGS is not valid JSON: .+/,
    );
  });

  it('names the variable and the paths when it has the wrong shape', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, { SETTINGS: '{"models":[1]}' })).toThrow(
      /^Environment variable SETTINGS does not have the expected shape: models\.0: /,
    );
  });
});

describe('PipelineError', () => {
  it.each([
    [datasetRejected('bad row'), PipelineErrors.datasetRejected, 'bad row'],
    [contractMissing('no target'), PipelineErrors.contractMissing, 'no target'],
    [metricMissing('validation:auc', []), PipelineErrors.metricMissing, 'validation:auc'],
  ])('carries the Step Functions error name %#', (error, name, message) => {
    // Assess: the Lambda runtime reports error.name as the errorType that Catch/Retry match
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toContain(message);
    expect(isPipelineError(error)).toBe(true);
    expect(isPipelineError(error, name)).toBe(true);
  });

  it('is not confused with other errors', () => {
    // Act + Assess
    expect(isPipelineError(new Error('x'))).toBe(false);
    expect(isPipelineError(datasetRejected('x'), PipelineErrors.metricMissing)).toBe(false);
    expect(isPipelineError('DatasetRejected')).toBe(false);
  });

  it('keeps the cause', () => {
    // Prepare
    const cause = new Error('root');

    // Act
    const error = datasetRejected('bad', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });
});

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
