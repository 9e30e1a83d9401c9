/**
 * The ValidateDataset step's pure core: streams a CSV, checks it against the model's data contract (or
 * infers one) and, when the data is accepted, writes the XGBoost train/validation splits and returns the
 * report, encoding, baseline statistics, lineage and contract. It knows nothing about S3 or Lambda: the
 * handler passes an `open()` factory for the object (pinned to its version id) and the split sinks.
 *
 * This module orchestrates; the passes (passes.ts), the checks around them (checks.ts), the plan for the
 * splits and statistics (plan.ts) and the inferred contract (inference.ts) live in their own modules.
 *
 * Two passes over the input, each in constant memory:
 * 1. validate, infer types, count classes, collect statistics and the sha256 (writes nothing);
 * 2. only if pass 1 accepted (and the caller wants splits): encode, split (exact stratified counts need
 *    pass 1's class counts), count the values per quantile bin (the edges come from pass 1's samples) and
 *    write the splits.
 * Without a contract, a column that turns out to be text after numbers were seen needs its categories
 * counted again, so pass 1 is re-run once with the types fixed (a third read, only in that case).
 */
import {
  type ColumnType,
  type DatasetContract,
  isClassification,
  type ProblemType,
} from '../shared/dataset-contract';
import type { BaselineStatistics } from '../shared/drift/baseline-statistics';
import { checkConfiguration, checkWholeDataset } from './checks';
import { inferContract } from './inference';
import { resolveOptions, type ValidateDatasetOptions } from './options';
import { type PassOutcome, runSplitPass, runValidationPass } from './passes';
import { buildPlan, buildStatistics, classOrder } from './plan';
import { ProblemCollector } from './problems';
import { buildReport, type DatasetEncoding, type DatasetLineage, type ValidationReport } from './report';
import type { OpenDataset, OpenSink } from './sinks';
import {
  DatasetChangedError,
  LineSplitWriter,
  lineLayoutFits,
  planSplit,
  type SplitSummary,
  SplitWriter,
} from './split';
import type { ColumnState, PassResult, PassSettings } from './validate';

export type { DatasetContract, ProblemType } from '../shared/dataset-contract';
export type { BaselineStatistics, ColumnStatistics } from '../shared/drift/baseline-statistics';
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
export { DatasetChangedError, type SplitSummary };

/** What {@link validateDataset} is given. */
export interface ValidateDatasetInput {
  /** Opens the CSV from its first byte; called once per pass (one to three times). */
  readonly open: OpenDataset;
  /**
   * Opens the train and validation sinks; only called once the data was accepted. Without it, pass 2 does
   * not run and an accepted dataset comes back `checked` (e.g. `mlops validate` / `mlops init` on a file).
   */
  readonly openSink?: OpenSink;
  /**
   * Asked once pass 1 accepted the data, with what it read (the sha256 among it): false stops there, and
   * the result is `checked` (e.g. the bytes were trained before). @default always true
   */
  readonly shouldSplit?: (lineage: DatasetLineage) => boolean | Promise<boolean>;
  // What the caller knows of the data, each undefined when it does not know it.
  /** The model's contract (schema.json, or the contract inferred from an earlier dataset). */
  readonly contract?: DatasetContract | undefined;
  /** Without a contract: the label column (required then). With one, it must agree. */
  readonly targetColumn?: string | undefined;
  /** Without a contract: the problem type (inferred from the label when absent). With one, it must agree. */
  readonly problemType?: ProblemType | undefined;
  /**
   * Without a contract: the allowed labels, in encoding order (classification; other labels are problems).
   * With one, they must agree with its `labels`.
   */
  readonly labels?: readonly string[] | undefined;
  /** The declared size (e.g. S3 ContentLength): over `maxBytes` is rejected before reading. */
  readonly contentLength?: number | undefined;
  readonly options?: Partial<ValidateDatasetOptions>;
}

/** The data was rejected: only the report exists; nothing was written. */
export interface RejectedDataset {
  readonly status: 'rejected';
  readonly report: ValidationReport;
  /**
   * The columns pass 1 checked, with the type it had for each when it stopped (declared, or inferred so far);
   * empty when it never read the header. What `mlops validate` shows of a rejected file.
   */
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
}

/** What every dataset pass 1 accepted comes with. */
interface AcceptedFacts {
  /** `status: 'accepted'`. */
  readonly report: ValidationReport;
  /** The declared contract, or the one inferred from this dataset (to store when none exists). */
  readonly contract: DatasetContract;
  readonly contractSource: 'declared' | 'inferred';
  readonly lineage: DatasetLineage;
}

