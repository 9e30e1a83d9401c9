/**
 * The deployment workflow's failure path: put the previous endpoint config back (or delete an endpoint this
 * deployment created that never proved itself), record why the deployment failed, announce it, release the
 * lease and fail the execution.
 */
import type { DeleteEndpointInput, UpdateEndpointInput } from '@aws-sdk/client-sagemaker';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DEPLOYMENT_FAILED } from '../../../lambdas/shared/events';
import { DeploymentStates as S } from './states';
import { type DeploymentTasks, SDK_TRANSIENT_ERRORS, type TaskParameters } from './tasks';

/**
 * Failure: record why, announce it, release the lease, fail the execution.
 * @returns RecordDeploymentFailure, where every failure goes
 */
export function failureRecording(
  t: DeploymentTasks,
  props: {
    readonly recordFailure: lambda.IFunction;
    readonly finish: lambda.IFunction;
    readonly eventBus: events.IEventBus;
  },
): sfn.TaskStateBase {
  const failed = new sfn.Fail(t.scope, S.failed, {
    error: 'DeploymentNotPromoted',
    cause: 'The deployment ended without promotion; `mlops deployments show <deploymentId>` has its reasons.',
  });
  const finishFailed = t.invoke(
    S.finishFailed,
    props.finish,
    { 'deploymentId.$': '$.deploymentId', 'model.$': '$.model' },
    '$.finish',
  );
  finishFailed.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.finishError' }).next(failed);
  const publishFailed = t.publishEvent(S.publishFailed, DEPLOYMENT_FAILED, '$.failure', props.eventBus);
  publishFailed.addCatch(finishFailed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  publishFailed.next(finishFailed);
  // The whole state: which of plan, endpoint, smoke, error, restore it holds depends on where it failed.
  const recordFailure = t.invoke(S.recordFailure, props.recordFailure, { 'state.$': '$' }, '$.failure');
  recordFailure.addCatch(finishFailed, { errors: ['States.ALL'], resultPath: '$.recordError' });
  recordFailure.next(publishFailed);
  return recordFailure;
}

/**
 * Rollback after the new config served and then failed (smoke test, promotion), or after a first endpoint
 * failed: the previous config back and waited for, or the unverified endpoint deleted; then `recordFailure`.
 * @returns HasPreviousConfig (where a failed smoke test or promotion goes) and DeleteUnverifiedEndpoint
 */
export function rollback(
  t: DeploymentTasks,
  recordFailure: sfn.IChainable,
): { readonly hasPrevious: sfn.Choice; readonly deleteUnverified: sfn.CustomState } {
  // Restore: a smoke test or promotion failed with the new config serving.
  const restoreFailed = recordFailure;
  const waitForRestore = t.waitOn(S.waitForRestore, '$.restored');
  waitForRestore.addCatch(restoreFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' });
  waitForRestore.next(recordFailure);
  const restorePrevious = t.sageMakerTask(
    S.restorePrevious,
    'updateEndpoint',
    {
      Parameters: {
        'EndpointName.$': '$.plan.names.endpointName',
        'EndpointConfigName.$': '$.plan.previousConfigName',
      } satisfies TaskParameters<UpdateEndpointInput>,
    },
    restoreFailed,
    '$.restoreError',
  );
  // An endpoint this deployment created that failed (SageMaker left it Failed: "DeleteEndpoint is the only
  // operation that can be performed", EndpointStatus in API_DescribeEndpoint) or failed its smoke test serves
  // nothing else: delete it, so that the next deployment creates it afresh rather than finding it Failed.
  const deleteUnverified = t.serviceTask(
    S.deleteUnverified,
    'aws-sdk:sagemaker:deleteEndpoint',
    {
      Parameters: {
        'EndpointName.$': '$.plan.names.endpointName',
      } satisfies TaskParameters<DeleteEndpointInput>,
      // DeleteEndpoint answers {} (API_DeleteEndpoint): its presence tells RecordDeploymentFailure it was deleted.
      ResultPath: '$.deletedEndpoint',
    },
    SDK_TRANSIENT_ERRORS.sagemaker,
  );
  deleteUnverified.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.deleteError' });
  deleteUnverified.next(recordFailure);
  const hasPrevious = new sfn.Choice(t.scope, S.hasPrevious)
    .when(sfn.Condition.isString('$.plan.previousConfigName'), restorePrevious.next(waitForRestore))
    .otherwise(deleteUnverified);
  return { hasPrevious, deleteUnverified };
}
