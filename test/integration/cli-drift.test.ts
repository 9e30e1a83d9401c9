/**
 * `mlops drift …` in-process (runCli), on files written by the test from a seeded generator:
 * - compare: the statistics `--json` prints are checked against values computed here independently of the
 *   drift library (two-sample KS by brute force over every value with Kolmogorov's series; the chi-square
 *   test of homogeneity from its contingency table, whose p-value for 2 degrees of freedom is e^(−x/2)); the
 *   verdicts (Drift, NoDrift, a critical feature, InsufficientData) and the errors, with their exit codes;
 * - show and report: against DynamoDB Local (the registry's monitoring windows) and s3rver (the windows'
 *   reports), windows recorded as the scheduled check records them, with reports built from the real drift
 *   statistics and rendered by the check's own HTML renderer.
 */
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonJson } from '../../cli/drift';
import type { WindowDetails, WindowListing } from '../../cli/drift-windows';
import { runCli } from '../../cli/program';
import { CaptureProblems } from '../../lambdas/shared/capture';
import { DEFAULT_DRIFT_SETTINGS, DriftAccumulator, driftReport } from '../../lambdas/shared/drift';
import {
  type DriftWindowReport,
  driftedFeatures,
  MonitoringReportFiles,
  renderDriftReportHtml,
  windowReportKey,
} from '../../lambdas/shared/monitoring';
import {
  type Lineage,
  ModelRegistryClient,
  MonitoringWindows,
  windowIdFor,
} from '../../lambdas/shared/registry';
import { baselineFromRows } from '../../lambdas/validate-dataset/drift-baseline';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import { type RuntimeDiscovery, writeDiscovery } from '../../local/discovery';
import { useRegistryTable } from '../support/dynamodb';

const DATA_BUCKET = 'drift-data-bucket';
const ARTIFACTS_BUCKET = 'drift-artifacts-bucket';

const table = useRegistryTable();
let workDir: string;
let stateDir: string;
let localS3: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-cli-drift-'));
  stateDir = join(workDir, 'state');
  mkdirSync(stateDir);
  localS3 = await startLocalS3({ directory: join(workDir, 's3'), buckets: [DATA_BUCKET, ARTIFACTS_BUCKET] });
  s3 = new S3Client(localS3ClientConfig(localS3.endpoint, 'us-east-1'));
  const discovery: RuntimeDiscovery = {
    formatVersion: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    endpoints: {
      s3: localS3.endpoint,
      dynamodb: table.endpoint,
      eventbridge: 'http://127.0.0.1:1',
      sagemaker: 'http://127.0.0.1:1',
    },
    resources: {
      dataBucket: DATA_BUCKET,
      artifactsBucket: ARTIFACTS_BUCKET,
      registryTable: table.tableName,
      trainingStateMachine: 'arn:aws:states:us-east-1:123456789012:stateMachine:training',
    },
  };
  writeDiscovery(stateDir, discovery);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await localS3?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one command line in-process. `compare` must never look up a runtime; the others use the test's
 * (DynamoDB Local and s3rver, through its runtime.json).
 */