/** The data was accepted: the splits were written and committed. */
export interface AcceptedDataset extends AcceptedFacts {
  readonly status: 'accepted';
  readonly encoding: DatasetEncoding;
  readonly statistics: BaselineStatistics;
  readonly split: SplitSummary;
}

/** The data was accepted by pass 1, and pass 2 was not wanted (no sink, or shouldSplit said no). */
export interface CheckedDataset extends AcceptedFacts {
  readonly status: 'checked';
}

export type ValidateDatasetResult = AcceptedDataset | CheckedDataset | RejectedDataset;

/**
 * Validates a CSV dataset and, when it is accepted (and a sink is given), writes its train/validation
 * splits. Problems with the data are reported in the result (never thrown). Throws for invalid options,
 * for failing sinks or input streams, and {@link DatasetChangedError} when the input differs between
 * passes; in those cases every opened sink was aborted.
 */
export async function validateDataset(input: ValidateDatasetInput): Promise<ValidateDatasetResult> {
  const startedAt = performance.now();
  const options = resolveOptions(input.options);
  const problems = new ProblemCollector(options.maxProblems);
  const contractSource = input.contract === undefined ? 'inferred' : 'declared';
  const reject = (facts: Partial<PassOutcome>): RejectedDataset => ({
    status: 'rejected',
    columns: (facts.result?.columns ?? []).map(({ name, type }) => ({ name, type })),
    report: buildReport(
      {
        status: 'rejected',
        rows: facts.result?.rows ?? 0,
        columns: facts.result?.header ?? [],
        target: facts.result?.target?.name ?? input.contract?.target ?? input.targetColumn,
        problemType: facts.result?.problemType ?? input.contract?.problemType ?? input.problemType,
        contractSource,
        bytes: facts.bytes ?? 0,
        sha256: facts.sha256,
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
    contract: input.contract,
    target: input.targetColumn,
    problemType: input.problemType,
    // A contract declares its own labels.
    labels: input.contract === undefined ? input.labels : undefined,
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
  const problemType = result.problemType;
  if (problems.total > 0 || target === undefined || problemType === undefined) return reject(outcome);

  const lineage: DatasetLineage = { sha256: outcome.sha256 ?? '', bytes: outcome.bytes, rows: result.rows };
  const report = (split?: SplitSummary) =>
    buildReport(
      {
        status: 'accepted',
        rows: result.rows,
        columns: result.header,
        target: target.name,
        problemType,
        contractSource,
        bytes: outcome.bytes,
        sha256: outcome.sha256,
        startedAt,
        stoppedEarly: false,
        split,
      },
      problems,
    );
  const contract = (classes: readonly { value: string }[] | undefined) =>
    input.contract ?? inferContract(result, target, problemType, classes);

  const { openSink } = input;
  if (openSink === undefined || !(await (input.shouldSplit?.(lineage) ?? true))) {
    const classes = isClassification(problemType) ? classOrder(target) : undefined;
    return { status: 'checked', report: report(), contract: contract(classes), contractSource, lineage };
  }
  return writeSplits({ ...input, openSink }, outcome, target, problemType, options, {
    report,
    contract,
    contractSource,
    lineage,
  });
}

/** Pass 2 and what comes of it. */
async function writeSplits(
  input: ValidateDatasetInput & { readonly openSink: OpenSink },
  outcome: PassOutcome,
  target: ColumnState,
  problemType: ProblemType,
  options: ValidateDatasetOptions,
  facts: {
    readonly report: (split: SplitSummary) => ValidationReport;
    readonly contract: (classes: readonly { value: string }[] | undefined) => DatasetContract;
    readonly contractSource: 'declared' | 'inferred';
    readonly lineage: DatasetLineage;
  },
): Promise<AcceptedDataset> {
  const result: PassResult = outcome.result;
  const plan = buildPlan(input.contract, result, target, problemType, options);
  const splitPlan = planSplit(plan.strata, options.validationFraction);
  const { seed, outputChunkBytes, maxLineBytes } = options;
  const writer =
    !result.quotedData && lineLayoutFits(plan.layout)
      ? new LineSplitWriter(plan.layout, splitPlan, seed, outputChunkBytes, result.dataOffset)
      : new SplitWriter(plan.layout, splitPlan, seed, outputChunkBytes, maxLineBytes);
  await runSplitPass(input, writer, outcome);

  const split = writer.summary(options.validationFraction, options.seed, plan.classes !== undefined);
  return {
    status: 'accepted',
    report: facts.report(split),
    contract: facts.contract(plan.classes),
    contractSource: facts.contractSource,
    encoding: plan.encoding,
    statistics: buildStatistics(plan, result, target, problemType, options),
    split,
    lineage: facts.lineage,
  };
}
