/** Base class, so callers can tell registry refusals from infrastructure failures. */
export abstract class RegistryError extends Error {
  /** Stable machine-readable name (also the class name). */
  public abstract readonly code: string;
}

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `lineage.dataset.sha256`. */
  readonly field: string;
  readonly problem: string;
}

/** One or more input fields are missing or malformed. */
export class ValidationError extends RegistryError {
  public readonly code = 'ValidationError';
  public override readonly name = 'ValidationError';
  /** The first offending field. */
  public readonly field: string;

  constructor(public readonly problems: readonly [FieldProblem, ...FieldProblem[]]) {
    super(problems.map(({ field, problem }) => `${field}: ${problem}`).join('; '));
    this.field = problems[0].field;
  }
}

/** The lifecycle does not allow the requested status change. */
export class InvalidStatusTransitionError<S extends string = string> extends RegistryError {
  public readonly code = 'InvalidStatusTransitionError';
  public override readonly name = 'InvalidStatusTransitionError';

  /**
   * @param subject what is moving, e.g. `churn v3` or `run 42`; prefixes the message when given
   */
  constructor(
    public readonly from: S,
    public readonly to: S,
    public readonly allowed: readonly S[],
    public readonly subject?: string,
  ) {
    const why = allowed.length === 0 ? `${from} is final` : `allowed from ${from}: ${allowed.join(', ')}`;
    super(`${subject === undefined ? '' : `${subject}: `}cannot move from ${from} to ${to} (${why})`);
  }
}

/** The item changed between our read and our conditional write; re-read and decide again. */
export class ConcurrentModificationError extends RegistryError {
  public readonly code = 'ConcurrentModificationError';
  public override readonly name = 'ConcurrentModificationError';

  constructor(
    public readonly subject: string,
    public readonly expected: string,
    public readonly actual: string | undefined,
  ) {
    super(
      `${subject}: changed concurrently (expected ${expected}, found ${actual ?? 'nothing'}); read it again and retry`,
    );
  }
}

export class VersionNotFoundError extends RegistryError {
  public readonly code = 'VersionNotFoundError';
  public override readonly name = 'VersionNotFoundError';

  constructor(
    public readonly model: string,
    public readonly version: number,
  ) {
    super(`${model} v${version} does not exist`);
  }
}

/** The alias did not point where the caller expected (someone else moved it first). */
export class AliasConflictError extends RegistryError {
  public readonly code = 'AliasConflictError';
  public override readonly name = 'AliasConflictError';

  constructor(
    public readonly model: string,
    public readonly alias: string,
    public readonly expectedVersion: number | null,
    /** Where the alias points now; null when it does not exist. */
    public readonly actualVersion: number | null,
  ) {
    const show = (version: number | null): string => (version === null ? 'unset' : `v${version}`);
    super(`${model} ${alias}: expected ${show(expectedVersion)} but it is ${show(actualVersion)}`);
  }
}

/** Audit events are immutable: an event with this key was already recorded. */
export class EventAlreadyExistsError extends RegistryError {
  public readonly code = 'EventAlreadyExistsError';
  public override readonly name = 'EventAlreadyExistsError';

  constructor(
    public readonly model: string,
    public readonly eventId: string,
    public readonly at: string,
  ) {
    super(`${model}: audit event ${eventId} at ${at} already exists and cannot be overwritten`);
  }
}

export class RunNotFoundError extends RegistryError {
  public readonly code = 'RunNotFoundError';
  public override readonly name = 'RunNotFoundError';

  constructor(public readonly runId: string) {
    super(`run ${runId} does not exist`);
  }
}

/** updateRun's expectedStatus did not match the stored status. */
export class RunStatusConflictError extends RegistryError {
  public readonly code = 'RunStatusConflictError';
  public override readonly name = 'RunStatusConflictError';

  constructor(
    public readonly runId: string,
    public readonly expectedStatus: string,
    public readonly actualStatus: string,
  ) {
    super(`run ${runId}: expected status ${expectedStatus} but it is ${actualStatus}`);
  }
}

export class InvalidPageTokenError extends RegistryError {
  public readonly code = 'InvalidPageTokenError';
  public override readonly name = 'InvalidPageTokenError';

