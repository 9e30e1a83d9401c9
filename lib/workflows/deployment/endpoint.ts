/**
 * The deployment workflow's endpoint phases: the SageMaker model and endpoint config, the endpoint's alarms,
 * CreateEndpoint or UpdateEndpoint (blue/green, alarm rollback; an autoscaled variant deregistered first when
 * its instance type changes), the wait for the endpoint (task token, or one DescribeEndpoint on timeout) and
 * the decision on how it ended. The requests come from the plan BeginDeployment built
 * (lambdas/shared/endpoints/requests.ts); the Parameters here take its per-deployment fields and fix the rest.
 */
import type { DeregisterScalableTargetRequest } from '@aws-sdk/client-application-auto-scaling';
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateModelInput,
  DescribeEndpointInput,
  ProductionVariant,
  UpdateEndpointInput,
} from '@aws-sdk/client-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { FIXED_ALARM_FIELDS, VARYING_ALARM_FIELDS } from '../../../lambdas/shared/endpoints/alarms';
import { VARIANT_SCALING } from '../../../lambdas/shared/endpoints/autoscaling';
import { ALARM_KINDS, type AlarmKind, VARIANT_NAME } from '../../../lambdas/shared/endpoints/naming';
import { DeploymentStates as S } from './states';
import {
  catchInto,
  type DeploymentTasks,
  fieldsFrom,
  SDK_TRANSIENT_ERRORS,
  type TaskParameters,
} from './tasks';

/** The states that set the model and its endpoint config up, each failing into `recordFailure`. */
export interface ModelAndConfigStates {
  readonly createModel: sfn.CustomState;
  readonly createEndpointConfig: sfn.CustomState;
  readonly createServerlessEndpointConfig: sfn.CustomState;
  /** PutMetricAlarm of each of the endpoint's alarms, in ALARM_KINDS order. */
  readonly putAlarms: readonly sfn.CustomState[];
}

/** CreateModel, CreateEndpointConfig (one state per endpoint type) and the endpoint's alarms, not yet chained. */
export function modelAndConfig(
  t: DeploymentTasks,
  alarmTopicArn: string | undefined,
  recordFailure: sfn.IChainable,
): ModelAndConfigStates {
  const createModel = t.sageMakerTask(
    S.createModel,
    'createModel',
    {
      Parameters: {
        'ModelName.$': '$.plan.createModel.ModelName',
        'PrimaryContainer.$': '$.plan.createModel.PrimaryContainer',
        // The model's own role (lib/constructs/deployment-pipeline.ts): PassRole allows only the model roles.
        'ExecutionRoleArn.$': '$.plan.createModel.ExecutionRoleArn',
        'EnableNetworkIsolation.$': '$.plan.createModel.EnableNetworkIsolation',
      } satisfies TaskParameters<CreateModelInput>,
    },
    recordFailure,
  );
  // A serverless config has no DataCaptureConfig or KmsKeyId (requests.ts says why), and a JSONPath to an absent
  // field fails the state: one typed state per endpoint type. The plan's request is built (and typed) in
  // lambdas/shared/endpoints/requests.ts; these take its per-deployment fields and fix the rest.
  const config = '$.plan.createEndpointConfig';
  const variant = `${config}.ProductionVariants[0]`;
  const createEndpointConfig = t.sageMakerTask(
    S.createEndpointConfig,
    'createEndpointConfig',
    {
      Parameters: {
        'EndpointConfigName.$': '$.plan.names.endpointConfigName',
        ProductionVariants: [
          {
            VariantName: VARIANT_NAME,
            'ModelName.$': '$.plan.names.modelName',
            ...fieldsFrom<ProductionVariant>(variant, ['InstanceType', 'InitialInstanceCount']),
            InitialVariantWeight: 1,
          },
        ],
        ...fieldsFrom<CreateEndpointConfigInput>(config, ['DataCaptureConfig', 'KmsKeyId']),
      } satisfies TaskParameters<CreateEndpointConfigInput>,
    },
    recordFailure,
  );
  const createServerlessEndpointConfig = t.sageMakerTask(
    S.createServerlessEndpointConfig,
    'createEndpointConfig',
    {
      Parameters: {
        'EndpointConfigName.$': '$.plan.names.endpointConfigName',
        ProductionVariants: [
          {
            VariantName: VARIANT_NAME,
            'ModelName.$': '$.plan.names.modelName',
            ...fieldsFrom<ProductionVariant>(variant, ['ServerlessConfig']),
          },
        ],
      } satisfies TaskParameters<CreateEndpointConfigInput>,
    },
    recordFailure,
  );
  // Each alarm's fixed fields as constants, its per-endpoint fields from the plan (alarms.ts builds both).
  const putAlarms = S.putAlarms.map((id, index) => {
    const kind = ALARM_KINDS[index] as AlarmKind;
    return catchInto(
      t.serviceTask(
        id,
        'aws-sdk:cloudwatch:putMetricAlarm',
        {
          Parameters: {
            ...FIXED_ALARM_FIELDS[kind],
            ...fieldsFrom<PutMetricAlarmInput>(`$.plan.alarms[${index}]`, VARYING_ALARM_FIELDS[kind]),
            ...(alarmTopicArn === undefined
              ? {}
              : { AlarmActions: [alarmTopicArn], OKActions: [alarmTopicArn] }),
          } satisfies TaskParameters<PutMetricAlarmInput>,
        },
        SDK_TRANSIENT_ERRORS.cloudwatch,
      ),
      recordFailure,
    );
  });
  return { createModel, createEndpointConfig, createServerlessEndpointConfig, putAlarms };
}

