import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MONITORING_SETTINGS, stubLambdaEnvironment } from '../../../support/lambda-environment';

function stubEnvironment(overrides: Record<string, string | undefined> = {}): void {
  const env: Record<string, string | undefined> = {
    REGISTRY_TABLE_NAME: 'registry',
    ARTIFACTS_BUCKET: 'artifacts',
    EVENT_BUS_NAME: 'bus',
    MONITORING_SETTINGS: JSON.stringify(MONITORING_SETTINGS),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
  stubLambdaEnvironment(env);
}

describe('check-drift handler', () => {
  beforeEach(() => vi.resetModules());
  afterEach(() => vi.unstubAllEnvs());

  it('fails at init naming what its environment lacks or gets wrong', async () => {
    stubEnvironment({ MONITORING_SETTINGS: '' });
    await expect(import('../../../../lambdas/check-drift/handler')).rejects.toThrow(/MONITORING_SETTINGS/);
    vi.resetModules();
    stubEnvironment({
      MONITORING_SETTINGS: JSON.stringify({ defaults: { ...MONITORING_SETTINGS.defaults, driftShare: 2 } }),
    });
    await expect(import('../../../../lambdas/check-drift/handler')).rejects.toThrow(/defaults\.driftShare/);
    vi.resetModules();
    stubEnvironment({ CAPTURE_SETTLE_SECONDS: 'soon' });
    await expect(import('../../../../lambdas/check-drift/handler')).rejects.toThrow(/CAPTURE_SETTLE_SECONDS/);
  });

  it('refuses an input that is not the schedule rule’s, before any AWS call', async () => {
    stubEnvironment();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler, checkDriftInputSchema } = await import('../../../../lambdas/check-drift/handler');
    const context = { functionName: 'check-drift', awsRequestId: 'r' } as Context;
    await expect(handler({ models: 'all', time: 'now' }, context)).rejects.toThrow(
      /CheckDrift was invoked with an unexpected input: models.*time/,
    );
    expect(
      checkDriftInputSchema.safeParse({ models: '*', exclude: ['a'], time: '2026-11-30T15:00:00Z' }).success,
    ).toBe(true);
    vi.restoreAllMocks();
  });
});
