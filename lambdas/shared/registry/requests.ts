/**
 * The DynamoDB requests the registry client sends, built from its domain objects: items and their keys,
 * conditional puts and updates, and named transactions. Pure: no I/O, no clock, no ids (registry.ts owns
 * those and decides what a cancelled transaction means).
 */
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { CONDITION_FAILED, hasTransactionConflict } from './dynamo';
import { EventAlreadyExistsError } from './errors';
import {
  aliasKey,
  eventKey,
  type ItemKey,
  idempotencyKey,
  modelIndexAttributes,
  modelKey,
  runIndexAttributes,
  runKey,
  runStatusPartition,
  trainedDatasetKey,
  versionKey,
} from './keys';
import { RegistryKeys } from './table-design';
import type { Alias, AuditEvent, ModelVersion, Run, RunStatus } from './types';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type TransactPut = NonNullable<TransactItem['Put']>;
export type TransactUpdate = NonNullable<TransactItem['Update']>;
export type TransactConditionCheck = NonNullable<TransactItem['ConditionCheck']>;

const { partitionKey: PK, gsi1 } = RegistryKeys;
const PK_NAME = { '#pk': PK };
const NOT_EXISTS = 'attribute_not_exists(#pk)';

/**
 * A TransactWriteItems request whose items have names. DynamoDB answers a cancellation with one reason per
 * item, in request order; this reads them back by name, so no caller counts positions.
 */
export class NamedTransaction<Name extends string> {
  private readonly names: readonly Name[];

  constructor(private readonly parts: Readonly<Record<Name, TransactItem>>) {
    this.names = Object.keys(parts) as Name[];
  }

  /** The items, in the order their names were given. */
  get items(): TransactItem[] {
    return this.names.map((name) => this.parts[name]);
  }

  /** The cancellation reason of one item. */
  reason(reasons: readonly CancellationReason[], name: Name): CancellationReason | undefined {
    return reasons[this.names.indexOf(name)];
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
    const { current, to, reason, actor, at, event } = input;
    return new NamedTransaction({
      version: {
        Update: {
          TableName: this.tableName,
          Key: versionKey(current.model, current.version),
          UpdateExpression: 'SET #status = :to, #reason = :reason, #at = :at, #by = :actor',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#reason': 'statusReason',
            '#at': 'statusChangedAt',
            '#by': 'statusChangedBy',
          },
          ExpressionAttributeValues: {
            ':to': to,
            ':reason': reason,
            ':at': at,
            ':actor': actor,
            ':from': current.status,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
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

  /** An audit event; events are immutable, so the put never overwrites. */
  eventPut(event: AuditEvent): TransactPut {
    return this.putNew(eventKey(event.model, event.at, event.id), event);
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
      Item: { ...stripUndefined(item), ...key },
      ConditionExpression: NOT_EXISTS,
      ExpressionAttributeNames: PK_NAME,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }
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

/** The document client refuses undefined attribute values unless configured to drop them; never send any. */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
    return Object.fromEntries(entries.map(([key, entry]) => [key, stripUndefined(entry)])) as T;
  }
  return value;
}
