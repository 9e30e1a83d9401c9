import { describe, expect, it } from 'vitest';
import type { DatasetContract } from '../../../../lambdas/shared/dataset-contract';
import type { RuntimeModelSettings } from '../../../../lambdas/shared/model-settings';
import {
  buildEvaluationPlan,
  buildTrainingPlan,
  hasInstanceStorage,
} from '../../../../lambdas/validate-dataset/training-plan';

const settings = (
  over: Partial<RuntimeModelSettings['training']> = {},
  evaluation = {},
): RuntimeModelSettings => ({
  approval: 'auto',
  training: {
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    builtInAlgorithm: true,
    hyperparameters: { num_round: '100' },
    instanceType: 'ml.m5.xlarge',
    instanceCount: 1,
    maxRuntimeSeconds: 3600,
    managedSpot: false,
    volumeSizeGb: 30,
    metricDefinitions: [],
    ...over,
  },
  evaluation: { minImprovement: 0, ...evaluation },
});

const contract = (problemType: DatasetContract['problemType']): DatasetContract => ({
  target: 'y',
  problemType,
  columns: [
    { name: 'x', type: 'numeric' },
    { name: 'y', type: problemType === 'regression' ? 'numeric' : 'categorical' },
  ],
});

const run = {
  runId: 'churn-0123456789abcdef',
  model: 'churn',
  dataset: { bucket: 'data', key: 'datasets/churn/a.csv' },
  duplicate: false,
};
const common = { run, artifactsBucket: 'artifacts', kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k' };

describe('buildTrainingPlan', () => {
  it('points every channel and output under the run prefix and names the job after the run', () => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings(),
      contract: contract('binary'),
      classes: ['0', '1'],
    });

    // Assess
    expect(plan).toMatchObject({
      jobName: 'churn-0123456789abcdef',
      trainUri: 's3://artifacts/runs/churn-0123456789abcdef/splits/train/',
      validationUri: 's3://artifacts/runs/churn-0123456789abcdef/splits/validation/',
      outputUri: 's3://artifacts/runs/churn-0123456789abcdef/output/',
      checkpointUri: 's3://artifacts/runs/churn-0123456789abcdef/checkpoints/',
      resourceConfig: {
        InstanceType: 'ml.m5.xlarge',
        InstanceCount: 1,
        VolumeSizeInGB: 30,
        VolumeKmsKeyId: common.kmsKeyArn,
      },
      stoppingCondition: { MaxRuntimeInSeconds: 3600 },
      enableManagedSpotTraining: false,
    });
  });

  it.each([
    ['binary', ['0', '1'], { objective: 'binary:logistic', eval_metric: 'auc' }],
    ['multiclass', ['a', 'b', 'c'], { objective: 'multi:softprob', eval_metric: 'mlogloss', num_class: '3' }],
    ['regression', undefined, { objective: 'reg:squarederror', eval_metric: 'rmse' }],
  ] as const)('derives the XGBoost objective for %s problems', (problemType, classes, expected) => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings(),
      contract: contract(problemType),
      classes,
    });

    // Assess
    expect(plan.hyperParameters).toEqual({ num_round: '100', ...expected });
  });

  it('lets the user hyperparameters win over derived ones', () => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings({ hyperparameters: { num_round: '10', eval_metric: 'logloss' } }),
      contract: contract('binary'),
    });

    // Assess
    expect(plan.hyperParameters.eval_metric).toBe('logloss');
  });

  it('passes a custom image its metric definitions and hyperparameters untouched', () => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings({
        image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/mine:1',
        builtInAlgorithm: false,
        hyperparameters: { lr: '0.1' },
        metricDefinitions: [{ name: 'val:f2', regex: 'f2=([0-9.]+)' }],
      }),
      contract: contract('binary'),
    });

    // Assess
    expect(plan.hyperParameters).toEqual({ lr: '0.1' });
    expect(plan.algorithmSpecification.MetricDefinitions).toEqual([
      { Name: 'val:f2', Regex: 'f2=([0-9.]+)' },
    ]);
  });

  it('sets a spot wait only for managed spot training', () => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings({ managedSpot: true, maxWaitSeconds: 7200 }),
      contract: contract('binary'),
    });

    // Assess
    expect(plan.enableManagedSpotTraining).toBe(true);
    expect(plan.stoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
  });

  it('leaves out the volume key for instance types with local NVMe storage', () => {
    // Act
    const plan = buildTrainingPlan({
      ...common,
      settings: settings({ instanceType: 'ml.g4dn.xlarge' }),
      contract: contract('binary'),
    });

    // Assess
    expect(plan.resourceConfig).not.toHaveProperty('VolumeKmsKeyId');
  });

  it('refuses a run id SageMaker would not accept as a job name', () => {
    // Act
    const build = () =>
      buildTrainingPlan({
        ...common,
        run: { ...run, runId: 'bad_name' },
        settings: settings(),
        contract: contract('binary'),
      });

    // Assess
    expect(build).toThrowError('Run id "bad_name" is not a valid SageMaker training job name');
  });
});

