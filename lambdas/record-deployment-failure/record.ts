/**
 * RecordDeploymentFailure: every path that does not end in promotion comes here with the workflow's state.
 * It says why in words (the error, the endpoint's outcome, the smoke test, the restore), records the deployment
 * Failed or RolledBack (the version follows; the alias and the production version are untouched), and returns
 * the detail of the DeploymentFailed event the workflow publishes next.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SETTLED_ENDPOINT_STATUSES } from '../shared/deployment/workflow';
import type { DeploymentFailedDetail } from '../shared/events';
import { MetricNames } from '../shared/metric-names';
import {
  DeploymentNotFoundError,
  InvalidStatusTransitionError,
  type ModelRegistryClient,
} from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';
import * as z from '../shared/zod';

/** The parts of the workflow's state this function reads; any of them may be missing, depending on where it failed. */
export const failureStateSchema = z.looseObject({
  deploymentId: z.string(),
  model: z.string(),
  version: z.int(),
  kind: z.enum(['deploy', 'rollback']),
  requestedBy: z.string(),
  plan: z.exactOptional(
    z.looseObject({
      names: z.looseObject({ endpointName: z.string(), endpointConfigName: z.string() }),
      previousConfigName: z.nullable(z.string()),
      waitTimeoutSeconds: z.exactOptional(z.number()),
      alarms: z.exactOptional(z.array(z.looseObject({ AlarmName: z.exactOptional(z.string()) }))),
    }),
  ),
  endpoint: z.exactOptional(
    z.looseObject({
      EndpointStatus: z.string(),
      EndpointConfigName: z.exactOptional(z.string()),
      FailureReason: z.exactOptional(z.string()),
      deploymentEvent: z.exactOptional(z.record(z.string(), z.unknown())),
    }),
  ),
  smoke: z.exactOptional(z.looseObject({ passed: z.boolean(), reasons: z.array(z.string()) })),
  error: z.exactOptional(
    z.looseObject({ Error: z.exactOptional(z.string()), Cause: z.exactOptional(z.string()) }),
  ),
  restored: z.exactOptional(
    z.looseObject({ EndpointStatus: z.string(), EndpointConfigName: z.exactOptional(z.string()) }),
  ),
  restoreError: z.exactOptional(
    z.looseObject({ Error: z.exactOptional(z.string()), Cause: z.exactOptional(z.string()) }),
  ),
  /** DeleteEndpoint's answer ({}): the endpoint this deployment created was deleted. */
  deletedEndpoint: z.exactOptional(z.looseObject({})),
  deleteError: z.exactOptional(
    z.looseObject({ Error: z.exactOptional(z.string()), Cause: z.exactOptional(z.string()) }),
  ),
});
export type FailureState = z.output<typeof failureStateSchema>;

export interface RecordFailureDependencies {
  readonly registry: Pick<ModelRegistryClient, 'recordDeploymentFailure'>;
  readonly logger: Logger;
  /**
   * Where the step's business metric is published (lambdas/shared/metric-names.ts).
   * @default - none published
   */
  readonly metrics?: Metrics;
}

export async function recordFailure(
  state: FailureState,
  deps: RecordFailureDependencies,
): Promise<DeploymentFailedDetail> {
  const { outcome, reasons } = verdict(state);
  deps.logger.appendKeys({ deploymentId: state.deploymentId, model: state.model });
  const record = async (as: 'Failed' | 'RolledBack') =>
    deps.registry.recordDeploymentFailure(state.deploymentId, {
      outcome: as,
      reasons: reasons.map((reason) => (reason.length > 2_000 ? `${reason.slice(0, 1_999)}…` : reason)),
      actor: state.requestedBy,
    });
  let recorded = true;
  let recordedAs = outcome;
  try {
    await record(outcome);
  } catch (error) {
    if (error instanceof DeploymentNotFoundError) {
      recorded = false;
    } else if (error instanceof InvalidStatusTransitionError && outcome === 'RolledBack') {
      // A deployment that never began cannot be RolledBack; it failed.
      recordedAs = 'Failed';
      await record('Failed');
    } else {
      throw error;
    }
  }
  deps.logger.warn('Deployment failed', { outcome: recordedAs, reasons, recorded });
  if (deps.metrics !== undefined) {
    const name =
      recordedAs === 'RolledBack' ? MetricNames.deploymentRolledBack : MetricNames.deploymentFailed;
    publishMetric(deps.metrics, name, 1, {
      model: state.model,
      metadata: { deploymentId: state.deploymentId, version: state.version, kind: state.kind },
    });
  }
  return {
    deploymentId: state.deploymentId,
    model: state.model,
    version: state.version,
    kind: state.kind,
    outcome: recordedAs,
    reasons,
    recorded,
  };
}

