/**
 * Baseline statistics for drift detection, in constant memory per column:
 * - count, nulls, min, max, and mean/variance by Welford's update applied per block (Chan's form);
 * - quantile bin edges from a seeded fixed-size reservoir sample of the rows (Li's "Algorithm L", which
 *   draws O(k log(n/k)) random numbers instead of one per row);
 * - a reference sample per numeric column: its values in the same reservoir sample of rows (every value when
 *   the dataset has no more rows than the sample), which drift checks test later data against exactly;
 * - exact counts per bin over the whole data. These come from pass 1 whenever possible: every value is
 *   also counted in a fine grid histogram whose cell boundaries are exact binary fractions, and each
 *   sample quantile is snapped to the nearest cell boundary, so the counts of the snapped bins are sums of
 *   cells, exact. When a cell holds too much data for snapping to be harmless (a spike, a heavy tail), the
 *   column keeps the sample quantiles as edges and its bins are counted in pass 2 ({@link BinCounter}).
 */
import {
  type CategoryFrequency,
  type NumericColumnStatistics,
  quantile,
} from '../shared/drift/baseline-statistics';
import { SeededRandom } from '../shared/random';

/** Values buffered per column and folded into the statistics together; the first block sizes the grid. */
const BLOCK = 1024;

/**
 * Largest share of the values a grid cell may hold for a quantile inside it to be snapped to its edge:
 * snapping then moves the edge by less than 1% in rank, on par with the error of estimating a decile
 * from a 4096-value sample (about 0.5%).
 */
const MAX_SNAP_SHARE = 0.01;

/** Bin edges and, when they could be computed in pass 1, their exact counts. */
export interface PlannedBins {
  readonly edges: number[];
  /** Exact counts per bin, or null when pass 2 must count them (with a {@link BinCounter}). */
  readonly counts: number[] | null;
}

/**
 * A seeded reservoir sample of rows (Li's "Algorithm L"): decides, row by row, whether the row enters
 * the sample and in which slot. One sampler serves every numeric column, so the transcendental functions
 * of Algorithm L are paid per sampled row, not per value; each column's non-null values in the sample are
 * still a uniform sample of its non-null values.
 */
export class RowSampler {
  private rows = 0;
  private nextPick: number;
  private w: number;
  private readonly random: SeededRandom;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    this.random = new SeededRandom(seed, 1);
    this.w = Math.exp(Math.log(this.random.nextOpen()) / size);
    this.nextPick = size + this.skip();
  }

  /** Offers the next row: returns the slot it goes to, or -1 when it is not sampled. */
  offer(): number {
    const n = this.rows++;
    if (n < this.size) return n;
    if (n !== this.nextPick) return -1;
    const slot = Math.floor(this.random.next() * this.size);
    this.w *= Math.exp(Math.log(this.random.nextOpen()) / this.size);
    this.nextPick += this.skip() + 1;
    return slot;
  }

  private skip(): number {
    return Math.floor(Math.log(this.random.nextOpen()) / Math.log(1 - this.w));
  }
}

/**
 * Running statistics, a slot of every sampled row, and a grid histogram of one numeric column.
 *
 * Values are buffered and processed a block of {@link BLOCK} at a time: the tight loop over one column's
 * block keeps its grid in the CPU cache and its running sums in registers, which costs far less than
 * updating everything value by value across all columns of a row.
 *
 * Mean and variance use Welford's update applied per block (Chan et al.'s parallel form): a block's values
 * are summed, shifted by the running mean, and the block is merged into the running mean and M2. This is
 * as stable as per-value Welford (the shift keeps the sums small) without a division per value.
 */
export class NumericAccumulator {
  private counted = 0;
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;
  // -0 starts these fields as doubles (see GridHistogram).
  private runningMean = -0;
  private m2 = -0;
  private readonly block = new Float64Array(BLOCK);
  private blockLength = 0;
  /** This column's value in each sampled row (NaN for a null). */
  private readonly sample: Float64Array;
  private readonly grid: GridHistogram;

  constructor(sampleSize: number, gridCells: number) {
    this.sample = new Float64Array(sampleSize).fill(Number.NaN);
    this.grid = new GridHistogram(gridCells);
  }

  add(x: number): void {
    this.block[this.blockLength++] = x;
    if (this.blockLength === BLOCK) this.flush();
  }

  /** Records this column's value (NaN for a null) in a sampled row's slot (see {@link RowSampler}). */
  store(slot: number, x: number): void {
    this.sample[slot] = x;
  }

  /** Number of values. */
  get count(): number {
    return this.counted + this.blockLength;
  }

  /** Smallest value (+Infinity without values). */
  get min(): number {
    this.flush();
    return this.low;
  }

