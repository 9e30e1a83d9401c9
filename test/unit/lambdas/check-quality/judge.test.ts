/**
 * The quality verdict's noise guard, as statistical properties with fixed seeds (deterministic): a model as good
 * as registered is rarely called Degraded, a real loss nearly always, and the standard errors the test uses match
 * the spread of the metric over repeated windows.
 */
import { describe, expect, it } from 'vitest';
import { judgeQuality, oneSidedPValue } from '../../../../lambdas/check-quality/judge';
import { QualityAccumulator } from '../../../../lambdas/check-quality/metrics';

/** mulberry32: a small seeded PRNG (public domain), uniform in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller. */
function normal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A window of a binary classifier answering probabilities: `errorRate` of its answers on the wrong side of 0.5. */
function errorWindow(uniform: () => number, rows: number, errorRate: number): QualityAccumulator {
  const acc = new QualityAccumulator('probability', ['no', 'yes']);
  for (let i = 0; i < rows; i++) {
    const truth = uniform() < 0.5 ? 1 : 0;
    const wrong = uniform() < errorRate;
    const p = (truth === 1) !== wrong ? 0.9 : 0.1;
    acc.add([p], String(truth));
  }
  return acc;
}

/** A binormal window (positives' scores ~ N(d, 1), negatives' ~ N(0, 1)): its AUC is Φ(d/√2). */
function aucWindow(gauss: () => number, uniform: () => number, rows: number, d: number): QualityAccumulator {
  const acc = new QualityAccumulator('margin', ['no', 'yes']);
  for (let i = 0; i < rows; i++) {
    const truth = uniform() < 0.3 ? 1 : 0;
    acc.add([gauss() + (truth === 1 ? d : 0)], String(truth));
  }
  return acc;
}

const TRIALS = 1000;

function judge(acc: QualityAccumulator, metric: 'error' | 'auc', baseline: number, tolerance: number) {
  const values = acc.values();
  return judgeQuality({
    metric: `validation:${metric}`,
    higherIsBetter: metric === 'auc',
    value: values.values[metric],
    rows: values.rows,
    baseline,
    tolerance,
    minRows: 200,
    alpha: 0.05,
    standardError: acc.standardError(metric, baseline),
    continuityCorrection: acc.continuityCorrection(metric),
  });
}

