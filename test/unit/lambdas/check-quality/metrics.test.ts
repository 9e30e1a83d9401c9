import { describe, expect, it } from 'vitest';
import { judgeQuality, qualityLimit } from '../../../../lambdas/check-quality/judge';
import { outputKind, QualityAccumulator, rocAuc } from '../../../../lambdas/check-quality/metrics';

function accumulate(
  kind: ReturnType<typeof outputKind>,
  classes: string[],
  rows: [number[] | undefined, string][],
): ReturnType<QualityAccumulator['values']> {
  const acc = new QualityAccumulator(kind, classes);
  for (const [prediction, label] of rows) acc.add(prediction, label);
  return acc.values();
}

describe('QualityAccumulator against independently computed values', () => {
  it('ROC AUC: scikit-learn roc_auc_score docs example (y=[0,0,1,1], scores=[0.1,0.4,0.35,0.8]) is 0.75', () => {
    const values = accumulate(
      'probability',
      ['0', '1'],
      [
        [[0.1], '0'],
        [[0.4], '0'],
        [[0.35], '1'],
        [[0.8], '1'],
      ],
    );
    expect(values.values.auc).toBeCloseTo(0.75, 12);
  });

  it('ROC AUC counts ties as one half (Mann–Whitney with midranks)', () => {
    // One positive and one negative tied at 0.5: U = 0.5 of 1 pair; plus a clean pair in each direction.
    expect(rocAuc(Float64Array.from([0.5, 0.5]), Uint8Array.from([1, 0]))).toBe(0.5);
    expect(rocAuc(Float64Array.from([0.2, 0.5, 0.5, 0.9]), Uint8Array.from([0, 1, 0, 1]))).toBeCloseTo(
      (1 + 0.5 + 1 + 1) / 4,
      12,
    );
    expect(rocAuc(Float64Array.from([0.2, 0.3]), Uint8Array.from([1, 1]))).toBeUndefined();
  });

  it('log loss: scikit-learn log_loss docs example (spam/ham, p(spam) = .9,.1,.2,.65) is 0.21616…', () => {
    const values = accumulate(
      'probability',
      ['ham', 'spam'],
      [
        [[0.9], 'spam'],
        [[0.1], 'ham'],
        [[0.2], 'ham'],
        [[0.65], 'spam'],
      ],
    );
    expect(values.values.logloss).toBeCloseTo(0.21616187468057912, 12);
    // XGBoost's error: p > 0.5 is class 1; all four right.
    expect(values.values.error).toBe(0);
    expect(values.values.accuracy).toBe(1);
  });

  it('the same from multi:softprob columns gives mlogloss; a binary:logitraw margin reads as its logistic', () => {
    const probs = accumulate(
      'probabilities',
      ['ham', 'spam', 'eggs'],
      [
        [[0.1, 0.9, 0], 'spam'],
        [[0.9, 0.1, 0], 'ham'],
        [[0.8, 0.2, 0], 'ham'],
        [[0.35, 0.65, 0], 'spam'],
      ],
    );
    expect(probs.values.mlogloss).toBeCloseTo(0.21616187468057912, 12);
    expect(probs.values.merror).toBe(0);
    const logit = (p: number) => Math.log(p / (1 - p));
    const margins = accumulate(
      'margin',
      ['ham', 'spam'],
      [
        [[logit(0.9)], 'spam'],
        [[logit(0.1)], 'ham'],
        [[logit(0.2)], 'ham'],
        [[logit(0.65)], 'spam'],
      ],
    );
    expect(margins.values.logloss).toBeCloseTo(0.21616187468057912, 12);
    expect(margins.values.auc).toBe(1);
  });

  it('macro F1: scikit-learn f1_score docs example (y=[0,1,2,0,1,2], pred=[0,2,1,0,0,1]) is 0.2666…', () => {
    const truth = [0, 1, 2, 0, 1, 2];
    const predicted = [0, 2, 1, 0, 0, 1];
    const values = accumulate(
      'class',
      ['a', 'b', 'c'],
      truth.map((label, i) => [[predicted[i] as number], String(label)]),
    );
    expect(values.values.f1).toBeCloseTo(0.26666666666666666, 12);
    expect(values.values.merror).toBeCloseTo(4 / 6, 12);
    expect(values.values.mlogloss).toBeUndefined();
  });

  it('binary F1 of the positive class: tp=2, fp=1, fn=1 gives 2·2/(4+1+1) = 2/3', () => {
    const values = accumulate(
      'probability',
      ['no', 'yes'],
      [
        [[0.9], 'yes'],
        [[0.8], 'yes'],
        [[0.7], 'no'],
        [[0.2], 'yes'],
        [[0.1], 'no'],
      ],
    );
    expect(values.values.f1).toBeCloseTo(2 / 3, 12);
    expect(values.values.error).toBeCloseTo(2 / 5, 12);
  });

  it('regression: scikit-learn docs example (y=[3,-0.5,2,7], pred=[2.5,0,2,8]) has MSE 0.375, MAE 0.5', () => {
    const values = accumulate(
      'value',
      [],
      [
        [[2.5], '3'],
        [[0.0], '-0.5'],
        [[2], '2'],
        [[8], '7'],
      ],
    );
    expect(values.values.mse).toBeCloseTo(0.375, 12);
    expect(values.values.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(values.values.mae).toBeCloseTo(0.5, 12);
  });

  it('counts rows it cannot score: unknown labels, missing or malformed outputs', () => {
    const values = accumulate(
      'probability',
      ['no', 'yes'],
      [
        [[0.9], 'maybe'],
        [undefined, 'yes'],
        [[Number.NaN], 'yes'],
        [[1.7], 'yes'],
        [[0.9], '1'],
      ],
    );
    expect(values.rows).toBe(1);
    expect(values.skipped).toEqual({ unknownLabel: 1, badPrediction: 3 });
    const wide = accumulate('probabilities', ['a', 'b', 'c'], [[[0.5, 0.5], 'a']]);
    expect(wide.skipped.badPrediction).toBe(1);
    const regression = accumulate('value', [], [[[1], 'x']]);
    expect(regression.skipped.unknownLabel).toBe(1);
  });

  it('reads outputs per objective', () => {
    expect(outputKind('binary:logistic', 'binary')).toBe('probability');
    expect(outputKind('binary:logitraw', 'binary')).toBe('margin');
    expect(outputKind('binary:hinge', 'binary')).toBe('class');
    expect(outputKind('multi:softprob', 'multiclass')).toBe('probabilities');
    expect(outputKind('multi:softmax', 'multiclass')).toBe('class');
    expect(outputKind('reg:squarederror', 'regression')).toBe('value');
  });
});

describe('judgeQuality', () => {
  const base = {
    metric: 'validation:auc',
    higherIsBetter: true,
    rows: 500,
    baseline: 0.9,
    tolerance: 0.1,
    minRows: 200,
    alpha: 0.05,
  };

  it('is Degraded only beyond the relative tolerance, in the metric direction', () => {
    expect(qualityLimit(0.9, true, 0.1)).toBeCloseTo(0.81, 12);
    expect(qualityLimit(1200, false, 0.1)).toBeCloseTo(1320, 12);
    expect(judgeQuality({ ...base, value: 0.8 }).verdict).toBe('Degraded');
    expect(judgeQuality({ ...base, value: 0.82 }).verdict).toBe('Healthy');
    const rmse = { ...base, metric: 'validation:rmse', higherIsBetter: false, baseline: 1200 };
    expect(judgeQuality({ ...rmse, value: 1400 }).verdict).toBe('Degraded');
    expect(judgeQuality({ ...rmse, value: 1300 }).verdict).toBe('Healthy');
    const degraded = judgeQuality({ ...base, value: 0.8 });
    expect(degraded.reasons[0]).toContain('validation:auc 0.8000 over 500 labeled row(s) is worse than');
    expect(degraded.limit).toBeCloseTo(0.81, 12);
  });

  it('says InsufficientData below minRows, NoBaseline without a registered value, Unmeasurable without a value', () => {
    expect(judgeQuality({ ...base, rows: 199, value: 0.1 }).verdict).toBe('InsufficientData');
    expect(judgeQuality({ ...base, baseline: undefined, value: 0.1 }).verdict).toBe('NoBaseline');
    expect(judgeQuality({ ...base, value: undefined }).verdict).toBe('Unmeasurable');
  });
});