/** CreateEndpoint (a first deployment) and UpdateEndpoint (blue/green with the plan's DeploymentConfig). */
export function endpointChanges(
  t: DeploymentTasks,
  recordFailure: sfn.IChainable,
): { readonly createEndpoint: sfn.CustomState; readonly updateEndpoint: sfn.CustomState } {
  const endpointParameters = {
    'EndpointName.$': '$.plan.names.endpointName',
    'EndpointConfigName.$': '$.plan.names.endpointConfigName',
  };
  const createEndpoint = t.sageMakerTask(
    S.createEndpoint,
    'createEndpoint',
    { Parameters: endpointParameters satisfies TaskParameters<CreateEndpointInput> },
    recordFailure,
  );
  const updateEndpoint = t.sageMakerTask(
    S.updateEndpoint,
    'updateEndpoint',
    {
      Parameters: {
        ...endpointParameters,
        'DeploymentConfig.$': '$.plan.updateEndpoint.DeploymentConfig',
      } satisfies TaskParameters<UpdateEndpointInput>,
    },
    recordFailure,
  );
  return { createEndpoint, updateEndpoint };
}

/**
 * WaitForEndpoint (resumed by the endpoint's events) and, when no event came in time, one DescribeEndpoint;
 * both at `$.endpoint`, not yet chained to the outcome.
 */
export function endpointWait(
  t: DeploymentTasks,
  recordFailure: sfn.IChainable,
): { readonly waitForEndpoint: sfn.TaskStateBase; readonly describeAfterWait: sfn.CustomState } {
  const waitForEndpoint = t.waitOn(S.waitForEndpoint, '$.endpoint');
  // No event came in time: DescribeEndpoint once and decide on what it says.
  const describeAfterWait = catchInto(
    t.serviceTask(
      S.describeAfterWait,
      'aws-sdk:sagemaker:describeEndpoint',
      {
        Parameters: {
          'EndpointName.$': '$.plan.names.endpointName',
        } satisfies TaskParameters<DescribeEndpointInput>,
        // The whole output, no ResultSelector: FailureReason (why SageMaker rolled back or failed) is optional in
        // DescribeEndpoint's output (API_DescribeEndpoint, Response Syntax), and a selector path to an absent
        // field fails the state. EndpointStatus and EndpointConfigName, which the outcome reads, are required.
        ResultPath: '$.endpoint',
      },
      SDK_TRANSIENT_ERRORS.sagemaker,
    ),
    recordFailure,
  );
  waitForEndpoint.addCatch(describeAfterWait, { errors: ['States.Timeout'], resultPath: '$.waitError' });
  catchInto(waitForEndpoint, recordFailure);
  return { waitForEndpoint, describeAfterWait };
}

