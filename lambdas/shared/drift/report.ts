/**
 * Verdicts from a window's statistics. A feature drifts when its distribution test and its effect size
 * both say so:
 * - the test rejects "same distribution" after correcting the p-values for the number of tests in the
 *   window (KS for numeric, chi-square for categorical): noise across many features does not raise alarms;
 * - the effect size reaches a threshold (normalized Wasserstein distance, or KS D when the baseline's std
 *   is 0; Jensen–Shannon distance for categoricals): in large windows every tiny shift is "significant",
 *   and the threshold keeps negligible ones from becoming alarms.
 * A feature also drifts when its null rate moves by at least 10 points with a significant 2×2 chi-square
 * (corrected in the same family): a feature that goes null would otherwise just go untested.
 * Features with fewer than `minSamples` non-null values are not distribution-tested (and do not count in
 * the drift share). The window drifts when the share of drifted features reaches `driftShare`, a critical
 * feature drifts, or a prediction output drifts (same rules, corrected as a family of their own). Below
 * `minSamples` rows there is no verdict: InsufficientData, never drift.
 */

import type { DriftAccumulator } from './accumulator';
import {
  type CategoricalDriftStatistics,
  type CategoricalReference,
  chiSquareHomogeneity,
} from './categorical';
import { adjustPValues, type Correction, chiSquareSurvival } from './distributions';
import type { NumericDriftStatistics, NumericReference } from './numeric';

/** Effect sizes a feature must reach to drift (besides the corrected p-value). */
export interface EffectThresholds {
  /** Wasserstein distance / baseline std (a 0.1σ shift is 0.1). */
  readonly normalizedWasserstein: number;
  /** KS D, for numeric features whose baseline std is 0. */
  readonly ksStatistic: number;
  /** Jensen–Shannon distance (base 2) for categorical features. */
  readonly jensenShannon: number;
  /** Absolute change of a feature's null rate (0.1 = ten percentage points). */
  readonly nullRateChange: number;
}

/** How verdicts are reached. */
export interface DriftSettings {
  /** Fewest rows in a window for a verdict (and non-null values for a feature to be tested). */
  readonly minSamples: number;
  /** Share of tested features that must drift for dataset drift. */
  readonly driftShare: number;
  /** Features whose drift alone is dataset drift. */
  readonly criticalFeatures: readonly string[];
  readonly correction: Correction;
  /** Significance level of the corrected p-values. */
  readonly alpha: number;
  /** Effect-size thresholds; {@link DEFAULT_EFFECT_THRESHOLDS} for those not given. */
  readonly thresholds?: Partial<EffectThresholds>;
}

/**
 * Defaults. 0.1 for the normalized Wasserstein and Jensen–Shannon distances is Evidently's default
 * threshold for both (Evidently 0.1.50 release notes, "automatic stattest selection"); for a location
 * shift the normalized Wasserstein distance is the shift in σ, so 0.02σ never drifts at any window size
 * while 0.3σ does. 0.1 for KS D is what a 0.25σ normal shift gives (D = 2Φ(δ/2) − 1 ≈ 0.4·δ).
 */
export const DEFAULT_EFFECT_THRESHOLDS: EffectThresholds = {
  normalizedWasserstein: 0.1,
  ksStatistic: 0.1,
  jensenShannon: 0.1,
  nullRateChange: 0.1,
};

/** The defaults: 200 rows, half the features, no critical ones, Benjamini–Hochberg at 5%. */
export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  minSamples: 200,
  driftShare: 0.5,
  criticalFeatures: [],
  correction: 'benjamini-hochberg',
  alpha: 0.05,
};

/** Statistics of a feature (those that apply to its type), JSON-friendly (no NaN: absent instead). */
export interface FeatureDriftStatistics {
  ksStatistic?: number;
  ksPValue?: number;
  psi?: number;
  wasserstein?: number;
  /** Wasserstein distance / baseline std. */
  normalizedWasserstein?: number;
  chiSquare?: number;
  chiSquarePValue?: number;
  degreesOfFreedom?: number;
  /**
   * Sparse categories (expected count < 5) pooled into one cell before the chi-square test and the JS
   * distance; absent when none was. Check chiSquare on the pooled table then.
   */
  pooledCategories?: number;
  jensenShannon?: number;
  unseenRate?: number;
  nullRateChange?: number;
  outOfRangeRate?: number;
  /** The distribution test's p-value after the correction for the number of tests. */
  adjustedPValue?: number;
  /** The null-rate test (2×2 chi-square, dof 1): raw and corrected p-values. */
  nullRatePValue?: number;
  adjustedNullRatePValue?: number;
  /** Non-null values and nulls in the window. */
  count?: number;
  nulls?: number;
}

/** Baseline vs current histogram of a feature: bins of a numeric one, categories of a categorical one. */
export type FeatureHistogram =
  | { edges: number[]; baseline: number[]; current: number[] }
  | { categories: string[]; baseline: number[]; current: number[] };

