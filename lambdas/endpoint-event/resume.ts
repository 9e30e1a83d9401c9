/**
 * EndpointEvent: SageMaker's endpoint events (`SageMaker Endpoint State Change`, and `SageMaker Endpoint
 * Deployment State Change` for blue/green stages and rollbacks — both name the endpoint in
 * `detail.EndpointName`, https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)
 * resume the deployment waiting on that endpoint once it settled. Each blue/green stage a Deployment State Change
 * event reports (the new fleet Creating, ActivatingTraffic at some share, Baking, Deleting on a rollback) is
 * recorded on that deployment first, so `mlops deployments show` lists the traffic shifts. The stage goes to the
 * deployment waiting on the endpoint or, when none waits yet (Creating comes right after UpdateEndpoint, before
 * WaitForEndpoint stored its waiter), to the deployment that holds the model's lease and planned the event's
 * pending config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ResumeDependencies, type ResumeResult, resumeIfSettled } from '../shared/deployment/resume';
import {
  endpointName as endpointNameOf,
  NAME_PREFIX_MAX_LENGTH,
  NAME_PREFIX_PATTERN,
} from '../shared/endpoints/naming';
import { DeploymentEndedError, type ModelRegistryClient } from '../shared/registry';
import { MODEL_NAME_PATTERN } from '../shared/registry/schemas';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';

export const ENDPOINT_STATE_CHANGE = 'SageMaker Endpoint State Change';
export const ENDPOINT_DEPLOYMENT_STATE_CHANGE = 'SageMaker Endpoint Deployment State Change';

const eventSchema = z.object({
  'detail-type': z.enum([ENDPOINT_STATE_CHANGE, ENDPOINT_DEPLOYMENT_STATE_CHANGE]),
  detail: z.looseObject({ EndpointName: z.string().check(z.minLength(1)) }),
});

export interface EndpointEventDependencies extends ResumeDependencies {
  readonly registry: ResumeDependencies['registry'] &
    Pick<
      ModelRegistryClient,
      | 'getEndpointWaiter'
      | 'getDeploymentLease'
      | 'getDeployment'
      | 'recordDeploymentProgress'
      | 'recordDeploymentFollowUp'
    >;
  readonly logger: Logger;
}

/** A blue/green stage, as the deployment records it. */
export interface BlueGreenStage {
  /** `BlueGreen:<Status>`, with `:<percent>` for ActivatingTraffic (a linear shift has several). */
  readonly name: string;
  /**
   * When SageMaker says the stage began (VariantStatus StartTime), ISO-8601: the deployment lists its stages
   * by it, so stages delivered out of order (EventBridge does not keep order) are still listed in order.
   * Undefined when the event has none: the stage is then timed when it is recorded.
   */
  readonly at?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * The stage a `SageMaker Endpoint Deployment State Change` detail reports: its PendingDeploymentSummary's
 * variant status (Creating, Updating, ActivatingTraffic, Baking, Deleting —
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantStatus.html) and the new
 * fleet's share of traffic, CurrentWeight over DesiredWeight
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PendingProductionVariantSummary.html).
 * Undefined when the detail has no pending deployment.
 */
export function blueGreenStage(detail: Readonly<Record<string, unknown>>): BlueGreenStage | undefined {
  const parsed = z.safeParse(pendingSchema, detail.PendingDeploymentSummary);
  if (!parsed.success) return undefined;
  const [variant] = parsed.data.ProductionVariants ?? [];
  const status = variant?.VariantStatus?.[0];
  if (variant === undefined || status === undefined) return undefined;
  const desired = variant.DesiredWeight;
  const percent =
    desired !== undefined && desired > 0 && variant.CurrentWeight !== undefined
      ? Math.round((100 * variant.CurrentWeight) / desired)
      : undefined;
  const name =
    status.Status === 'ActivatingTraffic' && percent !== undefined
      ? `BlueGreen:${status.Status}:${percent}`
      : `BlueGreen:${status.Status}`;
  const at = isoTime(status.StartTime);
  return {
    name,
    ...(at === undefined ? {} : { at }),
    details: {
      status: status.Status,
      endpointConfigName: parsed.data.EndpointConfigName,
      variantName: variant.VariantName,
      ...(percent === undefined ? {} : { trafficPercent: percent }),
      ...(status.StatusMessage === undefined ? {} : { message: status.StatusMessage }),
      ...(typeof detail.FailureReason === 'string' ? { failureReason: detail.FailureReason } : {}),
    },
  };
}