/**
 * How the endpoint ended. InService on the new config: `verify` it. InService on another config: SageMaker
 * rolled back (by an alarm, or silently). Failed after this deployment's CreateEndpoint: `deleteUnverified`.
 * Anything else: it failed, or was still changing when the wait ended.
 */
export function endpointOutcome(
  t: DeploymentTasks,
  next: {
    readonly verify: sfn.IChainable;
    readonly deleteUnverified: sfn.IChainable;
    readonly recordFailure: sfn.IChainable;
  },
): sfn.Choice {
  return new sfn.Choice(t.scope, S.endpointOutcome)
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.endpoint.EndpointStatus', 'InService'),
        sfn.Condition.isPresent('$.endpoint.EndpointConfigName'),
        sfn.Condition.stringEqualsJsonPath(
          '$.endpoint.EndpointConfigName',
          '$.plan.names.endpointConfigName',
        ),
      ),
      next.verify,
    )
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.plan.action', 'create'),
        sfn.Condition.stringEquals('$.endpoint.EndpointStatus', 'Failed'),
      ),
      next.deleteUnverified,
    )
    .otherwise(next.recordFailure);
}

/**
 * UpdateEndpoint, then the wait; before it, an autoscaled variant whose instance type changes is deregistered
 * (it cannot change while registered; gone already is fine).
 * @returns ChangesAutoscaledInstanceType, the way into the update
 */
export function endpointUpdate(
  t: DeploymentTasks,
  states: {
    readonly updateEndpoint: sfn.CustomState;
    readonly waitForEndpoint: sfn.IChainable;
    readonly recordFailure: sfn.IChainable;
  },
): sfn.Choice {
  const { updateEndpoint, recordFailure } = states;
  const deregister = t.serviceTask(
    S.deregisterScalableTarget,
    'aws-sdk:applicationautoscaling:deregisterScalableTarget',
    {
      Parameters: {
        ...VARIANT_SCALING,
        'ResourceId.$': '$.plan.deregisterScalableTarget.ResourceId',
      } satisfies TaskParameters<DeregisterScalableTargetRequest>,
    },
    SDK_TRANSIENT_ERRORS.autoscaling,
  );
  deregister.addCatch(updateEndpoint, {
    errors: ['ApplicationAutoScaling.ObjectNotFoundException'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  catchInto(deregister, recordFailure);
  updateEndpoint.next(states.waitForEndpoint);
  return new sfn.Choice(t.scope, S.changesInstanceType)
    .when(sfn.Condition.isNull('$.plan.deregisterScalableTarget'), updateEndpoint)
    .otherwise(deregister.next(updateEndpoint));
}

/**
 * Chains the endpoint config (by endpoint type), the alarms one after the other, and then CreateEndpoint and
 * the wait (no endpoint yet) or `update`.
 * @returns CreateModel, the first state of the chain
 */
export function endpointRollout(
  t: DeploymentTasks,
  states: ModelAndConfigStates & {
    readonly createEndpoint: sfn.CustomState;
    readonly waitForEndpoint: sfn.IChainable;
    readonly update: sfn.IChainable;
  },
): sfn.CustomState {
  const { createModel, createEndpointConfig, createServerlessEndpointConfig, putAlarms } = states;
  const [firstAlarm, ...otherAlarms] = putAlarms;
  if (firstAlarm === undefined) throw new Error('no endpoint alarms');
  createModel.next(
    new sfn.Choice(t.scope, S.isServerless)
      .when(
        sfn.Condition.stringEquals('$.plan.endpointType', 'serverless'),
        createServerlessEndpointConfig.next(firstAlarm),
      )
      .otherwise(createEndpointConfig.next(firstAlarm)),
  );
  let chain: sfn.INextable = firstAlarm;
  for (const alarm of otherAlarms) {
    chain.next(alarm);
    chain = alarm;
  }
  chain.next(
    new sfn.Choice(t.scope, S.hasEndpoint)
      .when(
        sfn.Condition.stringEquals('$.plan.action', 'create'),
        states.createEndpoint.next(states.waitForEndpoint),
      )
      .otherwise(states.update),
  );
  return createModel;
}
