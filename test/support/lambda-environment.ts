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
