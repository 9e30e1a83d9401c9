/**
 * PromoteDeployment: the registry's promotion transaction (production alias, version Deployed, previous
 * production Retired, audit events; all or nothing, conditioned on the alias revision read at begin). Returns
 * the detail of the ModelDeployed event the workflow publishes next.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DeploymentContext, SmokeTestResult } from '../shared/deployment/workflow';
import type { ModelDeployedDetail } from '../shared/events';
import { MetricNames } from '../shared/metric-names';
import type { ModelRegistryClient } from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';

export interface PromoteInput {
  readonly deployment: DeploymentContext;
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly smoke: SmokeTestResult;
}

export interface PromoteDependencies {
  readonly registry: Pick<ModelRegistryClient, 'promoteDeployment'>;
  readonly logger: Logger;
  /**
   * Where the step's business metric is published (lambdas/shared/metric-names.ts).
   * @default - none published
   */
  readonly metrics?: Metrics;
}

/** @throws AliasMovedError when `production` moved after the deployment began (nothing is written) */
export async function promote(input: PromoteInput, deps: PromoteDependencies): Promise<ModelDeployedDetail> {
  const { deployment } = input;
  deps.logger.appendKeys({ deploymentId: deployment.deploymentId, model: deployment.model });
  const result = await deps.registry.promoteDeployment(deployment.deploymentId, {
    endpointName: input.endpointName,
    endpointConfigName: input.endpointConfigName,
    actor: deployment.actor,
    details: { smokeTest: { rows: input.smoke.rows, latencyMs: input.smoke.latencyMs } },
  });
  deps.logger.info('Promoted', { promoted: result.promoted, retiredVersion: result.retiredVersion });
  // Counted once: a retried promotion finds the deployment promoted already.
  if (result.promoted && deps.metrics !== undefined) {
    const options = {
      model: deployment.model,
      metadata: { deploymentId: deployment.deploymentId, version: deployment.version, kind: deployment.kind },
    };
    publishMetric(deps.metrics, MetricNames.deploymentSucceeded, 1, options);
    if (deployment.kind === 'rollback') publishMetric(deps.metrics, MetricNames.rollbackDeployed, 1, options);
  }
  return {
    deploymentId: deployment.deploymentId,
    model: deployment.model,
    version: deployment.version,
    kind: deployment.kind,
    endpointName: input.endpointName,
    endpointConfigName: input.endpointConfigName,
    previousVersion: result.retiredVersion ?? null,
    smokeTestLatencyMs: input.smoke.latencyMs,
  };
}
