/**
 * The DynamoDB requests the registry client sends, built from its domain objects: items and their keys,
 * conditional puts and updates, and named transactions. Pure: no I/O, no clock, no ids (store.ts owns
 * those; registry.ts and deployments.ts decide what a cancelled transaction means).
 */
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type {
  DeleteCommandInput,
  PutCommandInput,
  TransactWriteCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { omitUndefined } from '../omit-undefined';
import { CONDITION_FAILED, hasTransactionConflict } from './dynamo';
import { EventAlreadyExistsError } from './errors';
import {
  aliasKey,
  deploymentIndexAttributes,
  deploymentKey,
  deploymentLeaseKey,
  endpointWaiterKey,
  eventKey,
  type ItemKey,
  idempotencyKey,
  modelIndexAttributes,
  modelKey,
  monitoringCursorKey,
  monitoringWindowKey,
  retrainSlotKey,
  runIndexAttributes,
  runKey,
  runStatusPartition,
  trainedDatasetKey,
  versionKey,
} from './keys';
import type { MonitoringWindow } from './monitoring';
import type { RetrainInFlight } from './retraining';
import { RegistryKeys } from './table-design';
import type {
  Alias,
  AuditEvent,
  Deployment,
  DeploymentStatus,
  EndpointWaiter,
  ModelVersion,
  ModelVersionStatus,
  ProductionBaseline,
  Run,
  RunStatus,
  VersionDeployment,
} from './types';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type TransactPut = NonNullable<TransactItem['Put']>;
export type TransactUpdate = NonNullable<TransactItem['Update']>;
export type TransactConditionCheck = NonNullable<TransactItem['ConditionCheck']>;

const { partitionKey: PK, gsi1, timeToLive: TTL } = RegistryKeys;
const PK_NAME = { '#pk': PK };
const NOT_EXISTS = 'attribute_not_exists(#pk)';

/**
 * A TransactWriteItems request whose items have names. DynamoDB answers a cancellation with one reason per
 * item, in request order; this reads them back by name, so no caller counts positions.
 */
export class NamedTransaction<Name extends string> {
  private readonly names: readonly Name[];
  private readonly present: readonly TransactItem[];

  /** @param parts the items by name; an undefined part is left out (e.g. no previous version to retire) */
  constructor(parts: { readonly [K in Name]: TransactItem | undefined }) {
    const entries = (Object.entries(parts) as [Name, TransactItem | undefined][]).filter(
      (entry): entry is [Name, TransactItem] => entry[1] !== undefined,
    );
    this.names = entries.map(([name]) => name);
    this.present = entries.map(([, item]) => item);
  }

  /** The items, in the order their names were given. */
  get items(): TransactItem[] {
    return [...this.present];
  }

  /** The cancellation reason of one item (undefined for a part that was left out). */
  reason(reasons: readonly CancellationReason[], name: Name): CancellationReason | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : reasons[index];
  }

  /** Whether the item's condition failed. */
  failed(reasons: readonly CancellationReason[], name: Name): boolean {
    return this.reason(reasons, name)?.Code === CONDITION_FAILED;
  }

  /** Another transaction held one of the items: not a verdict on the conditions, worth retrying. */
  conflicted(reasons: readonly CancellationReason[]): boolean {
    return hasTransactionConflict(reasons);
  }
}

/** Builds the requests for one table. */
export class RegistryRequests {
  constructor(private readonly tableName: string) {}

