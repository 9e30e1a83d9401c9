/**
 * scripts/ensure-setup.cjs's Chromium check: `npm test` (its pretest) stops at once naming the package when
 * no Chromium is found for the console's browser test; `npm start` does not need one.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'ensure-setup.cjs');
const setup = createRequire(__filename)(SCRIPT) as {
  chromiumPath(env: NodeJS.ProcessEnv): string | undefined;
  chromiumProblem(env: NodeJS.ProcessEnv): string | undefined;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-chromium-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An executable file named `name` in `dir`/`sub`; returns the folder. */
function executable(sub: string, name: string): string {
  const folder = join(dir, sub);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), '#!/bin/sh\n');
  chmodSync(join(folder, name), 0o755);
  return folder;
}

describe('chromiumPath', () => {
  it("finds Debian's chromium on PATH before Chrome", () => {
    const chrome = executable('a', 'google-chrome');
    const chromium = executable('b', 'chromium');
    expect(setup.chromiumPath({ PATH: [chrome, chromium].join(delimiter) })).toBe(join(chromium, 'chromium'));
  });

  it('takes CHROMIUM_PATH when it exists, over PATH', () => {
    const chromium = executable('b', 'chromium');
    const own = join(executable('c', 'my-chrome'), 'my-chrome');
    expect(setup.chromiumPath({ PATH: chromium, CHROMIUM_PATH: own })).toBe(own);
  });

  it('finds none on a PATH without one, and names the package to install', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(setup.chromiumPath({ PATH: empty })).toBeUndefined();
    expect(setup.chromiumProblem({ PATH: empty })).toMatch(
      /^Chromium is missing: .*sudo apt-get install chromium/,
    );
  });

  it('says that a CHROMIUM_PATH which does not exist does not', () => {
    expect(setup.chromiumProblem({ CHROMIUM_PATH: join(dir, 'nope') })).toMatch(
      /^CHROMIUM_PATH .*nope does not exist/,
    );
  });
});

describe('ensure-setup.cjs without a Chromium', () => {
  /**
   * The script in a copy of the project's root files (node_modules taken as current, so nothing installs)
   * with a PATH of node and java only, as npm runs it for `lifecycle`.
   */
  function run(lifecycle: string): ReturnType<typeof spawnSync> {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, file), join(dir, file));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(SCRIPT, join(dir, 'scripts', 'ensure-setup.cjs'));
    mkdirSync(join(dir, 'node_modules'));
    const installed = join(dir, 'node_modules', '.package-lock.json');
    writeFileSync(installed, '{}');
    const later = new Date(Date.now() + 60_000);
    utimesSync(installed, later, later);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const java = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(java, join(bin, 'java'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, npm_lifecycle_event: lifecycle };
    delete env.CHROMIUM_PATH;
    return spawnSync(process.execPath, [join(dir, 'scripts', 'ensure-setup.cjs')], {
      cwd: dir,
      encoding: 'utf8',
      env,
      timeout: 20_000,
    });
  }

  it('stops npm test at once with one line naming chromium and its install command', () => {
    // Act
    const started = Date.now();
    const result = run('pretest');

    // Assess
    expect(result.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    const lines = String(result.stderr).trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^✖ Chromium is missing: .*sudo apt-get install chromium/)]);
  });

  it('lets npm start go on (the runtime needs no browser)', () => {
    // Act
    const result = run('prestart');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
