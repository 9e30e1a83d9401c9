import { describe, expect, it } from 'vitest';
import type { TrainingRunPlan } from '../../../../lambdas/shared/pipeline';
import { trainingRunPlanSchema } from '../../../../lambdas/shared/pipeline-schemas';
import * as z from '../../../../lambdas/shared/zod';

const plan: TrainingRunPlan = {
  reportUri: 's3://artifacts/runs/churn-1/validation-report.json',
  baselineUri: 's3://artifacts/runs/churn-1/baseline.json',
  lineage: { sha256: 'a'.repeat(64), rowCount: 100, sizeBytes: 2048 },
  training: {
    jobName: 'churn-1',
    algorithmSpecification: { TrainingImage: 'xgboost:1.7-1', TrainingInputMode: 'File' },
    hyperParameters: { num_round: '10' },
    resourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    stoppingCondition: { MaxRuntimeInSeconds: 3600 },
    enableManagedSpotTraining: false,
    trainUri: 's3://artifacts/runs/churn-1/splits/train/',
    validationUri: 's3://artifacts/runs/churn-1/splits/validation/',
    outputUri: 's3://artifacts/runs/churn-1/output/',
    checkpointUri: 's3://artifacts/runs/churn-1/checkpoints/',
  },
  evaluation: {
    problemType: 'binary',
    metric: 'validation:auc',
    higherIsBetter: true,
    minImprovement: 0,
    approval: 'auto',
  },
};

describe('trainingRunPlanSchema', () => {
  it('parses the plan ValidateDataset returns, as it came', () => {
    // Act
    const parsed = z.parse(trainingRunPlanSchema, JSON.parse(JSON.stringify(plan)));

    // Assess
    expect(parsed).toEqual(plan);
  });

  it('names the field of a damaged training plan', () => {
    // Prepare
    const damaged = {
      ...plan,
      training: { ...plan.training, resourceConfig: { InstanceCount: 1, VolumeSizeInGB: 30 } },
    };

    // Act
    const result = z.safeParse(trainingRunPlanSchema, damaged);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'training.resourceConfig.InstanceType',
    ]);
  });
});
