/**
 * Drift statistics and verdicts (issue 10 §1–2): a {@link DriftAccumulator} per window, fed row by row,
 * tests every feature (and prediction output) against the training baseline in bounded memory, and
 * {@link driftReport} turns the statistics into per-feature decisions and the window's verdict.
 *
 * Numeric: exact two-sample KS (D and its asymptotic p-value) against the baseline's reference sample, PSI
 * on the baseline's bins, Wasserstein distance / baseline std, null-rate change, out-of-range rate.
 * Categorical: chi-square test of homogeneity (no continuity correction), Jensen–Shannon distance,
 * unseen-category rate, null-rate change.
 */

export {
  checkBaselineVersion,
  DriftAccumulator,
  type FeatureCounter,
  type PredictionBaseline,
  predictionBaselineSchema,
  referenceFromValues,
  UnsupportedBaselineError,
} from './accumulator';
export { featureRowMapper } from './baseline';
export { type BaselineStatistics, baselineStatisticsSchema } from './baseline-statistics';
export {
  CategoricalDriftCounter,
  type CategoricalDriftStatistics,
  type CategoricalReference,
  chiSquareHomogeneity,
  jensenShannonDistance,
  MIN_EXPECTED_COUNT,
  poolSparse,
  UNSEEN_CATEGORY,
} from './categorical';
export { adjustPValues, type Correction, chiSquareSurvival, kolmogorovSurvival } from './distributions';
export {
  NumericDriftCounter,
  type NumericDriftStatistics,
  type NumericReference,
  PSI_EMPTY_BIN_SHARE,
  populationStabilityIndex,
} from './numeric';
export {
  DEFAULT_DRIFT_SETTINGS,
  DEFAULT_EFFECT_THRESHOLDS,
  type DriftReport,
  type DriftSettings,
  driftReport,
  type EffectThresholds,
  type FeatureDrift,
  type FeatureDriftStatistics,
  type FeatureHistogram,
} from './report';
