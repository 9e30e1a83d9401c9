/**
 * What the capture parser needs to know about a model version: its features in training order (categorical
 * ones with their categories, whose codes the endpoint receives) and how many numbers it answers per row.
 */
import type { ColumnType } from '../dataset-contract';

/** One feature as the endpoint receives it. */
export interface CaptureFeature {
  readonly name: string;
  readonly type: ColumnType;
  /** Categorical: category i is sent as the code i (encoding.json). */
  readonly categories?: readonly string[];
}

/** The features in training order and the width of a prediction. */
export interface CaptureSchema {
  readonly features: readonly CaptureFeature[];
  /** Numbers per row in the endpoint's answer; undefined: as many as the answer holds per row. */
  readonly outputWidth: number | undefined;
}

/** The fields of a run's encoding.json ({@link DatasetEncoding} in validate-dataset) this module reads. */
export interface EncodingLike {
  readonly features: readonly CaptureFeature[];
  readonly label: { readonly classes?: readonly string[] };
}

/**
 * Numbers per row the built-in XGBoost answers for `objective` (its text/csv output): K class probabilities
 * for `multi:softprob`, one number otherwise (a probability, a margin, a class index or a value).
 * Source: XGBoost "Learning Task Parameters" (objective) and SageMaker's XGBoost inference output, as
 * cli/predict.ts reads it.
 */
export function outputWidthFor(
  objective: string | undefined,
  numClass: number | undefined,
  classes: readonly string[] | undefined,
): number | undefined {
  if (objective === 'multi:softprob') {
    if (numClass !== undefined && Number.isInteger(numClass) && numClass > 0) return numClass;
    return classes?.length;
  }
  return objective === undefined || objective === '' ? undefined : 1;
}

/**
 * The capture schema of a version from its encoding.json and training hyperparameters.
 *
 * @param encoding - the run's encoding.json
 * @param hyperparameters - the version's lineage.hyperparameters (`objective`, `num_class` as strings)
 */
export function captureSchemaFor(
  encoding: EncodingLike,
  hyperparameters: Readonly<Record<string, string | undefined>>,
): CaptureSchema {
  const numClass = hyperparameters.num_class === undefined ? undefined : Number(hyperparameters.num_class);
  return {
    features: encoding.features.map((feature) =>
      feature.categories === undefined
        ? { name: feature.name, type: feature.type }
        : { name: feature.name, type: feature.type, categories: feature.categories },
    ),
    outputWidth: outputWidthFor(hyperparameters.objective, numClass, encoding.label.classes),
  };
}
