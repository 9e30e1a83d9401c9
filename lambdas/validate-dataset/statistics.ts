/**
 * Baseline statistics for drift detection, in constant memory per column:
 * - count, nulls, min, max, and mean/variance by Welford's update applied per block (Chan's form);
 * - quantile bin edges from a seeded fixed-size reservoir sample (Li's "Algorithm L", which draws
 *   O(k log(n/k)) random numbers instead of one per value);
 * - exact counts per bin over the whole data. These come from pass 1 whenever possible: every value is
 *   also counted in a fine grid histogram whose cell boundaries are exact binary fractions, and each
 *   sample quantile is snapped to the nearest cell boundary, so the counts of the snapped bins are sums of
 *   cells, exact. When a cell holds too much data for snapping to be harmless (a spike, a heavy tail), the
 *   column keeps the sample quantiles as edges and its bins are counted in pass 2 ({@link BinCounter}).
 */
import type { ProblemType } from '../shared/dataset-contract';
import { SeededRandom } from './random';

/** Statistics of one numeric column over the whole dataset. */
export interface NumericColumnStatistics {
  readonly name: string;
  readonly type: 'numeric';
  /** Non-null values. */
  readonly count: number;
  readonly nulls: number;
  /** null when the column has no values. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Population standard deviation. */
  readonly std: number | null;
  /**
   * Increasing bin edges: approximate quantiles (from the reservoir sample) between the exact min and
   * max, duplicates dropped. Bin i is [edges[i], edges[i+1]), the last bin also includes the max; when
   * every value is the same the edges are [v, v] (one bin). Empty without values.
   */
  readonly binEdges: readonly number[];
  /** Exact number of values in each bin (`binEdges.length - 1` entries; one bin when min = max). */
  readonly binCounts: readonly number[];
}

/** A category and how often it occurs. */
export interface CategoryFrequency {
  readonly value: string;
  readonly count: number;
}

/** Statistics of one categorical column over the whole dataset. */
export interface CategoricalColumnStatistics {
  readonly name: string;
  readonly type: 'categorical';
  readonly count: number;
  readonly nulls: number;
  /** Most frequent first (ties by value). */
  readonly frequencies: readonly CategoryFrequency[];
}

export type ColumnStatistics = NumericColumnStatistics | CategoricalColumnStatistics;

/** The baseline the drift monitor compares later data with (`statistics.json`). */
export interface BaselineStatistics {
  readonly formatVersion: 1;
  readonly rows: number;
  /** Reservoir sample size per numeric column and the seed it was drawn with. */
  readonly sampleSize: number;
  readonly seed: number;
  /** Feature columns in training (contract) order. */
  readonly features: readonly ColumnStatistics[];
  readonly label: {
    readonly name: string;
    readonly problemType: ProblemType;
    /** Classification: each class with its code (as written to the training files) and count. */
    readonly classes?: readonly { readonly value: string; readonly code: number; readonly count: number }[];
    /** Regression: the label's numeric statistics. */
    readonly numeric?: NumericColumnStatistics;
  };
}

/** Values summed per block before they are merged into the running mean and variance. */
const BLOCK = 1024;

/** Largest share of the values a grid cell may hold for a quantile inside it to be snapped to its edge. */
const MAX_SNAP_SHARE = 0.005;

/** Bin edges and, when they could be computed in pass 1, their exact counts. */
export interface PlannedBins {
  readonly edges: number[];
  /** Exact counts per bin, or null when pass 2 must count them (with a {@link BinCounter}). */
  readonly counts: number[] | null;
}

/**
 * Running statistics, a reservoir sample and a grid histogram of one numeric column.
 *
 * Mean and variance use Welford's update applied per block (Chan et al.'s parallel form): values are
 * summed, shifted by the running mean, over a block of {@link BLOCK} values, and each block is merged
 * into the running mean and M2. This is as stable as per-value Welford (the shift keeps the sums small)
 * without a division per value, which would dominate the cost of pass 1.
 */
