import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { TrainingRole, type TrainingRoleProps } from '../../lib/constructs/training-role';
import { TEST_ENV } from '../support/cdk';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const actions = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** A TrainingRole on a bare stack, and the statements of its policy. */
function roleWith(props: Pick<TrainingRoleProps, 'images'> = {}): {
  template: Template;
  statements: Statement[];
} {
  const stack = new Stack(new App(), 'Test', { env: TEST_ENV });
  new TrainingRole(stack, 'TrainingRole', {
    artifactsBucket: new s3.Bucket(stack, 'Artifacts'),
    encryptionKey: new kms.Key(stack, 'Key'),
    ...props,
  });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
  return { template, statements };
}

describe('TrainingRole', () => {
  it('reads splits, writes models and checkpoints, lists only under runs/', () => {
    // Act
    const { statements } = roleWith();
    const s3Statements = statements.filter((s) => actions([s]).some((a) => a.startsWith('s3:')));

    // Assess
    expect(s3Statements.map((s) => [actions([s]), JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject'], expect.stringContaining('/runs/*/splits/*')],
      [['s3:PutObject'], expect.stringContaining('/runs/*/output/*')],
      [['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], expect.stringContaining('/runs/*/checkpoints/*')],
      [['s3:ListBucket'], expect.stringMatching(/Artifacts.*Arn/)],
    ]);
    expect(statements.find((s) => actions([s]).includes('s3:ListBucket'))?.Condition).toEqual({
      StringLike: { 's3:prefix': ['runs/*'] },
    });
  });

  it('may encrypt model output with the key (kms:Encrypt) and create grants only for AWS resources', () => {
    // Act
    const { statements } = roleWith();

    // Assess: CreateTrainingJob asks kms:Encrypt for OutputDataConfig.KmsKeyId; the volume key is a grant
    expect(actions(statements).filter((a) => a.startsWith('kms:'))).toEqual([
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    expect(statements.find((s) => actions([s]).includes('kms:CreateGrant'))?.Condition).toEqual({
      Bool: { 'kms:GrantIsForAWSResource': true },
    });
  });

  it('is assumed by SageMaker on behalf of this account only', () => {
    // Act
    const { template } = roleWith();

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      },
    });
  });

  it('pulls from exactly the repositories of the images it is given, once each', () => {
    // Act
    const { statements } = roleWith({
      images: [
        '111122223333.dkr.ecr.us-east-1.amazonaws.com/team/trainer:1.2',
        '111122223333.dkr.ecr.us-east-1.amazonaws.com/team/trainer:1.3',
        `444455556666.dkr.ecr.cn-north-1.amazonaws.com.cn/other@sha256:${'b'.repeat(64)}`,
      ],
    });

    // Assess
    const pull = statements.find((s) => actions([s]).includes('ecr:BatchGetImage'));
    expect(actions(pull ? [pull] : [])).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
    const resources = ((pull?.Resource ?? []) as unknown[]).map((r) => JSON.stringify(r)).sort();
    expect(resources).toEqual([
      '"arn:aws-cn:ecr:cn-north-1:444455556666:repository/other"',
      expect.stringMatching(
        /"Ref":"AWS::Partition"},":ecr:us-east-1:111122223333:repository\/team\/trainer"/,
      ),
    ]);
    // GetAuthorizationToken has no resource-level permissions.
    expect(statements.find((s) => actions([s]).includes('ecr:GetAuthorizationToken'))?.Resource).toBe('*');
  });

  it('gets no ECR permission at all without images', () => {
    // Act
    const { statements } = roleWith({ images: [] });

    // Assess
    expect(actions(statements).some((a) => a.startsWith('ecr:'))).toBe(false);
  });

  it('refuses an image that is not in an ECR registry', () => {
    // Act
    const build = () => roleWith({ images: ['docker.io/library/python:3.12'] });

    // Assess
    expect(build).toThrowError('Training image "docker.io/library/python:3.12" is not an ECR image URI');
  });
});
