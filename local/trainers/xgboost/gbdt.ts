/**
 * Gradient-boosted decision trees, second order like XGBoost's `hist` tree method: every feature is cut once
 * into at most `maxBin` quantile bins, each node's split is found from per-bin sums of gradients and
 * hessians, a missing value follows the default direction learned for its split, trees grow depth-wise and
 * are then pruned by `gamma` bottom-up, as XGBoost does.
 *
 * Written by hand: npm has no maintained gradient-boosting library (ml-xgboost and decision-tree are
 * abandoned or tiny), and this learner only has to be a faithful, deterministic stand-in for SageMaker's
 * built-in XGBoost when the stack runs on one machine.
 *
 * Pure: no I/O. Deterministic: the same data, parameters and seed give the same model, bit for bit (rows are
 * always visited in ascending order, so floating-point sums happen in one order).
 *
 * This module is the API (parameters, fitModel, predict, the saved model's format); binning.ts, tree-growth.ts,
 * objectives.ts, sampling.ts and forest.ts hold the parts. Typed-array reads use `as number` where
 * `noUncheckedIndexedAccess` would type them as possibly undefined: the indexes are in range by construction.
 */
import { z } from 'zod';
import { binFeatures } from './binning';
import { addForest, type CompiledForest, compileTrees } from './forest';
import {
  argmax,
  baseMargin,
  computeGradients,
  evaluationTransform,
  labelProblem,
  outputGroups,
} from './objectives';
import { sampleFeatures, sampleRows, seededRandom } from './sampling';
import { addTreeToTrainingMargins, buildTree, type GrowContext, HistogramPool } from './tree-growth';

export { evaluationTransform, labelProblem } from './objectives';
export { seededRandom } from './sampling';

/** Learning objectives the stand-in implements (XGBoost's names). */
export const OBJECTIVES = ['binary:logistic', 'multi:softprob', 'multi:softmax', 'reg:squarederror'] as const;

/** One of {@link OBJECTIVES}. */
export type Objective = (typeof OBJECTIVES)[number];

/** Training parameters, named after XGBoost's (`numRound` is `num_round`, `lambda` is `reg_lambda`, ...). */
export interface GbdtParams {
  readonly objective: Objective;
  /** Boosting rounds; a multi-class round grows one tree per class. */
  readonly numRound: number;
  /** Classes of a `multi:*` objective (at least 2); 1 for the other objectives. */
  readonly numClass: number;
  /** Deepest level a leaf may sit at (the root is level 0); 0 means no limit. */
  readonly maxDepth: number;
  /** Learning rate: each leaf's weight is multiplied by it. */
  readonly eta: number;
  /** Smallest hessian sum a child may have. */
  readonly minChildWeight: number;
  /** L2 regularisation of leaf weights. */
  readonly lambda: number;
  /** L1 regularisation of leaf weights. */
  readonly alpha: number;
  /** Smallest loss reduction a split must bring to survive pruning. */
  readonly gamma: number;
  /** Largest absolute leaf weight before `eta` (0: unbounded). */
  readonly maxDeltaStep: number;
  /** Fraction of rows each tree samples (Bernoulli, seeded). */
  readonly subsample: number;
  /** Fractions of features sampled per tree, then per level of it, then per node (seeded). */
  readonly colsampleBytree: number;
  readonly colsampleBylevel: number;
  readonly colsampleBynode: number;
  /** Weight of the positive rows of a binary problem. */
  readonly scalePosWeight: number;
  /** Initial prediction of every row, in prediction space (a probability for `binary:logistic`). */
  readonly baseScore: number;
  /** Most bins a feature is cut into. */
  readonly maxBin: number;
  /** Seed of row and feature sampling. */
  readonly seed: number;
}

/** XGBoost 1.7's defaults (`numRound` is `xgb.train`'s). */
export const DEFAULT_PARAMS: GbdtParams = {
  objective: 'reg:squarederror',
  numRound: 10,
  numClass: 1,
  maxDepth: 6,
  eta: 0.3,
  minChildWeight: 1,
  lambda: 1,
  alpha: 0,
  gamma: 0,
  maxDeltaStep: 0,
  subsample: 1,
  colsampleBytree: 1,
  colsampleBylevel: 1,
  colsampleBynode: 1,
  scalePosWeight: 1,
  baseScore: 0.5,
  maxBin: 256,
  seed: 0,
};

