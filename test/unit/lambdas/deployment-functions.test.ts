import { describe, expect, it } from 'vitest';
import { supersededNames } from '../../../lambdas/finish-deployment/finish';
import { describeError, verdict } from '../../../lambdas/record-deployment-failure/record';
import { resumeIfSettled } from '../../../lambdas/shared/deployment/resume';
import type { Deployment } from '../../../lambdas/shared/registry';
import { predictionProblems } from '../../../lambdas/smoke-test/smoke';
import { startDeployment } from '../../../lambdas/start-deployment/start';

const logger = { appendKeys: () => undefined, info: () => undefined, warn: () => undefined } as never;

describe('smoke test predictions', () => {
  const binary = { validationUri: 's3://b/k', objective: 'binary:logistic' };

  it('accepts one probability per row, newline- or comma-separated, or as JSON', () => {
    expect(predictionProblems('0.1\n0.9\n0.5\n', 3, binary)).toEqual([]);
    expect(predictionProblems('0.1,0.9,0.5', 3, binary)).toEqual([]);
    expect(predictionProblems('[0.1, 0.9, 5e-1]', 3, binary)).toEqual([]);
  });

  it('names the rows whose value is no probability, and a wrong count', () => {
    expect(predictionProblems('0.1\n1.2\n-0.5\n', 3, binary)).toEqual([
      'row 2: 1.2 is not a probability in [0, 1]',
      'row 3: -0.5 is not a probability in [0, 1]',
    ]);
    expect(predictionProblems('0.1\n0.2\n', 3, binary)[0]).toMatch(
      /^expected 3 prediction\(s\) of 1 value\(s\) for 3 row\(s\), got 2/,
    );
  });

  it('checks multiclass probabilities per row and class indexes, and regression values are finite', () => {
    const softprob = { validationUri: 's3://b/k', objective: 'multi:softprob', numClass: 3 };
    expect(predictionProblems('0.2,0.3,0.5\n0.1,0.1,0.8\n', 2, softprob)).toEqual([]);
    expect(predictionProblems('0.2,0.3,0.6\n0.1,0.1,0.8\n', 2, softprob)).toEqual([
      'row 1: probabilities sum to 1.1, not 1',
    ]);
    expect(predictionProblems('0.2,0.8\n0.1,0.9\n', 2, softprob)[0]).toMatch(
      /^expected 2 prediction\(s\) of 3 value\(s\)/,
    );
    const softmax = { validationUri: 's3://b/k', objective: 'multi:softmax', numClass: 3 };
    expect(predictionProblems('0\n2\n', 2, softmax)).toEqual([]);
    expect(predictionProblems('0\n3\n', 2, softmax)).toEqual(['row 2: 3 is not a class index below 3']);
    const regression = { validationUri: 's3://b/k', objective: 'reg:squarederror' };
    expect(predictionProblems('12.5\n-3\n', 2, regression)).toEqual([]);
    expect(predictionProblems('12.5\nNaN\n', 2, regression)).toEqual(['row 2: not a finite number (NaN)']);
  });
});

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

describe('cleanup of superseded versions', () => {
  const deployment = (
    version: number,
    attempt: number,
    status: Deployment['status'],
    at: string,
  ): Deployment => ({
    deploymentId: `d-${version}-${attempt}`,
    model: 'm',
    version,
    attempt,
    kind: 'deploy',
    status,
    stages: [],
    reasons: [],
    endpointConfigName: `p-m-v${version}-a${attempt}`,
    startedBy: 'a',
    startedAt: at,
    updatedAt: at,
  });

  it('keeps the serving config and the newest superseded versions, deletes the rest and failed attempts', () => {
    const deployments = [
      deployment(1, 1, 'Promoted', '2026-01-01'),
      deployment(2, 1, 'Promoted', '2026-01-02'),
      deployment(3, 1, 'RolledBack', '2026-01-03'),
      deployment(3, 2, 'Promoted', '2026-01-04'),
      deployment(4, 1, 'Promoted', '2026-01-05'),
      deployment(5, 1, 'Deploying', '2026-01-06'),
    ];
    expect(supersededNames(deployments, 'p-m-v4-a1', 1).sort()).toEqual(['p-m-v1-a1', 'p-m-v2-a1']);
    expect(supersededNames(deployments, 'p-m-v4-a1', 3)).toEqual([]);
    expect(supersededNames(deployments, 'p-m-v4-a1', 0).sort()).toEqual([
      'p-m-v1-a1',
      'p-m-v2-a1',
      'p-m-v3-a1',
      'p-m-v3-a2',
    ]);
  });
});

describe('resuming a waiting deployment', () => {
  const endpoint = (status: string) => ({
    send: async () => ({ EndpointStatus: status, EndpointConfigName: 'c2' }),
  });

  it('resumes nobody while the endpoint changes, and ignores a token whose wait is over', async () => {
    let taken = 0;
    const registry = {
      takeEndpointWaiter: async () => {
        taken += 1;
        return { endpointName: 'e', taskToken: 't', deploymentId: 'd', createdAt: '' };
      },
    };
    const stale = {
      send: async () => Promise.reject(Object.assign(new Error('gone'), { name: 'TaskTimedOut' })),
    };

    expect(
      await resumeIfSettled('e', { registry, sagemaker: endpoint('Updating'), sfn: stale } as never),
    ).toEqual({
      resumed: false,
      why: 'endpoint is Updating',
    });
    expect(taken).toBe(0);
    expect(
      await resumeIfSettled('e', { registry, sagemaker: endpoint('InService'), sfn: stale } as never),
    ).toEqual({
      resumed: false,
      why: 'the waiting deployment d moved on (TaskTimedOut)',
    });
  });
});

describe('StartDeployment', () => {
  const deps = (calls: unknown[]) => ({
    sfn: {
      send: async (command: unknown) => {
        calls.push(command);
        return { executionArn: 'arn' };
      },
    },
    stateMachineArn: 'arn:sm',
    modes: { defaults: 'auto' as const },
    logger,
  });

  it('starts nothing for a registration that is not Approved, and refuses other events', async () => {
    const calls: unknown[] = [];
    expect(
      await startDeployment(
        {
          'detail-type': 'ModelRegistered',
          detail: { model: 'churn', version: 1, status: 'PendingApproval' },
        },
        deps(calls) as never,
      ),
    ).toEqual({ started: false, why: 'the version is not Approved' });
    await expect(
      startDeployment({ 'detail-type': 'Object Created', detail: {} }, deps(calls) as never),
    ).rejects.toThrow(/StartDeployment was invoked with an unexpected input/);
    expect(calls).toHaveLength(0);
  });
});
