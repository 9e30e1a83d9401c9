import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { scheduleInputOf } from '../../lambdas/check-quality/input';
import { retrainActionOf } from '../../lambdas/retrain/input';
import { CONTEXT_KEY, loadConfig } from '../../lib/config';
import { MONITORING_DEFAULTS } from '../../lib/config/monitoring';
import { monitoringSchedules } from '../../lib/constructs/monitoring';
import { ServerlessMlopsStack } from '../../lib/serverless-mlops-stack';
import { matchesPattern } from '../../local/events/pattern';
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

describe('monitoringSchedules', () => {
  const settings = (schedules: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(schedules).map(([model, schedule]) => [
        model,
        { ...MONITORING_DEFAULTS, criticalFeatures: [], schedule },
      ]),
    );

  it('checks every deployed model on the defaults schedule when no model has its own', () => {
    expect(monitoringSchedules(settings({ defaults: 'rate(1 hour)', churn: 'rate(1 hour)' }))).toEqual([
      { expression: 'rate(1 hour)', input: { models: '*' } },
    ]);
  });

  it('gives each other schedule a rule naming its models, and excludes them from "*"', () => {
    expect(
      monitoringSchedules(
        settings({
          defaults: 'rate(1 hour)',
          prices: 'cron(0 6 * * ? *)',
          fraud: 'rate(15 minutes)',
          churn: 'rate(15 minutes)',
          plain: 'rate(1 hour)',
        }),
      ),
    ).toEqual([
      { expression: 'rate(1 hour)', input: { models: '*', exclude: ['churn', 'fraud', 'prices'] } },
      { expression: 'cron(0 6 * * ? *)', input: { models: ['prices'] } },
      { expression: 'rate(15 minutes)', input: { models: ['churn', 'fraud'] } },
    ]);
  });
});

