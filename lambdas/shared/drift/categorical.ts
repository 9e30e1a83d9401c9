/**
 * Drift statistics of one categorical column against the baseline's category counts. Memory is bounded by
 * the baseline's categories: categories the baseline never saw are counted together as one "unseen" cell.
 */
import { chiSquareSurvival } from './distributions';

/** The label of the cell that counts categories the baseline does not have. */
export const UNSEEN_CATEGORY = '(unseen)';

/** What a categorical column is compared with. */
export interface CategoricalReference {
  readonly frequencies: readonly { readonly value: string; readonly count: number }[];
  readonly nulls: number;
}

/** The statistics of one categorical column in one window. */
export interface CategoricalDriftStatistics {
  readonly count: number;
  readonly nulls: number;
  /**
   * Pearson's chi-square of the 2×K table baseline/current × category (no continuity correction), sparse
   * categories pooled (see {@link poolSparse}).
   */
  readonly chiSquare: number;
  readonly chiSquarePValue: number;
  /** Degrees of freedom: cells (after pooling) with a count on either side, minus one. */
  readonly degreesOfFreedom: number;
  /** Categories pooled into one cell for the test and the JS distance (0: the table as it is). */
  readonly pooledCategories: number;
  /** Jensen–Shannon distance (base 2, in [0, 1]) between the baseline's and the window's pooled shares. */
  readonly jensenShannon: number;
  /** Share of the window's non-null values in categories the baseline does not have. */
  readonly unseenRate: number;
  readonly nullRateChange: number;
  /** Categories: the baseline's in its order, then {@link UNSEEN_CATEGORY} when the window has any. */
  readonly categories: readonly string[];
  readonly baselineCounts: readonly number[];
  readonly currentCounts: readonly number[];
}

/** Streams one categorical column of a window. */
export class CategoricalDriftCounter {
  private readonly index = new Map<string, number>();
  /** One cell per baseline category, then the unseen cell. */
  private readonly counts: Float64Array;
  private nullCount = 0;
  private counted = 0;

  constructor(readonly reference: CategoricalReference) {
    reference.frequencies.forEach(({ value }, i) => {
      this.index.set(value, i);
    });
    this.counts = new Float64Array(reference.frequencies.length + 1);
  }

  add(value: string | null): void {
    if (value === null) {
      this.nullCount++;
      return;
    }
    this.counted++;
    const cell = this.index.get(value) ?? this.counts.length - 1;
    this.counts[cell] = (this.counts[cell] as number) + 1;
  }

  get count(): number {
    return this.counted;
  }

  statistics(): CategoricalDriftStatistics {
    const { frequencies, nulls } = this.reference;
    const unseen = this.counts[this.counts.length - 1] as number;
    const categories = frequencies.map((f) => f.value);
    const baselineCounts = frequencies.map((f) => f.count);
    const currentCounts = Array.from(this.counts.subarray(0, frequencies.length));
    if (unseen > 0) {
      categories.push(UNSEEN_CATEGORY);
      baselineCounts.push(0);
      currentCounts.push(unseen);
    }
    const {
      first: pooledBaseline,
      second: pooledCurrent,
      pooled,
    } = poolSparse(baselineCounts, currentCounts);
    const { statistic, dof } = chiSquareHomogeneity(pooledBaseline, pooledCurrent);
    const baselineNonNull = baselineCounts.reduce((sum, c) => sum + c, 0);
    const baselineTotal = baselineNonNull + nulls;
    const currentTotal = this.counted + this.nullCount;
    return {
      count: this.counted,
      nulls: this.nullCount,
      chiSquare: statistic,
      chiSquarePValue: dof > 0 ? chiSquareSurvival(statistic, dof) : Number.NaN,
      degreesOfFreedom: dof,
      pooledCategories: pooled,
      jensenShannon: jensenShannonDistance(pooledBaseline, pooledCurrent, 2),
      unseenRate: this.counted > 0 ? unseen / this.counted : 0,
      nullRateChange:
        (currentTotal > 0 ? this.nullCount / currentTotal : 0) -
        (baselineTotal > 0 ? nulls / baselineTotal : 0),
      categories,
      baselineCounts,
      currentCounts,
    };
  }
}

