import { describe, expect, it } from 'vitest';
import {
  accuracy,
  auc,
  aucpr,
  binaryError,
  f1,
  findMetric,
  formatMetricValue,
  logloss,
  mae,
  merror,
  metricApplies,
  mlogloss,
  mse,
  r2,
  rmse,
} from '../../../../../local/trainers/xgboost/metrics';

const f64 = (values: number[]) => Float64Array.from(values);

describe('auc', () => {
  it('is the share of positive/negative pairs ranked right', () => {
    // Act
    const value = auc([0, 0, 1, 1], f64([0.1, 0.4, 0.35, 0.8]));

    // Assess: 3 of the 4 pairs are ordered right
    expect(value).toBeCloseTo(0.75, 12);
  });

  it('counts a tied pair as half right', () => {
    // Prepare: positives 0.9 and 0.5, negatives 0.5 and 0.5: 2 wins and 2 ties of 4 pairs
    const labels = [0, 1, 0, 1];
    const scores = f64([0.5, 0.5, 0.5, 0.9]);

    // Act
    const value = auc(labels, scores);

    // Assess
    expect(value).toBeCloseTo(0.75, 12);
  });

  it('weighs a fractional label as XGBoost does: y positive and 1 - y negative', () => {
    // Prepare: descending groups 0.9 (tp 1), 0.5 (tp 0.5, fp 0.5), 0.1 (fp 1): trapezoids 0, 0.625, 1.5
    // over 1.5 x 1.5
    const labels = [0.5, 1, 0];
    const scores = f64([0.5, 0.9, 0.1]);

    // Act
    const value = auc(labels, scores);

    // Assess
    expect(value).toBeCloseTo(2.125 / 2.25, 12);
  });

  it('is NaN for a single class or no rows, as XGBoost reports it', () => {
    // Act & Assess
    expect(auc([1, 1, 1], f64([0.2, 0.5, 0.9]))).toBeNaN();
    expect(auc([0, 0], f64([0.2, 0.5]))).toBeNaN();
    expect(auc([], f64([]))).toBeNaN();
  });
});

describe('aucpr', () => {
  it("interpolates between operating points as XGBoost's PR-AUC does", () => {
    // Prepare: P N P N by descending score; from recall 1/2 to 1 precision rises from 1/2 to 2/3 along
    // tp / (tp + 1), whose integral is 1/2 - ln(1.5)/2
    const labels = [1, 0, 1, 0];
    const scores = f64([0.9, 0.8, 0.7, 0.6]);

    // Act
    const value = aucpr(labels, scores);

    // Assess
    expect(value).toBeCloseTo(0.5 + 0.5 - 0.5 * Math.log(1.5), 12);
  });

  it('is 1 for a perfect ranking and the prevalence when every score ties', () => {
    // Act & Assess
    expect(aucpr([1, 1, 0, 0], f64([0.9, 0.8, 0.2, 0.1]))).toBeCloseTo(1, 12);
    expect(aucpr([1, 0, 0, 0], f64([0.5, 0.5, 0.5, 0.5]))).toBeCloseTo(0.25, 12);
  });

  it('is NaN for a single class', () => {
    // Act & Assess
    expect(aucpr([0, 0, 0], f64([0.1, 0.2, 0.3]))).toBeNaN();
  });
});

describe('binary metrics', () => {
  it('logloss is the mean negative log-likelihood, probabilities clipped', () => {
    // Act
    const value = logloss([1, 0], f64([0.8, 0.3]));
    const clipped = logloss([0], f64([1]));

    // Assess
    expect(value).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expect(clipped).toBeGreaterThan(30);
    expect(Number.isFinite(clipped)).toBe(true);
  });

  it('error predicts positive above the threshold (0.5 itself is negative)', () => {
    // Prepare
    const labels = [1, 0, 1, 0];
    const probabilities = f64([0.6, 0.4, 0.5, 0.7]);

    // Act & Assess
    expect(binaryError(labels, probabilities)).toBe(0.5);
    expect(binaryError(labels, probabilities, 0.65)).toBe(0.75);
  });

  it('accuracy is the share of rows predicted right', () => {
    // Act & Assess
    expect(accuracy([1, 0, 1, 0], f64([0.6, 0.4, 0.5, 0.7]), 1)).toBe(0.5);
  });

  it('f1 is macro-averaged over both classes, as the SageMaker container computes it', () => {
    // Prepare: predicted [1, 1, 0, 0]; class 1: tp 2, fn 1 -> 0.8; class 0: tp 1, fp 1 -> 2/3
    const labels = [1, 1, 1, 0];
    const probabilities = f64([0.9, 0.8, 0.2, 0.1]);

    // Act
    const value = f1(labels, probabilities, 1);

    // Assess
    expect(value).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });
});

