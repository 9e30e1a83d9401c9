/**
 * Grows one regression tree on gradient pairs, as XGBoost's `hist` updater does: depth-wise, each node's
 * best split read from its histogram of (gradient, hessian) sums per bin, the smaller child's histogram
 * built and the larger one's obtained by subtraction, missing values sent to the side that gains most,
 * then pruned bottom-up by `gamma`. Pure and deterministic (rows stay in ascending order within a node).
 *
 * The hot loops index typed arrays with `as number`: `noUncheckedIndexedAccess` types every element read
 * as possibly undefined, and these indexes are in range by construction.
 */
import type { BinnedData } from './binning';
import type { GbdtParams, GbdtTree } from './gbdt';
import { sampleFeatures } from './sampling';

/** XGBoost's kRtEps: a split must reduce the loss by more than this to be made at all. */
const MIN_SPLIT_GAIN = 1e-6;

function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

/** XGBoost's CalcWeight: the optimal leaf weight for gradient sum G and hessian sum H (before eta). */
export function leafWeight(G: number, H: number, params: GbdtParams): number {
  if (H < params.minChildWeight || H <= 0) return 0;
  const w = -thresholdL1(G, params.alpha) / (H + params.lambda);
  if (params.maxDeltaStep > 0 && Math.abs(w) > params.maxDeltaStep) return Math.sign(w) * params.maxDeltaStep;
  return w;
}

/**
 * XGBoost's CalcGain: the loss reduction (times 2, which XGBoost's gains and gamma share) of one leaf
 * with sums (G, H) at its optimal weight.
 */
export function nodeScore(G: number, H: number, params: GbdtParams): number {
  if (H <= 0) return 0;
  if (params.maxDeltaStep === 0) {
    const t = thresholdL1(G, params.alpha);
    return (t * t) / (H + params.lambda);
  }
  const w = leafWeight(G, H, params);
  return -(2 * G * w + (H + params.lambda) * w * w) - 2 * params.alpha * Math.abs(w);
}

/** A chosen split. */
export interface Split {
  readonly feature: number;
  /** Present values in bins <= bin go left; -1: every present value goes right. */
  readonly bin: number;
  readonly defaultLeft: boolean;
  readonly gain: number;
  readonly leftG: number;
  readonly leftH: number;
}

/**
 * The best split of a node from its histogram, enumerated as XGBoost does: at each cut, missing values
 * right, then (when the node has any) missing values left, including "missing left, all present right".
 */
export function findBestSplit(
  hist: Float64Array,
  G: number,
  H: number,
  features: Int32Array,
  data: BinnedData,
  params: GbdtParams,
): Split | undefined {
  const parent = nodeScore(G, H, params);
  const mcw = params.minChildWeight;
  let best: Split | undefined;
  let bestGain = MIN_SPLIT_GAIN;
  const consider = (feature: number, bin: number, defaultLeft: boolean, GL: number, HL: number): void => {
    const HR = H - HL;
    if (HL < mcw || HR < mcw || HL <= 0 || HR <= 0) return;
    const gain = nodeScore(GL, HL, params) + nodeScore(G - GL, HR, params) - parent;
    if (gain > bestGain) {
      bestGain = gain;
      best = { feature, bin, defaultLeft, gain, leftG: GL, leftH: HL };
    }
  };
  for (let i = 0; i < features.length; i++) {
    const f = features[i] as number;
    const offset = data.offsets[f] as number;
    const count = data.binCounts[f] as number;
    const missingSlot = 2 * (offset + count);
    const gm = hist[missingSlot] as number;
    const hm = hist[missingSlot + 1] as number;
    const hasMissing = hm > 0;
    if (hasMissing) consider(f, -1, true, gm, hm);
    let GL = 0;
    let HL = 0;
    for (let b = 0; b < count - 1; b++) {
      GL += hist[2 * (offset + b)] as number;
      HL += hist[2 * (offset + b) + 1] as number;
      consider(f, b, false, GL, HL);
      if (hasMissing) consider(f, b, true, GL + gm, HL + hm);
    }
  }
  return best;
}

