/**
 * Window verdicts: the accumulator fed as the check feeds it, on baselines the training validator builds,
 * with fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRIFT_SETTINGS,
  DriftAccumulator,
  type DriftSettings,
  driftReport,
  featureRowMapper,
  type PredictionBaseline,
  UnsupportedBaselineError,
} from '../../../../../lambdas/shared/drift';
import type { BaselineStatistics } from '../../../../../lambdas/shared/drift/baseline-statistics';
import { SeededRandom } from '../../../../../lambdas/shared/random';
import { bytesDataset } from '../../../../../lambdas/validate-dataset';
import {
  baselineFromRows,
  ReferenceRejectedError,
} from '../../../../../lambdas/validate-dataset/drift-baseline';
import { Normals, normalBaseline, normalRows } from './synthetic';

/** A mixed baseline: x, z numeric (normal), colour categorical (red 50%, green 30%, blue 20%). */
async function mixedBaseline(): Promise<BaselineStatistics> {
  const normals = new Normals(5);
  const lines = ['x,colour,z,label'];
  for (let i = 0; i < 3000; i++) {
    const colour = i % 10 < 5 ? 'red' : i % 10 < 8 ? 'green' : 'blue';
    lines.push(`${normals.next()},${colour},${normals.next()},${i % 2}`);
  }
  const { statistics } = await baselineFromRows({
    open: bytesDataset(`${lines.join('\n')}\n`),
    targetColumn: 'label',
  });
  return statistics;
}

function colours(i: number, shares: readonly [number, number, number]): string {
  const u = ((i * 7919) % 1000) / 1000;
  return u < shares[0] ? 'red' : u < shares[0] + shares[1] ? 'green' : 'blue';
}