export class NumericAccumulator {
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private runningMean = 0;
  private m2 = 0;
  private shift = Number.NaN;
  private blockCount = 0;
  private blockSum = 0;
  private blockSquares = 0;
  private readonly sample: Float64Array;
  private readonly random: SeededRandom;
  /** Algorithm L state: index (0-based, in values seen) of the next value to put in the sample. */
  private nextPick: number;
  private w: number;
  private readonly grid: GridHistogram;

  constructor(sampleSize: number, seed: number, stream: number, gridCells: number) {
    this.sample = new Float64Array(sampleSize);
    this.random = new SeededRandom(seed, stream);
    this.w = Math.exp(Math.log(this.random.nextOpen()) / sampleSize);
    this.nextPick = sampleSize + this.skip();
    this.grid = new GridHistogram(gridCells);
  }

  add(x: number): void {
    const n = this.count;
    this.count = n + 1;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (n === 0) this.shift = x;
    const d = x - this.shift;
    this.blockSum += d;
    this.blockSquares += d * d;
    if (++this.blockCount === BLOCK) this.merge();
    const k = this.sample.length;
    if (n < k) {
      // The sample holds the first k values in order: the grid is sized from them once it is full.
      this.sample[n] = x;
      if (n === k - 1) this.grid.start(this.sample, k, this.min, this.max);
      return;
    }
    this.grid.add(x, this.min, this.max);
    if (n === this.nextPick) {
      this.sample[Math.floor(this.random.next() * k)] = x;
      this.w *= Math.exp(Math.log(this.random.nextOpen()) / k);
      this.nextPick += this.skip() + 1;
    }
  }

  /** Merges the current block into the running mean and M2, and re-centres the shift. */
  private merge(): void {
    const count = this.blockCount;
    if (count === 0) return;
    const before = this.count - count;
    const blockMean = this.shift + this.blockSum / count;
    const blockM2 = Math.max(0, this.blockSquares - (this.blockSum * this.blockSum) / count);
    const delta = blockMean - this.runningMean;
    const total = before + count;
    this.runningMean += (delta * count) / total;
    this.m2 += blockM2 + (delta * delta * before * count) / total;
    this.shift = this.runningMean;
    this.blockCount = 0;
    this.blockSum = 0;
    this.blockSquares = 0;
  }

  private skip(): number {
    return Math.floor(Math.log(this.random.nextOpen()) / Math.log(1 - this.w));
  }

  /** Mean of the values (0 without values). */
  get mean(): number {
    this.merge();
    return this.runningMean;
  }

  /** Population standard deviation (null without values). */
  get std(): number | null {
    this.merge();
    return this.count === 0 ? null : Math.sqrt(this.m2 / this.count);
  }

  /**
   * Bin edges at the sample's quantiles 1/bins..(bins-1)/bins between the exact min and max, snapped to
   * the grid with exact counts when the grid is fine enough there; otherwise unsnapped, to count in pass 2.
   */
  planBins(bins: number): PlannedBins {
    if (this.count === 0) return { edges: [], counts: [] };
    const filled = Math.min(this.count, this.sample.length);
    const sorted = this.sample.slice(0, filled).sort();
    if (this.count <= this.sample.length) this.grid.start(sorted, filled, this.min, this.max);
    const quantiles: number[] = [];
    for (let b = 1; b < bins; b++) quantiles.push(quantile(sorted, b / bins));
    const snapped = this.grid.snap(quantiles, this.min, this.max, this.count);
    if (snapped !== null) return snapped;
    const edges = [this.min];
    for (const edge of quantiles)
      if (edge > (edges[edges.length - 1] as number) && edge < this.max) edges.push(edge);
    edges.push(this.max);
    return { edges, counts: null };
  }
}

