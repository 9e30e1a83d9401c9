import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type OmitUndefined, omitUndefined } from '../omit-undefined';
import type * as z from '../zod';
import { DeploymentLeases } from './deployment-lease';
import { RegistryDeployments } from './deployments';
import { numberAttribute, RETRY, stringAttribute, withRetry } from './dynamo';
import { EndpointWaiters } from './endpoint-waiters';
import {
  AliasConflictError,
  ConcurrentModificationError,
  CorruptItemError,
  RunNotFoundError,
  RunStatusConflictError,
  VersionNotFoundError,
} from './errors';
import {
  aliasKey,
  describeKey,
  EVENT_PREFIX,
  MODELS_PARTITION,
  modelKey,
  modelPartition,
  modelRunsPartition,
  runKey,
  runStatusPartition,
  VERSION_PREFIX,
  versionKey,
} from './keys';
import { assertRunTransition, assertTransition } from './lifecycle';
import { eventExists, registrationMarkerKey, unexpectedCancellation } from './requests';
import {
  aliasNameSchema,
  appendEventInputSchema,
  changeStatusOptionsSchema,
  createRunInputSchema,
  idSchema,
  modelNameSchema,
  parseInput,
  registerVersionInputSchema,
  runPatchSchema,
  runStatusSchema,
  setAliasOptionsSchema,
  sha256Schema,
  storedAliasSchema,
  storedEventSchema,
  storedModelSchema,
  storedRunSchema,
  storedVersionSchema,
  toJsonObject,
  updateRunOptionsSchema,
  versionSchema,
  versionStatusSchema,
} from './schemas';
import { type ModelRegistryClientOptions, RegistryStore } from './store';
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
  type DeploymentLease,
  type DeploymentProgress,
  type EndpointWaiter,
  type ModelSummary,
  type ModelVersion,
  type ModelVersionStatus,
  type Page,
  type PageRequest,
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

export type { ModelRegistryClientOptions } from './store';

