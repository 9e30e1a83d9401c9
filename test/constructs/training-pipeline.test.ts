import aslValidator from 'asl-validator';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, RUN_RETRY_REQUESTED } from '../../lambdas/shared/events';
import { datasetKeyWildcards } from '../../lambdas/shared/s3-layout';
import { type EventPattern, matchesPattern } from '../../local/events/pattern';
import { stateMachineDefinition } from '../../local/stepfunctions/definition';
import { LocalResources } from '../../local/template/local-resources';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';
import { DATASET_KEY_CASES } from '../support/dataset-keys';

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

/** The synthesized pattern of the rule for events of `source`, references replaced by their logical id prefix. */
function rulePattern(template: Template, source: string): EventPattern {
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
    Properties: { EventPattern: { source: string[] } };
  }[];
  const rule = rules.find((r) => r.Properties.EventPattern.source.includes(source));
  if (!rule) throw new Error(`no rule for ${source}`);
  return JSON.parse(
    JSON.stringify(rule.Properties.EventPattern).replace(/\{"Ref":"StorageData[^"]*"\}/g, '"DATA"'),
  ) as EventPattern;
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

  it('starts the state machine for CSV uploads under datasets/<model>/ in the data bucket, with retries and the DLQ', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^StorageData') }] },
          object: { key: datasetKeyWildcards().map((wildcard) => ({ wildcard })) },
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

  it.each(DATASET_KEY_CASES)(
    'decides by the key table whether an upload of $key starts a run',
    ({ key, starts }) => {
      // Prepare: the synthesized pattern with the data bucket's reference as a name
      const pattern = rulePattern(template, 'aws.s3');
      const event = {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        detail: { bucket: { name: 'DATA' }, object: { key, size: 10, 'version-id': 'v1' } },
      };

      // Act
      const matched = matchesPattern(pattern, event);

      // Assess
      expect(matched).toBe(starts !== false);
    },
  );

  it('starts the state machine for a Run Retry Requested event on the bus, with retries and the DLQ', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [RUN_RETRY_REQUESTED] },
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
    const retry = rulePattern(template, EVENT_SOURCE);
    expect(
      matchesPattern(retry, {
        source: EVENT_SOURCE,
        'detail-type': RUN_RETRY_REQUESTED,
        detail: { retryOf: 'churn-0123456789abcdef', requestId: 'r1', requestedBy: 'me@host' },
      }),
    ).toBe(true);
  });

  it('lets EventBridge encrypt into the dead-letter queue with the stack key, for its own rules only', () => {
    // Prepare: the pipeline's rules that deliver to the queue, by their names
    const rules = (
      Object.values(template.findResources('AWS::Events::Rule')) as {
        Properties: { Name?: string; Targets: { DeadLetterConfig?: unknown }[] };
      }[]
    ).filter((rule) => rule.Properties.Name?.includes('-Training-'));
    const ruleArns = rules.map(
      (rule) => `arn:aws:events:us-east-1:123456789012:rule/${rule.Properties.Name}`,
    );
    const [queue] = Object.values(
      template.findResources('AWS::SQS::Queue', {
        Properties: { KmsMasterKeyId: Match.anyValue() },
      }),
    );

    // Assess: the DLQ is encrypted with the stack key, whose policy lets EventBridge use it for these rules
    expect(rules).toHaveLength(3);
    expect(queue).toBeDefined();
    const [key] = Object.values(template.findResources('AWS::KMS::Key')) as {
      Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } };
    }[];
    const statement = key?.Properties.KeyPolicy.Statement.find(
      (s) => (s.Principal as { Service?: string }).Service === 'events.amazonaws.com',
    );
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        ArnEquals: { 'aws:SourceArn': expect.arrayContaining(ruleArns) },
        StringEquals: { 'aws:SourceAccount': '123456789012' },
      },
    });
    const condition = statement?.Condition as { ArnEquals: { 'aws:SourceArn': string[] } } | undefined;
    expect(condition?.ArnEquals['aws:SourceArn']).toHaveLength(3);
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

  it('keeps ReconcileExecution invocations that failed after their retries in an encrypted queue it can write to', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^TrainingFunctionsReconcileExecution') },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingReconcileDeadLetters'), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EncryptionKey'), 'Arn'] },
      MessageRetentionPeriod: 14 * 86400,
    });
    const statements = policyStatements(template, 'TrainingFunctionsReconcileExecutionRole');
    const send = statements.find((s) => actions([s]).includes('sqs:SendMessage'));
    expect(JSON.stringify(send?.Resource)).toMatch(/TrainingReconcileDeadLetters/);
    expect(actions(statements).filter((a) => a.startsWith('kms:'))).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
    );
  });

  it.each([
    ['StartRun', ['dynamodb:GetItem', 'dynamodb:PutItem']],
    ['ValidateDataset', ['dynamodb:GetItem']],
    ['EvaluateModel', ['dynamodb:GetItem']],
    ['RegisterModel', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['RecordFailure', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['RecordDuplicate', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['ReconcileExecution', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
  ])('gives %s exactly the registry actions its code sends, on the table only', (fn, expected) => {
    // Act
    const statements = policyStatements(template, `TrainingFunctions${fn}Role`);
    const registry = statements.filter((s) => actions([s]).some((a) => a.startsWith('dynamodb:')));

    // Assess
    expect(actions(registry)).toEqual(expected);
    expect(registry.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringMatching(/^\{"Fn::GetAtt":\["RegistryTable[0-9A-F]+","Arn"\]\}$/),
    ]);
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
      expect.objectContaining({
        ErrorEquals: ['SageMaker.ResourceLimitExceededException'],
        IntervalSeconds: 60,
        MaxDelaySeconds: 900,
      }),
    ]);
    // AmazonSageMakerException also carries validation errors: only the catch's Choice retries, by cause.
    expect((train.Catch as unknown[])[0]).toMatchObject({
      ErrorEquals: ['SageMaker.ResourceInUseException', 'SageMaker.AmazonSageMakerException'],
      Next: 'IsExistingTrainingJob',
    });
  });

  it('gives the training role no ECR access for the built-in image, which SageMaker pulls itself', () => {
    // Act (the role itself: training-role.test.ts)
    const statements = policyStatements(template, 'TrainingTrainingRole');

    // Assess
    expect(actions(statements).some((a) => a.startsWith('ecr:'))).toBe(false);
  });

  it('gives the state machine what createTrainingJob.sync needs, the step updates, and nothing else beyond its Lambdas', () => {
    // Act
    const statements = policyStatements(template, 'TrainingStateMachineRole');
    const granted = actions(statements);

    // Assess
    expect(
      granted.filter(
        (a) =>
          !a.startsWith('lambda:') &&
          !a.startsWith('logs:') &&
          !a.startsWith('xray:') &&
          !a.startsWith('kms:'),
      ),
    ).toEqual([
      'dynamodb:UpdateItem',
      'events:DescribeRule',
      'events:PutRule',
      'events:PutTargets',
      'iam:PassRole',
      'sagemaker:AddTags',
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:ListTags',
      'sagemaker:StopTrainingJob',
    ]);
    const passRole = statements.find((s) => actions([s]).includes('iam:PassRole'));
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    });
    expect(JSON.stringify(passRole?.Resource)).toMatch(/TrainingTrainingRole/);
    const update = statements.find((s) => actions([s]).includes('dynamodb:UpdateItem'));
    expect(JSON.stringify(update?.Resource)).toMatch(/RegistryTable/);
    expect(JSON.stringify(update?.Resource)).not.toMatch(/index/);
  });

  it('lets the training role pull the configured custom images of every model from ECR', () => {
    // Prepare
    const images = [
      '111122223333.dkr.ecr.us-east-1.amazonaws.com/team/trainer:1.2',
      `444455556666.dkr.ecr.eu-west-1.amazonaws.com/other@sha256:${'a'.repeat(64)}`,
    ];
    const custom = (image: string) => ({
      training: { image, metricDefinitions: [{ name: 'validation:auc', regex: 'auc=(.*)' }] },
      evaluation: { metric: 'validation:auc', higherIsBetter: true },
    });
    const config = {
      models: {
        churn: { problemType: 'binary', targetColumn: 'churned' },
        a: { ...custom(images[0] as string), problemType: 'binary', targetColumn: 'y' },
        b: { ...custom(images[1] as string), problemType: 'binary', targetColumn: 'y' },
        c: { ...custom(images[0] as string), problemType: 'binary', targetColumn: 'y' },
      },
    };

    // Act
    const statements = policyStatements(synthStack({ config, nag: true }).template, 'TrainingTrainingRole');

    // Assess
    const pull = statements.find((s) => actions([s]).includes('ecr:BatchGetImage'));
    expect(actions(pull ? [pull] : [])).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
    expect(pull?.Resource).toEqual([
      'arn:aws:ecr:eu-west-1:444455556666:repository/other',
      'arn:aws:ecr:us-east-1:111122223333:repository/team/trainer',
    ]);
    expect(statements.find((s) => actions([s]).includes('ecr:GetAuthorizationToken'))?.Resource).toBe('*');
  });

  it('lets the validator read uploads, write only run artifacts and contracts, and read trained datasets', () => {
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
      [['s3:ListBucket'], expect.stringMatching(/StorageData.*"Arn"/)],
      [['s3:ListBucket'], expect.stringMatching(/StorageArtifacts.*"Arn"/)],
    ]);
    // Real List requests only under the prefixes it reads; a GetObject's implicit check has no s3:prefix.
    expect(s3.filter((s) => actions([s]).includes('s3:ListBucket')).map((s) => s.Condition)).toEqual([
      { StringLikeIfExists: { 's3:prefix': ['datasets/*'] } },
      { StringLikeIfExists: { 's3:prefix': ['contracts/*', 'runs/*'] } },
    ]);
    // The duplicate-dataset lookup only.
    expect(actions(statements).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
  });

  it('gives the evaluator read-only registry access and no bucket access', () => {
    // Act
    const granted = actions(policyStatements(template, 'TrainingFunctionsEvaluateModelRole'));

    // Assess
    expect(granted.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    expect(granted.some((a) => a.startsWith('s3:'))).toBe(false);
  });

  it('runs every function on ARM64 with the newest Node runtime, tracing and encrypted JSON logs', () => {
    // Act: every function of the stack's own (the others are CDK's custom-resource handlers)
    const entries = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      JSON.stringify(f).includes('POWERTOOLS_SERVICE_NAME'),
    );
    const functions = entries.map(([, f]) => f) as { Properties: Record<string, unknown> }[];

    // Assess: the pipeline's seven among them
    expect(entries.filter(([id]) => id.startsWith('TrainingFunctions'))).toHaveLength(7);
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
