/**
 * What the constructs use of resources other constructs own, instead of CDK's `I...` interfaces. Under
 * `exactOptionalPropertyTypes` an `s3.Bucket` is not an `s3.IBucket` nor a `dynamodb.Table` a
 * `dynamodb.ITable`: their getters return `T | undefined` where the interfaces declare `?: T` (isWebsite,
 * tableStreamArn; aws/aws-cdk#37996). A Pick of the members a construct reads accepts both the class and
 * the interface, and says what the construct needs.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** A bucket whose name and ARNs a construct puts into policies and environment variables. */
export type BucketReference = Pick<s3.IBucket, 'bucketName' | 'bucketArn' | 'arnForObjects'>;

/** A table whose name a construct passes on. */
export type TableReference = Pick<dynamodb.ITable, 'tableName'>;

/**
 * `bucket` where a CDK prop needs an `s3.IBucket` that is the Bucket itself (BucketProps.serverAccessLogsBucket:
 * only for a Bucket does CDK add the log-delivery policy). The one type assertion aws/aws-cdk#37996 forces:
 * the object is an IBucket; only the declared type of its `isWebsite` getter (`boolean | undefined`) differs
 * from IBucket's `isWebsite?: boolean`. Drop it once aws-cdk-lib ships the fix (aws/aws-cdk#38104).
 */
export function asIBucket(bucket: s3.Bucket): s3.IBucket {
  return bucket as s3.IBucket;
}
