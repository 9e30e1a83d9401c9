/**
 * Evaluation metrics by their XGBoost / SageMaker XGBoost names, computed the way XGBoost 1.7 (auc, aucpr,
 * logloss, error, mlogloss, merror, rmse, mae) and the SageMaker XGBoost container (accuracy, f1, mse, r2)
 * compute them, on evaluation-space predictions: positive-class probabilities for binary problems, class
 * probabilities row-major for multi-class ones, values for regression.
 *
 * Pure. Written here rather than taken from npm: they are a few lines each, and what matters is matching
 * XGBoost's edge cases (tie handling, clipping, single-class data), which no general library promises.
 *
 * Single-class data: auc and aucpr are NaN, as XGBoost reports them ("contains only positive or negative
 * samples"). An empty data set gives NaN for every metric.
 */

/** The kind of predictions a metric needs. */
export type MetricKind = 'binary' | 'multiclass' | 'classification' | 'single-output';

/** A metric the stand-in computes, parsed from an `eval_metric` entry. */
export interface Metric {
  /** As written in `eval_metric` and printed in the round lines (e.g. `error@0.7`). */
  readonly name: string;
  /** Whether larger is better (early stopping's direction). */
  readonly maximize: boolean;
  /**
   * Which predictions it applies to: `binary` (one probability per row), `multiclass` (class
   * probabilities), `classification` (either), `single-output` (one value per row: binary or regression).
   */
  readonly kind: MetricKind;
  /** Computes the metric; `groups` is the number of prediction columns (classes, or 1). */
  readonly evaluate: (labels: ArrayLike<number>, predictions: Float64Array, groups: number) => number;
}

/** XGBoost's clipping of probabilities in log losses. */
const EPSILON = 1e-16;

/** Area under the ROC curve; tied predictions form one trapezoid (XGBoost's BinaryROCAUC). */
export function auc(labels: ArrayLike<number>, scores: Float64Array): number {
  return sweepCurve(
    labels,
    scores,
    (fpPrev, fp, tpPrev, tp) => (Math.abs(fp - fpPrev) * (tp + tpPrev)) / 2,
    true,
  );
}

/**
 * Area under the precision-recall curve with XGBoost's interpolation between operating points (Davis and
 * Goadrich's non-linear interpolation, as XGBoost's BinaryPRAUC computes it); tied predictions form one step.
 */
export function aucpr(labels: ArrayLike<number>, scores: Float64Array): number {
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < labels.length; i++) {
    positives += labels[i] as number;
    negatives += 1 - (labels[i] as number);
  }
  if (positives <= 0 || negatives <= 0) return Number.NaN;
  return sweepCurve(
    labels,
    scores,
    (fpPrev, fp, tpPrev, tp) => prAreaDelta(fpPrev, fp, tpPrev, tp, positives),
    false,
  );
}

function prAreaDelta(fpPrev: number, fp: number, tpPrev: number, tp: number, positives: number): number {
  const recallPrev = tpPrev / positives;
  const recall = tp / positives;
  let a = 1;
  let b = 0;
  if (tp !== tpPrev) {
    const h = (fp - fpPrev) / (tp - tpPrev);
    a = 1 + h;
    b = (fpPrev - h * tpPrev) / positives;
  }
  if (b === 0) return (recall - recallPrev) / a;
  return (recall - recallPrev - (b / a) * (Math.log(a * recall + b) - Math.log(a * recallPrev + b))) / a;
}

/**
 * Walks the predictions from highest to lowest, adding `area` between consecutive distinct predictions
 * (XGBoost's BinaryAUC); a label counts as that much positive and 1 - label negative. With `normalize`,
 * divides by positives x negatives, NaN when either is 0.
 */
function sweepCurve(
  labels: ArrayLike<number>,
  scores: Float64Array,
  area: (fpPrev: number, fp: number, tpPrev: number, tp: number) => number,
  normalize: boolean,
): number {
  if (labels.length === 0) return Number.NaN;
  const groups = isZeroOne(labels) ? tieGroupsByClass(labels, scores) : tieGroupsByRow(labels, scores);
  let total = 0;
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < groups.positives.length; g++) {
    const tpNext = tp + (groups.positives[g] as number);
    const fpNext = fp + (groups.negatives[g] as number);
    total += area(fp, fpNext, tp, tpNext);
    tp = tpNext;
    fp = fpNext;
  }
  if (!normalize) return total;
  return fp > 0 && tp > 0 ? total / (fp * tp) : Number.NaN;
}