/** A dense matrix of feature values in one buffer; NaN is a missing value. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly columns: number;
  /** `row-major`: value (r, c) at `r * columns + c`; `column-major`: at `c * rows + r`. */
  readonly layout: 'row-major' | 'column-major';
  readonly values: Float64Array;
}

/** Feature values: one array per row, or a matrix. NaN is a missing value. */
export type FeatureInput = readonly ArrayLike<number>[] | FeatureMatrix;

/** One tree, as parallel arrays indexed by node id; node 0 is the root. */
export interface GbdtTree {
  /** The output (class) this tree adds to: 0 unless the objective is `multi:*`. */
  readonly group: number;
  /** Child ids, -1 at a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Split feature (column index after the label), -1 at a leaf. */
  readonly feature: readonly number[];
  /** A present value goes left when `value < threshold`. */
  readonly threshold: readonly number[];
  /** Where a missing value goes, learned per split. */
  readonly defaultLeft: readonly boolean[];
  /** Leaf output, `eta` applied (0 at a split). */
  readonly value: readonly number[];
  /** Loss reduction of the split (0 at a leaf). */
  readonly gain: readonly number[];
  /** Hessian sum of the training rows that reached the node. */
  readonly cover: readonly number[];
}

/** The saved model (`xgboost-model.json`): what {@link predict} needs, and how it was trained. */
export interface GbdtModel {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: 1;
  readonly objective: Objective;
  /** Classes of a `multi:*` model, 1 otherwise; also the number of trees per round. */
  readonly numClass: number;
  /** Feature columns a row must have. */
  readonly numFeature: number;
  /** Initial prediction, in prediction space. */
  readonly baseScore: number;
  /** Rounds actually trained (fewer than `params.numRound` when stopped early). */
  readonly numRound: number;
  readonly params: GbdtParams;
  /** Round-major: round r, class k at `r * numClass + k`. */
  readonly trees: readonly GbdtTree[];
  /** Free-form facts about the run (hyperparameters, metrics) that prediction ignores. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The `format` of a saved model: this learner's JSON, not XGBoost's. */
export const MODEL_FORMAT = 'serverless-mlops/gbdt';

/** A data set whose predictions {@link fitModel} reports after each round. */
export interface WatchSet {
  readonly features: FeatureInput;
}

/** What {@link fitModel} reports after each round: evaluation-space predictions (see {@link evaluationTransform}). */
export interface RoundReport {
  /** 0-based, as XGBoost numbers rounds. */
  readonly round: number;
  readonly train: Float64Array;
  /** One per {@link FitOptions.watches} entry, in order. */
  readonly watches: readonly Float64Array[];
}

/** What {@link fitModel} reports during training, and what it saves besides the trees. */
export interface FitOptions {
  readonly watches?: readonly WatchSet[];
  /** Called after each round; returning true stops training (early stopping). */
  readonly onRound?: (report: RoundReport) => boolean | undefined;
  /** Saved with the model as {@link GbdtModel.metadata}. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Fills in defaults and checks ranges; throws a RangeError naming the parameter. */
export function resolveParams(params: Partial<GbdtParams> = {}): GbdtParams {
  const multi = (params.objective ?? DEFAULT_PARAMS.objective).startsWith('multi:');
  const resolved: GbdtParams = { ...DEFAULT_PARAMS, ...(multi ? {} : { numClass: 1 }), ...params };
  const checks: [keyof GbdtParams, boolean][] = [
    ['objective', (OBJECTIVES as readonly string[]).includes(resolved.objective)],
    ['numRound', Number.isInteger(resolved.numRound) && resolved.numRound >= 1],
    [
      'numClass',
      Number.isInteger(resolved.numClass) && (multi ? resolved.numClass >= 2 : resolved.numClass === 1),
    ],
    ['maxDepth', Number.isInteger(resolved.maxDepth) && resolved.maxDepth >= 0],
    ['eta', resolved.eta >= 0 && resolved.eta <= 1],
    ['minChildWeight', resolved.minChildWeight >= 0],
    ['lambda', resolved.lambda >= 0],
    ['alpha', resolved.alpha >= 0],
    ['gamma', resolved.gamma >= 0],
    ['maxDeltaStep', resolved.maxDeltaStep >= 0],
    ['subsample', resolved.subsample > 0 && resolved.subsample <= 1],
    ['colsampleBytree', resolved.colsampleBytree > 0 && resolved.colsampleBytree <= 1],
    ['colsampleBylevel', resolved.colsampleBylevel > 0 && resolved.colsampleBylevel <= 1],
    ['colsampleBynode', resolved.colsampleBynode > 0 && resolved.colsampleBynode <= 1],
    ['scalePosWeight', resolved.scalePosWeight > 0],
    [
      'baseScore',
      resolved.objective === 'binary:logistic'
        ? resolved.baseScore > 0 && resolved.baseScore < 1
        : Number.isFinite(resolved.baseScore),
    ],
    ['maxBin', Number.isInteger(resolved.maxBin) && resolved.maxBin >= 2 && resolved.maxBin <= 65_535],
    ['seed', Number.isInteger(resolved.seed)],
  ];
  for (const [name, ok] of checks) {
    // Finite checks too: NaN slips through every comparison above as false, Infinity might not.
    const value = resolved[name];
    if (!ok || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new RangeError(`invalid ${name}: ${String(value)}`);
    }
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------
// Dense input
// ---------------------------------------------------------------------------------------------------------

/** Any {@link FeatureInput} as one row-major buffer, checked to have `columns` columns when given. */
export function toRowMajor(input: FeatureInput, columns?: number): FeatureMatrix {
  if (!Array.isArray(input)) {
    const matrix = input as FeatureMatrix;
    checkColumns(matrix.columns, columns);
    if (matrix.values.length !== matrix.rows * matrix.columns) {
      throw new RangeError(
        `matrix has ${matrix.values.length} values, expected ${matrix.rows * matrix.columns}`,
      );
    }
    if (matrix.layout === 'row-major') return matrix;
    return { ...matrix, layout: 'row-major', values: transpose(matrix.values, matrix.rows, matrix.columns) };
  }
  const rows = input as readonly ArrayLike<number>[];
  const width = columns ?? rows[0]?.length ?? 0;
  const values = new Float64Array(rows.length * width);
  rows.forEach((row, r) => {
    if (row.length !== width) throw new RangeError(`row ${r} has ${row.length} features, expected ${width}`);
    for (let c = 0; c < width; c++) values[r * width + c] = row[c] as number;
  });
  return { rows: rows.length, columns: width, layout: 'row-major', values };
}

function checkColumns(actual: number, expected: number | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new RangeError(`data has ${actual} features, expected ${expected}`);
  }
}

/** `values` holds `outer` blocks of `inner` values; returns `inner` blocks of `outer` values. */
function transpose(values: Float64Array, inner: number, outer: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out[i * outer + o] = values[o * inner + i] as number;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------------------

/** Throws a RangeError for the first label the objective cannot learn from. */
function checkLabels(labels: ArrayLike<number>, params: GbdtParams): void {
  for (let r = 0; r < labels.length; r++) {
    const problem = labelProblem(labels[r] as number, params);
    if (problem) throw new RangeError(`label of row ${r} is ${labels[r]}: ${problem}`);
  }
}

/** A data set watched during training: its margins, updated tree by tree. */
interface Watched {
  readonly matrix: FeatureMatrix;
  readonly margins: Float64Array;
}

/**
 * Trains a model (named fitModel, not fit: the linter reserves a bare `fit(` for focused tests). `labels`
 * has one value per row: 0/1 (or a probability) for `binary:logistic`, a class index for `multi:*`, any
 * finite number for `reg:squarederror`. Throws a RangeError on invalid parameters, labels or shapes.
 */
export function fitModel(
  features: FeatureInput,
  labels: ArrayLike<number>,
  params: Partial<GbdtParams> = {},
  options: FitOptions = {},
): GbdtModel {
  const resolved = resolveParams(params);
  const matrix = toRowMajor(features);
  if (labels.length !== matrix.rows) throw new RangeError(`${labels.length} labels for ${matrix.rows} rows`);
  checkLabels(labels, resolved);
  const groups = outputGroups(resolved);
  const data = binFeatures(matrix, resolved.maxBin);
  const margin0 = baseMargin(resolved);
  const margins = new Float64Array(matrix.rows * groups).fill(margin0);
  const watches: Watched[] = (options.watches ?? []).map((watch) => {
    const watched = toRowMajor(watch.features, matrix.columns);
    return { matrix: watched, margins: new Float64Array(watched.rows * groups).fill(margin0) };
  });
  const ctx: GrowContext = {
    data,
    params: resolved,
    random: seededRandom(resolved.seed),
    pool: new HistogramPool(2 * data.slotCount),
    rowIndex: new Uint32Array(matrix.rows),
    scratch: new Uint32Array(matrix.rows),
  };
  const allFeatures = Int32Array.from({ length: matrix.columns }, (_, f) => f);
  const gradients = new Float64Array(2 * matrix.rows * groups);
  const trees: GbdtTree[] = [];
  let rounds = 0;
  while (rounds < resolved.numRound) {
    // Every tree of a round learns from the margins as they were when the round began.
    computeGradients(resolved, labels, margins, gradients);
    for (let group = 0; group < groups; group++) {
      const rows = sampleRows(matrix.rows, resolved.subsample, ctx.random, ctx.rowIndex);
      const treeFeatures = sampleFeatures(allFeatures, resolved.colsampleBytree, ctx.random);
      const gpair = gradients.subarray(2 * group * matrix.rows, 2 * (group + 1) * matrix.rows);
      const grown = buildTree(ctx, rows, gpair, treeFeatures, group);
      trees.push(grown.tree);
      addTreeToTrainingMargins(grown, ctx, rows, margins, groups);
      addToWatches(compileTrees([grown.tree]), watches, groups);
    }
    rounds++;
    if (options.onRound && reportRound(options.onRound, rounds - 1, resolved, margins, watches, groups))
      break;
  }
  return {
    format: MODEL_FORMAT,
    formatVersion: 1,
    objective: resolved.objective,
    numClass: groups,
    numFeature: matrix.columns,
    baseScore: resolved.baseScore,
    numRound: rounds,
    params: resolved,
    trees,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}

function addToWatches(forest: CompiledForest, watches: readonly Watched[], groups: number): void {
  for (const watch of watches) addForest(forest, watch.matrix, watch.margins, groups);
}

/** Calls `onRound` with evaluation-space predictions; true when it asks to stop. */
function reportRound(
  onRound: NonNullable<FitOptions['onRound']>,
  round: number,
  params: GbdtParams,
  margins: Float64Array,
  watches: readonly Watched[],
  groups: number,
): boolean {
  const stop = onRound({
    round,
    train: evaluationTransform(params.objective, margins, groups),
    watches: watches.map((watch) => evaluationTransform(params.objective, watch.margins, groups)),
  });
  return stop === true;
}

// ---------------------------------------------------------------------------------------------------------
// Prediction
// ---------------------------------------------------------------------------------------------------------

const compiled = new WeakMap<GbdtModel, CompiledForest>();

/** The model's trees as typed arrays, compiled once per model object. */
function compiledForest(model: GbdtModel): CompiledForest {
  let forest = compiled.get(model);
  if (!forest) {
    forest = compileTrees(model.trees);
    compiled.set(model, forest);
  }
  return forest;
}

/** Raw scores (margins), row-major `rows x numClass`: the base margin plus every tree's leaf value. */
export function predictMargins(model: GbdtModel, features: FeatureInput): Float64Array {
  const matrix = toRowMajor(features, model.numFeature);
  const groups = outputGroups(model);
  const margins = new Float64Array(matrix.rows * groups).fill(baseMargin(model));
  addForest(compiledForest(model), matrix, margins, groups);
  return margins;
}

/**
 * Predictions as SageMaker's XGBoost serves them: the positive-class probability (`binary:logistic`), the
 * class probabilities row-major (`multi:softprob`, `rows x numClass`), the class index (`multi:softmax`),
 * the value (`reg:squarederror`).
 */
export function predict(model: GbdtModel, features: FeatureInput): Float64Array {
  const groups = outputGroups(model);
  const probabilities = evaluationTransform(model.objective, predictMargins(model, features), groups);
  if (model.objective !== 'multi:softmax') return probabilities;
  return Float64Array.from({ length: probabilities.length / groups }, (_, r) =>
    argmax(probabilities, r * groups, groups),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------------

const treeSchema = z.object({
  group: z.number().int().min(0),
  left: z.array(z.number().int().min(-1)),
  right: z.array(z.number().int().min(-1)),
  feature: z.array(z.number().int().min(-1)),
  threshold: z.array(z.number()),
  defaultLeft: z.array(z.boolean()),
  value: z.array(z.number()),
  gain: z.array(z.number()),
  cover: z.array(z.number()),
});

const paramsSchema = z.object({
  objective: z.enum(OBJECTIVES),
  numRound: z.number(),
  numClass: z.number(),
  maxDepth: z.number(),
  eta: z.number(),
  minChildWeight: z.number(),
  lambda: z.number(),
  alpha: z.number(),
  gamma: z.number(),
  maxDeltaStep: z.number(),
  subsample: z.number(),
  colsampleBytree: z.number(),
  colsampleBylevel: z.number(),
  colsampleBynode: z.number(),
  scalePosWeight: z.number(),
  baseScore: z.number(),
  maxBin: z.number(),
  seed: z.number(),
});

const modelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.literal(1),
  objective: z.enum(OBJECTIVES),
  numClass: z.number().int().min(1),
  numFeature: z.number().int().min(0),
  baseScore: z.number(),
  numRound: z.number().int().min(0),
  params: paramsSchema,
  trees: z.array(treeSchema),
  metadata: z.record(z.string(), z.unknown()).exactOptional(),
});

/**
 * Reads a saved model (the text of `xgboost-model.json`, or its parsed JSON), checking its shape and that
 * every tree is well formed; throws an Error saying what is wrong.
 */
export function loadModel(source: unknown): GbdtModel {
  const json: unknown = typeof source === 'string' ? JSON.parse(source) : source;
  const parsed = modelSchema.safeParse(json);
  if (!parsed.success) throw new Error(`not a ${MODEL_FORMAT} model: ${z.prettifyError(parsed.error)}`);
  const model = parsed.data;
  const params = resolveParams(model.params);
  if (params.objective !== model.objective || outputGroups(params) !== model.numClass) {
    throw new Error('model objective or numClass disagrees with its params');
  }
  model.trees.forEach((tree, t) => {
    const problem = treeProblem(tree, model.numFeature, model.numClass);
    if (problem) throw new Error(`tree ${t} ${problem}`);
  });
  return { ...model, params };
}

/** What is wrong with a tree, if anything: unequal arrays, bad children (each after its parent) or features. */
function treeProblem(tree: GbdtTree, numFeature: number, groups: number): string | undefined {
  const size = tree.left.length;
  if (size === 0) return 'has no nodes';
  if (tree.group >= groups) return `has group ${tree.group}, the model has ${groups}`;
  const arrays = [
    tree.right,
    tree.feature,
    tree.threshold,
    tree.defaultLeft,
    tree.value,
    tree.gain,
    tree.cover,
  ];
  if (arrays.some((array) => array.length !== size)) return 'has arrays of different lengths';
  for (let i = 0; i < size; i++) {
    const left = tree.left[i] as number;
    const right = tree.right[i] as number;
    const feature = tree.feature[i] as number;
    if (left === -1 && right === -1 && feature === -1) continue;
    if (left <= i || right <= i || left >= size || right >= size || left === right) {
      return `node ${i} has invalid children ${left}, ${right}`;
    }
    if (feature < 0 || feature >= numFeature)
      return `node ${i} splits on feature ${feature} of ${numFeature}`;
  }
  return undefined;
}