describe('multi-class metrics', () => {
  const probabilities = f64([0.7, 0.2, 0.1, 0.2, 0.2, 0.6, 0.5, 0.4, 0.1]);

  it('mlogloss is the mean negative log-probability of the true class', () => {
    // Act
    const value = mlogloss([0, 2], probabilities.subarray(0, 6), 3);

    // Assess
    expect(value).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6)) / 2, 12);
  });

  it('merror and accuracy take the most probable class, the first one on ties', () => {
    // Act
    const error = merror([0, 2, 1], probabilities, 3);
    const tie = merror([0], f64([0.4, 0.4, 0.2]), 3);

    // Assess
    expect(error).toBeCloseTo(1 / 3, 12);
    expect(accuracy([0, 2, 1], probabilities, 3)).toBeCloseTo(2 / 3, 12);
    expect(tie).toBe(0);
  });

  it('f1 averages over the classes seen as labels or predictions', () => {
    // Prepare: predicted [0, 2, 2, 2] for labels [0, 1, 2, 2]: 1, 0 and 0.8 per class
    const predictions = f64([1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1]);

    // Act
    const value = f1([0, 1, 2, 2], predictions, 3);
    const onlyPredicted = f1([0, 0], f64([1, 0, 0, 1]), 2);

    // Assess
    expect(value).toBeCloseTo(0.6, 12);
    expect(onlyPredicted).toBeCloseTo(1 / 3, 12);
  });
});

describe('regression metrics', () => {
  it('rmse, mse, mae and r2 of a hand-computed case', () => {
    // Prepare: residuals 0, 0, 2; labels' mean 2, total sum of squares 2
    const labels = [1, 2, 3];
    const predictions = f64([1, 2, 5]);

    // Act & Assess
    expect(mse(labels, predictions)).toBeCloseTo(4 / 3, 12);
    expect(rmse(labels, predictions)).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(mae(labels, predictions)).toBeCloseTo(2 / 3, 12);
    expect(r2(labels, predictions)).toBeCloseTo(-1, 12);
  });

  it('r2 of constant labels is 1 when predicted exactly, else 0 (scikit-learn)', () => {
    // Act & Assess
    expect(r2([2, 2], f64([2, 2]))).toBe(1);
    expect(r2([2, 2], f64([2, 3]))).toBe(0);
  });

  it('every metric is NaN without rows', () => {
    // Act & Assess
    expect(rmse([], f64([]))).toBeNaN();
    expect(r2([], f64([]))).toBeNaN();
    expect(f1([], f64([]), 1)).toBeNaN();
  });
});

describe('metric names', () => {
  it('finds metrics by their XGBoost names, with their direction', () => {
    // Act
    const found = [
      'auc',
      'aucpr',
      'logloss',
      'error',
      'mlogloss',
      'merror',
      'rmse',
      'mae',
      'mse',
      'r2',
      'accuracy',
      'f1',
    ].map((name) => findMetric(name));

    // Assess
    expect(found.every(Boolean)).toBe(true);
    expect(findMetric('auc')?.maximize).toBe(true);
    expect(findMetric('rmse')?.maximize).toBe(false);
  });

  it('reads error@t as the error rate at threshold t', () => {
    // Act
    const metric = findMetric('error@0.65');

    // Assess
    expect(metric?.evaluate([1, 0, 1, 0], f64([0.6, 0.4, 0.5, 0.7]), 1)).toBe(0.75);
    expect(findMetric('error@high')).toBeUndefined();
  });

  it('knows no other names, including inherited object keys and "rsquared"', () => {
    // Act & Assess
    expect(findMetric('toString')).toBeUndefined();
    expect(findMetric('rsquared')).toBeUndefined();
  });

  it('applies metrics to the objectives they make sense for', () => {
    // Act & Assess
    expect(metricApplies('binary', 'binary:logistic')).toBe(true);
    expect(metricApplies('binary', 'multi:softprob')).toBe(false);
    expect(metricApplies('classification', 'multi:softmax')).toBe(true);
    expect(metricApplies('single-output', 'reg:squarederror')).toBe(true);
    expect(metricApplies('single-output', 'multi:softprob')).toBe(false);
  });

  it('formats values like XGBoost: five decimals, nan and inf', () => {
    // Act & Assess
    expect(formatMetricValue(0.123456789)).toBe('0.12346');
    expect(formatMetricValue(1)).toBe('1.00000');
    expect(formatMetricValue(Number.NaN)).toBe('nan');
    expect(formatMetricValue(Number.POSITIVE_INFINITY)).toBe('inf');
  });
});