describe('Monitoring construct (issue 10 §2–§4)', () => {
  const config = {
    models: {
      defaults: { deployment: { mode: 'auto' } },
      churn: { problemType: 'binary', monitoring: { schedule: 'rate(15 minutes)' } },
      fraud: {
        problemType: 'binary',
        monitoring: { schedule: 'rate(15 minutes)', criticalFeatures: ['amount'] },
      },
      prices: { problemType: 'regression', monitoring: { schedule: 'cron(0 6 * * ? *)' } },
    },
  };
  let template: Template;

  beforeAll(() => {
    ({ template } = synthStack({ config, nag: true }));
  });

  /** The rules whose targets include the function built from lambdas/<entry>. */
  function rulesTargeting(entry: string) {
    const functionId = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, fn]) => fn.Metadata?.['ServerlessMlops::Entry'] === entry,
    )?.[0];
    return Object.values(template.findResources('AWS::Events::Rule')).filter((rule) =>
      (rule.Properties.Targets as { Arn: unknown }[]).some(
        (target) => JSON.stringify(target.Arn) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
      ),
    );
  }

  it('runs both checks on one rule per schedule, with the models, the exclusions and the event time', () => {
    const rules = rulesTargeting('check-drift');
    const bySchedule = Object.fromEntries(
      rules.map((rule) => [rule.Properties.ScheduleExpression as string, rule.Properties.Targets]),
    );
    expect(Object.keys(bySchedule).sort()).toEqual(['cron(0 6 * * ? *)', 'rate(1 hour)', 'rate(15 minutes)']);
    for (const targets of Object.values(bySchedule) as {
      InputTransformer: unknown;
      RetryPolicy: unknown;
    }[][]) {
      expect(targets).toHaveLength(2);
      for (const target of targets) {
        expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 8 });
        expect(target).toHaveProperty('DeadLetterConfig');
      }
    }
    const inputOf = (schedule: string) => {
      const [target] = bySchedule[schedule] as {
        InputTransformer: { InputPathsMap: unknown; InputTemplate: string };
      }[];
      expect(target?.InputTransformer.InputPathsMap).toEqual({ time: '$.time' });
      return JSON.parse(String(target?.InputTransformer.InputTemplate).replace('<time>', '"T"'));
    };
    expect(inputOf('rate(1 hour)')).toEqual({
      models: '*',
      exclude: ['churn', 'fraud', 'prices'],
      time: 'T',
    });
    expect(inputOf('rate(15 minutes)')).toEqual({ models: ['churn', 'fraud'], time: 'T' });
    expect(inputOf('cron(0 6 * * ? *)')).toEqual({ models: ['prices'], time: 'T' });
    expect(rulesTargeting('check-quality')).toHaveLength(4); // the three schedules and ground-truth uploads
  });

  it('runs the quality check on ground-truth uploads, and the retrainer on drift, quality loss and registrations', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ wildcard: 'ground-truth/*/*' }] } },
      },
    });
    const [retrainRule, ...others] = rulesTargeting('retrain');
    expect(others).toEqual([]);
    expect(retrainRule?.Properties.EventPattern).toEqual({
      source: ['serverless-mlops'],
      'detail-type': ['DriftDetected', 'ModelQualityDegraded', 'ModelRegistered'],
    });
  });

  it.each([
    ['ground-truth/churn/labels.csv', true],
    ['ground-truth/churn/2031/01/labels.jsonl', true],
    ['ground-truth/labels.csv', false],
    ['datasets/churn/ground-truth/labels.csv', false],
  ])('runs the quality check for an upload of %s: %s', (key, expected) => {
    // Arrange
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { Description: Match.stringLikeRegexp('^Labels uploaded') },
      }),
    );
    const pattern = JSON.parse(
      JSON.stringify(rule?.Properties.EventPattern).replace(/\{"Ref":"[^"]+"\}/g, '"data-bucket"'),
    );
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'data-bucket' }, object: { key } },
    };

    // Act
    const matched = matchesPattern(pattern, event);

    // Assess
    expect(matched).toBe(expected);
  });

  it('gives the checks an input they read: the schedule rules as EventBridge transforms them, and uploads', () => {
    // Arrange: a scheduled event, and the input transformer applied as EventBridge applies it (a JSON value
    // for each <name> of InputPathsMap)
    const scheduled = {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2031-01-01T06:00:00Z',
    };
    const transform = (target: {
      InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
    }) =>
      JSON.parse(
        Object.entries(target.InputTransformer.InputPathsMap).reduce(
          (text, [name, path]) =>
            text.replace(
              `<${name}>`,
              JSON.stringify((scheduled as Record<string, unknown>)[path.replace(/^\$\./, '')]),
            ),
          target.InputTransformer.InputTemplate,
        ),
      );
    const inputs = rulesTargeting('check-quality')
      .filter((rule) => rule.Properties.ScheduleExpression !== undefined)
      .flatMap((rule) => rule.Properties.Targets.map(transform));
    const upload = {
      'detail-type': 'Object Created',
      source: 'aws.s3',
      time: '2031-01-01T06:07:08Z',
      detail: { bucket: { name: 'data' }, object: { key: 'ground-truth/churn/labels.csv' } },
    };

    // Act
    const read = inputs.map((input) => scheduleInputOf(input));

    // Assess
    expect(read).toEqual(
      expect.arrayContaining([
        { models: '*', exclude: ['churn', 'fraud', 'prices'], time: '2031-01-01T06:00:00Z' },
        { models: ['churn', 'fraud'], time: '2031-01-01T06:00:00Z' },
        { models: ['prices'], time: '2031-01-01T06:00:00Z' },
      ]),
    );
    expect(read).toHaveLength(6);
    expect(scheduleInputOf(upload)).toEqual({ models: ['churn'], time: '2031-01-01T06:07:08Z' });
  });

  it('delivers the retrainer events it reads', () => {
    const [rule] = rulesTargeting('retrain');
    const event = {
      source: 'serverless-mlops',
      'detail-type': 'DriftDetected',
      detail: { model: 'churn', windowId: 'w-1', version: 3 },
    };
    expect(matchesPattern(rule?.Properties.EventPattern, event)).toBe(true);
    expect(retrainActionOf(event)).toEqual({
      kind: 'consider',
      request: { model: 'churn', windowId: 'w-1', trigger: 'drift' },
    });
  });

  it('gives the functions the settings, buckets, table and bus they read at init', () => {
    const drift = environmentOf(template, 'check-drift');
    const monitoring = JSON.parse(String(drift.MONITORING_SETTINGS));
    expect(monitoring.fraud).toMatchObject({ schedule: 'rate(15 minutes)', criticalFeatures: ['amount'] });
    expect(monitoring.defaults).toEqual(MONITORING_DEFAULTS);
    expect(Object.keys(drift).sort()).toEqual(
      expect.arrayContaining([
        'ARTIFACTS_BUCKET',
        'EVENT_BUS_NAME',
        'MONITORING_SETTINGS',
        'REGISTRY_TABLE_NAME',
      ]),
    );
    const quality = environmentOf(template, 'check-quality');
    expect(JSON.parse(String(quality.MODEL_SETTINGS)).prices).toEqual({
      problemType: 'regression',
      evaluation: { metric: 'validation:rmse', higherIsBetter: false, minImprovement: 0 },
    });
    expect(quality).toHaveProperty('DATA_BUCKET');
    expect(environmentOf(template, 'retrain')).toHaveProperty('DATA_BUCKET');
  });

  it('lets the checks write only reports, and the retrainer only retrain datasets', () => {
    const writes = (rolePrefix: string) =>
      statementsOf(template, rolePrefix)
        .filter((s) => actionsOf([s]).includes('s3:PutObject'))
        .map((s) => JSON.stringify(s.Resource));
    expect(writes('MonitoringCheckDriftRole')).toEqual([expect.stringContaining('/monitoring/*')]);
    expect(writes('MonitoringCheckQualityRole')).toEqual([expect.stringContaining('/monitoring/*')]);
    expect(writes('MonitoringRetrainRole')).toEqual([expect.stringContaining('/datasets/*/retrain-*')]);
    const reads = (rolePrefix: string) =>
      JSON.stringify(
        statementsOf(template, rolePrefix).filter((s) => actionsOf([s]).includes('s3:GetObject')),
      );
    expect(reads('MonitoringCheckDriftRole')).toContain('/capture/*');
    expect(reads('MonitoringCheckDriftRole')).toContain('/runs/*/baseline.json');
    expect(reads('MonitoringCheckDriftRole')).not.toContain('ground-truth');
    expect(reads('MonitoringCheckQualityRole')).toContain('/ground-truth/*');
    expect(reads('MonitoringRetrainRole')).toContain('/ground-truth/*');
  });

  it.each([
    // listModels on GSI1; getAlias, getVersion, cursor, getWindow; recordWindow: a transaction of three Puts.
    ['MonitoringCheckDriftRole', ['dynamodb:GetItem', 'dynamodb:PutItem'], 'GSI1'],
    ['MonitoringCheckQualityRole', ['dynamodb:GetItem', 'dynamodb:PutItem'], 'GSI1'],
    // The slot (GetItem, UpdateItem alone or with its event's Put), listWindows (table Query), listRunsByModel.
    [
      'MonitoringRetrainRole',
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'GSI2',
    ],
  ])(
    'grants %s exactly the registry actions its code sends, the index it queries, PutEvents and the key',
    (role, tableActions, index) => {
      // Act
      const statements = statementsOf(template, role);
      const registry = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      const onTable = registry.filter((s) => !JSON.stringify(s.Resource).includes('/index/'));
      const onIndex = registry.filter((s) => JSON.stringify(s.Resource).includes('/index/'));

      // Assess
      expect(actionsOf(onTable)).toEqual(tableActions);
      expect(onIndex.map((s) => [actionsOf([s]), JSON.stringify(s.Resource)])).toEqual([
        [['dynamodb:Query'], expect.stringContaining(`/index/${index}"`)],
      ]);
      const actions = actionsOf(statements);
      expect(actions).toEqual(
        expect.arrayContaining(['events:PutEvents', 'kms:Decrypt', 'kms:GenerateDataKey']),
      );
      expect(actions).not.toContain('s3:DeleteObject');
    },
  );

  it('refuses settings too large for the functions’ environment', () => {
    // Prepare: many critical features, which only MONITORING_SETTINGS carries
    const criticalFeatures = Array.from({ length: 120 }, (_, i) => `a-rather-long-feature-name-${i}`);
    const models = { churn: { monitoring: { criticalFeatures } } };

    // Act, Assess
    expect(() => synthStack({ config: { models } })).toThrow(
      /monitoring and evaluation settings are \d+ bytes/,
    );
  });
});