type RegisterVersionData = z.output<typeof registerVersionInputSchema>;
/** A parsed patch without its undefined fields: each key present is a field to set. */
type RunChanges = OmitUndefined<z.output<typeof runPatchSchema>>;
const { gsi1, gsi2 } = RegistryKeys;

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
  private readonly store: RegistryStore;
  private readonly deployments: RegistryDeployments;
  private readonly leases: DeploymentLeases;
  private readonly waiters: EndpointWaiters;

  constructor(options: ModelRegistryClientOptions) {
    this.store = new RegistryStore(options);
    this.deployments = new RegistryDeployments(this.store);
    this.leases = new DeploymentLeases(this.store);
    this.waiters = new EndpointWaiters(this.store);
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
    return withRetry(`registerVersion ${name}`, this.store.retry, () => this.tryRegisterVersion(name, data));
  }

  /** The model's summary (latest version number, timestamps), or undefined if it has no version yet. */
  public async getModel(model: string): Promise<ModelSummary | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.store.getItem(modelKey(name), storedModelSchema);
  }

  /** All models, by name. */
  public async listModels(page?: PageRequest): Promise<Page<ModelSummary>> {
    return this.store.queryPage(
      { index: gsi1, partition: MODELS_PARTITION, forward: true, schema: storedModelSchema },
      page,
    );
  }

  /** One version, or undefined if it does not exist. */
  public async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const number = parseInput(versionSchema, version, 'version');
    return this.store.getItem(versionKey(name, number), storedVersionSchema);
  }

  /** The model's versions, newest first. */
  public async listVersions(model: string, page?: PageRequest): Promise<Page<ModelVersion>> {
    const name = parseInput(modelNameSchema, model, 'model');
    const query = { partition: modelPartition(name), sortPrefix: VERSION_PREFIX, forward: false };
    return this.store.queryPage({ ...query, schema: storedVersionSchema }, page);
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
    return withRetry(`changeStatus ${name} v${number}`, this.store.retry, () =>
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
    return readTrainedDataset(this.store.doc, this.store.tableName, name, digest);
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
      actor: opts.actor ?? this.store.defaultActor,
    };
    return withRetry(`setAlias ${name} ${aliasName}`, this.store.retry, () => this.trySetAlias(move));
  }

  /** Where the alias points, or undefined if it was never set. */
  public async getAlias(model: string, alias: AliasName): Promise<Alias | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const aliasName = parseInput(aliasNameSchema, alias, 'alias');
    return this.store.getItem(aliasKey(name, aliasName), storedAliasSchema);
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
      startedAt: fields.startedAt ?? this.store.now(),
    });
    const event = this.store.newEvent({
      model: run.model,
      type: run.retryOf === undefined ? runEventType(run.status) : REGISTRY_EVENT_TYPES.runRetried,
      actor: actor ?? this.store.defaultActor,
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
    return withRetry(`createRun ${run.runId}`, this.store.retry, () => this.tryCreateRun(run, event));
  }

  /** One run, or undefined. */
  public async getRun(runId: string): Promise<Run | undefined> {
    return this.store.getItem(runKey(parseInput(idSchema, runId, 'runId')), storedRunSchema);
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
    const recorded = { actor: actor ?? this.store.defaultActor, type: eventType, reasons };
    return withRetry(`updateRun ${id}`, this.store.retry, () =>
      this.tryUpdateRun(id, changes, expectedStatus, recorded),
    );
  }

  /** Runs in a status, newest first. */
  public async listRunsByStatus(status: RunStatus, page?: PageRequest): Promise<Page<Run>> {
    const partition = runStatusPartition(parseInput(runStatusSchema, status, 'status'));
    return this.store.queryPage({ index: gsi1, partition, forward: false, schema: storedRunSchema }, page);
  }

  /** A model's runs, newest first. */
  public async listRunsByModel(model: string, page?: PageRequest): Promise<Page<Run>> {
    const partition = modelRunsPartition(parseInput(modelNameSchema, model, 'model'));
    return this.store.queryPage({ index: gsi2, partition, forward: false, schema: storedRunSchema }, page);
  }

  // Audit events

  /**
   * Records an audit event. Events are immutable: the write fails rather than overwrite an event with the
   * same time and id.
   * @throws EventAlreadyExistsError if that event was recorded already
   */
  public async appendEvent(input: AppendEventInput): Promise<AuditEvent> {
    const data = parseInput(appendEventInputSchema, input, 'event');
    const event = this.store.newEvent({ ...data, details: toJsonObject(data.details, 'event.details') });
    return withRetry(`appendEvent ${event.model}`, this.store.retry, async () => {
      const request = this.store.requests.eventPut(event);
      return this.store.write(
        async () => {
          await this.store.doc.send(new PutCommand(request));
          return event;
        },
        () => {
          throw eventExists(event);
        },
      );
    });
  }

  /** The model's audit trail, newest first. */
  public async listEvents(model: string, page?: PageRequest): Promise<Page<AuditEvent>> {
    const name = parseInput(modelNameSchema, model, 'model');
    const query = { partition: modelPartition(name), sortPrefix: EVENT_PREFIX, forward: false };
    return this.store.queryPage({ ...query, schema: storedEventSchema }, page);
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
  public createDeployment(input: CreateDeploymentInput): Promise<CreateDeploymentResult> {
    return this.deployments.createDeployment(input);
  }

  /** One deployment, or undefined. */
  public getDeployment(deploymentId: string): Promise<Deployment | undefined> {
    return this.deployments.getDeployment(deploymentId);
  }

  /** A model's deployments, newest first. */
  public listDeployments(model: string, page?: PageRequest): Promise<Page<Deployment>> {
    return this.deployments.listDeployments(model, page);
  }

  /**
   * Records progress of a running deployment: a stage (a redelivered stage of the same name keeps its first
   * record) and names learnt on the way. Progress is not a decision, so it writes no audit event.
   * @throws DeploymentNotFoundError; DeploymentEndedError once the deployment ended
   */
  public recordDeploymentProgress(deploymentId: string, progress: DeploymentProgress): Promise<Deployment> {
    return this.deployments.recordDeploymentProgress(deploymentId, progress);
  }

  /**
   * Records a stage that follows a deployment's outcome, whatever its status, which it leaves as it is: e.g.
   * autoscaling set up, or failing, after the promotion. A redelivered stage of the same name keeps its first
   * record. Like progress, it writes no audit event.
   * @throws DeploymentNotFoundError; ValidationError for a malformed stage
   */
  public recordDeploymentFollowUp(
    deploymentId: string,
    stage: NonNullable<DeploymentProgress['stage']>,
  ): Promise<Deployment> {
    return this.deployments.recordDeploymentFollowUp(deploymentId, stage);
  }

  /**
   * Begins a deployment under the model's lease: reads where `production` points (the baseline the promotion
   * will be conditioned on), moves the deployment Started → Deploying and its version → Deploying, with a
   * StatusChanged event, in one transaction that also checks the lease is still this deployment's.
   * Idempotent: a deployment that has begun (or ended) is returned as stored.
   * @throws DeploymentNotFoundError; LeaseNotHeldError; InvalidStatusTransitionError for a version that
   *   cannot be deployed from its status; ConcurrentModificationError if the version's status changed
   */
  public beginDeployment(deploymentId: string, options: BeginDeploymentOptions = {}): Promise<Deployment> {
    return this.deployments.beginDeployment(deploymentId, options);
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
  public promoteDeployment(deploymentId: string, input: PromoteDeploymentInput): Promise<PromotionResult> {
    return this.deployments.promoteDeployment(deploymentId, input);
  }

  /**
   * Ends a deployment Failed or RolledBack with its reasons: the deployment closes, its version (if the
   * deployment had begun) moves to the same status, a DeploymentFailed event records why; the alias and the
   * production version are not touched. Idempotent: a deployment that ended failed already is returned as
   * stored (`recorded: false`).
   * @throws DeploymentNotFoundError; InvalidStatusTransitionError for a promoted deployment, or RolledBack
   *   for one that never began
   */
  public recordDeploymentFailure(
    deploymentId: string,
    input: RecordDeploymentFailureInput,
  ): Promise<DeploymentFailureResult> {
    return this.deployments.recordDeploymentFailure(deploymentId, input);
  }

  // The deployment lease

  /**
   * Takes the model's deployment lease for `deploymentId` until now + ttlSeconds: when nobody holds it, when
   * this deployment holds it already (a re-run extends it), or when the holder's lease expired.
   * @throws LeaseHeldError naming the deployment that holds it and until when
   */
  public takeDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    return this.leases.takeDeploymentLease(model, deploymentId, options);
  }

  /**
   * Extends the lease to now + ttlSeconds while `deploymentId` holds it (a long blue/green bake renews it).
   * @throws LeaseNotHeldError naming who holds it, if anyone
   */
  public renewDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    return this.leases.renewDeploymentLease(model, deploymentId, options);
  }

  /**
   * Releases the lease if `deploymentId` holds it. Only its holder can: anyone else's call (a re-run after
   * the release, or after another deployment took an expired lease over) changes nothing.
   * @returns whether this call released it
   */
  public releaseDeploymentLease(model: string, deploymentId: string): Promise<boolean> {
    return this.leases.releaseDeploymentLease(model, deploymentId);
  }

  /** Who holds the model's deployment lease (possibly expired), or undefined. */
  public getDeploymentLease(model: string): Promise<DeploymentLease | undefined> {
    return this.leases.getDeploymentLease(model);
  }

  // Endpoint waiters

  /**
   * Stores the task token a deployment waits with for its endpoint's next state change, replacing an earlier
   * wait's token. The table's TTL removes it after `ttlSeconds` (default two days) if nobody took it.
   */
  public putEndpointWaiter(
    endpointName: string,
    taskToken: string,
    deploymentId: string,
    options: { readonly ttlSeconds?: number } = {},
  ): Promise<EndpointWaiter> {
    return this.waiters.putEndpointWaiter(endpointName, taskToken, deploymentId, options);
  }

  /**
   * Reads the endpoint's waiter without taking it: which deployment waits on the endpoint (its blue/green
   * stages are recorded on that deployment).
   * @returns undefined when nobody waits
   */
  public getEndpointWaiter(endpointName: string): Promise<EndpointWaiter | undefined> {
    return this.waiters.getEndpointWaiter(endpointName);
  }

  /**
   * Takes the endpoint's waiter once: deletes it and returns it, so of two deliveries of an endpoint event
   * only one gets the token and resumes the workflow.
   * @returns undefined when nobody waits (taken already, or never put)
   */
  public takeEndpointWaiter(endpointName: string): Promise<EndpointWaiter | undefined> {
    return this.waiters.takeEndpointWaiter(endpointName);
  }

  /**
   * Deletes the endpoint's waiter if it is this deployment's (after its wait timed out).
   * @returns whether one was deleted
   */
  public deleteEndpointWaiter(endpointName: string, deploymentId: string): Promise<boolean> {
    return this.waiters.deleteEndpointWaiter(endpointName, deploymentId);
  }

  // Attempts (one read + one conditional write; RETRY when the race is not a verdict)

  private async tryRegisterVersion(
    model: string,
    data: RegisterVersionData,
  ): Promise<RegisterVersionResult | typeof RETRY> {
    const latest = (await this.store.getItem(modelKey(model), storedModelSchema))?.latestVersion ?? 0;
    const at = this.store.now();
    const actor = data.actor ?? this.store.defaultActor;
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
    const event = this.store.newEvent({
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
    const transaction = this.store.requests.registration({ version, latest, event, at });
    const reasons = await this.store.transact(transaction.items);
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
    const current = await this.store.getItem(versionKey(model, version), storedVersionSchema);
    if (current === undefined) throw new VersionNotFoundError(model, version);
    const subject = `${model} v${version}`;
    assertTransition(current.status, to, subject);
    const at = this.store.now();
    const event = this.store.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.statusChanged,
      at,
      actor,
      reasons: [reason],
      details: { from: current.status, to },
      runId: current.lineage.runId,
      version,
    });
    const transaction = this.store.requests.statusChange({ current, to, reason, actor, at, event });
    const reasons = await this.store.transact(transaction.items);
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
    const current = await this.store.getItem(aliasKey(model, alias), storedAliasSchema);
    const actual = current?.version ?? null;
    if (actual !== expectedVersion) throw new AliasConflictError(model, alias, expectedVersion, actual);
    const at = this.store.now();
    const next: Alias = omitUndefined({
      model,
      alias,
      version,
      revision: (current?.revision ?? 0) + 1,
      updatedAt: at,
      updatedBy: actor,
      reason,
    });
    const event = this.store.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.aliasMoved,
      at,
      actor,
      reasons: reason === undefined ? [] : [reason],
      details: { alias, from: expectedVersion, to: version, revision: next.revision },
      version,
    });
    const transaction = this.store.requests.aliasMove(next, current, event);
    const reasons = await this.store.transact(transaction.items);
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
    const transaction = this.store.requests.runCreation(run, event);
    const reasons = await this.store.transact(transaction.items);
    if (reasons === undefined) return { created: true, run };
    if (transaction.failed(reasons, 'run')) {
      const existing = await this.store.getItem(runKey(run.runId), storedRunSchema);
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
    const current = await this.store.getItem(runKey(runId), storedRunSchema);
    if (current === undefined) throw new RunNotFoundError(runId);
    if (expectedStatus !== undefined && current.status !== expectedStatus) {
      throw new RunStatusConflictError(runId, expectedStatus, current.status);
    }
    const next: Run = { ...current, ...changes };
    const update = this.store.requests.runUpdate(runId, current.status, changes);
    if (next.status === current.status) {
      return this.store.write(
        async () => {
          await this.store.doc.send(new UpdateCommand(update));
          return next;
        },
        () => RETRY,
      );
    }
    assertRunTransition(current.status, next.status, `run ${runId}`);
    const event = this.store.newEvent({
      model: current.model,
      type: recorded.type ?? runEventType(next.status),
      actor: recorded.actor,
      reasons: recorded.reasons ?? (next.error === undefined ? [] : [next.error]),
      details: { ...changes, from: current.status, to: next.status },
      runId,
      version: next.version,
    });
    const transaction = this.store.requests.runStatusChange(update, event);
    const reasons = await this.store.transact(transaction.items);
    if (reasons === undefined) return next;
    // The status moved under us: re-read and re-validate against the caller's expectation.
    if (transaction.failed(reasons, 'run') || transaction.conflicted(reasons)) return RETRY;
    if (transaction.failed(reasons, 'event')) throw eventExists(event);
    throw unexpectedCancellation(reasons);
  }

  // Plumbing

  /** The version a run registered, from the marker that blocked a second registration. */
  private async registeredBy(
    model: string,
    runId: string,
    marker: CancellationReason | undefined,
  ): Promise<ModelVersion> {
    const number = numberAttribute(marker?.Item, 'version');
    const version =
      number === undefined
        ? undefined
        : await this.store.getItem(versionKey(model, number), storedVersionSchema);
    if (version === undefined) {
      const key = describeKey(registrationMarkerKey(model, runId));
      throw new CorruptItemError(key, `points at version ${number ?? '(none)'}, which does not exist`);
    }
    return version;
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
