import { randomUUID } from 'node:crypto';
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
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
  RETRY,
  type RetryPolicy,
  stringAttribute,
  withRetry,
} from './dynamo';
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
  type ItemKey,
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
  changeStatusOptionsSchema,
  createRunInputSchema,
  idSchema,
  modelNameSchema,
  pageRequestSchema,
  parseInput,
  parseItem,
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
import { RegistryKeys } from './table-design';
import { readTrainedDataset } from './trained-datasets';
import {
  type Alias,
  type AliasName,
  type AppendEventInput,
  type AuditEvent,
  type ChangeStatusOptions,
  type CreateRunInput,
  type CreateRunResult,
  type ModelSummary,
  type ModelVersion,
  type ModelVersionStatus,
  type Page,
  type PageRequest,
  REGISTRY_EVENT_TYPES,
  type RegisterVersionInput,
  type RegisterVersionResult,
  type Run,
  type RunPatch,
  type RunStatus,
  type SetAliasOptions,
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

function runEventType(status: RunStatus): string {
  const types = {
    Running: REGISTRY_EVENT_TYPES.runStarted,
    Succeeded: REGISTRY_EVENT_TYPES.runSucceeded,
    Failed: REGISTRY_EVENT_TYPES.runFailed,
  } as const;
  return types[status];
}
