/**
 * FinishDeployment: the last step of every path. After a promotion it deletes the SageMaker models and endpoint
 * configs of superseded versions beyond the model's `retainVersions` (never the serving one); on every path it
 * releases the model's deployment lease (only its holder can: a deployment that never took it releases nothing).
 * Cleanup is best effort — what could not be deleted is reported and left for the next deployment — and never
 * keeps the lease from being released.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deploymentSettingsFor, type RuntimeDeploymentSettingsMap } from '../shared/model-settings';
import type { Deployment, ModelRegistryClient } from '../shared/registry';

export interface FinishInput {
  readonly deploymentId: string;
  readonly model: string;
  /** The config now serving, after a promotion; absent on a failure path (nothing is deleted then). */
  readonly servingConfigName?: string;
}

export interface FinishResult {
  readonly leaseReleased: boolean;
  /** Models and endpoint configs deleted (they share names). */
  readonly deleted: readonly string[];
  readonly notDeleted: readonly string[];
}

export interface FinishDependencies {
  readonly registry: Pick<ModelRegistryClient, 'listDeployments' | 'releaseDeploymentLease'>;
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly settings: RuntimeDeploymentSettingsMap;
  readonly logger: Logger;
}

export async function finishDeployment(input: FinishInput, deps: FinishDependencies): Promise<FinishResult> {
  const { logger } = deps;
  logger.appendKeys({ deploymentId: input.deploymentId, model: input.model });
  const deleted: string[] = [];
  const notDeleted: string[] = [];
  try {
    if (input.servingConfigName !== undefined) {
      const { retainVersions } = deploymentSettingsFor(deps.settings, input.model);
      const deployments = await allDeployments(deps.registry, input.model);
      for (const name of supersededNames(deployments, input.servingConfigName, retainVersions)) {
        const problem = await deleteResources(deps.sagemaker, name);
        if (problem === undefined) deleted.push(name);
        else notDeleted.push(`${name}: ${problem}`);
      }
    }
  } catch (error) {
    notDeleted.push(`cleanup stopped: ${(error as Error).message}`);
  }
  // Released whatever happened above (the catch keeps cleanup from throwing): a held lease would block the
  // model's next deployment until it expires.
  const leaseReleased = await deps.registry.releaseDeploymentLease(input.model, input.deploymentId);
  logger.info('Deployment finished', { leaseReleased, deleted, notDeleted });
  return { leaseReleased, deleted, notDeleted };
}

/**
 * Names of models/configs to delete: every deployment's config other than the serving one, except those of
 * the `retain` most recently deployed superseded versions (all their attempts), newest first by start time.
 */
export function supersededNames(
  deployments: readonly Deployment[],
  servingConfigName: string,
  retain: number,
): string[] {
  const byRecency = [...deployments].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const servingVersion = byRecency.find((d) => d.endpointConfigName === servingConfigName)?.version;
  const kept = new Set<number>();
  for (const deployment of byRecency) {
    if (deployment.version === servingVersion || kept.size >= retain) continue;
    if (deployment.status === 'Promoted') kept.add(deployment.version);
  }
  const names = new Set<string>();
  for (const deployment of byRecency) {
    const name = deployment.endpointConfigName;
    if (name === undefined || name === servingConfigName) continue;
    if (deployment.status === 'Started' || deployment.status === 'Deploying') continue;
    if (kept.has(deployment.version)) continue;
    names.add(name);
  }
  return [...names];
}

async function allDeployments(
  registry: Pick<ModelRegistryClient, 'listDeployments'>,
  model: string,
): Promise<Deployment[]> {
  const all: Deployment[] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.listDeployments(model, nextToken === undefined ? {} : { nextToken });
    all.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return all;
}

/**
 * Deletes the config, then the model (the same name, see naming.ts). One that is gone already is fine:
 * SageMaker answers a missing one with a ValidationException "Could not find" (API_DeleteModel,
 * API_DeleteEndpointConfig).
 * @returns undefined when both are gone, else what went wrong
 */
async function deleteResources(
  sagemaker: Pick<SageMakerClient, 'send'>,
  name: string,
): Promise<string | undefined> {
  const problems: string[] = [];
  for (const command of [
    new DeleteEndpointConfigCommand({ EndpointConfigName: name }),
    new DeleteModelCommand({ ModelName: name }),
  ]) {
    try {
      await sagemaker.send(command as DeleteModelCommand);
    } catch (error) {
      const { name: errorName, message } = error as { name?: string; message?: string };
      if (errorName === 'ValidationException' && /could not find/i.test(message ?? '')) continue;
      problems.push(`${errorName ?? 'Error'}: ${message ?? String(error)}`);
    }
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}
