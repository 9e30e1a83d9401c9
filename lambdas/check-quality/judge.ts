/**
 * The quality verdict of a window: its objective metric against the version's registered validation value.
 * A pure function, so every rule is tested on its own; the check (./check.ts) gathers its inputs.
 */
import { formatMetric } from '../evaluate-model/evaluate';

/**
 * - Degraded: the metric is worse than the registered value by more than the tolerance;
 * - Healthy: it is not;
 * - InsufficientData: fewer labeled rows than the minimum (a handful of labels says little about a metric);
 * - NoBaseline: the version has no registered value for the metric, so there is nothing to compare with;
 * - Unmeasurable: the window's rows cannot give the metric (e.g. AUC over one class only, log loss of a model
 *   that answers classes, not probabilities).
 */
export const QUALITY_VERDICTS = [
  'Degraded',
  'Healthy',
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
}

export interface QualityJudgement {
  readonly verdict: QualityVerdict;
  readonly metric: string;
  readonly value?: number;
  readonly baseline?: number;
  /** The worst value that is still Healthy. */
  readonly limit?: number;
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
  return worse
    ? {
        ...base,
        limit,
        verdict: 'Degraded',
        reasons: [`${metric} ${formatMetric(value)} over ${rows} labeled row(s) is worse than ${against}`],
      }
    : {
        ...base,
        limit,
        verdict: 'Healthy',
        reasons: [`${metric} ${formatMetric(value)} over ${rows} labeled row(s) is within ${against}`],
      };
}