async function mlops(argv: readonly string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const offline = argv[1] === 'compare' || argv[0] === 'init';
  const code = await runCli(offline ? argv : [...argv, '--state-dir', stateDir], {
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    ...(offline
      ? {
          resolveTarget: () => {
            throw new Error(`${argv.join(' ')} must not look up a runtime`);
          },
        }
      : {}),
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

describe('mlops drift show and drift report', () => {
  const model = 'drifty';
  const reference = dataset(3000, 11, STABLE, true);
  const windows = [
    {
      from: '2026-11-30T10:00:00.000Z',
      until: '2026-11-30T11:00:00.000Z',
      rows: 800,
      seed: 12,
      population: STABLE,
    },
    {
      from: '2026-11-30T11:00:00.000Z',
      until: '2026-11-30T12:00:00.000Z',
      rows: 1000,
      seed: 13,
      population: { x1Mean: 0.5, colorWeights: [0.3, 0.3, 0.4] },
    },
    {
      from: '2026-11-30T12:00:00.000Z',
      until: '2026-11-30T13:00:00.000Z',
      rows: 50,
      seed: 14,
      population: STABLE,
    },
  ] as const;
  let registry: ModelRegistryClient;

  beforeAll(async () => {
    // Prepare: a model with a version, and three checked windows, each with its JSON and HTML report.
    registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
    const monitoring = new MonitoringWindows({ client: table.documentClient, tableName: table.tableName });
    await registry.registerVersion(model, {
      lineage: lineage(model, `${model}-0123456789abcdef`),
      status: 'Approved',
    });
    const referenceFile = file('window-reference.csv', reference);
    const { statistics } = await baselineFromRows({
      open: () => createReadStream(referenceFile),
      targetColumn: 'y',
    });
    let previousUntil: string | undefined;
    for (const window of windows) {
      const accumulator = new DriftAccumulator(statistics);
      const csv = dataset(window.rows, window.seed, window.population, false);
      const [header = '', ...rows] = csv.trimEnd().split('\n');
      const names = header.split(',');
      for (const row of rows) {
        const fields = row.split(',');
        accumulator.addRow(statistics.features.map((feature) => fields[names.indexOf(feature.name)] ?? null));
      }
      const drift = driftReport(accumulator, DEFAULT_DRIFT_SETTINGS);
      const windowId = windowIdFor(window.from, window.until);
      const problems = new CaptureProblems();
      problems.add('malformed-record', 'not JSON: <script>alert(1)</script>', {
        file: `capture/${model}/e/AllTraffic/2026/11/30/10/00-00-000-x.jsonl`,
        line: 3,
      });
      const report: DriftWindowReport = {
        formatVersion: 1,
        kind: 'drift',
        model,
        version: 1,
        runId: `${model}-0123456789abcdef`,
        windowId,
        from: window.from,
        until: window.until,
        checkedAt: window.until,
        capture: {
          files: 2,
          bytes: 4096,
          records: window.rows,
          requestRows: window.rows + 1,
          rows: window.rows,
          predictions: 0,
          internalRecords: window.rows === 1000 ? 20 : 0,
          predictionBaseline: false,
          problems: problems.summary(),
        },
        settings: {
          minSamples: DEFAULT_DRIFT_SETTINGS.minSamples,
          driftShare: DEFAULT_DRIFT_SETTINGS.driftShare,
          criticalFeatures: [],
          correction: DEFAULT_DRIFT_SETTINGS.correction,
          alpha: DEFAULT_DRIFT_SETTINGS.alpha,
        },
        drift,
      };
      const jsonKey = windowReportKey(model, windowId, MonitoringReportFiles.json);
      const htmlKey = windowReportKey(model, windowId, MonitoringReportFiles.html);
      await put(jsonKey, JSON.stringify(report));
      await put(htmlKey, renderDriftReportHtml(report));
      await monitoring.recordWindow({
        model,
        kind: 'drift',
        from: window.from,
        until: window.until,
        previousUntil,
        verdict: drift.verdict,
        alarming: drift.verdict === 'Drift',
        version: 1,
        rows: drift.rows.current,
        reasons: drift.reasons,
        reports: { json: jsonKey, html: htmlKey },
        summary: { driftShare: drift.driftShare, driftedFeatures: driftedFeatures(drift) },
        eventType: 'DriftChecked',
      });
      previousUntil = window.until;
    }
  }, 60_000);

  async function put(key: string, body: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: ARTIFACTS_BUCKET, Key: key, Body: body }));
  }

  it('lists the windows newest first with verdict, rows, drift share and drifted features', async () => {
    // Act
    const text = await mlops(['drift', 'show', model]);
    const json = await mlops(['drift', 'show', model, '--json']);
    const limited = await mlops(['drift', 'show', model, '--limit', '2']);

    // Assess
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WINDOW +VERSION +VERDICT +ROWS +DRIFT SHARE +DRIFTED +CHECKED$/);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/).slice(0, 6))).toEqual([
      [windowIdFor(windows[2].from, windows[2].until), 'v1', 'InsufficientData', '50', '0%', '-'],
      [windowIdFor(windows[1].from, windows[1].until), 'v1', 'Drift', '1000', '50%', 'x1, color'],
      [windowIdFor(windows[0].from, windows[0].until), 'v1', 'NoDrift', '800', '0%', '-'],
    ]);
    const listing = JSON.parse(json.stdout) as WindowListing;
    expect(listing.windows.map((w) => w.verdict)).toEqual(['InsufficientData', 'Drift', 'NoDrift']);
    expect(listing.more).toBe(false);
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(limited.stdout).toContain('More windows are recorded: raise --limit.');
  });

  it('shows one window: bounds, verdict, reasons, what the capture gave, a line per feature', async () => {
    // Prepare
    const drifted = windowIdFor(windows[1].from, windows[1].until);

    // Act
    const text = await mlops(['drift', 'show', model, '--window', drifted]);
    const latest = await mlops(['drift', 'show', model, '--window', 'latest', '--json']);

    // Assess
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Window +20261130T110000\.000Z_20261130T120000\.000Z$/m);
    expect(text.stdout).toMatch(/^From +2026-11-30T11:00:00Z \(exclusive\)$/m);
    expect(text.stdout).toMatch(/^Verdict +Drift$/m);
    expect(text.stdout).toMatch(
      /^Capture +2 files, 1000 records, 1000 rows read of 1001, 0 predictions \(no prediction baseline\); 20 records of the stack's own requests skipped$/m,
    );
    expect(text.stdout).toMatch(/^Problems +1 \(malformed-record 1\)$/m);
    expect(text.stdout).toContain('2 of 4 tested features drifted (50%), at least driftShare 50%');
    expect(text.stdout).toMatch(/^x1 +numeric +yes +W\/σ [\d.]+ +KS D [\d.]+ /m);
    expect(text.stdout).toMatch(/^x2 +numeric +no /m);
    expect(text.stdout).toContain(
      `HTML report  s3://${ARTIFACTS_BUCKET}/monitoring/${model}/${drifted}/report.html`,
    );
    const details = JSON.parse(latest.stdout) as WindowDetails;
    expect(details.window.verdict).toBe('InsufficientData');
    expect(details.report?.drift.rows.current).toBe(50);
  });

  it('saves a window’s HTML report, the latest by default', async () => {
    // Prepare
    const first = windowIdFor(windows[0].from, windows[0].until);
    const out = join(workDir, 'report.html');
    const latestOut = join(workDir, 'latest.html');

    // Act
    const saved = await mlops(['drift', 'report', model, '--window', first, '--out', out]);
    const latest = await mlops(['drift', 'report', model, '--out', latestOut]);

    // Assess
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(
      new RegExp(
        `^Saved s3://${ARTIFACTS_BUCKET}/monitoring/${model}/${first}/report\\.html \\([\\d.]+ KiB\\) to .*report\\.html: ${model} window ${first}, NoDrift\n$`,
      ),
    );
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(latest.code, latest.stderr).toBe(0);
    expect(readFileSync(latestOut, 'utf8')).toContain('InsufficientData');
  });

  it('names what is missing: an unknown model, a model without windows, an unknown or invalid window', async () => {
    // Prepare
    await registry.registerVersion('quiet', {
      lineage: lineage('quiet', 'quiet-0123456789abcdef'),
      status: 'Approved',
    });

    // Act
    const unknown = await mlops(['drift', 'show', 'driftee']);
    const none = await mlops(['drift', 'show', 'quiet']);
    const noReport = await mlops(['drift', 'report', 'quiet', '--out', join(workDir, 'x.html')]);
    const missing = await mlops([
      'drift',
      'show',
      model,
      '--window',
      windowIdFor('2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z'),
    ]);
    const invalid = await mlops(['drift', 'show', model, '--window', 'yesterday']);
    const noOut = await mlops(['drift', 'report', model]);

    // Assess
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'error: Model driftee does not exist (did you mean drifty?)\n',
    });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^quiet has no drift window yet: the scheduled check records one/);
    expect(noReport.code).toBe(1);
    expect(noReport.stderr).toMatch(/^error: quiet has no drift window yet/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `drifty has no drift window 20260101T000000.000Z_20260101T010000.000Z (list them with \`mlops drift show drifty\`)`,
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/Invalid --window "yesterday": expected latest or a window id/);
    expect(noOut.code).toBe(2);
  });
});

function lineage(model: string, runId: string): Lineage {
  return {
    dataset: {
      bucket: DATA_BUCKET,
      key: `datasets/${model}/data.csv`,
      versionId: 'null',
      sha256: 'a'.repeat(64),
      rowCount: 3000,
    },
    trainingJobName: `train-${runId}`,
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc' },
    metrics: { 'validation:auc': 0.9 },
    artifactUri: `s3://${ARTIFACTS_BUCKET}/runs/${runId}/model.tar.gz`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
    runId,
  };
}
