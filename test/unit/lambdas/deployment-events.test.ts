import { describe, expect, it } from 'vitest';
import { deploymentIdFor, deploymentRequestedDetailSchema } from '../../../lambdas/shared/events';

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