  /**
   * Registers a version: allocates the number, writes the version, its event, the per-run marker (one
   * version per run) and records the dataset's bytes as trained (for duplicate uploads).
   */
  registration(input: {
    readonly version: ModelVersion;
    /** The model's latestVersion as read (0 for a new model). */
    readonly latest: number;
    readonly event: AuditEvent;
    readonly at: string;
  }) {
    const { version, latest, event, at } = input;
    const { model } = version;
    const { runId, dataset } = version.lineage;
    const marker = { model, version: version.version, runId, createdAt: at };
    return new NamedTransaction({
      latestVersion: { Update: this.bumpLatestVersion(model, latest, at) },
      version: { Put: this.putNew(versionKey(model, version.version), version) },
      event: { Put: this.eventPut(event) },
      runMarker: { Put: this.putNew(registrationMarkerKey(model, runId), marker) },
      trainedDataset: {
        Update: this.trainedDatasetUpdate(model, dataset.sha256, runId, version.version, at),
      },
    });
  }

  /** A status change conditioned on the status the decision was made from, with its event. */
  statusChange(input: {
    readonly current: ModelVersion;
    readonly to: string;
    readonly reason: string;
    readonly actor: string;
    readonly at: string;
    readonly event: AuditEvent;
  }) {
    const { event, ...change } = input;
    return new NamedTransaction({
      version: { Update: this.versionStatusUpdate(change) },
      event: { Put: this.eventPut(event) },
    });
  }

  /** An alias move, checked against what was read, to a version that must exist, with its event. */
  aliasMove(next: Alias, current: Alias | undefined, event: AuditEvent) {
    return new NamedTransaction({
      alias: { Put: this.aliasPut(next, current) },
      target: {
        ConditionCheck: {
          TableName: this.tableName,
          Key: versionKey(next.model, next.version),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: PK_NAME,
        } satisfies TransactConditionCheck,
      },
      event: { Put: this.eventPut(event) },
    });
  }

  /**
   * A checked monitoring window (never overwriting one) with its event, moving the kind's cursor from
   * `previousUntil` (absent: the first window) to the window's end.
   */
  windowRecording(input: {
    readonly window: MonitoringWindow;
    readonly previousUntil: string | undefined;
    readonly event: AuditEvent;
  }) {
    const { window, previousUntil, event } = input;
    const { model, kind, until, windowId } = window;
    const cursor = { model, kind, lastUntil: until, lastWindowId: windowId };
    return new NamedTransaction({
      window: { Put: this.putNew(monitoringWindowKey(model, kind, until), window) },
      cursor: {
        Put:
          previousUntil === undefined
            ? this.putNew(monitoringCursorKey(model, kind), cursor)
            : ({
                TableName: this.tableName,
                Item: { ...cursor, ...monitoringCursorKey(model, kind) },
                ConditionExpression: '#lastUntil = :previous',
                ExpressionAttributeNames: { '#lastUntil': 'lastUntil' },
                ExpressionAttributeValues: { ':previous': previousUntil },
              } satisfies TransactPut),
      },
      event: { Put: this.eventPut(event) },
    });
  }

