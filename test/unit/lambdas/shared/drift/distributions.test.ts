/**
 * The drift statistics against values computed independently: scipy's documentation examples (SciPy
 * reference guide: scipy.special.kolmogorov / kolmogi, scipy.stats.chi2_contingency,
 * scipy.spatial.distance.jensenshannon, scipy.stats.wasserstein_distance), closed forms worked by hand,
 * and brute-force definitions over merged samples.
 */
import { describe, expect, it } from 'vitest';
import {
  adjustPValues,
  CategoricalDriftCounter,
  chiSquareHomogeneity,
  chiSquareSurvival,
  jensenShannonDistance,
  kolmogorovSurvival,
  NumericDriftCounter,
  type NumericReference,
  poolSparse,
  populationStabilityIndex,
  referenceFromValues,
  UNSEEN_CATEGORY,
} from '../../../../../lambdas/shared/drift';
import { SeededRandom } from '../../../../../lambdas/shared/random';

/** A reference for `values` (bins and std from the values themselves). */
function reference(values: readonly number[]): NumericReference {
  return referenceFromValues(values);
}

function counter(ref: readonly number[], current: readonly (number | null)[]): NumericDriftCounter {
  const c = new NumericDriftCounter(reference(ref));
  for (const x of current) c.add(x);
  return c;
}

/** sup |F_a − F_b| by definition: both ECDFs evaluated at every data point. */
function bruteKs(a: readonly number[], b: readonly number[]): number {
  const ecdf = (sample: readonly number[], x: number) => sample.filter((y) => y <= x).length / sample.length;
  return Math.max(...[...a, ...b].map((x) => Math.abs(ecdf(a, x) - ecdf(b, x))));
}

/** ∫|F_a − F_b| by definition: the ECDFs are constant between consecutive merged data points. */
function bruteWasserstein(a: readonly number[], b: readonly number[]): number {
  const points = [...new Set([...a, ...b])].sort((x, y) => x - y);
  const ecdf = (sample: readonly number[], x: number) => sample.filter((y) => y <= x).length / sample.length;
  let total = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const x = points[i] as number;
    total += Math.abs(ecdf(a, x) - ecdf(b, x)) * ((points[i + 1] as number) - x);
  }
  return total;
}

function normals(random: SeededRandom, n: number, mean = 0): number[] {
  return Array.from({ length: n }, () => {
    const u = random.nextOpen();
    const v = random.next();
    return mean + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

describe('kolmogorovSurvival', () => {
  it('matches scipy.special.kolmogorov([0, 0.5, 1.0]) = [1, 0.96394524, 0.26999967]', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.96394524, 8);
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.26999967, 8);
  });

  it('inverts scipy.special.kolmogi([0.1, 0.25, 0.5, 0.75, 0.9]) on both series', () => {
    const kolmogi: [number, number][] = [
      [0.1, 1.22384787],
      [0.25, 1.01918472],
      [0.5, 0.82757356],
      [0.75, 0.67644769],
      [0.9, 0.57117327],
    ];
    for (const [p, lambda] of kolmogi) expect(kolmogorovSurvival(lambda)).toBeCloseTo(p, 7);
  });

  it('is continuous where it switches series and decreasing', () => {
    expect(kolmogorovSurvival(1 - 1e-12)).toBeCloseTo(kolmogorovSurvival(1), 10);
    let previous = 1;
    for (let x = 0.05; x < 4; x += 0.05) {
      const q = kolmogorovSurvival(x);
      expect(q).toBeLessThanOrEqual(previous);
      previous = q;
    }
    expect(kolmogorovSurvival(10)).toBeLessThan(1e-80);
  });
});

