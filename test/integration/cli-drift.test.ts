/**
 * `mlops drift …` in-process (runCli), on files written by the test from a seeded generator:
 * - compare: the statistics `--json` prints are checked against values computed here independently of the
 *   drift library (two-sample KS by brute force over every value with Kolmogorov's series; the chi-square
 *   test of homogeneity from its contingency table, whose p-value for 2 degrees of freedom is e^(−x/2)); the
 *   verdicts (Drift, NoDrift, a critical feature, InsufficientData) and the errors, with their exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonJson } from '../../cli/drift';
import { runCli } from '../../cli/program';

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-cli-drift-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command line in-process; commands that need no runtime never resolve a target. */
async function mlops(argv: readonly string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    resolveTarget: () => {
      throw new Error('drift compare must not look up a runtime');
    },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** mulberry32: a small seeded generator, so every file is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Box–Muller. */
function normal(random: () => number, mean: number, sd: number): number {
  const u = 1 - random();
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function pick<T>(random: () => number, values: readonly T[], weights: readonly number[]): T {
  let r = random();
  for (const [i, weight] of weights.entries()) {
    r -= weight;
    if (r < 0) return values[i] as T;
  }
  return values[values.length - 1] as T;
}

const COLORS = ['red', 'green', 'blue'] as const;

interface Population {
  readonly x1Mean: number;
  readonly colorWeights: readonly number[];
}

const STABLE: Population = { x1Mean: 0, colorWeights: [0.5, 0.3, 0.2] };

/** A CSV of `rows` rows: x1 ~ N(mean, 1), x2 ~ N(10, 2), x3 ~ N(5, 1), color, and (with a label) y. */
function dataset(rows: number, seed: number, population: Population, label: boolean): string {
  const random = seeded(seed);
  const lines = [label ? 'x1,x2,color,x3,y' : 'x3,color,x2,x1'];
  for (let i = 0; i < rows; i++) {
    const x1 = normal(random, population.x1Mean, 1).toFixed(4);
    const x2 = normal(random, 10, 2).toFixed(4);
    const x3 = normal(random, 5, 1).toFixed(4);
    const color = pick(random, COLORS, population.colorWeights);
    // Columns in another order in the current files: they are matched by name.
    lines.push(
      label ? `${x1},${x2},${color},${x3},${random() < 0.5 ? 'yes' : 'no'}` : `${x3},${color},${x2},${x1}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function file(name: string, content: string): string {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
}

/** A column of a CSV written by {@link dataset} (simple CSV: no quotes). */
function column(csv: string, name: string): string[] {
  const [header = '', ...rows] = csv.trimEnd().split('\n');
  const index = header.split(',').indexOf(name);
  return rows.map((row) => row.split(',')[index] ?? '');
}

/** Two-sample KS statistic by brute force: the largest ECDF gap over every observed value. */
function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const sortedA = [...a].sort((x, y) => x - y);
  const sortedB = [...b].sort((x, y) => x - y);
  const below = (sorted: readonly number[], x: number) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((sorted[mid] as number) <= x) low = mid + 1;
      else high = mid;
    }
    return low / sorted.length;
  };
  let d = 0;
  for (const x of [...sortedA, ...sortedB]) d = Math.max(d, Math.abs(below(sortedA, x) - below(sortedB, x)));
  return d;
}

/** Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) (Kolmogorov 1933), summed to 200 terms. */
function kolmogorovQ(lambda: number): number {
  let sum = 0;
  for (let k = 1; k <= 200; k++) sum += (k % 2 === 1 ? 2 : -2) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, sum));
}

/** Pearson's chi-square statistic of a 2×K table (no continuity correction). */
function chiSquareHomogeneity(first: readonly number[], second: readonly number[]): number {
  const n1 = first.reduce((s, x) => s + x, 0);
  const n2 = second.reduce((s, x) => s + x, 0);
  let statistic = 0;
  for (const [j, o1] of first.entries()) {
    const o2 = second[j] as number;
    const total = o1 + o2;
    const e1 = (n1 * total) / (n1 + n2);
    const e2 = (n2 * total) / (n1 + n2);
    statistic += (o1 - e1) ** 2 / e1 + (o2 - e2) ** 2 / e2;
  }
  return statistic;
}

function counts(values: readonly string[]): number[] {
  return COLORS.map((color) => values.filter((value) => value === color).length);
}

describe('mlops drift compare', () => {
  const reference = dataset(3000, 1, STABLE, true);
  // A 0.5σ shift of x1 and other color shares: 2 of 4 features, driftShare 0.5.
  const shifted = dataset(1000, 2, { x1Mean: 0.5, colorWeights: [0.3, 0.3, 0.4] }, false);
  const stable = dataset(1000, 3, STABLE, false);

  it('prints the statistics anyone can check: KS D and its asymptotic p-value, chi-square without correction', async () => {
    // Prepare
    const referenceFile = file('reference.csv', reference);
    const currentFile = file('shifted.csv', shifted);

    // Act
    const { code, stdout, stderr } = await mlops(['drift', 'compare', referenceFile, currentFile, '--json']);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ComparisonJson;
    expect(Object.keys(result)).toEqual(['verdict', 'driftShare', 'rows', 'features']);
    expect(result.rows).toEqual({ reference: 3000, current: 1000 });
    expect(result.features.map((f) => [f.name, f.type])).toEqual([
      ['x1', 'numeric'],
      ['x2', 'numeric'],
      ['color', 'categorical'],
      ['x3', 'numeric'],
    ]);
    const effective = (3000 * 1000) / (3000 + 1000);
    for (const name of ['x1', 'x2', 'x3']) {
      const feature = result.features.find((f) => f.name === name);
      const d = ksStatistic(column(reference, name).map(Number), column(shifted, name).map(Number));
      expect(feature?.statistics.ksStatistic, name).toBeCloseTo(d, 12);
      expect(feature?.statistics.ksPValue, name).toBeCloseTo(kolmogorovQ(Math.sqrt(effective) * d), 10);
      expect(Object.keys(feature?.statistics ?? {})).toEqual(
        expect.arrayContaining(['ksStatistic', 'ksPValue', 'psi', 'wasserstein']),
      );
    }
    const color = result.features.find((f) => f.name === 'color');
    const chi = chiSquareHomogeneity(counts(column(reference, 'color')), counts(column(shifted, 'color')));
    expect(color?.statistics.chiSquare).toBeCloseTo(chi, 9);
    // For 2 degrees of freedom the chi-square survival function is e^(−x/2).
    expect(color?.statistics.chiSquarePValue).toBeCloseTo(Math.exp(-chi / 2), 12);
    expect(color?.statistics.jensenShannon).toBeGreaterThan(0);
    expect(color?.statistics.ksStatistic).toBeUndefined();
    // The verdict: x1 and color drifted, x2 and x3 did not: 2 of 4 reaches driftShare 0.5.
    expect(result.features.filter((f) => f.drifted).map((f) => f.name)).toEqual(['x1', 'color']);
    expect(result.driftShare).toBe(0.5);
    expect(result.verdict).toBe('Drift');
  });

  it('says NoDrift for another sample of the same population, and prints the verdict with its reasons', async () => {
    // Prepare
    const referenceFile = file('reference.csv', reference);
    const currentFile = file('stable.csv', stable);

    // Act
    const text = await mlops(['drift', 'compare', referenceFile, currentFile]);
    const json = await mlops(['drift', 'compare', referenceFile, currentFile, '--json']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Verdict +NoDrift$/m);
    expect(text.stdout).toContain('0 of 4 tested features drifted (0%), below driftShare 50%');
    expect(text.stdout).toMatch(/label y \(the column .*stable\.csv lacks\)/);
    expect(text.stdout).toMatch(/^FEATURE +TYPE +DRIFTED +SCORE +TEST +P-VALUE +ADJUSTED P +PSI +REASON$/m);
    expect(text.stdout).toMatch(/^color +categorical +no +JS [\d.]+ +χ² [\d.]+, df 2 /m);
    expect((JSON.parse(json.stdout) as ComparisonJson).verdict).toBe('NoDrift');
  });

  it('a critical feature that drifts is dataset drift on its own; too few rows is InsufficientData', async () => {
    // Prepare
    const referenceFile = file('reference.csv', reference);
    const currentFile = file('shifted.csv', shifted);
    const high = ['--drift-share', '0.9'];

    // Act
    const plain = await mlops(['drift', 'compare', referenceFile, currentFile, ...high, '--json']);
    const critical = await mlops([
      'drift',
      'compare',
      referenceFile,
      currentFile,
      ...high,
      '--critical',
      'x1',
    ]);
    const few = await mlops(['drift', 'compare', referenceFile, currentFile, '--min-samples', '5000']);

    // Assess
    expect((JSON.parse(plain.stdout) as ComparisonJson).verdict).toBe('NoDrift');
    expect(critical.stdout).toMatch(/^Verdict +Drift$/m);
    expect(critical.stdout).toContain('critical feature x1 drifted');
    expect(few.code).toBe(0);
    expect(few.stdout).toMatch(/^Verdict +InsufficientData$/m);
    expect(few.stdout).toContain('1000 rows in the window, fewer than minSamples 5000: no verdict');
  });

  it('takes the types and label from --schema (as mlops init writes it)', async () => {
    // Prepare: the contract mlops init infers from the reference, written to a file.
    const referenceFile = file('reference.csv', reference);
    const currentFile = file('stable.csv', stable);
    const schema = join(workDir, 'schema.json');
    const init = await mlops([
      'init',
      referenceFile,
      '--model',
      'drifty',
      '--target',
      'y',
      '--out',
      schema,
      '--force',
    ]);
    expect(init.code, init.stderr).toBe(0);

    // Act
    const { code, stdout } = await mlops([
      'drift',
      'compare',
      referenceFile,
      currentFile,
      '--schema',
      schema,
    ]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/label y \(the schema’s target\), types from the schema/);
  });

  it('refuses what it cannot compare, naming the file, row and column', async () => {
    // Prepare
    const referenceFile = file('reference.csv', reference);
    const withLabel = file('with-label.csv', dataset(300, 4, STABLE, true));
    const noX2 = file('no-x2.csv', 'x1,x3,color\n0.1,5,red\n');
    const text = file('text.csv', 'x1,x2,x3,color\n0.1,10,5,red\n0.2,n/a,5,red\n');
    const short = file('short.csv', 'x1,x2,x3,color\n0.1,10,5,red\n0.2,10\n');

    // Act
    const ambiguous = await mlops(['drift', 'compare', referenceFile, withLabel]);
    const missing = await mlops(['drift', 'compare', referenceFile, noX2, '--target', 'y']);
    const notNumber = await mlops(['drift', 'compare', referenceFile, text]);
    const fields = await mlops(['drift', 'compare', referenceFile, short]);
    const absent = await mlops(['drift', 'compare', join(workDir, 'nope.csv'), text]);
    const badShare = await mlops(['drift', 'compare', referenceFile, text, '--drift-share', '1.5']);
    const labelled = await mlops(['drift', 'compare', referenceFile, withLabel, '--target', 'y', '--json']);

    // Assess
    expect(ambiguous).toMatchObject({ code: 2, stdout: '' });
    expect(ambiguous.stderr).toMatch(
      /Which column of .*reference\.csv is the label\? .*with-label\.csv has every column/,
    );
    expect(ambiguous.stderr).toContain('--target <column>');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-x2\.csv has no column "x2"/);
    expect(notNumber.code).toBe(1);
    expect(notNumber.stderr).toMatch(/text\.csv, row 2 \(line 3\), column "x2": "n\/a" is not a number/);
    expect(fields.code).toBe(1);
    expect(fields.stderr).toMatch(/short\.csv, row 2 \(line 3\): 2 fields \(expected 4, as in the header\)/);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/File not found: .*nope\.csv/);
    expect(badShare.code).toBe(2);
    // A label column in the current file is ignored once the label is named.
    expect(labelled.code).toBe(0);
    expect((JSON.parse(labelled.stdout) as ComparisonJson).rows.current).toBe(300);
  });
});