/** Sums the (g, h) pairs of rows `rowIndex[begin, end)` into `hist`, per slot of the given features. */
export function buildHistogram(
  hist: Float64Array,
  data: BinnedData,
  rowIndex: Uint32Array,
  begin: number,
  end: number,
  gpair: Float64Array,
  features: Int32Array,
): void {
  hist.fill(0);
  const { slots, features: width } = data;
  if (features.length === width) {
    for (let i = begin; i < end; i++) {
      const r = rowIndex[i] as number;
      const g = gpair[2 * r] as number;
      const h = gpair[2 * r + 1] as number;
      const base = r * width;
      for (let f = 0; f < width; f++) {
        const slot = (slots[base + f] as number) << 1;
        hist[slot] = (hist[slot] as number) + g;
        hist[slot + 1] = (hist[slot + 1] as number) + h;
      }
    }
    return;
  }
  for (let i = begin; i < end; i++) {
    const r = rowIndex[i] as number;
    const g = gpair[2 * r] as number;
    const h = gpair[2 * r + 1] as number;
    const base = r * width;
    for (let j = 0; j < features.length; j++) {
      const slot = (slots[base + (features[j] as number)] as number) << 1;
      hist[slot] = (hist[slot] as number) + g;
      hist[slot + 1] = (hist[slot + 1] as number) + h;
    }
  }
}

/** `target -= other`: a sibling's histogram from its parent's (XGBoost's subtraction trick). */
function subtractHistogram(target: Float64Array, other: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) - (other[i] as number);
}

/** Orders rows [begin, end) left child first, each side keeping ascending order; returns the boundary. */
function partitionRows(
  rowIndex: Uint32Array,
  scratch: Uint32Array,
  begin: number,
  end: number,
  data: BinnedData,
  split: Split,
): number {
  const { slots, features: width } = data;
  const feature = split.feature;
  const offset = data.offsets[feature] as number;
  const missing = offset + (data.binCounts[feature] as number);
  const lastLeft = offset + split.bin;
  const defaultLeft = split.defaultLeft;
  let left = begin;
  let right = 0;
  for (let i = begin; i < end; i++) {
    const r = rowIndex[i] as number;
    const slot = slots[r * width + feature] as number;
    if (slot === missing ? defaultLeft : slot <= lastLeft) rowIndex[left++] = r;
    else scratch[right++] = r;
  }
  rowIndex.set(scratch.subarray(0, right), left);
  return left;
}

/** A tree while it grows: parallel arrays by node id, children always after their parent. */
class TreeBuilder {
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly feature: number[] = [];
  readonly bin: number[] = [];
  readonly defaultLeft: boolean[] = [];
  readonly gain: number[] = [];
  readonly sumG: number[] = [];
  readonly sumH: number[] = [];
  /** The node's rows are `rowIndex[begin, end)`. */
  readonly begin: number[] = [];
  readonly end: number[] = [];

  addLeaf(G: number, H: number, begin: number, end: number): number {
    this.left.push(-1);
    this.right.push(-1);
    this.feature.push(-1);
    this.bin.push(0);
    this.defaultLeft.push(false);
    this.gain.push(0);
    this.sumG.push(G);
    this.sumH.push(H);
    this.begin.push(begin);
    this.end.push(end);
    return this.left.length - 1;
  }

  setSplit(id: number, split: Split, left: number, right: number): void {
    this.left[id] = left;
    this.right[id] = right;
    this.feature[id] = split.feature;
    this.bin[id] = split.bin;
    this.defaultLeft[id] = split.defaultLeft;
    this.gain[id] = split.gain;
  }

  isLeaf(id: number): boolean {
    return this.left[id] === -1;
  }

  /** XGBoost's pruner: a split whose children are leaves and whose gain is below gamma becomes a leaf. */
  prune(gamma: number): void {
    // Children have larger ids than their parent: walking ids downwards sees children first.
    for (let id = this.left.length - 1; id >= 0; id--) {
      const left = this.left[id] as number;
      const right = this.right[id] as number;
      if (left === -1 || !this.isLeaf(left) || !this.isLeaf(right)) continue;
      if ((this.gain[id] as number) < gamma) {
        this.left[id] = -1;
        this.right[id] = -1;
        this.feature[id] = -1;
        this.gain[id] = 0;
      }
    }
  }
}

/** Reusable histogram buffers: a deep tree needs dozens, and allocating each would churn the GC. */
export class HistogramPool {
  private readonly free: Float64Array[] = [];

  constructor(private readonly size: number) {}