/** One feature's (or prediction output's) result. */
export interface FeatureDrift {
  name: string;
  type: 'numeric' | 'categorical';
  drifted: boolean;
  /** The test and effect size used: `ks+wasserstein`, `ks` (std 0) or `chi-square+jensen-shannon`. */
  method: string;
  /** The effect size compared with its threshold (normalized Wasserstein, KS D or JS distance). */
  score: number;
  /** The effect-size threshold `score` was compared with. */
  threshold: number;
  /** Why it drifted or not, or why it was not tested. */
  reason: string;
  statistics: FeatureDriftStatistics;
  histogram: FeatureHistogram;
}

/** A window's verdict and everything behind it. */
export interface DriftReport {
  verdict: 'Drift' | 'NoDrift' | 'InsufficientData';
  reasons: string[];
  /** Drifted features / tested features (0 when none was tested). */
  driftShare: number;
  rows: { reference: number; current: number };
  features: FeatureDrift[];
  prediction?: FeatureDrift[];
}

interface Tested {
  readonly drift: FeatureDrift;
  /** The distribution test's raw p-value, NaN when not tested. */
  readonly pValue: number;
  /** The null-rate test's raw p-value, NaN when not tested (e.g. no nulls on either side). */
  readonly nullPValue: number;
  readonly nullRateChange: number;
}

/** Statistics, per-feature decisions and the window's verdict; see the module comment. */
export function driftReport(acc: DriftAccumulator, settings: DriftSettings): DriftReport {
  const thresholds = { ...DEFAULT_EFFECT_THRESHOLDS, ...settings.thresholds };
  const features = decide(
    acc.features.map(({ name, type, counter }) =>
      type === 'numeric'
        ? numericDrift(name, counter.statistics(), counter.reference, settings, thresholds)
        : categoricalDrift(name, counter.statistics(), counter.reference, settings, thresholds),
    ),
    settings,
    thresholds,
  );
  const prediction =
    acc.predictions === undefined
      ? undefined
      : decide(
          acc.predictions.map((counter, i, all) =>
            numericDrift(
              all.length === 1 ? 'prediction' : `prediction[${i}]`,
              counter.statistics(),
              counter.reference,
              settings,
              thresholds,
            ),
          ),
          settings,
          thresholds,
        );
  const tested = features.filter(
    (f) => f.statistics.adjustedPValue !== undefined || f.statistics.adjustedNullRatePValue !== undefined,
  );
  const drifted = features.filter((f) => f.drifted);
  const driftShare = tested.length === 0 ? 0 : drifted.length / tested.length;
  const report: DriftReport = {
    verdict: 'NoDrift',
    reasons: [],
    driftShare,
    rows: { reference: acc.baseline.rows, current: acc.rows },
    features,
    ...(prediction === undefined ? {} : { prediction }),
  };
  if (acc.rows < settings.minSamples) {
    report.verdict = 'InsufficientData';
    report.reasons.push(
      `${acc.rows} rows in the window, fewer than minSamples ${settings.minSamples}: no verdict`,
    );
    return report;
  }
  const share = `${drifted.length} of ${tested.length} tested features drifted (${percent(driftShare)})`;
  if (tested.length > 0 && driftShare >= settings.driftShare) {
    report.verdict = 'Drift';
    report.reasons.push(`${share}, at least driftShare ${percent(settings.driftShare)}`);
  } else report.reasons.push(`${share}, below driftShare ${percent(settings.driftShare)}`);
  const critical = new Set(settings.criticalFeatures);
  for (const feature of drifted.filter((f) => critical.has(f.name))) {
    report.verdict = 'Drift';
    report.reasons.push(`critical feature ${feature.name} drifted: ${feature.reason}`);
  }
  for (const output of prediction?.filter((f) => f.drifted) ?? []) {
    report.verdict = 'Drift';
    report.reasons.push(`prediction drift in ${output.name}: ${output.reason}`);
  }
  return report;
}

/**
 * Corrects the p-values of the tested entries (distribution and null-rate tests, one family) and decides
 * each entry: it drifts when a test is significant after the correction and its effect reaches the
 * threshold (the score for the distribution, the absolute null-rate change for the null rate).
 */
function decide(
  entries: readonly Tested[],
  settings: DriftSettings,
  thresholds: EffectThresholds,
): FeatureDrift[] {
  const adjusted = adjustPValues(
    [...entries.map((e) => e.pValue), ...entries.map((e) => e.nullPValue)],
    settings.correction,
  );
  return entries.map(({ drift, pValue, nullPValue, nullRateChange }, i) => {
    const reasons: string[] = [];
    let drifted = false;
    if (!Number.isNaN(pValue)) {
      const p = adjusted[i] as number;
      drift.statistics.adjustedPValue = p;
      const significant = p < settings.alpha;
      const large = drift.score >= drift.threshold;
      drifted = significant && large;
      const test = `adjusted p ${format(p)} ${significant ? '<' : '≥'} alpha ${settings.alpha}`;
      const effect = `${effectName(drift.method)} ${format(drift.score)} ${large ? '≥' : '<'} ${drift.threshold}`;
      reasons.push(
        drifted
          ? `${test} and ${effect}`
          : significant
            ? `${effect} (negligible shift; ${test})`
            : `${test} (${effect})`,
      );
    } else if (drift.reason !== '') reasons.push(drift.reason);
    if (!Number.isNaN(nullPValue)) {
      const p = adjusted[entries.length + i] as number;
      drift.statistics.nullRatePValue = nullPValue;
      drift.statistics.adjustedNullRatePValue = p;
      const large = Math.abs(nullRateChange) >= thresholds.nullRateChange;
      if (p < settings.alpha && large) {
        drifted = true;
        reasons.push(
          `null rate changed by ${percentPoints(nullRateChange)} (adjusted p ${format(p)} < alpha ${settings.alpha})`,
        );
      }
    }
    drift.drifted = drifted;
    drift.reason = reasons.join('; ');
    return drift;
  });
}