  /**
   * Takes the model's retrain slot for `inFlight`: only when nothing is in flight and the last retrain started
   * before `cutoff` (the cooldown), with its event.
   */
  retrainSlotTake(input: {
    readonly model: string;
    readonly inFlight: RetrainInFlight;
    readonly now: string;
    readonly cutoff: string;
    readonly event: AuditEvent;
  }) {
    const { model, inFlight, now, cutoff, event } = input;
    return new NamedTransaction({
      slot: {
        Update: {
          TableName: this.tableName,
          Key: retrainSlotKey(model),
          UpdateExpression: 'SET #model = :model, #inFlight = :inFlight, #lastStartedAt = :now',
          // ISO 8601 UTC strings of one format compare as the times do.
          ConditionExpression:
            'attribute_not_exists(#pk) OR (attribute_not_exists(#inFlight) AND (attribute_not_exists(#lastStartedAt) OR #lastStartedAt < :cutoff))',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#model': 'model',
            '#inFlight': 'inFlight',
            '#lastStartedAt': 'lastStartedAt',
          },
          ExpressionAttributeValues: {
            ':model': model,
            ':inFlight': inFlight,
            ':now': now,
            ':cutoff': cutoff,
          },
        } satisfies TransactUpdate,
      },
      event: { Put: this.eventPut(event) },
    });
  }

  /** Releases the retrain slot held for `datasetKey` with its outcome, and its event. */
  retrainSlotRelease(input: {
    readonly model: string;
    readonly datasetKey: string;
    readonly outcome: string;
    readonly now: string;
    readonly event: AuditEvent;
  }) {
    const { model, datasetKey, outcome, now, event } = input;
    return new NamedTransaction({
      slot: {
        Update: {
          TableName: this.tableName,
          Key: retrainSlotKey(model),
          UpdateExpression: 'REMOVE #inFlight SET #lastOutcome = :outcome, #lastEndedAt = :now',
          ConditionExpression: '#inFlight.#datasetKey = :datasetKey',
          ExpressionAttributeNames: {
            '#inFlight': 'inFlight',
            '#datasetKey': 'datasetKey',
            '#lastOutcome': 'lastOutcome',
            '#lastEndedAt': 'lastEndedAt',
          },
          ExpressionAttributeValues: { ':datasetKey': datasetKey, ':outcome': outcome, ':now': now },
        } satisfies TransactUpdate,
      },
      event: { Put: this.eventPut(event) },
    });
  }

  /** Records `now` as the last "no labeled data" notice, unless one was sent after `cutoff`. */
  retrainNoticeClaim(input: {
    readonly model: string;
    readonly now: string;
    readonly cutoff: string;
  }): UpdateCommandInput {
    const { model, now, cutoff } = input;
    return {
      TableName: this.tableName,
      Key: retrainSlotKey(model),
      UpdateExpression: 'SET #model = :model, #lastNoticeAt = :now',
      ConditionExpression: 'attribute_not_exists(#lastNoticeAt) OR #lastNoticeAt < :cutoff',
      ExpressionAttributeNames: { '#model': 'model', '#lastNoticeAt': 'lastNoticeAt' },
      ExpressionAttributeValues: { ':model': model, ':now': now, ':cutoff': cutoff },
    };
  }

  /** A new run (never overwriting one) with its event. */
  runCreation(run: Run, event: AuditEvent) {
    return new NamedTransaction({
      run: { Put: this.putNew(runKey(run.runId), { ...run, ...runIndexAttributes(run) }) },
      event: { Put: this.eventPut(event) },
    });
  }

  /** A run's status change with its event. */
  runStatusChange(update: TransactUpdate, event: AuditEvent) {
    return new NamedTransaction({ run: { Update: update }, event: { Put: this.eventPut(event) } });
  }

  /** Sets fields of a run in `currentStatus`, keeping the by-status index key in sync. */
  runUpdate(
    runId: string,
    currentStatus: RunStatus,
    changes: Readonly<Record<string, unknown>>,
  ): TransactUpdate {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':current': currentStatus };
    const assignments = Object.entries(changes).map(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    const status = changes.status as RunStatus | undefined;
    if (status !== undefined) {
      names['#g1pk'] = gsi1.partitionKey;
      values[':g1pk'] = runStatusPartition(status);
      assignments.push('#g1pk = :g1pk');
    }
    return {
      TableName: this.tableName,
      Key: runKey(runId),
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ConditionExpression: '#status = :current',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  // Deployments

  /** A new deployment (never overwriting one) for a version that exists, with its event. */
  deploymentCreation(deployment: Deployment, event: AuditEvent) {
    const { stages: _stages, ...fields } = deployment;
    // Stages are a map by name in the item, so that recording one is idempotent.
    const item = { ...fields, stages: {}, ...deploymentIndexAttributes(deployment) };
    return new NamedTransaction({
      deployment: { Put: this.putNew(deploymentKey(deployment.deploymentId), item) },
      version: { ConditionCheck: this.existsCheck(versionKey(deployment.model, deployment.version)) },
      event: { Put: this.eventPut(event) },
    });
  }

  /**
   * Sets fields of a deployment in `currentStatus` and, optionally, records a stage unless one of that name
   * is recorded already (a redelivered stage keeps the first record).
   */
  deploymentUpdate(input: {
    readonly deploymentId: string;
    readonly currentStatus: DeploymentStatus;
    readonly changes: Readonly<Record<string, unknown>>;
    readonly stage?: { readonly name: string; readonly at: string; readonly details: object } | undefined;
  }): TransactUpdate {
    const { deploymentId, currentStatus, changes, stage } = input;
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':current': currentStatus };
    const assignments = Object.entries(changes).map(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    if (stage !== undefined) {
      names['#stages'] = 'stages';
      names['#stage'] = stage.name;
      values[':stage'] = omitUndefined({ at: stage.at, details: stage.details });
      assignments.push('#stages.#stage = if_not_exists(#stages.#stage, :stage)');
    }
    return {
      TableName: this.tableName,
      Key: deploymentKey(deploymentId),
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ConditionExpression: '#status = :current',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /**
   * A deployment begins: Started → Deploying with the production baseline it read, its version → Deploying,
   * while it holds the model's lease and the alias is still where it read it.
   */
  deploymentBeginning(input: {
    readonly deployment: Deployment;
    readonly version: ModelVersion;
    readonly baseline: ProductionBaseline;
    readonly at: string;
    readonly actor: string;
    readonly reason: string;
    readonly event: AuditEvent;
  }) {
    const { deployment, version, baseline, at, actor, reason, event } = input;
    return new NamedTransaction({
      deployment: {
        Update: this.deploymentUpdate({
          deploymentId: deployment.deploymentId,
          currentStatus: deployment.status,
          changes: { status: 'Deploying', baseline, updatedAt: at },
          stage: { name: 'Began', at, details: { baseline } },
        }),
      },
      version: { Update: this.versionStatusUpdate({ current: version, to: 'Deploying', reason, actor, at }) },
      lease: { ConditionCheck: this.leaseHeldCheck(deployment.model, deployment.deploymentId) },
      alias: { ConditionCheck: this.aliasUnmovedCheck(deployment.model, baseline) },
      event: { Put: this.eventPut(event) },
    });
  }

  /**
   * The promotion, all or nothing: `production` → the new version on the revision read when the deployment
   * began, the new version Deploying → Deployed (with what serves it), the previous production version →
   * Retired, the deployment Deploying → Promoted, while the deployment holds the lease; with the events.
   */
  promotion(input: {
    readonly deployment: Deployment;
    readonly baseline: ProductionBaseline;
    readonly alias: Alias;
    readonly version: ModelVersion;
    readonly served: VersionDeployment;
    /** The previous production version when it is to be Retired. */
    readonly previous: ModelVersion | undefined;
    readonly at: string;
    readonly actor: string;
    readonly reason: string;
    readonly events: {
      readonly alias: AuditEvent;
      readonly version: AuditEvent;
      readonly previous: AuditEvent | undefined;
      readonly deployed: AuditEvent;
    };
  }) {
    const { deployment, baseline, alias, version, served, previous, at, actor, reason, events } = input;
    const change = { reason, actor, at };
    return new NamedTransaction({
      alias: { Put: this.aliasPutAtRevision(alias, baseline.revision) },
      version: {
        Update: this.versionStatusUpdate({
          ...change,
          current: version,
          to: 'Deployed',
          set: { deployment: served },
        }),
      },
      previous:
        previous === undefined
          ? undefined
          : { Update: this.versionStatusUpdate({ ...change, current: previous, to: 'Retired' }) },
      deployment: {
        Update: this.deploymentUpdate({
          deploymentId: deployment.deploymentId,
          currentStatus: 'Deploying',
          changes: {
            status: 'Promoted',
            endpointName: served.endpointName,
            endpointConfigName: served.endpointConfigName,
            reasons: [reason],
            updatedAt: at,
            endedAt: at,
          },
          stage: { name: 'Promoted', at, details: { alias: alias.alias, revision: alias.revision } },
        }),
      },
      lease: { ConditionCheck: this.leaseHeldCheck(deployment.model, deployment.deploymentId) },
      aliasEvent: { Put: this.eventPut(events.alias) },
      versionEvent: { Put: this.eventPut(events.version) },
      previousEvent: events.previous === undefined ? undefined : { Put: this.eventPut(events.previous) },
      deployedEvent: { Put: this.eventPut(events.deployed) },
    });
  }

  /**
   * A deployment ends Failed or RolledBack: the deployment closes with its reasons and, when it had begun,
   * its version moves to the same outcome. The alias is not part of it.
   */
  deploymentFailure(input: {
    readonly deployment: Deployment;
    readonly outcome: 'Failed' | 'RolledBack';
    readonly reasons: readonly string[];
    /** The version to move (Deploying); undefined when the deployment never began. */
    readonly version: ModelVersion | undefined;
    readonly at: string;
    readonly actor: string;
    readonly details: object;
    readonly events: { readonly failed: AuditEvent; readonly version: AuditEvent | undefined };
  }) {
    const { deployment, outcome, reasons, version, at, actor, details, events } = input;
    const reason = reasons.join('; ');
    return new NamedTransaction({
      deployment: {
        Update: this.deploymentUpdate({
          deploymentId: deployment.deploymentId,
          currentStatus: deployment.status,
          changes: { status: outcome, reasons: [...reasons], updatedAt: at, endedAt: at },
          stage: { name: outcome, at, details },
        }),
      },
      version:
        version === undefined
          ? undefined
          : { Update: this.versionStatusUpdate({ current: version, to: outcome, reason, actor, at }) },
      event: { Put: this.eventPut(events.failed) },
      versionEvent: events.version === undefined ? undefined : { Put: this.eventPut(events.version) },
    });
  }

  // The deployment lease

  /**
   * Takes the model's lease for `holder`: when nobody holds it, when `holder` holds it already (a re-run)
   * or when it expired. The failed condition returns the holder's item.
   */
  leaseTake(input: {
    readonly model: string;
    readonly holder: string;
    readonly at: string;
    readonly nowMs: number;
    readonly untilMs: number;
  }): PutCommandInput {
    const { model, holder, at, nowMs, untilMs } = input;
    return {
      TableName: this.tableName,
      Item: {
        ...deploymentLeaseKey(model),
        model,
        holder,
        acquiredAt: at,
        leaseExpiresAt: untilMs,
        [TTL]: leaseCleanupAt(untilMs),
      },
      ConditionExpression: `${NOT_EXISTS} OR #holder = :holder OR #until < :now`,
      ExpressionAttributeNames: { ...PK_NAME, '#holder': 'holder', '#until': 'leaseExpiresAt' },
      ExpressionAttributeValues: { ':holder': holder, ':now': nowMs },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /** Extends the lease while `holder` holds it (expired or not: nobody took it over). */
  leaseRenewal(model: string, holder: string, untilMs: number): UpdateCommandInput {
    return {
      TableName: this.tableName,
      Key: deploymentLeaseKey(model),
      UpdateExpression: 'SET #until = :until, #ttl = :ttl',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseExpiresAt', '#ttl': TTL },
      ExpressionAttributeValues: { ':holder': holder, ':until': untilMs, ':ttl': leaseCleanupAt(untilMs) },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /** Deletes the lease only if `holder` holds it. */
  leaseRelease(model: string, holder: string): DeleteCommandInput {
    return {
      TableName: this.tableName,
      Key: deploymentLeaseKey(model),
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':holder': holder },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  // Endpoint waiters

  /**
   * Stores the task token waiting on the endpoint, replacing any left by an earlier wait: the lease keeps one
   * deployment per model, hence per endpoint, and the newest wait is the one that is live.
   */
  waiterPut(waiter: EndpointWaiter, cleanupAtEpochSeconds: number): PutCommandInput {
    return {
      TableName: this.tableName,
      Item: { ...waiter, ...endpointWaiterKey(waiter.endpointName), [TTL]: cleanupAtEpochSeconds },
    };
  }

  /** Deletes the waiter and returns it: of two events, only the one whose delete found it resumes. */
  waiterTake(endpointName: string): DeleteCommandInput {
    return {
      TableName: this.tableName,
      Key: endpointWaiterKey(endpointName),
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: PK_NAME,
      ReturnValues: 'ALL_OLD',
    };
  }

  /** Deletes the waiter if it is this deployment's (after a timeout), never another deployment's. */
  waiterDelete(endpointName: string, deploymentId: string): DeleteCommandInput {
    return {
      TableName: this.tableName,
      Key: endpointWaiterKey(endpointName),
      ConditionExpression: '#deployment = :deployment',
      ExpressionAttributeNames: { '#deployment': 'deploymentId' },
      ExpressionAttributeValues: { ':deployment': deploymentId },
    };
  }

  /** An audit event; events are immutable, so the put never overwrites. */
  eventPut(event: AuditEvent): TransactPut {
    return this.putNew(eventKey(event.model, event.at, event.id), event);
  }

  /** A version's status change conditioned on the status it was decided from; `set` adds fields. */
  private versionStatusUpdate(input: {
    readonly current: ModelVersion;
    readonly to: ModelVersionStatus | string;
    readonly reason: string;
    readonly actor: string;
    readonly at: string;
    readonly set?: Readonly<Record<string, unknown>>;
  }): TransactUpdate {
    const { current, to, reason, actor, at, set = {} } = input;
    const names: Record<string, string> = {
      '#status': 'status',
      '#reason': 'statusReason',
      '#at': 'statusChangedAt',
      '#by': 'statusChangedBy',
    };
    const values: Record<string, unknown> = {
      ':to': to,
      ':reason': reason,
      ':at': at,
      ':actor': actor,
      ':from': current.status,
    };
    const extra = Object.entries(set).map(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = typeof value === 'object' && value !== null ? omitUndefined(value) : value;
      return `, #s${i} = :s${i}`;
    });
    return {
      TableName: this.tableName,
      Key: versionKey(current.model, current.version),
      UpdateExpression: `SET #status = :to, #reason = :reason, #at = :at, #by = :actor${extra.join('')}`,
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /** The alias at `revision` (null: it must not exist) moves to `next`. */
  private aliasPutAtRevision(next: Alias, revision: number | null): TransactPut {
    const key = aliasKey(next.model, next.alias);
    if (revision === null) return this.putNew(key, next);
    return {
      TableName: this.tableName,
      Item: { ...omitUndefined(next), ...key },
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':revision': revision },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /** The alias is still at the baseline's revision (null: still unset). */
  private aliasUnmovedCheck(model: string, baseline: ProductionBaseline): TransactConditionCheck {
    const key = aliasKey(model, 'production');
    if (baseline.revision === null) {
      return {
        TableName: this.tableName,
        Key: key,
        ConditionExpression: NOT_EXISTS,
        ExpressionAttributeNames: PK_NAME,
      };
    }
    return {
      TableName: this.tableName,
      Key: key,
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':revision': baseline.revision },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  private leaseHeldCheck(model: string, holder: string): TransactConditionCheck {
    return {
      TableName: this.tableName,
      Key: deploymentLeaseKey(model),
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':holder': holder },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  private existsCheck(key: ItemKey): TransactConditionCheck {
    return {
      TableName: this.tableName,
      Key: key,
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: PK_NAME,
    };
  }

  /** Allocates version latest+1: the condition fails if anyone else allocated it first. */
  private bumpLatestVersion(model: string, latest: number, at: string): TransactUpdate {
    const index = modelIndexAttributes(model);
    return {
      TableName: this.tableName,
      Key: modelKey(model),
      UpdateExpression:
        'SET #latest = :next, #updatedAt = :at, #createdAt = if_not_exists(#createdAt, :at), #model = :model, ' +
        '#g1pk = :g1pk, #g1sk = :g1sk',
      ConditionExpression: latest === 0 ? 'attribute_not_exists(#latest)' : '#latest = :latest',
      ExpressionAttributeNames: {
        '#latest': 'latestVersion',
        '#updatedAt': 'updatedAt',
        '#createdAt': 'createdAt',
        '#model': 'model',
        '#g1pk': gsi1.partitionKey,
        '#g1sk': gsi1.sortKey,
      },
      ExpressionAttributeValues: {
        ':next': latest + 1,
        ':at': at,
        ':model': model,
        ':g1pk': index[gsi1.partitionKey],
        ':g1sk': index[gsi1.sortKey],
        ...(latest === 0 ? {} : { ':latest': latest }),
      },
    };
  }

  /**
   * Records the bytes as trained by the first run that registered a version from them: unconditional (so it
   * never cancels a registration), with `if_not_exists`, so a later run trained on the same bytes (a forced
   * retry) leaves the first one recorded.
   */
  private trainedDatasetUpdate(
    model: string,
    sha256: string,
    runId: string,
    version: number,
    at: string,
  ): TransactUpdate {
    return {
      TableName: this.tableName,
      Key: trainedDatasetKey(model, sha256),
      UpdateExpression:
        'SET #model = :model, #sha256 = :sha256, #runId = if_not_exists(#runId, :runId), ' +
        '#version = if_not_exists(#version, :version), #createdAt = if_not_exists(#createdAt, :at)',
      ExpressionAttributeNames: {
        '#model': 'model',
        '#sha256': 'sha256',
        '#runId': 'runId',
        '#version': 'version',
        '#createdAt': 'createdAt',
      },
      ExpressionAttributeValues: {
        ':model': model,
        ':sha256': sha256,
        ':runId': runId,
        ':version': version,
        ':at': at,
      },
    };
  }

  /** First move: the alias must not exist. Later moves: nobody may have moved it since we read it. */
  private aliasPut(next: Alias, current: Alias | undefined): TransactPut {
    const key = aliasKey(next.model, next.alias);
    if (current === undefined) return this.putNew(key, next);
    return {
      TableName: this.tableName,
      Item: { ...next, ...key },
      ConditionExpression: '#version = :expected AND #revision = :revision',
      ExpressionAttributeNames: { '#version': 'version', '#revision': 'revision' },
      ExpressionAttributeValues: { ':expected': current.version, ':revision': current.revision },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }

  /** A put that never overwrites. */
  private putNew(key: ItemKey, item: object): TransactPut {
    return {
      TableName: this.tableName,
      Item: { ...omitUndefined(item), ...key },
      ConditionExpression: NOT_EXISTS,
      ExpressionAttributeNames: PK_NAME,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }
}

/** TTL cleans a lease up a day after it expired; until then its own expiry decides (TTL may lag). */
function leaseCleanupAt(untilMs: number): number {
  return Math.ceil(untilMs / 1000) + 86_400;
}

/** The per-run marker that keeps a run to one version. */
export function registrationMarkerKey(model: string, runId: string): ItemKey {
  return idempotencyKey(`registerVersion:${model}:${runId}`);
}

export function eventExists(event: AuditEvent): EventAlreadyExistsError {
  return new EventAlreadyExistsError(event.model, event.id, event.at);
}

export function unexpectedCancellation(reasons: readonly CancellationReason[]): Error {
  const codes = reasons.map((reason) => `${reason.Code}${reason.Message ? ` (${reason.Message})` : ''}`);
  return new Error(`registry transaction cancelled: ${codes.join(', ')}`);
}
