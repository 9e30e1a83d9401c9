#!/usr/bin/env node
/**
 * Runs before `npm start`, `npm run demo` and `npm test` (the pre* scripts), so that a fresh clone needs
 * nothing but those commands:
 * 1. Node.js is new enough (package.json engines), and a Java runtime 17+ is on PATH (DynamoDB Local runs on
 *    it; AWS's DynamoDB Local guide: "To run DynamoDB v2.6.0 or greater on your computer, you must have the Java
 *    Runtime Environment (JRE) version 17.x or newer"). Neither can be installed from here: one line says
 *    what is missing and the command that installs it, and the script exits 1 within its first second.
 *    Before `npm test` only, a Chromium too: the console's browser test drives the system's (playwright-core
 *    by executable path; its own browser download cannot be reached), and is never skipped.
 * 2. The npm dependencies are installed (`npm ci`, with npm's progress) when node_modules is missing or
 *    differs from package-lock.json.
 *
 * Plain CommonJS with no dependencies: node_modules may not exist yet.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, statSync } = require('node:fs');
const { delimiter, join } = require('node:path');

const ROOT = join(__dirname, '..');
const MIN_JAVA = 17;
const JAVA_INSTALL = 'sudo apt-get install openjdk-17-jre-headless (macOS: brew install openjdk@17)';
/** Executable names of Chromium and Chrome on PATH, Debian's package first. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const CHROMIUM_INSTALL =
  'sudo apt-get install chromium, or set CHROMIUM_PATH to a Chromium or Chrome executable';

/** `>=20.19` style ranges only (what package.json declares): the lowest version, as [major, minor, patch]. */
function minimumVersion(range) {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim());
  if (!match) throw new Error(`engines.node "${range}": only ">=X.Y" ranges are understood here`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** A one-line problem with this Node.js, or undefined. */
function nodeProblem(version, range) {
  const have = String(version).replace(/^v/, '').split('.').map(Number);
  const want = minimumVersion(range);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > want[i]) return undefined;
    if ((have[i] ?? 0) < want[i]) {
      return `Node.js ${version} is too old: this project needs Node.js ${range} (https://nodejs.org, or nvm install 22).`;
    }
  }
  return undefined;
}

/** The major version in `java -version` output: `openjdk version "17.0.15"` → 17, `"1.8.0_392"` → 8. */
function javaMajor(versionOutput) {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/** A one-line problem with the Java runtime on PATH (`java -version`'s result), or undefined. */
function javaProblem(result) {
  if (result.error) {
    return result.error.code === 'ENOENT'
      ? `Java is missing: DynamoDB Local (the local model registry) needs a Java runtime ${MIN_JAVA}+. Install one: ${JAVA_INSTALL}`
      : `Java could not be run (${result.error.message}): DynamoDB Local needs a Java runtime ${MIN_JAVA}+. Install one: ${JAVA_INSTALL}`;
  }
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const major = javaMajor(output);
  if (result.status !== 0 || major === undefined) {
    return `java -version failed (${output.trim().split('\n')[0] || `exit ${result.status}`}): DynamoDB Local needs a Java runtime ${MIN_JAVA}+. Install one: ${JAVA_INSTALL}`;
  }
  if (major < MIN_JAVA) {
    return `Java ${major} is too old: DynamoDB Local needs a Java runtime ${MIN_JAVA}+. Install one: ${JAVA_INSTALL}`;
  }
  return undefined;
}

/**
 * The Chromium the browser tests drive: CHROMIUM_PATH when set, else the first of CHROMIUM_NAMES on PATH;
 * undefined when there is none.
 */
function chromiumPath(env = process.env) {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  const dirs = String(env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean);
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
  }
  return undefined;
}

/** A one-line problem when no Chromium is found (see chromiumPath), or undefined. */
function chromiumProblem(env = process.env) {
  if (chromiumPath(env)) return undefined;
  return env.CHROMIUM_PATH
    ? `CHROMIUM_PATH ${env.CHROMIUM_PATH} does not exist: the console's browser test needs Chromium. Install it: ${CHROMIUM_INSTALL}`
    : `Chromium is missing: the console's browser test drives it headless. Install it: ${CHROMIUM_INSTALL}`;
}

/**
 * Whether `npm ci` must run: 'missing' (no node_modules/.package-lock.json, which npm writes after every
 * install), 'stale' (package-lock.json names a package version that is not installed), or 'current'.
 * A node_modules newer than package-lock.json is taken as current without reading either file; an older one
 * is compared entry by entry, so a mere touch or checkout of the same lock does not reinstall.
 */
function dependencyState(root) {
  const lockFile = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return 'missing';
  if (statSync(installed).mtimeMs >= statSync(lockFile).mtimeMs) return 'current';
  const wanted = JSON.parse(readFileSync(lockFile, 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(installed, 'utf8')).packages ?? {};
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '' || entry.link) continue;
    // Optional packages for other platforms (esbuild's, biome's binaries) are never installed here.
    if (entry.optional && !have[path]) continue;
    if (have[path]?.version !== entry.version) return 'stale';
    // Same version, other bytes: a vendored tarball (local/vendor) that was re-packed.
    if (entry.integrity && have[path].integrity && have[path].integrity !== entry.integrity) return 'stale';
  }
  return 'current';
}

function main() {
  const fail = (line) => {
    process.stderr.write(`✖ ${line}\n`);
    process.exit(1);
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const node = nodeProblem(process.version, pkg.engines.node);
  if (node) fail(node);
  const java = javaProblem(spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 20_000 }));
  if (java) fail(java);
  if (process.env.npm_lifecycle_event === 'pretest') {
    const chromium = chromiumProblem();
    if (chromium) fail(chromium);
  }

  const state = dependencyState(ROOT);
  if (state === 'current') return;
  const started = Date.now();
  process.stderr.write(
    state === 'missing'
      ? '▶ Installing dependencies (npm ci, first run only: about a minute) …\n'
      : '▶ package-lock.json changed: reinstalling dependencies (npm ci) …\n',
  );
  const npm = process.env.npm_execpath
    ? { command: process.execPath, args: [process.env.npm_execpath] }
    : { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: [] };
  const install = spawnSync(npm.command, [...npm.args, 'ci', '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (install.status !== 0)
    fail(`npm ci failed (exit ${install.status ?? install.signal}); see its output above.`);
  process.stderr.write(`  dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

module.exports = {
  chromiumPath,
  chromiumProblem,
  dependencyState,
  javaMajor,
  javaProblem,
  minimumVersion,
  nodeProblem,
};

if (require.main === module) main();
