import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { RegistryKeys } from '../../lambdas/shared/registry/table-design';

export interface ModelRegistryProps {
  /** Customer-managed key that encrypts the table at rest. */
  readonly encryptionKey: kms.IKey;

  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN - the registry is the audit trail; keep it unless told otherwise.
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Refuse DeleteTable calls until this is turned off.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The model registry: one DynamoDB table holding models, versions, aliases, pipeline runs, audit events
 * and idempotency keys. See lambdas/shared/registry/table-design.ts for the item layout.
 */
export class ModelRegistry extends Construct {
  public readonly table: dynamodb.Table;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ModelRegistryProps,
  ) {
    super(scope, id);
    const { partitionKey, sortKey, gsi1, gsi2, timeToLive } = RegistryKeys;
    const string = dynamodb.AttributeType.STRING;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: string },
      sortKey: { name: sortKey, type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: timeToLive,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of [gsi1, gsi2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: string },
        sortKey: { name: index.sortKey, type: string },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** Lets the grantee read the registry and its indexes (and decrypt with its key). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.props.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey');
    return this.grant(grantee, READ_ACTIONS);
  }

  /** Lets the grantee read and write items, transactions included (and use its key). */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    this.props.encryptionKey.grant(
      grantee,
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    );
    return this.grant(grantee, [...READ_ACTIONS, ...WRITE_ACTIONS]);
  }

  private grant(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    const { tableArn } = this.table;
    const indexes = [RegistryKeys.gsi1, RegistryKeys.gsi2].map(
      (index) => `${tableArn}/index/${index.indexName}`,
    );
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [tableArn, ...indexes] });
  }
}

// Transactions need no actions of their own: DynamoDB checks the item-level action of each part.
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
