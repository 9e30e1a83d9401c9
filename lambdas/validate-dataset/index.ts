/**
 * The ValidateDataset step's pure core: streams a CSV, checks it against the model's data contract (or
 * infers one) and, when the data is accepted, writes the XGBoost train/validation splits and returns the
 * report, encoding, baseline statistics, lineage and contract. It knows nothing about S3 or Lambda: the
 * handler passes an `open()` factory for the object (pinned to its version id) and the split sinks.
 *
 * Two passes over the input, each in constant memory:
 * 1. validate, infer types, count classes, collect statistics and the sha256 (writes nothing);
 * 2. only if pass 1 accepted: encode, split (exact stratified counts need pass 1's class counts), count
 *    the values per quantile bin (the edges come from pass 1's samples) and write the splits.
 * Without a contract, a column that turns out to be text after numbers were seen needs its categories
 * counted again, so pass 1 is re-run once with the types fixed (a third read, only in that case).
 */
import { createHash } from 'node:crypto';
import {
  type DatasetContract,
  featureColumns,
  isClassification,
  type ProblemType,
} from '../shared/dataset-contract';
import { CsvScanner, CsvSyntaxError } from './csv-scanner';
import { resolveOptions, type ValidateDatasetOptions } from './options';
import { ProblemCollector } from './problems';
import { buildReport, type DatasetEncoding, type DatasetLineage, type ValidationReport } from './report';
import type { ArtifactSink, OpenDataset, OpenSink } from './sinks';
import {
  DatasetChangedError,
  LineSplitWriter,
  lineLayoutFits,
  type OutputFeature,
  planSplit,
  type SplitLayout,
  type SplitSummary,
  type Splitter,
  SplitWriter,
} from './split';
import {
  type BaselineStatistics,
  BinCounter,
  type ColumnStatistics,
  encodingOrder,
  type NumericAccumulator,
  numericStatistics,
  type PlannedBins,
  sortedFrequencies,
} from './statistics';
import { type ColumnState, type PassResult, type PassSettings, ValidationPass } from './validate';
import { ValueIndex } from './value-index';

export type { DatasetContract, ProblemType } from '../shared/dataset-contract';
export type { ValidateDatasetOptions } from './options';
export type { DatasetProblem, ProblemKind } from './problems';
export type { DatasetEncoding, DatasetLineage, ValidationReport } from './report';
export {
  type ArtifactSink,
  bytesDataset,
  fileSink,
  MemorySink,
  type OpenDataset,
  type OpenSink,
  type SplitName,
  writableSink,
} from './sinks';
export type { BaselineStatistics, ColumnStatistics } from './statistics';
export { DatasetChangedError, type SplitSummary };

/** What {@link validateDataset} is given. */
export interface ValidateDatasetInput {
  /** Opens the CSV from its first byte; called once per pass (two, rarely three times). */
  readonly open: OpenDataset;
  /** Opens the train and validation sinks; only called once the data was accepted. */
  readonly openSink: OpenSink;
  /** The model's contract (schema.json, or the contract inferred from an earlier dataset). */
  readonly contract?: DatasetContract;
  /** Without a contract: the label column (required then). With one, it must agree. */
  readonly targetColumn?: string;
  /** Without a contract: the problem type (inferred from the label when absent). With one, it must agree. */
  readonly problemType?: ProblemType;
  /** The declared size (e.g. S3 ContentLength): over `maxBytes` is rejected before reading. */
  readonly contentLength?: number;
  readonly options?: Partial<ValidateDatasetOptions>;
}

/** The data was rejected: only the report exists; nothing was written. */
export interface RejectedDataset {
  readonly status: 'rejected';
  readonly report: ValidationReport;
}

/** The data was accepted: the splits were written and committed. */
export interface AcceptedDataset {
  readonly status: 'accepted';
  readonly report: ValidationReport;
  /** The declared contract, or the one inferred from this dataset (to store when none exists). */
  readonly contract: DatasetContract;
  readonly contractSource: 'declared' | 'inferred';
  readonly encoding: DatasetEncoding;
  readonly statistics: BaselineStatistics;
  readonly split: SplitSummary;
  readonly lineage: DatasetLineage;
}