/**
 * Counts values in cells of width 2^e, cell c covering [c * 2^e, (c + 1) * 2^e). Since scaling by a power
 * of two is exact, a value's cell (floor(x / 2^e)) and the cell boundaries are computed without rounding,
 * so a count over cells is exact for bins whose edges are cell boundaries. The window of `cells` cells
 * follows the data: when a value falls outside, the width doubles (merging cells in pairs) until the whole
 * range fits, then the window is re-centred.
 */
class GridHistogram {
  private counts: Float64Array | null = null;
  private width = 0;
  private inverse = 0;
  /** Absolute cell index of counts[0]. */
  private base = 0;

  constructor(private readonly cells: number) {}

  /** Sizes the grid so the first values span about half of it, and counts them. */
  start(values: Float64Array, n: number, min: number, max: number): void {
    if (this.counts !== null) return;
    const span = Math.max(max - min, Math.abs(min) * 2 ** -40, 2 ** -1000);
    this.width = 2 ** Math.ceil(Math.log2(span / (this.cells / 2)));
    this.inverse = 1 / this.width;
    this.counts = new Float64Array(this.cells);
    this.recentre(min, max);
    for (let i = 0; i < n; i++) this.add(values[i] as number, min, max);
  }

  /** Counts x; `min`/`max` are the column's range including x. */
  add(x: number, min: number, max: number): void {
    let cell = Math.floor(x * this.inverse) - this.base;
    if (cell < 0 || cell >= this.cells) {
      this.resize(min, max);
      cell = Math.floor(x * this.inverse) - this.base;
    }
    const counts = this.counts as Float64Array;
    counts[cell] = (counts[cell] as number) + 1;
  }

  /** Doubles the width until [min, max] fits, then re-centres and re-counts the cells. */
  private resize(min: number, max: number): void {
    const old = this.counts as Float64Array;
    const oldWidth = this.width;
    const oldBase = this.base;
    while (!this.fits(min, max)) this.width *= 2;
    this.inverse = 1 / this.width;
    this.counts = new Float64Array(this.cells);
    this.recentre(min, max);
    for (let c = 0; c < old.length; c++) {
      const count = old[c] as number;
      if (count === 0) continue;
      const cell = Math.floor((oldBase + c) * oldWidth * this.inverse) - this.base;
      this.counts[cell] = (this.counts[cell] as number) + count;
    }
  }

  private fits(min: number, max: number): boolean {
    const low = Math.floor(min / this.width);
    const high = Math.floor(max / this.width);
    return Number.isFinite(low) && Number.isFinite(high) && high - low < this.cells;
  }

  private recentre(min: number, max: number): void {
    const low = Math.floor(min * this.inverse);
    const high = Math.floor(max * this.inverse);
    this.base = low - Math.floor((this.cells - (high - low + 1)) / 2);
  }

  /**
   * Snaps each quantile to its nearest cell boundary and sums the cells per bin; null when a quantile's
   * cell holds more than {@link MAX_SNAP_SHARE} of the values (snapping would move it too far in rank).
   */
  snap(quantiles: readonly number[], min: number, max: number, total: number): PlannedBins | null {
    const counts = this.counts as Float64Array;
    const edges = [min];
    const boundaries: number[] = [];
    for (const q of quantiles) {
      if (q <= min || q >= max) continue;
      const scaled = q * this.inverse;
      const boundary = Math.round(scaled);
      // A quantile already on a boundary (e.g. integer data) does not move; others move within their cell.
      if (scaled !== boundary && (counts[Math.floor(scaled) - this.base] ?? 0) > total * MAX_SNAP_SHARE)
        return null;
      const edge = boundary * this.width;
      if (edge > (edges[edges.length - 1] as number) && edge < max) {
        edges.push(edge);
        boundaries.push(boundary - this.base);
      }
    }
    edges.push(max);
    const binCounts = new Array<number>(edges.length - 1).fill(0);
    let bin = 0;
    for (let cell = 0; cell < counts.length; cell++) {
      while (bin < boundaries.length && cell >= (boundaries[bin] as number)) bin++;
      binCounts[bin] = (binCounts[bin] as number) + (counts[cell] as number);
    }
    return { edges, counts: binCounts };
  }
}

