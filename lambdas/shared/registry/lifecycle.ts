import { InvalidStatusTransitionError } from './errors';
import type { DeploymentStatus, InitialStatus, ModelVersionStatus, RunStatus } from './types';

/** Which status a model version may move to from each status. An empty list means final. */
export const VERSION_TRANSITIONS: { readonly [S in ModelVersionStatus]: readonly ModelVersionStatus[] } = {
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

/** A run ends once; a late or duplicate "Running" update must not revive it. */
export const RUN_TRANSITIONS: { readonly [S in RunStatus]: readonly RunStatus[] } = {
  Running: ['Succeeded', 'Failed'],
  Succeeded: [],
  Failed: [],
};

/**
 * A deployment is recorded (Started), begins under its lease (Deploying) and ends once: Promoted, Failed or
 * RolledBack. It may fail before it begins (the lease stayed held by another deployment).
 */
export const DEPLOYMENT_TRANSITIONS: { readonly [S in DeploymentStatus]: readonly DeploymentStatus[] } = {
  Started: ['Deploying', 'Failed'],
  Deploying: ['Promoted', 'Failed', 'RolledBack'],
  Promoted: [],
  Failed: [],
  RolledBack: [],
};

/** Statuses a version may be registered in: Registered itself or anything one move away from it. */
export const INITIAL_STATUSES = [
  'Registered',
  'PendingApproval',
  'Approved',
  'Rejected',
] as const satisfies readonly InitialStatus[];

/** The statuses `from` may move to. */
export function allowedTransitions(from: ModelVersionStatus): readonly ModelVersionStatus[] {
  return VERSION_TRANSITIONS[from];
}

export function canTransition(from: ModelVersionStatus, to: ModelVersionStatus): boolean {
  return VERSION_TRANSITIONS[from].includes(to);
}

/**
 * Throws unless the lifecycle allows moving a version from `from` to `to`.
 * @param subject names the version in the message, e.g. `churn v3`
 * @throws InvalidStatusTransitionError naming both states and what is allowed instead
 */
export function assertTransition(from: ModelVersionStatus, to: ModelVersionStatus, subject?: string): void {
  assertAllowed(VERSION_TRANSITIONS, from, to, subject);
}

/** Like assertTransition, for run statuses. */
export function assertRunTransition(from: RunStatus, to: RunStatus, subject?: string): void {
  assertAllowed(RUN_TRANSITIONS, from, to, subject);
}

/** Like assertTransition, for deployment statuses. */
export function assertDeploymentTransition(
  from: DeploymentStatus,
  to: DeploymentStatus,
  subject?: string,
): void {
  assertAllowed(DEPLOYMENT_TRANSITIONS, from, to, subject);
}

function assertAllowed<S extends string>(
  transitions: { readonly [K in S]: readonly S[] },
  from: S,
  to: S,
  subject: string | undefined,
): void {
  const allowed = transitions[from];
  if (!allowed.includes(to)) throw new InvalidStatusTransitionError(from, to, allowed, subject);
}
