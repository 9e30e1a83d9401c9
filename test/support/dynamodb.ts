import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/aws/dynamodb-local';
import { createTableInputFromTemplate, type LocalTableInputs } from '../../local/aws/dynamodb-tables';

export interface RegistryTable {
  readonly endpoint: string;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** Default marshalling options on purpose: code under test must not rely on removeUndefinedValues. */
  readonly documentClient: DynamoDBDocumentClient;
  /** A separate client (own middleware stack) for tests that intercept requests. */
  newDocumentClient(): DynamoDBDocumentClient;
}

/**
 * Starts DynamoDB Local before the file's tests and stops it after them, with a fresh registry table created
 * from the synthesized ModelRegistry construct (so the tests run against the keys and indexes that deploy).
 * The returned object is usable from beforeAll on.
 */
export function useRegistryTable(): RegistryTable {
  let state: { local: DynamoDbLocal; tableName: string; clients: DynamoDBClient[] } | undefined;
  const ready = () => {
    if (state === undefined)
      throw new Error('useRegistryTable(): the table is only ready once beforeAll has run');
    return state;
  };
  const newClient = (): DynamoDBClient => {
    const current = ready();
    const client = new DynamoDBClient({
      endpoint: current.local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    current.clients.push(client);
    return client;
  };
  let client: DynamoDBClient | undefined;
  let documentClient: DynamoDBDocumentClient | undefined;

  beforeAll(async () => {
    const tableName = `registry-${randomUUID()}`;
    // The JVM boots while the template synthesizes (synth loads aws-cdk-lib lazily, so spawning comes first).
    const [local, inputs] = await Promise.allSettled([startDynamoDbLocal(), synthRegistryTable(tableName)]);
    if (local.status === 'rejected' || inputs.status === 'rejected') {
      if (local.status === 'fulfilled') await local.value.stop();
      throw local.status === 'rejected' ? local.reason : (inputs as PromiseRejectedResult).reason;
    }
    state = { local: local.value, tableName, clients: [] };
    client = newClient();
    documentClient = DynamoDBDocumentClient.from(client);
    await createTable(client, inputs.value);
  });

  afterAll(async () => {
    if (state === undefined) return;
    const { local, tableName, clients } = state;
    state = undefined;
    try {
      await client?.send(new DeleteTableCommand({ TableName: tableName }));
    } finally {
      for (const each of clients) each.destroy();
      await local.stop();
    }
  });

  return {
    get endpoint() {
      return ready().local.endpoint;
    },
    get tableName() {
      return ready().tableName;
    },
    get client() {
      ready();
      return client as DynamoDBClient;
    },
    get documentClient() {
      ready();
      return documentClient as DynamoDBDocumentClient;
    },
    newDocumentClient: () => DynamoDBDocumentClient.from(newClient()),
  };
}

/** Synthesizes the ModelRegistry construct and turns its table resource into CreateTable input. */
export async function synthRegistryTable(tableName: string): Promise<LocalTableInputs> {
  const [{ App, Stack }, { Template }, kms, { ModelRegistry }] = await Promise.all([
    import('aws-cdk-lib'),
    import('aws-cdk-lib/assertions'),
    import('aws-cdk-lib/aws-kms'),
    import('../../lib/constructs/model-registry'),
  ]);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'RegistryTest');
  new ModelRegistry(stack, 'Registry', { encryptionKey: new kms.Key(stack, 'Key') });
  const tables = Object.entries(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
  const [table, ...others] = tables;
  if (table === undefined || others.length > 0) {
    throw new Error(`expected exactly one AWS::DynamoDB::Table in the template, found ${tables.length}`);
  }
  const [logicalId, resource] = table;
  return createTableInputFromTemplate(
    logicalId,
    { Type: 'AWS::DynamoDB::Table', ...resource },
    { tableName },
  );
}

async function createTable(client: DynamoDBClient, inputs: LocalTableInputs): Promise<void> {
  await client.send(new CreateTableCommand(inputs.createTable));
  const TableName = inputs.createTable.TableName;
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
  if (inputs.timeToLive !== undefined) await client.send(new UpdateTimeToLiveCommand(inputs.timeToLive));
}
