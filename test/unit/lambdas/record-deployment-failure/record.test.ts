import { describe, expect, it } from 'vitest';
import { describeError, verdict } from '../../../../lambdas/record-deployment-failure/record';

describe('failure verdicts', () => {
  const base = {
    deploymentId: 'd1',
    model: 'churn',
    version: 2,
    kind: 'deploy' as const,
    requestedBy: 'ana',
    plan: {
      names: { endpointName: 'p-churn', endpointConfigName: 'p-churn-v2-a1' },
      previousConfigName: 'p-churn-v1-a1',
      waitTimeoutSeconds: 2400,
      alarms: [{ AlarmName: 'p-churn-invocation-5xx-errors' }, { AlarmName: 'p-churn-model-latency-p99' }],
    },
  };

  it('calls an endpoint InService on another config RolledBack, naming the alarm the event named', () => {
    expect(
      verdict({
        ...base,
        endpoint: {
          EndpointStatus: 'InService',
          EndpointConfigName: 'p-churn-v1-a1',
          deploymentEvent: { Reason: 'alarm p-churn-model-latency-p99 in ALARM' },
        },
      }),
    ).toEqual({
      outcome: 'RolledBack',
      reasons: [
        'SageMaker rolled endpoint p-churn back: it serves p-churn-v1-a1, not p-churn-v2-a1 (alarm p-churn-model-latency-p99)',
      ],
    });
  });

  it('names the alarm from the FailureReason when the endpoint state change resumed the workflow, not the deployment event', () => {
    const reason = 'Rolled back: alarm p-churn-invocation-5xx-errors is in ALARM';
    expect(
      verdict({
        ...base,
        endpoint: { EndpointStatus: 'InService', EndpointConfigName: 'p-churn-v1-a1', FailureReason: reason },
      }),
    ).toEqual({
      outcome: 'RolledBack',
      reasons: [
        'SageMaker rolled endpoint p-churn back: it serves p-churn-v1-a1, not p-churn-v2-a1 (alarm p-churn-invocation-5xx-errors)',
        `SageMaker: ${reason}`,
      ],
    });
  });

  it('calls a Failed endpoint, or one still changing after the wait, Failed with SageMaker’s reason', () => {
    expect(
      verdict({
        ...base,
        endpoint: {
          EndpointStatus: 'Failed',
          EndpointConfigName: 'p-churn-v2-a1',
          FailureReason: 'ping failed',
        },
      }),
    ).toEqual({ outcome: 'Failed', reasons: ['endpoint p-churn is Failed', 'SageMaker: ping failed'] });
    expect(
      verdict({ ...base, endpoint: { EndpointStatus: 'Updating', EndpointConfigName: 'p-churn-v1-a1' } })
        .reasons,
    ).toEqual(['endpoint p-churn was still Updating when the wait of 2400 s ended']);
    expect(verdict({ ...base, endpoint: { EndpointStatus: 'UpdateRollbackFailed' } }).reasons).toEqual([
      'endpoint p-churn is UpdateRollbackFailed',
    ]);
  });

  it('says a Failed first endpoint was deleted, or that deleting it failed and how to delete it', () => {
    const first = { ...base, plan: { ...base.plan, previousConfigName: null } };
    const endpoint = { EndpointStatus: 'Failed', EndpointConfigName: '', FailureReason: 'ping failed' };
    expect(verdict({ ...first, endpoint, deletedEndpoint: {} }).reasons).toEqual([
      'endpoint p-churn is Failed',
      'SageMaker: ping failed',
      'endpoint p-churn deleted: this deployment created it and it never served',
    ]);
    expect(
      verdict({
        ...first,
        endpoint,
        deleteError: { Error: 'SageMaker.ThrottlingException', Cause: 'Rate exceeded' },
      }).reasons.at(-1),
    ).toBe(
      'deleting endpoint p-churn, which this deployment created, failed: SageMaker.ThrottlingException: Rate exceeded; ' +
        'delete it (aws sagemaker delete-endpoint --endpoint-name p-churn) before the next deployment',
    );
  });

  it('reads a Lambda error document and says a held lease was waited for', () => {
    expect(
      describeError({
        Error: 'LeaseHeldError',
        Cause: JSON.stringify({
          errorType: 'LeaseHeldError',
          errorMessage: 'churn: deployment x holds the deployment lease',
        }),
      }),
    ).toBe(
      "gave up waiting for the model's deployment lease: churn: deployment x holds the deployment lease",
    );
    expect(
      describeError({ Error: 'SageMaker.AmazonSageMakerException', Cause: 'ValidationException: bad' }),
    ).toBe('SageMaker.AmazonSageMakerException: ValidationException: bad');
  });

  it('reports a failed smoke test with the restore that followed', () => {
    expect(
      verdict({
        ...base,
        endpoint: { EndpointStatus: 'InService', EndpointConfigName: 'p-churn-v2-a1' },
        smoke: { passed: false, reasons: ['row 1: 2 is not a probability in [0, 1]'] },
        restored: { EndpointStatus: 'InService', EndpointConfigName: 'p-churn-v1-a1' },
      }),
    ).toEqual({
      outcome: 'Failed',
      reasons: [
        'smoke test failed: row 1: 2 is not a probability in [0, 1]',
        'endpoint restored to p-churn-v1-a1',
      ],
    });
  });
});
