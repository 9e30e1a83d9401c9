import aslValidator from 'asl-validator';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateMachineDefinition } from '../../local/stepfunctions/definition';
import { LocalResources } from '../../local/template/local-resources';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

function policyStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles.some((role) =>
        role.Ref.startsWith(rolePrefix),
      ),
    )
    .flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}

const actions = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

function definition(template: Template): {
  States: Record<string, Record<string, unknown>>;
  TimeoutSeconds?: number;
} {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
  }[];
  // Render references as placeholders: enough to read the fixed settings of the definition.
  const parts = machine?.Properties.DefinitionString['Fn::Join'][1] ?? [];
  const text = parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return JSON.parse(text) as { States: Record<string, Record<string, unknown>>; TimeoutSeconds?: number };
}

function trainState(template: Template): Record<string, unknown> {
  return definition(template).States.TrainModel ?? {};
}

describe('TrainingPipeline', () => {
  let template: Template;
  beforeAll(() => {
    template = synthStack({
      config: { models: { churn: { problemType: 'binary', targetColumn: 'churned' } } },
    }).template;
  });

  it('starts the state machine for CSV uploads under datasets/ in the data bucket', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^StorageData') }] },
          object: { key: [{ wildcard: 'datasets/*.csv' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^TrainingStateMachine') },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingTriggerDeadLetters'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('sends executions that ended FAILED, TIMED_OUT or ABORTED to ReconcileExecution, with retries and the DLQ', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: Match.stringLikeRegexp('^TrainingStateMachine') }],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingFunctionsReconcileExecution'), 'Arn'],
          },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingTriggerDeadLetters'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { EventPattern?: { source?: string[] }; EventBusName?: unknown };
    }[];
    const ended = rules.find((rule) => rule.Properties.EventPattern?.source?.includes('aws.states'));
    // Step Functions publishes status changes on the default bus only.
    expect(ended?.Properties.EventBusName).toBeUndefined();
  });

  it('lets ReconcileExecution read and update the registry, and nothing else', () => {
    // Act
    const granted = actions(policyStatements(template, 'TrainingFunctionsReconcileExecutionRole'));

    // Assess
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(granted.some((a) => /^(s3|states|sagemaker|events):/.test(a))).toBe(false);
  });

  it('times executions out after the longest default training window plus 2 hours', () => {
    // Assess: maxRuntime defaults to 1 hour, no managed spot
    expect(definition(template).TimeoutSeconds).toBe(3 * 3600);
  });

  it('times executions out after the longest maxWait of a managed-spot model plus 2 hours', () => {
    // Prepare
    const config = {
      models: {
        churn: { problemType: 'binary', targetColumn: 'churned' },
        big: {
          problemType: 'regression',
          targetColumn: 'y',
          training: { managedSpot: true, maxRuntime: '10h', maxWait: '2d' },
        },
      },
    };

    // Act
    const spot = synthStack({ config }).template;

    // Assess
    expect(definition(spot).TimeoutSeconds).toBe(2 * 86400 + 2 * 3600);
  });

  it('synthesizes valid Amazon States Language, in JSONPath (the local executor cannot run JSONata)', () => {
    // Prepare
    const json = template.toJSON() as CfnTemplate;
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = stateMachineDefinition(json, machineId as string, new LocalResources(json).resolve);

    // Act
    const result = aslValidator(structuredClone(definition));

    // Assess
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
    expect(JSON.stringify(definition)).not.toContain('JSONata');
  });

  it('trains with network isolation, encrypted output and inter-container encryption', () => {
    // Act
    const train = trainState(template);

    // Assess
    expect(train.Resource).toMatch(/:states:::sagemaker:createTrainingJob\.sync$/);
    expect(train.Parameters).toMatchObject({
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      OutputDataConfig: { 'S3OutputPath.$': '$.plan.training.outputUri', KmsKeyId: 'REF' },
      RoleArn: 'REF',
      'ResourceConfig.$': '$.plan.training.resourceConfig',
    });
    expect(train.Retry).toEqual([
      expect.objectContaining({ ErrorEquals: ['SageMaker.AmazonSageMakerException'] }),
    ]);
  });

  it('lets SageMaker training read splits, write models and checkpoints under runs/ only', () => {
    // Act
    const statements = policyStatements(template, 'TrainingTrainingRole');
    const s3 = statements.filter((s) => actions([s]).some((a) => a.startsWith('s3:')));

    // Assess
    expect(s3.map((s) => [actions([s]), JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject'], expect.stringContaining('/runs/*/splits/*')],
      [['s3:PutObject'], expect.stringContaining('/runs/*/output/*')],
      [['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], expect.stringContaining('/runs/*/checkpoints/*')],
      [['s3:ListBucket'], expect.stringMatching(/StorageArtifacts.*Arn/)],
    ]);
    expect(actions(statements).filter((a) => a.startsWith('s3:') || a.startsWith('kms:'))).not.toContain(
      's3:*',
    );
    // SageMaker encrypts the training volume (VolumeKmsKeyId) through a grant on the key.
    expect(actions(statements).filter((a) => a.startsWith('kms:'))).toEqual([
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
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

  it('gives the state machine only what createTrainingJob.sync needs beyond invoking its Lambdas', () => {
    // Act
    const granted = actions(policyStatements(template, 'TrainingStateMachineRole'));

    // Assess
    expect(
      granted.filter((a) => !a.startsWith('lambda:') && !a.startsWith('logs:') && !a.startsWith('xray:')),
    ).toEqual([
      'events:DescribeRule',
      'events:PutRule',
      'events:PutTargets',
      'iam:PassRole',
      'sagemaker:AddTags',
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:StopTrainingJob',
    ]);
  });

  it('lets the validator read uploads and write only run artifacts and contracts', () => {
    // Act
    const statements = policyStatements(template, 'TrainingFunctionsValidateDatasetRole');
    const s3 = statements.filter((s) => actions([s]).some((a) => a.startsWith('s3:')));

    // Assess
    expect(s3.map((s) => [actions([s]), JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject', 's3:GetObjectVersion'], expect.stringContaining('/datasets/*')],
      [
        ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        expect.stringMatching(/contracts\/\*.*runs\/\*/),
      ],
      // Without it a missing schema.json is a 403, not a 404, and every run of an undeclared model fails.
      [['s3:ListBucket'], expect.stringMatching(/^(?=.*StorageData)(?=.*StorageArtifacts).*"Arn".*$/)],
    ]);
    expect(actions(statements).some((a) => a.startsWith('dynamodb:'))).toBe(false);
  });

  it('gives the evaluator read-only registry access and no bucket access', () => {
    // Act
    const granted = actions(policyStatements(template, 'TrainingFunctionsEvaluateModelRole'));

    // Assess
    expect(granted.filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    expect(granted.some((a) => a.startsWith('s3:'))).toBe(false);
  });

  it('runs every function on ARM64 with the newest Node runtime, tracing and encrypted JSON logs', () => {
    // Act
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
      JSON.stringify(f).includes('POWERTOOLS_SERVICE_NAME'),
    ) as { Properties: Record<string, unknown> }[];

    // Assess
    expect(functions).toHaveLength(6);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      });
    }
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup')) as {
      Properties: { KmsKeyId?: unknown };
    }[];
    expect(logGroups.length).toBeGreaterThanOrEqual(6);
    expect(logGroups.every((group) => group.Properties.KmsKeyId !== undefined)).toBe(true);
  });

  it('refuses a models configuration too large for the Lambda environment, naming the fix', () => {
    // Prepare
    const models = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `model-${i}`,
        { problemType: 'binary', targetColumn: `label_${i}` },
      ]),
    );

    // Act
    const synth = () => synthStack({ config: { models } });

    // Assess
    expect(synth).toThrowError(/limited to 3072 bytes\. Move shared settings into models\.defaults/);
  });
});