describe('driftReport', () => {
  it('says InsufficientData below minSamples, whatever the data', async () => {
    // Prepare
    const acc = new DriftAccumulator(await mixedBaseline());
    for (let i = 0; i < 199; i++) acc.addRow([50 + i, 'purple', -50]);

    // Act
    const report = driftReport(acc, DEFAULT_DRIFT_SETTINGS);

    // Assess
    expect(report.verdict).toBe('InsufficientData');
    expect(report.reasons[0]).toBe('199 rows in the window, fewer than minSamples 200: no verdict');
    expect(report.rows).toEqual({ reference: 3000, current: 199 });
    expect(report.features.every((f) => !f.drifted)).toBe(true);
    expect(report.features[0]?.reason).toMatch(/^not tested: 199 non-null values/);
  });

  it('finds no drift in data like the baseline, and drift when most features move', async () => {
    // Prepare
    const baseline = await mixedBaseline();
    const normals = new Normals(6);
    const same = new DriftAccumulator(baseline);
    const moved = new DriftAccumulator(baseline);
    for (let i = 0; i < 1000; i++) {
      same.addRow([normals.next(), colours(i, [0.5, 0.3, 0.2]), normals.next()]);
      moved.addRow([normals.next() + 1, colours(i, [0.2, 0.3, 0.5]), normals.next()]);
    }

    // Act
    const quiet = driftReport(same, DEFAULT_DRIFT_SETTINGS);
    const loud = driftReport(moved, DEFAULT_DRIFT_SETTINGS);

    // Assess
    expect(quiet.verdict).toBe('NoDrift');
    expect(quiet.driftShare).toBe(0);
    expect(quiet.reasons).toEqual(['0 of 3 tested features drifted (0%), below driftShare 50%']);
    expect(loud.verdict).toBe('Drift');
    expect(loud.features.map((f) => f.drifted)).toEqual([true, true, false]);
    expect(loud.driftShare).toBeCloseTo(2 / 3, 14);
    expect(loud.reasons[0]).toBe('2 of 3 tested features drifted (66.7%), at least driftShare 50%');
    const [x, colour] = loud.features;
    expect(x).toMatchObject({ type: 'numeric', method: 'ks+wasserstein', threshold: 0.1 });
    expect(x?.score).toBeGreaterThan(0.9);
    expect(x?.reason).toMatch(/^adjusted p .* < alpha 0.05 and Wasserstein\/σ 1\.\d+ ≥ 0.1$/);
    expect(colour).toMatchObject({ type: 'categorical', method: 'chi-square+jensen-shannon' });
    expect(colour?.histogram).toEqual({
      categories: ['red', 'green', 'blue'],
      baseline: [1500, 900, 600],
      current: [200, 300, 500],
    });
  });

  it('makes a critical feature drift the window alone', async () => {
    // Prepare
    const baseline = await mixedBaseline();
    const normals = new Normals(7);
    const acc = new DriftAccumulator(baseline);
    for (let i = 0; i < 1000; i++)
      acc.addRow([normals.next(), colours(i, [0.5, 0.3, 0.2]), normals.next() + 0.5]);

    // Act
    const plain = driftReport(acc, DEFAULT_DRIFT_SETTINGS);
    const critical = driftReport(acc, { ...DEFAULT_DRIFT_SETTINGS, criticalFeatures: ['z'] });

    // Assess
    expect(plain.verdict).toBe('NoDrift');
    expect(plain.features[2]?.drifted).toBe(true);
    expect(critical.verdict).toBe('Drift');
    expect(critical.reasons[1]).toMatch(/^critical feature z drifted: adjusted p/);
  });

  it('keeps negligible shifts from drifting in large windows (effect size), and not real ones', async () => {
    // Prepare: one feature, 10,000-value reference, 1,000,000 rows.
    const baseline = await normalBaseline(1, 20_000, 21);
    const verdict = (shift: number) => {
      const acc = new DriftAccumulator(baseline);
      normalRows(1, 1_000_000, 22, (row) => acc.addRow(row), shift);
      return driftReport(acc, DEFAULT_DRIFT_SETTINGS);
    };

    // Act
    const tiny = verdict(0.02);
    const real = verdict(0.3);

    // Assess
    expect(tiny.verdict).toBe('NoDrift');
    expect(tiny.features[0]?.score).toBeLessThan(0.05);
    expect(real.verdict).toBe('Drift');
    expect(real.features[0]?.score).toBeGreaterThan(0.25);
  });

  it('corrects p-values by Benjamini–Hochberg or Bonferroni', async () => {
    // Prepare
    const baseline = await normalBaseline(4, 5000, 31);
    const acc = new DriftAccumulator(baseline);
    normalRows(4, 1000, 32, (row) => acc.addRow(row), 0.3, new Set([0, 1]));
    const settings = (correction: DriftSettings['correction']) => ({ ...DEFAULT_DRIFT_SETTINGS, correction });

    // Act
    const bh = driftReport(acc, settings('benjamini-hochberg'));
    const bonferroni = driftReport(acc, settings('bonferroni'));

    // Assess
    const raw = bh.features.map((f) => f.statistics.ksPValue as number);
    for (const [i, f] of bonferroni.features.entries())
      expect(f.statistics.adjustedPValue).toBeCloseTo(Math.min(1, 4 * (raw[i] as number)), 12);
    for (const [i, f] of bh.features.entries()) {
      expect(f.statistics.adjustedPValue).toBeGreaterThanOrEqual(raw[i] as number);
      expect(f.statistics.adjustedPValue).toBeLessThanOrEqual(
        bonferroni.features[i]?.statistics.adjustedPValue as number,
      );
    }
  });

  it('reports prediction drift as drift, corrected on its own', async () => {
    // Prepare
    const baseline = await normalBaseline(2, 2000, 41);
    const normals = new Normals(42);
    const predictionBaseline: PredictionBaseline = {
      formatVersion: 1,
      outputs: 1,
      reference: [Array.from({ length: 2000 }, () => 1 / (1 + Math.exp(-normals.next())))],
    };
    const acc = new DriftAccumulator(baseline, predictionBaseline);
    normalRows(2, 1000, 43, (row) => {
      acc.addRow(row);
      acc.addPrediction([1 / (1 + Math.exp(-(normals.next() + 0.8)))]);
    });

    // Act
    const report = driftReport(acc, DEFAULT_DRIFT_SETTINGS);

    // Assess
    expect(report.features.every((f) => !f.drifted)).toBe(true);
    expect(report.prediction?.[0]).toMatchObject({ name: 'prediction', drifted: true });
    expect(report.verdict).toBe('Drift');
    expect(report.reasons[1]).toMatch(/^prediction drift in prediction: adjusted p/);
  });

  it('writes JSON without NaN (statistics that do not apply are absent); a feature gone null drifts', async () => {
    // Prepare: a constant feature (std 0 → KS D as the effect size) and an all-null window of another.
    const lines = ['c,x,label'];
    for (let i = 0; i < 500; i++) lines.push(`7,${i},${i % 2}`);
    const { statistics } = await baselineFromRows({
      open: bytesDataset(`${lines.join('\n')}\n`),
      targetColumn: 'label',
    });
    const acc = new DriftAccumulator(statistics);
    for (let i = 0; i < 300; i++) acc.addRow([8, null]);

    // Act
    const report = driftReport(acc, DEFAULT_DRIFT_SETTINGS);

    // Assess
    const [c, x] = report.features;
    expect(c).toMatchObject({ method: 'ks', drifted: true, score: 1, threshold: 0.1 });
    expect(c?.statistics.outOfRangeRate).toBe(1);
    expect(x).toMatchObject({ method: 'ks+wasserstein', drifted: true });
    expect(x?.statistics.ksStatistic).toBeUndefined();
    expect(x?.statistics.psi).toBeUndefined();
    expect(x?.statistics.nullRateChange).toBe(1);
    expect(x?.reason).toMatch(
      /^not tested: 0 non-null values in the window, fewer than minSamples 200; null rate changed by \+100 points \(adjusted p .* < alpha 0.05\)$/,
    );
    expect(report.reasons[0]).toBe('2 of 2 tested features drifted (100%), at least driftShare 50%');
    expect(JSON.stringify(report)).not.toMatch(/NaN|:null/);
  });
});

