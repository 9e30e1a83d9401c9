/**
 * EndpointEvent: SageMaker's endpoint events (`SageMaker Endpoint State Change`, and `SageMaker Endpoint
 * Deployment State Change` for blue/green stages and rollbacks — both name the endpoint in
 * `detail.EndpointName`, https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)
 * resume the deployment waiting on that endpoint once it settled.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ResumeDependencies, type ResumeResult, resumeIfSettled } from '../shared/deployment/resume';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';

export const ENDPOINT_STATE_CHANGE = 'SageMaker Endpoint State Change';
export const ENDPOINT_DEPLOYMENT_STATE_CHANGE = 'SageMaker Endpoint Deployment State Change';

const eventSchema = z.object({
  'detail-type': z.enum([ENDPOINT_STATE_CHANGE, ENDPOINT_DEPLOYMENT_STATE_CHANGE]),
  detail: z.looseObject({ EndpointName: z.string().check(z.minLength(1)) }),
});

export interface EndpointEventDependencies extends ResumeDependencies {
  readonly logger: Logger;
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
  const result = await resumeIfSettled(endpointName, deps, deploymentEvent);
  deps.logger.info('Endpoint event', { detailType: parsed['detail-type'], result });
  return result;
}