/** A timestamp (epoch milliseconds or an ISO string) as ISO-8601 UTC, or undefined if it is not one. */
function isoTime(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

const pendingSchema = z.looseObject({
  EndpointConfigName: z.string(),
  ProductionVariants: z.optional(
    z.array(
      z.looseObject({
        VariantName: z.string(),
        CurrentWeight: z.optional(z.number()),
        DesiredWeight: z.optional(z.number()),
        VariantStatus: z.optional(
          z.array(
            z.looseObject({
              Status: z.string(),
              StatusMessage: z.optional(z.string()),
              // Epoch milliseconds in the events' examples; an ISO string is taken too.
              StartTime: z.optional(z.union([z.number(), z.string()])),
            }),
          ),
        ),
      }),
    ),
  ),
});

/**
 * The models whose endpoint could be `endpointName`: it is `<prefix>-<model>` (naming.ts endpointName; a prefix
 * of at most 20 characters leaves room for any model name, so it is never shortened), and both prefix and model
 * may hold hyphens, so each split that gives a valid prefix and model name back is a candidate.
 */
export function modelsOfEndpoint(endpointName: string): string[] {
  const models: string[] = [];
  for (let at = endpointName.indexOf('-'); at > 0; at = endpointName.indexOf('-', at + 1)) {
    const prefix = endpointName.slice(0, at);
    const model = endpointName.slice(at + 1);
    if (prefix.length > NAME_PREFIX_MAX_LENGTH || !NAME_PREFIX_PATTERN.test(prefix)) continue;
    if (!MODEL_NAME_PATTERN.test(model) || endpointNameOf(prefix, model) !== endpointName) continue;
    models.push(model);
  }
  return models;
}

/**
 * The deployment an endpoint's blue/green stage belongs to: the one waiting on the endpoint, else the one that
 * holds the model's lease (one deployment per model touches its endpoint) and planned `endpointConfigName` on
 * this endpoint. Undefined when neither is found (a stage of a change nobody of ours made, or after the end).
 */
export async function deploymentOfStage(
  endpointName: string,
  endpointConfigName: string,
  registry: EndpointEventDependencies['registry'],
): Promise<string | undefined> {
  const ours = async (deploymentId: string) => {
    const deployment = await registry.getDeployment(deploymentId);
    return deployment?.endpointName === endpointName && deployment.endpointConfigName === endpointConfigName;
  };
  // A waiter names the deployment waiting now; one left by an earlier deployment (its wait timed out) must
  // not take this change's stages, so its config is checked too.
  const waiter = await registry.getEndpointWaiter(endpointName);
  if (waiter !== undefined && (await ours(waiter.deploymentId))) return waiter.deploymentId;
  const leases = await Promise.all(
    modelsOfEndpoint(endpointName).map((model) => registry.getDeploymentLease(model)),
  );
  for (const lease of leases) {
    if (lease !== undefined && (await ours(lease.holder))) return lease.holder;
  }
  return undefined;
}

/**
 * Records the event's stage on its deployment; best effort (the resume matters more). A redelivered event
 * records nothing new: the registry keeps a stage's first record.
 */
async function recordStage(
  endpointName: string,
  detail: Readonly<Record<string, unknown>>,
  deps: EndpointEventDependencies,
): Promise<void> {
  const stage = blueGreenStage(detail);
  if (stage === undefined) return;
  try {
    const configName = String(stage.details.endpointConfigName);
    const deploymentId = await deploymentOfStage(endpointName, configName, deps.registry);
    if (deploymentId === undefined) {
      deps.logger.info('Blue/green stage of no deployment of ours', { stage: stage.name, configName });
      return;
    }
    try {
      await deps.registry.recordDeploymentProgress(deploymentId, { stage });
    } catch (error) {
      // SageMaker's events of one change arrive concurrently: the stage that ends a rollback (green Deleting)
      // may come after the resumed workflow recorded the outcome. It is still this deployment's stage.
      if (!(error instanceof DeploymentEndedError)) throw error;
      await deps.registry.recordDeploymentFollowUp(deploymentId, stage);
    }
  } catch (error) {
    deps.logger.warn('Blue/green stage not recorded', { stage: stage.name, error: (error as Error).message });
  }
}

export async function onEndpointEvent(
  event: unknown,
  deps: EndpointEventDependencies,
): Promise<ResumeResult> {
  const parsed = parseInput(eventSchema, event, 'EndpointEvent');
  const { EndpointName: endpointName } = parsed.detail;
  deps.logger.appendKeys({ endpointName });
  const deploymentEvent =
    parsed['detail-type'] === ENDPOINT_DEPLOYMENT_STATE_CHANGE ? parsed.detail : undefined;
  if (deploymentEvent !== undefined) await recordStage(endpointName, deploymentEvent, deps);
  const result = await resumeIfSettled(endpointName, deps, deploymentEvent);
  deps.logger.info('Endpoint event', { detailType: parsed['detail-type'], result });
  return result;
}
