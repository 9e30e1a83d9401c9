/**
 * What the parts of the registry client share: the table and its document client, the clock, event ids,
 * the default actor and the back-off, and the plumbing built on them (consistent reads, pages,
 * transactions, audit events).
 */
import { randomUUID } from 'node:crypto';
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { omitUndefined } from '../omit-undefined';
import type * as z from '../zod';
import {
  cancellationReasons,
  DEFAULT_RETRY_POLICY,
  isConditionalCheckFailed,
  isTransactionConflict,
  RETRY,
  type RetryPolicy,
} from './dynamo';
import { describeKey, type ItemKey } from './keys';
import { DEFAULT_PAGE_SIZE, decodePageToken, encodePageToken } from './paging';
import { RegistryRequests, type TransactItem } from './requests';
import { pageRequestSchema, parseInput, parseItem, toJsonObject } from './schemas';
import { RegistryKeys } from './table-design';
import type { AuditEvent, Page, PageRequest } from './types';

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

/** An event to record: what is undefined is left out (id, at and reasons have defaults). */
export interface NewEvent {
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
export interface PageQuery<T> {
  readonly index?: { readonly indexName: string; readonly partitionKey: string; readonly sortKey: string };
  readonly partition: string;
  readonly sortPrefix?: string;
  /** false = descending sort key (newest first). */
  readonly forward: boolean;
  readonly schema: z.ZodMiniType<T>;
}

const { partitionKey: PK, sortKey: SK } = RegistryKeys;

/** The table, its requests and the plumbing every registry operation uses. */
export class RegistryStore {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: () => Date;
  readonly defaultActor: string;
  readonly retry: RetryPolicy;
  readonly requests: RegistryRequests;
  private readonly newId: () => string;

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

  newEvent(input: NewEvent): AuditEvent {
    return omitUndefined({
      ...input,
      id: input.id ?? this.newId(),
      at: input.at ?? this.now(),
      reasons: [...(input.reasons ?? [])],
      details: toJsonObject(input.details, 'details'),
    });
  }

  /** Runs a transaction; resolves with the cancellation reasons if a condition or conflict cancelled it. */
  async transact(items: TransactItem[]): Promise<readonly CancellationReason[] | undefined> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      return reasons;
    }
  }

  /**
   * Sends one single-item write: a collision with a transaction in flight on the item is RETRY, a failed
   * condition is what `onConditionFailed` answers (rethrown without it), any other error is rethrown.
   */
  async write<T, F = never>(
    send: () => Promise<T>,
    onConditionFailed?: (error: Error) => F | typeof RETRY,
  ): Promise<T | F | typeof RETRY> {
    try {
      return await send();
    } catch (error) {
      if (isTransactionConflict(error)) return RETRY;
      if (onConditionFailed !== undefined && isConditionalCheckFailed(error)) {
        return onConditionFailed(error as Error);
      }
      throw error;
    }
  }

  /** Strongly consistent read of one item, parsed. */
  async getItem<T>(key: ItemKey, schema: z.ZodMiniType<T>): Promise<T | undefined> {
    const output = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : parseItem(schema, output.Item, describeKey(key));
  }

  async queryPage<T>(query: PageQuery<T>, page: PageRequest | undefined): Promise<Page<T>> {
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

  now(): string {
    const date = this.clock();
    if (Number.isNaN(date.getTime())) throw new Error('ModelRegistryClient: clock returned an invalid Date');
    return date.toISOString();
  }
}
