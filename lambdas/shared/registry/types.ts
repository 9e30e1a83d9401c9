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

/**
 * A deployment's own status (lifecycle.ts): Started (recorded, lease not yet taken) → Deploying (lease held,
 * version Deploying, production baseline read) → Promoted | Failed | RolledBack, all three final.
 */
export const DEPLOYMENT_STATUSES = ['Started', 'Deploying', 'Promoted', 'Failed', 'RolledBack'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** `deploy`: an approved version; `rollback`: a version that served before (`mlops rollback`). */
export const DEPLOYMENT_KINDS = ['deploy', 'rollback'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

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
  /** The version's last promotion to production (kept once Retired: a rollback may return to it). */
  readonly deployment?: VersionDeployment;
}

/** What served a version: written by the promotion transaction. */
export interface VersionDeployment {
  readonly deploymentId: string;
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly deployedAt: string;
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

/** One step a deployment went through, e.g. EndpointConfigCreated or a blue/green traffic shift. */
export interface DeploymentStage {
  /** Unique within the deployment; a redelivered stage with the same name keeps the first record. */
  readonly name: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly details: JsonObject;
}

/** Where the `production` alias pointed when the deployment began (under its lease). */
export interface ProductionBaseline {
  /** null: the model had no production version yet. */
  readonly version: number | null;
  /** The alias revision the promotion is conditioned on; null: the alias did not exist. */
  readonly revision: number | null;
}

/** One attempt to put a version on the model's endpoint. */
export interface Deployment {
  /** Deterministic per request (e.g. the workflow's execution name): a redelivered request is the same one. */
  readonly deploymentId: string;
  readonly model: string;
  readonly version: number;
  /** 1 for a version's first deployment; names its endpoint config apart from earlier attempts. */
  readonly attempt: number;
  readonly kind: DeploymentKind;
  readonly status: DeploymentStatus;
  /** In the order they happened. */
  readonly stages: readonly DeploymentStage[];
  /** Why it ended as it did (alarm names, the smoke test's verdict, an error); empty while running. */
  readonly reasons: readonly string[];
  readonly endpointName?: string;
  readonly endpointConfigName?: string;
  readonly executionArn?: string;
  /** Set when the deployment began (beginDeployment). */
  readonly baseline?: ProductionBaseline;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
}

/** The per-model deployment lease: one deployment at a time may touch the model's endpoint. */
export interface DeploymentLease {
  readonly model: string;
  /** The deployment that holds it. */
  readonly holder: string;
  readonly acquiredAt: string;
  /** ISO-8601 UTC; after it anyone may take the lease over. */
  readonly expiresAt: string;
}

/** A workflow waiting for its endpoint's next state change (resumed by the endpoint-event function). */
export interface EndpointWaiter {
  readonly endpointName: string;
  /** The Step Functions task token to resume. */
  readonly taskToken: string;
  readonly deploymentId: string;
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
  deploymentStarted: 'DeploymentStarted',
  /** A deployment took its lease, read the production baseline and moved its version to Deploying. */
  deploymentBegan: 'DeploymentBegan',
  /** Written by the promotion transaction with the alias move and the status changes. */
  modelDeployed: 'ModelDeployed',
  /** A deployment ended Failed or RolledBack (details.outcome says which). */
  deploymentFailed: 'DeploymentFailed',
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

export interface CreateDeploymentInput {
  readonly deploymentId: string;
  readonly model: string;
  readonly version: number;
  /** @default 1 */
  readonly attempt?: number;
  /** @default 'deploy' */
  readonly kind?: DeploymentKind;
  readonly executionArn?: string;
  /** @default the client's defaultActor */
  readonly actor?: string;
  /** Why the deployment was asked for (recorded on its DeploymentStarted event). */
  readonly reason?: string;
}

export interface CreateDeploymentResult {
  /** false when the deployment id existed already: `deployment` is the stored one, unchanged. */
  readonly created: boolean;
  readonly deployment: Deployment;
}

/** A stage to record and names learnt on the way; absent fields are left as they are. */
export interface DeploymentProgress {
  readonly stage?: {
    readonly name: string;
    readonly at?: string | Date;
    readonly details?: Readonly<Record<string, unknown>>;
  };
  readonly endpointName?: string;
  readonly endpointConfigName?: string;
  readonly executionArn?: string;
}

export interface BeginDeploymentOptions {
  /** @default the client's defaultActor */
  readonly actor?: string;
}

export interface PromoteDeploymentInput {
  readonly endpointName: string;
  readonly endpointConfigName: string;
  /** Recorded on the status changes and the ModelDeployed event. @default 'deployment <id> promoted' */
  readonly reason?: string;
  /** @default the client's defaultActor */
  readonly actor?: string;
  /** Recorded on the ModelDeployed event, e.g. the smoke test's latency. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface PromotionResult {
  /** false when the deployment was promoted already (a re-run): nothing was written. */
  readonly promoted: boolean;
  readonly deployment: Deployment;
  readonly version: ModelVersion;
  readonly alias: Alias;
  /** The version that was production before and is now Retired; undefined when there was none. */
  readonly retiredVersion?: number;
}

export interface RecordDeploymentFailureInput {
  readonly outcome: 'Failed' | 'RolledBack';
  /** At least one: what failed, the alarms that rolled the endpoint back, the smoke test's verdict. */
  readonly reasons: readonly string[];
  /** @default the client's defaultActor */
  readonly actor?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface DeploymentFailureResult {
  /** false when the deployment had ended with a failure already (a re-run): nothing was written. */
  readonly recorded: boolean;
  readonly deployment: Deployment;
  /** The version after the write; its status is unchanged when it had not begun deploying. */
  readonly version: ModelVersion;
}

export interface TakeLeaseOptions {
  /** How long the lease holds without renewal, 1 s to 24 h. */
  readonly ttlSeconds: number;
}
