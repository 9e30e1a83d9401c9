/**
 * The learning objectives: where margins start, which labels are valid, the loss's gradient and hessian,
 * and the transform from margins to probabilities. Pure; formulas as in XGBoost 1.7.
 */
import type { GbdtParams, Objective } from './gbdt';

/** XGBoost's floor for the hessians of the logistic and softmax losses. */
const MIN_HESSIAN = 1e-16;

/** Trees per round: one per class for `multi:*`, else one. */
export function outputGroups(params: Pick<GbdtParams, 'objective' | 'numClass'>): number {
  return params.objective.startsWith('multi:') ? params.numClass : 1;
}

/** The margin every row starts from: base_score mapped into margin space (logit for binary:logistic). */
export function baseMargin(params: Pick<GbdtParams, 'objective' | 'baseScore'>): number {
  if (params.objective === 'binary:logistic') return Math.log(params.baseScore / (1 - params.baseScore));
  return params.baseScore;
}

/** The logistic function: a binary margin (log-odds) to a probability. */
export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

/** Why `label` cannot be learned from under these parameters, or undefined when it can. */
export function labelProblem(
  label: number,
  params: Pick<GbdtParams, 'objective' | 'numClass'>,
): string | undefined {
  switch (params.objective) {
    case 'binary:logistic':
      return label >= 0 && label <= 1 ? undefined : 'binary:logistic needs labels in [0, 1]';
    case 'reg:squarederror':
      return Number.isFinite(label) ? undefined : 'labels must be finite numbers';
    default:
      return Number.isInteger(label) && label >= 0 && label < params.numClass
        ? undefined
        : `${params.objective} needs integer labels in [0, ${params.numClass})`;
  }
}

/**
 * Gradient and hessian of the loss at the current margins (`rows x groups`, row-major), written group-major
 * and interleaved: (g, h) of row r for group k at `2 * (k * rows + r)`.
 */
export function computeGradients(
  params: GbdtParams,
  labels: ArrayLike<number>,
  margins: Float64Array,
  out: Float64Array,
): void {
  const rows = labels.length;
  if (params.objective === 'reg:squarederror') {
    for (let r = 0; r < rows; r++) {
      out[2 * r] = (margins[r] as number) - (labels[r] as number);
      out[2 * r + 1] = 1;
    }
  } else if (params.objective === 'binary:logistic') {
    for (let r = 0; r < rows; r++) {
      const y = labels[r] as number;
      const p = sigmoid(margins[r] as number);
      const weight = y === 1 ? params.scalePosWeight : 1;
      out[2 * r] = (p - y) * weight;
      out[2 * r + 1] = Math.max(p * (1 - p), MIN_HESSIAN) * weight;
    }
  } else {
    const groups = params.numClass;
    const probabilities = new Float64Array(groups);
    for (let r = 0; r < rows; r++) {
      softmaxInto(margins, r * groups, groups, probabilities, 0);
      const y = labels[r] as number;
      for (let k = 0; k < groups; k++) {
        const p = probabilities[k] as number;
        const slot = 2 * (k * rows + r);
        out[slot] = p - (k === y ? 1 : 0);
        // XGBoost's softmax hessian, factor 2 included.
        out[slot + 1] = Math.max(2 * p * (1 - p), MIN_HESSIAN);
      }
    }
  }
}

/** Softmax of `count` margins from `from`, written at `to`; shifted by the max so exp cannot overflow. */
function softmaxInto(
  margins: Float64Array,
  from: number,
  count: number,
  out: Float64Array,
  to: number,
): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < count; k++) max = Math.max(max, margins[from + k] as number);
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const e = Math.exp((margins[from + k] as number) - max);
    out[to + k] = e;
    sum += e;
  }
  for (let k = 0; k < count; k++) out[to + k] = (out[to + k] as number) / sum;
}

/**
 * Margins to what metrics are computed on, as XGBoost's evaluation does: the positive-class probability
 * (binary), class probabilities row-major (both `multi:*` objectives), the value itself (regression).
 */
export function evaluationTransform(
  objective: Objective,
  margins: Float64Array,
  groups: number,
): Float64Array {
  const out = new Float64Array(margins.length);
  if (objective === 'binary:logistic') {
    for (let i = 0; i < margins.length; i++) out[i] = sigmoid(margins[i] as number);
  } else if (objective.startsWith('multi:')) {
    for (let from = 0; from < margins.length; from += groups) softmaxInto(margins, from, groups, out, from);
  } else {
    out.set(margins);
  }
  return out;
}

/** Index (relative to `from`) of the first largest of `count` values, as numpy's argmax picks. */
export function argmax(values: Float64Array, from: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++)
    if ((values[from + k] as number) > (values[from + best] as number)) best = k;
  return best;
}
