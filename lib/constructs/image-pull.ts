import * as iam from 'aws-cdk-lib/aws-iam';
import { ecrRepositoryOf } from '../config/training-images';

/**
 * The ARN of the ECR repository an image URI names, or undefined when the image is not in ECR.
 * @param partition - the stack's partition, for a URI whose host does not say it
 */
export function ecrRepositoryArn(image: string, partition: string): string | undefined {
  const repository = ecrRepositoryOf(image);
  if (repository === undefined) return undefined;
  return `arn:${repository.partition ?? partition}:ecr:${repository.region}:${repository.account}:repository/${repository.name}`;
}

/**
 * Lets a SageMaker execution role pull its container images from the account's ECR repositories: the three
 * image actions on those repositories and GetAuthorizationToken
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html, CreateTrainingJob and CreateModel
 * permissions). Nothing when there is no repository (the built-in algorithms' images are AWS's to pull).
 */
export function grantImagePull(role: iam.IRole, repositoryArns: readonly string[]): void {
  if (repositoryArns.length === 0) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      resources: [...new Set(repositoryArns)].sort(),
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecr:GetAuthorizationToken'],
      // '*': GetAuthorizationToken has no resource-level permissions (it returns a registry login token).
      resources: ['*'],
    }),
  );
}
