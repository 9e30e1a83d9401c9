import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { decide, evaluateModel, objectiveValue } from '../../../../lambdas/evaluate-model/evaluate';
import { formatMetric } from '../../../../lambdas/shared/metrics';
import type { EvaluationPlan, TrainingRunPlan } from '../../../../lambdas/shared/pipeline';
import { PipelineError } from '../../../../lambdas/shared/runtime/errors';

const auc: EvaluationPlan = {
  problemType: 'binary',
  metric: 'validation:auc',
  higherIsBetter: true,
  threshold: 0.75,
  minImprovement: 0.005,
  approval: 'auto',
};
const { threshold: _aucThreshold, ...aucWithoutThreshold } = auc;
const rmse: EvaluationPlan = {
  problemType: 'regression',
  metric: 'validation:rmse',
  higherIsBetter: false,
  threshold: 3,
  minImprovement: 0.1,
  approval: 'auto',
};

interface Case {
  readonly name: string;
  readonly evaluation: EvaluationPlan;
  readonly value: number;
  readonly champion?: { readonly version: number; readonly value?: number };
  readonly status: 'Approved' | 'PendingApproval' | 'Rejected';
  readonly reasons: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: 'higher is better: above the threshold, no champion, auto',
    evaluation: auc,
    value: 0.8123,
    status: 'Approved',
    reasons: [
      'validation:auc 0.8123 meets the threshold 0.75',
      'no production champion yet',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'higher is better: exactly at the threshold meets it',
    evaluation: auc,
    value: 0.75,
    status: 'Approved',
    reasons: [
      'validation:auc 0.7500 meets the threshold 0.75',
      'no production champion yet',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'higher is better: below the threshold is rejected',
    evaluation: auc,
    value: 0.7499,
    status: 'Rejected',
    reasons: ['validation:auc 0.7499 is below the threshold 0.75', 'no production champion yet'],
  },
  {
    name: 'higher is better: champion better',
    evaluation: auc,
    value: 0.8123,
    champion: { version: 3, value: 0.82 },
    status: 'Rejected',
    reasons: [
      'validation:auc 0.8123 meets the threshold 0.75',
      'validation:auc 0.8123 does not beat the production champion v3 (0.8200) by the required 0.0050',
    ],
  },
  {
    name: 'higher is better: champion equal',
    evaluation: auc,
    value: 0.82,
    champion: { version: 3, value: 0.82 },
    status: 'Rejected',
    reasons: [
      'validation:auc 0.8200 meets the threshold 0.75',
      'validation:auc 0.8200 does not beat the production champion v3 (0.8200) by the required 0.0050',
    ],
  },
  {
    name: 'higher is better: champion worse by more than required',
    evaluation: auc,
    value: 0.84,
    champion: { version: 3, value: 0.82 },
    status: 'Approved',
    reasons: [
      'validation:auc 0.8400 meets the threshold 0.75',
      'validation:auc 0.8400 beats the production champion v3 (0.8200) by 0.0200 (required 0.0050)',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'higher is better: improvement exactly minImprovement passes despite floating point',
    evaluation: auc,
    value: 0.825,
    champion: { version: 3, value: 0.82 },
    status: 'Approved',
    reasons: [
      'validation:auc 0.8250 meets the threshold 0.75',
      'validation:auc 0.8250 beats the production champion v3 (0.8200) by 0.0050 (required 0.0050)',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'higher is better: improvement just under minImprovement is rejected',
    evaluation: auc,
    value: 0.8249,
    champion: { version: 3, value: 0.82 },
    status: 'Rejected',
    reasons: [
      'validation:auc 0.8249 meets the threshold 0.75',
      'validation:auc 0.8249 does not beat the production champion v3 (0.8200) by the required 0.0050',
    ],
  },
  {
    name: 'minImprovement 0: any strict improvement passes',
    evaluation: { ...auc, minImprovement: 0 },
    value: 0.8201,
    champion: { version: 1, value: 0.82 },
    status: 'Approved',
    reasons: [
      'validation:auc 0.8201 meets the threshold 0.75',
      'validation:auc 0.8201 beats the production champion v1 (0.8200) by 0.0001',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'minImprovement 0: a tie does not beat the champion',
    evaluation: { ...auc, minImprovement: 0 },
    value: 0.82,
    champion: { version: 1, value: 0.82 },
    status: 'Rejected',
    reasons: [
      'validation:auc 0.8200 meets the threshold 0.75',
      'validation:auc 0.8200 does not beat the production champion v1 (0.8200)',
    ],
  },
  {
    name: 'lower is better: at the threshold meets it, no champion',
    evaluation: rmse,
    value: 3,
    status: 'Approved',
    reasons: [
      'validation:rmse 3.0000 meets the threshold 3',
      'no production champion yet',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'lower is better: above the threshold is rejected',
    evaluation: rmse,
    value: 3.2,
    status: 'Rejected',
    reasons: ['validation:rmse 3.2000 is above the threshold 3', 'no production champion yet'],
  },
  {
    name: 'lower is better: lower than the champion by enough',
    evaluation: rmse,
    value: 2.5,
    champion: { version: 7, value: 2.8 },
    status: 'Approved',
    reasons: [
      'validation:rmse 2.5000 meets the threshold 3',
      'validation:rmse 2.5000 beats the production champion v7 (2.8000) by 0.3000 (required 0.1000)',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'lower is better: exactly minImprovement lower passes',
    evaluation: rmse,
    value: 2.7,
    champion: { version: 7, value: 2.8 },
    status: 'Approved',
    reasons: [
      'validation:rmse 2.7000 meets the threshold 3',
      'validation:rmse 2.7000 beats the production champion v7 (2.8000) by 0.1000 (required 0.1000)',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'lower is better: a higher value than the champion is worse',
    evaluation: rmse,
    value: 2.9,
    champion: { version: 7, value: 2.8 },
    status: 'Rejected',
    reasons: [
      'validation:rmse 2.9000 meets the threshold 3',
      'validation:rmse 2.9000 does not beat the production champion v7 (2.8000) by the required 0.1000',
    ],
  },
  {
    name: 'both rules fail: both reasons are given',
    evaluation: rmse,
    value: 3.5,
    champion: { version: 7, value: 2.8 },
    status: 'Rejected',
    reasons: [
      'validation:rmse 3.5000 is above the threshold 3',
      'validation:rmse 3.5000 does not beat the production champion v7 (2.8000) by the required 0.1000',
    ],
  },
  {
    name: 'no threshold configured: only the champion decides',
    evaluation: aucWithoutThreshold,
    value: 0.6,
    champion: { version: 2, value: 0.5 },
    status: 'Approved',
    reasons: [
      'no threshold is set for validation:auc',
      'validation:auc 0.6000 beats the production champion v2 (0.5000) by 0.1000 (required 0.0050)',
      'approval is automatic for this model',
    ],
  },
  {
    name: 'manual approval: a passing challenger waits for an operator',
    evaluation: { ...auc, approval: 'manual' },
    value: 0.84,
    champion: { version: 3, value: 0.82 },
    status: 'PendingApproval',
    reasons: [
      'validation:auc 0.8400 meets the threshold 0.75',
      'validation:auc 0.8400 beats the production champion v3 (0.8200) by 0.0200 (required 0.0050)',
      'approval is manual for this model: an operator must approve this version',
    ],
  },
  {
    name: 'manual approval: a failing challenger is still rejected',
    evaluation: { ...auc, approval: 'manual' },
    value: 0.7,
    status: 'Rejected',
    reasons: ['validation:auc 0.7000 is below the threshold 0.75', 'no production champion yet'],
  },
  {
    name: 'a champion without the metric cannot be compared: auto approval waits for an operator',
    evaluation: auc,
    value: 0.9,
    champion: { version: 4 },
    status: 'PendingApproval',
    reasons: [
      'validation:auc 0.9000 meets the threshold 0.75',
      'the production champion v4 has no validation:auc value to compare with',
      'approval is automatic, but without a comparable champion an operator must approve this version',
    ],
  },
];

describe('decide: challenger vs threshold and production champion', () => {
  it.each(cases)('$name', ({ evaluation, value, champion, status, reasons }) => {
    // Act
    const decision = decide({ evaluation, value, champion });

    // Assess
    expect(decision.status).toBe(status);
    expect(decision.reasons).toEqual(reasons);
    expect(decision.metric).toBe(evaluation.metric);
    expect(decision.value).toBe(value);
  });

  it('reports the champion it compared with, and none when it could not compare', () => {
    // Act
    const compared = decide({ evaluation: auc, value: 0.9, champion: { version: 3, value: 0.82 } });
    const notComparable = decide({ evaluation: auc, value: 0.9, champion: { version: 3 } });
    const first = decide({ evaluation: auc, value: 0.9 });

    // Assess
    expect(compared.champion).toEqual({ version: 3, value: 0.82 });
    expect(notComparable.champion).toBeUndefined();
    expect(first.champion).toBeUndefined();
  });
});

describe('objectiveValue', () => {
  const training = {
    metrics: [
      { MetricName: 'train:auc', Value: 0.95 },
      { MetricName: 'validation:auc', Value: 0.8123 },
    ],
  };

  it('finds the objective among the final metrics', () => {
    // Act
    const value = objectiveValue(training, 'validation:auc');

    // Assess
    expect(value).toBe(0.8123);
  });

  it('throws MetricMissing naming the metric and what was reported', () => {
    // Act
    const act = () => objectiveValue(training, 'validation:aucpr');

    // Assess
    expect(act).toThrow(PipelineError);
    expect(act).toThrow(
      'The training job reported no value for the objective metric validation:aucpr (it reported: train:auc, validation:auc)',
    );
    try {
      act();
    } catch (error) {
      expect((error as Error).name).toBe('MetricMissing');
    }
  });

  it('says "none" when the job reported no metrics at all', () => {
    // Act
    const act = () => objectiveValue({ metrics: [] }, 'validation:auc');

    // Assess
    expect(act).toThrow('(it reported: none)');
  });
});

describe('formatMetric', () => {
  it.each([
    [0.8123, '0.8123'],
    [0.82, '0.8200'],
    [0, '0.0000'],
    [1234.5, '1234.5000'],
    [0.000012345, '0.00001234'],
    [0.00009999999999998899, '0.0001'],
    [-0.5, '-0.5000'],
  ])('%s -> %s', (value, expected) => {
    // Act + Assess
    expect(formatMetric(value)).toBe(expected);
  });
});

describe('evaluateModel logging', () => {
  const run = {
    runId: 'churn-0123456789abcdef',
    model: 'churn',
    dataset: { bucket: 'data', key: 'datasets/churn/a.csv' },
    duplicate: false,
  };
  const training = (value: number) => ({
    jobName: run.runId,
    status: 'Completed',
    artifactUri: 's3://artifacts/runs/x/output/model.tar.gz',
    metrics: [{ MetricName: 'validation:auc', Value: value }],
  });
  const plan = { evaluation: auc } as unknown as TrainingRunPlan;
  const registry = { getAlias: async () => undefined, getVersion: async () => undefined };

  it.each([
    [0.5, 'Rejected', 'warn'],
    [0.9, 'Approved', 'info'],
  ] as const)('logs a challenger at %s (%s) at %s', async (value, status, level) => {
    // Prepare
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const info = vi.spyOn(logger, 'info');

    // Act
    const decision = await evaluateModel({ run, plan, training: training(value) }, { registry, logger });

    // Assess
    expect(decision.status).toBe(status);
    expect(level === 'warn' ? warn : info).toHaveBeenCalledWith(`Evaluation: ${status}`, expect.anything());
    expect(level === 'warn' ? info : warn).not.toHaveBeenCalled();
  });
});
