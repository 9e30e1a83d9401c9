import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  Projection,
  ProvisionedThroughput,
  StreamSpecification,
  UpdateTimeToLiveCommandInput,
} from '@aws-sdk/client-dynamodb';

/** A resource as it appears in a synthesized CloudFormation template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: unknown;
}

export interface LocalTableInputs {
  readonly createTable: CreateTableCommandInput;
  /** Present when the template enables TTL; send it after the table is ACTIVE. */
  readonly timeToLive?: UpdateTimeToLiveCommandInput;
}

export interface TableInputOptions {
  /** Overrides the template's TableName (needed when it is absent, generated, or must be unique per test). */
  readonly tableName?: string;
}

/**
 * Properties that change nothing DynamoDB Local can observe, so they are dropped:
 * - SSESpecification: encryption at rest with KMS; the key is an intrinsic (Fn::GetAtt) that only resolves
 *   in the cloud, and DynamoDB Local has no KMS.
 * - PointInTimeRecoverySpecification: continuous backups; DynamoDB Local has no backups.
 * - DeletionProtectionEnabled: local tables are throwaway and tests delete them.
 * - TableClass, OnDemandThroughput, WarmThroughput, ContributorInsightsSpecification: cost and capacity
 *   tuning and metrics only.
 * - KinesisStreamSpecification, ResourcePolicy, Tags: integrations and access control that no local
 *   client goes through (and they often hold intrinsics).
 * Anything not handled and not listed here is refused, so a new property is a decision, not a silent gap.
 */
export const IGNORED_TABLE_PROPERTIES: readonly string[] = [
  'SSESpecification',
  'PointInTimeRecoverySpecification',
  'DeletionProtectionEnabled',
  'TableClass',
  'OnDemandThroughput',
  'WarmThroughput',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'ResourcePolicy',
  'Tags',
];

const HANDLED_TABLE_PROPERTIES: readonly string[] = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
];

/** Same reasoning as the table-level list, for properties of one index. */
const IGNORED_INDEX_PROPERTIES: readonly string[] = [
  'ContributorInsightsSpecification',
  'OnDemandThroughput',
  'WarmThroughput',
];

type Json = Readonly<Record<string, unknown>>;

/**
 * Turns a synthesized `AWS::DynamoDB::Table` resource into the CreateTable (and UpdateTimeToLive) calls that
 * build the same table in DynamoDB Local, so local runs and tests use exactly the keys and indexes that
 * deploy.
 * @throws Error naming the logical id and property path when the resource cannot be reproduced locally.
 */
export function createTableInputFromTemplate(
  logicalId: string,
  resource: TemplateResource,
  options: TableInputOptions = {},
): LocalTableInputs {
  if (resource.Type !== 'AWS::DynamoDB::Table') {
    throw new Error(`${logicalId}: expected an AWS::DynamoDB::Table resource, got ${resource.Type}`);
  }
  const props = record(resource.Properties ?? {}, `${logicalId}.Properties`);
  refuseUnknown(props, HANDLED_TABLE_PROPERTIES, IGNORED_TABLE_PROPERTIES, `${logicalId}.Properties`);
  const at = (name: string): string => `${logicalId}.Properties.${name}`;

  // A computed name (Fn::Join of the stack name...) cannot be resolved here; the logical id is unique too.
  const tableName = options.tableName ?? (typeof props.TableName === 'string' ? props.TableName : logicalId);
  const billingMode = optional(props.BillingMode, (v) =>
    oneOf(v, ['PAY_PER_REQUEST', 'PROVISIONED'], at('BillingMode')),
  );
  // CloudFormation's default billing mode is PROVISIONED.
  const provisioned = billingMode !== 'PAY_PER_REQUEST';
  const throughput = optional(props.ProvisionedThroughput, (v) =>
    provisionedThroughput(v, at('ProvisionedThroughput')),
  );
  if (provisioned && throughput === undefined) {
    throw new Error(`${at('ProvisionedThroughput')}: required when BillingMode is PROVISIONED or absent`);
  }

  const createTable: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: keySchema(props.KeySchema, at('KeySchema')),
    AttributeDefinitions: array(props.AttributeDefinitions, at('AttributeDefinitions')).map((v, i) =>
      attributeDefinition(v, `${at('AttributeDefinitions')}[${i}]`),
    ),
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ProvisionedThroughput: provisioned ? throughput : undefined,
    GlobalSecondaryIndexes: optional(props.GlobalSecondaryIndexes, (v) =>
      array(v, at('GlobalSecondaryIndexes')).map((index, i) =>
        globalIndex(index, `${at('GlobalSecondaryIndexes')}[${i}]`, provisioned),
      ),
    ),
    LocalSecondaryIndexes: optional(props.LocalSecondaryIndexes, (v) =>
      array(v, at('LocalSecondaryIndexes')).map((index, i) =>
        localIndex(index, `${at('LocalSecondaryIndexes')}[${i}]`),
      ),
    ),
    StreamSpecification: optional(props.StreamSpecification, (v) =>
      streamSpecification(v, at('StreamSpecification')),
    ),
  };
  const timeToLive = optional(props.TimeToLiveSpecification, (v) =>
    timeToLiveInput(v, tableName, at('TimeToLiveSpecification')),
  );
  return timeToLive === undefined ? { createTable } : { createTable, timeToLive };
}

