/**
 * FinishDeployment: the last step of every path. After a promotion it deletes the SageMaker models and endpoint
 * configs of superseded versions beyond the model's `retainVersions` (never the serving one); on every path it
 * releases the model's deployment lease (only its holder can: a deployment that never took it releases nothing).
 * Cleanup is best effort — what could not be deleted is reported and left for the next deployment — and never
 * keeps the lease from being released. After a promotion it also records on the deployment how autoscaling,
 * set up once the new config serves, went: AutoscalingRegistered, or AutoscalingFailed with the error (the
 * promotion stands either way; the endpoint serves at its instance count). Once the lease is released, a
 * promotion's version gets its prediction baseline (prediction-baseline.ts), best effort as well.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RegisterScalableTargetRequest } from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deploymentSettingsFor, type RuntimeDeploymentSettingsMap } from '../shared/model-settings';
import type { Deployment, ModelRegistryClient } from '../shared/registry';
import { type PredictionBaselineDependencies, recordPredictionBaseline } from './prediction-baseline';

export interface FinishInput {
  readonly deploymentId: string;
  readonly model: string;
  /** The config now serving, after a promotion; absent on a failure path (nothing is deleted then). */
  readonly servingConfigName?: string;
  /** The plan's autoscaling requests after a promotion; null when the model has none. */
  readonly autoscaling?: {
    readonly register: Pick<RegisterScalableTargetRequest, 'ResourceId' | 'MinCapacity' | 'MaxCapacity'>;
  } | null;
  /** What a Catch put at `$.autoscalingError` when RegisterScalableTarget or PutScalingPolicy failed. */
  readonly autoscalingError?: { readonly Error?: string; readonly Cause?: string };
}

export interface FinishResult {
  readonly leaseReleased: boolean;
  /** Models and endpoint configs deleted (they share names). */
  readonly deleted: readonly string[];
  readonly notDeleted: readonly string[];
  /** The follow-up stage recorded on the deployment (autoscaling), if any; or why it could not be. */
  readonly followUp?: string;
  /** After a promotion: the prediction baseline written, kept, skipped, or why it could not be made. */
  readonly predictionBaseline?: string;
}

export interface FinishDependencies {
  readonly registry: Pick<
    ModelRegistryClient,
    'listDeployments' | 'releaseDeploymentLease' | 'recordDeploymentFollowUp' | 'getVersion'
  >;
  /**
   * Where and how to make the promoted version's prediction baseline (prediction-baseline.ts); without it
   * (no ARTIFACTS_BUCKET in the function's environment) none is made.
   */
  readonly predictionBaseline?: PredictionBaselineDependencies;
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly settings: RuntimeDeploymentSettingsMap;
  readonly logger: Logger;
}

export async function finishDeployment(input: FinishInput, deps: FinishDependencies): Promise<FinishResult> {
  const { logger } = deps;
  logger.appendKeys({ deploymentId: input.deploymentId, model: input.model });
  const deleted: string[] = [];
  const notDeleted: string[] = [];
  let deployments: Deployment[] | undefined;
  try {
    if (input.servingConfigName !== undefined) {
      const { retainVersions } = deploymentSettingsFor(deps.settings, input.model);
      deployments = await allDeployments(deps.registry, input.model);
      for (const name of supersededNames(deployments, input.servingConfigName, retainVersions)) {
        const problem = await deleteResources(deps.sagemaker, name);
        if (problem === undefined) deleted.push(name);
        else notDeleted.push(`${name}: ${problem}`);
      }
    }
  } catch (error) {
    notDeleted.push(`cleanup stopped: ${(error as Error).message}`);
  }
  const followUp = await recordAutoscaling(input, deps);
  // Released whatever happened above (the catch keeps cleanup from throwing): a held lease would block the
  // model's next deployment until it expires.
  const leaseReleased = await deps.registry.releaseDeploymentLease(input.model, input.deploymentId);
  // After the lease: the next deployment need not wait for it.
  const predictionBaseline = await makePredictionBaseline(input, deployments, deps);
  logger.info('Deployment finished', { leaseReleased, deleted, notDeleted, followUp, predictionBaseline });
  return {
    leaseReleased,
    deleted,
    notDeleted,
    ...(followUp === undefined ? {} : { followUp }),
    ...(predictionBaseline === undefined ? {} : { predictionBaseline }),
  };
}

/**
 * After a promotion, the promoted version's prediction baseline (prediction-baseline.ts); best effort, so an
 * error is returned as text, not thrown.
 */
async function makePredictionBaseline(
  input: FinishInput,
  deployments: readonly Deployment[] | undefined,
  deps: FinishDependencies,
): Promise<string | undefined> {
  if (input.servingConfigName === undefined || deps.predictionBaseline === undefined) return undefined;
  try {
    const deployment = (deployments ?? (await allDeployments(deps.registry, input.model))).find(
      (d) => d.deploymentId === input.deploymentId,
    );
    if (deployment?.endpointName === undefined) return 'not made: the deployment names no endpoint';
    const version = await deps.registry.getVersion(input.model, deployment.version);
    if (version === undefined)
      return `not made: ${input.model} v${deployment.version} is not in the registry`;
    const outcome = await recordPredictionBaseline(version, deployment.endpointName, deps.predictionBaseline);
    if (outcome.status === 'written') return `written: ${outcome.key} (${outcome.rows} predictions)`;
    if (outcome.status === 'exists') return `kept: ${outcome.key}`;
    return `not made: ${outcome.reason}`;
  } catch (error) {
    deps.logger.warn('Prediction baseline not made', { error: (error as Error).message });
    return `not made: ${(error as Error).message}`.slice(0, MAX_CAUSE_LENGTH);
  }
}

/** Cause texts are cut to this in the record: AWS's messages fit, a stack trace does not need to. */
const MAX_CAUSE_LENGTH = 1000;

/**
 * Records AutoscalingRegistered / AutoscalingFailed on a promoted deployment; best effort (the lease must still
 * be released), so a registry error is returned as text, not thrown.
 */
async function recordAutoscaling(input: FinishInput, deps: FinishDependencies): Promise<string | undefined> {
  if (input.servingConfigName === undefined) return undefined;
  const target = input.autoscaling?.register;
  const error = input.autoscalingError;
  if (error === undefined && target === undefined) return undefined;
  const stage =
    error === undefined
      ? {
          name: 'AutoscalingRegistered',
          details: {
            resourceId: target?.ResourceId ?? null,
            minCapacity: target?.MinCapacity ?? null,
            maxCapacity: target?.MaxCapacity ?? null,
          },
        }
      : {
          name: 'AutoscalingFailed',
          details: {
            resourceId: target?.ResourceId ?? null,
            error: error.Error ?? 'unknown',
            cause: (error.Cause ?? '').slice(0, MAX_CAUSE_LENGTH),
            effect:
              'The promotion stands; the endpoint serves at its initial instance count without scaling. ' +
              'Deploy the version again (mlops deploy) once the cause is fixed to register the scalable target.',
          },
        };
  if (error !== undefined) deps.logger.warn('Autoscaling failed after the promotion', stage.details);
  try {
    await deps.registry.recordDeploymentFollowUp(input.deploymentId, stage);
    return stage.name;
  } catch (recordError) {
    return `${stage.name} not recorded: ${(recordError as Error).message}`;
  }
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
    const page = await registry.listDeployments(model, { nextToken });
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