describe('FinishDeployment and the prediction baseline (issue 10 §1)', () => {
  let template: Template;

  beforeAll(() => {
    ({ template } = synthStack({ config: CONFIG }));
  });

  it('is given the artifacts bucket, which turns the prediction baseline on', () => {
    expect(environmentOf(template, 'finish-deployment')).toHaveProperty('ARTIFACTS_BUCKET');
  });

  it("reads validation splits, writes only prediction baselines, and invokes the stack's endpoints", () => {
    const statements = statementsOf(template, 'DeploymentFunctionsFinishDeploymentRole');
    const on = (action: string) =>
      JSON.stringify(statements.filter((s) => actionsOf([s]).includes(action)).map((s) => s.Resource));
    expect(on('s3:GetObject')).toContain('/runs/*/splits/validation/*');
    expect(on('s3:PutObject')).toContain('/runs/*/prediction-baseline.json');
    expect(on('s3:PutObject')).not.toContain('splits');
    expect(on('sagemaker:InvokeEndpoint')).toContain(':endpoint/serverlessmlops-*');
    const list = statements.find((s) => actionsOf([s]).includes('s3:ListBucket'));
    expect(list?.Condition).toEqual({ StringLikeIfExists: { 's3:prefix': ['runs/*'] } });
  });
});