function effectName(method: string): string {
  return method.endsWith('wasserstein') ? 'Wasserstein/σ' : method === 'ks' ? 'KS D' : 'JS distance';
}

/** The null-rate test: Pearson's chi-square on [nulls, values] baseline vs window (2×2, dof 1). */
function nullRateTest(
  baselineNulls: number,
  baselineValues: number,
  nulls: number,
  values: number,
  settings: DriftSettings,
): number {
  if (nulls + values < settings.minSamples) return Number.NaN;
  const { statistic, dof } = chiSquareHomogeneity([baselineNulls, baselineValues], [nulls, values]);
  return dof === 1 ? chiSquareSurvival(statistic, 1) : Number.NaN;
}

function numericDrift(
  name: string,
  s: NumericDriftStatistics,
  reference: NumericReference,
  settings: DriftSettings,
  thresholds: EffectThresholds,
): Tested {
  const { std, binEdges: edges, binCounts: baselineCounts } = reference;
  const byStd = std !== null && std > 0;
  const score = byStd ? s.normalizedWasserstein : s.ksStatistic;
  const enough = s.count >= settings.minSamples && !Number.isNaN(s.ksPValue);
  return {
    pValue: enough ? s.ksPValue : Number.NaN,
    nullPValue: nullRateTest(reference.nulls, reference.count, s.nulls, s.count, settings),
    nullRateChange: s.nullRateChange,
    drift: {
      name,
      type: 'numeric',
      drifted: false,
      method: byStd ? 'ks+wasserstein' : 'ks',
      score: finiteOr(score, 0),
      threshold: byStd ? thresholds.normalizedWasserstein : thresholds.ksStatistic,
      reason: enough ? '' : notTested(s.count, settings.minSamples),
      statistics: definedOnly({
        ksStatistic: s.ksStatistic,
        ksPValue: s.ksPValue,
        psi: s.psi,
        wasserstein: s.wasserstein,
        normalizedWasserstein: s.normalizedWasserstein,
        nullRateChange: s.nullRateChange,
        outOfRangeRate: s.outOfRangeRate,
        count: s.count,
        nulls: s.nulls,
      }),
      histogram: { edges: [...edges], baseline: [...baselineCounts], current: [...s.binCounts] },
    },
  };
}

function categoricalDrift(
  name: string,
  s: CategoricalDriftStatistics,
  reference: CategoricalReference,
  settings: DriftSettings,
  thresholds: EffectThresholds,
): Tested {
  const enough = s.count >= settings.minSamples && !Number.isNaN(s.chiSquarePValue);
  return {
    pValue: enough ? s.chiSquarePValue : Number.NaN,
    nullPValue: nullRateTest(
      reference.nulls,
      s.baselineCounts.reduce((sum, c) => sum + c, 0),
      s.nulls,
      s.count,
      settings,
    ),
    nullRateChange: s.nullRateChange,
    drift: {
      name,
      type: 'categorical',
      drifted: false,
      method: 'chi-square+jensen-shannon',
      score: finiteOr(s.jensenShannon, 0),
      threshold: thresholds.jensenShannon,
      reason: enough ? '' : notTested(s.count, settings.minSamples),
      statistics: definedOnly({
        chiSquare: s.chiSquare,
        chiSquarePValue: s.chiSquarePValue,
        degreesOfFreedom: s.degreesOfFreedom,
        pooledCategories: s.pooledCategories > 0 ? s.pooledCategories : Number.NaN,
        jensenShannon: s.jensenShannon,
        unseenRate: s.unseenRate,
        nullRateChange: s.nullRateChange,
        count: s.count,
        nulls: s.nulls,
      }),
      histogram: {
        categories: [...s.categories],
        baseline: [...s.baselineCounts],
        current: [...s.currentCounts],
      },
    },
  };
}

function notTested(count: number, minSamples: number): string {
  return `not tested: ${count} non-null values in the window, fewer than minSamples ${minSamples}`;
}

/** Drops NaN entries, so the JSON has no nulls standing for "does not apply". */
function definedOnly(statistics: Record<string, number>): FeatureDriftStatistics {
  return Object.fromEntries(Object.entries(statistics).filter(([, v]) => Number.isFinite(v)));
}

function finiteOr(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}

function format(x: number): string {
  return x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(3);
}

function percentPoints(change: number): string {
  return `${change >= 0 ? '+' : '−'}${Math.round(Math.abs(change) * 1000) / 10} points`;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