export type ValidateDatasetResult = AcceptedDataset | RejectedDataset;

interface PassOutcome {
  readonly result: PassResult;
  readonly bytes: number;
  readonly sha256: string | undefined;
  readonly stoppedEarly: boolean;
}

/**
 * Validates a CSV dataset and, when it is accepted, writes its train/validation splits.
 * Problems with the data are reported in the result (never thrown). Throws for invalid options, for
 * failing sinks or input streams, and {@link DatasetChangedError} when the input differs between passes;
 * in those cases every opened sink was aborted.
 */
export async function validateDataset(input: ValidateDatasetInput): Promise<ValidateDatasetResult> {
  const startedAt = performance.now();
  const options = resolveOptions(input.options);
  const problems = new ProblemCollector(options.maxProblems);
  const contractSource = input.contract === undefined ? 'inferred' : 'declared';
  const reject = (facts: Partial<PassOutcome>): RejectedDataset => ({
    status: 'rejected',
    report: buildReport(
      {
        status: 'rejected',
        rows: facts.result?.rows ?? 0,
        columns: facts.result?.header ?? [],
        target: facts.result?.target?.name ?? input.contract?.target ?? input.targetColumn,
        problemType: facts.result?.problemType ?? input.contract?.problemType ?? input.problemType,
        contractSource,
        bytes: facts.bytes ?? 0,
        ...(facts.sha256 === undefined ? {} : { sha256: facts.sha256 }),
        startedAt,
        stoppedEarly: facts.stoppedEarly ?? true,
      },
      problems,
    ),
  });

  checkConfiguration(input, options, problems);
  if (problems.total > 0) return reject({});

  const settings: PassSettings = {
    options,
    ...(input.contract === undefined ? {} : { contract: input.contract }),
    ...(input.targetColumn === undefined ? {} : { target: input.targetColumn }),
    ...(input.problemType === undefined ? {} : { problemType: input.problemType }),
  };
  let outcome = await runValidationPass(input.open, settings, problems);
  if (outcome.result.needsRerun && !outcome.stoppedEarly) {
    problems.clear();
    const fixedTypes = new Map(outcome.result.columns.map((column) => [column.name, column.type]));
    outcome = await runValidationPass(input.open, { ...settings, fixedTypes }, problems);
  }
  const { result } = outcome;
  if (!outcome.stoppedEarly) checkWholeDataset(result, options, problems);
  const target = result.target;
  if (problems.total > 0 || target === undefined || result.problemType === undefined) return reject(outcome);

  const plan = buildPlan(input.contract, result, target, result.problemType, options);
  const splitPlan = planSplit(plan.strata, options.validationFraction);
  const { seed, outputChunkBytes, maxLineBytes } = options;
  const writer =
    !result.quotedData && lineLayoutFits(plan.layout)
      ? new LineSplitWriter(plan.layout, splitPlan, seed, outputChunkBytes, result.dataOffset)
      : new SplitWriter(plan.layout, splitPlan, seed, outputChunkBytes, maxLineBytes);
  await runSplitPass(input, writer, outcome);

  const split = writer.summary(options.validationFraction, options.seed, plan.classes !== undefined);
  const report = buildReport(
    {
      status: 'accepted',
      rows: result.rows,
      columns: result.header,
      target: target.name,
      problemType: result.problemType,
      contractSource,
      bytes: outcome.bytes,
      ...(outcome.sha256 === undefined ? {} : { sha256: outcome.sha256 }),
      startedAt,
      stoppedEarly: false,
      split,
    },
    problems,
  );
  return {
    status: 'accepted',
    report,
    contract: input.contract ?? inferContract(result, target, result.problemType, plan.classes),
    contractSource,
    encoding: plan.encoding,
    statistics: buildStatistics(plan, result, target, result.problemType, options),
    split,
    lineage: { sha256: outcome.sha256 ?? '', bytes: outcome.bytes, rows: result.rows },
  };
}

