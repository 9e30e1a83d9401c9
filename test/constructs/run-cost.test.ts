import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CostSettings } from '../../lambdas/run-cost/settings';
import { synthStack } from '../support/cdk';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The RunCost function's logical id, its role's statements and its COST_SETTINGS (references as text). */
function runCostFunction(template: Template) {
  const functions = template.findResources('AWS::Lambda::Function', {
    Metadata: { 'ServerlessMlops::Entry': 'run-cost' },
  });
  const [id, resource] = Object.entries(functions)[0] ?? [];
  if (!id || !resource) throw new Error('no run-cost function');
  const env = (resource as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
    .Environment.Variables;
  const roleRef = (resource as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }).Properties.Role[
    'Fn::GetAtt'
  ][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles.some((r) => r.Ref === roleRef),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
  const join = env.COST_SETTINGS as { 'Fn::Join': [string, unknown[]] };
  const settingsText = join['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return { id, statements, settings: JSON.parse(settingsText) as CostSettings };
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('RunCost', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack({
      config: {
        prices: { 'us-east-1': { trainingInstanceHour: { 'ml.m5.xlarge': 0.2 }, asOf: '2026-12-01' } },
      },
    }));
  });

  it('runs on every final status of the training state machine only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: Match.stringLikeRegexp('^TrainingStateMachine') }],
        },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunCostFunction'), 'Arn'] } }),
      ],
    });
  });

  it('may read the history of the training executions, describe training jobs and update run items, nothing more', () => {
    const { statements } = runCostFunction(template);
    const actions = actionsOf(statements);
    expect(actions).toEqual(
      expect.arrayContaining([
        'states:GetExecutionHistory',
        'sagemaker:DescribeTrainingJob',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
      ]),
    );
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    const history = statements.find((s) => s.Action === 'states:GetExecutionHistory');
    const rendered = JSON.stringify(history?.Resource);
    expect(rendered).toContain(':execution:');
    expect(rendered).toMatch(/TrainingStateMachine.*Name/);
    const describe = statements.find((s) => s.Action === 'sagemaker:DescribeTrainingJob');
    expect(JSON.stringify(describe?.Resource)).toContain(':training-job/*');
  });

  it("gets the region's prices with cdk.json's overrides, and every pipeline function's memory", () => {
    const { settings } = runCostFunction(template);
    expect(settings.region).toBe('us-east-1');
    expect(settings.prices.trainingInstanceHour['ml.m5.xlarge']).toBe(0.2);
    expect(settings.prices.trainingInstanceHour['ml.m5.large']).toBe(0.115);
    expect(settings.prices.asOf).toBe('2026-12-01');
    expect(settings.prices.stateTransition).toBe(0.000025);
    const memories = settings.functions.map((f) => f.memoryMb).sort((a, b) => a - b);
    // validate-dataset at 1769 MB, the others at 512.
    expect(memories.at(-1)).toBe(1769);
    expect(memories.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps failed invocations in an encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RunCostFunction') },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunCostDeadLetters'), 'Arn'] } },
      },
    });
  });

  it('keeps events its rule could not deliver in that queue, which EventBridge may encrypt to for this rule only', () => {
    // Prepare
    const rules = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { Name: Match.stringLikeRegexp('RunCost.*-ExecutionEnded$') },
      }),
    );
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    if (key === undefined) throw new Error('no KMS key in the stack');
    const statements = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;

    // Assess
    expect(rules).toHaveLength(1);
    const rule = rules[0] as { Properties: { Name: string; Targets: Record<string, unknown>[] } };
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RunCostFunction/), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RunCostDeadLetters/), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
      }),
    ]);
    const ruleArn = `arn:aws:events:us-east-1:123456789012:rule/${rule.Properties.Name}`;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          ArnEquals: { 'aws:SourceArn': [ruleArn] },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      }),
    );
  });

  it('refuses a region without prices, naming what to add', () => {
    expect(() => synthStack({ region: 'eu-west-1' })).toThrow(
      /No prices for region eu-west-1: add prices\.eu-west-1/,
    );
  });
});
