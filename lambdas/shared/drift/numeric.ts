/**
 * Drift statistics of one numeric column against its baseline, streamed value by value in memory bounded by
 * the reference sample (not by the window): each current value is counted in the interval between the
 * sorted distinct reference values it falls in (or on the value itself). Both empirical CDFs are step
 * functions that only change at data points, so these counts give the exact two-sample KS statistic, and,
 * with the sum of each interval's offsets, the Wasserstein distance (exact but in intervals where the
 * CDFs cross; see {@link NumericDriftCounter.wasserstein}).
 */
import { kolmogorovSurvival } from './distributions';

/** What a numeric column is compared with: the training data's (or the validation predictions') summary. */
export interface NumericReference {
  /** Reference sample, sorted ascending, non-null and finite. */
  readonly sample: readonly number[];
  /** PSI bins: increasing edges, bin i is [edges[i], edges[i+1]), the last one closed. */
  readonly binEdges: readonly number[];
  /** The reference's count per bin (over the whole baseline, not only the sample). */
  readonly binCounts: readonly number[];
  readonly min: number | null;
  readonly max: number | null;
  /** Population standard deviation of the baseline; normalizes the Wasserstein distance. */
  readonly std: number | null;
  /** Non-null values and nulls in the whole baseline. */
  readonly count: number;
  readonly nulls: number;
}

/** Values buffered per column and counted together, so the column's tables stay in the CPU cache. */
const BLOCK = 16384;

/** Cells of a column's lookup grid per point (capped): most cells then hold at most one or two points. */
const GRID_CELLS_PER_POINT = 2;
const MAX_GRID_CELLS = 65_536;

/** Share given to an empty bin in PSI, so the logarithm stays finite (a usual convention). */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/** The statistics of one numeric column in one window. */
export interface NumericDriftStatistics {
  /** Non-null finite values counted, and nulls (null, NaN, ±Infinity). */
  readonly count: number;
  readonly nulls: number;
  /** sup |F_ref − F_cur| over the reference sample and the window; NaN without values on either side. */
  readonly ksStatistic: number;
  /** Two-sided asymptotic p-value: Q_KS(√(nm/(n+m))·D). */
  readonly ksPValue: number;
  /** Wasserstein-1 distance between the reference sample and the window, in the column's units. */
  readonly wasserstein: number;
  /** Wasserstein distance / baseline std; NaN when the std is 0 or unknown. */
  readonly normalizedWasserstein: number;
  /** Population stability index on the baseline bins. */
  readonly psi: number;
  /** Current null rate minus the baseline's. */
  readonly nullRateChange: number;
  /** Share of the current non-null values outside the baseline's [min, max]. */
  readonly outOfRangeRate: number;
  /** Current counts per baseline bin (values outside the range counted in the first/last bin). */
  readonly binCounts: readonly number[];
}

/**
 * Streams one numeric column of a window; see the module comment.
 *
 * The points are the distinct reference values plus the PSI bin edges, so every interval between two
 * points lies in one bin and the bin counts follow from the interval counts. Values are buffered and
 * counted a block at a time: a window with many columns would otherwise touch every column's tables
 * (about 400 KB each at 10,000 points) for every row, far more than the CPU caches hold.
 */
export class NumericDriftCounter {
  /** Points, ascending: distinct reference values and bin edges. */
  private readonly points: Float64Array;
  /** Reference values ≤ points[j]. */
  private readonly cumulative: Float64Array;
  /**
   * Per point j, three cells: current values equal to points[j]; current values in (points[j],
   * points[j+1]) (the last: above it); the sum of those values' distances to points[j].
   */
  private readonly cells: Float64Array;
  /** Current values below points[0], and the sum of their distances to it. */
  private below = 0;
  private belowOffsets = 0;
  /** Grid over [points[0], points[k−1]]: cell c holds the largest j with points[j] ≤ the cell's start. */
  private readonly grid: Int32Array;
  private readonly origin: number;
  private readonly scale: number;
  private readonly edges: readonly number[];
  private readonly low: number;
  private readonly high: number;
  private readonly block = new Float64Array(BLOCK);
  private blockLength = 0;
  private counted = 0;
  private nullCount = 0;
  private outside = 0;