/** Problems that need no reading: conflicting configuration, a declared size over the limit. */
function checkConfiguration(
  input: ValidateDatasetInput,
  options: ValidateDatasetOptions,
  problems: ProblemCollector,
): void {
  const { contract } = input;
  if (contract !== undefined && input.targetColumn !== undefined && input.targetColumn !== contract.target) {
    problems.add({
      kind: 'contract-conflict',
      message: `the configured target column ${JSON.stringify(input.targetColumn)} differs from the contract's target ${JSON.stringify(contract.target)} (expected them to agree)`,
    });
  }
  if (
    contract !== undefined &&
    input.problemType !== undefined &&
    input.problemType !== contract.problemType
  ) {
    problems.add({
      kind: 'contract-conflict',
      message: `the configured problem type "${input.problemType}" differs from the contract's "${contract.problemType}" (expected them to agree)`,
    });
  }
  if (input.contentLength !== undefined && input.contentLength > options.maxBytes) {
    problems.add(tooLarge(input.contentLength, options.maxBytes, 'declares'));
  }
}

function tooLarge(bytes: number, maxBytes: number, verb: 'declares' | 'has at least') {
  return {
    kind: 'too-large' as const,
    message: `the file ${verb} ${bytes} bytes (expected at most ${maxBytes}, the configured maxBytes)`,
    expected: `at most ${maxBytes} bytes`,
  };
}

/** Pass 1: validation, inference, statistics and the sha256. Syntax errors become (fatal) problems. */
async function runValidationPass(
  open: OpenDataset,
  settings: PassSettings,
  problems: ProblemCollector,
): Promise<PassOutcome> {
  const { options } = settings;
  const pass = new ValidationPass(settings, problems);
  const scanner = new CsvScanner(pass, { maxRecordBytes: options.maxLineBytes });
  pass.attach(scanner);
  const hash = createHash('sha256');
  let bytes = 0;
  let stoppedEarly = false;
  try {
    for await (const chunk of open()) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        problems.add(tooLarge(bytes, options.maxBytes, 'has at least'));
        stoppedEarly = true;
        break;
      }
      hash.update(chunk);
      scanner.push(chunk);
      if (scanner.stopped) {
        stoppedEarly = true;
        break;
      }
    }
    if (!stoppedEarly) scanner.finish();
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    problems.add({
      kind: error.kind,
      message: error.message,
      line: error.line,
      byteOffset: error.byteOffset,
      ...(error.record > 0 ? { row: error.record } : {}),
    });
    stoppedEarly = true;
  }
  const result = pass.finish(!stoppedEarly);
  return { result, bytes, sha256: stoppedEarly ? undefined : hash.digest('hex'), stoppedEarly };
}

/** Checks that need the whole file: enough rows, enough rows per class, the number of classes. */
function checkWholeDataset(
  result: PassResult,
  options: ValidateDatasetOptions,
  problems: ProblemCollector,
): void {
  const { target, problemType } = result;
  if (result.rows === 0 || target === undefined || problemType === undefined) return;
  if (result.rows < options.minRows) {
    problems.add({
      kind: 'too-few-rows',
      message: `the file has ${result.rows} data row${result.rows === 1 ? '' : 's'} (expected at least ${options.minRows}, the configured minRows)`,
      expected: `at least ${options.minRows} rows`,
    });
  }
  if (!isClassification(problemType) || target.categories === null || target.overflow) return;
  const present = target.categories.values.filter((_, code) => (target.counts[code] ?? 0) > 0);
  const name = JSON.stringify(target.name);
  if (present.length < 2) {
    problems.add({
      kind: 'single-class',
      message: `column ${name}: every row has the label ${JSON.stringify(present[0] ?? '')} (expected at least 2 classes for ${problemType} classification)`,
      column: target.name,
      expected: 'at least 2 classes',
    });
  }
  if (problemType === 'binary' && present.length > 2) {
    problems.add({
      kind: 'too-many-classes',
      message: `column ${name}: ${present.length} labels (${present
        .slice(0, 10)
        .map((v) => JSON.stringify(v))
        .join(', ')}) for binary classification (expected exactly 2)`,
      column: target.name,
      expected: 'exactly 2 classes',
    });
  }
  target.categories.values.forEach((value, code) => {
    if (target.counts[code] !== 1) return;
    problems.add({
      kind: 'too-few-rows',
      message: `column ${name}: the class ${JSON.stringify(value)} has only 1 row (expected at least 2, so that both the train and the validation split get one)`,
      column: target.name,
      value,
      expected: 'at least 2 rows per class',
    });
  });
}

