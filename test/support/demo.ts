/**
 * `npm run demo -- --scenario <name>` as people run it: node local/main.ts in a process of its own, with
 * cdk.json's configuration and a fresh state directory. The scenario tests read its output and exit code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs a demo scenario to its end; stdout and stderr interleaved as a terminal shows them. */
export function runDemoScenario(
  scenario: string,
  stateDir: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/main.ts', '--demo', '--scenario', scenario, '--state-dir', stateDir],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}
