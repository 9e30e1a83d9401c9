/** The deployment settings the deployment functions read from their environment (DEPLOYMENT_SETTINGS). */
import type { RuntimeDeploymentSettingsMap } from '../model-settings';
import { parseJsonEnv } from '../runtime/env';
import * as z from '../zod';
import { ENDPOINT_WAIT_ALLOWANCE_SECONDS } from './workflow';

/**
 * The map lib/config resolved and checked at synth time (toRuntimeDeploymentSettings); only its outline is
 * checked here, the ranges were checked against SageMaker's limits when the stack was built.
 */
const settingsMapSchema = z.record(
  z.string(),
  z.looseObject({
    mode: z.enum(['auto', 'manual']),
    endpoint: z.looseObject({ type: z.enum(['realtime', 'serverless']) }),
    trafficRouting: z.looseObject({ type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']) }),
    bakeSeconds: z.number(),
    maxExecutionTimeoutSeconds: z.number(),
    dataCapturePercent: z.number(),
    alarms: z.object({ latencyP99Ms: z.number(), errorRatePercent: z.number() }),
    retainVersions: z.int(),
  }),
);

/** Reads DEPLOYMENT_SETTINGS. */
export function deploymentSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RuntimeDeploymentSettingsMap {
  // The outline is checked; the full shape is the synth-time type (see settingsMapSchema).
  return parseJsonEnv(
    'DEPLOYMENT_SETTINGS',
    settingsMapSchema,
    env,
  ) as unknown as RuntimeDeploymentSettingsMap;
}

/** The registry allows a lease of at most a day. */
export const MAX_LEASE_SECONDS = 86_400;

/**
 * How long a deployment holds the model's lease: its endpoint wait, a restore's wait after a failed smoke
 * test, and an hour for everything else. It is released at the end; the expiry only matters if the execution
 * dies without releasing it.
 */
export function leaseSeconds(settings: { readonly maxExecutionTimeoutSeconds: number }): number {
  const wait = settings.maxExecutionTimeoutSeconds + ENDPOINT_WAIT_ALLOWANCE_SECONDS;
  return Math.min(MAX_LEASE_SECONDS, 2 * wait + 3600);
}
