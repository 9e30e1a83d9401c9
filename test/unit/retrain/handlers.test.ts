/** The check-quality and retrain handlers' init (configuration read once, failing fast) and input refusals. */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const monitoring = {
  defaults: {
    schedule: 'rate(1 hour)',
    minSamples: 200,
    driftShare: 0.5,
    criticalFeatures: [],
    correction: 'benjamini-hochberg',
    alpha: 0.05,
    consecutiveWindows: 2,
    cooldownSeconds: 86400,
    qualityTolerance: 0.1,
  },
};

function stubEnvironment(overrides: Record<string, string | undefined> = {}): void {
  const env: Record<string, string | undefined> = {
    REGISTRY_TABLE_NAME: 'registry',
    DATA_BUCKET: 'data',
    ARTIFACTS_BUCKET: 'artifacts',
    EVENT_BUS_NAME: 'bus',
    MONITORING_SETTINGS: JSON.stringify(monitoring),
    MODEL_SETTINGS: JSON.stringify({ defaults: { evaluation: { minImprovement: 0 } } }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value as string);
}

const context = { functionName: 'f', awsRequestId: 'r' } as Context;

describe('check-quality handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../lambdas/check-quality/handler');
    stubEnvironment({ DATA_BUCKET: '' });
    await expect(load()).rejects.toThrow(/DATA_BUCKET/);
    vi.resetModules();
    stubEnvironment({ MODEL_SETTINGS: '{"defaults":{}}' });
    await expect(load()).rejects.toThrow(/MODEL_SETTINGS.*defaults\.evaluation/);
    vi.resetModules();
    stubEnvironment({
      MONITORING_SETTINGS: JSON.stringify({ defaults: { ...monitoring.defaults, alpha: 1.5 } }),
    });
    await expect(load()).rejects.toThrow(/MONITORING_SETTINGS.*defaults\.alpha/);
    vi.resetModules();
    stubEnvironment({ CAPTURE_LOOKBACK_SECONDS: 'a week' });
    await expect(load()).rejects.toThrow(/CAPTURE_LOOKBACK_SECONDS/);
  });

  it('refuses an input that is neither a schedule nor a ground-truth upload, before any AWS call', async () => {
    stubEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../lambdas/check-quality/handler');
    await expect(handler({ models: 'all', time: 'now' }, context)).rejects.toThrow(
      /CheckQuality was invoked with an unexpected input/,
    );
  });
});

describe('retrain handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    const load = () => import('../../../lambdas/retrain/handler');
    stubEnvironment({ EVENT_BUS_NAME: undefined });
    await expect(load()).rejects.toThrow(/EVENT_BUS_NAME/);
    vi.resetModules();
    stubEnvironment({
      MONITORING_SETTINGS: JSON.stringify({ defaults: { ...monitoring.defaults, consecutiveWindows: 0 } }),
    });
    await expect(load()).rejects.toThrow(/defaults\.consecutiveWindows/);
    vi.resetModules();
    stubEnvironment({ RETRAIN_ABANDON_AFTER_SECONDS: '-1' });
    await expect(load()).rejects.toThrow(/RETRAIN_ABANDON_AFTER_SECONDS/);
  });

  it('refuses an event it is not the target of, before any AWS call', async () => {
    stubEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../lambdas/retrain/handler');
    const event = { source: 'serverless-mlops', 'detail-type': 'ModelDeployed', detail: { model: 'm' } };
    await expect(handler(event, context)).rejects.toThrow(/Retrain was invoked with an unexpected input/);
  });
});
