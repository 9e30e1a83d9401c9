/**
 * EndpointEvent: SageMaker's endpoint events (`SageMaker Endpoint State Change`, and `SageMaker Endpoint
 * Deployment State Change` for blue/green stages and rollbacks — both name the endpoint in
 * `detail.EndpointName`, https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)
 * resume the deployment waiting on that endpoint once it settled. Each blue/green stage a Deployment State Change
 * event reports (the new fleet Creating, ActivatingTraffic at some share, Baking, Deleting on a rollback) is
 * recorded on that deployment first, so `mlops deployments show` lists the traffic shifts.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ResumeDependencies, type ResumeResult, resumeIfSettled } from '../shared/deployment/resume';
import type { ModelRegistryClient } from '../shared/registry';
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
    Pick<ModelRegistryClient, 'getEndpointWaiter' | 'recordDeploymentProgress'>;
  readonly logger: Logger;
}

/** A blue/green stage, as the deployment records it. */
export interface BlueGreenStage {
  /** `BlueGreen:<Status>`, with `:<percent>` for ActivatingTraffic (a linear shift has several). */
  readonly name: string;
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
  return {
    name,
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

const pendingSchema = z.looseObject({
  EndpointConfigName: z.string(),
  ProductionVariants: z.optional(
    z.array(
      z.looseObject({
        VariantName: z.string(),
        CurrentWeight: z.optional(z.number()),
        DesiredWeight: z.optional(z.number()),
        VariantStatus: z.optional(
          z.array(z.looseObject({ Status: z.string(), StatusMessage: z.optional(z.string()) })),
        ),
      }),
    ),
  ),
});

/** Records the event's stage on the deployment waiting on the endpoint; best effort (the resume matters more). */
async function recordStage(
  endpointName: string,
  detail: Readonly<Record<string, unknown>>,
  deps: EndpointEventDependencies,
): Promise<void> {
  const stage = blueGreenStage(detail);
  if (stage === undefined) return;
  try {
    const waiter = await deps.registry.getEndpointWaiter(endpointName);
    if (waiter === undefined) return;
    await deps.registry.recordDeploymentProgress(waiter.deploymentId, { stage });
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
