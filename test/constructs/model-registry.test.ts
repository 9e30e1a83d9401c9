import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryKeys } from '../../lambdas/shared/registry/table-design';
import { synthStack } from '../support/cdk';

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
