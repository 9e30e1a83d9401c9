import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface EncryptionProps {
  /**
   * What happens to the key when it leaves the stack. Deleting it makes every object it encrypted unreadable.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The stack's customer-managed KMS key, with yearly rotation, for buckets, the registry, logs and topics. */
export class Encryption extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'serverless-mlops: data, artifacts, registry and logs',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets CloudWatch Logs encrypt this account's log groups with the key, and nothing else
   * (the encryption context pins the grant to log groups of this account and region).
   */
  public grantCloudWatchLogs(): void {
    const { region, account, partition } = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        // '*' in a key policy means this key.
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }
}
