import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  assertDeploymentTransition,
  assertRunTransition,
  assertTransition,
  canTransition,
  DEPLOYMENT_STATUSES,
  DEPLOYMENT_TRANSITIONS,
  type DeploymentStatus,
  INITIAL_STATUSES,
  InvalidStatusTransitionError,
  MODEL_VERSION_STATUSES,
  type ModelVersionStatus,
  RUN_STATUSES,
  type RunStatus,
} from '../../../../../lambdas/shared/registry';

// The lifecycle restated from the spec, independently of lifecycle.ts, so a change there shows up here.
const EXPECTED: Record<ModelVersionStatus, ModelVersionStatus[]> = {
  Registered: ['PendingApproval', 'Approved', 'Rejected'],
  PendingApproval: ['Approved', 'Rejected'],
  Approved: ['Deploying', 'Retired'],
  Deploying: ['Deployed', 'Failed', 'RolledBack'],
  Deployed: ['Retired', 'RolledBack'],
  Retired: ['Deploying'],
  RolledBack: ['Deploying', 'Retired'],
  Failed: ['Deploying', 'Retired'],
  Rejected: [],
};

const pairs = MODEL_VERSION_STATUSES.flatMap((from) => MODEL_VERSION_STATUSES.map((to) => ({ from, to })));
const allowedPairs = pairs.filter(({ from, to }) => EXPECTED[from].includes(to));
const refusedPairs = pairs.filter(({ from, to }) => !EXPECTED[from].includes(to));

function refusal(action: () => void): InvalidStatusTransitionError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidStatusTransitionError) return error;
    throw error;
  }
  throw new Error('expected InvalidStatusTransitionError, nothing was thrown');
}

describe('model version lifecycle', () => {
  it('covers every status, and only the statuses of the spec', () => {
    // Assess
    expect([...MODEL_VERSION_STATUSES].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(allowedPairs).toHaveLength(17);
    expect(refusedPairs).toHaveLength(81 - 17);
  });

  it.each(allowedPairs)('allows $from -> $to', ({ from, to }) => {
    // Act
    const act = () => assertTransition(from, to, 'churn v3');

    // Assess
    expect(act).not.toThrow();
    expect(canTransition(from, to)).toBe(true);
    expect(allowedTransitions(from)).toContain(to);
  });

  it.each(refusedPairs)('refuses $from -> $to, naming both states and what is allowed', ({ from, to }) => {
    // Act
    const error = refusal(() => assertTransition(from, to, 'churn v3'));

    // Assess
    expect(canTransition(from, to)).toBe(false);
    expect(error).toMatchObject({ from, to, allowed: EXPECTED[from], subject: 'churn v3' });
    const why =
      EXPECTED[from].length === 0 ? `${from} is final` : `allowed from ${from}: ${EXPECTED[from].join(', ')}`;
    expect(error.message).toBe(`churn v3: cannot move from ${from} to ${to} (${why})`);
  });

  it('words the refusal of a final state and of a non-final one as documented', () => {
    // Act
    const final = refusal(() => assertTransition('Rejected', 'Deploying', 'churn v3'));
    const other = refusal(() => assertTransition('Approved', 'Deployed', 'churn v3'));
    const anonymous = refusal(() => assertTransition('Deployed', 'Approved'));

    // Assess
    expect(final.message).toBe('churn v3: cannot move from Rejected to Deploying (Rejected is final)');
    expect(other.message).toBe(
      'churn v3: cannot move from Approved to Deployed (allowed from Approved: Deploying, Retired)',
    );
    expect(anonymous.message).toBe(
      'cannot move from Deployed to Approved (allowed from Deployed: Retired, RolledBack)',
    );
  });

  it('lets a version be registered in Registered or any status one move away from it', () => {
    // Assess
    expect([...INITIAL_STATUSES].sort()).toEqual(['Registered', ...EXPECTED.Registered].sort());
  });
});

describe('run lifecycle', () => {
  const runExpected: Record<RunStatus, RunStatus[]> = {
    Running: ['Succeeded', 'Failed'],
    Succeeded: [],
    Failed: [],
  };
  const runPairs = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => ({ from, to })));

  it.each(runPairs)('decides $from -> $to as specified', ({ from, to }) => {
    // Act
    const act = () => assertRunTransition(from, to, 'run r1');

    // Assess
    if (runExpected[from].includes(to)) expect(act).not.toThrow();
    else expect(act).toThrow(InvalidStatusTransitionError);
  });
});

describe('deployment lifecycle', () => {
  // Restated from the deployment workflow's design: recorded, begun under the lease, ended once.
  const deploymentExpected: Record<DeploymentStatus, DeploymentStatus[]> = {
    Started: ['Deploying', 'Failed'],
    Deploying: ['Promoted', 'Failed', 'RolledBack'],
    Promoted: [],
    Failed: [],
    RolledBack: [],
  };
  const deploymentPairs = DEPLOYMENT_STATUSES.flatMap((from) =>
    DEPLOYMENT_STATUSES.map((to) => ({ from, to })),
  );

  it('covers every deployment status', () => {
    // Assess
    expect(Object.keys(DEPLOYMENT_TRANSITIONS).sort()).toEqual([...DEPLOYMENT_STATUSES].sort());
    expect(Object.keys(deploymentExpected).sort()).toEqual([...DEPLOYMENT_STATUSES].sort());
  });

  it.each(deploymentPairs)('decides $from -> $to as specified', ({ from, to }) => {
    // Act
    const act = () => assertDeploymentTransition(from, to, 'deployment d1');

    // Assess
    if (deploymentExpected[from].includes(to)) expect(act).not.toThrow();
    else expect(act).toThrow(InvalidStatusTransitionError);
  });

  it('names the deployment and what is allowed when refusing', () => {
    // Act
    const ended = refusal(() => assertDeploymentTransition('Promoted', 'Failed', 'deployment d1'));
    const early = refusal(() => assertDeploymentTransition('Started', 'RolledBack', 'deployment d1'));

    // Assess
    expect(ended.message).toBe('deployment d1: cannot move from Promoted to Failed (Promoted is final)');
    expect(early.message).toBe(
      'deployment d1: cannot move from Started to RolledBack (allowed from Started: Deploying, Failed)',
    );
  });

  it('lets a version go through every move a deployment makes', () => {
    // Prepare: begin (any deployable status), promote (and retire the previous), fail, roll back
    const moves: [ModelVersionStatus, ModelVersionStatus][] = [
      ['Approved', 'Deploying'],
      ['Retired', 'Deploying'],
      ['Failed', 'Deploying'],
      ['RolledBack', 'Deploying'],
      ['Deploying', 'Deployed'],
      ['Deploying', 'Failed'],
      ['Deploying', 'RolledBack'],
      ['Deployed', 'Retired'],
    ];

    // Assess
    for (const [from, to] of moves) expect(canTransition(from, to), `${from} -> ${to}`).toBe(true);
    expect(canTransition('Deployed', 'Deploying')).toBe(false);
    expect(canTransition('PendingApproval', 'Deploying')).toBe(false);
  });
});
