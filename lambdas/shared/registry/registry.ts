import { randomUUID } from 'node:crypto';
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type OmitUndefined, omitUndefined } from '../omit-undefined';
import type * as z from '../zod';
import {
  cancellationReasons,
  DEFAULT_RETRY_POLICY,
  isConditionalCheckFailed,
  isTransactionConflict,
  numberAttribute,
  oldItemOf,
  RETRY,
  type RetryPolicy,
  stringAttribute,
  withRetry,
} from './dynamo';
import {
  AliasConflictError,
  AliasMovedError,
  ConcurrentModificationError,
  CorruptItemError,
  DeploymentEndedError,
  DeploymentMismatchError,
  DeploymentNotFoundError,
  LeaseHeldError,
  LeaseNotHeldError,
  RunNotFoundError,
  RunStatusConflictError,
  ValidationError,
  VersionNotFoundError,
} from './errors';
import {
  aliasKey,
  deploymentKey,
  deploymentLeaseKey,
  describeKey,
  EVENT_PREFIX,
  endpointWaiterKey,
  type ItemKey,
  MODELS_PARTITION,
  modelDeploymentsPartition,
  modelKey,
  modelPartition,
  modelRunsPartition,
  runKey,
  runStatusPartition,
  VERSION_PREFIX,
  versionKey,
} from './keys';
import {
  assertDeploymentTransition,
  assertRunTransition,
  assertTransition,
  canTransition,
} from './lifecycle';
import { DEFAULT_PAGE_SIZE, decodePageToken, encodePageToken } from './paging';
import {
  eventExists,
  RegistryRequests,
  registrationMarkerKey,
  type TransactItem,
  unexpectedCancellation,
} from './requests';
import {
  aliasNameSchema,
  appendEventInputSchema,
  beginDeploymentOptionsSchema,
  changeStatusOptionsSchema,
  createDeploymentInputSchema,
  createRunInputSchema,
  deploymentProgressSchema,
  idSchema,
  modelNameSchema,
  pageRequestSchema,
  parseInput,
  parseItem,
  promoteDeploymentInputSchema,
  recordDeploymentFailureInputSchema,
  registerVersionInputSchema,
  runPatchSchema,
  runStatusSchema,
  sageMakerNameSchema,
  setAliasOptionsSchema,
  sha256Schema,
  storedAliasSchema,
  storedDeploymentSchema,
  storedEventSchema,
  storedLeaseSchema,
  storedModelSchema,
  storedRunSchema,
  storedVersionSchema,
  storedWaiterSchema,
  takeLeaseOptionsSchema,
  taskTokenSchema,
  toJsonObject,
  updateRunOptionsSchema,
  versionSchema,
  versionStatusSchema,
  waiterTtlSchema,
} from './schemas';
import { RegistryKeys } from './table-design';
import { readTrainedDataset } from './trained-datasets';
import {
  type Alias,
  type AliasName,
  type AppendEventInput,
  type AuditEvent,
  type BeginDeploymentOptions,
  type ChangeStatusOptions,
  type CreateDeploymentInput,
  type CreateDeploymentResult,
  type CreateRunInput,
  type CreateRunResult,
  type Deployment,
  type DeploymentFailureResult,
  type DeploymentKind,
  type DeploymentLease,
  type DeploymentProgress,
  type EndpointWaiter,
  type ModelSummary,
  type ModelVersion,
  type ModelVersionStatus,
  type Page,
  type PageRequest,
  type ProductionBaseline,
  type PromoteDeploymentInput,
  type PromotionResult,
  REGISTRY_EVENT_TYPES,
  type RecordDeploymentFailureInput,
  type RegisterVersionInput,
  type RegisterVersionResult,
  type Run,
  type RunPatch,
  type RunStatus,
  type SetAliasOptions,
  type TakeLeaseOptions,
  type TrainedDataset,
  type UpdateRunOptions,
} from './types';

type RegisterVersionData = z.output<typeof registerVersionInputSchema>;
/** A parsed patch without its undefined fields: each key present is a field to set. */
type RunChanges = OmitUndefined<z.output<typeof runPatchSchema>>;
/** An event to record: what is undefined is left out (id, at and reasons have defaults). */
interface NewEvent {
  readonly model: string;
  readonly type: string;
  readonly actor: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly id?: string | undefined;
  readonly at?: string | undefined;
  readonly reasons?: readonly string[] | undefined;
  readonly runId?: string | undefined;
  readonly version?: number | undefined;
}

/** One listing: a partition of the table or of an index, optionally limited to a sort-key prefix. */
interface PageQuery<T> {
  readonly index?: { readonly indexName: string; readonly partitionKey: string; readonly sortKey: string };
  readonly partition: string;
  readonly sortPrefix?: string;
  /** false = descending sort key (newest first). */
  readonly forward: boolean;
  readonly schema: z.ZodMiniType<T>;
}

const { partitionKey: PK, sortKey: SK, gsi1, gsi2 } = RegistryKeys;

/** A waiter nobody took is cleaned up after two days (longer than any deployment waits). */
const DEFAULT_WAITER_TTL_SECONDS = 2 * 86_400;

export interface ModelRegistryClientOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Ids of audit events. @default crypto.randomUUID */
  readonly idGenerator?: () => string;
  /** Recorded as the actor when a write does not name one. @default 'mlops' */
  readonly defaultActor?: string;
  /** Back-off for writes that lose a race. @default 60 attempts, 10 ms doubling to 200 ms, full jitter */
  readonly retry?: Partial<RetryPolicy>;
}

/**
 * Typed access to the model registry table (see table-design.ts): models, versions with lineage, the
 * version lifecycle, aliases, pipeline runs and the audit trail.
 *
 * Concurrency: every decision is a conditional write, written together with its audit event in one
 * transaction. Losing a race on an internal counter (version numbers, TransactionConflict) is retried with
 * jittered back-off; losing a race on something the caller decided from (a version's status, an alias's
 * expected version) is reported as a typed error, because the decision may no longer hold.
 */
export class ModelRegistryClient {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly defaultActor: string;
  private readonly retry: RetryPolicy;
  private readonly requests: RegistryRequests;

