/**
 * Which fleet and variant serve one request. Blue (`serving`) takes the traffic; during a blue/green update
 * the green fleet (`pending`) takes its stage's share while the stage is ActivatingTraffic or Baking (none
 * while its instances are still Creating), as SageMaker shifts traffic —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html. Within a fleet a
 * variant is picked by weight ("traffic is distributed to the variants in proportion to their weights",
 * API_ProductionVariant InitialVariantWeight), or named by TargetVariant.
 */
import { currentStage } from '../endpoint-lifecycle';
import type { EndpointState, Fleet, FleetVariant } from '../hosting-state';
import { endpointNotFound, RuntimeApiError } from './errors';

/** Where one request goes. */
export interface Route {
  readonly fleet: Fleet;
  readonly variant: FleetVariant;
  /** True when the green fleet of an update in progress takes it. */
  readonly green: boolean;
}

/** The share (0–100) of the endpoint's traffic the pending fleet takes now. */
export function greenShare(endpoint: Readonly<EndpointState>, now = Date.now()): number {
  const pending = endpoint.pending;
  if (!pending) return 0;
  const stage = currentStage(pending, now);
  if (!stage || stage.status === 'Creating') return 0;
  return stage.trafficPercent;
}

/**
 * Routes a request on `endpoint` (undefined when it does not exist). `random` returns [0, 1), injectable so
 * tests can pin a fleet.
 */
export function route(
  endpoint: Readonly<EndpointState> | undefined,
  request: { readonly endpointName: string; readonly account: string; readonly targetVariant?: string },
  random: () => number = Math.random,
  now = Date.now(),
): Route {
  if (!endpoint || endpoint.status === 'Deleting' || endpoint.status === 'Failed') {
    throw endpointNotFound(request.endpointName, request.account);
  }
  const share = greenShare(endpoint, now);
  const pending = endpoint.pending;
  const green = pending !== undefined && share > 0 && (share >= 100 || random() * 100 < share);
  const fleet = green ? pending : endpoint.serving;
  if (!fleet) throw endpointNotFound(request.endpointName, request.account);
  const variant =
    request.targetVariant === undefined
      ? byWeight(fleet.variants, random)
      : fleet.variants.find((v) => v.variantName.toLowerCase() === request.targetVariant?.toLowerCase());
  if (!variant) {
    // The variant names of the endpoint are what a caller can pick from.
    throw new RuntimeApiError(
      'ValidationError',
      `TargetVariant ${request.targetVariant} is not a variant of endpoint ${request.endpointName}: ` +
        `its variants are ${fleet.variants.map((v) => v.variantName).join(', ')}.`,
    );
  }
  return { fleet, variant, green };
}

/** A variant drawn in proportion to its weight; equal chances when every weight is 0. */
function byWeight(variants: readonly FleetVariant[], random: () => number): FleetVariant | undefined {
  if (variants.length <= 1) return variants[0];
  const total = variants.reduce((sum, v) => sum + Math.max(0, v.weight), 0);
  if (!(total > 0)) return variants[Math.floor(random() * variants.length)];
  let pick = random() * total;
  for (const variant of variants) {
    pick -= Math.max(0, variant.weight);
    if (pick < 0) return variant;
  }
  return variants.at(-1);
}
