import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KeyPatterns, Prefixes, RunArtifacts } from '../../lambdas/shared/s3-layout';
import { ecrRepositoryArn, grantImagePull } from './image-pull';
import { acknowledgeWildcardResource } from './nag';
import type { BucketReference } from './references';

export interface TrainingRoleProps {
  /** Holds each run's splits (read), model output and checkpoints (written). */
  readonly artifactsBucket: BucketReference;
  /** Encrypts the model output (OutputDataConfig.KmsKeyId) and the training volume (VolumeKmsKeyId). */
  readonly encryptionKey: kms.IKey;
  /**
   * Training images the role must be able to pull from ECR: the configured images that are not SageMaker's
   * own algorithm images (SageMaker pulls those itself). Each must be an ECR image URI.
   * @default [] - no ECR permissions at all
   */
  readonly images?: readonly string[];
}

/** SageMaker writes training logs and metrics under these names (SageMaker developer guide, "SageMaker Roles"). */
const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

/**
 * The role SageMaker assumes for training jobs: read the run's splits, write its model and checkpoints, pull
 * the configured custom images, use the key, write its logs and metrics. Nothing else, and no network from the
 * container (the workflow sets EnableNetworkIsolation). Permissions follow "CreateTrainingJob API: Execution
 * Role Permissions" in https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html.
 */
export class TrainingRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TrainingRoleProps) {
    super(scope, id);
    const { artifactsBucket: artifacts, encryptionKey: key } = props;
    const { partition, region, account } = Stack.of(this);
    this.role = new iam.Role(this, 'Resource', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'SageMaker training jobs of the serverless-mlops pipeline',
    });
    const role = this.role;

    const runObjects = (folder: string) => artifacts.arnForObjects(KeyPatterns.runFolder(folder));
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [runObjects(RunArtifacts.splits)] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [runObjects(RunArtifacts.output)] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [runObjects(RunArtifacts.checkpoints)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [artifacts.bucketArn],
        conditions: { StringLike: { 's3:prefix': [KeyPatterns.runs] } },
      }),
    );

    // kms:Encrypt: "If you use a KMS key ID or an alias of your KMS key, the SageMaker execution role must
    // include permissions to call kms:Encrypt" (CreateTrainingJob, OutputDataConfig.KmsKeyId).
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt');
    // SageMaker encrypts the EBS training volume (VolumeKmsKeyId) through a grant it creates on the key;
    // kms:GrantIsForAWSResource limits CreateGrant to grants an AWS service makes for its own resources.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );

    const logGroups = `arn:${partition}:logs:${region}:${account}:log-group:${TRAINING_LOG_GROUP}:*`;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [logGroups],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // '*': PutMetricData has no resource-level permissions; the namespace condition is the scope.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': TRAINING_LOG_GROUP } },
      }),
    );

    grantImagePull(
      role,
      (props.images ?? []).map((image) => this.repositoryArn(image)),
    );

    acknowledgeWildcardResource(
      role,
      '*',
      'cloudwatch:PutMetricData (limited by its namespace condition) and ecr:GetAuthorizationToken have no resource-level permissions.',
    );
    for (const folder of [RunArtifacts.splits, RunArtifacts.output, RunArtifacts.checkpoints]) {
      acknowledgeWildcardResource(
        role,
        runObjects(folder),
        `Run ids are only known at run time; access is limited to the ${folder} folder of each run under ${Prefixes.runs}.`,
      );
    }
    acknowledgeWildcardResource(
      role,
      logGroups,
      'SageMaker writes one log stream per training job into this log group.',
    );
  }

  /** `arn:<partition>:ecr:<region>:<account>:repository/<name>` of an ECR image URI. */
  private repositoryArn(image: string): string {
    const arn = ecrRepositoryArn(image, Stack.of(this).partition);
    if (arn === undefined) throw new Error(`Training image ${JSON.stringify(image)} is not an ECR image URI`);
    return arn;
  }
}