describe('chiSquareSurvival', () => {
  it('gives the textbook 5% critical values (df 1: 3.841459, df 2: 5.991465, df 10: 18.307038)', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 9);
  });

  it('gives the table value for df 100 (5% critical value 124.342, NIST/SEMATECH e-Handbook 1.3.6.7.4)', () => {
    expect(chiSquareSurvival(124.342, 100)).toBeCloseTo(0.05, 4);
  });

  it('matches the Poisson closed form for even degrees of freedom up to 2,000 (Q(k, y) = Σ_{i<k} e^{−y} yⁱ/i!)', () => {
    // Prepare: the closed form summed in log space, independent of the series and continued fraction
    const closedForm = (dof: number, x: number) => {
      const k = dof / 2;
      const y = x / 2;
      let logTerm = -y;
      let sum = Math.exp(logTerm);
      for (let i = 1; i < k; i++) {
        logTerm += Math.log(y) - Math.log(i);
        sum += Math.exp(logTerm);
      }
      return sum;
    };

    // Act + Assess: both sides of the series/continued-fraction switch, and far tails
    for (const [dof, x] of [
      [4, 1],
      [20, 10],
      [20, 40],
      [200, 220],
      [200, 150],
      [2000, 2100],
      [2000, 2400],
    ] as const) {
      const expected = closedForm(dof, x);
      expect(Math.abs(chiSquareSurvival(x, dof) - expected)).toBeLessThan(1e-12 + 1e-10 * expected);
    }
  });

  it('is e^(−x/2) for two degrees of freedom (closed form)', () => {
    expect(chiSquareSurvival(3, 2)).toBeCloseTo(Math.exp(-1.5), 14);
    expect(chiSquareSurvival(0, 2)).toBe(1);
  });
});

describe('chiSquareHomogeneity', () => {
  it("matches scipy.stats.chi2_contingency's 2×3 example: 2.7777777777777777, p 0.24935220877729619, dof 2", () => {
    const { statistic, dof } = chiSquareHomogeneity([10, 10, 20], [20, 20, 20]);
    expect(statistic).toBeCloseTo(2.7777777777777777, 12);
    expect(dof).toBe(2);
    expect(chiSquareSurvival(statistic, dof)).toBeCloseTo(0.24935220877729619, 12);
  });

  it('applies no continuity correction to a 2×2 table (hand-computed: (ad−bc)²N / row·col products)', () => {
    // [[12, 8], [5, 15]]: N (ad − bc)² / (r1 r2 c1 c2) = 40·(180 − 40)² / (20·20·17·23) = 5.012787723785166.
    const { statistic, dof } = chiSquareHomogeneity([12, 8], [5, 15]);
    expect(statistic).toBeCloseTo(5.012787723785166, 12);
    expect(dof).toBe(1);
  });

  it('leaves out categories empty on both sides', () => {
    expect(chiSquareHomogeneity([10, 0, 10, 20], [20, 0, 20, 20])).toEqual(
      chiSquareHomogeneity([10, 10, 20], [20, 20, 20]),
    );
  });
});

describe('jensenShannonDistance', () => {
  it('matches scipy.spatial.distance.jensenshannon examples', () => {
    expect(jensenShannonDistance([1, 0, 0], [0, 1, 0], 2)).toBe(1);
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(0.46450140402245893, 14);
    expect(jensenShannonDistance([1, 0, 0], [1, 0, 0])).toBe(0);
  });

  it('normalizes counts and converts bases (base 2 = natural / √ln 2)', () => {
    expect(jensenShannonDistance([200, 0], [50, 50], 2)).toBeCloseTo(
      0.46450140402245893 / Math.sqrt(Math.LN2),
      14,
    );
  });
});

describe('populationStabilityIndex', () => {
  it('is Σ(q−p)ln(q/p): shares (0.5, 0.5) → (0.25, 0.75) give ¼·ln 3 (worked by hand)', () => {
    expect(populationStabilityIndex([50, 50], [25, 75])).toBeCloseTo(0.25 * Math.log(3), 14);
    expect(populationStabilityIndex([10, 20, 30], [1, 2, 3])).toBe(0);
  });

  it('floors an empty bin at 1e-4 so it stays finite', () => {
    const psi = populationStabilityIndex([50, 50], [100, 0]);
    expect(psi).toBeCloseTo(0.5 * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 12);
  });
});

