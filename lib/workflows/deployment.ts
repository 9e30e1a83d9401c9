/**
 * The deployment workflow's definition: its props, how long it waits for the model's lease, and
 * deploymentDefinition, which builds the phases (deployment/: endpoint, promotion, failure) and links them.
 */
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  endpointChanges,
  endpointOutcome,
  endpointRollout,
  endpointUpdate,
  endpointWait,
  modelAndConfig,
} from './deployment/endpoint';
import { failureRecording, rollback } from './deployment/failure';
import { autoscalingAndFinish, smokeTestAndPromotion } from './deployment/promotion';
import { DeploymentStates as S } from './deployment/states';
import { catchInto, type DeploymentTasks, deploymentTasks } from './deployment/tasks';

export { DeploymentStates } from './deployment/states';
export { fieldsFrom, SDK_TRANSIENT_ERRORS, type TaskParameters } from './deployment/tasks';

export interface DeploymentFunctions {
  readonly prepare: lambda.IFunction;
  readonly begin: lambda.IFunction;
  readonly waitForEndpoint: lambda.IFunction;
  readonly smokeTest: lambda.IFunction;
  readonly promote: lambda.IFunction;
  readonly recordFailure: lambda.IFunction;
  readonly finish: lambda.IFunction;
}

export interface DeploymentDefinitionProps {
  readonly functions: DeploymentFunctions;
  /** Where ModelDeployed and DeploymentFailed are published. */
  readonly eventBus: events.IEventBus;
  /** How long a deployment waits on its endpoint before one DescribeEndpoint decides (every model's longest). */
  readonly endpointWaitSeconds: number;
  /**
   * The SNS topic the endpoints' alarms notify on ALARM and on OK (AlarmActions/OKActions, the same for
   * every endpoint, so constants of the definition rather than fields of the plan).
   * @default none: the endpoint alarms only drive rollback
   */
  readonly alarmTopicArn?: string | undefined;
}

/**
 * Another deployment of the model holds the lease: wait for it with a backoff of 30 s doubling up to 5 min,
 * 12 tries, about 47 minutes in all, then fail naming the holder (LeaseHeldError's message).
 */
export const LEASE_RETRY = {
  intervalSeconds: 30,
  backoffRate: 2,
  maxDelaySeconds: 300,
  maxAttempts: 12,
} as const;

/** The longest a deployment waits for the lease (the sum of {@link LEASE_RETRY}'s delays), for timeouts. */
export function leaseWaitSeconds(): number {
  let total = 0;
  let delay: number = LEASE_RETRY.intervalSeconds;
  for (let attempt = 0; attempt < LEASE_RETRY.maxAttempts; attempt++) {
    total += Math.min(delay, LEASE_RETRY.maxDelaySeconds);
    delay *= LEASE_RETRY.backoffRate;
  }
  return total;
}

/**
 * The deployment workflow: PrepareDeployment (record + lease) -> BeginDeployment (registry Deploying, the
 * requests) -> CreateModel -> CreateEndpointConfig -> the endpoint's three alarms -> CreateEndpoint or
 * UpdateEndpoint (blue/green, alarm rollback) -> WaitForEndpoint (task token, resumed by the endpoint's events;
 * on timeout one DescribeEndpoint) -> the new config InService? -> SmokeTest -> PromoteDeployment ->
 * ModelDeployed -> FinishPromotedDeployment (cleanup, lease released). A failed smoke test or promotion puts
 * the previous config back (or deletes a first endpoint that never proved itself); a first endpoint that ended
 * Failed is deleted too, so the next deployment can create it again; every failure is recorded
 * (RecordDeploymentFailure), announced (DeploymentFailed) and releases the lease. JSONPath only: the local
 * executor does not run JSONata.
 */
export function deploymentDefinition(scope: Construct, props: DeploymentDefinitionProps): sfn.IChainable {
  const { functions } = props;
  const t = deploymentTasks(scope, {
    waitForEndpoint: functions.waitForEndpoint,
    endpointWaitSeconds: props.endpointWaitSeconds,
  });
  // Built in this order (the state machine's JSON follows the order states were linked in).
  const recordFailure = failureRecording(t, { ...functions, eventBus: props.eventBus });
  const { prepare, begin } = planAndBegin(t, functions, recordFailure);
  const setup = modelAndConfig(t, props.alarmTopicArn, recordFailure);
  const { createEndpoint, updateEndpoint } = endpointChanges(t, recordFailure);
  const { waitForEndpoint, describeAfterWait } = endpointWait(t, recordFailure);
  const { hasPrevious, deleteUnverified } = rollback(t, recordFailure);
  const hasAutoscaling = autoscalingAndFinish(t, functions.finish);
  const verify = smokeTestAndPromotion(
    t,
    { ...functions, eventBus: props.eventBus },
    { hasAutoscaling, hasPrevious },
  );
  const outcome = endpointOutcome(t, { verify, deleteUnverified, recordFailure });
  waitForEndpoint.next(outcome);
  describeAfterWait.next(outcome);
  const update = endpointUpdate(t, { updateEndpoint, waitForEndpoint, recordFailure });
  const createModel = endpointRollout(t, { ...setup, createEndpoint, waitForEndpoint, update });
  return prepare.next(begin).next(createModel);
}

/**
 * PrepareDeployment (the deployment recorded, the lease taken: waited for while another deployment holds it)
 * and BeginDeployment (registry Deploying, the plan's requests at `$.plan`), not yet chained.
 */
function planAndBegin(
  t: DeploymentTasks,
  functions: Pick<DeploymentFunctions, 'prepare' | 'begin'>,
  recordFailure: sfn.IChainable,
): { readonly prepare: sfn.TaskStateBase; readonly begin: sfn.TaskStateBase } {
  const prepare = t
    .invoke(
      S.prepare,
      functions.prepare,
      { 'request.$': '$', 'executionArn.$': '$$.Execution.Id' },
      '$.deployment',
    )
    .addRetry({
      errors: ['LeaseHeldError'],
      interval: Duration.seconds(LEASE_RETRY.intervalSeconds),
      backoffRate: LEASE_RETRY.backoffRate,
      maxDelay: Duration.seconds(LEASE_RETRY.maxDelaySeconds),
      maxAttempts: LEASE_RETRY.maxAttempts,
      jitterStrategy: sfn.JitterType.FULL,
    });
  catchInto(prepare, recordFailure);
  const begin = catchInto(
    t.invoke(S.begin, functions.begin, { 'deployment.$': '$.deployment' }, '$.plan'),
    recordFailure,
  );
  return { prepare, begin };
}