  constructor(readonly reference: NumericReference) {
    const sample = reference.sample;
    const points = Float64Array.from(
      new Set([...sample, ...reference.binEdges.filter((e) => Number.isFinite(e))]),
    ).sort();
    const cumulative = new Float64Array(points.length);
    let i = 0;
    points.forEach((point, j) => {
      while (i < sample.length && (sample[i] as number) <= point) i++;
      cumulative[j] = i;
    });
    this.points = points;
    this.cumulative = cumulative;
    this.cells = new Float64Array(3 * points.length);
    this.edges = reference.binEdges;
    this.low = reference.min ?? Number.POSITIVE_INFINITY;
    this.high = reference.max ?? Number.NEGATIVE_INFINITY;
    const k = points.length;
    const first = points[0] ?? 0;
    const last = points[k - 1] ?? 0;
    const gridCells = Math.min(GRID_CELLS_PER_POINT * k, MAX_GRID_CELLS);
    this.origin = first;
    this.scale = last > first ? gridCells / (last - first) : 0;
    this.grid = new Int32Array(this.scale > 0 ? gridCells + 1 : 0);
    let j = 0;
    for (let cell = 0; cell < this.grid.length; cell++) {
      const start = first + cell / this.scale;
      while (j + 1 < k && (points[j + 1] as number) <= start) j++;
      this.grid[cell] = j;
    }
  }

  /** Counts one value; null and non-finite numbers count as nulls. */
  add(x: number | null): void {
    this.block[this.blockLength++] = x === null ? Number.NaN : x;
    if (this.blockLength === BLOCK) this.flush();
  }