describe('DriftAccumulator', () => {
  it('refuses a formatVersion 1 baseline with a message to retrain', async () => {
    const baseline = await normalBaseline(1, 100, 1);
    const v1 = { ...baseline, formatVersion: 1 } as unknown as BaselineStatistics;
    expect(() => new DriftAccumulator(v1)).toThrow(UnsupportedBaselineError);
    expect(() => new DriftAccumulator(v1)).toThrow(/formatVersion 1 has no reference samples.*retrain/);
  });

  it('parses numeric text, counts text that is not a number as null, and skips rows of the wrong width', async () => {
    const acc = new DriftAccumulator(await mixedBaseline());
    acc.addRow(['1.5', 'red', 'abc']);
    acc.addRow([1, 2]);
    acc.addRow([2, 3, 4]);
    expect(acc.rows).toBe(2);
    expect(acc.malformedRows).toBe(1);
    const report = driftReport(acc, { ...DEFAULT_DRIFT_SETTINGS, minSamples: 1 });
    expect(report.features[0]?.statistics).toMatchObject({ count: 2, nulls: 0 });
    expect(report.features[1]?.histogram).toMatchObject({ categories: ['red', 'green', 'blue', '(unseen)'] });
    expect(report.features[2]?.statistics).toMatchObject({ count: 1, nulls: 1 });
  });
});

