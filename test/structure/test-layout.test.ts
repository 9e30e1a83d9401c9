/**
 * Tests mirror the code layout (test/README.md): test/unit/<code path>/<module>[.<aspect>].test.ts tests
 * <code path>/<module>.ts (or <module>/index.ts, <module>.cjs); test/constructs and test/workflows mirror
 * lib/constructs and lib/workflows; other test files live only in the cross-cutting folders.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
/** The folders whose files unit tests may mirror. */
const CODE_ROOTS = ['bench', 'bin', 'cli', 'lambdas', 'lib', 'local', 'scripts'];
/** Test folders that mirror no single module: real local servers, the whole runtime, the docs, this check. */
const CROSS_CUTTING = ['test/integration', 'test/e2e', 'test/docs', 'test/structure'];
/** Construct tests that are not about one lib/constructs file, and why. */
const CONSTRUCT_ALLOWANCES: Record<string, string> = {
  'test/constructs/serverless-mlops-stack.test.ts': 'lib/serverless-mlops-stack.ts', // the stack that composes them
  'test/constructs/least-privilege.test.ts': 'every role of the synthesized stack', // a stack-wide check
};

/** Every file under `directory` (repository-relative, `/`-separated), recursively. */
function filesUnder(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

/** The code module a file defines: `a/b.ts` and `a/b/index.ts` both define `a/b`. */
function moduleOf(file: string): string {
  return file.replace(/\.(ts|cjs|mts)$/, '').replace(/\/index$/, '');
}

/**
 * Why `testFile` is not where the convention puts it, naming the expected location(s), or undefined when it is.
 * `codeFiles` are the repository's code files (repository-relative paths).
 */
function layoutProblem(testFile: string, codeFiles: ReadonlySet<string>): string | undefined {
  const match = /^(test\/[^/]+)\/(?:(.*)\/)?([^/.]+)(?:\.[^/]+)?\.test\.ts$/.exec(testFile);
  if (!match) return `${testFile}: a test file is named <module>[.<aspect>].test.ts`;
  const [, folder, directory, module] = match;
  const codePath = directory ? `${directory}/${module}` : `${module}`;
  const exists = (path: string) =>
    ['.ts', '.cjs', '.mts', '/index.ts'].some((ext) => codeFiles.has(`${path}${ext}`));
  if (folder === 'test/unit') {
    if (exists(codePath)) return undefined;
    const sameName = [...codeFiles].map(moduleOf).filter((path) => path.split('/').at(-1) === module);
    const expected = [...new Set(sameName)].map((path) => `test/unit/${path}.test.ts`);
    return `${testFile}: no code module ${codePath}.ts (or ${codePath}/index.ts); expected at ${
      expected.length > 0 ? expected.join(' or ') : 'test/unit/<code path>/<module>.test.ts'
    }`;
  }
  if (folder === 'test/constructs' || folder === 'test/workflows') {
    if (!directory && testFile in CONSTRUCT_ALLOWANCES) return undefined;
    const lib = `lib/${folder.slice('test/'.length)}`;
    if (!directory && exists(`${lib}/${module}`)) return undefined;
    return `${testFile}: no ${lib}/${module}.ts; expected at ${folder}/<file of ${lib}>.test.ts`;
  }
  if (CROSS_CUTTING.includes(folder ?? '')) return undefined;
  return `${testFile}: tests live in test/unit, test/constructs, test/workflows or ${CROSS_CUTTING.join(', ')}`;
}

describe('layoutProblem', () => {
  const code = new Set([
    'lambdas/start-run/start-run.ts',
    'lambdas/validate-dataset/index.ts',
    'scripts/ensure-setup.cjs',
    'lib/constructs/alarms.ts',
    'lib/workflows/deployment.ts',
  ]);

  it('accepts a test at the path of its module, with or without an aspect', () => {
    // Act + Assess
    expect(layoutProblem('test/unit/lambdas/start-run/start-run.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/unit/lambdas/validate-dataset/index.accept.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/unit/lambdas/validate-dataset.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/unit/scripts/ensure-setup.chromium.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/constructs/alarms.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/workflows/deployment.test.ts', code)).toBeUndefined();
    expect(layoutProblem('test/e2e/anything.test.ts', code)).toBeUndefined();
  });

  it('names where a misplaced unit test belongs', () => {
    // Act
    const problem = layoutProblem('test/unit/lambdas/start-run.test.ts', code);

    // Assess
    expect(problem).toBe(
      'test/unit/lambdas/start-run.test.ts: no code module lambdas/start-run.ts (or lambdas/start-run/index.ts); ' +
        'expected at test/unit/lambdas/start-run/start-run.test.ts',
    );
  });

  it('refuses construct and workflow tests without their lib file, and tests in other folders', () => {
    // Act + Assess
    expect(layoutProblem('test/constructs/alarm.test.ts', code)).toMatch(/no lib\/constructs\/alarm\.ts/);
    expect(layoutProblem('test/workflows/sub/deployment.test.ts', code)).toMatch(
      /no lib\/workflows\/deployment\.ts/,
    );
    expect(layoutProblem('test/support/cdk.test.ts', code)).toMatch(/tests live in test\/unit/);
  });
});

describe('the repository', () => {
  it('keeps every test file where the convention puts it', () => {
    // Prepare
    const code = new Set(CODE_ROOTS.flatMap(filesUnder));
    const tests = filesUnder('test').filter((file) => file.endsWith('.test.ts'));

    // Act
    const problems = tests
      .map((file) => layoutProblem(file, code))
      .filter((problem) => problem !== undefined);

    // Assess
    expect(tests.length).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
