/**
 * The quality verdict of a window: its objective metric against the version's registered validation value.
 * A pure function, so every rule is tested on its own; the check (./check.ts) gathers its inputs.
 */

import { chiSquareSurvival } from '../shared/drift';
import { formatMetric } from '../shared/metrics';

/**
 * - Degraded: the metric is worse than the registered value by more than the tolerance,
 *   and significantly so (one-sided p-value below alpha against "as good as registered");
 * - Healthy: it is not worse than the tolerance allows;
 * - Inconclusive: worse than the tolerance allows, but not significantly: the window's labeled rows are too few
 *   to tell a real loss from chance (the next windows will);
 * - InsufficientData: fewer labeled rows than the minimum (a handful of labels says little about a metric);
 * - NoBaseline: the version has no registered value for the metric, so there is nothing to compare with;
 * - Unmeasurable: the window's rows cannot give the metric (e.g. AUC over one class only, log loss of a model
 *   that answers classes, not probabilities).
 */
export const QUALITY_VERDICTS = [
  'Degraded',
  'Healthy',
  'Inconclusive',
  'InsufficientData',
  'NoBaseline',
  'Unmeasurable',
] as const;
export type QualityVerdict = (typeof QUALITY_VERDICTS)[number];

export interface QualityJudgementInput {
  /** The objective, e.g. `validation:auc`. */
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /** The window's value; undefined when the rows cannot give it. */
  readonly value: number | undefined;
  /** Labeled rows scored in the window. */
  readonly rows: number;
  /** The version's registered validation value; undefined when it has none. */
  readonly baseline: number | undefined;
  /** A fraction of the baseline (RuntimeMonitoringSettings.qualityTolerance, e.g. 0.1 = 10 % worse). */
  readonly tolerance: number;
  /** Labeled rows needed for a verdict (RuntimeMonitoringSettings.minSamples). */
  readonly minRows: number;
  /**
   * The metric's standard error if the model were as good as registered (QualityAccumulator.standardError);
   * undefined when there is no formula (F1): the tolerance alone decides then.
   */
  readonly standardError?: number | undefined;
  /** Significance level of the one-sided test (RuntimeMonitoringSettings.alpha, 0.05). */
  readonly alpha: number;
  /** Taken off the difference before the test (QualityAccumulator.continuityCorrection). @default 0 */
  readonly continuityCorrection?: number;
}

export interface QualityJudgement {
  readonly verdict: QualityVerdict;
  readonly metric: string;
  readonly value?: number;
  readonly baseline?: number;
  /** The worst value that is still Healthy. */
  readonly limit?: number;
  /** One-sided p-value of "as good as registered", when a standard error is known. */
  readonly pValue?: number;
  readonly rows: number;
  readonly reasons: readonly string[];
}

/**
 * The worst value that is still healthy: the baseline moved by `tolerance × |baseline|` in the metric's worse
 * direction (relative, so one setting fits an AUC of 0.9 and an RMSE of 1,200 alike).
 */
export function qualityLimit(baseline: number, higherIsBetter: boolean, tolerance: number): number {
  const slack = tolerance * Math.abs(baseline);
  return higherIsBetter ? baseline - slack : baseline + slack;
}

/**
 * One-sided p-value that a metric this much worse than the baseline arises by chance when the model is as good as
 * registered: P(Z ≥ z) for z = (how much worse) / SE under the normal approximation, from the chi-square
 * survival with one degree of freedom (P(|Z| > z) = P(χ²₁ > z²)).
 */
export function oneSidedPValue(worseBy: number, standardError: number): number {
  if (standardError === 0) return worseBy > 0 ? 0 : 1;
  const z = worseBy / standardError;
  const twoSided = chiSquareSurvival(z * z, 1);
  return z >= 0 ? twoSided / 2 : 1 - twoSided / 2;
}

/** Judges a window; every verdict carries its reasons in words. */
export function judgeQuality(input: QualityJudgementInput): QualityJudgement {
  const { metric, higherIsBetter, value, rows, baseline, tolerance, minRows } = input;
  const base = {
    metric,
    rows,
    ...(value === undefined ? {} : { value }),
    ...(baseline === undefined ? {} : { baseline }),
  };
  if (rows < minRows) {
    return {
      ...base,
      verdict: 'InsufficientData',
      reasons: [`${rows} labeled row(s) in the window, fewer than the ${minRows} a verdict needs`],
    };
  }
  if (value === undefined) {
    return {
      ...base,
      verdict: 'Unmeasurable',
      reasons: [
        `${metric} cannot be computed from the window's ${rows} labeled row(s) (e.g. a single class, or no probabilities)`,
      ],
    };
  }
  if (baseline === undefined) {
    return {
      ...base,
      verdict: 'NoBaseline',
      reasons: [
        `${metric} ${formatMetric(value)} over ${rows} labeled row(s); the version has no registered ${metric} to compare with`,
      ],
    };
  }
  const limit = qualityLimit(baseline, higherIsBetter, tolerance);
  const worse = higherIsBetter ? value < limit : value > limit;
  const against = `the registered validation value ${formatMetric(baseline)} (limit ${formatMetric(limit)} at a tolerance of ${formatMetric(tolerance * 100)}%)`;
  const measured = `${metric} ${formatMetric(value)} over ${rows} labeled row(s)`;
  if (!worse) return { ...base, limit, verdict: 'Healthy', reasons: [`${measured} is within ${against}`] };
  const { standardError, alpha } = input;
  if (standardError === undefined) {
    return {
      ...base,
      limit,
      verdict: 'Degraded',
      reasons: [
        `${measured} is worse than ${against}`,
        `no standard error is known for ${metric}: the tolerance alone decides`,
      ],
    };
  }
  const worseBy = (higherIsBetter ? baseline - value : value - baseline) - (input.continuityCorrection ?? 0);
  const pValue = oneSidedPValue(worseBy, standardError);
  const test = `p = ${pValue.toPrecision(3)} that a model as good as registered does this badly (standard error ${formatMetric(standardError)})`;
  return pValue < alpha
    ? {
        ...base,
        limit,
        pValue,
        verdict: 'Degraded',
        reasons: [`${measured} is worse than ${against}`, `${test} < ${alpha}`],
      }
    : {
        ...base,
        limit,
        pValue,
        verdict: 'Inconclusive',
        reasons: [`${measured} is worse than ${against}`, `but not significantly: ${test} ≥ ${alpha}`],
      };
}
