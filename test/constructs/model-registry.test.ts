import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryKeys } from '../../lambdas/shared/registry/table-design';
import { ModelRegistry } from '../../lib/constructs/model-registry';
import { synthStack, TEST_ENV } from '../support/cdk';

type Table = { Properties: Record<string, unknown>; DeletionPolicy?: string };

function table(template: Template): Table {
  const tables = Object.values(template.findResources('AWS::DynamoDB::Table')) as Table[];
  expect(tables).toHaveLength(1);
  return tables[0] as Table;
}

describe('ModelRegistry', () => {
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = synthStack({ config: { stage: 'dev' } }).template;
    prod = synthStack({ config: { stage: 'prod' } }).template;
  });

  it('is on-demand, recoverable to a point in time and encrypted with the stack key', () => {
    // Act
    const { Properties } = table(dev);

    // Assess
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^EncryptionKey/), 'Arn'] },
    });
  });

  it('has the single-table keys, both overloaded indexes and the TTL attribute', () => {
    // Act
    const { Properties } = table(dev);

    // Assess
    expect(Properties.KeySchema).toEqual([
      { AttributeName: RegistryKeys.partitionKey, KeyType: 'HASH' },
      { AttributeName: RegistryKeys.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Properties.GlobalSecondaryIndexes).toEqual(
      [RegistryKeys.gsi1, RegistryKeys.gsi2].map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('is deletion-protected and retained in prod', () => {
    // Act
    const prodTable = table(prod);

    // Assess
    expect(prodTable.Properties.DeletionProtectionEnabled).toBe(true);
    expect(prodTable.DeletionPolicy).toBe('Retain');
  });

  it('is disposable in dev', () => {
    // Act
    const devTable = table(dev);

    // Assess
    expect(devTable.Properties.DeletionProtectionEnabled).toBe(false);
    expect(devTable.DeletionPolicy).toBe('Delete');
  });
});

describe('ModelRegistry grants', () => {
  type Statement = { Action: string | string[]; Resource: unknown };

  function granted(grant: (registry: ModelRegistry, role: iam.Role) => void): Statement[] {
    const stack = new Stack(new App(), 'Test', { env: TEST_ENV });
    const registry = new ModelRegistry(stack, 'Registry', { encryptionKey: new kms.Key(stack, 'Key') });
    const role = new iam.Role(stack, 'Caller', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    grant(registry, role);
    return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
  }
  const actionsOf = (statements: Statement[]) =>
    statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

  it('grants exactly the item actions asked for, on the table, and only decrypt for reads', () => {
    // Act
    const statements = granted((registry, role) => registry.grantItemActions(role, 'GetItem'));

    // Assess
    expect(actionsOf(statements)).toEqual(['dynamodb:GetItem', 'kms:Decrypt', 'kms:DescribeKey']);
    const dynamo = statements.find((s) => actionsOf([s]).includes('dynamodb:GetItem'));
    expect(dynamo?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RegistryTable/), 'Arn'] });
  });

  it('lets writers encrypt and generate data keys', () => {
    // Act
    const statements = granted((registry, role) => registry.grantItemActions(role, 'UpdateItem', 'PutItem'));

    // Assess
    expect(actionsOf(statements)).toEqual([
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
  });

  it('grants a query on one index only', () => {
    // Act
    const statements = granted((registry, role) => registry.grantQueryIndex(role, 'gsi2'));

    // Assess
    const query = statements.find((s) => actionsOf([s]).includes('dynamodb:Query'));
    expect(JSON.stringify(query?.Resource)).toContain(`/index/${RegistryKeys.gsi2.indexName}`);
    expect(JSON.stringify(query?.Resource)).not.toContain(RegistryKeys.gsi1.indexName);
  });
});
