import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthStack } from '../support/cdk';

const CONFIG = {
  models: {
    defaults: { deployment: { mode: 'auto' } },
    churn: { problemType: 'binary', targetColumn: 'churned' },
  },
};

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

/** Every statement of the policies attached to a role whose logical id starts with `prefix`. */
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

describe('DeploymentPipeline construct', () => {
  let template: Template;

  beforeAll(() => {
    // nag: synth throws on any unacknowledged AwsSolutions finding.
    ({ template } = synthStack({ config: CONFIG, nag: true }));
  });

  it('synthesizes cdk-nag clean with a Standard, traced, logged state machine named for its resumers', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineName: Match.stringLikeRegexp('-deploy$') },
    });
    const [machine] = Object.values(machines);
    expect(machine?.Properties.StateMachineType).toBe('STANDARD');
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine?.Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  it('starts deployments from approvals, automatic approvals and requests, and resumes on endpoint events', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['serverless-mlops'],
        'detail-type': ['ModelApproved', 'Deployment Requested'],
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['serverless-mlops'],
        'detail-type': ['ModelRegistered'],
        detail: { status: ['Approved'] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Endpoint State Change', 'SageMaker Endpoint Deployment State Change'],
        detail: { EndpointName: [{ prefix: 'serverlessmlops-' }] },
      },
    });
  });

  it("scopes the state machine's SageMaker calls to the stack's prefix and passes only the model role, only to SageMaker", () => {
    const statements = statementsOf(template, 'DeploymentStateMachineRole');
    const sagemaker = statements.find((s) => actionsOf([s]).includes('sagemaker:UpdateEndpoint'));
    expect(JSON.stringify(sagemaker?.Resource)).toContain(':endpoint/serverlessmlops-*');
    expect(JSON.stringify(sagemaker?.Resource)).toContain(':endpoint-config/serverlessmlops-*');
    expect(JSON.stringify(sagemaker?.Resource)).toContain(':model/serverlessmlops-*');
    expect(actionsOf([sagemaker as Statement])).not.toContain('sagemaker:DeleteModel');
    const passRole = statements.find((s) => actionsOf([s]).includes('iam:PassRole'));
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    });
    expect(JSON.stringify(passRole?.Resource)).toContain('DeploymentModelExecutionRole');
    const alarms = statements.find((s) => actionsOf([s]).includes('cloudwatch:PutMetricAlarm'));
    expect(JSON.stringify(alarms?.Resource)).toContain(':alarm:serverlessmlops-*');
    const scaling = statements.find((s) =>
      actionsOf([s]).includes('application-autoscaling:RegisterScalableTarget'),
    );
    expect(JSON.stringify(scaling?.Resource)).toContain(':scalable-target/*');
    const linkedRole = statements.find((s) => actionsOf([s]).includes('iam:CreateServiceLinkedRole'));
    expect(linkedRole?.Condition).toEqual({
      StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' },
    });
    // CreateGrant alone under its condition: DescribeKey requests never carry kms:GrantIsForAWSResource.
    const grants = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('kms:Create')));
    expect(grants.map((s) => [actionsOf([s]), s.Condition])).toEqual([
      [['kms:CreateGrant'], { Bool: { 'kms:GrantIsForAWSResource': true } }],
    ]);
  });

  it("gives each configured model an execution role that reads only that model's artifacts and writes only its capture", () => {
    const s3Of = (rolePrefix: string) =>
      statementsOf(template, rolePrefix)
        .filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')))
        .map((s) => [s.Effect, actionsOf([s]), JSON.stringify(s.Resource)]);
    expect(s3Of('DeploymentModelExecutionRoleForchurn')).toEqual([
      ['Allow', ['s3:GetObject'], expect.stringContaining('/runs/churn-????????????????/output/*"')],
      ['Allow', ['s3:PutObject'], expect.stringContaining('/capture/churn/*"')],
    ]);
    // The default role (models first seen in an upload) is denied what the configured models own.
    expect(s3Of('DeploymentModelExecutionRole').filter(([, , r]) => !String(r).includes('churn-?'))).toEqual(
      expect.arrayContaining([
        ['Allow', ['s3:GetObject'], expect.stringContaining('/runs/*/output/*"')],
        ['Allow', ['s3:PutObject'], expect.stringContaining('/capture/*"')],
      ]),
    );
    const defaultRole = statementsOf(template, 'DeploymentModelExecutionRole').filter(
      (s) => s.Effect === 'Deny',
    );
    expect(defaultRole.map((s) => [actionsOf([s]), JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject'], expect.stringContaining('/runs/churn-????????????????/output/*"')],
      [['s3:PutObject'], expect.stringContaining('/capture/churn/*"')],
    ]);
    // BeginDeployment picks the role by model; the state machine may pass only these roles.
    const begin = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes('MODEL_EXECUTION_ROLES'),
    );
    const roles = JSON.stringify(begin?.Properties.Environment.Variables.MODEL_EXECUTION_ROLES);
    expect(roles).toMatch(/\\"churn\\":\\"/);
    expect(roles).toMatch(/\\"defaults\\":\\"/);
    const passRole = statementsOf(template, 'DeploymentStateMachineRole').find((s) =>
      actionsOf([s]).includes('iam:PassRole'),
    );
    expect(JSON.stringify(passRole?.Resource)).toContain('DeploymentModelExecutionRoleForchurn');
    expect(passRole?.Resource).toHaveLength(2);
    const statements = statementsOf(template, 'DeploymentModelExecutionRoleForchurn');
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:PutLogEvents',
        'cloudwatch:PutMetricData',
      ]),
    );
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      },
      Description: Match.stringLikeRegexp('endpoints.*model churn'),
    });
  });

  it('gives each function only the calls it makes', () => {
    const fn = (name: string) => actionsOf(statementsOf(template, `DeploymentFunctions${name}Role`));
    expect(fn('StartDeployment')).toContain('states:StartExecution');
    expect(fn('StartDeployment')).not.toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(fn('WaitForEndpoint')).toEqual(
      expect.arrayContaining([
        'states:SendTaskSuccess',
        'sagemaker:DescribeEndpoint',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ]),
    );
    expect(fn('EndpointEvent')).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'dynamodb:DeleteItem']),
    );
    expect(fn('EndpointEvent')).not.toContain('dynamodb:PutItem');
    expect(fn('SmokeTest')).toEqual(expect.arrayContaining(['sagemaker:InvokeEndpoint', 's3:GetObject']));
    expect(fn('SmokeTest')).not.toContain('s3:PutObject');
    expect(fn('FinishDeployment')).toEqual(
      expect.arrayContaining(['sagemaker:DeleteModel', 'sagemaker:DeleteEndpointConfig', 'dynamodb:Query']),
    );
    expect(fn('FinishDeployment')).not.toContain('sagemaker:DeleteEndpoint');
    // The autoscaling follow-up on the promoted deployment: read, then update its record.
    expect(fn('FinishDeployment')).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']),
    );
    expect(fn('PromoteDeployment')).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^sagemaker:/)]),
    );
  });

  it.each([
    // createDeployment (Puts and a ConditionCheck), listDeployments (GSI2), takeDeploymentLease (a Put).
    ['PrepareDeployment', ['ConditionCheckItem', 'GetItem', 'PutItem'], 'GSI2'],
    // beginDeployment / promoteDeployment: reads, then Updates, Puts and ConditionChecks (lease, alias).
    ['BeginDeployment', ['ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'], undefined],
    ['PromoteDeployment', ['ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'], undefined],
    // recordDeploymentFailure: a read, then Updates (deployment, version) and Puts (events) only.
    ['RecordDeploymentFailure', ['GetItem', 'PutItem', 'UpdateItem'], undefined],
    ['WaitForEndpoint', ['DeleteItem', 'PutItem'], undefined],
    ['EndpointEvent', ['DeleteItem', 'GetItem', 'UpdateItem'], undefined],
    ['SmokeTest', ['GetItem', 'UpdateItem'], undefined],
    ['FinishDeployment', ['DeleteItem', 'GetItem', 'UpdateItem'], 'GSI2'],
    ['StartDeployment', [], undefined],
  ])('gives %s exactly the registry actions its code sends', (name, tableActions, index) => {
    // Act
    const registry = statementsOf(template, `DeploymentFunctions${name}Role`).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('dynamodb:')),
    );
    const onIndex = registry.filter((s) => JSON.stringify(s.Resource).includes('/index/'));

    // Assess
    expect(actionsOf(registry.filter((s) => !onIndex.includes(s)))).toEqual(
      tableActions.map((action) => `dynamodb:${action}`),
    );
    expect(onIndex.map((s) => [actionsOf([s]), JSON.stringify(s.Resource)])).toEqual(
      index === undefined ? [] : [[['dynamodb:Query'], expect.stringContaining(`/index/${index}"`)]],
    );
  });

  it('lets every service that uses the key use it (key policy and grants)', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const [key] = Object.values(keys);
    // CloudWatch Logs encrypts the execution and function log groups with the key (Encryption.grantCloudWatchLogs).
    expect(JSON.stringify(key?.Properties.KeyPolicy)).toContain('logs.us-east-1.amazonaws.com');
    const smoke = statementsOf(template, 'DeploymentFunctionsSmokeTestRole');
    expect(smoke.find((s) => actionsOf([s]).includes('kms:Decrypt'))).toBeDefined();
    // The registry table is encrypted with the key: every function that reads it decrypts, every writer encrypts.
    for (const name of [
      'Prepare',
      'Begin',
      'Promote',
      'RecordDeploymentFailure',
      'FinishDeployment',
      'SmokeTest',
    ]) {
      const actions = actionsOf(statementsOf(template, `DeploymentFunctions${name}`));
      expect(actions, name).toEqual(expect.arrayContaining(['kms:Decrypt']));
      if (name !== 'SmokeTest')
        expect(actions, name).toEqual(expect.arrayContaining(['kms:GenerateDataKey']));
    }
    // SageMaker reads artifacts and writes capture with it (each model role), and encrypts endpoint volumes
    // through grants the state machine creates.
    for (const role of ['DeploymentModelExecutionRoleForchurn', 'DeploymentModelExecutionRole']) {
      expect(actionsOf(statementsOf(template, role))).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt']),
      );
    }
    expect(actionsOf(statementsOf(template, 'DeploymentStateMachineRole'))).toContain('kms:CreateGrant');
  });
});