function globalIndex(value: unknown, path: string, provisioned: boolean): GlobalSecondaryIndex {
  const index = record(value, path);
  refuseUnknown(
    index,
    ['IndexName', 'KeySchema', 'Projection', 'ProvisionedThroughput'],
    IGNORED_INDEX_PROPERTIES,
    path,
  );
  const throughput = optional(index.ProvisionedThroughput, (v) =>
    provisionedThroughput(v, `${path}.ProvisionedThroughput`),
  );
  if (provisioned && throughput === undefined) {
    throw new Error(`${path}.ProvisionedThroughput: required when BillingMode is PROVISIONED or absent`);
  }
  return {
    IndexName: string(index.IndexName, `${path}.IndexName`),
    KeySchema: keySchema(index.KeySchema, `${path}.KeySchema`),
    Projection: projection(index.Projection, `${path}.Projection`),
    ProvisionedThroughput: provisioned ? throughput : undefined,
  };
}

function localIndex(value: unknown, path: string): LocalSecondaryIndex {
  const index = record(value, path);
  refuseUnknown(index, ['IndexName', 'KeySchema', 'Projection'], [], path);
  return {
    IndexName: string(index.IndexName, `${path}.IndexName`),
    KeySchema: keySchema(index.KeySchema, `${path}.KeySchema`),
    Projection: projection(index.Projection, `${path}.Projection`),
  };
}

function keySchema(value: unknown, path: string): KeySchemaElement[] {
  return array(value, path).map((element, i) => {
    const item = record(element, `${path}[${i}]`);
    return {
      AttributeName: string(item.AttributeName, `${path}[${i}].AttributeName`),
      KeyType: oneOf(item.KeyType, ['HASH', 'RANGE'], `${path}[${i}].KeyType`),
    };
  });
}

function attributeDefinition(value: unknown, path: string): AttributeDefinition {
  const item = record(value, path);
  return {
    AttributeName: string(item.AttributeName, `${path}.AttributeName`),
    AttributeType: oneOf(item.AttributeType, ['S', 'N', 'B'], `${path}.AttributeType`),
  };
}

function projection(value: unknown, path: string): Projection {
  const item = record(value, path);
  return {
    ProjectionType: optional(item.ProjectionType, (v) =>
      oneOf(v, ['ALL', 'KEYS_ONLY', 'INCLUDE'], `${path}.ProjectionType`),
    ),
    NonKeyAttributes: optional(item.NonKeyAttributes, (v) =>
      array(v, `${path}.NonKeyAttributes`).map((name, i) => string(name, `${path}.NonKeyAttributes[${i}]`)),
    ),
  };
}

function provisionedThroughput(value: unknown, path: string): ProvisionedThroughput {
  const item = record(value, path);
  return {
    ReadCapacityUnits: positiveInteger(item.ReadCapacityUnits, `${path}.ReadCapacityUnits`),
    WriteCapacityUnits: positiveInteger(item.WriteCapacityUnits, `${path}.WriteCapacityUnits`),
  };
}

function streamSpecification(value: unknown, path: string): StreamSpecification {
  const item = record(value, path);
  const viewTypes = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'] as const;
  return {
    StreamEnabled: true,
    StreamViewType: oneOf(item.StreamViewType, viewTypes, `${path}.StreamViewType`),
  };
}

function timeToLiveInput(
  value: unknown,
  tableName: string,
  path: string,
): UpdateTimeToLiveCommandInput | undefined {
  const item = record(value, path);
  const enabled = item.Enabled;
  if (typeof enabled !== 'boolean')
    throw new Error(`${path}.Enabled: expected a boolean, got ${describe(enabled)}`);
  if (!enabled) return undefined;
  const attributeName = string(item.AttributeName, `${path}.AttributeName`);
  return { TableName: tableName, TimeToLiveSpecification: { AttributeName: attributeName, Enabled: true } };
}

function refuseUnknown(
  item: Json,
  handled: readonly string[],
  ignored: readonly string[],
  path: string,
): void {
  const unknown = Object.keys(item).filter((key) => !handled.includes(key) && !ignored.includes(key));
  if (unknown.length > 0) {
    throw new Error(
      `${path}: ${unknown.join(', ')} not supported locally; map or ignore it in local/aws/dynamodb-tables.ts`,
    );
  }
}

function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function record(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${path}: expected an object, got ${describe(value)}`);
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
    throw new Error(`${path}: is a CloudFormation intrinsic (${JSON.stringify(value)}); resolve it first`);
  }
  return value as Json;
}

function array(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    if (typeof value === 'object' && value !== null) record(value, path);
    throw new Error(`${path}: expected an array, got ${describe(value)}`);
  }
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'object' && value !== null) record(value, path);
  throw new Error(`${path}: expected a non-empty string, got ${describe(value)}`);
}

function oneOf<const T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new Error(`${path}: expected one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return found;
}

function positiveInteger(value: unknown, path: string): number {
  // CloudFormation templates may carry numbers as strings.
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number) && number > 0) return number;
  throw new Error(`${path}: expected a positive integer, got ${describe(value)}`);
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
