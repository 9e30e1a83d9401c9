/**
 * `npm run bench`: runs every bench script in this folder in its own child process (so their timings and
 * memory do not disturb each other), echoes their output, and ends with a summary of the figures they
 * printed as `BENCH {json}` lines. Arguments are passed on to every script (e.g. `-- --size 100MB`).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

interface ScriptRun {
  readonly script: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly figures: readonly Record<string, unknown>[];
}

function benchScripts(): string[] {
  return readdirSync(__dirname)
    .filter((name) => name.endsWith('.ts') && name !== 'index.ts' && !name.endsWith('.d.ts'))
    .sort();
}

function runScript(script: string, args: readonly string[]): Promise<ScriptRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', path.join(__dirname, script), ...args],
    {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
      // Node 20 is supported here; the SDK's notice about its future Node requirement would bury the figures.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
    },
  );
  const figures: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    process.stdout.write(text);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('BENCH '))
        figures.push(JSON.parse(line.slice('BENCH '.length)) as Record<string, unknown>);
    }
  });
  return new Promise((resolve) => {
    child.on('close', (code) =>
      resolve({ script, code, seconds: (performance.now() - started) / 1000, figures }),
    );
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs: ScriptRun[] = [];
  for (const script of benchScripts()) {
    console.log(`\n=== ${script}`);
    runs.push(await runScript(script, args));
  }
  console.log('\n=== summary');
  for (const run of runs) {
    const status = run.code === 0 ? 'ok' : `failed (exit ${run.code})`;
    console.log(`${run.script}: ${status} in ${run.seconds.toFixed(1)} s`);
    for (const figure of run.figures) console.log(`  ${JSON.stringify(figure)}`);
  }
  if (runs.some((run) => run.code !== 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