describe('hasInstanceStorage', () => {
  it.each([
    ['ml.m5.xlarge', false],
    ['ml.c5.2xlarge', false],
    ['ml.p3.2xlarge', false],
    ['ml.m5d.large', true],
    ['ml.c6id.large', true],
    ['ml.g4dn.xlarge', true],
    ['ml.p3dn.24xlarge', true],
    ['ml.g5.xlarge', true],
    ['ml.trn1.2xlarge', true],
    // NVMe families named in issue 7: p5en, p6 and newer
    ['ml.p4de.24xlarge', true],
    ['ml.p5.48xlarge', true],
    ['ml.p5e.48xlarge', true],
    ['ml.p5en.48xlarge', true],
    ['ml.p6-b200.48xlarge', true],
    ['ml.p6e-gb200.36xlarge', true],
    ['ml.g6.xlarge', true],
    ['ml.g6e.xlarge', true],
    ['ml.g7e.2xlarge', true],
    ['ml.trn2.48xlarge', true],
    ['ml.r7gd.large', true],
    // EBS only
    ['ml.p2.xlarge', false],
    ['ml.g4.xlarge', false],
    ['ml.inf1.xlarge', false],
    // Not in EC2's instance store list: Inferentia2 and the Graviton GPU family are EBS only
    ['ml.inf2.xlarge', false],
    ['ml.inf2.48xlarge', false],
    ['ml.g5g.xlarge', false],
    ['ml.c7i.large', false],
    ['ml.m7i.xlarge', false],
  ])('%s -> %s', (instanceType, expected) => {
    // Act / Assess
    expect(hasInstanceStorage(instanceType)).toBe(expected);
  });

  it.each(['ml.p5en.48xlarge', 'ml.p6-b200.48xlarge'])(
    'builds a plan without VolumeKmsKeyId for %s (SageMaker refuses one for local storage)',
    (instanceType) => {
      // Act
      const plan = buildTrainingPlan({
        ...common,
        settings: settings({ instanceType }),
        contract: contract('binary'),
        classes: ['0', '1'],
      });

      // Assess
      expect(plan.resourceConfig).toEqual({
        InstanceType: instanceType,
        InstanceCount: 1,
        VolumeSizeInGB: 30,
      });
    },
  );

  it.each(['ml.inf2.xlarge', 'ml.g5g.xlarge'])(
    'encrypts the EBS training volume of %s with the key (VolumeKmsKeyId)',
    (instanceType) => {
      // Act
      const plan = buildTrainingPlan({
        ...common,
        settings: settings({ instanceType }),
        contract: contract('binary'),
        classes: ['0', '1'],
      });

      // Assess
      expect(plan.resourceConfig).toEqual({
        InstanceType: instanceType,
        InstanceCount: 1,
        VolumeSizeInGB: 30,
        VolumeKmsKeyId: common.kmsKeyArn,
      });
    },
  );
});

describe('buildEvaluationPlan', () => {
  it('defaults the objective and its direction from the problem type', () => {
    // Act
    const plan = buildEvaluationPlan('churn', settings(), 'regression');

    // Assess
    expect(plan).toEqual({
      problemType: 'regression',
      metric: 'validation:rmse',
      higherIsBetter: false,
      minImprovement: 0,
      approval: 'auto',
    });
  });

  it('refuses a configured metric that does not fit the data problem type, saying what to set', () => {
    // Act
    const build = () =>
      buildEvaluationPlan('churn', settings({}, { metric: 'validation:auc' }), 'regression');

    // Assess
    expect(build).toThrowError(
      'Model "churn" is configured with evaluation.metric "validation:auc", which does not apply to its regression data (set models.churn.evaluation.metric to a regression metric, e.g. "validation:rmse")',
    );
  });
});
