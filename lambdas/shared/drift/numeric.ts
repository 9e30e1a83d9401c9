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

/** Streams one numeric column of a window; see the module comment. */
export class NumericDriftCounter {
  /** Distinct reference values, ascending. */
  private readonly values: Float64Array;
  /** Reference values ≤ values[j]. */
  private readonly cumulative: Float64Array;
  /** Current values equal to values[j]. */
  private readonly at: Float64Array;
  /**
   * Current values in interval j: j = 0 is (−∞, values[0]), j ≥ 1 is (values[j−1], values[j]) and the last
   * one (values[k−1], ∞).
   */
  private readonly between: Float64Array;
  /** Sum of distances of interval j's values to its left end (to values[0] for j = 0). */
  private readonly offsets: Float64Array;
  private readonly edges: Float64Array;
  private readonly bins: Float64Array;
  private readonly low: number;
  private readonly high: number;
  private counted = 0;
  private nullCount = 0;
  private outside = 0;

  constructor(readonly reference: NumericReference) {
    const distinct: number[] = [];
    const cumulative: number[] = [];
    reference.sample.forEach((x, i) => {
      if (distinct.length > 0 && distinct[distinct.length - 1] === x)
        cumulative[cumulative.length - 1] = i + 1;
      else {
        distinct.push(x);
        cumulative.push(i + 1);
      }
    });
    this.values = Float64Array.from(distinct);
    this.cumulative = Float64Array.from(cumulative);
    this.at = new Float64Array(distinct.length);
    this.between = new Float64Array(distinct.length + 1);
    this.offsets = new Float64Array(distinct.length + 1);
    this.edges = Float64Array.from(reference.binEdges);
    this.bins = new Float64Array(Math.max(reference.binEdges.length - 1, 0));
    this.low = reference.min ?? Number.POSITIVE_INFINITY;
    this.high = reference.max ?? Number.NEGATIVE_INFINITY;
  }

  /** Counts one value; null and non-finite numbers count as nulls. */
  add(x: number | null): void {
    if (x === null || !Number.isFinite(x)) {
      this.nullCount++;
      return;
    }
    this.counted++;
    if (x < this.low || x > this.high) this.outside++;
    const values = this.values;
    const k = values.length;
    if (k > 0) {
      // Largest j with values[j] ≤ x (−1 below the first).
      let lo = 0;
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((values[mid] as number) <= x) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      if (j < 0) {
        this.between[0] = (this.between[0] as number) + 1;
        this.offsets[0] = (this.offsets[0] as number) + ((values[0] as number) - x);
      } else if (values[j] === x) {
        this.at[j] = (this.at[j] as number) + 1;
      } else {
        this.between[j + 1] = (this.between[j + 1] as number) + 1;
        this.offsets[j + 1] = (this.offsets[j + 1] as number) + (x - (values[j] as number));
      }
    }
    const bins = this.bins.length;
    if (bins > 0) {
      const edges = this.edges;
      let bin = 0;
      let hi = bins - 1;
      // Last bin b with edges[b] ≤ x, clamped to the bins (out-of-range values go to the ends).
      while (bin < hi) {
        const mid = (bin + hi + 1) >>> 1;
        if ((edges[mid] as number) <= x) bin = mid;
        else hi = mid - 1;
      }
      this.bins[bin] = (this.bins[bin] as number) + 1;
    }
  }

  /** Non-null values counted. */
  get count(): number {
    return this.counted;
  }

  /** The exact two-sample KS statistic sup_x |F_ref(x) − F_cur(x)|. */
  ksStatistic(): number {
    const m = this.reference.sample.length;
    const n = this.counted;
    if (m === 0 || n === 0) return Number.NaN;
    const k = this.values.length;
    // Below the first reference value F_ref = 0 and F_cur rises to between[0]/n.
    let current = this.between[0] as number;
    let d = current / n;
    for (let j = 0; j < k; j++) {
      const ref = (this.cumulative[j] as number) / m;
      // At values[j], then at the right end of the open interval after it (F_ref is constant in between).
      current += this.at[j] as number;
      d = Math.max(d, Math.abs(ref - current / n));
      current += this.between[j + 1] as number;
      d = Math.max(d, Math.abs(ref - current / n));
    }
    return d;
  }

  /**
   * W₁ = ∫|F_ref − F_cur| dx. Below the first and above the last reference value, and in every interval
   * where F_cur stays on one side of F_ref, the integral follows exactly from the interval's count and its
   * values' summed offsets. Where F_cur crosses F_ref inside an interval, its values are taken to sit at
   * their mean (a step at one point); the error is then at most the interval's length × its share of the
   * window, so at most max gap × (share of values in crossing intervals).
   */
  wasserstein(): number {
    const m = this.reference.sample.length;
    const n = this.counted;
    if (m === 0 || n === 0) return Number.NaN;
    const values = this.values;
    const k = values.length;
    let total = (this.offsets[0] as number) / n;
    let below = (this.between[0] as number) / n;
    for (let j = 0; j < k; j++) {
      below += (this.at[j] as number) / n;
      const ref = (this.cumulative[j] as number) / m;
      const count = (this.between[j + 1] as number) / n;
      const offset = (this.offsets[j + 1] as number) / n;
      if (j === k - 1) {
        // Above the last reference value F_ref = 1: ∫(1 − F_cur) = Σ(y − values[k−1]) / n.
        total += offset;
        break;
      }
      const length = (values[j + 1] as number) - (values[j] as number);
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

  /** Current counts per baseline bin. */
  binCounts(): number[] {
    return Array.from(this.bins);
  }

  /** Every statistic of the column for this window. */
  statistics(): NumericDriftStatistics {
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