/** Fewest expected counts a category needs to stand alone in the test (Cochran's rule of thumb). */
export const MIN_EXPECTED_COUNT = 5;

/**
 * Pools the categories whose smaller expected count under homogeneity (column total × smaller row total /
 * grand total) is under {@link MIN_EXPECTED_COUNT} into one cell, placed last. Pearson's statistic is too
 * liberal with sparse cells, and the JS distance of many sparse categories is mostly sampling noise: both
 * would turn a high-cardinality feature's noise into alarms. A new category that grows common is no longer
 * sparse, so it still shows.
 */
export function poolSparse(
  first: readonly number[],
  second: readonly number[],
): { first: number[]; second: number[]; pooled: number } {
  const firstTotal = first.reduce((sum, c) => sum + c, 0);
  const secondTotal = second.reduce((sum, c) => sum + c, 0);
  const smaller = Math.min(firstTotal, secondTotal);
  const total = firstTotal + secondTotal;
  const a: number[] = [];
  const b: number[] = [];
  let pooledA = 0;
  let pooledB = 0;
  let pooled = 0;
  first.forEach((x, i) => {
    const y = second[i] ?? 0;
    if (total > 0 && ((x + y) * smaller) / total < MIN_EXPECTED_COUNT) {
      pooledA += x;
      pooledB += y;
      pooled++;
    } else {
      a.push(x);
      b.push(y);
    }
  });
  if (pooled > 0) {
    a.push(pooledA);
    b.push(pooledB);
  }
  return { first: a, second: b, pooled };
}

/**
 * Pearson's chi-square test of homogeneity of two count vectors (a 2×K contingency table; expected counts
 * from the margins), as scipy.stats.chi2_contingency(correction=False) computes it. Categories with no
 * count on either side are left out; dof = (categories − 1). NaN statistic when a side is empty.
 */
export function chiSquareHomogeneity(
  first: readonly number[],
  second: readonly number[],
): { statistic: number; dof: number } {
  const firstTotal = first.reduce((sum, c) => sum + c, 0);
  const secondTotal = second.reduce((sum, c) => sum + c, 0);
  const total = firstTotal + secondTotal;
  if (firstTotal === 0 || secondTotal === 0) return { statistic: Number.NaN, dof: 0 };
  let statistic = 0;
  let categories = 0;
  first.forEach((a, i) => {
    const b = second[i] ?? 0;
    const column = a + b;
    if (column === 0) return;
    categories++;
    const expectedFirst = (firstTotal * column) / total;
    const expectedSecond = (secondTotal * column) / total;
    statistic += (a - expectedFirst) ** 2 / expectedFirst + (b - expectedSecond) ** 2 / expectedSecond;
  });
  return { statistic, dof: categories - 1 };
}

/**
 * Jensen–Shannon distance √((KL(p‖m) + KL(q‖m))/2) with m = (p + q)/2, after normalizing both vectors to
 * sum to 1; logarithms in `base` (e: as scipy.spatial.distance.jensenshannon's default; 2 bounds it by 1).
 * NaN when a side sums to 0.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[], base = Math.E): number {
  const pTotal = p.reduce((sum, c) => sum + c, 0);
  const qTotal = q.reduce((sum, c) => sum + c, 0);
  if (pTotal === 0 || qTotal === 0) return Number.NaN;
  let divergence = 0;
  p.forEach((count, i) => {
    const a = count / pTotal;
    const b = (q[i] ?? 0) / qTotal;
    const mean = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / mean);
    if (b > 0) divergence += b * Math.log(b / mean);
  });
  // Rounding can leave a tiny negative divergence for equal vectors.
  return Math.sqrt(Math.max(0, divergence / 2 / Math.log(base)));
}
