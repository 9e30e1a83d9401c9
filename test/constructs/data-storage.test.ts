import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthStack } from '../support/cdk';

type Resource = {
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

function bucketsById(template: Template): Record<string, Resource> {
  const buckets = template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
  const find = (prefix: string) => {
    const entry = Object.entries(buckets).find(([id]) => id.startsWith(`Storage${prefix}`));
    if (!entry) throw new Error(`no bucket Storage${prefix}*`);
    return entry;
  };
  return Object.fromEntries(['Data', 'Artifacts', 'AccessLogs'].map((name) => [name, find(name)[1]]));
}

function logicalId(template: Template, type: string, prefix: string): string {
  const id = Object.keys(template.findResources(type)).find((key) => key.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}*`);
  return id;
}

describe('DataStorage', () => {
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = synthStack({ config: { stage: 'dev' } }).template;
    prod = synthStack({ config: { stage: 'prod' } }).template;
  });

  it('creates the data, artifacts and access-log buckets', () => {
    // Assess
    dev.resourceCountIs('AWS::S3::Bucket', 3);
  });

  it.each(['Data', 'Artifacts', 'AccessLogs'])(
    '%s bucket blocks public access, is versioned and cleans up',
    (name) => {
      // Act
      const bucket = bucketsById(dev)[name];

      // Assess
      expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket?.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket?.Properties.LifecycleConfiguration).toEqual({
        Rules: [
          expect.objectContaining({
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          }),
        ],
      });
      expect(bucket?.Properties.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
    },
  );

  it.each(['Data', 'Artifacts'])('%s bucket is encrypted with the stack key and logs access', (name) => {
    // Prepare
    const keyId = logicalId(dev, 'AWS::KMS::Key', 'EncryptionKey');
    const logsId = logicalId(dev, 'AWS::S3::Bucket', 'StorageAccessLogs');

    // Act
    const bucket = bucketsById(dev)[name];

    // Assess
    expect(bucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
    expect(bucket?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: `${name.toLowerCase()}/`,
    });
  });

  it('encrypts the access-log bucket with SSE-S3, the only encryption S3 log delivery accepts', () => {
    // Act
    const bucket = bucketsById(dev).AccessLogs;

    // Assess
    expect(bucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket?.Properties.LifecycleConfiguration).toEqual({
      Rules: [expect.objectContaining({ ExpirationInDays: 365 })],
    });
  });

  it('denies every request without TLS 1.2 on all three buckets', () => {
    // Act
    const policies = dev.findResources('AWS::S3::BucketPolicy');

    // Assess
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      const statements = (policy as Resource).Properties.PolicyDocument as { Statement: unknown[] };
      expect(statements.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  it('sends data bucket events to EventBridge', () => {
    // Assess
    dev.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(dev, 'AWS::S3::Bucket', 'StorageData') },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it('empties and deletes the buckets with a dev stack', () => {
    // Act
    const buckets = Object.values(bucketsById(dev));

    // Assess
    expect(buckets.map((bucket) => bucket.DeletionPolicy)).toEqual(['Delete', 'Delete', 'Delete']);
    dev.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
  });

  it('keeps the buckets and their objects with a prod stack', () => {
    // Act
    const buckets = Object.values(bucketsById(prod));

    // Assess
    expect(buckets.map((bucket) => [bucket.DeletionPolicy, bucket.UpdateReplacePolicy])).toEqual([
      ['Retain', 'Retain'],
      ['Retain', 'Retain'],
      ['Retain', 'Retain'],
    ]);
    prod.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('grants CloudWatch Logs use of the key only for this account log groups', () => {
    // Assess
    dev.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*',
              },
            },
          }),
        ]),
      },
    });
  });
});
