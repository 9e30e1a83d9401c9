/** The deployment settings the deployment functions read from their environment (DEPLOYMENT_SETTINGS). */
import type { RuntimeDeploymentSettingsMap } from '../model-settings';
import { runtimeDeploymentSettingsMapSchema } from '../model-settings-schemas';
import { parseJsonEnv } from '../runtime/env';
import { ENDPOINT_WAIT_ALLOWANCE_SECONDS } from './workflow';

/** Reads DEPLOYMENT_SETTINGS. */
export function deploymentSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RuntimeDeploymentSettingsMap {
  return parseJsonEnv('DEPLOYMENT_SETTINGS', runtimeDeploymentSettingsMapSchema, env);
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
