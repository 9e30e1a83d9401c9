import { describe, expect, it } from 'vitest';
import {
  blueGreenStage,
  deploymentOfStage,
  modelsOfEndpoint,
} from '../../../../lambdas/endpoint-event/resume';
import { endpointName } from '../../../../lambdas/shared/endpoints/naming';
import { deploymentIdFor, deploymentRequestedDetailSchema } from '../../../../lambdas/shared/events';

describe('Deployment Requested events', () => {
  const detail = {
    model: 'churn',
    version: 3,
    kind: 'deploy' as const,
    requestId: '3f1c2a4e-8d1b-4c55-9a4e-1b2c3d4e5f60',
    requestedBy: 'ana@laptop',
  };

  it('names one deployment per request, the same on every delivery', () => {
    const id = deploymentIdFor(detail);
    expect(id).toMatch(/^churn-v3-[0-9a-f]{16}$/);
    expect(deploymentIdFor({ ...detail })).toBe(id);
    expect(deploymentIdFor({ ...detail, requestId: 'other' })).not.toBe(id);
    expect(deploymentIdFor({ ...detail, kind: 'rollback' })).not.toBe(id);
    expect(deploymentIdFor({ ...detail, version: 4 })).not.toBe(id);
  });

  it('fits a Step Functions execution name for the longest model and version', () => {
    const id = deploymentIdFor({ ...detail, model: 'a'.repeat(32), version: 9_999_999_999 });
    expect(id.length).toBeLessThanOrEqual(80);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('accepts what the CLI sends and refuses a request id that could not name an execution', () => {
    expect(deploymentRequestedDetailSchema.parse({ ...detail, reason: 'hotfix' })).toMatchObject({
      reason: 'hotfix',
    });
    expect(deploymentRequestedDetailSchema.safeParse({ ...detail, requestId: 'a b' }).success).toBe(false);
    expect(deploymentRequestedDetailSchema.safeParse({ ...detail, kind: 'promote' }).success).toBe(false);
  });
});

describe('the models an endpoint name may stand for', () => {
  it('gives each prefix/model split that names the endpoint back, so a lease lookup finds the model', () => {
    expect(modelsOfEndpoint('serverlessmlops-churn')).toEqual(['churn']);
    // Both the prefix and the model may hold hyphens: every split is a candidate, the lease tells them apart.
    expect(modelsOfEndpoint(endpointName('my-stack', 'fraud-detector'))).toEqual([
      'stack-fraud-detector',
      'fraud-detector',
      'detector',
    ]);
    const longest = endpointName('a'.repeat(20), 'b'.repeat(32));
    expect(modelsOfEndpoint(longest)).toContain('b'.repeat(32));
    // A prefix longer than 20 characters, or no hyphen at all: not one of ours.
    expect(modelsOfEndpoint(`${'a'.repeat(21)}-churn`)).toEqual([]);
    expect(modelsOfEndpoint('churn')).toEqual([]);
  });
});

describe('the deployment a blue/green stage belongs to', () => {
  const deployments: Record<
    string,
    { deploymentId: string; endpointName: string; endpointConfigName: string }
  > = {
    old: {
      deploymentId: 'old',
      endpointName: 'serverlessmlops-churn',
      endpointConfigName: 'serverlessmlops-churn-v1-a1',
    },
    now: {
      deploymentId: 'now',
      endpointName: 'serverlessmlops-churn',
      endpointConfigName: 'serverlessmlops-churn-v2-a1',
    },
  };
  const registry = (waiter: string | undefined, holder: string | undefined) =>
    ({
      getEndpointWaiter: async () => (waiter === undefined ? undefined : { deploymentId: waiter }),
      getDeploymentLease: async (model: string) =>
        model === 'churn' && holder !== undefined ? { holder } : undefined,
      getDeployment: async (id: string) => deployments[id],
    }) as never;

  it("is the lease holder's when a waiter left by an earlier deployment names another config", async () => {
    // Act / Assess
    expect(
      await deploymentOfStage('serverlessmlops-churn', 'serverlessmlops-churn-v2-a1', registry('old', 'now')),
    ).toBe('now');
  });

  it("is the waiter's when its deployment planned that config, and nobody's when none did", async () => {
    // Act / Assess
    expect(
      await deploymentOfStage(
        'serverlessmlops-churn',
        'serverlessmlops-churn-v2-a1',
        registry('now', undefined),
      ),
    ).toBe('now');
    expect(
      await deploymentOfStage('serverlessmlops-churn', 'serverlessmlops-churn-v3-a1', registry('old', 'now')),
    ).toBeUndefined();
  });
});

describe('a blue/green stage from a Deployment State Change detail', () => {
  const detail = (status: string, startTime: number | string | undefined) => ({
    PendingDeploymentSummary: {
      EndpointConfigName: 'serverlessmlops-churn-v2-a1',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          CurrentWeight: 0.5,
          DesiredWeight: 1,
          VariantStatus: [{ Status: status, ...(startTime === undefined ? {} : { StartTime: startTime }) }],
        },
      ],
    },
  });

  it('is timed by when SageMaker says it began, so stages delivered out of order list in order', () => {
    // Prepare: Creating began before ActivatingTraffic, whichever event arrives first.
    const creating = blueGreenStage(detail('Creating', Date.UTC(2026, 10, 30, 12, 0, 0)));
    const shifting = blueGreenStage(detail('ActivatingTraffic', '2026-11-30T12:00:05Z'));
    // Assess
    expect(creating).toMatchObject({ name: 'BlueGreen:Creating', at: '2026-11-30T12:00:00.000Z' });
    expect(shifting).toMatchObject({
      name: 'BlueGreen:ActivatingTraffic:50',
      at: '2026-11-30T12:00:05.000Z',
    });
  });

  it('has no time of its own when the event carries none or an unreadable one', () => {
    expect(blueGreenStage(detail('Baking', undefined))).not.toHaveProperty('at');
    expect(blueGreenStage(detail('Baking', 'yesterday'))).not.toHaveProperty('at');
  });
});
