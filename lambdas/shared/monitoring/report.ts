/**
 * A drift check's report for one window, as stored under `monitoring/<model>/<windowId>/` in the artifacts
 * bucket (report.json beside report.html): the window, what was read from the capture (and what could not
 * be), the settings the verdict was reached with, and D1's {@link DriftReport} (verdict, reasons, features).
 */
import type { CaptureCounts, CaptureProblemSummary, INTERNAL_INFERENCE_ID_PREFIX } from '../capture';
import type { DriftReport } from '../drift';
import { MetricDimensions, MetricNames } from '../metric-names';

/**
 * The drift check's CloudWatch metrics (namespace METRICS_NAMESPACE, dimension `model`; the per-feature score
 * also `Feature`), for dashboards and alarms.
 */
export const DriftMetrics = {
  rowsChecked: MetricNames.rowsChecked,
  driftShare: MetricNames.driftShare,
  driftedFeatures: MetricNames.driftedFeatures,
  featureScore: MetricNames.featureDriftScore,
  featureDimension: MetricDimensions.feature,
} as const;

/** The settings a verdict was reached with (MONITORING_SETTINGS' drift part). */
export interface DriftCheckSettings {
  readonly minSamples: number;
  readonly driftShare: number;
  readonly criticalFeatures: readonly string[];
  readonly correction: 'benjamini-hochberg' | 'bonferroni';
  readonly alpha: number;
}

/** One window's drift report (report.json). */
export interface DriftWindowReport {
  readonly formatVersion: 1;
  readonly kind: 'drift';
  readonly model: string;
  /** The version serving when the window was checked, and the run whose baseline it was compared with. */
  readonly version: number;
  readonly runId: string;
  readonly windowId: string;
  /** (from, until]: capture files whose S3 LastModified falls in it. */
  readonly from: string;
  readonly until: string;
  readonly checkedAt: string;
  readonly capture: CaptureCounts & {
    /** Records of the stack's own invocations (InferenceId {@link INTERNAL_INFERENCE_ID_PREFIX}…), skipped. */
    readonly internalRecords?: number;
    /** Whether a prediction baseline was there to test predictions against. */
    readonly predictionBaseline: boolean;
    readonly problems: CaptureProblemSummary;
  };
  readonly settings: DriftCheckSettings;
  readonly drift: DriftReport;
}

/** The features that drifted, most drifted (by score over threshold) first. */
export function driftedFeatures(report: DriftReport): string[] {
  return report.features
    .filter((f) => f.drifted)
    .sort((a, b) => b.score / (b.threshold || 1) - a.score / (a.threshold || 1))
    .map((f) => f.name);
}
