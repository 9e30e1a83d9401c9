import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { asIBucket } from './references';

export interface DataStorageProps {
  /** Customer-managed key for the data and artifacts buckets. */
  readonly encryptionKey: kms.IKey;

  /**
   * What happens to the buckets (and their objects) when they leave the stack.
   * With DESTROY the objects are emptied first, so `cdk destroy` of a dev stack leaves nothing behind.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long an overwritten or deleted object version is kept before S3 expires it.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * How long an unfinished multipart upload may linger before S3 aborts it and frees its parts.
   * @default Duration.days(7)
   */
  readonly abortIncompleteMultipartUploadAfter?: Duration;

  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
}

/**
 * The stack's buckets: `data` (uploads: `datasets/<model>/[<folders>/]<file>.csv`, sends EventBridge notifications),
 * `artifacts` (validation reports, splits, baselines, models, captures, drift reports) and `accessLogs`.
 */
export class DataStorage extends Construct {
  public readonly dataBucket: s3.Bucket;
  public readonly artifactsBucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const lifecycleRules: s3.LifecycleRule[] = [
      {
        id: 'expire-noncurrent-versions',
        noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
        abortIncompleteMultipartUploadAfter: props.abortIncompleteMultipartUploadAfter ?? Duration.days(7),
      },
    ];
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    } satisfies s3.BucketProps;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      // S3 server access logging can only deliver to SSE-S3 buckets, not SSE-KMS ones.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          ...lifecycleRules[0],
          id: 'expire-logs',
          expiration: props.accessLogRetention ?? Duration.days(365),
        },
      ],
    });
    const kmsEncrypted = {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      // One data key per bucket instead of one KMS call per object: same protection, far fewer KMS requests.
      bucketKeyEnabled: true,
      serverAccessLogsBucket: asIBucket(this.accessLogsBucket),
      lifecycleRules,
    } satisfies s3.BucketProps;

    this.dataBucket = new s3.Bucket(this, 'Data', {
      ...kmsEncrypted,
      serverAccessLogsPrefix: 'data/',
      eventBridgeEnabled: true,
    });
    this.artifactsBucket = new s3.Bucket(this, 'Artifacts', {
      ...kmsEncrypted,
      serverAccessLogsPrefix: 'artifacts/',
    });
    this.acknowledgeNotificationsHandler();
  }

  /** `eventBridgeEnabled` makes CDK add a deploy-time handler (a stack singleton); its findings are CDK's. */
  private acknowledgeNotificationsHandler(): void {
    const handler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'CDK-owned handler that turns on EventBridge notifications for the data bucket; it only writes its own logs.',
    });
  }
}
