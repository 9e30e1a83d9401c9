/**
 * The baseline statistics the training validator writes (`runs/<runId>/baseline.json`) and the drift check
 * compares later data with: their shape, shared by the writer (lambdas/validate-dataset) and the readers.
 */
import type { ProblemType } from '../dataset-contract';
import * as z from '../zod';

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
  /**
   * The column's non-null values in the reservoir sample of rows, sorted ascending: a uniform sample of its
   * values without replacement, and every value when the dataset has at most `sampleSize` rows.
   */
  readonly reference: readonly number[];
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

/**
 * The format version of {@link BaselineStatistics} this code writes. Version 2 added the numeric columns'
 * `reference` samples; version 1 baselines (without them) cannot be drift-checked and are rejected by
 * readers with a message saying to retrain.
 */
export const BASELINE_FORMAT_VERSION = 2;

/** The baseline the drift monitor compares later data with (`statistics.json`). */
export interface BaselineStatistics {
  readonly formatVersion: typeof BASELINE_FORMAT_VERSION;
  readonly rows: number;
  /** Rows in the reservoir sample (quantile edges and reference samples), and the seed it was drawn with. */
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

/** Linear-interpolated quantile (type 7) of a sorted sample. */
export function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const lower = sorted[low] as number;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - low);
}

const numericColumnSchema = z.looseObject({
  name: z.string(),
  type: z.literal('numeric'),
  count: z.number(),
  nulls: z.number(),
  min: z.nullable(z.number()),
  max: z.nullable(z.number()),
  mean: z.nullable(z.number()),
  std: z.nullable(z.number()),
  binEdges: z.array(z.number()),
  binCounts: z.array(z.number()),
  reference: z.array(z.number()),
}) satisfies z.ZodMiniType<NumericColumnStatistics>;

const categoricalColumnSchema = z.looseObject({
  name: z.string(),
  type: z.literal('categorical'),
  count: z.number(),
  nulls: z.number(),
  frequencies: z.array(z.looseObject({ value: z.string(), count: z.number() })),
}) satisfies z.ZodMiniType<CategoricalColumnStatistics>;

/** baseline.json of {@link BASELINE_FORMAT_VERSION} (check the version first: an old one needs a retrain). */
export const baselineStatisticsSchema = z.looseObject({
  formatVersion: z.literal(BASELINE_FORMAT_VERSION),
  rows: z.number(),
  sampleSize: z.number(),
  seed: z.number(),
  features: z.array(z.discriminatedUnion('type', [numericColumnSchema, categoricalColumnSchema])),
  label: z.looseObject({
    name: z.string(),
    problemType: z.enum(['binary', 'multiclass', 'regression']),
    classes: z.exactOptional(
      z.array(z.looseObject({ value: z.string(), code: z.number(), count: z.number() })),
    ),
    numeric: z.exactOptional(numericColumnSchema),
  }),
}) satisfies z.ZodMiniType<BaselineStatistics>;