/** Linear-interpolated quantile (type 7) of a sorted sample. */
export function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const lower = sorted[low] as number;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - low);
}

/** Cells of the lookup grid of {@link BinCounter}. */
const GRID_CELLS = 1024;

/**
 * Counts values into fixed bins (pass 2). A uniform grid over [min, max] maps most values to their bin
 * with one multiplication and a table lookup; only values in the few cells that contain an edge (or any
 * value, for very skewed columns) are placed by scanning the edges.
 */
export class BinCounter {
  readonly counts: Float64Array;
  private readonly edges: Float64Array;
  private readonly grid: Int16Array;
  private readonly origin: number;
  private readonly scale: number;

  constructor(edges: readonly number[]) {
    this.edges = Float64Array.from(edges);
    this.counts = new Float64Array(Math.max(edges.length - 1, 0));
    const low = edges[0] ?? 0;
    const high = edges[edges.length - 1] ?? 0;
    this.origin = low;
    this.scale = high > low ? GRID_CELLS / (high - low) : 0;
    this.grid = new Int16Array(GRID_CELLS + 1);
    // Cell boundaries are widened a little so rounding in add() can never put a value in the wrong bin.
    const slack = (high - low) * 1e-9;
    for (let cell = 0; cell <= GRID_CELLS; cell++) {
      const first = this.scan(low + cell / this.scale - slack);
      const last = this.scan(low + (cell + 1) / this.scale + slack);
      this.grid[cell] = this.scale > 0 && first === last ? first : -1;
    }
  }

  add(x: number): void {
    const cell = ((x - this.origin) * this.scale) | 0;
    let bin = cell >= 0 && cell <= GRID_CELLS ? (this.grid[cell] as number) : -1;
    if (bin < 0) bin = this.scan(x);
    this.counts[bin] = (this.counts[bin] as number) + 1;
  }

  /** The bin of x by scanning the edges: bin i is [edges[i], edges[i+1]), the last one closed. */
  private scan(x: number): number {
    const edges = this.edges;
    const last = this.counts.length - 1;
    let bin = 0;
    while (bin < last && x >= (edges[bin + 1] as number)) bin++;
    return bin;
  }
}

/** Final statistics of a numeric column from its accumulator and bins. */
export function numericStatistics(
  name: string,
  nulls: number,
  accumulator: NumericAccumulator,
  edges: readonly number[],
  binCounts: readonly number[],
): NumericColumnStatistics {
  const empty = accumulator.count === 0;
  return {
    name,
    type: 'numeric',
    count: accumulator.count,
    nulls,
    min: empty ? null : accumulator.min,
    max: empty ? null : accumulator.max,
    mean: empty ? null : accumulator.mean,
    std: accumulator.std,
    binEdges: edges,
    binCounts,
  };
}

/** Frequencies sorted most frequent first, ties by value, for stable JSON. */
export function sortedFrequencies(counts: ReadonlyMap<string, number>): CategoryFrequency[] {
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || compareText(a.value, b.value));
}

/** Code-unit order (stable across locales, unlike localeCompare). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The encoding order of observed categories or labels: numeric order when every value is a number
 * ("2" before "10"), code-unit order otherwise.
 */
export function encodingOrder(values: Iterable<string>): string[] {
  const list = [...values];
  const numbers = list.map((value) => (value.trim() === '' ? Number.NaN : Number(value)));
  if (numbers.every((n) => Number.isFinite(n))) {
    return list
      .map((value, i) => ({ value, n: numbers[i] as number }))
      .sort((a, b) => a.n - b.n || compareText(a.value, b.value))
      .map(({ value }) => value);
  }
  return list.sort(compareText);
}
