/** Environments for tests of a Lambda handler's init (configuration read once at import, failing fast). */
import { vi } from 'vitest';

/** A valid MONITORING_SETTINGS value; tests spread its defaults to make one setting bad. */
export const MONITORING_SETTINGS = {
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

/** Stubs each variable (undefined removes it); vi.unstubAllEnvs() restores them. */
export function stubLambdaEnvironment(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

/**
 * Stubs what the monitoring functions (check-quality, retrain) read at init, valid, with `overrides` on top
 * (undefined removes a variable).
 */
export function stubMonitoringEnvironment(overrides: Record<string, string | undefined> = {}): void {
  stubLambdaEnvironment({
    REGISTRY_TABLE_NAME: 'registry',
    DATA_BUCKET: 'data',
    ARTIFACTS_BUCKET: 'artifacts',
    EVENT_BUS_NAME: 'bus',
    MONITORING_SETTINGS: JSON.stringify(MONITORING_SETTINGS),
    MODEL_SETTINGS: JSON.stringify({ defaults: { evaluation: { minImprovement: 0 } } }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    ...overrides,
  });
}
