/** The check-quality handler's init (configuration read once, failing fast) and input refusals. */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MONITORING_SETTINGS, stubMonitoringEnvironment } from '../../../support/lambda-environment';

const context = { functionName: 'f', awsRequestId: 'r' } as Context;

describe('check-quality handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../../lambdas/check-quality/handler');
    stubMonitoringEnvironment({ DATA_BUCKET: '' });
    await expect(load()).rejects.toThrow(/DATA_BUCKET/);
    vi.resetModules();
    stubMonitoringEnvironment({ MODEL_SETTINGS: '{"defaults":{}}' });
    await expect(load()).rejects.toThrow(/MODEL_SETTINGS.*defaults\.evaluation/);
    vi.resetModules();
    stubMonitoringEnvironment({
      MONITORING_SETTINGS: JSON.stringify({ defaults: { ...MONITORING_SETTINGS.defaults, alpha: 1.5 } }),
    });
    await expect(load()).rejects.toThrow(/MONITORING_SETTINGS.*defaults\.alpha/);
    vi.resetModules();
    stubMonitoringEnvironment({ CAPTURE_LOOKBACK_SECONDS: 'a week' });
    await expect(load()).rejects.toThrow(/CAPTURE_LOOKBACK_SECONDS/);
  });

  it('refuses an input that is neither a schedule nor a ground-truth upload, before any AWS call', async () => {
    stubMonitoringEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../../lambdas/check-quality/handler');
    await expect(handler({ models: 'all', time: 'now' }, context)).rejects.toThrow(
      /CheckQuality was invoked with an unexpected input/,
    );
  });
});
