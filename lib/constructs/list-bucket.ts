import * as iam from 'aws-cdk-lib/aws-iam';
import type { BucketReference } from './references';

/**
 * Lets `principal` list `bucket` under `prefixes` (IAM patterns such as `runs/*`), for a function that reads
 * objects which may be missing: without s3:ListBucket, S3 answers 403 instead of 404 for a missing key
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, Permissions), so an optional file
 * would read as access denied.
 *
 * Why `StringLikeIfExists`: that 404-versus-403 check is evaluated as s3:ListBucket without an s3:prefix key;
 * a plain StringLike would refuse it and turn every missing object back into a 403. The cost: a ListObjects
 * call without a Prefix (the whole bucket's key names, not their contents) is let through too. A List that
 * names a prefix must match one of `prefixes`.
 */
export function grantListUnder(
  principal: iam.IGrantable,
  bucket: BucketReference,
  prefixes: readonly string[],
): void {
  principal.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLikeIfExists: { 's3:prefix': [...prefixes] } },
    }),
  );
}
