/**
 * Baselines for offline comparisons (`mlops drift compare`): built by the training validator itself, so a
 * reference CSV gets exactly the baseline training would write for it (exact reference samples when it has
 * at most `sampleSize` = 10,000 rows).
 */

import type { BaselineStatistics } from '../shared/drift/baseline-statistics';
import {
  type ArtifactSink,
  type DatasetContract,
  type DatasetEncoding,
  type OpenDataset,
  type ProblemType,
  type ValidateDatasetOptions,
  type ValidationReport,
  validateDataset,
} from './index';

/** What {@link baselineFromRows} is given: the reference CSV and what training would know about it. */
export interface BaselineFromRowsInput {
  /** Opens the reference CSV (header and label column included, as a training dataset). */
  readonly open: OpenDataset;
  /** The model's contract (schema.json); without it the columns are inferred as training does. */
  readonly contract?: DatasetContract | undefined;
  /** Without a contract: the label column. */
  readonly targetColumn?: string | undefined;
  readonly problemType?: ProblemType | undefined;
  readonly labels?: readonly string[] | undefined;
  /** Validator options (sampleSize, bins, seed…); training's defaults otherwise. */
  readonly options?: Partial<ValidateDatasetOptions>;
}

/** The baseline and what describes its columns. */
export interface BaselineFromRows {
  readonly statistics: BaselineStatistics;
  readonly encoding: DatasetEncoding;
  readonly contract: DatasetContract;
}

/** The reference CSV was rejected by the validator; `report` says why. */
export class ReferenceRejectedError extends Error {
  override readonly name = 'ReferenceRejectedError';
  constructor(readonly report: ValidationReport) {
    const first = report.problems[0];
    super(
      `the reference dataset was rejected (${report.problemCount} problems)${first === undefined ? '' : `: ${first.message}`}`,
    );
  }
}

/** A sink that drops the splits: only the statistics of pass 2 are wanted. */
function discard(): ArtifactSink {
  return { write: () => undefined, close: async () => undefined, abort: async () => undefined };
}

/**
 * Runs the training validator on the reference CSV (both passes, splits discarded) and returns the baseline
 * it builds. Throws {@link ReferenceRejectedError} when the validator rejects the data.
 */
export async function baselineFromRows(input: BaselineFromRowsInput): Promise<BaselineFromRows> {
  const result = await validateDataset({
    open: input.open,
    openSink: discard,
    contract: input.contract,
    targetColumn: input.targetColumn,
    problemType: input.problemType,
    labels: input.labels,
    ...(input.options === undefined ? {} : { options: input.options }),
  });
  if (result.status === 'rejected') throw new ReferenceRejectedError(result.report);
  if (result.status !== 'accepted') throw new Error('the validator did not build statistics');
  return { statistics: result.statistics, encoding: result.encoding, contract: result.contract };
}
