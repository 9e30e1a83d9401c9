/** Every status a model version can be in; lifecycle.ts says which moves are allowed. */
export const MODEL_VERSION_STATUSES = [
  'Registered',
  'PendingApproval',
  'Approved',
  'Rejected',
  'Deploying',
  'Deployed',
  'Failed',
  'RolledBack',
  'Retired',
] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export const RUN_STATUSES = ['Running', 'Succeeded', 'Failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const ALIAS_NAMES = ['production', 'staging'] as const;
export type AliasName = (typeof ALIAS_NAMES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The exact S3 object a version was trained on. */
export interface DatasetObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  /** Lowercase hex SHA-256 of the object's bytes. */
  readonly sha256: string;
  readonly rowCount: number;
}

/** Where a version came from: data -> training job -> artifact, and the run that produced it. */
export interface Lineage {
  readonly dataset: DatasetObject;
  readonly trainingJobName: string;
  /** Training image URI. */
  readonly image: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
  /** s3:// URI of model.tar.gz. */
  readonly artifactUri: string;
  /** The Step Functions execution that trained it. */
  readonly executionArn: string;
  readonly runId: string;
}

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  readonly status: ModelVersionStatus;
  readonly statusReason?: string;
  /** ISO-8601 UTC. */
  readonly statusChangedAt: string;
  readonly statusChangedBy: string;
  readonly createdAt: string;
  readonly lineage: Lineage;
}

export interface ModelSummary {
  readonly model: string;
  /** Highest version number allocated so far (versions are 1..latestVersion, no gaps). */
  readonly latestVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Alias {
  readonly model: string;
  readonly alias: AliasName;
  readonly version: number;
  /** Starts at 1 and grows by one on every move. */
  readonly revision: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason?: string;
}

/** The S3 object a run was started for; versionId is absent on unversioned buckets. */
export interface DatasetPointer {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface Run {
  readonly runId: string;
  readonly model: string;
  readonly status: RunStatus;
  readonly dataset: DatasetPointer;
  readonly executionArn?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** The pipeline step the run is in (or failed in). */
  readonly step?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The model version the run registered (for a duplicate: the version of the run it duplicates). */
  readonly version?: number;
  /** The run that already trained these bytes (same sha256): this run ended without training. */
  readonly duplicateOf?: string;
  /** The run this one runs again (`mlops runs retry`). */
  readonly retryOf?: string;
  /** Trains even when the bytes were trained before (set on retries). */
  readonly forced?: boolean;
}

/** A dataset (by sha256) a model's run trained and registered a version from. */
export interface TrainedDataset {
  readonly model: string;
  readonly sha256: string;
  /** The first run that registered a version from these bytes. */
  readonly runId: string;
  readonly version: number;
  readonly createdAt: string;
}

/** An immutable record of a decision. */
export interface AuditEvent {
  readonly id: string;
  readonly model: string;
  /** PascalCase, e.g. VersionRegistered, StatusChanged, AliasMoved, RunStarted. */
  readonly type: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly actor: string;
  readonly reasons: readonly string[];
  readonly details: JsonObject;
  readonly runId?: string;
  readonly version?: number;
}

/** Event types this client writes itself. */
export const REGISTRY_EVENT_TYPES = {
  versionRegistered: 'VersionRegistered',
  statusChanged: 'StatusChanged',
  aliasMoved: 'AliasMoved',
  runStarted: 'RunStarted',
  runSucceeded: 'RunSucceeded',
  runFailed: 'RunFailed',
  /** A run created by `mlops runs retry`, instead of RunStarted. */
  runRetried: 'RunRetried',
  /** A run that ended as a duplicate of a run that trained the same bytes, instead of RunSucceeded. */
  runDuplicate: 'RunDuplicate',
} as const;

export interface PageRequest {
  /** 1..1000. @default 100 */
  readonly limit?: number;
  /** The nextToken of the previous page (undefined: the first page). */
  readonly nextToken?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when there may be more items. */
  readonly nextToken?: string;
}

/** The statuses a version may be registered in: Registered or one move away from it. */
export type InitialStatus = 'Registered' | 'PendingApproval' | 'Approved' | 'Rejected';

export interface RegisterVersionInput {
  readonly lineage: Lineage;
  /** @default 'Registered' */
  readonly status?: InitialStatus;
  /** Why the version has its status; none when undefined. */
  readonly reason?: string | undefined;
  /** @default the client's defaultActor */
  readonly actor?: string;
}

export interface RegisterVersionResult {
  /** false when this run had already registered a version: that version is returned, nothing is written. */
  readonly created: boolean;
  readonly version: ModelVersion;
}

export interface ChangeStatusOptions {
  readonly reason: string;
  readonly actor: string;
}

export interface SetAliasOptions {
  /** The version the caller believes the alias points at now; null = the alias must not exist yet. */
  readonly expectedVersion: number | null;
  readonly reason?: string;
  /** @default the client's defaultActor */
  readonly actor?: string;
}

export interface CreateRunInput {
  readonly runId: string;
  readonly model: string;
  /** @default 'Running' */
  readonly status?: RunStatus;
  readonly dataset: DatasetPointer;
  readonly executionArn?: string;
  /** @default now */
  readonly startedAt?: string | Date;
  readonly endedAt?: string | Date;
  readonly step?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly version?: number;
  readonly retryOf?: string;
  readonly forced?: boolean;
  /** Recorded on the RunStarted (RunRetried with `retryOf`) event. @default the client's defaultActor */
  readonly actor?: string;
  /** The reasons recorded on that event (e.g. why a retry was asked for). @default the error, if any */
  readonly reasons?: readonly string[];
}

export interface CreateRunResult {
  /** false when the run already existed (a duplicate delivery): `run` is the stored one, unchanged. */
  readonly created: boolean;
  readonly run: Run;
}

/** Fields updateRun may set; absent fields are left as they are. */
export interface RunPatch {
  readonly status?: RunStatus;
  readonly executionArn?: string;
  readonly endedAt?: string | Date;
  readonly step?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly version?: number;
  readonly duplicateOf?: string;
}

export interface UpdateRunOptions {
  /** Apply the patch only if the run is in this status (else RunStatusConflictError). */
  readonly expectedStatus?: RunStatus;
  /** Recorded on the RunSucceeded/RunFailed event. @default the client's defaultActor */
  readonly actor?: string;
  /**
   * The type of the event a status change records, e.g. RunDuplicate.
   * @default RunSucceeded or RunFailed, after the new status
   */
  readonly eventType?: string;
  /** The event's reasons. @default the run's error, if any */
  readonly reasons?: readonly string[];
}

export interface AppendEventInput {
  readonly model: string;
  readonly type: string;
  /** @default now */
  readonly at?: string | Date;
  readonly actor: string;
  readonly reasons?: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly runId?: string;
  readonly version?: number;
  /**
   * Pass a deterministic id (with a deterministic `at`) to make a redelivered event collide instead of
   * being recorded twice. @default a generated id
   */
  readonly id?: string;
}
