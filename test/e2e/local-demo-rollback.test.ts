/**
 * `npm run demo -- --scenario rollback` as people run it (node local/main.ts in a process of its own, cdk.json's
 * configuration): its output shows v1 deployed, v2's canary taking traffic, the 5XX alarm, the rollback and
 * `production` unchanged, and it exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemoScenario } from '../support/demo';

describe('npm run demo -- --scenario rollback', () => {
  it('shows the canary, the alarm, the rollback and the production alias unchanged, and exits 0', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'mlops-demo-rollback-'));
    try {
      // Act
      const { code, output } = await runDemoScenario('rollback', stateDir);

      // Assess
      expect(output).toContain(
        '✔ penguins v1 deployed: endpoint serverlessmlops-penguins served it while the demo ran',
      );
      expect(output).toMatch(/blue\/green serverlessmlops-penguins-v2-a1: ActivatingTraffic, 50% of traffic/);
      expect(output).toMatch(/alarm serverlessmlops-penguins-invocation-5xx-errors: OK → ALARM/);
      expect(output).toMatch(/blue\/green serverlessmlops-penguins-v2-a1: Deleting/);
      expect(output).toContain(
        'endpoint serverlessmlops-penguins: IN_SERVICE on serverlessmlops-penguins-v1-a1',
      );
      expect(output).toContain('✖ penguins v2 not deployed: RolledBack');
      expect(output).toMatch(/fleet {8}serverlessmlops-penguins-v2-a1: (\d+) requests, \1 errors/);
      expect(output).toContain('production   v1 (unchanged: still v1)');
      expect(output).toContain(
        "Scenario done: v2's canary failed, its alarm rolled it back, v1 kept serving.",
      );
      expect(code, output).toBe(0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
