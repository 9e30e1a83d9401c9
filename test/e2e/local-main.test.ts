/**
 * `npm start` as a process: it stops everything it started, and removes its discovery file, however it is
 * told to stop.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

describe('npm start, as a process', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129], // a closed terminal
  ] as const)('on %s stops DynamoDB Local and the servers and removes runtime.json', async (signal, code) => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'mlops-main-'));
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const main = spawn(
      process.execPath,
      ['--import', tsx, join(ROOT, 'local', 'main.ts'), '--no-sample', '--state-dir', stateDir],
      { stdio: 'ignore' },
    );
    try {
      await until(() => existsSync(join(stateDir, 'runtime.json')), main);

      // Act
      main.kill(signal);
      const exitCode = await new Promise((resolve) => main.once('exit', (status) => resolve(status)));

      // Assess
      expect(exitCode).toBe(code);
      expect(existsSync(join(stateDir, 'runtime.json'))).toBe(false);
      // DynamoDB Local's command line names its -dbPath, inside the state directory.
      expect(processesMentioning(stateDir)).toEqual([]);
    } finally {
      main.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

async function until(condition: () => boolean, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 50_000;
  while (!condition()) {
    if (child.exitCode !== null) throw new Error(`npm start exited early with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('npm start did not come up in time');
    await sleep(100);
  }
}

function processesMentioning(text: string): string[] {
  const table = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(text) && !line.trimStart().startsWith('Z'));
}