/** Positive and negative weight of each group of equal predictions, highest prediction first. */
interface TieGroups {
  readonly positives: number[];
  readonly negatives: number[];
}

function isZeroOne(labels: ArrayLike<number>): boolean {
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && labels[i] !== 1) return false;
  return true;
}

/**
 * Tie groups for 0/1 labels: the two classes' scores sorted apart with the native numeric sort (several
 * times faster than sorting indexes with a comparator, and this runs every round), then merged.
 */
function tieGroupsByClass(labels: ArrayLike<number>, scores: Float64Array): TieGroups {
  const positive: number[] = [];
  const negative: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positive : negative).push(scores[i] as number);
  const pos = Float64Array.from(positive).sort();
  const neg = Float64Array.from(negative).sort();
  const groups: TieGroups = { positives: [], negatives: [] };
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const value = Math.max(
      i >= 0 ? (pos[i] as number) : Number.NEGATIVE_INFINITY,
      j >= 0 ? (neg[j] as number) : Number.NEGATIVE_INFINITY,
    );
    let p = 0;
    let n = 0;
    for (; i >= 0 && pos[i] === value; i--) p++;
    for (; j >= 0 && neg[j] === value; j--) n++;
    groups.positives.push(p);
    groups.negatives.push(n);
  }
  return groups;
}

/** Tie groups for any labels in [0, 1]: rows sorted by score, each adding y positive and 1 - y negative. */
function tieGroupsByRow(labels: ArrayLike<number>, scores: Float64Array): TieGroups {
  const order = Uint32Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const groups: TieGroups = { positives: [], negatives: [] };
  for (let i = 0; i < order.length; i++) {
    const row = order[i] as number;
    const y = labels[row] as number;
    if (i === 0 || scores[row] !== scores[order[i - 1] as number]) {
      groups.positives.push(0);
      groups.negatives.push(0);
    }
    const last = groups.positives.length - 1;
    groups.positives[last] = (groups.positives[last] as number) + y;
    groups.negatives[last] = (groups.negatives[last] as number) + 1 - y;
  }
  return groups;
}

/** Binary negative log-likelihood, probabilities clipped to [1e-16, 1 - 1e-16]. */
export function logloss(labels: ArrayLike<number>, probabilities: Float64Array): number {
  return mean(labels.length, (i) => {
    const y = labels[i] as number;
    const p = Math.min(Math.max(probabilities[i] as number, EPSILON), 1 - EPSILON);
    return -y * Math.log(p) - (1 - y) * Math.log(1 - p);
  });
}

/** Binary error rate: a row is predicted positive when its probability is above `threshold`. */
export function binaryError(labels: ArrayLike<number>, probabilities: Float64Array, threshold = 0.5): number {
  return mean(labels.length, (i) => {
    const y = labels[i] as number;
    return (probabilities[i] as number) > threshold ? 1 - y : y;
  });
}

/** Multi-class negative log-likelihood of the true class, its probability floored at 1e-16. */
export function mlogloss(labels: ArrayLike<number>, probabilities: Float64Array, groups: number): number {
  return mean(
    labels.length,
    (i) => -Math.log(Math.max(probabilities[i * groups + (labels[i] as number)] ?? 0, EPSILON)),
  );
}

/** Multi-class error rate: the predicted class is the first most probable one. */
export function merror(labels: ArrayLike<number>, probabilities: Float64Array, groups: number): number {
  return mean(labels.length, (i) => (predictedClass(probabilities, i, groups) === labels[i] ? 0 : 1));
}

/** Root mean squared error. */
export function rmse(labels: ArrayLike<number>, predictions: Float64Array): number {
  return Math.sqrt(mse(labels, predictions));
}

/** Mean squared error (the SageMaker container's `mse`). */
export function mse(labels: ArrayLike<number>, predictions: Float64Array): number {
  return mean(labels.length, (i) => ((predictions[i] as number) - (labels[i] as number)) ** 2);
}

/** Mean absolute error. */
export function mae(labels: ArrayLike<number>, predictions: Float64Array): number {
  return mean(labels.length, (i) => Math.abs((predictions[i] as number) - (labels[i] as number)));
}

/**
 * Coefficient of determination, as scikit-learn's r2_score (which SageMaker's `r2` calls): 1 for a perfect
 * fit of constant labels, 0 for an imperfect one.
 */
export function r2(labels: ArrayLike<number>, predictions: Float64Array): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  const average = mean(n, (i) => labels[i] as number);
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    residual += (y - (predictions[i] as number)) ** 2;
    total += (y - average) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}