describe('baselineFromRows', () => {
  it('builds what training builds and maps CSV records to the features', async () => {
    const csv = 'label,b,a\n1,x,0.5\n0,y,1.5\n1,x,\n0,y,2.5\n1,x,3\n0,y,4\n1,x,5\n0,y,6\n1,x,7\n0,y,8\n';
    const { statistics, encoding } = await baselineFromRows({
      open: bytesDataset(csv),
      targetColumn: 'label',
    });
    expect(statistics.formatVersion).toBe(2);
    expect(encoding.features.map((f) => f.name)).toEqual(['b', 'a']);
    const [b, a] = statistics.features;
    expect(b?.type).toBe('categorical');
    expect(a?.type === 'numeric' && a.reference).toEqual([0.5, 1.5, 2.5, 3, 4, 5, 6, 7, 8]);
    const map = featureRowMapper(statistics, ['a', 'b', 'extra']);
    expect(map(['1.25', 'x', 'ignored'])).toEqual(['x', '1.25']);
    expect(map(['', 'y'])).toEqual(['y', null]);
    expect(() => featureRowMapper(statistics, ['a'])).toThrow('the header has no column "b"');
  });

  it('throws ReferenceRejectedError with the report for data training would reject', async () => {
    const attempt = baselineFromRows({ open: bytesDataset('a,label\n1,0\n'), targetColumn: 'label' });
    await expect(attempt).rejects.toBeInstanceOf(ReferenceRejectedError);
  });
});

describe('null-rate test', () => {
  it('flags a significant null-rate change of at least 10 points, not a small or insignificant one', async () => {
    // Prepare: x has 5% nulls in the baseline.
    const normals = new Normals(51);
    const lines = ['x,label'];
    for (let i = 0; i < 4000; i++) lines.push(`${i % 20 === 0 ? '' : normals.next()},${i % 2}`);
    const { statistics } = await baselineFromRows({
      open: bytesDataset(`${lines.join('\n')}\n`),
      targetColumn: 'label',
    });
    const window = (nullEvery: number) => {
      const acc = new DriftAccumulator(statistics);
      for (let i = 0; i < 1000; i++) acc.addRow([i % nullEvery === 0 ? null : normals.next()]);
      return driftReport(acc, DEFAULT_DRIFT_SETTINGS).features[0];
    };

    // Act
    const same = window(20);
    const slightly = window(12);
    const many = window(4);

    // Assess
    expect(same?.drifted).toBe(false);
    expect(same?.statistics.nullRatePValue).toBeGreaterThan(0.05);
    expect(slightly?.drifted).toBe(false);
    expect(slightly?.statistics.adjustedNullRatePValue).toBeLessThan(0.05);
    expect(many?.drifted).toBe(true);
    expect(many?.statistics.nullRateChange).toBeCloseTo(0.25 - 0.05, 12);
    expect(many?.reason).toMatch(/; null rate changed by \+20 points \(adjusted p .* < alpha 0.05\)$/);
  });
});

describe('high-cardinality categorical features', () => {
  async function baseline(categories: number, seed: number) {
    const random = new SeededRandom(seed);
    const pick = () => `c${Math.floor(categories * random.next() ** 2)}`;
    const lines = ['c,label'];
    for (let i = 0; i < 5000; i++) lines.push(`${pick()},${i % 2}`);
    const { statistics } = await baselineFromRows({
      open: bytesDataset(`${lines.join('\n')}\n`),
      targetColumn: 'label',
    });
    return { statistics, pick };
  }

  it('stay quiet on noise (sparse categories pooled) and drift when a new category grows common', async () => {
    // Prepare
    let flagged = 0;
    let newCategory = 0;
    const trials = 20;

    // Act
    for (let trial = 0; trial < trials; trial++) {
      const { statistics, pick } = await baseline(1000, 900 + trial);
      const stable = new DriftAccumulator(statistics);
      const shifted = new DriftAccumulator(statistics);
      for (let i = 0; i < 1000; i++) {
        stable.addRow([pick()]);
        shifted.addRow([i % 5 === 0 ? 'brand-new' : pick()]);
      }
      if (driftReport(stable, DEFAULT_DRIFT_SETTINGS).features[0]?.drifted) flagged++;
      if (driftReport(shifted, DEFAULT_DRIFT_SETTINGS).features[0]?.drifted) newCategory++;
    }

    // Assess
    expect(flagged).toBeLessThanOrEqual(1);
    expect(newCategory).toBe(trials);
  });
});
