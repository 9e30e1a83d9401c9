/**
 * The deployment workflow's success path: the smoke test, PromoteDeployment and ModelDeployed, autoscaling
 * once the new config serves, and the cleanup that releases the lease (FinishPromotedDeployment).
 */
import type {
  PutScalingPolicyRequest,
  RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { INVOCATIONS_TARGET_TRACKING, VARIANT_SCALING } from '../../../lambdas/shared/endpoints/autoscaling';
import { MODEL_DEPLOYED } from '../../../lambdas/shared/events';
import { DeploymentStates as S } from './states';
import {
  catchInto,
  type DeploymentTasks,
  fieldsFrom,
  SDK_TRANSIENT_ERRORS,
  type TaskParameters,
} from './tasks';

/**
 * Autoscaling once the new config serves, then the cleanup (the lease released) and Deployed. A failure here
 * does not undo a promotion that happened: the cleanup records it on the deployment (stage AutoscalingFailed)
 * and the execution still succeeds.
 * @returns HasAutoscaling, the way in after the promotion
 */
export function autoscalingAndFinish(t: DeploymentTasks, finish: lambda.IFunction): sfn.Choice {
  const deployed = new sfn.Succeed(t.scope, S.deployed);
  const finishPromotedPayload = {
    'deploymentId.$': '$.deploymentId',
    'model.$': '$.model',
    'servingConfigName.$': '$.plan.names.endpointConfigName',
    'autoscaling.$': '$.plan.autoscaling',
  };
  const finishPromoted = t.invoke(S.finishPromoted, finish, finishPromotedPayload, '$.finish');
  finishPromoted.addCatch(deployed, { errors: ['States.ALL'], resultPath: '$.finishError' }).next(deployed);
  // The same cleanup, told why autoscaling is missing: it records the error on the deployment.
  const finishWithoutAutoscaling = t.invoke(
    S.finishAfterAutoscalingFailure,
    finish,
    { ...finishPromotedPayload, 'autoscalingError.$': '$.autoscalingError' },
    '$.finish',
  );
  finishWithoutAutoscaling
    .addCatch(deployed, { errors: ['States.ALL'], resultPath: '$.finishError' })
    .next(deployed);
  // Namespace, dimension and policy type fixed here (autoscaling.ts), the variant and bounds from the plan.
  const registerScalableTarget = t.serviceTask(
    S.registerScalableTarget,
    'aws-sdk:applicationautoscaling:registerScalableTarget',
    {
      Parameters: {
        ...VARIANT_SCALING,
        ...fieldsFrom<RegisterScalableTargetRequest>('$.plan.autoscaling.register', [
          'ResourceId',
          'MinCapacity',
          'MaxCapacity',
        ]),
      } satisfies TaskParameters<RegisterScalableTargetRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  const policy = '$.plan.autoscaling.policy';
  const putScalingPolicy = t.serviceTask(
    S.putScalingPolicy,
    'aws-sdk:applicationautoscaling:putScalingPolicy',
    {
      Parameters: {
        ...VARIANT_SCALING,
        PolicyType: INVOCATIONS_TARGET_TRACKING.PolicyType,
        ...fieldsFrom<PutScalingPolicyRequest>(policy, ['ResourceId', 'PolicyName']),
        TargetTrackingScalingPolicyConfiguration: {
          'TargetValue.$': `${policy}.TargetTrackingScalingPolicyConfiguration.TargetValue`,
          PredefinedMetricSpecification: {
            PredefinedMetricType: INVOCATIONS_TARGET_TRACKING.PredefinedMetricType,
          },
        },
      } satisfies TaskParameters<PutScalingPolicyRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  for (const state of [registerScalableTarget, putScalingPolicy]) {
    state.addCatch(finishWithoutAutoscaling, { errors: ['States.ALL'], resultPath: '$.autoscalingError' });
  }
  registerScalableTarget.next(putScalingPolicy).next(finishPromoted);
  return (
    new sfn.Choice(t.scope, S.hasAutoscaling)
      // IsNull true, not IsNotNull: the local executor ignores a condition whose value is false.
      .when(sfn.Condition.isNull('$.plan.autoscaling'), finishPromoted)
      .otherwise(registerScalableTarget)
  );
}

/**
 * SmokeTest, and when it passed PromoteDeployment and ModelDeployed, then `hasAutoscaling`; a failed smoke
 * test or promotion goes to `hasPrevious` (the rollback).
 * @returns SmokeTest chained to its verdict, the way in once the new config is InService
 */
export function smokeTestAndPromotion(
  t: DeploymentTasks,
  props: {
    readonly smokeTest: lambda.IFunction;
    readonly promote: lambda.IFunction;
    readonly eventBus: events.IEventBus;
  },
  next: { readonly hasAutoscaling: sfn.IChainable; readonly hasPrevious: sfn.IChainable },
): sfn.Chain {
  const { hasAutoscaling, hasPrevious } = next;
  const publishDeployed = t.publishEvent(S.publishDeployed, MODEL_DEPLOYED, '$.promoted', props.eventBus);
  publishDeployed.addCatch(hasAutoscaling, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  const promote = catchInto(
    t.invoke(
      S.promote,
      props.promote,
      {
        'deployment.$': '$.deployment',
        'endpointName.$': '$.plan.names.endpointName',
        'endpointConfigName.$': '$.plan.names.endpointConfigName',
        'smoke.$': '$.smoke',
      },
      '$.promoted',
    ),
    hasPrevious,
  );
  const smokeTest = catchInto(
    t.invoke(
      S.smokeTest,
      props.smokeTest,
      {
        'deploymentId.$': '$.deploymentId',
        'endpointName.$': '$.plan.names.endpointName',
        'smokeTest.$': '$.plan.smokeTest',
      },
      '$.smoke',
    ),
    hasPrevious,
  );
  const smokePassed = new sfn.Choice(t.scope, S.smokePassed)
    .when(
      sfn.Condition.booleanEquals('$.smoke.passed', true),
      promote.next(publishDeployed).next(hasAutoscaling),
    )
    .otherwise(hasPrevious);
  return smokeTest.next(smokePassed);
}
