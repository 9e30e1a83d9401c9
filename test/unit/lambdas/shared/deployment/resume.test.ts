import { describe, expect, it } from 'vitest';
import { resumeIfSettled } from '../../../../../lambdas/shared/deployment/resume';

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
