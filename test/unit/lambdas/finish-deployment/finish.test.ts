import { describe, expect, it } from 'vitest';
import { supersededNames } from '../../../../lambdas/finish-deployment/finish';
import type { Deployment } from '../../../../lambdas/shared/registry';

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
