/**
 * One temporary folder for every cloud assembly the tests synthesize (each worker gets a sub-folder, see
 * cdk-outdir.ts), removed when the run ends: `new App()` would otherwise leave a `cdk.out*` folder in the
 * system's temporary directory per synth, over a thousand per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const base = mkdtempSync(join(tmpdir(), 'mlops-test-cdk-'));
  process.env.MLOPS_TEST_CDK_BASE = base;
  return () => rmSync(base, { recursive: true, force: true });
}