  constructor(public readonly problem: string) {
    super(`invalid nextToken: ${problem}`);
  }
}

/** Contention did not clear within the retry budget. Safe to retry the whole operation later. */
export class RetriesExhaustedError extends RegistryError {
  public readonly code = 'RetriesExhaustedError';
  public override readonly name = 'RetriesExhaustedError';

  constructor(
    public readonly operation: string,
    public readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(`${operation}: still contended after ${attempts} attempts`, options);
  }
}

/** A stored item does not have the shape this code writes (manual edit or incompatible writer). */
export class CorruptItemError extends RegistryError {
  public readonly code = 'CorruptItemError';
  public override readonly name = 'CorruptItemError';

  constructor(
    public readonly key: string,
    public readonly problem: string,
  ) {
    super(`stored item ${key} is malformed: ${problem}`);
  }
}

export class DeploymentNotFoundError extends RegistryError {
  public readonly code = 'DeploymentNotFoundError';
  public override readonly name = 'DeploymentNotFoundError';

  constructor(public readonly deploymentId: string) {
    super(`deployment ${deploymentId} does not exist`);
  }
}

/** A deployment id was reused for another model or version: ids name one request. */
export class DeploymentMismatchError extends RegistryError {
  public readonly code = 'DeploymentMismatchError';
  public override readonly name = 'DeploymentMismatchError';

  constructor(
    public readonly deploymentId: string,
    public readonly stored: string,
    public readonly requested: string,
  ) {
    super(`deployment ${deploymentId} exists for ${stored}, not ${requested}; use another deployment id`);
  }
}

/** Another deployment holds the model's lease and it has not expired. */
export class LeaseHeldError extends RegistryError {
  public readonly code = 'LeaseHeldError';
  public override readonly name = 'LeaseHeldError';

  constructor(
    public readonly model: string,
    /** The deployment that holds it. */
    public readonly holder: string,
    /** ISO-8601 UTC: when others may take it over unless the holder renews it. */
    public readonly expiresAt: string,
    public readonly requestedBy: string,
  ) {
    super(
      `${model}: deployment ${holder} holds the deployment lease until ${expiresAt}; ` +
        `${requestedBy} must wait for it to end`,
    );
  }
}

/** The caller does not hold the model's lease (it expired and was taken over, or was never taken). */
export class LeaseNotHeldError extends RegistryError {
  public readonly code = 'LeaseNotHeldError';
  public override readonly name = 'LeaseNotHeldError';

  constructor(
    public readonly model: string,
    public readonly deploymentId: string,
    /** Who holds it now; undefined when nobody does. */
    public readonly holder: string | undefined,
  ) {
    super(
      `${model}: deployment ${deploymentId} does not hold the deployment lease ` +
        `(${holder === undefined ? 'nobody does' : `deployment ${holder} does`})`,
    );
  }
}

/**
 * The alias moved after the deployment read it, so promoting would overwrite someone else's decision.
 * Nothing was written.
 */
export class AliasMovedError extends RegistryError {
  public readonly code = 'AliasMovedError';
  public override readonly name = 'AliasMovedError';

  constructor(
    public readonly model: string,
    public readonly alias: string,
    public readonly expected: { readonly version: number | null; readonly revision: number | null },
    public readonly actual: { readonly version: number | null; readonly revision: number | null },
  ) {
    const show = (at: { version: number | null; revision: number | null }): string =>
      at.version === null ? 'unset' : `v${at.version} (revision ${at.revision})`;
    super(
      `${model} ${alias}: moved while deploying (read ${show(expected)}, now ${show(actual)}); ` +
        'nothing was written',
    );
  }
}

/** The deployment ended (Promoted, Failed or RolledBack): nothing more can be recorded on it. */
export class DeploymentEndedError extends RegistryError {
  public readonly code = 'DeploymentEndedError';
  public override readonly name = 'DeploymentEndedError';

  constructor(
    public readonly deploymentId: string,
    public readonly status: string,
  ) {
    super(`deployment ${deploymentId} ended (${status}); nothing more can be recorded on it`);
  }
}