/** A feature in training order, with what pass 2 writes for it and its planned bins. */
interface PlannedFeature {
  readonly state: ColumnState;
  readonly output: OutputFeature;
  /** Numeric only. */
  readonly bins?: PlannedBins;
}

/** Everything pass 2 and the results need, in training order. */
interface Plan {
  readonly layout: SplitLayout;
  readonly encoding: DatasetEncoding;
  /** Rows per stratum, indexed by class code (one stratum for regression). */
  readonly strata: number[];
  /** Classification: classes in encoding order with their counts. */
  readonly classes?: readonly { value: string; count: number }[];
  readonly features: readonly PlannedFeature[];
  /** Regression only. */
  readonly labelBins?: PlannedBins;
}

function buildPlan(
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
    ...(classes === undefined ? {} : { classes }),
    ...(labelBins === undefined ? {} : { labelBins }),
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
function observed(state: ColumnState): string[] {
  return (state.categories as ValueIndex).values.filter((_, code) => (state.counts[code] ?? 0) > 0);
}

/** Declared labels keep their order (and may include absent ones); observed ones get {@link encodingOrder}. */
function classOrder(target: ColumnState): { value: string; count: number }[] {
  const index = target.categories as ValueIndex;
  const values = target.allowed ? index.values : encodingOrder(observed(target));
  return values.map((value) => ({ value, count: target.counts[index.indexOf(value)] ?? 0 }));
}

/** Pass 2: writes the splits; aborts every opened sink on failure. */
async function runSplitPass(
  input: ValidateDatasetInput,
  writer: Splitter,
  pass1: PassOutcome,
): Promise<void> {
  const opened: ArtifactSink[] = [];
  try {
    const train = await input.openSink('train');
    opened.push(train);
    const validation = await input.openSink('validation');
    opened.push(validation);
    const drain = async (all: boolean): Promise<void> => {
      for (const chunk of writer.train.take(all)) await train.write(chunk);
      for (const chunk of writer.validation.take(all)) await validation.write(chunk);
    };
    let bytes = 0;
    for await (const chunk of input.open()) {
      bytes += chunk.length;
      writer.push(chunk);
      await drain(false);
    }
    writer.end();
    writer.finish(pass1.result.rows);
    if (bytes !== pass1.bytes)
      throw new DatasetChangedError(`pass 2 read ${bytes} bytes, pass 1 read ${pass1.bytes}`);
    await drain(true);
    await train.close();
    await validation.close();
  } catch (error) {
    const reason = error instanceof Error ? error : new Error(String(error));
    await Promise.all(opened.map((sink) => sink.abort(reason).catch(() => undefined)));
    throw error;
  }
}

/** The contract inferred from this dataset: observed types, nullability and classes; no ranges. */
function inferContract(
  result: PassResult,
  target: ColumnState,
  problemType: ProblemType,
  classes: readonly { value: string }[] | undefined,
): DatasetContract {
  return {
    target: target.name,
    problemType,
    columns: result.columns.map((column) => ({
      name: column.name,
      type: column.type,
      ...(column.nulls > 0 && !column.isTarget ? { nullable: true } : {}),
    })),
    ...(classes === undefined ? {} : { labels: classes.map((c) => c.value) }),
  };
}

function buildStatistics(
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
    formatVersion: 1,
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
