/**
 * The plan for writing an accepted dataset, from pass 1's facts: the training column order, the encoding of
 * categories and classes, the split strata and the statistics' bins; and the baseline statistics once the
 * splits are written.
 */
import {
  type DatasetContract,
  featureColumns,
  isClassification,
  type ProblemType,
} from '../shared/dataset-contract';
import {
  BASELINE_FORMAT_VERSION,
  type BaselineStatistics,
  type ColumnStatistics,
} from '../shared/drift/baseline-statistics';
import type { ValidateDatasetOptions } from './options';
import type { DatasetEncoding } from './report';
import type { OutputFeature, SplitLayout } from './split';
import {
  BinCounter,
  encodingOrder,
  type NumericAccumulator,
  numericStatistics,
  type PlannedBins,
  sortedFrequencies,
} from './statistics';
import type { ColumnState, PassResult } from './validate';
import { ValueIndex } from './value-index';

/** A feature in training order, with what pass 2 writes for it and its planned bins. */
export interface PlannedFeature {
  readonly state: ColumnState;
  readonly output: OutputFeature;
  /** Numeric only. */
  readonly bins?: PlannedBins;
}

/** Everything pass 2 and the results need, in training order. */
export interface Plan {
  readonly layout: SplitLayout;
  readonly encoding: DatasetEncoding;
  /** Rows per stratum, indexed by class code (one stratum for regression). */
  readonly strata: number[];
  /** Classification: classes in encoding order with their counts. */
  readonly classes?: readonly { value: string; count: number }[] | undefined;
  readonly features: readonly PlannedFeature[];
  /** Regression only. */
  readonly labelBins?: PlannedBins | undefined;
}

export function buildPlan(
  contract: DatasetContract | undefined,
  result: PassResult,
  target: ColumnState,
  problemType: ProblemType,
  options: ValidateDatasetOptions,
): Plan {
  const byName = new Map(result.columns.map((column) => [column.name, column]));
  const order =
    contract === undefined
      ? result.columns.filter((c) => !c.isTarget).map((c) => c.name)
      : featureColumns(contract).map((c) => c.name);
  const features = order.map((name) => planFeature(byName.get(name) as ColumnState, options));
  const classes = isClassification(problemType) ? classOrder(target) : undefined;
  const labelBins =
    classes === undefined ? (target.numeric as NumericAccumulator).planBins(options.bins) : undefined;
  const layout: SplitLayout = {
    width: result.header.length,
    labelIndex: target.fileIndex,
    ...(classes === undefined
      ? {
          labelVerbatim: target.allPlain,
          ...(labelBins?.counts === null ? { labelBins: new BinCounter(labelBins.edges) } : {}),
        }
      : { classes: ValueIndex.of(classes.map((c) => c.value)) }),
    features: features.map((feature) => feature.output),
  };
  const encoding: DatasetEncoding = {
    formatVersion: 1,
    format: 'xgboost-csv',
    label: {
      name: target.name,
      problemType,
      ...(classes === undefined ? {} : { classes: classes.map((c) => c.value) }),
    },
    features: features.map(({ state, output }) => ({
      name: state.name,
      type: state.type,
      ...(output.codes === undefined ? {} : { categories: output.codes.values }),
    })),
  };
  const strata = classes === undefined ? [result.rows] : classes.map((c) => c.count);
  return {
    layout,
    encoding,
    strata,
    features,
    classes,
    labelBins,
  };
}

function planFeature(state: ColumnState, options: ValidateDatasetOptions): PlannedFeature {
  const { fileIndex } = state;
  if (state.type === 'numeric') {
    const bins = (state.numeric as NumericAccumulator).planBins(options.bins);
    const counter = bins.counts === null ? { bins: new BinCounter(bins.edges) } : {};
    return { state, output: { fileIndex, type: 'numeric', verbatim: state.allPlain, ...counter }, bins };
  }
  const categories = state.allowed ? (state.categories as ValueIndex).values : encodingOrder(observed(state));
  return { state, output: { fileIndex, type: 'categorical', codes: ValueIndex.of(categories) } };
}

/** Observed (counted) values of a categorical column. */
export function observed(state: ColumnState): string[] {
  return (state.categories as ValueIndex).values.filter((_, code) => (state.counts[code] ?? 0) > 0);
}

/** Declared labels keep their order (and may include absent ones); observed ones get {@link encodingOrder}. */
export function classOrder(target: ColumnState): { value: string; count: number }[] {
  const index = target.categories as ValueIndex;
  const values = target.allowed ? index.values : encodingOrder(observed(target));
  return values.map((value) => ({ value, count: target.counts[index.indexOf(value)] ?? 0 }));
}

export function buildStatistics(
  plan: Plan,
  result: PassResult,
  target: ColumnState,
  problemType: ProblemType,
  options: ValidateDatasetOptions,
): BaselineStatistics {
  const features = plan.features.map(({ state, output, bins }): ColumnStatistics => {
    if (state.type === 'numeric') {
      const accumulator = state.numeric as NumericAccumulator;
      return numericStatistics(
        state.name,
        state.nulls,
        accumulator,
        bins?.edges ?? [],
        binCounts(bins, output.bins),
      );
    }
    const counts = new Map(observed(state).map((value) => [value, 0]));
    (state.categories as ValueIndex).values.forEach((value, code) => {
      if (counts.has(value)) counts.set(value, state.counts[code] ?? 0);
    });
    return {
      name: state.name,
      type: 'categorical',
      count: state.nonNull,
      nulls: state.nulls,
      frequencies: sortedFrequencies(counts),
    };
  });
  const { labelBins, classes } = plan;
  const label =
    classes === undefined
      ? {
          name: target.name,
          problemType,
          numeric: numericStatistics(
            target.name,
            0,
            target.numeric as NumericAccumulator,
            labelBins?.edges ?? [],
            binCounts(labelBins, plan.layout.labelBins),
          ),
        }
      : {
          name: target.name,
          problemType,
          classes: classes.map(({ value, count }, code) => ({ value, code, count })),
        };
  return {
    formatVersion: BASELINE_FORMAT_VERSION,
    rows: result.rows,
    sampleSize: options.sampleSize,
    seed: options.seed,
    features,
    label,
  };
}

/** Bin counts from pass 1 (exact grid sums) or from the pass-2 counter. */
function binCounts(planned: PlannedBins | undefined, counter: BinCounter | undefined): number[] {
  return planned?.counts ?? (counter === undefined ? [] : Array.from(counter.counts));
}
