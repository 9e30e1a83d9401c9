/**
 * scripts/ensure-setup.cjs, which runs before npm start / npm run demo / npm test: its checks on their own,
 * and the script as npm runs it, in a copy of the project's root files in a temporary folder.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const setup = createRequire(__filename)(join(ROOT, 'scripts', 'ensure-setup.cjs')) as {
  dependencyState(root: string): 'missing' | 'stale' | 'current';
  javaProblem(result: {
    error?: NodeJS.ErrnoException;
    status?: number | null;
    stderr?: string;
  }): string | undefined;
  nodeProblem(version: string, range: string): string | undefined;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-setup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeLock(file: string, packages: Record<string, object>, mtime: Date): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ lockfileVersion: 3, packages }));
  utimesSync(file, mtime, mtime);
}

const EARLIER = new Date('2026-01-01T00:00:00Z');
const LATER = new Date('2026-01-02T00:00:00Z');
const LOCK = {
  '': { name: 'p' },
  'node_modules/a': { version: '1.0.0' },
  'node_modules/@esbuild/darwin-arm64': { version: '0.28.2', optional: true },
};

describe('dependencyState', () => {
  it('is missing without node_modules (a fresh clone)', () => {
    writeLock(join(dir, 'package-lock.json'), LOCK, EARLIER);
    expect(setup.dependencyState(dir)).toBe('missing');
  });

  it('is current when node_modules was installed after package-lock.json changed', () => {
    writeLock(join(dir, 'package-lock.json'), LOCK, EARLIER);
    writeLock(join(dir, 'node_modules', '.package-lock.json'), {}, LATER);
    expect(setup.dependencyState(dir)).toBe('current');
  });

  it('is stale when package-lock.json is newer and names a version that is not installed', () => {
    writeLock(join(dir, 'package-lock.json'), { ...LOCK, 'node_modules/a': { version: '2.0.0' } }, LATER);
    writeLock(
      join(dir, 'node_modules', '.package-lock.json'),
      { 'node_modules/a': { version: '1.0.0' } },
      EARLIER,
    );
    expect(setup.dependencyState(dir)).toBe('stale');
  });

  it('is stale when package-lock.json is newer and a package of the same version has other bytes (a re-packed tarball)', () => {
    const lock = { ...LOCK, 'node_modules/a': { version: '1.0.0', integrity: 'sha512-new' } };
    writeLock(join(dir, 'package-lock.json'), lock, LATER);
    const installed = { 'node_modules/a': { version: '1.0.0', integrity: 'sha512-old' } };
    writeLock(join(dir, 'node_modules', '.package-lock.json'), installed, EARLIER);
    expect(setup.dependencyState(dir)).toBe('stale');
  });

  it('is current when package-lock.json is only newer on disk (a checkout of the same lock)', () => {
    writeLock(join(dir, 'package-lock.json'), LOCK, LATER);
    // Optional packages for other platforms are never installed.
    writeLock(
      join(dir, 'node_modules', '.package-lock.json'),
      { 'node_modules/a': { version: '1.0.0' } },
      EARLIER,
    );
    expect(setup.dependencyState(dir)).toBe('current');
  });
});

describe('javaProblem', () => {
  it('names the missing JRE and the command that installs it, on one line', () => {
    const error = Object.assign(new Error('spawnSync java ENOENT'), { code: 'ENOENT' });
    const problem = setup.javaProblem({ error });
    expect(problem).toMatch(
      /Java is missing: .*Java runtime 17\+.*sudo apt-get install openjdk-17-jre-headless/,
    );
    expect(problem).not.toContain('\n');
  });

  it.each([
    ['openjdk version "17.0.15" 2025-04-15', undefined],
    ['openjdk version "21" 2023-09-19', undefined],
    ['openjdk version "11.0.2" 2019-01-15', 'Java 11 is too old'],
    ['java version "1.8.0_392"', 'Java 8 is too old'],
  ])('reads "%s"', (stderr, expected) => {
    const problem = setup.javaProblem({ status: 0, stderr });
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(expected);
  });
});

describe('nodeProblem', () => {
  it.each([
    ['v20.18.3', true],
    ['v20.19.0', false],
    ['v20.20.2', false],
    ['v22.1.0', false],
    ['v18.20.0', true],
  ])('Node %s against >=20.19: problem %s', (version, problem) => {
    expect(setup.nodeProblem(version, '>=20.19') !== undefined).toBe(problem);
  });
});

describe('ensure-setup.cjs, run as npm runs it', () => {
  /** The project's root files and the script in `dir`, npm replaced by a stub that logs its arguments. */
  function project(): { run(path: string): ReturnType<typeof spawnSync>; npmCalls(): string[] } {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, file), join(dir, file));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'ensure-setup.cjs'), join(dir, 'scripts', 'ensure-setup.cjs'));
    const calls = join(dir, 'npm-calls.txt');
    const stub = join(dir, 'npm-stub.cjs');
    writeFileSync(
      stub,
      `require('node:fs').appendFileSync(${JSON.stringify(calls)}, process.argv.slice(2).join(' ') + '\\n');`,
    );
    return {
      run: (path) =>
        spawnSync(process.execPath, [join(dir, 'scripts', 'ensure-setup.cjs')], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, PATH: path, npm_execpath: stub },
          timeout: 20_000,
        }),
      npmCalls: () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []),
    };
  }

  it('without Java stops at once with one line naming the JRE and its install command, before installing anything', () => {
    // Prepare: a PATH with node and nothing else
    const { run, npmCalls } = project();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));

    // Act
    const started = Date.now();
    const result = run(bin);

    // Assess
    expect(result.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    const lines = String(result.stderr).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^✖ Java is missing: .*sudo apt-get install openjdk-17-jre-headless/);
    expect(npmCalls()).toEqual([]);
  });

  it('installs the dependencies with npm ci when node_modules is missing, saying so first', () => {
    // Prepare
    const { run, npmCalls } = project();

    // Act
    const result = run(process.env.PATH ?? '');

    // Assess
    expect(result.status).toBe(0);
    expect(String(result.stderr)).toContain('▶ Installing dependencies (npm ci');
    expect(npmCalls()).toEqual(['ci --no-audit --no-fund']);
  });

  it('does nothing more when node_modules is current', () => {
    // Prepare
    const { run, npmCalls } = project();
    writeLock(join(dir, 'node_modules', '.package-lock.json'), {}, new Date(Date.now() + 60_000));

    // Act
    const result = run(process.env.PATH ?? '');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(npmCalls()).toEqual([]);
  });
});
