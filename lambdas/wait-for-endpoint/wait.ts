/**
 * WaitForEndpoint (invoked with .waitForTaskToken): stores the task token as the endpoint's waiter, then
 * looks at the endpoint once, because it may have settled before the waiter was stored, when the event
 * function found nobody to resume. An endpoint just asked to change is not mistaken for a settled one: "When
 * SageMaker receives the request, it sets the endpoint status to Updating"
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html), Creating likewise for
 * CreateEndpoint. Returns at once: the workflow resumes on SendTaskSuccess, or times out
 * and reads DescribeEndpoint itself.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ResumeDependencies, type ResumeResult, resumeIfSettled } from '../shared/deployment/resume';
import type { ModelRegistryClient } from '../shared/registry';

export interface WaitForEndpointInput {
  readonly taskToken: string;
  readonly deploymentId: string;
  readonly endpointName: string;
  /** How long the workflow waits; the waiter outlives it by a minute, then the table's TTL removes it. */
  readonly timeoutSeconds: number;
}

export interface WaitForEndpointDependencies extends ResumeDependencies {
  readonly registry: Pick<ModelRegistryClient, 'takeEndpointWaiter' | 'putEndpointWaiter'>;
  readonly logger: Logger;
}

export async function waitForEndpoint(
  input: WaitForEndpointInput,
  deps: WaitForEndpointDependencies,
): Promise<ResumeResult> {
  const { logger } = deps;
  logger.appendKeys({ deploymentId: input.deploymentId, endpointName: input.endpointName });
  await deps.registry.putEndpointWaiter(input.endpointName, input.taskToken, input.deploymentId, {
    ttlSeconds: Math.max(60, input.timeoutSeconds + 60),
  });
  const result = await resumeIfSettled(input.endpointName, deps);
  logger.info('Waiting on the endpoint', { result });
  return result;
}
