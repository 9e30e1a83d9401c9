/** The retrain handler's init (configuration read once, failing fast) and input refusals. */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MONITORING_SETTINGS, stubMonitoringEnvironment } from '../../../support/lambda-environment';

const context = { functionName: 'f', awsRequestId: 'r' } as Context;

describe('retrain handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../../lambdas/retrain/handler');
    stubMonitoringEnvironment({ EVENT_BUS_NAME: undefined });
    await expect(load()).rejects.toThrow(/EVENT_BUS_NAME/);
    vi.resetModules();
    stubMonitoringEnvironment({
      MONITORING_SETTINGS: JSON.stringify({
        defaults: { ...MONITORING_SETTINGS.defaults, consecutiveWindows: 0 },
      }),
    });
    await expect(load()).rejects.toThrow(/defaults\.consecutiveWindows/);
    vi.resetModules();
    stubMonitoringEnvironment({ RETRAIN_ABANDON_AFTER_SECONDS: '-1' });
    await expect(load()).rejects.toThrow(/RETRAIN_ABANDON_AFTER_SECONDS/);
  });

  it('refuses an event it is not the target of, before any AWS call', async () => {
    stubMonitoringEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../../lambdas/retrain/handler');
    const event = { source: 'serverless-mlops', 'detail-type': 'ModelDeployed', detail: { model: 'm' } };
    await expect(handler(event, context)).rejects.toThrow(/Retrain was invoked with an unexpected input/);
  });
});
