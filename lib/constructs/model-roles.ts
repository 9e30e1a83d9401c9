import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { endpointName, resourceNamePattern } from '../../lambdas/shared/endpoints/naming';
import {
  MODEL_SETTINGS_DEFAULTS_KEY,
  type RuntimeModelSettingsMap,
} from '../../lambdas/shared/model-settings';
import { KeyPatterns, Prefixes, RunArtifacts } from '../../lambdas/shared/s3-layout';
import { ecrRepositoryArn, grantImagePull } from './image-pull';
import { acknowledgeWildcardResource } from './nag';
import type { BucketReference } from './references';

export interface ModelRolesProps {
  /** Holds `runs/<runId>/output/` (model artifacts, read) and receives data capture under `capture/` (written). */
  readonly artifactsBucket: BucketReference;
  /** Encrypts endpoint volumes and captured data; SageMaker decrypts artifacts with it. */
  readonly encryptionKey: kms.IKey;
  /** The stack's SageMaker name prefix (lambdas/shared/endpoints/naming.ts): endpoint log groups are named by it. */
  readonly namePrefix: string;
  /** The models named in the config; `defaults` among them is ignored (the default role is always made). */
  readonly models: readonly string[];
  /** Every model's settings plus `defaults`: custom (ECR) images a role must be able to pull. */
  readonly modelSettings: RuntimeModelSettingsMap;
}

/**
 * The roles SageMaker assumes to host models: one per model named in the config, reading only that model's
 * artifacts (`runs/<model>-<16 hex>/output/`) and writing only its capture (`capture/<model>/`); and the
 * default role for models first seen in an upload, which reads and writes every other model's but is denied
 * the configured models'. Run ids are known only at run time, a role's scope is fixed at synth time: the
 * model's run-id prefix is what ties them (s3-layout.ts KeyPatterns.modelRunFolder). Permissions follow
 * "CreateModel API: Execution Role Permissions" in https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html.
 */
export class ModelRoles extends Construct {
  /** Every role by model name, plus `defaults` ({@link defaultRole}). */
  public readonly roles: Readonly<Record<string, iam.Role>>;
  /** The role of models not named in the config: every model's artifacts and capture but the configured ones'. */
  public readonly defaultRole: iam.Role;

  constructor(scope: Construct, id: string, props: ModelRolesProps) {
    super(scope, id);
    const configured = props.models.filter((model) => model !== MODEL_SETTINGS_DEFAULTS_KEY).sort();
    this.defaultRole = this.createRole(props, 'ModelExecutionRole', { others: configured });
    const roles: Record<string, iam.Role> = { [MODEL_SETTINGS_DEFAULTS_KEY]: this.defaultRole };
    for (const model of configured) {
      roles[model] = this.createRole(props, `ModelExecutionRoleFor-${model}`, { model });
    }
    this.roles = roles;
  }

  /** One model execution role: `model` set, that model's artifacts only; else every model but `others`. */
  private createRole(
    props: ModelRolesProps,
    id: string,
    scope: { readonly model: string } | { readonly others: readonly string[] },
  ): iam.Role {
    const { artifactsBucket: artifacts, encryptionKey: key } = props;
    const { partition, region, account } = Stack.of(this);
    const model = 'model' in scope ? scope.model : undefined;
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description:
        model === undefined
          ? 'SageMaker endpoints of the serverless-mlops deployment workflow: models not named in the config'
          : `SageMaker endpoints of the serverless-mlops deployment workflow: model ${model}`,
    });
    const modelArtifacts = artifacts.arnForObjects(
      model === undefined
        ? KeyPatterns.runFolder(RunArtifacts.output)
        : KeyPatterns.modelRunFolder(model, RunArtifacts.output),
    );
    const capture = artifacts.arnForObjects(
      model === undefined ? KeyPatterns.capture : KeyPatterns.modelCapture(model),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [modelArtifacts] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [capture] }));
    if ('others' in scope && scope.others.length > 0) {
      // An explicit deny wins over the allow above: a model named in the config is out of the default's reach.
      role.addToPolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['s3:GetObject'],
          resources: scope.others.map((other) =>
            artifacts.arnForObjects(KeyPatterns.modelRunFolder(other, RunArtifacts.output)),
          ),
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['s3:PutObject'],
          resources: scope.others.map((other) => artifacts.arnForObjects(KeyPatterns.modelCapture(other))),
        }),
      );
    }
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt');
    const logGroups = `arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${
      model === undefined ? resourceNamePattern(props.namePrefix) : endpointName(props.namePrefix, model)
    }`;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [logGroups, `${logGroups}:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        // '*': PutMetricData has no resource-level permissions; the namespace condition is the scope.
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints*' } },
      }),
    );
    // The default role serves any model; a model's own role only that model's image.
    const ownSettings = model === undefined ? undefined : props.modelSettings[model];
    const images =
      model === undefined
        ? Object.values(props.modelSettings)
        : [ownSettings ?? props.modelSettings[MODEL_SETTINGS_DEFAULTS_KEY]].filter((s) => s !== undefined);
    const repositories = images
      .filter(({ training }) => !training.builtInAlgorithm)
      .flatMap(({ training }) => ecrRepositoryArn(training.image, partition) ?? []);
    grantImagePull(role, repositories);
    acknowledgeWildcardResource(
      role,
      '*',
      'cloudwatch:PutMetricData (limited by its namespace condition) and ecr:GetAuthorizationToken have no resource-level permissions.',
    );
    acknowledgeWildcardResource(
      role,
      modelArtifacts,
      model === undefined
        ? `Model artifacts are under ${Prefixes.runs}<runId>/${RunArtifacts.output}, run ids known only at run time; read-only, that folder only, models named in the config denied.`
        : `Model ${model}'s artifacts are under ${Prefixes.runs}${model}-<16 hex>/${RunArtifacts.output}, run ids known only at run time; read-only, that model's runs and folder only.`,
    );
    acknowledgeWildcardResource(
      role,
      capture,
      `SageMaker data capture writes under ${Prefixes.capture}${model ?? '<model>'}/<endpoint>/<variant>/yyyy/mm/dd/hh/; write-only.`,
    );
    acknowledgeWildcardResource(
      role,
      logGroups,
      model === undefined
        ? "Each endpoint has its own log group, named after the stack's endpoint prefix."
        : `Endpoint log groups are named by SageMaker after the endpoint (${endpointName(props.namePrefix, model)}).`,
    );
    acknowledgeWildcardResource(
      role,
      `${logGroups}:*`,
      'SageMaker writes one log stream per endpoint instance.',
    );
    return role;
  }
}
