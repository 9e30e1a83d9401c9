/**
 * Cuts each feature once into at most `maxBin` quantile bins (XGBoost's `hist` method), so that split
 * finding works on per-bin sums instead of sorted values. Pure.
 */
import type { FeatureMatrix } from './gbdt';

/** The training matrix as histogram slots, computed once per fit. */
export interface BinnedData {
  readonly rows: number;
  readonly features: number;
  /**
   * Row-major histogram slot of each value: `offsets[f] + bin` for a present value, `offsets[f] +
   * binCounts[f]` for a missing one. Storing the slot rather than the bin saves an add per value in the
   * histogram loop, the hottest of training.
   */
  readonly slots: Uint16Array | Uint32Array;
  /** Per feature: ascending cut values; bin b holds the values in [cuts[b - 1], cuts[b]). */
  readonly cuts: readonly Float64Array[];
  /** Per feature: the smallest present value (NaN when none). */
  readonly minimums: Float64Array;
  /** Per feature: the number of present-value bins (cuts + 1). */
  readonly binCounts: Int32Array;
  /** Per feature: its first slot; a feature has binCounts[f] + 1 slots, the last for missing values. */
  readonly offsets: Int32Array;
  /** Total slots: the length of a histogram in (g, h) pairs. */
  readonly slotCount: number;
}

/**
 * Cut values of one feature from its sorted present values: every distinct value gets its own bin when
 * there are at most `maxBin` of them, else bins of about equal row counts, cut one after another: each cut
 * splits the rows left by the bins still available. A run of ties is never split, and a value covering
 * many ranks (e.g. mostly zeros) takes one bin, leaving the rest of the budget to the other values.
 */
export function quantileCuts(sorted: Float64Array, maxBin: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length && distinct.length <= maxBin; i++) {
    const value = sorted[i] as number;
    if (distinct.length === 0 || value !== distinct[distinct.length - 1]) distinct.push(value);
  }
  if (distinct.length <= maxBin) return Float64Array.from(distinct.slice(1));
  const cuts: number[] = [];
  let start = 0;
  while (cuts.length < maxBin - 1) {
    const binsLeft = maxBin - cuts.length;
    let rank = start + Math.ceil((sorted.length - start) / binsLeft);
    if (rank < sorted.length && (sorted[rank] as number) <= (sorted[start] as number)) {
      rank = binOf(sorted, sorted[start] as number);
    }
    if (rank >= sorted.length) break;
    const cut = sorted[rank] as number;
    cuts.push(cut);
    start = firstAtLeast(sorted, cut);
  }
  return Float64Array.from(cuts);
}

/** Index of the first value >= x in ascending `sorted` (its length when there is none). */
function firstAtLeast(sorted: Float64Array, x: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The bin of a present value: the number of cuts <= x. */
export function binOf(cuts: Float64Array, x: number): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cuts[mid] as number) <= x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Bins every value of a row-major matrix (NaN = missing). */
export function binFeatures(matrix: FeatureMatrix, maxBin: number): BinnedData {
  const { rows, columns: features, values } = matrix;
  const cuts: Float64Array[] = [];
  const minimums = new Float64Array(features);
  const binCounts = new Int32Array(features);
  const offsets = new Int32Array(features);
  let slotCount = 0;
  const column = new Float64Array(rows);
  for (let f = 0; f < features; f++) {
    let present = 0;
    for (let r = 0; r < rows; r++) {
      const x = values[r * features + f] as number;
      if (!Number.isNaN(x)) column[present++] = x;
    }
    const sorted = column.slice(0, present).sort();
    const featureCuts = quantileCuts(sorted, maxBin);
    cuts.push(featureCuts);
    minimums[f] = present > 0 ? (sorted[0] as number) : Number.NaN;
    binCounts[f] = featureCuts.length + 1;
    offsets[f] = slotCount;
    slotCount += featureCuts.length + 2;
  }
  const slots = slotCount <= 0xffff ? new Uint16Array(rows * features) : new Uint32Array(rows * features);
  for (let f = 0; f < features; f++) {
    const featureCuts = cuts[f] as Float64Array;
    const offset = offsets[f] as number;
    const missing = offset + (binCounts[f] as number);
    for (let r = 0; r < rows; r++) {
      const x = values[r * features + f] as number;
      slots[r * features + f] = Number.isNaN(x) ? missing : offset + binOf(featureCuts, x);
    }
  }
  return { rows, features, slots, cuts, minimums, binCounts, offsets, slotCount };
}
