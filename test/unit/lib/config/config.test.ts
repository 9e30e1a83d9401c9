import { Aws } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, type MlopsConfig, resolveConfig, settingsForModel } from '../../../../lib/config';

const region = 'us-east-1';

function issuesOf(raw: unknown, options = { region }): string[] {
  try {
    resolveConfig(raw, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('resolveConfig defaults', () => {
  it('gives a complete configuration when nothing is set', () => {
    // Act
    const config: MlopsConfig = resolveConfig({}, { region });

    // Assess
    expect(config.stage).toBe('dev');
    expect(config.alarmEmails).toEqual([]);
    const defaults = settingsForModel(config, 'any-new-model');
    expect(defaults.training).toMatchObject({
      image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      builtInAlgorithm: true,
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      managedSpot: false,
      hyperparameters: { num_round: '100', max_depth: '6', eta: '0.3' },
    });
    expect(defaults.training.maxRuntime.toSeconds()).toBe(3600);
    expect(defaults.approval).toBe('manual');
    expect(defaults.evaluation).toEqual({ minImprovement: 0, metric: undefined, higherIsBetter: undefined });
  });

  it('merges a named model over `defaults`, key by key, hyperparameters included', () => {
    // Prepare
    const raw = {
      models: {
        defaults: {
          approval: 'auto',
          training: { instanceType: 'ml.c5.2xlarge', hyperparameters: { eta: 0.1 } },
        },
        churn: {
          problemType: 'binary',
          targetColumn: 'churned',
          training: { hyperparameters: { max_depth: 4 } },
        },
      },
    };

    // Act
    const config = resolveConfig(raw, { region });

    // Assess
    const churn = settingsForModel(config, 'churn');
    expect(churn.approval).toBe('auto');
    expect(churn.training.instanceType).toBe('ml.c5.2xlarge');
    expect(churn.training.hyperparameters).toEqual({ num_round: '100', max_depth: '4', eta: '0.1' });
    expect(churn.evaluation).toMatchObject({ metric: 'validation:auc', higherIsBetter: true });
    expect(settingsForModel(config, 'unlisted').training.hyperparameters.max_depth).toBe('6');
  });

  it('picks the objective for each problem type and knows its direction', () => {
    // Act
    const config = resolveConfig(
      { models: { a: { problemType: 'regression' }, b: { problemType: 'multiclass' } } },
      { region },
    );

    // Assess
    expect(settingsForModel(config, 'a').evaluation).toMatchObject({
      metric: 'validation:rmse',
      higherIsBetter: false,
    });
    expect(settingsForModel(config, 'b').evaluation).toMatchObject({
      metric: 'validation:mlogloss',
      higherIsBetter: false,
    });
  });

  it('gives managed spot a wait of twice the runtime unless told', () => {
    // Act
    const config = resolveConfig(
      { models: { m: { training: { managedSpot: true, maxRuntime: '2h' } } } },
      { region },
    );

    // Assess
    expect(settingsForModel(config, 'm').training.maxWait?.toSeconds()).toBe(4 * 3600);
  });

  it('uses the XGBoost registry of the stack region', () => {
    // Act
    const config = resolveConfig({}, { region: 'eu-west-1' });

    // Assess
    expect(settingsForModel(config, 'x').training.image).toBe(
      '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    );
  });

  it('accepts a custom image when its metric, direction and metric definition are given', () => {
    // Prepare
    const image = '111122223333.dkr.ecr.us-east-1.amazonaws.com/my-trainer:2.0';

    // Act
    const config = resolveConfig(
      {
        models: {
          custom: {
            training: { image, metricDefinitions: [{ name: 'val:f2', regex: 'f2=([0-9.]+)' }] },
            evaluation: { metric: 'val:f2', higherIsBetter: true, threshold: 0.5 },
          },
        },
      },
      { region },
    );

    // Assess
    const custom = settingsForModel(config, 'custom');
    expect(custom.training).toMatchObject({ image, builtInAlgorithm: false, hyperparameters: {} });
    expect(custom.evaluation).toMatchObject({ metric: 'val:f2', higherIsBetter: true, threshold: 0.5 });
  });
});

describe('resolveConfig rejects bad configurations, naming the key path, the value and what is allowed', () => {
  const cases: [string, unknown, string[]][] = [
    [
      'instance type without the ml. prefix',
      { models: { churn: { training: { instanceType: 'm5.large' } } } },
      [
        'models.churn.training.instanceType: "m5.large" is not a SageMaker instance type (expected e.g. "ml.m5.xlarge")',
      ],
    ],
    ['unknown stage', { stage: 'qa' }, ['stage: "qa" is not allowed (expected "dev" or "prod")']],
    [
      'bad e-mail address',
      { alarmEmails: ['ops@example.com', 'ops'] },
      ['alarmEmails[1]: "ops" is not an e-mail address'],
    ],
    [
      'misspelt setting, with a hint',
      { models: { churn: { trainng: {} } } },
      [
        'models.churn.trainng: is not a known setting (did you mean "training"? expected one of "problemType", "targetColumn", "training", "evaluation", "approval", "deployment", "monitoring")',
      ],
    ],
    [
      'unknown problem type',
      { models: { churn: { problemType: 'classification' } } },
      [
        'models.churn.problemType: "classification" is not allowed (expected "binary" or "multiclass" or "regression")',
      ],
    ],
    [
      'instance count of zero',
      { models: { defaults: { training: { instanceCount: 0 } } } },
      ['models.defaults.training.instanceCount: 0 is too small (expected at least 1)'],
    ],
    [
      'fractional instance count',
      { models: { churn: { training: { instanceCount: 1.5 } } } },
      ['models.churn.training.instanceCount: 1.5 is not a whole number'],
    ],
    [
      'unparseable duration',
      { models: { churn: { training: { maxRuntime: '2 hours' } } } },
      [
        'models.churn.training.maxRuntime: "2 hours" is not a duration (expected a positive whole number of seconds, or a string like "90s", "30m", "2h", "1d")',
      ],
    ],
    [
      'runtime beyond SageMaker limit',
      { models: { churn: { training: { maxRuntime: '30d' } } } },
      [
        'models.churn.training.maxRuntime: 30 days is longer than SageMaker allows (expected at most 28 days)',
      ],
    ],
    [
      'spot wait shorter than the runtime',
      { models: { churn: { training: { managedSpot: true, maxRuntime: '2h', maxWait: '1h' } } } },
      [
        'models.churn.training.maxWait: 1 hour is shorter than maxRuntime 2 hours (SageMaker requires maxWait >= maxRuntime)',
      ],
    ],
    [
      'spot wait without spot',
      { models: { churn: { training: { maxWait: '1h' } } } },
      [
        'models.churn.training.maxWait: is set but managedSpot is off (maxWait only applies to managed spot training)',
      ],
    ],
    [
      'metric of another problem type',
      { models: { churn: { problemType: 'binary', evaluation: { metric: 'validation:rmse' } } } },
      [
        'models.churn.evaluation.metric: "validation:rmse" does not apply to binary models (expected one of "validation:auc", "validation:error", "validation:f1", "validation:accuracy", "validation:logloss")',
      ],
    ],
    [
      'metric XGBoost does not report',
      { models: { churn: { evaluation: { metric: 'validation:gini' } } } },
      [
        'models.churn.evaluation.metric: "validation:gini" is not a metric the built-in XGBoost algorithm reports (expected e.g. "validation:auc", "validation:rmse")',
      ],
    ],
    [
      'threshold outside the metric range',
      { models: { churn: { problemType: 'binary', evaluation: { threshold: 1.2 } } } },
      ['models.churn.evaluation.threshold: 1.2 is outside the range of "validation:auc" (expected 0 to 1)'],
    ],
    [
      'direction contradicting a known metric',
      { models: { churn: { problemType: 'regression', evaluation: { higherIsBetter: true } } } },
      [
        'models.churn.evaluation.higherIsBetter: true contradicts "validation:rmse", where lower is better (remove the setting)',
      ],
    ],
    [
      'negative minimum improvement',
      { models: { churn: { evaluation: { minImprovement: -0.01 } } } },
      ['models.churn.evaluation.minImprovement: -0.01 is too small (expected at least 0)'],
    ],
    [
      'model name that cannot be an S3 prefix or job name',
      { models: { 'Churn Model': {} } },
      [
        'models["Churn Model"]: "Churn Model" is not a valid model name (expected 1-32 lowercase letters, digits or hyphens, starting and ending with a letter or digit)',
      ],
    ],
    [
      'image that is not an ECR URI',
      { models: { churn: { training: { image: 'xgboost:latest' } } } },
      [
        'models.churn.training.image: "xgboost:latest" is not an ECR image URI (expected "<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>")',
      ],
    ],
    [
      'custom image without a metric',
      { models: { churn: { training: { image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/t:1' } } } },
      [
        'models.churn.evaluation.metric: is required when training.image is not the built-in XGBoost image (the stack cannot know a custom metric)',
      ],
    ],
    [
      'custom metric with no definition to read it',
      {
        models: {
          churn: {
            training: { image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/t:1' },
            evaluation: { metric: 'val:f2', higherIsBetter: true },
          },
        },
      },
      [
        `models.churn.training.metricDefinitions: has no definition named "val:f2" (SageMaker needs a regex to read evaluation.metric from a custom image's logs)`,
      ],
    ],
    [
      'bad monitoring schedule and canary share',
      {
        models: {
          defaults: {
            monitoring: { schedule: 'daily' },
            deployment: { trafficRouting: { type: 'CANARY', canaryPercent: 100 } },
          },
        },
      },
      [
        'models.defaults.deployment.trafficRouting.canaryPercent: 100 is too large (expected at most 50)',
        'models.defaults.monitoring.schedule: "daily" is not an EventBridge schedule (expected e.g. "rate(1 hour)", "rate(30 minutes)" or "cron(0 6 * * ? *)")',
      ],
    ],
    [
      'wrong value type',
      { models: { churn: { training: { managedSpot: 'yes' } } } },
      ['models.churn.training.managedSpot: "yes" is not a boolean'],
    ],
  ];

  it.each(cases)('%s', (_name, raw, expected) => {
    // Act
    const issues = issuesOf(raw);

    // Assess
    expect(issues).toEqual(expected);
  });

  it('reports every problem at once, top-level and per model', () => {
    // Act
    const issues = issuesOf({
      stage: 'qa',
      models: { churn: { training: { instanceType: 'm5.large' } }, fraud: { approval: 'sometimes' } },
    });

    // Assess
    expect(issues).toHaveLength(3);
    expect(issues.map((issue) => issue.split(':')[0])).toEqual([
      'stage',
      'models.churn.training.instanceType',
      'models.fraud.approval',
    ]);
  });

  it('renders the whole list in the error message', () => {
    // Act
    const run = () => resolveConfig({ stage: 'qa' }, { region });

    // Assess
    expect(run).toThrowError(
      'Invalid serverless-mlops configuration in the "mlops" context:\n  - stage: "qa" is not allowed (expected "dev" or "prod")',
    );
  });

  it('refuses a region without a known XGBoost image and says to set one', () => {
    // Act
    const issues = issuesOf({ models: { churn: { problemType: 'binary' } } }, { region: 'xx-north-9' });

    // Assess
    expect(issues).toEqual([
      'models.defaults.training.image: is not set and no built-in XGBoost 1.7-1 image is known for region "xx-north-9": set an explicit ECR image URI',
    ]);
  });

  it('refuses an environment-agnostic stack unless images are explicit', () => {
    // Act
    const issues = issuesOf({}, { region: Aws.REGION });

    // Assess
    expect(issues).toEqual([
      'models.defaults.training.image: is not set and the stack has no region at synth time (set CDK_DEFAULT_REGION or env.region): set an explicit ECR image URI',
    ]);
  });

  describe("SageMaker's hyperparameter limits (100 entries, 2,500 characters a value)", () => {
    const image = '111122223333.dkr.ecr.us-east-1.amazonaws.com/my-trainer:2.0';
    const custom = (hyperparameters: Record<string, string>) => ({
      models: {
        custom: {
          training: { image, hyperparameters, metricDefinitions: [{ name: 'f2', regex: 'f2=(.*)' }] },
          evaluation: { metric: 'f2', higherIsBetter: true },
        },
      },
    });
    const entries = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, String(i)]));

    it('accepts 100 entries and a value of 2,500 characters', () => {
      // Act
      const config = resolveConfig(custom({ ...entries(99), long: 'x'.repeat(2500) }), { region });

      // Assess
      expect(Object.keys(settingsForModel(config, 'custom').training.hyperparameters)).toHaveLength(100);
    });

    it('refuses 101 entries, naming the key path', () => {
      // Act
      const issues = issuesOf(custom(entries(101)));

      // Assess
      expect(issues).toEqual([
        'models.custom.training.hyperparameters: has 101 entries, more than SageMaker accepts (expected at most 100)',
      ]);
    });

    it('counts the entries the built-in XGBoost adds', () => {
      // Act: 95 + num_round, max_depth, eta + objective, eval_metric, num_class
      const issues = issuesOf({ models: { churn: { training: { hyperparameters: entries(95) } } } });

      // Assess
      expect(issues).toEqual([
        expect.stringMatching(
          /^models\.churn\.training\.hyperparameters: has 101 entries with the ones the built-in XGBoost adds/,
        ),
      ]);
    });

    it('refuses a value over 2,500 characters, naming the hyperparameter', () => {
      // Act
      const issues = issuesOf(custom({ 'class.labels': 'y'.repeat(2501) }));

      // Assess
      expect(issues).toEqual([
        'models.custom.training.hyperparameters["class.labels"]: is 2501 characters long, more than SageMaker accepts for a hyperparameter value (expected at most 2500)',
      ]);
    });
  });

  it('accepts an unknown region when every image is explicit', () => {
    // Prepare
    const image = '111122223333.dkr.ecr.xx-north-9.amazonaws.com/sagemaker-xgboost:1.7-1';

    // Act
    const config = resolveConfig({ models: { defaults: { training: { image } } } }, { region: 'xx-north-9' });

    // Assess
    expect(settingsForModel(config, 'm').training.image).toBe(image);
  });
});

describe('local runtime settings', () => {
  it('maps training images to local commands', () => {
    // Act
    const config = resolveConfig(
      {
        local: {
          trainers: [
            {
              image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/mine',
              command: ['python3', './train.py'],
            },
          ],
        },
      },
      { region },
    );

    // Assess
    expect(config.local.trainers).toEqual([
      { image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/mine', command: ['python3', './train.py'] },
    ]);
  });

  it('refuses a trainer without a command', () => {
    // Act
    const issues = issuesOf({ local: { trainers: [{ image: 'x', command: [] }] } });

    // Assess
    expect(issues).toEqual(['local.trainers[0].command: [] is too small (expected at least 1)']);
  });
});
