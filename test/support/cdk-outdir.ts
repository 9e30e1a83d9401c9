/**
 * Per test worker: every `new App()` synthesizes into one folder under the run's base (global-setup.ts)
 * through CDK's CDK_OUTDIR variable. A worker runs its test files one at a time, so they never write the
 * same assembly at once.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.MLOPS_TEST_CDK_BASE;
if (base && !process.env.CDK_OUTDIR?.startsWith(base)) {
  process.env.CDK_OUTDIR = mkdtempSync(join(base, 'worker-'));
}