describe('the quality test', () => {
  it('one-sided p-values of the standard normal (tables: z = 1.6449 → 0.05, 1.96 → 0.025, 0 → 0.5)', () => {
    expect(oneSidedPValue(1.6448536269514722, 1)).toBeCloseTo(0.05, 10);
    expect(oneSidedPValue(1.959963984540054 * 2, 2)).toBeCloseTo(0.025, 10);
    expect(oneSidedPValue(0, 1)).toBe(0.5);
    expect(oneSidedPValue(-1.6448536269514722, 1)).toBeCloseTo(0.95, 10);
    expect(oneSidedPValue(0.01, 0)).toBe(0);
  });

  it('error rate: as good as registered (0.10) at 200 rows is Degraded in ≤ 5% of windows; the tolerance alone would flag ~30%', () => {
    const uniform = random(1);
    let degraded = 0;
    let pastLimit = 0;
    for (let t = 0; t < TRIALS; t++) {
      const verdict = judge(errorWindow(uniform, 200, 0.1), 'error', 0.1, 0.1);
      if (verdict.verdict === 'Degraded') degraded++;
      if (verdict.verdict !== 'Healthy') pastLimit++;
    }
    expect(degraded / TRIALS).toBeLessThanOrEqual(0.05);
    expect(pastLimit / TRIALS).toBeGreaterThan(0.2);
  });

  it('error rate: a real loss (0.10 → 0.20) at 200 rows is Degraded in ≥ 95% of windows (0.18: 93%)', () => {
    const uniform = random(2);
    let degraded = 0;
    for (let t = 0; t < TRIALS; t++) {
      if (judge(errorWindow(uniform, 200, 0.2), 'error', 0.1, 0.1).verdict === 'Degraded') degraded++;
    }
    expect(degraded / TRIALS).toBeGreaterThanOrEqual(0.95);
  });

  it('AUC: as good as registered (0.85) is Degraded in ≤ 5% of 300-row windows, a drop to 0.70 in ≥ 95%', () => {
    const uniform = random(3);
    const gauss = normal(uniform);
    // AUC = Φ(d/√2): d = √2·Φ⁻¹(0.85) = √2·1.0364334 and √2·Φ⁻¹(0.70) = √2·0.5244005.
    const same = Math.SQRT2 * 1.0364333894937898;
    const worse = Math.SQRT2 * 0.5244005127080407;
    let falseAlarms = 0;
    let detected = 0;
    for (let t = 0; t < TRIALS; t++) {
      if (judge(aucWindow(gauss, uniform, 300, same), 'auc', 0.85, 0.05).verdict === 'Degraded')
        falseAlarms++;
      if (judge(aucWindow(gauss, uniform, 300, worse), 'auc', 0.85, 0.05).verdict === 'Degraded') detected++;
    }
    expect(falseAlarms / TRIALS).toBeLessThanOrEqual(0.05);
    expect(detected / TRIALS).toBeGreaterThanOrEqual(0.95);
  });

  it("Hanley–McNeil's standard error is close to the spread of AUC over repeated windows, on the safe side", () => {
    const uniform = random(4);
    const gauss = normal(uniform);
    const d = Math.SQRT2 * 1.0364333894937898;
    const aucs: number[] = [];
    let predicted = 0;
    for (let t = 0; t < TRIALS; t++) {
      const acc = aucWindow(gauss, uniform, 300, d);
      aucs.push(acc.values().values.auc as number);
      predicted += (acc.standardError('auc', 0.85) as number) / TRIALS;
    }
    const mean = aucs.reduce((sum, a) => sum + a, 0) / TRIALS;
    const sd = Math.sqrt(aucs.reduce((sum, a) => sum + (a - mean) ** 2, 0) / (TRIALS - 1));
    expect(mean).toBeCloseTo(0.85, 1);
    // Their formula approximates the score distributions by exponentials; for binormal scores it overstates
    // the spread a little (fewer false alarms, slightly less power), never understates it.
    expect(predicted / sd).toBeGreaterThanOrEqual(1);
    expect(predicted / sd).toBeLessThan(1.25);
  });

  it('mean losses: the standard error of log loss, MAE and RMSE is s/√n (delta method for RMSE)', () => {
    const acc = new QualityAccumulator('value', []);
    const residuals = [1, -1, 2, -2, 3];
    for (const r of residuals) acc.add([r], '0');
    const n = residuals.length;
    const abs = residuals.map(Math.abs);
    const meanAbs = abs.reduce((s, v) => s + v, 0) / n;
    const sdAbs = Math.sqrt(abs.reduce((s, v) => s + (v - meanAbs) ** 2, 0) / (n - 1));
    expect(acc.standardError('mae', 0)).toBeCloseTo(sdAbs / Math.sqrt(n), 12);
    const sq = residuals.map((r) => r * r);
    const mse = sq.reduce((s, v) => s + v, 0) / n;
    const sdSq = Math.sqrt(sq.reduce((s, v) => s + (v - mse) ** 2, 0) / (n - 1));
    expect(acc.standardError('mse', 0)).toBeCloseTo(sdSq / Math.sqrt(n), 12);
    expect(acc.standardError('rmse', 0)).toBeCloseTo(sdSq / Math.sqrt(n) / (2 * Math.sqrt(mse)), 12);
    expect(acc.standardError('f1', 0)).toBeUndefined();
  });

  it('a worse value without a standard error (F1) is judged on the tolerance alone, and says so', () => {
    const verdict = judgeQuality({
      metric: 'validation:f1',
      higherIsBetter: true,
      value: 0.5,
      rows: 300,
      baseline: 0.8,
      tolerance: 0.1,
      minRows: 200,
      alpha: 0.05,
      standardError: undefined,
    });
    expect(verdict.verdict).toBe('Degraded');
    expect(verdict.reasons[1]).toBe(
      'no standard error is known for validation:f1: the tolerance alone decides',
    );
  });
});
