import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { resolveConfig, toRuntimeModelSettings } from '../../lib/config';
import { ModelRoles } from '../../lib/constructs/model-roles';
import { synthStack, TEST_ENV } from '../support/cdk';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/team/scorer:1.2';

const CONFIG = {
  models: {
    churn: { problemType: 'binary', targetColumn: 'churned' },
    custom: {
      problemType: 'binary',
      targetColumn: 'y',
      training: { image: IMAGE, metricDefinitions: [{ name: 'validation:auc', regex: 'auc=(.*)' }] },
      evaluation: { metric: 'validation:auc', higherIsBetter: true },
    },
  },
};

/** ModelRoles for CONFIG's models on a bare stack, with each role's statements by model. */
function modelRoles(options: { nag?: boolean } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: TEST_ENV });
  const config = resolveConfig(CONFIG, { region: TEST_ENV.region });
  const artifactsBucket = new s3.Bucket(stack, 'Artifacts', { enforceSSL: true });
  const roles = new ModelRoles(stack, 'Roles', {
    artifactsBucket,
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    namePrefix: 'serverlessmlops',
    models: ['defaults', 'churn', 'custom'],
    modelSettings: toRuntimeModelSettings(config),
  });
  if (options.nag) {
    // The roles are under test, not the bare bucket the test gives them.
    Validations.of(artifactsBucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'A test bucket.' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  const template = Template.fromStack(stack);
  const statementsOf = (roleId: string): Statement[] => {
    const logicalId = stack.getLogicalId(roles.roles[roleId]?.node.defaultChild as never);
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === logicalId),
      )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  };
  return { roles, template, statementsOf };
}

const actionsOf = (statement: Statement) => [statement.Action].flat().sort();
const summary = (statements: Statement[], prefix: string) =>
  statements
    .filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)))
    .map((s) => [s.Effect, actionsOf(s), JSON.stringify(s.Resource)]);

describe('ModelRoles', () => {
  it('makes the default role and one per configured model, SageMaker-assumable from this account only', () => {
    // Act
    const { roles, template } = modelRoles();

    // Assess
    expect(Object.keys(roles.roles).sort()).toEqual(['churn', 'custom', 'defaults']);
    expect(roles.roles.defaults).toBe(roles.defaultRole);
    const trusts = Object.values(template.findResources('AWS::IAM::Role')).map(
      (role) => role.Properties.AssumeRolePolicyDocument.Statement,
    );
    expect(trusts).toHaveLength(3);
    for (const trust of trusts) {
      expect(trust).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'sagemaker.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]);
    }
  });

  it("lets a configured model's role read only that model's artifacts and write only its capture", () => {
    // Act
    const { statementsOf } = modelRoles();

    // Assess
    expect(summary(statementsOf('churn'), 's3:')).toEqual([
      ['Allow', ['s3:GetObject'], expect.stringContaining('/runs/churn-????????????????/output/*"')],
      ['Allow', ['s3:PutObject'], expect.stringContaining('/capture/churn/*"')],
    ]);
  });

  it("lets the default role read every model's artifacts and write every capture but the configured models'", () => {
    // Act
    const { statementsOf } = modelRoles();

    // Assess
    expect(summary(statementsOf('defaults'), 's3:')).toEqual([
      ['Allow', ['s3:GetObject'], expect.stringContaining('/runs/*/output/*"')],
      ['Allow', ['s3:PutObject'], expect.stringContaining('/capture/*"')],
      [
        'Deny',
        ['s3:GetObject'],
        expect.stringMatching(/runs\/churn-\?{16}\/output\/\*".*runs\/custom-\?{16}\/output\/\*"/),
      ],
      ['Deny', ['s3:PutObject'], expect.stringMatching(/capture\/churn\/\*".*capture\/custom\/\*"/)],
    ]);
  });

  it("writes each role's logs only to its endpoints' log groups", () => {
    // Act
    const { statementsOf } = modelRoles();

    // Assess
    expect(summary(statementsOf('churn'), 'logs:')).toEqual([
      [
        'Allow',
        ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        expect.stringContaining('log-group:/aws/sagemaker/Endpoints/serverlessmlops-churn'),
      ],
    ]);
    expect(summary(statementsOf('defaults'), 'logs:')[0]?.[2]).toContain(
      'log-group:/aws/sagemaker/Endpoints/serverlessmlops-*',
    );
  });

  it('pulls a custom image from its ECR repository only with the roles that may serve it', () => {
    // Act
    const { statementsOf } = modelRoles();

    // Assess: churn uses SageMaker's own XGBoost image, which SageMaker pulls itself
    expect(summary(statementsOf('churn'), 'ecr:')).toEqual([]);
    for (const role of ['custom', 'defaults']) {
      expect(summary(statementsOf(role), 'ecr:'), role).toEqual([
        [
          'Allow',
          ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          expect.stringContaining(':ecr:us-east-1:111122223333:repository/team/scorer"'),
        ],
        ['Allow', ['ecr:GetAuthorizationToken'], '"*"'],
      ]);
    }
  });

  it('passes cdk-nag with every wildcard acknowledged', () => {
    // Act: synth throws on any unacknowledged AwsSolutions finding
    const synth = () => modelRoles({ nag: true });

    // Assess
    expect(synth).not.toThrow();
  });

  it("keeps the logical ids the roles had inside DeploymentPipeline, so a deployed stack's live endpoints keep their roles", () => {
    // Act
    const { template } = synthStack({ config: CONFIG });

    // Assess
    expect(
      Object.keys(template.findResources('AWS::IAM::Role'))
        .filter((id) => id.includes('ModelExecution'))
        .sort(),
    ).toEqual([
      expect.stringMatching(/^DeploymentModelExecutionRole[0-9A-F]{8}$/),
      expect.stringMatching(/^DeploymentModelExecutionRoleForchurn[0-9A-F]{8}$/),
      expect.stringMatching(/^DeploymentModelExecutionRoleForcustom[0-9A-F]{8}$/),
    ]);
  });
});
