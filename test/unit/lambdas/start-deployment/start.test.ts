import { describe, expect, it } from 'vitest';
import { startDeployment } from '../../../../lambdas/start-deployment/start';

const logger = { appendKeys: () => undefined, info: () => undefined, warn: () => undefined } as never;

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
