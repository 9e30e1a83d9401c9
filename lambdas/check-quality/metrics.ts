/**
 * The objective metric of a window's labeled predictions, computed as the training job computes it on the
 * validation split, so a window's value and the version's registered value compare like for like.
 *
 * Definitions (XGBoost "Learning Task Parameters", https://xgboost.readthedocs.io/en/stable/parameter.html, and
 * SageMaker's "Tune an XGBoost model", https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-tuning.html):
 * - error: #(wrong)/#(all), a prediction larger than 0.5 counting as the positive class; accuracy: #(right)/#(all);
 * - merror: #(wrong)/#(all) of the predicted class (the most probable one for multi:softprob);
 * - logloss / mlogloss: the mean negative log-likelihood of the true class, probabilities clipped to
 *   [1e-15, 1 − 1e-15] so one confident mistake gives a large finite loss (scikit-learn's log_loss clipping);
 * - auc: area under the ROC curve = the Mann–Whitney U statistic / (n₊·n₋), ties counted as one half (midranks)
 *   (Hanley & McNeil 1982, "The meaning and use of the area under a ROC curve", Radiology 143:29–36);
 * - f1: harmonic mean of precision and recall — of the positive class for binary; for multiclass the unweighted
 *   mean over the classes seen (macro F1, an assumption: SageMaker does not say which average it uses);
 * - rmse, mse, mae: root mean squared, mean squared, mean absolute error.
 */
import type { ProblemType } from '../shared/metrics';

/** The metric names without their `validation:` prefix that a window can be judged on. */
export const QUALITY_METRICS = [
  'auc',
  'error',
  'accuracy',
  'f1',
  'logloss',
  'merror',
  'mlogloss',
  'rmse',
  'mae',
  'mse',
] as const;
export type QualityMetric = (typeof QUALITY_METRICS)[number];

/** Probabilities are clipped to [EPSILON, 1 − EPSILON] in log losses. */
export const LOG_LOSS_EPSILON = 1e-15;

/** How the model's output per row reads, by its XGBoost objective. */
export type OutputKind = 'probability' | 'margin' | 'class' | 'probabilities' | 'value';

/**
 * How an objective's output reads: binary:logistic a probability of class 1; binary:logitraw a margin (the
 * probability is its logistic); binary:hinge and multi:softmax a class index; multi:softprob one probability per
 * class; regression objectives a value (XGBoost objective docs, same page as above).
 */
export function outputKind(objective: string, problemType: ProblemType): OutputKind {
  if (objective === 'binary:logistic') return 'probability';
  if (objective === 'binary:logitraw') return 'margin';
  if (objective === 'binary:hinge' || objective === 'multi:softmax') return 'class';
  if (objective === 'multi:softprob') return 'probabilities';
  if (problemType === 'binary') return 'probability';
  if (problemType === 'multiclass') return 'class';
  return 'value';
}

/** Why a row could not be scored. */
export interface SkippedRows {
  /** The label is not a class the model knows (classification) or not a number (regression). */
  unknownLabel: number;
  /** The output is missing, not a number, or of the wrong width. */
  badPrediction: number;
}

/** The metrics of a window: every one that applies to the output kind, and the row counts. */
export interface QualityValues {
  readonly rows: number;
  readonly values: Partial<Record<QualityMetric, number>>;
  readonly skipped: SkippedRows;
}

/**
 * Accumulates labeled predictions and computes the metrics that apply. Sums for everything but AUC, which keeps
 * the scores (8 bytes + 1 per binary row) because it ranks them; labeled rows are few next to the traffic.
 */
export class QualityAccumulator {
  private n = 0;
  private wrong = 0;
  private logLoss = 0;
  /** Sums of squares of the per-row losses, for the standard errors of their means. */
  private logLossSquared = 0;
  private squared = 0;
  private fourth = 0;
  private absolute = 0;
  private positiveCount = 0;
  private scores = new Float64Array(1024);
  private positives = new Uint8Array(1024);
  private readonly confusion: { tp: number; fp: number; fn: number }[];
  private logLossDefined = true;
  private scored = true;
  private scoreCount = 0;
  readonly skipped: SkippedRows = { unknownLabel: 0, badPrediction: 0 };

  /**
   * @param kind - how the output reads ({@link outputKind})
   * @param classes - the label's classes in encoding order (classification); class i is encoded as i
   */
  constructor(
    private readonly kind: OutputKind,
    private readonly classes: readonly string[] = [],
  ) {
    const classCount = kind === 'value' ? 0 : Math.max(2, classes.length);
    this.confusion = Array.from({ length: classCount }, () => ({ tp: 0, fp: 0, fn: 0 }));
    this.logLossDefined = kind === 'probability' || kind === 'margin' || kind === 'probabilities';
  }

