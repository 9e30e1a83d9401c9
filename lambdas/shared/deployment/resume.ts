/**
 * Resuming a deployment that waits on its endpoint: the waiter (a task token stored per endpoint in the
 * registry) is taken once, so of the several events SageMaker may send per change
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html, "SageMaker AI
 * may send multiple events ... for each state change") and the waiter's own check, exactly one resumes it.
 * What resumes it is DescribeEndpoint's answer, not the event's: events may arrive late or out of order, the
 * endpoint's current state is what the workflow decides on.
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ModelRegistryClient } from '../registry';
import { describeEndpoint } from './endpoint';
import { type EndpointOutcome, SETTLED_ENDPOINT_STATUSES } from './workflow';

export interface ResumeDependencies {
  readonly registry: Pick<ModelRegistryClient, 'takeEndpointWaiter'>;
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly sfn: Pick<SFNClient, 'send'>;
}

/**
 * SendTaskSuccess errors that mean the waiting state is gone (it timed out, or the execution ended), so the
 * token is worth nothing — https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
const STALE_TOKEN_ERRORS: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** What happened, for the logs and the tests. */
export type ResumeResult =
  | { readonly resumed: true; readonly deploymentId: string; readonly outcome: EndpointOutcome }
  | { readonly resumed: false; readonly why: string };

/**
 * Resumes the deployment waiting on `endpointName` if the endpoint has settled (InService, Failed,
 * OutOfService, or gone).
 * @param deploymentEvent - the `SageMaker Endpoint Deployment State Change` detail that prompted the check, kept
 *   with the outcome for the reasons of a rollback
 */
export async function resumeIfSettled(
  endpointName: string,
  deps: ResumeDependencies,
  deploymentEvent?: Record<string, unknown>,
): Promise<ResumeResult> {
  const endpoint = await describeEndpoint(deps.sagemaker, endpointName);
  if (endpoint !== undefined && !SETTLED_ENDPOINT_STATUSES.has(endpoint.status)) {
    return { resumed: false, why: `endpoint is ${endpoint.status}` };
  }
  const waiter = await deps.registry.takeEndpointWaiter(endpointName);
  if (waiter === undefined) return { resumed: false, why: 'nobody waits on this endpoint' };
  const outcome: EndpointOutcome = {
    EndpointStatus: endpoint?.status ?? 'NotFound',
    ...(endpoint === undefined ? {} : { EndpointConfigName: endpoint.configName }),
    ...(endpoint?.failureReason === undefined ? {} : { FailureReason: endpoint.failureReason }),
    ...(deploymentEvent === undefined ? {} : { deploymentEvent }),
  };
  try {
    await deps.sfn.send(
      new SendTaskSuccessCommand({ taskToken: waiter.taskToken, output: JSON.stringify(outcome) }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (!STALE_TOKEN_ERRORS.has(name)) throw error;
    return { resumed: false, why: `the waiting deployment ${waiter.deploymentId} moved on (${name})` };
  }
  return { resumed: true, deploymentId: waiter.deploymentId, outcome };
}