/** Failed or RolledBack, and why, from what the workflow's state holds. */
export function verdict(state: FailureState): { outcome: 'Failed' | 'RolledBack'; reasons: string[] } {
  const reasons: string[] = [];
  let outcome: 'Failed' | 'RolledBack' = 'Failed';
  const { plan, endpoint, smoke } = state;
  if (endpoint !== undefined && plan !== undefined && smoke === undefined) {
    const target = plan.names.endpointConfigName;
    const name = plan.names.endpointName;
    if (endpoint.EndpointStatus === 'InService' && endpoint.EndpointConfigName !== target) {
      outcome = 'RolledBack';
      // The deployment event and the endpoint's FailureReason both may name the alarm; whichever event
      // resumed the workflow first, DescribeEndpoint's FailureReason is there.
      const alarms = alarmsNamedIn([endpoint.deploymentEvent, endpoint.FailureReason], plan.alarms);
      reasons.push(
        `SageMaker rolled endpoint ${name} back: it serves ${endpoint.EndpointConfigName ?? 'another config'}, not ${target}` +
          (alarms.length > 0
            ? ` (alarm ${alarms.join(', ')})`
            : endpoint.deploymentEvent === undefined && !endpoint.FailureReason
              ? ' (no event named an alarm: a silent rollback)'
              : ''),
      );
    } else if (endpoint.EndpointStatus !== 'InService') {
      reasons.push(
        SETTLED_ENDPOINT_STATUSES.has(endpoint.EndpointStatus)
          ? `endpoint ${name} is ${endpoint.EndpointStatus}`
          : endpoint.EndpointStatus === 'NotFound'
            ? `endpoint ${name} does not exist any more`
            : `endpoint ${name} was still ${endpoint.EndpointStatus} when the wait of ${plan.waitTimeoutSeconds ?? '?'} s ended`,
      );
    }
    if (endpoint.FailureReason) reasons.push(`SageMaker: ${endpoint.FailureReason}`);
  }
  if (smoke !== undefined && !smoke.passed) {
    reasons.push(`smoke test failed: ${smoke.reasons.join('; ') || 'no reason given'}`);
  }
  if (state.error !== undefined) reasons.push(describeError(state.error));
  if (state.restored !== undefined && plan?.previousConfigName) {
    reasons.push(
      state.restored.EndpointConfigName === plan.previousConfigName &&
        state.restored.EndpointStatus === 'InService'
        ? `endpoint restored to ${plan.previousConfigName}`
        : `restoring ${plan.previousConfigName} left the endpoint ${state.restored.EndpointStatus} on ${state.restored.EndpointConfigName ?? '?'}`,
    );
  }
  if (state.restoreError !== undefined) {
    reasons.push(`restoring the previous endpoint config failed: ${describeError(state.restoreError)}`);
  }
  const created = plan?.names.endpointName ?? 'the endpoint';
  if (state.deletedEndpoint !== undefined) {
    reasons.push(`endpoint ${created} deleted: this deployment created it and it never served`);
  }
  if (state.deleteError !== undefined) {
    reasons.push(
      `deleting endpoint ${created}, which this deployment created, failed: ${describeError(state.deleteError)}; ` +
        `delete it (aws sagemaker delete-endpoint --endpoint-name ${created}) before the next deployment`,
    );
  }
  if (reasons.length === 0) reasons.push('the deployment ended without promotion');
  return { outcome, reasons };
}

/**
 * `<Error>: <message>`. A Lambda's Cause is its error document (`errorType`, `errorMessage`); a service
 * integration's is the service's message.
 */
export function describeError(error: { readonly Error?: string; readonly Cause?: string }): string {
  const name = error.Error ?? 'Error';
  let message = error.Cause ?? '';
  try {
    const document = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof document.errorMessage === 'string') message = document.errorMessage;
  } catch {
    // Not JSON: a service's message as it is.
  }
  if (name === 'LeaseHeldError') return `gave up waiting for the model's deployment lease: ${message}`;
  if (name === 'States.Timeout') return `timed out${message ? `: ${message}` : ''}`;
  return message === '' ? name : `${name}: ${message}`;
}

/**
 * The endpoint's alarms that a deployment event or a FailureReason mentions (SageMaker names the alarm that
 * triggered a rollback).
 */
function alarmsNamedIn(
  sources: readonly (Readonly<Record<string, unknown>> | string | undefined)[],
  alarms: readonly { readonly AlarmName?: string | undefined }[] | undefined,
): string[] {
  if (alarms === undefined) return [];
  const text = sources.map((source) => JSON.stringify(source ?? '')).join('\n');
  return alarms.flatMap(({ AlarmName }) =>
    AlarmName !== undefined && text.includes(AlarmName) ? [AlarmName] : [],
  );
}
