/**
 * StartDeployment: turns an approval or a deployment request into at most one execution of the deployment
 * workflow. The execution name is the deployment id, derived from the event (deploymentIdFor), so a
 * redelivered event starts nothing: Step Functions answers a name it has seen with ExecutionAlreadyExists
 * (or, for a running Standard execution with the same input, the same execution) —
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DeploymentExecutionInput } from '../shared/deployment/workflow';
import {
  DEPLOYMENT_REQUESTED,
  type DeploymentRequestedDetail,
  deploymentIdFor,
  deploymentRequestedDetailSchema,
  MODEL_APPROVED,
  MODEL_REGISTERED,
  modelDecisionDetailSchema,
} from '../shared/events';
import { MODEL_NAME_PATTERN } from '../shared/registry/schemas';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';

/** The request id of every approval: one automatic deployment per approved version, however it was announced. */
export const APPROVAL_REQUEST_ID = 'approved';

/** The actor of deployments that an automatic approval (the training pipeline's) started. */
export const TRAINING_PIPELINE_ACTOR = 'training-pipeline';

const eventSchema = z.object({
  'detail-type': z.enum([MODEL_APPROVED, MODEL_REGISTERED, DEPLOYMENT_REQUESTED]),
  detail: z.record(z.string(), z.unknown()),
});

const registeredDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  version: z.int().check(z.gte(1)),
  status: z.string(),
});

export interface StartDeploymentDependencies {
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly stateMachineArn: string;
  /** Each model's deployment mode, plus `defaults` for models first seen in an upload. */
  readonly modes: Readonly<Record<string, 'auto' | 'manual'>>;
  readonly logger: Logger;
}

export type StartDeploymentResult =
  | { readonly started: true; readonly deploymentId: string; readonly executionArn: string }
  | { readonly started: false; readonly deploymentId?: string; readonly why: string };

/**
 * Starts the deployment an event asks for, once.
 * @throws InvalidInputError when the event is none of the three this function is routed
 */
export async function startDeployment(
  event: unknown,
  deps: StartDeploymentDependencies,
): Promise<StartDeploymentResult> {
  const parsed = parseInput(eventSchema, event, 'StartDeployment');
  const request = requestOf(parsed['detail-type'], parsed.detail);
  if (request === undefined) return { started: false, why: 'the version is not Approved' };
  const { logger } = deps;
  logger.appendKeys({ model: request.model, version: request.version });
  const approval = parsed['detail-type'] !== DEPLOYMENT_REQUESTED;
  const mode = deps.modes[request.model] ?? deps.modes.defaults ?? 'auto';
  if (approval && mode === 'manual') {
    const why = `${request.model} deploys manually (deployment.mode "manual"): run \`mlops deploy ${request.model} ${request.version}\``;
    logger.info('Approval does not start a deployment', { why });
    return { started: false, why };
  }
  const deploymentId = deploymentIdFor(request);
  const input: DeploymentExecutionInput = {
    deploymentId,
    model: request.model,
    version: request.version,
    kind: request.kind,
    requestedBy: request.requestedBy,
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  };
  try {
    const output = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: deploymentId,
        input: JSON.stringify(input),
      }),
    );
    logger.info('Deployment started', { deploymentId, executionArn: output.executionArn });
    return { started: true, deploymentId, executionArn: output.executionArn ?? '' };
  } catch (error) {
    if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
    logger.info('Deployment already started for this event', { deploymentId });
    return { started: false, deploymentId, why: 'an execution with this deployment id exists' };
  }
}

/** The deployment request an event stands for; undefined for a registration that is not Approved. */
function requestOf(
  detailType: string,
  detail: Record<string, unknown>,
): (Omit<DeploymentRequestedDetail, 'reason'> & { readonly reason?: string }) | undefined {
  if (detailType === DEPLOYMENT_REQUESTED) {
    return parseInput(deploymentRequestedDetailSchema, detail, 'StartDeployment');
  }
  if (detailType === MODEL_APPROVED) {
    const decision = parseInput(modelDecisionDetailSchema, detail, 'StartDeployment');
    if (decision.status !== 'Approved') return undefined;
    return {
      model: decision.model,
      version: decision.version,
      kind: 'deploy',
      requestId: APPROVAL_REQUEST_ID,
      requestedBy: decision.actor,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    };
  }
  const registered = parseInput(registeredDetailSchema, detail, 'StartDeployment');
  if (registered.status !== 'Approved') return undefined;
  return {
    model: registered.model,
    version: registered.version,
    kind: 'deploy',
    requestId: APPROVAL_REQUEST_ID,
    requestedBy: TRAINING_PIPELINE_ACTOR,
    reason: 'approved automatically at registration',
  };
}