  /** Counts the buffered values. */
  private flush(): void {
    const n = this.blockLength;
    if (n === 0) return;
    this.blockLength = 0;
    const block = this.block;
    const points = this.points;
    const cells = this.cells;
    const grid = this.grid;
    const k = points.length;
    const first = points[0] as number;
    const last = points[k - 1] as number;
    const lastCell = grid.length - 1;
    const origin = this.origin;
    const scale = this.scale;
    const low = this.low;
    const high = this.high;
    // Locals, written back once: field updates in the loop would cost a store each.
    let nulls = 0;
    let outside = 0;
    let below = 0;
    let belowOffsets = 0;
    for (let b = 0; b < n; b++) {
      const x = block[b] as number;
      // x − x is NaN for NaN and ±Infinity: one test for "not finite".
      if (x - x !== 0) {
        nulls++;
        continue;
      }
      if (x < low || x > high) outside++;
      if (k === 0) continue;
      if (x < first) {
        below++;
        belowOffsets += first - x;
        continue;
      }
      // Largest j with points[j] ≤ x: a binary search among the points of x's grid cell.
      let lo = 0;
      let hi = k;
      if (x >= last) lo = k - 1;
      else {
        const cell = ((x - origin) * scale) | 0;
        if (cell >= 0 && cell < lastCell) {
          lo = grid[cell] as number;
          hi = (grid[cell + 1] as number) + 1;
          // Rounding may put x a hair outside its cell: search the whole range then.
          if ((points[lo] as number) > x) lo = 0;
          if (hi < k && (points[hi] as number) <= x) hi = k;
        }
      }
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if ((points[mid] as number) <= x) lo = mid;
        else hi = mid;
      }
      const left = points[lo] as number;
      const at = 3 * lo;
      if (left === x) cells[at] = (cells[at] as number) + 1;
      else {
        cells[at + 1] = (cells[at + 1] as number) + 1;
        cells[at + 2] = (cells[at + 2] as number) + (x - left);
      }
    }
    this.nullCount += nulls;
    this.counted += n - nulls;
    this.outside += outside;
    this.below += below;
    this.belowOffsets += belowOffsets;
  }

  /** Non-null values counted. */
  get count(): number {
    this.flush();
    return this.counted;
  }

  /** The exact two-sample KS statistic sup_x |F_ref(x) − F_cur(x)|. */
  ksStatistic(): number {
    this.flush();
    const m = this.reference.sample.length;
    const n = this.counted;
    if (m === 0 || n === 0) return Number.NaN;
    const cells = this.cells;
    // Below the first point F_ref = 0 and F_cur rises to below/n.
    let current = this.below;
    let d = current / n;
    for (let j = 0; j < this.points.length; j++) {
      const ref = (this.cumulative[j] as number) / m;
      // At points[j], then at the right end of the open interval after it (F_ref is constant in between).
      current += cells[3 * j] as number;
      d = Math.max(d, Math.abs(ref - current / n));
      current += cells[3 * j + 1] as number;
      d = Math.max(d, Math.abs(ref - current / n));
    }
    return d;
  }

  /**
   * W₁ = ∫|F_ref − F_cur| dx. Below the first and above the last point, and in every interval where F_cur
   * stays on one side of F_ref, the integral follows exactly from the interval's count and its values'
   * summed offsets. Where F_cur crosses F_ref inside an interval, its values are taken to sit at one point
   * (a step keeping the interval's integral); the error is then at most the interval's length × its share
   * of the window, so at most the largest gap × the share of values in crossing intervals.
   */
  wasserstein(): number {
    this.flush();
    const m = this.reference.sample.length;
    const n = this.counted;
    if (m === 0 || n === 0) return Number.NaN;
    const points = this.points;
    const cells = this.cells;
    const k = points.length;
    let total = this.belowOffsets / n;
    let below = this.below / n;
    for (let j = 0; j < k; j++) {
      below += (cells[3 * j] as number) / n;
      const ref = (this.cumulative[j] as number) / m;
      const count = (cells[3 * j + 1] as number) / n;
      const offset = (cells[3 * j + 2] as number) / n;
      if (j === k - 1) {
        // Above the last point F_ref = 1: ∫(1 − F_cur) = Σ(y − points[k−1]) / n.
        total += offset;
        break;
      }
      const length = (points[j + 1] as number) - (points[j] as number);
      // ∫ F_cur over the interval = below·L + Σ(right end − y)/n = below·L + count·L − offset.
      const integral = below * length + count * length - offset;
      const start = below - ref;
      const end = below + count - ref;
      if (start >= 0) total += integral - ref * length;
      else if (end <= 0) total += ref * length - integral;
      else {
        // Crossing: a step from `start` to `end` at the point where it keeps the interval's integral.
        const area = integral - ref * length;
        const stepAt = (end * length - area) / (end - start);
        total += -start * stepAt + end * (length - stepAt);
      }
      below += count;
    }
    return total;
  }

  /** Current counts per baseline bin (values outside the range in the first/last bin). */
  binCounts(): number[] {
    this.flush();
    const bins = new Array<number>(Math.max(this.edges.length - 1, 0)).fill(0);
    if (bins.length === 0) return bins;
    const cells = this.cells;
    bins[0] = (bins[0] as number) + this.below;
    let bin = 0;
    for (let j = 0; j < this.points.length; j++) {
      // Every point after an edge starts that edge's bin; no interval holds an edge.
      const point = this.points[j] as number;
      while (bin < bins.length - 1 && point >= (this.edges[bin + 1] as number)) bin++;
      bins[bin] = (bins[bin] as number) + (cells[3 * j] as number) + (cells[3 * j + 1] as number);
    }
    return bins;
  }

  /** Every statistic of the column for this window. */
  statistics(): NumericDriftStatistics {
    this.flush();
    const reference = this.reference;
    const n = this.counted;
    const m = reference.sample.length;
    const ks = this.ksStatistic();
    const effective = (n * m) / (n + m);
    const wasserstein = this.wasserstein();
    const std = reference.std;
    const baselineTotal = reference.count + reference.nulls;
    const currentTotal = n + this.nullCount;
    return {
      count: n,
      nulls: this.nullCount,
      ksStatistic: ks,
      ksPValue: Number.isNaN(ks) ? Number.NaN : kolmogorovSurvival(Math.sqrt(effective) * ks),
      wasserstein,
      normalizedWasserstein: std !== null && std > 0 ? wasserstein / std : Number.NaN,
      psi: populationStabilityIndex(reference.binCounts, this.binCounts()),
      nullRateChange:
        (currentTotal > 0 ? this.nullCount / currentTotal : 0) -
        (baselineTotal > 0 ? reference.nulls / baselineTotal : 0),
      outOfRangeRate: n > 0 ? this.outside / n : 0,
      binCounts: this.binCounts(),
    };
  }
}

/**
 * Population stability index Σ (q_i − p_i)·ln(q_i/p_i) of the current shares q against the baseline shares
 * p per bin (the symmetrized Kullback–Leibler divergence); an empty bin's share is taken as
 * {@link PSI_EMPTY_BIN_SHARE}. NaN when either side has no values.
 */
export function populationStabilityIndex(baseline: readonly number[], current: readonly number[]): number {
  const baselineTotal = baseline.reduce((sum, c) => sum + c, 0);
  const currentTotal = current.reduce((sum, c) => sum + c, 0);
  if (baselineTotal === 0 || currentTotal === 0) return Number.NaN;
  let psi = 0;
  baseline.forEach((count, i) => {
    const p = Math.max(count / baselineTotal, PSI_EMPTY_BIN_SHARE);
    const q = Math.max((current[i] ?? 0) / currentTotal, PSI_EMPTY_BIN_SHARE);
    psi += (q - p) * Math.log(q / p);
  });
  return psi;
}
