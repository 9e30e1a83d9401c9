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

  /**
   * Lets the grantee call exactly these item actions on the table (transactions need no action of their own:
   * DynamoDB authorizes each part of a TransactWriteItems by its item action), and use the key as they need:
   * decrypt for reads, encrypt and generate data keys for writes.
   */
  public grantItemActions(grantee: iam.IGrantable, ...actions: readonly RegistryItemAction[]): iam.Grant {
    this.grantKey(
      grantee,
      actions.some((action) => WRITE_ACTIONS.has(action)),
    );
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...new Set(actions)].sort().map((action) => `dynamodb:${action}`),
      resourceArns: [this.table.tableArn],
    });
  }

  /** Lets the grantee query one of the table's indexes (and decrypt what it reads). */
  public grantQueryIndex(grantee: iam.IGrantable, index: RegistryIndex): iam.Grant {
    this.grantKey(grantee, false);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${RegistryKeys[index].indexName}`],
    });
  }

  private grantKey(grantee: iam.IGrantable, write: boolean): void {
    const actions = write
      ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
      : ['kms:Decrypt', 'kms:DescribeKey'];
    this.props.encryptionKey.grant(grantee, ...actions);
  }
}

/** The item-level DynamoDB actions a registry caller may be granted. */
export type RegistryItemAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'Query';

/** The registry's global secondary indexes, by their key in {@link RegistryKeys}. */
export type RegistryIndex = 'gsi1' | 'gsi2';

const WRITE_ACTIONS: ReadonlySet<RegistryItemAction> = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
