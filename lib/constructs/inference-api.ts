import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { resourceNamePattern } from '../../lambdas/shared/endpoints/naming';
import type { RuntimeDeploymentSettingsMap } from '../../lambdas/shared/model-settings';
import { KeyPatterns, Prefixes } from '../../lambdas/shared/s3-layout';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';
import type { BucketReference } from './references';

export interface InferenceApiProps {
  /** Receives the API's capture records under `capture/<model>/`. */
  readonly artifactsBucket: BucketReference;
  /** Encrypts the capture records and the function's logs. */
  readonly encryptionKey: kms.IKey;
  /** The stack's SageMaker name prefix (DeploymentPipeline.namePrefix): endpoints are `<prefix>-<model>`. */
  readonly namePrefix: string;
  /** Every model's deployment settings plus `defaults`: which endpoints SageMaker cannot capture. */
  readonly deploymentSettings: RuntimeDeploymentSettingsMap;

  /**
   * What happens to the function's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The share of requests the API captures per model: 100 for serverless endpoints (SageMaker captures nothing
 * there), 0 for real-time ones (their DataCaptureConfig does, at `dataCapturePercent`; capturing again would
 * count every request twice).
 */
export function apiCapturePercent(settings: RuntimeDeploymentSettingsMap): Record<string, number> {
  return Object.fromEntries(
    Object.entries(settings).map(([model, s]) => [model, s.endpoint.type === 'serverless' ? 100 : 0]),
  );
}

/**
 * The inference API of every model (issue 10 §5): one Lambda function URL with AuthType AWS_IAM, `POST
 * /models/<model>/invocations`, invoking the model's endpoint (lambdas/invoke-model). Callers are signed IAM
 * principals granted with {@link grantInvoke}: lambda:InvokeFunctionUrl and lambda:InvokeFunction
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html: "new function URLs will require both"). One URL
 * serves every model, also models first seen in an upload, so IAM authorizes the API, not a model.
 */
export class InferenceApi extends Construct {
  public readonly function: PipelineFunction;
  public readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: InferenceApiProps) {
    super(scope, id);
    const { artifactsBucket: artifacts, encryptionKey: key } = props;
    const { partition, region, account } = Stack.of(this);
    this.function = new PipelineFunction(this, 'InvokeModel', {
      entry: 'invoke-model',
      encryptionKey: key,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // InvokeEndpoint waits up to 60 s for a real-time container.
      timeout: Duration.seconds(75),
      environment: {
        NAME_PREFIX: props.namePrefix,
        ARTIFACTS_BUCKET: artifacts.bucketName,
        KMS_KEY_ARN: key.keyArn,
        API_CAPTURE_PERCENT: JSON.stringify(apiCapturePercent(props.deploymentSettings)),
      },
    });
    this.url = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const role = this.function.role;
    const endpoints = `arn:${partition}:sagemaker:${region}:${account}:endpoint/${resourceNamePattern(props.namePrefix)}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [endpoints] }),
    );
    const capture = artifacts.arnForObjects(KeyPatterns.capture);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [capture] }));
    // SSE-KMS writes: S3 asks KMS for a data key as the caller.
    key.grant(role, 'kms:GenerateDataKey');
    acknowledgeWildcardResource(
      role,
      endpoints,
      `Every model's endpoint is named <prefix>-<model> under the stack's prefix ${props.namePrefix}-; models may be first seen in an upload.`,
    );
    acknowledgeWildcardResource(
      role,
      capture,
      `Capture records go under ${Prefixes.capture}<model>/<endpoint>/<variant>/yyyy/mm/dd/hh/, as SageMaker's; write-only.`,
    );
  }

  /** Lets `grantee` call the API (signed with SigV4). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.url.grantInvokeUrl(grantee);
  }
}
