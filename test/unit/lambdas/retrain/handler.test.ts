/** The retrain handler's init (configuration read once, failing fast) and input refusals. */
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

describe('retrain handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../../lambdas/retrain/handler');
    stubEnvironment({ EVENT_BUS_NAME: undefined });
    await expect(load()).rejects.toThrow(/EVENT_BUS_NAME/);
    vi.resetModules();
    stubEnvironment({
      MONITORING_SETTINGS: JSON.stringify({
        defaults: { ...MONITORING_SETTINGS.defaults, consecutiveWindows: 0 },
      }),
    });
    await expect(load()).rejects.toThrow(/defaults\.consecutiveWindows/);
    vi.resetModules();
    stubEnvironment({ RETRAIN_ABANDON_AFTER_SECONDS: '-1' });
    await expect(load()).rejects.toThrow(/RETRAIN_ABANDON_AFTER_SECONDS/);
  });

  it('refuses an event it is not the target of, before any AWS call', async () => {
    stubEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../../lambdas/retrain/handler');
    const event = { source: 'serverless-mlops', 'detail-type': 'ModelDeployed', detail: { model: 'm' } };
    await expect(handler(event, context)).rejects.toThrow(/Retrain was invoked with an unexpected input/);
  });
});
