/**
 * One window's drift accumulator: a counter per feature (and per prediction output) against the training
 * baseline, fed row by row in memory bounded by the baseline (reference samples and categories), never by
 * the window's size.
 */

import * as z from '../zod';
import {
  BASELINE_FORMAT_VERSION,
  type BaselineStatistics,
  type NumericColumnStatistics,
  quantile,
} from './baseline-statistics';
import { CategoricalDriftCounter } from './categorical';
import { NumericDriftCounter, type NumericReference } from './numeric';

/**
 * The version's predictions on its validation split (issue 10 §1), one reference array per output column:
 * binary `[p]`, multiclass K class probabilities, regression `[y]`.
 */
export interface PredictionBaseline {
  readonly formatVersion: 1;
  /** Output columns per prediction. */
  readonly outputs: number;
  /** Per output column, that column's value for every reference prediction. */
  readonly reference: readonly (readonly number[])[];
}

/** prediction-baseline.json (written by FinishDeployment). */
export const predictionBaselineSchema = z.looseObject({
  formatVersion: z.literal(1),
  outputs: z.int().check(z.gte(1)),
  reference: z.array(z.array(z.number())),
}) satisfies z.ZodMiniType<PredictionBaseline>;

/** Quantile bins of the prediction baseline's PSI (as the training baseline's default). */
const PREDICTION_BINS = 10;

/** A baseline that cannot be drift-checked (wrong or old format). */
export class UnsupportedBaselineError extends Error {
  override readonly name = 'UnsupportedBaselineError';
}

/** A feature's counter, with its name and type. */
export type FeatureCounter =
  | { readonly name: string; readonly type: 'numeric'; readonly counter: NumericDriftCounter }
  | { readonly name: string; readonly type: 'categorical'; readonly counter: CategoricalDriftCounter };

/** Accumulates one window; see the module comment. */
export class DriftAccumulator {
  readonly features: readonly FeatureCounter[];
  readonly predictions: readonly NumericDriftCounter[] | undefined;
  private rowCount = 0;
  private predictionCount = 0;
  /** Rows whose value count differed from the features' (counted, not used). */
  private malformed = 0;

  constructor(
    readonly baseline: BaselineStatistics,
    readonly predictionBaseline?: PredictionBaseline,
  ) {
    checkBaselineVersion(baseline);
    this.features = baseline.features.map((column): FeatureCounter => {
      if (column.type === 'numeric')
        return {
          name: column.name,
          type: 'numeric',
          counter: new NumericDriftCounter(numericReference(column)),
        };
      return {
        name: column.name,
        type: 'categorical',
        counter: new CategoricalDriftCounter({ frequencies: column.frequencies, nulls: column.nulls }),
      };
    });
    if (predictionBaseline !== undefined) {
      checkPredictionBaseline(predictionBaseline);
      this.predictions = predictionBaseline.reference.map(
        (values) => new NumericDriftCounter(referenceFromValues(values)),
      );
    }
  }

  /**
   * Counts one row: the features' values in baseline order; numeric ones as numbers (a numeric string is
   * parsed; anything non-finite counts as a null), categorical ones as the category (numbers are turned
   * into text). A row with the wrong number of values is counted in `malformedRows` and otherwise ignored.
   */
  addRow(values: readonly (number | string | null)[]): void {
    const features = this.features;
    if (values.length !== features.length) {
      this.malformed++;
      return;
    }
    this.rowCount++;
    for (let i = 0; i < features.length; i++) {
      const feature = features[i] as FeatureCounter;
      const value = values[i] as number | string | null;
      if (feature.type === 'numeric') {
        feature.counter.add(typeof value === 'string' ? (value.trim() === '' ? null : Number(value)) : value);
      } else {
        feature.counter.add(value === null ? null : String(value));
      }
    }
  }

  /** Counts one prediction's output columns (ignored without a prediction baseline or with a wrong width). */
  addPrediction(prediction: readonly number[]): void {
    const predictions = this.predictions;
    if (predictions === undefined || prediction.length !== predictions.length) return;
    this.predictionCount++;
    for (let i = 0; i < predictions.length; i++)
      (predictions[i] as NumericDriftCounter).add(prediction[i] ?? null);
  }

  /** Rows counted. */
  get rows(): number {
    return this.rowCount;
  }

  /** Predictions counted. */
  get predictionRows(): number {
    return this.predictionCount;
  }

  /** Rows ignored for having the wrong number of values. */
  get malformedRows(): number {
    return this.malformed;
  }
}

/**
 * Throws {@link UnsupportedBaselineError} unless `baseline` (parsed JSON) is of {@link BASELINE_FORMAT_VERSION}:
 * a version 1 baseline has no reference samples, and the model must be retrained.
 */
export function checkBaselineVersion(baseline: unknown): void {
  const version =
    typeof baseline === 'object' && baseline !== null
      ? (baseline as { formatVersion?: unknown }).formatVersion
      : undefined;
  if (version === BASELINE_FORMAT_VERSION) return;
  if (version === 1)
    throw new UnsupportedBaselineError(
      'baseline statistics formatVersion 1 has no reference samples for the drift tests: retrain the model ' +
        '(training writes formatVersion 2)',
    );
  throw new UnsupportedBaselineError(
    `unsupported baseline statistics formatVersion ${JSON.stringify(version)} (expected ${BASELINE_FORMAT_VERSION})`,
  );
}

function checkPredictionBaseline(baseline: PredictionBaseline): void {
  if (baseline.formatVersion !== 1)
    throw new UnsupportedBaselineError(
      `unsupported prediction baseline formatVersion ${baseline.formatVersion}`,
    );
  if (baseline.reference.length !== baseline.outputs)
    throw new UnsupportedBaselineError(
      `prediction baseline has ${baseline.reference.length} reference columns for ${baseline.outputs} outputs`,
    );
}

function numericReference(column: NumericColumnStatistics): NumericReference {
  return {
    sample: column.reference,
    binEdges: column.binEdges,
    binCounts: column.binCounts,
    min: column.min,
    max: column.max,
    std: column.std,
    count: column.count,
    nulls: column.nulls,
  };
}

/**
 * A reference built from every value (the prediction baseline): sorted sample, quantile bins (type 7, as
 * the training baseline's) with exact counts, min, max and population std. Non-finite values are nulls.
 */
export function referenceFromValues(values: readonly number[]): NumericReference {
  const sorted = Float64Array.from(values.filter((x) => Number.isFinite(x))).sort();
  const n = sorted.length;
  const nulls = values.length - n;
  if (n === 0)
    return { sample: [], binEdges: [], binCounts: [], min: null, max: null, std: null, count: 0, nulls };
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  const edges = [min];
  for (let b = 1; b < PREDICTION_BINS; b++) {
    const edge = quantile(sorted, b / PREDICTION_BINS);
    if (edge > (edges[edges.length - 1] as number) && edge < max) edges.push(edge);
  }
  edges.push(max);
  const binCounts = new Array<number>(Math.max(edges.length - 1, 1)).fill(0);
  let bin = 0;
  for (const x of sorted) {
    while (bin < binCounts.length - 1 && x >= (edges[bin + 1] as number)) bin++;
    binCounts[bin] = (binCounts[bin] as number) + 1;
  }
  let mean = 0;
  for (const x of sorted) mean += x;
  mean /= n;
  let squares = 0;
  for (const x of sorted) squares += (x - mean) ** 2;
  return {
    sample: Array.from(sorted),
    binEdges: edges,
    binCounts,
    min,
    max,
    std: Math.sqrt(squares / n),
    count: n,
    nulls,
  };
}