  /** Rows scored so far. */
  get rows(): number {
    return this.n;
  }

  /** The class index of a label: its class name, else an integer index within range; undefined otherwise. */
  classIndex(label: string): number | undefined {
    const byName = this.classes.indexOf(label);
    if (byName >= 0) return byName;
    const number = Number(label);
    const count = Math.max(2, this.classes.length);
    return Number.isInteger(number) && number >= 0 && number < count ? number : undefined;
  }

  /** Adds one labeled prediction; rows that cannot be scored are counted in {@link skipped}. */
  add(prediction: readonly number[] | undefined, label: string): void {
    if (prediction === undefined || prediction.length === 0 || prediction.some((v) => !Number.isFinite(v))) {
      this.skipped.badPrediction++;
      return;
    }
    if (this.kind === 'value') this.addValue(prediction, label);
    else this.addClass(prediction, label);
  }

  private addValue(prediction: readonly number[], label: string): void {
    const truth = label.trim() === '' ? Number.NaN : Number(label);
    if (!Number.isFinite(truth)) {
      this.skipped.unknownLabel++;
      return;
    }
    const residual = (prediction[0] as number) - truth;
    this.n++;
    this.squared += residual * residual;
    this.fourth += residual ** 4;
    this.absolute += Math.abs(residual);
  }

  private addClass(prediction: readonly number[], label: string): void {
    const truth = this.classIndex(label);
    if (truth === undefined) {
      this.skipped.unknownLabel++;
      return;
    }
    const classCount = this.confusion.length;
    let predicted: number;
    let probabilityOfTruth: number | undefined;
    let score: number | undefined;
    const first = prediction[0] as number;
    if (this.kind === 'probabilities') {
      if (prediction.length !== classCount) {
        this.skipped.badPrediction++;
        return;
      }
      predicted = 0;
      for (let k = 1; k < classCount; k++) {
        if ((prediction[k] as number) > (prediction[predicted] as number)) predicted = k;
      }
      probabilityOfTruth = prediction[truth] as number;
      if (classCount === 2) score = prediction[1] as number;
    } else if (this.kind === 'class') {
      if (!Number.isInteger(first) || first < 0 || first >= classCount) {
        this.skipped.badPrediction++;
        return;
      }
      predicted = first;
    } else {
      const p = this.kind === 'margin' ? 1 / (1 + Math.exp(-first)) : first;
      if (p < 0 || p > 1 || truth > 1) {
        if (truth > 1) this.skipped.unknownLabel++;
        else this.skipped.badPrediction++;
        return;
      }
      predicted = p > 0.5 ? 1 : 0;
      probabilityOfTruth = truth === 1 ? p : 1 - p;
      score = this.kind === 'margin' ? first : p;
    }
    this.n++;
    if (predicted !== truth) this.wrong++;
    for (let k = 0; k < classCount; k++) {
      const cell = this.confusion[k] as { tp: number; fp: number; fn: number };
      if (predicted === k && truth === k) cell.tp++;
      else if (predicted === k) cell.fp++;
      else if (truth === k) cell.fn++;
    }
    if (probabilityOfTruth === undefined) this.logLossDefined = false;
    else {
      const p = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, probabilityOfTruth));
      this.logLoss -= Math.log(p);
      this.logLossSquared += Math.log(p) ** 2;
    }
    if (score !== undefined) this.pushScore(score, truth === 1);
    else this.scored = false;
  }

  private pushScore(score: number, positive: boolean): void {
    const index = this.scoreCount++;
    if (index >= this.scores.length) {
      const scores = new Float64Array(this.scores.length * 2);
      scores.set(this.scores);
      this.scores = scores;
      const positives = new Uint8Array(this.positives.length * 2);
      positives.set(this.positives);
      this.positives = positives;
    }
    this.scores[index] = score;
    this.positives[index] = positive ? 1 : 0;
    if (positive) this.positiveCount++;
  }

  /**
   * The standard error of the window's `metric` when the model is as good as its registered value `baseline`
   * (the null hypothesis of the quality test), or undefined when there is no usable formula (F1) or too few rows:
   * - error, merror, accuracy: a proportion, √(p₀(1 − p₀)/n) at p₀ = the baseline;
   * - auc: Hanley & McNeil (1982, Radiology 143:29–36, eq. 2) at A = the baseline, with Q₁ = A/(2 − A),
   *   Q₂ = 2A²/(1 + A): SE² = [A(1 − A) + (n₊ − 1)(Q₁ − A²) + (n₋ − 1)(Q₂ − A²)] / (n₊n₋);
   * - logloss, mlogloss, mae, mse: means of per-row losses, s/√n (central limit theorem);
   * - rmse = √mse: by the delta method, SE(mse) / (2·rmse).
   */
  standardError(metric: QualityMetric, baseline: number): number | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    switch (metric) {
      case 'error':
      case 'merror':
      case 'accuracy': {
        const p = Math.min(1, Math.max(0, baseline));
        return Math.sqrt((p * (1 - p)) / n);
      }
      case 'auc': {
        const positives = this.positiveCount;
        const negatives = this.scoreCount - positives;
        if (positives === 0 || negatives === 0) return undefined;
        const a = Math.min(1, Math.max(0, baseline));
        const q1 = a / (2 - a);
        const q2 = (2 * a * a) / (1 + a);
        const variance =
          (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) /
          (positives * negatives);
        return Math.sqrt(Math.max(0, variance));
      }
      case 'logloss':
      case 'mlogloss':
        return this.logLossDefined ? meanStandardError(this.logLoss, this.logLossSquared, n) : undefined;
      case 'mae':
        return meanStandardError(this.absolute, this.squared, n);
      case 'mse':
        return meanStandardError(this.squared, this.fourth, n);
      case 'rmse': {
        const se = meanStandardError(this.squared, this.fourth, n);
        const rmse = Math.sqrt(this.squared / n);
        return se === undefined || rmse === 0 ? undefined : se / (2 * rmse);
      }
      default:
        return undefined;
    }
  }

  /**
   * The continuity correction of a proportion's normal approximation, 1/(2n) (Yates): the error count is
   * discrete and its binomial tail is skewed, so without it the test flags more windows than alpha (at n = 200 and
   * p₀ = 0.1, 6.7 % instead of 4.3 % with it, by the exact binomial tail). 0 for the other metrics.
   */
  continuityCorrection(metric: QualityMetric): number {
    return this.n > 0 && (metric === 'error' || metric === 'merror' || metric === 'accuracy')
      ? 0.5 / this.n
      : 0;
  }

  /** Every metric that applies to the output kind and the rows seen (none without rows). */
  values(): QualityValues {
    const values: Partial<Record<QualityMetric, number>> = {};
    const n = this.n;
    if (n > 0 && this.kind === 'value') {
      values.mse = this.squared / n;
      values.rmse = Math.sqrt(this.squared / n);
      values.mae = this.absolute / n;
    } else if (n > 0) {
      const errorRate = this.wrong / n;
      const binary = this.confusion.length === 2;
      if (binary) values.error = errorRate;
      else values.merror = errorRate;
      values.accuracy = 1 - errorRate;
      values.f1 = binary ? f1(this.confusion[1]) : macroF1(this.confusion);
      if (this.logLossDefined) {
        if (binary) values.logloss = this.logLoss / n;
        else values.mlogloss = this.logLoss / n;
      }
      if (binary && this.scored) {
        const auc = rocAuc(
          this.scores.subarray(0, this.scoreCount),
          this.positives.subarray(0, this.scoreCount),
        );
        if (auc !== undefined) values.auc = auc;
      }
    }
    return { rows: n, values, skipped: { ...this.skipped } };
  }
}