  constructor(options: ModelRegistryClientOptions) {
    if (options.tableName === '') throw new Error('ModelRegistryClient: tableName must not be empty');
    this.doc = options.client;
    this.tableName = options.tableName;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.idGenerator ?? randomUUID;
    this.defaultActor = options.defaultActor ?? 'mlops';
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.requests = new RegistryRequests(options.tableName);
  }

  // Models and versions

  /**
   * Registers the next version of `model` (1, 2, 3... without gaps, even under concurrent registrations)
   * with its lineage, and records a VersionRegistered event. Creates the model on its first version.
   * Idempotent per run: a second registration with the same `lineage.runId` writes nothing and returns the
   * version the run registered first (`created: false`).
   * @throws ValidationError for a bad model name or input; RetriesExhaustedError under extreme contention
   */
  public async registerVersion(model: string, input: RegisterVersionInput): Promise<RegisterVersionResult> {
    const name = parseInput(modelNameSchema, model, 'model');
    const data = parseInput(registerVersionInputSchema, input, 'input');
    return withRetry(`registerVersion ${name}`, this.retry, () => this.tryRegisterVersion(name, data));
  }

  /** The model's summary (latest version number, timestamps), or undefined if it has no version yet. */
  public async getModel(model: string): Promise<ModelSummary | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.getItem(modelKey(name), storedModelSchema);
  }

  /** All models, by name. */
  public async listModels(page?: PageRequest): Promise<Page<ModelSummary>> {
    return this.queryPage(
      { index: gsi1, partition: MODELS_PARTITION, forward: true, schema: storedModelSchema },
      page,
    );
  }

  /** One version, or undefined if it does not exist. */
  public async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const number = parseInput(versionSchema, version, 'version');
    return this.getItem(versionKey(name, number), storedVersionSchema);
  }

  /** The model's versions, newest first. */
  public async listVersions(model: string, page?: PageRequest): Promise<Page<ModelVersion>> {
    const name = parseInput(modelNameSchema, model, 'model');
    const query = { partition: modelPartition(name), sortPrefix: VERSION_PREFIX, forward: false };
    return this.queryPage({ ...query, schema: storedVersionSchema }, page);
  }

  /**
   * Moves a version to another status if the lifecycle allows it, conditioned on the status it read, and
   * records a StatusChanged event in the same transaction.
   * @throws VersionNotFoundError; InvalidStatusTransitionError naming both states and what is allowed;
   *   ConcurrentModificationError if the status changed between the read and the write (re-read, decide again)
   */
  public async changeStatus(
    model: string,
    version: number,
    to: ModelVersionStatus,
    options: ChangeStatusOptions,
  ): Promise<ModelVersion> {
    const name = parseInput(modelNameSchema, model, 'model');
    const number = parseInput(versionSchema, version, 'version');
    const target = parseInput(versionStatusSchema, to, 'to');
    const { reason, actor } = parseInput(changeStatusOptionsSchema, options, 'options');
    return withRetry(`changeStatus ${name} v${number}`, this.retry, () =>
      this.tryChangeStatus(name, number, target, reason, actor),
    );
  }

  /**
   * The run that first registered a version from these bytes (by sha256), or undefined when the model never
   * trained on them. registerVersion records it in the same transaction as the version.
   */
  public async findTrainedDataset(model: string, sha256: string): Promise<TrainedDataset | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const digest = parseInput(sha256Schema, sha256, 'sha256');
    return readTrainedDataset(this.doc, this.tableName, name, digest);
  }

  // Aliases

  /**
   * Points `alias` at `version` if it currently points at `options.expectedVersion` (null: not set yet),
   * checks the version exists, and records an AliasMoved event, all in one transaction. Of several
   * concurrent moves from the same expected version exactly one succeeds.
   * @throws AliasConflictError (with the alias's actual version) if it moved; VersionNotFoundError
   */
  public async setAlias(
    model: string,
    alias: AliasName,
    version: number,
    options: SetAliasOptions,
  ): Promise<Alias> {
    const name = parseInput(modelNameSchema, model, 'model');
    const aliasName = parseInput(aliasNameSchema, alias, 'alias');
    const number = parseInput(versionSchema, version, 'version');
    const opts = parseInput(setAliasOptionsSchema, options, 'options');
    const move = {
      ...opts,
      model: name,
      alias: aliasName,
      version: number,
      actor: opts.actor ?? this.defaultActor,
    };
    return withRetry(`setAlias ${name} ${aliasName}`, this.retry, () => this.trySetAlias(move));
  }

  /** Where the alias points, or undefined if it was never set. */
  public async getAlias(model: string, alias: AliasName): Promise<Alias | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const aliasName = parseInput(aliasNameSchema, alias, 'alias');
    return this.getItem(aliasKey(name, aliasName), storedAliasSchema);
  }

  // Runs

  /**
   * Records a pipeline run (and a RunStarted/RunSucceeded/RunFailed event; RunRetried for a run with
   * `retryOf`). Idempotent: if the run id exists
   * already, nothing is written and the stored run is returned with `created: false`.
   */
  public async createRun(input: CreateRunInput): Promise<CreateRunResult> {
    const { actor, reasons, ...fields } = parseInput(createRunInputSchema, input, 'run');
    const run: Run = omitUndefined({
      ...fields,
      dataset: omitUndefined(fields.dataset),
      status: fields.status ?? 'Running',
      startedAt: fields.startedAt ?? this.now(),
    });
    const event = this.newEvent({
      model: run.model,
      type: run.retryOf === undefined ? runEventType(run.status) : REGISTRY_EVENT_TYPES.runRetried,
      actor: actor ?? this.defaultActor,
      reasons: reasons ?? (run.error === undefined ? [] : [run.error]),
      details: {
        status: run.status,
        dataset: run.dataset,
        startedAt: run.startedAt,
        executionArn: run.executionArn,
        retryOf: run.retryOf,
        forced: run.forced,
      },
      runId: run.runId,
      version: run.version,
    });
    return withRetry(`createRun ${run.runId}`, this.retry, () => this.tryCreateRun(run, event));
  }

  /** One run, or undefined. */
  public async getRun(runId: string): Promise<Run | undefined> {
    return this.getItem(runKey(parseInput(idSchema, runId, 'runId')), storedRunSchema);
  }

  /**
   * Sets the patch's fields on a run, keeping its by-status index entry in sync. A status change must follow
   * the run lifecycle (Running -> Succeeded | Failed) and is recorded as a RunSucceeded/RunFailed event in the
   * same transaction. Concurrent updates are re-read and re-validated, so pass `expectedStatus` to apply the
   * patch only while the run is in that status (e.g. 'Running' for progress updates that may arrive late).
   * @throws RunNotFoundError; RunStatusConflictError; InvalidStatusTransitionError
   */
  public async updateRun(runId: string, patch: RunPatch, options: UpdateRunOptions = {}): Promise<Run> {
    const id = parseInput(idSchema, runId, 'runId');
    const changes = omitUndefined(parseInput(runPatchSchema, patch, 'patch'));
    const { expectedStatus, actor, eventType, reasons } = parseInput(
      updateRunOptionsSchema,
      options,
      'options',
    );
    const recorded = { actor: actor ?? this.defaultActor, type: eventType, reasons };
    return withRetry(`updateRun ${id}`, this.retry, () =>
      this.tryUpdateRun(id, changes, expectedStatus, recorded),
    );
  }

  /** Runs in a status, newest first. */
  public async listRunsByStatus(status: RunStatus, page?: PageRequest): Promise<Page<Run>> {
    const partition = runStatusPartition(parseInput(runStatusSchema, status, 'status'));
    return this.queryPage({ index: gsi1, partition, forward: false, schema: storedRunSchema }, page);
  }

  /** A model's runs, newest first. */
  public async listRunsByModel(model: string, page?: PageRequest): Promise<Page<Run>> {
    const partition = modelRunsPartition(parseInput(modelNameSchema, model, 'model'));
    return this.queryPage({ index: gsi2, partition, forward: false, schema: storedRunSchema }, page);
  }

  // Audit events

  /**
   * Records an audit event. Events are immutable: the write fails rather than overwrite an event with the
   * same time and id.
   * @throws EventAlreadyExistsError if that event was recorded already
   */
  public async appendEvent(input: AppendEventInput): Promise<AuditEvent> {
    const data = parseInput(appendEventInputSchema, input, 'event');
    const event = this.newEvent({ ...data, details: toJsonObject(data.details, 'event.details') });
    return withRetry(`appendEvent ${event.model}`, this.retry, async () => {
      try {
        await this.doc.send(new PutCommand(this.requests.eventPut(event)));
        return event;
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw eventExists(event);
        if (isTransactionConflict(error)) return RETRY;
        throw error;
      }
    });
  }

  /** The model's audit trail, newest first. */
  public async listEvents(model: string, page?: PageRequest): Promise<Page<AuditEvent>> {
    const name = parseInput(modelNameSchema, model, 'model');
    const query = { partition: modelPartition(name), sortPrefix: EVENT_PREFIX, forward: false };
    return this.queryPage({ ...query, schema: storedEventSchema }, page);
  }

  // Deployments

  /**
   * Records a deployment of a version (Started) with a DeploymentStarted event. Idempotent per deployment
   * id: a second call with the same id writes nothing and returns the stored deployment (`created: false`).
   * A rollback must name a version that served before.
   * @throws VersionNotFoundError; InvalidStatusTransitionError when the version cannot be deployed from its
   *   status; ValidationError for a rollback to a version that never served; DeploymentMismatchError when
   *   the id was used for another model or version
   */
  public async createDeployment(input: CreateDeploymentInput): Promise<CreateDeploymentResult> {
    const { actor, reason, ...fields } = parseInput(createDeploymentInputSchema, input, 'deployment');
    return withRetry(`createDeployment ${fields.deploymentId}`, this.retry, async () => {
      const existing = await this.existingDeployment(fields);
      if (existing !== undefined) return { created: false, deployment: existing };
      const version = await this.getItem(versionKey(fields.model, fields.version), storedVersionSchema);
      if (version === undefined) throw new VersionNotFoundError(fields.model, fields.version);
      const kind = fields.kind ?? 'deploy';
      checkDeployable(version, kind);
      const at = this.now();
      const startedBy = actor ?? this.defaultActor;
      const deployment: Deployment = omitUndefined({
        deploymentId: fields.deploymentId,
        model: fields.model,
        version: fields.version,
        attempt: fields.attempt ?? 1,
        kind,
        status: 'Started' as const,
        stages: [],
        reasons: [],
        executionArn: fields.executionArn,
        startedBy,
        startedAt: at,
        updatedAt: at,
      });
      const event = this.newEvent({
        model: deployment.model,
        type: REGISTRY_EVENT_TYPES.deploymentStarted,
        at,
        actor: startedBy,
        reasons: reason === undefined ? [] : [reason],
        details: {
          deploymentId: deployment.deploymentId,
          kind,
          attempt: deployment.attempt,
          executionArn: deployment.executionArn,
        },
        runId: version.lineage.runId,
        version: deployment.version,
      });
      return this.tryCreateDeployment(deployment, event);
    });
  }

  /** One deployment, or undefined. */
  public async getDeployment(deploymentId: string): Promise<Deployment | undefined> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return this.getItem(deploymentKey(id), storedDeploymentSchema);
  }

  /** A model's deployments, newest first. */
  public async listDeployments(model: string, page?: PageRequest): Promise<Page<Deployment>> {
    const partition = modelDeploymentsPartition(parseInput(modelNameSchema, model, 'model'));
    return this.queryPage({ index: gsi2, partition, forward: false, schema: storedDeploymentSchema }, page);
  }

  /**
   * Records progress of a running deployment: a stage (a redelivered stage of the same name keeps its first
   * record) and names learnt on the way. Progress is not a decision, so it writes no audit event.
   * @throws DeploymentNotFoundError; DeploymentEndedError once the deployment ended
   */
  public async recordDeploymentProgress(
    deploymentId: string,
    progress: DeploymentProgress,
  ): Promise<Deployment> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { stage, ...fields } = parseInput(deploymentProgressSchema, progress, 'progress');
    return withRetry(`recordDeploymentProgress ${id}`, this.retry, async () => {
      const current = await this.getItem(deploymentKey(id), storedDeploymentSchema);
      if (current === undefined) throw new DeploymentNotFoundError(id);
      if (current.status !== 'Started' && current.status !== 'Deploying') {
        throw new DeploymentEndedError(id, current.status);
      }
      const at = this.now();
      const update = this.requests.deploymentUpdate({
        deploymentId: id,
        currentStatus: current.status,
        changes: omitUndefined({ ...fields, updatedAt: at }),
        stage:
          stage === undefined
            ? undefined
            : {
                name: stage.name,
                at: stage.at ?? at,
                details: toJsonObject(stage.details ?? {}, 'stage.details'),
              },
      });
      try {
        const output = await this.doc.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
        return parseItem(storedDeploymentSchema, output.Attributes ?? {}, describeKey(deploymentKey(id)));
      } catch (error) {
        if (isConditionalCheckFailed(error) || isTransactionConflict(error)) return RETRY;
        throw error;
      }
    });
  }

  /**
   * Begins a deployment under the model's lease: reads where `production` points (the baseline the promotion
   * will be conditioned on), moves the deployment Started → Deploying and its version → Deploying, with a
   * StatusChanged event, in one transaction that also checks the lease is still this deployment's.
   * Idempotent: a deployment that has begun (or ended) is returned as stored.
   * @throws DeploymentNotFoundError; LeaseNotHeldError; InvalidStatusTransitionError for a version that
   *   cannot be deployed from its status; ConcurrentModificationError if the version's status changed
   */
  public async beginDeployment(
    deploymentId: string,
    options: BeginDeploymentOptions = {},
  ): Promise<Deployment> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { actor } = parseInput(beginDeploymentOptionsSchema, options, 'options');
    return withRetry(`beginDeployment ${id}`, this.retry, () =>
      this.tryBeginDeployment(id, actor ?? this.defaultActor),
    );
  }

  /**
   * Promotes a deployment in one transaction: `production` → its version, conditioned on the alias revision
   * read when the deployment began; the version Deploying → Deployed with the endpoint, endpoint config and
   * deployment id; the previous production version → Retired; the deployment → Promoted; AliasMoved,
   * StatusChanged and ModelDeployed events; all while the deployment holds the model's lease. All or nothing.
   * Idempotent: a promoted deployment is returned as stored (`promoted: false`).
   * @throws AliasMovedError when the alias moved after the deployment began (nothing is written);
   *   LeaseNotHeldError; InvalidStatusTransitionError when the deployment is not Deploying;
   *   ConcurrentModificationError if the version's status changed; DeploymentNotFoundError
   */
  public async promoteDeployment(
    deploymentId: string,
    input: PromoteDeploymentInput,
  ): Promise<PromotionResult> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const data = parseInput(promoteDeploymentInputSchema, input, 'input');
    return withRetry(`promoteDeployment ${id}`, this.retry, () => this.tryPromoteDeployment(id, data));
  }

  /**
   * Ends a deployment Failed or RolledBack with its reasons: the deployment closes, its version (if the
   * deployment had begun) moves to the same status, a DeploymentFailed event records why; the alias and the
   * production version are not touched. Idempotent: a deployment that ended failed already is returned as
   * stored (`recorded: false`).
   * @throws DeploymentNotFoundError; InvalidStatusTransitionError for a promoted deployment, or RolledBack
   *   for one that never began
   */
  public async recordDeploymentFailure(
    deploymentId: string,
    input: RecordDeploymentFailureInput,
  ): Promise<DeploymentFailureResult> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const data = parseInput(recordDeploymentFailureInputSchema, input, 'input');
    return withRetry(`recordDeploymentFailure ${id}`, this.retry, () => this.tryRecordFailure(id, data));
  }

  // The deployment lease

  /**
   * Takes the model's deployment lease for `deploymentId` until now + ttlSeconds: when nobody holds it, when
   * this deployment holds it already (a re-run extends it), or when the holder's lease expired.
   * @throws LeaseHeldError naming the deployment that holds it and until when
   */
  public async takeDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { ttlSeconds } = parseInput(takeLeaseOptionsSchema, options, 'options');
    return withRetry(`takeDeploymentLease ${name}`, this.retry, async () => {
      const now = this.clock();
      const untilMs = now.getTime() + ttlSeconds * 1000;
      const at = this.now();
      const request = this.requests.leaseTake({ model: name, holder: id, at, nowMs: now.getTime(), untilMs });
      try {
        await this.doc.send(new PutCommand(request));
        return { model: name, holder: id, acquiredAt: at, expiresAt: new Date(untilMs).toISOString() };
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        if (!isConditionalCheckFailed(error)) throw error;
        const old = oldItemOf(error);
        const holder = stringAttribute(old, 'holder');
        const until = numberAttribute(old, 'leaseExpiresAt');
        // Released between the check and our read of it: try again.
        if (holder === undefined || until === undefined) return RETRY;
        throw new LeaseHeldError(name, holder, new Date(until).toISOString(), id);
      }
    });
  }

  /**
   * Extends the lease to now + ttlSeconds while `deploymentId` holds it (a long blue/green bake renews it).
   * @throws LeaseNotHeldError naming who holds it, if anyone
   */
  public async renewDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { ttlSeconds } = parseInput(takeLeaseOptionsSchema, options, 'options');
    return withRetry(`renewDeploymentLease ${name}`, this.retry, async () => {
      const untilMs = this.clock().getTime() + ttlSeconds * 1000;
      try {
        const output = await this.doc.send(new UpdateCommand(this.requests.leaseRenewal(name, id, untilMs)));
        return parseItem(storedLeaseSchema, output.Attributes ?? {}, describeKey(deploymentLeaseKey(name)));
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        if (!isConditionalCheckFailed(error)) throw error;
        throw new LeaseNotHeldError(name, id, stringAttribute(oldItemOf(error), 'holder'));
      }
    });
  }

  /**
   * Releases the lease if `deploymentId` holds it. Only its holder can: anyone else's call (a re-run after
   * the release, or after another deployment took an expired lease over) changes nothing.
   * @returns whether this call released it
   */
  public async releaseDeploymentLease(model: string, deploymentId: string): Promise<boolean> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return withRetry(`releaseDeploymentLease ${name}`, this.retry, async () => {
      try {
        await this.doc.send(new DeleteCommand(this.requests.leaseRelease(name, id)));
        return true;
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    });
  }

  /** Who holds the model's deployment lease (possibly expired), or undefined. */
  public async getDeploymentLease(model: string): Promise<DeploymentLease | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.getItem(deploymentLeaseKey(name), storedLeaseSchema);
  }

  // Endpoint waiters

  /**
   * Stores the task token a deployment waits with for its endpoint's next state change, replacing an earlier
   * wait's token. The table's TTL removes it after `ttlSeconds` (default two days) if nobody took it.
   */
  public async putEndpointWaiter(
    endpointName: string,
    taskToken: string,
    deploymentId: string,
    options: { readonly ttlSeconds?: number } = {},
  ): Promise<EndpointWaiter> {
    const waiter: EndpointWaiter = {
      endpointName: parseInput(sageMakerNameSchema, endpointName, 'endpointName'),
      taskToken: parseInput(taskTokenSchema, taskToken, 'taskToken'),
      deploymentId: parseInput(idSchema, deploymentId, 'deploymentId'),
      createdAt: this.now(),
    };
    const ttlSeconds = parseInput(
      waiterTtlSchema,
      options.ttlSeconds ?? DEFAULT_WAITER_TTL_SECONDS,
      'ttlSeconds',
    );
    const cleanupAt = Math.ceil(this.clock().getTime() / 1000) + ttlSeconds;
    await withRetry(`putEndpointWaiter ${waiter.endpointName}`, this.retry, async () => {
      try {
        return await this.doc.send(new PutCommand(this.requests.waiterPut(waiter, cleanupAt)));
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        throw error;
      }
    });
    return waiter;
  }

  /**
   * Takes the endpoint's waiter once: deletes it and returns it, so of two deliveries of an endpoint event
   * only one gets the token and resumes the workflow.
   * @returns undefined when nobody waits (taken already, or never put)
   */
  public async takeEndpointWaiter(endpointName: string): Promise<EndpointWaiter | undefined> {
    const name = parseInput(sageMakerNameSchema, endpointName, 'endpointName');
    return withRetry(`takeEndpointWaiter ${name}`, this.retry, async () => {
      try {
        const output = await this.doc.send(new DeleteCommand(this.requests.waiterTake(name)));
        return parseItem(storedWaiterSchema, output.Attributes ?? {}, describeKey(endpointWaiterKey(name)));
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        if (isConditionalCheckFailed(error)) return undefined;
        throw error;
      }
    });
  }

  /**
   * Deletes the endpoint's waiter if it is this deployment's (after its wait timed out).
   * @returns whether one was deleted
   */
  public async deleteEndpointWaiter(endpointName: string, deploymentId: string): Promise<boolean> {
    const name = parseInput(sageMakerNameSchema, endpointName, 'endpointName');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return withRetry(`deleteEndpointWaiter ${name}`, this.retry, async () => {
      try {
        await this.doc.send(new DeleteCommand(this.requests.waiterDelete(name, id)));
        return true;
      } catch (error) {
        if (isTransactionConflict(error)) return RETRY;
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    });
  }

  // Attempts (one read + one conditional write; RETRY when the race is not a verdict)

  private async tryRegisterVersion(
    model: string,
    data: RegisterVersionData,
  ): Promise<RegisterVersionResult | typeof RETRY> {
    const latest = (await this.getItem(modelKey(model), storedModelSchema))?.latestVersion ?? 0;
    const at = this.now();
    const actor = data.actor ?? this.defaultActor;
    const { runId } = data.lineage;
    const version: ModelVersion = omitUndefined({
      model,
      version: latest + 1,
      status: data.status ?? 'Registered',
      statusReason: data.reason,
      statusChangedAt: at,
      statusChangedBy: actor,
      createdAt: at,
      lineage: data.lineage,
    });
    const event = this.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.versionRegistered,
      at,
      actor,
      reasons: data.reason === undefined ? [] : [data.reason],
      details: { status: version.status, lineage: version.lineage },
      runId,
      version: version.version,
    });
    // One version per run: the run marker makes a redelivered registration a no-op instead of a new version.
    const transaction = this.requests.registration({ version, latest, event, at });
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) return { created: true, version };
    if (transaction.failed(reasons, 'runMarker')) {
      const marker = transaction.reason(reasons, 'runMarker');
      return { created: false, version: await this.registeredBy(model, runId, marker) };
    }
    if (transaction.failed(reasons, 'latestVersion') || transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'version')) {
      const key = describeKey(versionKey(model, version.version));
      throw new CorruptItemError(key, `exists although ${model}'s latestVersion is ${latest}`);
    }
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async tryChangeStatus(
    model: string,
    version: number,
    to: ModelVersionStatus,
    reason: string,
    actor: string,
  ): Promise<ModelVersion | typeof RETRY> {
    const current = await this.getItem(versionKey(model, version), storedVersionSchema);
    if (current === undefined) throw new VersionNotFoundError(model, version);
    const subject = `${model} v${version}`;
    assertTransition(current.status, to, subject);
    const at = this.now();
    const event = this.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.statusChanged,
      at,
      actor,
      reasons: [reason],
      details: { from: current.status, to },
      runId: current.lineage.runId,
      version,
    });
    const transaction = this.requests.statusChange({ current, to, reason, actor, at, event });
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) {
      return { ...current, status: to, statusReason: reason, statusChangedAt: at, statusChangedBy: actor };
    }
    if (transaction.failed(reasons, 'version')) {
      const stored = transaction.reason(reasons, 'version')?.Item;
      if (stored === undefined) throw new VersionNotFoundError(model, version);
      const actual = stringAttribute(stored, 'status');
      throw new ConcurrentModificationError(
        subject,
        `status ${current.status}`,
        actual && `status ${actual}`,
      );
    }
    if (transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async trySetAlias(move: {
    model: string;
    alias: AliasName;
    version: number;
    expectedVersion: number | null;
    reason?: string | undefined;
    actor: string;
  }): Promise<Alias | typeof RETRY> {
    const { model, alias, version, expectedVersion, reason, actor } = move;
    const current = await this.getItem(aliasKey(model, alias), storedAliasSchema);
    const actual = current?.version ?? null;
    if (actual !== expectedVersion) throw new AliasConflictError(model, alias, expectedVersion, actual);
    const at = this.now();
    const next: Alias = omitUndefined({
      model,
      alias,
      version,
      revision: (current?.revision ?? 0) + 1,
      updatedAt: at,
      updatedBy: actor,
      reason,
    });
    const event = this.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.aliasMoved,
      at,
      actor,
      reasons: reason === undefined ? [] : [reason],
      details: { alias, from: expectedVersion, to: version, revision: next.revision },
      version,
    });
    const transaction = this.requests.aliasMove(next, current, event);
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) return next;
    if (transaction.failed(reasons, 'alias')) {
      const now = numberAttribute(transaction.reason(reasons, 'alias')?.Item, 'version') ?? null;
      // Same version, newer revision: someone re-pointed it where we expected it; decide again.
      if (now === expectedVersion) return RETRY;
      throw new AliasConflictError(model, alias, expectedVersion, now);
    }
    if (transaction.failed(reasons, 'target')) throw new VersionNotFoundError(model, version);
    if (transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async tryCreateRun(run: Run, event: AuditEvent): Promise<CreateRunResult | typeof RETRY> {
    const transaction = this.requests.runCreation(run, event);
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) return { created: true, run };
    if (transaction.failed(reasons, 'run')) {
      const existing = await this.getItem(runKey(run.runId), storedRunSchema);
      return existing === undefined ? RETRY : { created: false, run: existing };
    }
    if (transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async tryUpdateRun(
    runId: string,
    changes: RunChanges,
    expectedStatus: RunStatus | undefined,
    recorded: { actor: string; type?: string | undefined; reasons?: readonly string[] | undefined },
  ): Promise<Run | typeof RETRY> {
    const current = await this.getItem(runKey(runId), storedRunSchema);
    if (current === undefined) throw new RunNotFoundError(runId);
    if (expectedStatus !== undefined && current.status !== expectedStatus) {
      throw new RunStatusConflictError(runId, expectedStatus, current.status);
    }
    const next: Run = { ...current, ...changes };
    const update = this.requests.runUpdate(runId, current.status, changes);
    if (next.status === current.status) {
      try {
        await this.doc.send(new UpdateCommand(update));
        return next;
      } catch (error) {
        if (isConditionalCheckFailed(error) || isTransactionConflict(error)) return RETRY;
        throw error;
      }
    }
    assertRunTransition(current.status, next.status, `run ${runId}`);
    const event = this.newEvent({
      model: current.model,
      type: recorded.type ?? runEventType(next.status),
      actor: recorded.actor,
      reasons: recorded.reasons ?? (next.error === undefined ? [] : [next.error]),
      details: { ...changes, from: current.status, to: next.status },
      runId,
      version: next.version,
    });
    const transaction = this.requests.runStatusChange(update, event);
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) return next;
    // The status moved under us: re-read and re-validate against the caller's expectation.
    if (transaction.failed(reasons, 'run') || transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  /** The stored deployment with this id, if any, checked to be the same request. */
  private async existingDeployment(fields: {
    deploymentId: string;
    model: string;
    version: number;
  }): Promise<Deployment | undefined> {
    const existing = await this.getItem(deploymentKey(fields.deploymentId), storedDeploymentSchema);
    if (existing === undefined) return undefined;
    if (existing.model !== fields.model || existing.version !== fields.version) {
      throw new DeploymentMismatchError(
        fields.deploymentId,
        `${existing.model} v${existing.version}`,
        `${fields.model} v${fields.version}`,
      );
    }
    return existing;
  }

  private async tryCreateDeployment(
    deployment: Deployment,
    event: AuditEvent,
  ): Promise<CreateDeploymentResult | typeof RETRY> {
    const transaction = this.requests.deploymentCreation(deployment, event);
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) return { created: true, deployment };
    // Created concurrently by a duplicate delivery: the next attempt returns it.
    if (transaction.failed(reasons, 'deployment') || transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'version'))
      throw new VersionNotFoundError(deployment.model, deployment.version);
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async tryBeginDeployment(id: string, actor: string): Promise<Deployment | typeof RETRY> {
    const current = await this.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    if (current.status !== 'Started') return current;
    const { model } = current;
    const version = await this.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    const subject = `${model} v${current.version}`;
    assertTransition(version.status, 'Deploying', subject);
    const alias = await this.getItem(aliasKey(model, 'production'), storedAliasSchema);
    const baseline: ProductionBaseline = {
      version: alias?.version ?? null,
      revision: alias?.revision ?? null,
    };
    const at = this.now();
    const reason = `deployment ${id} (${current.kind}, attempt ${current.attempt}) began`;
    const event = this.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.statusChanged,
      at,
      actor,
      reasons: [reason],
      details: { from: version.status, to: 'Deploying', deploymentId: id, baseline },
      runId: version.lineage.runId,
      version: version.version,
    });
    const transaction = this.requests.deploymentBeginning({
      deployment: current,
      version,
      baseline,
      at,
      actor,
      reason,
      event,
    });
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) {
      const began = { name: 'Began', at, details: { baseline: { ...baseline } } };
      return { ...current, status: 'Deploying', baseline, updatedAt: at, stages: [...current.stages, began] };
    }
    if (transaction.failed(reasons, 'lease')) {
      throw new LeaseNotHeldError(
        model,
        id,
        stringAttribute(transaction.reason(reasons, 'lease')?.Item, 'holder'),
      );
    }
    if (transaction.failed(reasons, 'version')) {
      const actual = stringAttribute(transaction.reason(reasons, 'version')?.Item, 'status');
      throw new ConcurrentModificationError(
        subject,
        `status ${version.status}`,
        actual && `status ${actual}`,
      );
    }
    // The deployment began concurrently, or the alias moved between our reads: read both again.
    if (
      transaction.failed(reasons, 'deployment') ||
      transaction.failed(reasons, 'alias') ||
      transaction.conflicted(reasons)
    ) {
      return RETRY;
    }
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  private async tryPromoteDeployment(
    id: string,
    input: z.output<typeof promoteDeploymentInputSchema>,
  ): Promise<PromotionResult | typeof RETRY> {
    const current = await this.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    if (current.status === 'Promoted') return this.promotedAlready(current);
    assertDeploymentTransition(current.status, 'Promoted', `deployment ${id}`);
    const { model, baseline } = current;
    if (baseline === undefined) {
      throw new CorruptItemError(
        describeKey(deploymentKey(id)),
        'Deploying without the baseline it began from',
      );
    }
    const alias = await this.getItem(aliasKey(model, 'production'), storedAliasSchema);
    const now = { version: alias?.version ?? null, revision: alias?.revision ?? null };
    if (now.revision !== baseline.revision) throw new AliasMovedError(model, 'production', baseline, now);
    const version = await this.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    const subject = `${model} v${version.version}`;
    assertTransition(version.status, 'Deployed', subject);
    const previous = await this.retiring(model, baseline, version.version);
    const at = this.now();
    const actor = input.actor ?? this.defaultActor;
    const reason = input.reason ?? `deployment ${id} promoted`;
    const served = {
      deploymentId: id,
      endpointName: input.endpointName,
      endpointConfigName: input.endpointConfigName,
      deployedAt: at,
    };
    const next: Alias = {
      model,
      alias: 'production',
      version: version.version,
      revision: (baseline.revision ?? 0) + 1,
      updatedAt: at,
      updatedBy: actor,
      reason,
    };
    const common = { model, at, actor, reasons: [reason], runId: version.lineage.runId };
    const events = {
      alias: this.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.aliasMoved,
        details: {
          alias: 'production',
          from: baseline.version,
          to: version.version,
          revision: next.revision,
          deploymentId: id,
        },
        version: version.version,
      }),
      version: this.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.statusChanged,
        details: { from: version.status, to: 'Deployed', ...served },
        version: version.version,
      }),
      previous:
        previous === undefined
          ? undefined
          : this.newEvent({
              ...common,
              type: REGISTRY_EVENT_TYPES.statusChanged,
              details: {
                from: previous.status,
                to: 'Retired',
                deploymentId: id,
                replacedBy: version.version,
              },
              runId: previous.lineage.runId,
              version: previous.version,
            }),
      deployed: this.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.modelDeployed,
        details: {
          ...toJsonObject(input.details ?? {}, 'input.details'),
          ...served,
          kind: current.kind,
          attempt: current.attempt,
          previousVersion: baseline.version,
          aliasRevision: next.revision,
        },
        version: version.version,
      }),
    };
    const transaction = this.requests.promotion({
      deployment: current,
      baseline,
      alias: next,
      version,
      served,
      previous,
      at,
      actor,
      reason,
      events,
    });
    const reasons = await this.transact(transaction.items);
    if (reasons === undefined) {
      const promoted: Deployment = {
        ...current,
        status: 'Promoted',
        endpointName: served.endpointName,
        endpointConfigName: served.endpointConfigName,
        reasons: [reason],
        updatedAt: at,
        endedAt: at,
        stages: [
          ...current.stages,
          { name: 'Promoted', at, details: { alias: 'production', revision: next.revision } },
        ],
      };
      const deployed: ModelVersion = {
        ...version,
        status: 'Deployed',
        statusReason: reason,
        statusChangedAt: at,
        statusChangedBy: actor,
        deployment: served,
      };
      return omitUndefined({
        promoted: true,
        deployment: promoted,
        version: deployed,
        alias: next,
        retiredVersion: previous?.version,
      });
    }
    if (transaction.failed(reasons, 'alias')) {
      const stored = transaction.reason(reasons, 'alias')?.Item;
      const moved = {
        version: numberAttribute(stored, 'version') ?? null,
        revision: numberAttribute(stored, 'revision') ?? null,
      };
      throw new AliasMovedError(model, 'production', baseline, moved);
    }
    if (transaction.failed(reasons, 'lease')) {
      throw new LeaseNotHeldError(
        model,
        id,
        stringAttribute(transaction.reason(reasons, 'lease')?.Item, 'holder'),
      );
    }
    if (transaction.failed(reasons, 'version')) {
      const actual = stringAttribute(transaction.reason(reasons, 'version')?.Item, 'status');
      throw new ConcurrentModificationError(
        subject,
        `status ${version.status}`,
        actual && `status ${actual}`,
      );
    }
    // Promoted by a concurrent re-run, or the previous version moved: read again and decide.
    if (
      transaction.failed(reasons, 'deployment') ||
      transaction.failed(reasons, 'previous') ||
      transaction.conflicted(reasons)
    ) {
      return RETRY;
    }
    if (
      transaction.failed(reasons, 'aliasEvent') ||
      transaction.failed(reasons, 'versionEvent') ||
      transaction.failed(reasons, 'previousEvent') ||
      transaction.failed(reasons, 'deployedEvent')
    ) {
      throw eventExists(events.deployed);
    }
    throw unexpectedCancellation(reasons);
  }

  /** The previous production version, when the promotion is to retire it (it exists, differs, may retire). */
  private async retiring(
    model: string,
    baseline: ProductionBaseline,
    version: number,
  ): Promise<ModelVersion | undefined> {
    if (baseline.version === null || baseline.version === version) return undefined;
    const previous = await this.getItem(versionKey(model, baseline.version), storedVersionSchema);
    return previous !== undefined && canTransition(previous.status, 'Retired') ? previous : undefined;
  }

  /** A re-run of a promotion that happened: what it wrote, read back. */
  private async promotedAlready(deployment: Deployment): Promise<PromotionResult> {
    const { model } = deployment;
    const [version, alias] = await Promise.all([
      this.getItem(versionKey(model, deployment.version), storedVersionSchema),
      this.getItem(aliasKey(model, 'production'), storedAliasSchema),
    ]);
    if (version === undefined) throw new VersionNotFoundError(model, deployment.version);
    if (alias === undefined) {
      throw new CorruptItemError(
        describeKey(aliasKey(model, 'production')),
        `missing although ${deployment.deploymentId} was promoted`,
      );
    }
    const before = deployment.baseline?.version ?? null;
    const previous =
      before === null || before === deployment.version
        ? undefined
        : await this.getItem(versionKey(model, before), storedVersionSchema);
    return omitUndefined({
      promoted: false,
      deployment,
      version,
      alias,
      retiredVersion: previous?.status === 'Retired' ? previous.version : undefined,
    });
  }

  private async tryRecordFailure(
    id: string,
    input: z.output<typeof recordDeploymentFailureInputSchema>,
  ): Promise<DeploymentFailureResult | typeof RETRY> {
    const current = await this.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    const { model } = current;
    const version = await this.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    if (current.status === 'Failed' || current.status === 'RolledBack') {
      return { recorded: false, deployment: current, version };
    }
    const { outcome, reasons } = input;
    assertDeploymentTransition(current.status, outcome, `deployment ${id}`);
    // A deployment that never began (no lease) leaves its version as it found it.
    const moving = current.status === 'Deploying' && version.status === 'Deploying' ? version : undefined;
    const at = this.now();
    const actor = input.actor ?? this.defaultActor;
    const details = toJsonObject(input.details ?? {}, 'input.details');
    const common = { model, at, actor, reasons, runId: version.lineage.runId, version: version.version };
    const events = {
      failed: this.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.deploymentFailed,
        details: {
          ...details,
          deploymentId: id,
          outcome,
          kind: current.kind,
          attempt: current.attempt,
          endpointName: current.endpointName,
          endpointConfigName: current.endpointConfigName,
        },
      }),
      version:
        moving === undefined
          ? undefined
          : this.newEvent({
              ...common,
              type: REGISTRY_EVENT_TYPES.statusChanged,
              details: { from: 'Deploying', to: outcome, deploymentId: id },
            }),
    };
    const transaction = this.requests.deploymentFailure({
      deployment: current,
      outcome,
      reasons,
      version: moving,
      at,
      actor,
      details,
      events,
    });
    const cancelled = await this.transact(transaction.items);
    if (cancelled === undefined) {
      const ended: Deployment = {
        ...current,
        status: outcome,
        reasons: [...reasons],
        updatedAt: at,
        endedAt: at,
        stages: [...current.stages, { name: outcome, at, details }],
      };
      const after: ModelVersion =
        moving === undefined
          ? version
          : {
              ...version,
              status: outcome,
              statusReason: reasons.join('; '),
              statusChangedAt: at,
              statusChangedBy: actor,
            };
      return { recorded: true, deployment: ended, version: after };
    }
    if (
      transaction.failed(cancelled, 'deployment') ||
      transaction.failed(cancelled, 'version') ||
      transaction.conflicted(cancelled)
    ) {
      return RETRY;
    }
    if (transaction.failed(cancelled, 'event') || transaction.failed(cancelled, 'versionEvent')) {
      throw eventExists(events.failed);
    }
    throw unexpectedCancellation(cancelled);
  }

  // Plumbing

  private newEvent(input: NewEvent): AuditEvent {
    return omitUndefined({
      ...input,
      id: input.id ?? this.newId(),
      at: input.at ?? this.now(),
      reasons: [...(input.reasons ?? [])],
      details: toJsonObject(input.details, 'details'),
    });
  }

  /** The version a run registered, from the marker that blocked a second registration. */
  private async registeredBy(
    model: string,
    runId: string,
    marker: CancellationReason | undefined,
  ): Promise<ModelVersion> {
    const number = numberAttribute(marker?.Item, 'version');
    const version =
      number === undefined ? undefined : await this.getItem(versionKey(model, number), storedVersionSchema);
    if (version === undefined) {
      const key = describeKey(registrationMarkerKey(model, runId));
      throw new CorruptItemError(key, `points at version ${number ?? '(none)'}, which does not exist`);
    }
    return version;
  }

  /** Runs a transaction; resolves with the cancellation reasons if a condition or conflict cancelled it. */
  private async transact(items: TransactItem[]): Promise<readonly CancellationReason[] | undefined> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      return reasons;
    }
  }

  /** Strongly consistent read of one item, parsed. */
  private async getItem<T>(key: ItemKey, schema: z.ZodMiniType<T>): Promise<T | undefined> {
    const output = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : parseItem(schema, output.Item, describeKey(key));
  }

  private async queryPage<T>(query: PageQuery<T>, page: PageRequest | undefined): Promise<Page<T>> {
    const { limit, nextToken } = parseInput(pageRequestSchema, page ?? {}, 'page');
    const { index, partition, sortPrefix } = query;
    const partitionAttribute = index?.partitionKey ?? PK;
    const sortAttribute = index?.sortKey ?? SK;
    const startKey = decodePageToken(nextToken, {
      attributes: index === undefined ? [PK, SK] : [PK, SK, index.partitionKey, index.sortKey],
      partition: [partitionAttribute, partition],
      sortPrefix: sortPrefix === undefined ? undefined : [sortAttribute, sortPrefix],
    });
    const output = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index?.indexName,
        KeyConditionExpression: sortPrefix === undefined ? '#p = :p' : '#p = :p AND begins_with(#s, :prefix)',
        ExpressionAttributeNames: {
          '#p': partitionAttribute,
          ...(sortPrefix === undefined ? {} : { '#s': sortAttribute }),
        },
        ExpressionAttributeValues: {
          ':p': partition,
          ...(sortPrefix === undefined ? {} : { ':prefix': sortPrefix }),
        },
        ScanIndexForward: query.forward,
        Limit: limit ?? DEFAULT_PAGE_SIZE,
        ExclusiveStartKey: startKey,
        // Global secondary indexes cannot be read consistently.
        ConsistentRead: index === undefined,
      }),
    );
    const items = (output.Items ?? []).map((item) =>
      parseItem(query.schema, item, `${String(item[PK])} / ${String(item[SK])}`),
    );
    const token = encodePageToken(output.LastEvaluatedKey);
    return token === undefined ? { items } : { items, nextToken: token };
  }

  private now(): string {
    const date = this.clock();
    if (Number.isNaN(date.getTime())) throw new Error('ModelRegistryClient: clock returned an invalid Date');
    return date.toISOString();
  }
}

/** Refuses a deployment its version cannot go through: the lifecycle, and rollbacks only to served versions. */
function checkDeployable(version: ModelVersion, kind: DeploymentKind): void {
  assertTransition(version.status, 'Deploying', `${version.model} v${version.version}`);
  if (kind === 'rollback' && version.deployment === undefined) {
    throw new ValidationError([
      {
        field: 'deployment.version',
        problem: `${version.model} v${version.version} never served: a rollback returns to a version that was Deployed`,
      },
    ]);
  }
}

function runEventType(status: RunStatus): string {
  const types = {
    Running: REGISTRY_EVENT_TYPES.runStarted,
    Succeeded: REGISTRY_EVENT_TYPES.runSucceeded,
    Failed: REGISTRY_EVENT_TYPES.runFailed,
  } as const;
  return types[status];
}
