/**
 * The targets for the verdicts, with fixed seeds (bench/drift-power.ts measures the same over 200
 * trials and more scenarios): 20 stable features, 1,000 rows against a 5,000-row reference, flagged in at
 * most 5% of windows; a 0.5σ mean shift of one feature flagged in at least 95%.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_SETTINGS, DriftAccumulator, driftReport } from '../../../../../lambdas/shared/drift';
import { normalBaseline, normalRows } from './synthetic';

const TRIALS = 40;

describe('drift verdicts over independent windows', () => {
  it('flag at most 5% of stable windows and at least 95% of windows with a 0.5σ shift', async () => {
    // Prepare
    let falseAlarms = 0;
    let detected = 0;

    // Act
    for (let trial = 0; trial < TRIALS; trial++) {
      const baseline = await normalBaseline(20, 5000, 500 + trial);
      const stable = new DriftAccumulator(baseline);
      normalRows(20, 1000, 600 + trial, (row) => stable.addRow(row));
      if (driftReport(stable, DEFAULT_DRIFT_SETTINGS).features.some((f) => f.drifted)) falseAlarms++;
      const shifted = new DriftAccumulator(baseline);
      normalRows(20, 1000, 700 + trial, (row) => shifted.addRow(row), 0.5);
      const report = driftReport(shifted, { ...DEFAULT_DRIFT_SETTINGS, criticalFeatures: ['f0'] });
      if (report.features[0]?.drifted && report.verdict === 'Drift') detected++;
    }

    // Assess
    expect(falseAlarms).toBeLessThanOrEqual(0.05 * TRIALS);
    expect(detected).toBeGreaterThanOrEqual(0.95 * TRIALS);
  });
});
