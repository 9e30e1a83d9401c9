import { describe, expect, it } from 'vitest';
import { LocalResources } from '../../../../local/template/local-resources';
import { type CfnTemplate, resolveIntrinsics } from '../../../../local/template/template';

const template: CfnTemplate = {
  Resources: {
    DataBucketABC: { Type: 'AWS::S3::Bucket' },
    RegistryTable1: { Type: 'AWS::DynamoDB::Table' },
    StartRunFn: { Type: 'AWS::Lambda::Function' },
    Machine: { Type: 'AWS::StepFunctions::StateMachine' },
    Key: { Type: 'AWS::KMS::Key' },
  },
};
const resources = new LocalResources(template, {
  account: '000000000000',
  region: 'eu-west-1',
  stackName: 'S',
});

describe('resolveIntrinsics against local resources', () => {
  it('resolves Ref, GetAtt and Join the way CloudFormation would', () => {
    // Act
    const value = resolveIntrinsics(
      {
        bucket: { Ref: 'DataBucketABC' },
        table: { Ref: 'RegistryTable1' },
        fn: { 'Fn::GetAtt': ['StartRunFn', 'Arn'] },
        machine: { Ref: 'Machine' },
        key: { 'Fn::GetAtt': ['Key', 'Arn'] },
        joined: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'DataBucketABC' }, '/*']],
        },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's.
        sub: { 'Fn::Sub': '${AWS::Region}-${DataBucketABC}' },
        nested: [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }],
      },
      resources.resolve,
    );

    // Assess
    expect(value).toEqual({
      bucket: 'databucketabc',
      table: 'RegistryTable1',
      fn: 'arn:aws:lambda:eu-west-1:000000000000:function:StartRunFn',
      machine: 'arn:aws:states:eu-west-1:000000000000:stateMachine:Machine',
      key: 'arn:aws:kms:eu-west-1:000000000000:key/Key',
      joined: 'arn:aws:s3:::databucketabc/*',
      sub: 'eu-west-1-databucketabc',
      nested: ['b'],
    });
  });

  it('names the resource when a reference points nowhere', () => {
    // Act
    const resolve = () => resolveIntrinsics({ Ref: 'Missing' }, resources.resolve);

    // Assess
    expect(resolve).toThrowError('The template has no resource Missing');
  });

  it('refuses intrinsics it cannot evaluate instead of passing them through', () => {
    // Act
    const resolve = () => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, resources.resolve);

    // Assess
    expect(resolve).toThrowError('Fn::ImportValue is not supported by the local runtime');
  });

  it('refuses attributes the runtime does not model', () => {
    // Act
    const resolve = () =>
      resolveIntrinsics({ 'Fn::GetAtt': ['DataBucketABC', 'WebsiteURL'] }, resources.resolve);

    // Assess
    expect(resolve).toThrowError('Fn::GetAtt DataBucketABC.WebsiteURL is not supported by the local runtime');
  });
});