  /** Largest value (-Infinity without values). */
  get max(): number {
    this.flush();
    return this.high;
  }

  /** Mean of the values (0 without values). */
  get mean(): number {
    this.flush();
    return this.runningMean;
  }

  /** Population standard deviation (null without values). */
  get std(): number | null {
    this.flush();
    return this.counted === 0 ? null : Math.sqrt(this.m2 / this.counted);
  }

  /** Folds the buffered block into the statistics and the grid. */
  private flush(): void {
    const n = this.blockLength;
    if (n === 0) return;
    const block = this.block;
    let low = this.low;
    let high = this.high;
    const shift = this.counted === 0 ? (block[0] as number) : this.runningMean;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const x = block[i] as number;
      if (x < low) low = x;
      if (x > high) high = x;
      const d = x - shift;
      sum += d;
      squares += d * d;
    }
    this.low = low;
    this.high = high;
    const before = this.counted;
    const total = before + n;
    const blockMean = shift + sum / n;
    const blockM2 = Math.max(0, squares - (sum * sum) / n);
    const delta = blockMean - this.runningMean;
    this.runningMean = before === 0 ? blockMean : this.runningMean + (delta * n) / total;
    this.m2 += blockM2 + (delta * delta * before * n) / total;
    this.counted = total;
    this.grid.addAll(block, n, low, high);
    this.blockLength = 0;
  }

  /** This column's non-null values in the sampled rows, sorted ascending (the drift reference sample). */
  referenceSample(): number[] {
    return Array.from(this.sample.filter((x) => !Number.isNaN(x)).sort());
  }

  /**
   * Bin edges at the sample's quantiles 1/bins..(bins-1)/bins between the exact min and max, snapped to
   * the grid with exact counts when the grid is fine enough there; otherwise unsnapped, to count in pass 2.
   */
  planBins(bins: number): PlannedBins {
    this.flush();
    if (this.counted === 0) return { edges: [], counts: [] };
    const sorted = this.sample.filter((x) => !Number.isNaN(x)).sort();
    const quantiles: number[] = [];
    if (sorted.length > 0) for (let b = 1; b < bins; b++) quantiles.push(quantile(sorted, b / bins));
    const snapped = this.grid.snap(quantiles, this.low, this.high, this.counted);
    if (snapped !== null) return snapped;
    const edges = [this.low];
    for (const edge of quantiles)
      if (edge > (edges[edges.length - 1] as number) && edge < this.high) edges.push(edge);
    edges.push(this.high);
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
  // 32-bit counts keep the grid small enough for the CPU cache. They cannot overflow: a row takes at least
  // 4 bytes ("1,0\n") and options cap files at 16 GiB, fewer than 2^32 rows.
  private counts = new Uint32Array(0);
  // -0 starts these fields as doubles: V8 would otherwise store them as small integers first and change
  // the object's layout on the first fraction.
  private width = -0;
  private inverse = -0;
  /** Absolute cell index of counts[0]. */
  private base = -0;

  constructor(private readonly cells: number) {}

  /** Counts values[0, n); `min`/`max` are the column's range including them. */
  addAll(values: Float64Array, n: number, min: number, max: number): void {
    if (this.counts.length === 0) this.start(min, max);
    else if (!this.covers(min, max)) this.resize(min, max);
    const counts = this.counts;
    const inverse = this.inverse;
    const base = this.base;
    for (let i = 0; i < n; i++) {
      // An int32 index (the cell is an integer in range) is a cheaper element access than a double one.
      const cell = (Math.floor((values[i] as number) * inverse) - base) | 0;
      counts[cell] = (counts[cell] as number) + 1;
    }
  }

  /** Sizes the grid so the first values span about half of it. */
  private start(min: number, max: number): void {
    const span = Math.max(max - min, Math.abs(min) * 2 ** -40, 2 ** -1000);
    this.width = 2 ** Math.ceil(Math.log2(span / (this.cells / 2)));
    this.inverse = 1 / this.width;
    this.counts = new Uint32Array(this.cells);
    this.recentre(min, max);
  }

  /** Whether [min, max] falls in the current window. */
  private covers(min: number, max: number): boolean {
    const low = Math.floor(min * this.inverse) - this.base;
    const high = Math.floor(max * this.inverse) - this.base;
    return low >= 0 && high < this.cells;
  }

  /** Doubles the width until [min, max] fits, then re-centres and re-counts the cells. */
  private resize(min: number, max: number): void {
    const old = this.counts;
    const oldWidth = this.width;
    const oldBase = this.base;
    while (!this.fits(min, max)) this.width *= 2;
    this.inverse = 1 / this.width;
    this.counts = new Uint32Array(this.cells);
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
    const counts = this.counts;
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
    reference: accumulator.referenceSample(),
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
