import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEY, loadConfig } from '../../lib/config';
import { ServerlessMlopsStack } from '../../lib/serverless-mlops-stack';
import { synthStack, TEST_ENV, testApp } from '../support/cdk';

const CONFIG = {
  models: {
    defaults: { deployment: { mode: 'auto' } },
    churn: { problemType: 'binary', targetColumn: 'churned' },
    prices: {
      problemType: 'regression',
      deployment: { endpoint: { type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 5 } },
    },
  },
};

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

/** Every statement of the policies attached to a role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith(rolePrefix)),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** The environment of the function built from lambdas/<entry>. */
function environmentOf(template: Template, entry: string): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (fn) => fn.Metadata?.['ServerlessMlops::Entry'] === entry,
  );
  expect(functions).toHaveLength(1);
  return functions[0]?.Properties.Environment.Variables as Record<string, unknown>;
}

describe('InferenceApi construct (issue 10 §5)', () => {
  let template: Template;

  beforeAll(() => {
    // nag: synth throws on any unacknowledged AwsSolutions finding.
    ({ template } = synthStack({ config: CONFIG, nag: true }));
  });

  it('serves every model through one IAM-authorized function URL on invoke-model', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceApiInvokeModel'), 'Arn'] },
    });
    // No public access: no resource policy grants the URL to anyone.
    expect(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: '*' } })).toEqual({});
  });

  it('captures for serverless endpoints only (SageMaker captures the real-time ones)', () => {
    const environment = environmentOf(template, 'invoke-model');
    expect(JSON.parse(String(environment.API_CAPTURE_PERCENT))).toEqual({
      defaults: 0,
      churn: 0,
      prices: 100,
    });
    expect(environment.NAME_PREFIX).toBe('serverlessmlops');
  });

  it("may invoke the stack's endpoints and write capture records, nothing else", () => {
    const statements = statementsOf(template, 'InferenceApiInvokeModelRole');
    const invoke = statements.find((s) => actionsOf([s]).includes('sagemaker:InvokeEndpoint'));
    expect(actionsOf([invoke as Statement])).toEqual(['sagemaker:InvokeEndpoint']);
    expect(JSON.stringify(invoke?.Resource)).toContain(':endpoint/serverlessmlops-*');
    const s3 = statements.filter((s) => actionsOf([s]).some((action) => action.startsWith('s3:')));
    expect(actionsOf(s3)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]?.Resource)).toContain('/capture/*');
    const kms = statements.filter((s) => actionsOf([s]).some((action) => action.startsWith('kms:')));
    expect(actionsOf(kms)).toEqual(['kms:GenerateDataKey']);
    expect(actionsOf(statements).filter((a) => a.startsWith('dynamodb:') || a.startsWith('events:'))).toEqual(
      [],
    );
  });

  it('grants callers both actions a function URL needs, the URL one only for AWS_IAM auth', () => {
    // Arrange
    const app = testApp({ [CONTEXT_KEY]: CONFIG });
    const stack = new ServerlessMlopsStack(app, 'ServerlessMlops', {
      env: TEST_ENV,
      config: loadConfig(app, TEST_ENV.region),
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });

    // Act
    stack.inferenceApi.grantInvoke(caller);

    // Assess
    const statements = statementsOf(Template.fromStack(stack), 'Caller');
    const url = statements.find((s) => actionsOf([s]).includes('lambda:InvokeFunctionUrl'));
    expect(url?.Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
    const invoke = statements.find((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
    expect(invoke?.Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': true } });
  });
});