/** Share of rows whose predicted class (probability > 0.5, or the most probable class) is the label. */
export function accuracy(labels: ArrayLike<number>, probabilities: Float64Array, groups: number): number {
  return mean(labels.length, (i) => (predictedClass(probabilities, i, groups) === labels[i] ? 1 : 0));
}

/**
 * Macro-averaged F1 over the classes that occur as a label or a prediction, as the SageMaker XGBoost
 * container computes `f1` (scikit-learn's f1_score, average="macro"); a class with no true or predicted
 * row on one side scores 0. For a binary problem this averages both classes' F1, not the positive one's.
 */
export function f1(labels: ArrayLike<number>, probabilities: Float64Array, groups: number): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  const counts = new Map<number, { tp: number; fp: number; fn: number }>();
  const of = (label: number) => {
    let count = counts.get(label);
    if (!count) {
      count = { tp: 0, fp: 0, fn: 0 };
      counts.set(label, count);
    }
    return count;
  };
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const predicted = predictedClass(probabilities, i, groups);
    if (predicted === y) {
      of(y).tp++;
    } else {
      of(predicted).fp++;
      of(y).fn++;
    }
  }
  let sum = 0;
  for (const { tp, fp, fn } of counts.values()) sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return sum / counts.size;
}

/** The class a row is predicted to be: probability > 0.5 for one column, else the first most probable. */
export function predictedClass(probabilities: Float64Array, row: number, groups: number): number {
  if (groups === 1) return (probabilities[row] as number) > 0.5 ? 1 : 0;
  let best = 0;
  const from = row * groups;
  for (let k = 1; k < groups; k++) {
    if ((probabilities[from + k] as number) > (probabilities[from + best] as number)) best = k;
  }
  return best;
}

function mean(n: number, term: (i: number) => number): number {
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += term(i);
  return sum / n;
}

const single = (fn: (labels: ArrayLike<number>, predictions: Float64Array) => number): Metric['evaluate'] => {
  return (labels, predictions) => fn(labels, predictions);
};

/** The metrics the stand-in computes, by name. */
const METRICS: Readonly<Record<string, Omit<Metric, 'name'>>> = {
  auc: { maximize: true, kind: 'binary', evaluate: single(auc) },
  aucpr: { maximize: true, kind: 'binary', evaluate: single(aucpr) },
  logloss: { maximize: false, kind: 'binary', evaluate: single(logloss) },
  error: { maximize: false, kind: 'binary', evaluate: single(binaryError) },
  mlogloss: { maximize: false, kind: 'multiclass', evaluate: mlogloss },
  merror: { maximize: false, kind: 'multiclass', evaluate: merror },
  accuracy: { maximize: true, kind: 'classification', evaluate: accuracy },
  f1: { maximize: true, kind: 'classification', evaluate: f1 },
  rmse: { maximize: false, kind: 'single-output', evaluate: single(rmse) },
  mse: { maximize: false, kind: 'single-output', evaluate: single(mse) },
  mae: { maximize: false, kind: 'single-output', evaluate: single(mae) },
  r2: { maximize: true, kind: 'single-output', evaluate: single(r2) },
};

/** Names {@link findMetric} accepts (plus `error@<threshold>`). */
export const METRIC_NAMES: readonly string[] = Object.keys(METRICS);

/** The metric an `eval_metric` entry names (`error@0.7` is the error rate at threshold 0.7), if computed here. */
export function findMetric(name: string): Metric | undefined {
  const at = /^error@(.+)$/.exec(name);
  if (at) {
    const threshold = Number(at[1]);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(at[1] ?? '') || !Number.isFinite(threshold))
      return undefined;
    return {
      name,
      maximize: false,
      kind: 'binary',
      evaluate: (labels, predictions) => binaryError(labels, predictions, threshold),
    };
  }
  const metric = Object.hasOwn(METRICS, name) ? METRICS[name] : undefined;
  return metric && { name, ...metric };
}

/** Whether a metric of this kind applies to a model trained with `objective`. */
export function metricApplies(kind: MetricKind, objective: string): boolean {
  const binary = objective === 'binary:logistic';
  const multi = objective.startsWith('multi:');
  switch (kind) {
    case 'binary':
      return binary;
    case 'multiclass':
      return multi;
    case 'classification':
      return binary || multi;
    case 'single-output':
      return !multi;
  }
}

/** A value as XGBoost prints it in the round lines: 5 decimals; `nan` and `inf` like Python. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return value.toFixed(5);
}