function f1(cell: { tp: number; fp: number; fn: number } | undefined): number {
  if (cell === undefined) return 0;
  const denominator = 2 * cell.tp + cell.fp + cell.fn;
  // No positive predicted and none true: nothing was missed or falsely claimed.
  return denominator === 0 ? 1 : (2 * cell.tp) / denominator;
}

/** The unweighted mean of the per-class F1 over the classes that were predicted or true in the window. */
function macroF1(cells: readonly { tp: number; fp: number; fn: number }[]): number {
  const seen = cells.filter((cell) => cell.tp + cell.fp + cell.fn > 0);
  return seen.length === 0 ? 1 : seen.reduce((sum, cell) => sum + f1(cell), 0) / seen.length;
}

/**
 * ROC AUC as U / (n₊·n₋) with midranks for ties (Mann–Whitney); undefined when one class is absent (no curve).
 * O(n log n) in the sort.
 */
export function rocAuc(scores: Float64Array, positives: Uint8Array): number | undefined {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positiveRankSum = 0;
  let positiveCount = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    const value = scores[order[start] as number] as number;
    while (end < n && scores[order[end] as number] === value) end++;
    // Ranks start..end-1 (1-based: start+1..end) share their mean.
    const midrank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) {
      if (positives[order[i] as number] === 1) {
        positiveRankSum += midrank;
        positiveCount++;
      }
    }
    start = end;
  }
  const negativeCount = n - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return undefined;
  const u = positiveRankSum - (positiveCount * (positiveCount + 1)) / 2;
  return u / (positiveCount * negativeCount);
}

/** The standard error of a mean from the sums of the values and of their squares (sample variance, n − 1). */
function meanStandardError(sum: number, sumOfSquares: number, n: number): number | undefined {
  if (n < 2) return undefined;
  const mean = sum / n;
  const variance = Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1));
  return Math.sqrt(variance / n);
}