  acquire(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.size);
  }

  release(hist: Float64Array | undefined): void {
    if (hist) this.free.push(hist);
  }
}

/** What growing a tree needs besides its gradients; the buffers are reused from tree to tree. */
export interface GrowContext {
  readonly data: BinnedData;
  readonly params: GbdtParams;
  readonly random: () => number;
  readonly pool: HistogramPool;
  /** The tree's rows in `[0, rows)` on entry; partitioned by node while growing. */
  readonly rowIndex: Uint32Array;
  readonly scratch: Uint32Array;
}

interface OpenNode {
  readonly id: number;
  /** Kept from the parent's split; absent for a small node, whose histogram is built when its turn comes. */
  readonly hist: Float64Array | undefined;
}

/** Grows and prunes one tree on rows `ctx.rowIndex[0, rows)`, with gradient pairs `gpair` (g, h per row). */
function growTree(
  ctx: GrowContext,
  rows: number,
  gpair: Float64Array,
  treeFeatures: Int32Array,
): TreeBuilder {
  const { data, params, pool, rowIndex, scratch } = ctx;
  const tree = new TreeBuilder();
  let G = 0;
  let H = 0;
  for (let i = 0; i < rows; i++) {
    const r = rowIndex[i] as number;
    G += gpair[2 * r] as number;
    H += gpair[2 * r + 1] as number;
  }
  const rowCount = (id: number): number => (tree.end[id] as number) - (tree.begin[id] as number);
  const mayGrow = (id: number, depth: number): boolean =>
    (params.maxDepth === 0 || depth < params.maxDepth) &&
    rowCount(id) >= 2 &&
    (tree.sumH[id] as number) >= 2 * params.minChildWeight;
  // Holding a histogram until the next level only pays for nodes with more values than it has slots:
  // this bounds the memory held to about one histogram's worth per slot-sized share of the data.
  const worthKeeping = (id: number): boolean => rowCount(id) * treeFeatures.length >= data.slotCount;
  const histogramOf = (id: number): Float64Array => {
    const hist = pool.acquire();
    buildHistogram(
      hist,
      data,
      rowIndex,
      tree.begin[id] as number,
      tree.end[id] as number,
      gpair,
      treeFeatures,
    );
    return hist;
  };
  const root = tree.addLeaf(G, H, 0, rows);
  let open: OpenNode[] = mayGrow(root, 0) ? [{ id: root, hist: undefined }] : [];
  for (let depth = 0; open.length > 0; depth++) {
    const levelFeatures = sampleFeatures(treeFeatures, params.colsampleBylevel, ctx.random);
    const next: OpenNode[] = [];
    for (const node of open) {
      const hist = node.hist ?? histogramOf(node.id);
      const nodeFeatures = sampleFeatures(levelFeatures, params.colsampleBynode, ctx.random);
      const nodeG = tree.sumG[node.id] as number;
      const nodeH = tree.sumH[node.id] as number;
      const split = findBestSplit(hist, nodeG, nodeH, nodeFeatures, data, params);
      if (!split) {
        pool.release(hist);
        continue;
      }
      const begin = tree.begin[node.id] as number;
      const end = tree.end[node.id] as number;
      const middle = partitionRows(rowIndex, scratch, begin, end, data, split);
      const left = tree.addLeaf(split.leftG, split.leftH, begin, middle);
      const right = tree.addLeaf(nodeG - split.leftG, nodeH - split.leftH, middle, end);
      tree.setSplit(node.id, split, left, right);
      const children = [left, right].filter((child) => mayGrow(child, depth + 1));
      if (!children.some(worthKeeping)) {
        pool.release(hist);
        next.push(...children.map((id) => ({ id, hist: undefined })));
        continue;
      }
      // The smaller child's histogram is built; the larger one's is the parent's minus it.
      const small = middle - begin <= end - middle ? left : right;
      const smallHist = histogramOf(small);
      subtractHistogram(hist, smallHist);
      const histograms = new Map([
        [small, smallHist],
        [small === left ? right : left, hist],
      ]);
      for (const [id, childHist] of histograms) {
        const keep = children.includes(id) && worthKeeping(id);
        if (!keep) pool.release(childHist);
      }
      for (const id of children) next.push({ id, hist: worthKeeping(id) ? histograms.get(id) : undefined });
    }
    open = next;
  }
  tree.prune(params.gamma);
  return tree;
}

