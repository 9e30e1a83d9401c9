/** The check-quality handler's init (configuration read once, failing fast) and input refusals. */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MONITORING_SETTINGS, stubLambdaEnvironment } from '../../../support/lambda-environment';

function stubEnvironment(overrides: Record<string, string | undefined> = {}): void {
  const env: Record<string, string | undefined> = {
    REGISTRY_TABLE_NAME: 'registry',
    DATA_BUCKET: 'data',
    ARTIFACTS_BUCKET: 'artifacts',
    EVENT_BUS_NAME: 'bus',
    MONITORING_SETTINGS: JSON.stringify(MONITORING_SETTINGS),
    MODEL_SETTINGS: JSON.stringify({ defaults: { evaluation: { minImprovement: 0 } } }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
  stubLambdaEnvironment(env);
}

const context = { functionName: 'f', awsRequestId: 'r' } as Context;

describe('check-quality handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../../lambdas/check-quality/handler');
    stubEnvironment({ DATA_BUCKET: '' });
    await expect(load()).rejects.toThrow(/DATA_BUCKET/);
    vi.resetModules();
    stubEnvironment({ MODEL_SETTINGS: '{"defaults":{}}' });
    await expect(load()).rejects.toThrow(/MODEL_SETTINGS.*defaults\.evaluation/);
    vi.resetModules();
    stubEnvironment({
      MONITORING_SETTINGS: JSON.stringify({ defaults: { ...MONITORING_SETTINGS.defaults, alpha: 1.5 } }),
    });
    await expect(load()).rejects.toThrow(/MONITORING_SETTINGS.*defaults\.alpha/);
    vi.resetModules();
    stubEnvironment({ CAPTURE_LOOKBACK_SECONDS: 'a week' });
    await expect(load()).rejects.toThrow(/CAPTURE_LOOKBACK_SECONDS/);
  });

  it('refuses an input that is neither a schedule nor a ground-truth upload, before any AWS call', async () => {
    stubEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../../lambdas/check-quality/handler');
    await expect(handler({ models: 'all', time: 'now' }, context)).rejects.toThrow(
      /CheckQuality was invoked with an unexpected input/,
    );
  });
});