describe('NumericDriftCounter', () => {
  it('gives the exact KS statistic and its asymptotic p-value: 1..8 vs 5..12 → D 0.5, √4·0.5 = 1 → 0.26999967', () => {
    const c = counter([1, 2, 3, 4, 5, 6, 7, 8], [5, 6, 7, 8, 9, 10, 11, 12]);
    const s = c.statistics();
    expect(s.ksStatistic).toBe(0.5);
    expect(s.ksPValue).toBeCloseTo(0.26999967, 8);
  });

  it('matches scipy.stats.wasserstein_distance examples (5.0; 0.25 with weights as repeated values)', () => {
    expect(counter([0, 1, 3], [5, 6, 8]).wasserstein()).toBeCloseTo(5, 12);
    expect(counter([0, 0, 0, 1], [0, 0, 1, 1]).wasserstein()).toBeCloseTo(0.25, 12);
  });

  it('equals the brute-force KS statistic with ties, values on reference points and outside its range', () => {
    const random = new SeededRandom(11);
    for (let trial = 0; trial < 30; trial++) {
      const ref = Array.from({ length: 40 }, () => Math.floor(random.next() * 12) / 2);
      const cur = Array.from({ length: 25 }, () => Math.floor(random.next() * 16) / 2 - 1);
      expect(counter(ref, cur).ksStatistic()).toBeCloseTo(bruteKs(ref, cur), 12);
    }
  });

  it('equals the brute-force Wasserstein distance when the CDFs do not cross inside an interval', () => {
    const random = new SeededRandom(12);
    for (let trial = 0; trial < 30; trial++) {
      // Current values only on reference points or outside the range: no interval holds a crossing.
      const ref = Array.from({ length: 50 }, () => Math.floor(random.next() * 20));
      const cur = Array.from({ length: 30 }, () => Math.floor(random.next() * 30) - 5);
      expect(counter(ref, cur).wasserstein()).toBeCloseTo(bruteWasserstein(ref, cur), 12);
    }
  });

  it('stays within the documented bound of the exact Wasserstein distance for continuous data', () => {
    const random = new SeededRandom(13);
    for (let trial = 0; trial < 10; trial++) {
      const ref = normals(random, 500);
      const cur = normals(random, 300, 0.1 * trial);
      const sorted = [...ref].sort((a, b) => a - b);
      const maxGap = Math.max(...sorted.slice(1).map((x, i) => x - (sorted[i] as number)));
      const exact = bruteWasserstein(ref, cur);
      const streamed = counter(ref, cur).wasserstein();
      expect(Math.abs(streamed - exact)).toBeLessThanOrEqual(maxGap);
      expect(Math.abs(streamed - exact)).toBeLessThan(0.01 * Math.max(exact, 0.05));
    }
  });

  it('counts nulls, non-finite values and out-of-range values', () => {
    const s = counter([1, 2, 3, 4], [0, 2, 5, null, Number.NaN, Number.POSITIVE_INFINITY, 3, 3]).statistics();
    expect(s.count).toBe(5);
    expect(s.nulls).toBe(3);
    expect(s.nullRateChange).toBeCloseTo(3 / 8, 14);
    expect(s.outOfRangeRate).toBeCloseTo(2 / 5, 14);
    expect(s.binCounts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('bins current values like the baseline and clamps out-of-range values to the end bins', () => {
    const ref: NumericReference = {
      sample: [0, 1, 2, 3],
      binEdges: [0, 1, 2, 3],
      binCounts: [1, 1, 2],
      min: 0,
      max: 3,
      std: 1,
      count: 4,
      nulls: 0,
    };
    const c = new NumericDriftCounter(ref);
    for (const x of [-5, 0, 0.5, 1, 1.5, 2, 3, 9]) c.add(x);
    expect(c.binCounts()).toEqual([3, 2, 3]);
  });
});

describe('referenceFromValues (prediction baselines)', () => {
  it('sorts the values, cuts 10 quantile bins with exact counts and takes the population std', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    const ref = referenceFromValues([...values, Number.NaN]);
    expect(ref.sample).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(ref.binEdges).toEqual(
      [0, 9.9, 19.8, 29.7, 39.6, 49.5, 59.4, 69.3, 79.2, 89.1, 99].map((e) => expect.closeTo(e, 12)),
    );
    expect(ref.binCounts).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(ref).toMatchObject({ min: 0, max: 99, count: 100, nulls: 1 });
    expect(ref.std).toBeCloseTo(Math.sqrt((100 * 100 - 1) / 12), 12);
  });

  it('gives one bin for a constant column and nothing for an empty one', () => {
    expect(referenceFromValues([3, 3, 3])).toMatchObject({ binEdges: [3, 3], binCounts: [3], std: 0 });
    expect(referenceFromValues([])).toMatchObject({ sample: [], binEdges: [], binCounts: [], std: null });
  });
});

describe('CategoricalDriftCounter', () => {
  it('tests homogeneity with unseen categories pooled in one cell', () => {
    const c = new CategoricalDriftCounter({
      frequencies: [
        { value: 'a', count: 10 },
        { value: 'b', count: 10 },
        { value: 'c', count: 20 },
      ],
      nulls: 0,
    });
    const current = [
      ...Array(20).fill('a'),
      ...Array(20).fill('b'),
      ...Array(10).fill('c'),
      ...Array(10).fill('z'),
    ];
    for (const v of [...current, null]) c.add(v);
    const s = c.statistics();
    expect(s.categories).toEqual(['a', 'b', 'c', UNSEEN_CATEGORY]);
    expect(s.currentCounts).toEqual([20, 20, 10, 10]);
    expect(s.unseenRate).toBeCloseTo(10 / 60, 14);
    expect(s.nullRateChange).toBeCloseTo(1 / 61, 14);
    const expected = chiSquareHomogeneity([10, 10, 20, 0], [20, 20, 10, 10]);
    expect(s.chiSquare).toBeCloseTo(expected.statistic, 12);
    expect(s.degreesOfFreedom).toBe(3);
    // The unseen cell's smaller expected count is 10·40/100 = 4 < 5: pooled (alone).
    expect(s.pooledCategories).toBe(1);
    expect(s.chiSquarePValue).toBeCloseTo(chiSquareSurvival(expected.statistic, 3), 12);
    expect(s.jensenShannon).toBeCloseTo(jensenShannonDistance([10, 10, 20, 0], [20, 20, 10, 10], 2), 14);
  });
});

describe('poolSparse', () => {
  it('pools categories whose smaller expected count is under 5 into one last cell', () => {
    // Totals 1000 and 100: a category needs 55 values in all (55·100/1100 = 5) to stand alone.
    expect(poolSparse([500, 400, 40, 30, 30], [50, 40, 5, 2, 3])).toEqual({
      first: [500, 400, 100],
      second: [50, 40, 10],
      pooled: 3,
    });
    expect(poolSparse([10, 10, 20], [20, 20, 20])).toEqual({
      first: [10, 10, 20],
      second: [20, 20, 20],
      pooled: 0,
    });
  });
});

describe('adjustPValues', () => {
  // Worked by hand with the step-up definition of R's p.adjust documentation: sorted 0.005, 0.01, 0.03, 0.04
  // → 4p/rank = 0.02, 0.02, 0.04, 0.04, then the running minimum from the top.
  it('Benjamini–Hochberg step-up, as R p.adjust(p, "BH")', () => {
    const adjusted = adjustPValues([0.01, 0.04, 0.03, 0.005], 'benjamini-hochberg');
    for (const [i, p] of [0.02, 0.04, 0.04, 0.02].entries()) expect(adjusted[i]).toBeCloseTo(p, 14);
  });

  it('Bonferroni, capped at 1; NaN entries are neither counted nor changed', () => {
    const adjusted = adjustPValues([0.01, Number.NaN, 0.3, 0.005], 'bonferroni');
    expect(adjusted[0]).toBeCloseTo(0.03, 14);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.9, 14);
    expect(adjusted[3]).toBeCloseTo(0.015, 14);
    expect(adjustPValues([0.5, 0.6], 'bonferroni')).toEqual([1, 1]);
  });
});
