/**
 * `npm run demo -- --scenario drift` as people run it (node local/main.ts in a process of its own, cdk.json's
 * configuration, the stack's own schedules at the scenario's time scale): its output shows v1 deployed, a
 * drift window without drift on baseline-like traffic, drift on shifted traffic, the labels uploaded, the
 * retrain, v2 through the champion gate and its blue/green deployment, and it exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemoScenario } from '../support/demo';

describe('npm run demo -- --scenario drift', () => {
  it('shows no drift, then drift, the labels, the retrain, the champion gate and v2 deployed, and exits 0', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'mlops-demo-drift-'));
    try {
      // Act
      const { code, output } = await runDemoScenario('drift', stateDir);

      // Assess
      expect(output).toContain(
        '✔ penguins v1 deployed: endpoint serverlessmlops-penguins served it while the demo ran',
      );
      // Baseline-like traffic: the sample's own rows do not drift.
      expect(output).toMatch(/window {7}\d{8}T\d{6}\.\d{3}Z_\d{8}T\d{6}\.\d{3}Z: NoDrift, \d+ rows/);
      // Shifted traffic: three of six features move, at least driftShare 50%.
      expect(output).toMatch(
        /window {7}\S+: Drift, \d+ rows; drifted: (?=.*body_mass_g)(?=.*flipper_length_mm)(?=.*bill_length_mm)/,
      );
      expect(output).toMatch(
        /labels {7}344 rows of 8 requests: s3:\/\/\S+\/ground-truth\/penguins\/labels-1\.csv/,
      );
      expect(output).toMatch(/retrain {6}RetrainStarted: /);
      expect(output).toMatch(/datasets\/penguins\/retrain-\S+\.csv/);
      expect(output).toMatch(/✔ penguins v2 registered: Approved/);
      expect(output).toContain(
        '✔ penguins v2 deployed: endpoint serverlessmlops-penguins served it while the demo ran',
      );
      expect(output).toContain('production   v2 (moved from v1)');
      expect(output).toContain(
        'Scenario done: drift on the shifted traffic, a retrain on its labels, v2 passed the champion gate and was deployed.',
      );
      expect(code, output).toBe(0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 600_000);
});
