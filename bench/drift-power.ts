/**
 * False-alarm and detection rates of the drift verdicts (issue 10 §2, §8), over independent trials with
 * fixed seeds. Each trial draws a 5,000-row reference of 20 standard normal features, builds its baseline
 * with the training validator, then checks 1,000-row windows against it: one like the reference, and one
 * per mean shift of feature f0 (0.1σ, 0.2σ, 0.3σ, 0.5σ). Separately, a one-feature 1,000,000-row window with
 * shifts of 0.02σ and 0.3σ against a 10,000-value reference (the effect-size threshold at scale). Default
 * settings (Benjamini–Hochberg at 5%, minSamples 200, driftShare 0.5, effect thresholds 0.1).
 *
 *   npx tsx bench/drift-power.ts                 # 200 trials each (about two minutes)
 *   npx tsx bench/drift-power.ts --trials 50
 *
 * Rates per scenario: `anyFeature` = windows where at least one feature drifted (a false alarm in the
 * stable case), `shifted` = windows where f0 drifted, `verdict` = windows whose verdict is Drift with
 * the defaults, `critical` = the same with f0 listed as critical. Prints one `BENCH {json}` line each, and
 * one for the accumulator's speed (ns per value at 20 features).
 */
import {
  DEFAULT_DRIFT_SETTINGS,
  DriftAccumulator,
  type DriftReport,
  driftReport,
} from '../lambdas/shared/drift';
import { Normals, normalBaseline, normalRows } from '../test/unit/lambdas/shared/drift/synthetic';

const FEATURES = 20;
const REFERENCE_ROWS = 5000;
const WINDOW_ROWS = 1000;
const SHIFTS = [0, 0.1, 0.2, 0.3, 0.5];
const LARGE_ROWS = 1_000_000;
const LARGE_SHIFTS = [0.02, 0.3];

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index < 0 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

interface Tally {
  anyFeature: number;
  shifted: number;
  verdict: number;
  critical: number;
}

function tally(): Tally {
  return { anyFeature: 0, shifted: 0, verdict: 0, critical: 0 };
}

function count(into: Tally, report: DriftReport, critical: DriftReport): void {
  if (report.features.some((f) => f.drifted)) into.anyFeature++;
  if (report.features[0]?.drifted) into.shifted++;
  if (report.verdict === 'Drift') into.verdict++;
  if (critical.verdict === 'Drift') into.critical++;
}

function print(figure: Record<string, unknown>): void {
  console.log(`BENCH ${JSON.stringify({ bench: 'drift-power', ...figure })}`);
}

async function main(): Promise<void> {
  const trials = option('--trials', 200);
  const criticalSettings = { ...DEFAULT_DRIFT_SETTINGS, criticalFeatures: ['f0'] };
  const tallies = SHIFTS.map(() => tally());
  let addNanos = 0;
  let added = 0;
  for (let trial = 0; trial < trials; trial++) {
    const baseline = await normalBaseline(FEATURES, REFERENCE_ROWS, 1000 + trial);
    SHIFTS.forEach((shift, s) => {
      const acc = new DriftAccumulator(baseline);
      const started = process.hrtime.bigint();
      normalRows(FEATURES, WINDOW_ROWS, 100_000 + trial * SHIFTS.length + s, (row) => acc.addRow(row), shift);
      addNanos += Number(process.hrtime.bigint() - started);
      added += WINDOW_ROWS * FEATURES;
      count(
        tallies[s] as Tally,
        driftReport(acc, DEFAULT_DRIFT_SETTINGS),
        driftReport(acc, criticalSettings),
      );
    });
  }
  SHIFTS.forEach((shift, s) => {
    const t = tallies[s] as Tally;
    const rate = (n: number) => Math.round((n / trials) * 1000) / 1000;
    const figure = {
      scenario: shift === 0 ? 'stable' : `shift ${shift}σ`,
      rows: WINDOW_ROWS,
      referenceRows: REFERENCE_ROWS,
      features: FEATURES,
      trials,
      anyFeature: rate(t.anyFeature),
      shifted: shift === 0 ? undefined : rate(t.shifted),
      verdict: rate(t.verdict),
      critical: rate(t.critical),
    };
    console.log(
      shift === 0
        ? `stable: a feature flagged in ${t.anyFeature}/${trials} windows (target ≤ 5%), verdict Drift in ${t.verdict}/${trials}`
        : `${shift}σ in f0: f0 flagged in ${t.shifted}/${trials} windows, verdict Drift ${t.verdict}/${trials} (${t.critical}/${trials} with f0 critical)`,
    );
    print(figure);
  });

  // Large windows: one feature, so 200 trials of a million rows stay affordable; the effect-size
  // threshold is what is measured here, and it is per feature.
  const largeTrials = option('--large-trials', Math.min(trials, 200));
  for (const shift of LARGE_SHIFTS) {
    let drifted = 0;
    for (let trial = 0; trial < largeTrials; trial++) {
      const baseline = await normalBaseline(1, 20_000, 5000 + trial);
      const acc = new DriftAccumulator(baseline);
      normalRows(1, LARGE_ROWS, 9000 + trial, (row) => acc.addRow(row), shift);
      if (driftReport(acc, DEFAULT_DRIFT_SETTINGS).verdict === 'Drift') drifted++;
    }
    console.log(`${shift}σ at ${LARGE_ROWS} rows: verdict Drift in ${drifted}/${largeTrials} windows`);
    print({
      scenario: `shift ${shift}σ`,
      rows: LARGE_ROWS,
      referenceSample: 10_000,
      features: 1,
      trials: largeTrials,
      verdict: Math.round((drifted / largeTrials) * 1000) / 1000,
    });
  }

  // The accumulator alone (row generation excluded): 1,000,000 rows × 20 features from a reused row.
  const baseline = await normalBaseline(FEATURES, 20_000, 77);
  const normals = new Normals(78);
  const values = Float64Array.from({ length: 100_000 * FEATURES }, () => normals.next());
  const acc = new DriftAccumulator(baseline);
  const row = new Array<number>(FEATURES).fill(0);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let pass = 0; pass < 10; pass++)
    for (let r = 0; r < 100_000; r++) {
      for (let f = 0; f < FEATURES; f++) row[f] = values[r * FEATURES + f] as number;
      acc.addRow(row);
    }
  driftReport(acc, DEFAULT_DRIFT_SETTINGS);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `accumulator: 1,000,000 rows × ${FEATURES} features in ${seconds.toFixed(2)} s ` +
      `(${cpuSeconds.toFixed(2)} s CPU, report included); ` +
      `${((seconds * 1e9) / (1_000_000 * FEATURES)).toFixed(0)} ns per value; ` +
      `small windows incl. row generation ${(addNanos / added).toFixed(0)} ns per value`,
  );
  print({
    scenario: 'accumulator',
    rows: 1_000_000,
    features: FEATURES,
    seconds: Math.round(seconds * 100) / 100,
    cpuSeconds: Math.round(cpuSeconds * 100) / 100,
    nsPerValue: Math.round((seconds * 1e9) / (1_000_000 * FEATURES)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