/** A finished tree: its saved form, each split's bin, and each node's rows within the tree's row index. */
export interface GrownTree {
  readonly tree: GbdtTree;
  /** Present values in bins <= bin go left (-1: none do); 0 at leaves. */
  readonly bin: Int32Array;
  readonly begin: Int32Array;
  readonly end: Int32Array;
}

/** Renumbers the reachable nodes breadth-first and sets leaf values (eta applied) and thresholds. */
function finishTree(builder: TreeBuilder, group: number, data: BinnedData, params: GbdtParams): GrownTree {
  const order: number[] = [0];
  for (let i = 0; i < order.length; i++) {
    const id = order[i] as number;
    if (!builder.isLeaf(id)) order.push(builder.left[id] as number, builder.right[id] as number);
  }
  const newId = new Map(order.map((id, index) => [id, index]));
  const renumber = (id: number): number => (id === -1 ? -1 : (newId.get(id) as number));
  const threshold = (id: number): number => {
    const feature = builder.feature[id] as number;
    if (feature === -1) return 0;
    const bin = builder.bin[id] as number;
    // "Every present value right": the threshold is the feature's minimum, as in XGBoost.
    return bin === -1
      ? (data.minimums[feature] as number)
      : ((data.cuts[feature] as Float64Array)[bin] as number);
  };
  const tree: GbdtTree = {
    group,
    left: order.map((id) => renumber(builder.left[id] as number)),
    right: order.map((id) => renumber(builder.right[id] as number)),
    feature: order.map((id) => builder.feature[id] as number),
    threshold: order.map(threshold),
    defaultLeft: order.map((id) => builder.defaultLeft[id] as boolean),
    value: order.map((id) =>
      builder.isLeaf(id)
        ? params.eta * leafWeight(builder.sumG[id] as number, builder.sumH[id] as number, params)
        : 0,
    ),
    gain: order.map((id) => builder.gain[id] as number),
    cover: order.map((id) => builder.sumH[id] as number),
  };
  return {
    tree,
    bin: Int32Array.from(order, (id) => builder.bin[id] as number),
    begin: Int32Array.from(order, (id) => builder.begin[id] as number),
    end: Int32Array.from(order, (id) => builder.end[id] as number),
  };
}

/** Grows, prunes and finishes one tree of output `group` on rows `ctx.rowIndex[0, rows)`. */
export function buildTree(
  ctx: GrowContext,
  rows: number,
  gpair: Float64Array,
  treeFeatures: Int32Array,
  group: number,
): GrownTree {
  return finishTree(growTree(ctx, rows, gpair, treeFeatures), group, ctx.data, ctx.params);
}

/**
 * Adds a finished tree's leaf values to the training margins (`rows x groups`). When the tree saw every
 * row, each leaf's rows are a range of the row index, so no walking is needed; otherwise the binned rows
 * are walked down the tree.
 */
export function addTreeToTrainingMargins(
  grown: GrownTree,
  ctx: GrowContext,
  treeRows: number,
  margins: Float64Array,
  groups: number,
): void {
  const { tree } = grown;
  const { data, rowIndex } = ctx;
  if (treeRows === data.rows) {
    for (let node = 0; node < tree.left.length; node++) {
      if (tree.left[node] !== -1) continue;
      const value = tree.value[node] as number;
      for (let i = grown.begin[node] as number; i < (grown.end[node] as number); i++) {
        const slot = (rowIndex[i] as number) * groups + tree.group;
        margins[slot] = (margins[slot] as number) + value;
      }
    }
    return;
  }
  const { left, right, feature, defaultLeft, value } = tree;
  const { slots, features: width, offsets, binCounts } = data;
  for (let r = 0; r < data.rows; r++) {
    let node = 0;
    for (;;) {
      const f = feature[node] as number;
      if (f === -1) break;
      const slot = slots[r * width + f] as number;
      const missing = (offsets[f] as number) + (binCounts[f] as number);
      const lastLeft = (offsets[f] as number) + (grown.bin[node] as number);
      const goLeft = slot === missing ? (defaultLeft[node] as boolean) : slot <= lastLeft;
      node = (goLeft ? left[node] : right[node]) as number;
    }
    const at = r * groups + tree.group;
    margins[at] = (margins[at] as number) + (value[node] as number);
  }
}
