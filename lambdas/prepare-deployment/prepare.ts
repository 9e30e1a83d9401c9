/**
 * PrepareDeployment: records the deployment (idempotent per deployment id) and takes the model's deployment
 * lease. A LeaseHeldError (another deployment of the model runs) is the state machine's to retry, with a
 * bounded backoff; once its retries are spent the error's message names the holder.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { leaseSeconds } from '../shared/deployment/settings';
import type { DeploymentContext, DeploymentExecutionInput } from '../shared/deployment/workflow';
import { deploymentSettingsFor, type RuntimeDeploymentSettingsMap } from '../shared/model-settings';
import type { ModelRegistryClient } from '../shared/registry';

export interface PrepareDeploymentDependencies {
  readonly registry: Pick<
    ModelRegistryClient,
    'createDeployment' | 'listDeployments' | 'takeDeploymentLease' | 'getDeployment'
  >;
  readonly settings: RuntimeDeploymentSettingsMap;
  readonly logger: Logger;
}

/**
 * @param input - the execution's input (`request`) and its ARN
 * @throws LeaseHeldError while another deployment holds the lease; the registry's errors for a version that
 *   cannot be deployed (InvalidStatusTransitionError, VersionNotFoundError, ValidationError)
 */
export async function prepareDeployment(
  {
    request: input,
    executionArn,
  }: { readonly request: DeploymentExecutionInput; readonly executionArn: string },
  deps: PrepareDeploymentDependencies,
): Promise<DeploymentContext> {
  const { registry, logger } = deps;
  const { deploymentId, model, version, kind } = input;
  logger.appendKeys({ deploymentId, model, version });
  const existing = await registry.getDeployment(deploymentId);
  const attempt = existing?.attempt ?? (await previousAttempts(registry, model, version)) + 1;
  const { created, deployment } = await registry.createDeployment({
    deploymentId,
    model,
    version,
    attempt,
    kind,
    actor: input.requestedBy,
    executionArn,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
  });
  const settings = deploymentSettingsFor(deps.settings, model);
  const lease = await registry.takeDeploymentLease(model, deploymentId, {
    ttlSeconds: leaseSeconds(settings),
  });
  logger.info('Deployment recorded and lease taken', { created, attempt, leaseExpiresAt: lease.expiresAt });
  return {
    deploymentId,
    model,
    version,
    attempt: deployment.attempt,
    kind: deployment.kind,
    actor: input.requestedBy,
  };
}

/** Earlier deployments of this version: each attempt gets its own SageMaker model and endpoint config. */
async function previousAttempts(
  registry: Pick<ModelRegistryClient, 'listDeployments'>,
  model: string,
  version: number,
): Promise<number> {
  let highest = 0;
  let nextToken: string | undefined;
  do {
    const page = await registry.listDeployments(model, { nextToken });
    for (const deployment of page.items) {
      if (deployment.version === version) highest = Math.max(highest, deployment.attempt);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return highest;
}
