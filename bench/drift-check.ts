/**
 * Benchmark of the drift check's inner loop, end to end on one window: capture files (SageMaker's JSON Lines
 * records, 10-row CSV requests of 20 numeric features with their predictions) streamed from disk through
 * the capture parser into the drift accumulator, the verdict, and the JSON and HTML reports rendered.
 * Each size runs in a fresh `node` child (this file bundled by esbuild, as NodejsFunction deploys the Lambda),
 * pinned to one CPU with taskset when available, so its time and peak RSS are its own. Generating the files
 * and building the baseline are not timed.
 *
 *   npx tsx bench/drift-check.ts                   # 100,000 and 1,000,000 rows
 *   npx tsx bench/drift-check.ts --rows 250000     # one size
 *
 * Targets (issue 10 §8): 1,000,000 rows (~200 MB of capture) in under 5 s on one core, parsing included;
 * peak RSS under 300 MB, the same at 100,000 and 1,000,000 rows. Prints one `BENCH {json}` line per size.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureParser } from '../lambdas/shared/capture';
import { DriftAccumulator, driftReport, type PredictionBaseline } from '../lambdas/shared/drift';
import { type DriftWindowReport, renderDriftReportHtml } from '../lambdas/shared/monitoring';
import { SeededRandom } from '../lambdas/shared/random';
import { bytesDataset } from '../lambdas/validate-dataset';
import { baselineFromRows } from '../lambdas/validate-dataset/drift-baseline';

const FEATURES = 20;
const ROWS_PER_REQUEST = 10;
const RECORDS_PER_FILE = 1000;
const DEFAULT_SIZES = [100_000, 1_000_000];
const TARGET_SECONDS = 5;
const TARGET_RSS_MB = 300;

interface ChildFigures {
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly records: number;
  readonly predictions: number;
  readonly problems: number;
  /** Characters of the JSON and HTML reports rendered. */
  readonly reportBytes: number;
  readonly verdict: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
}

/** Normal deviates (Box–Muller) from a fixed seed. */
function normals(seed: number, stream: number): () => number {
  const random = new SeededRandom(seed, stream);
  return () => Math.sqrt(-2 * Math.log(random.nextOpen())) * Math.cos(2 * Math.PI * random.next());
}

const names = Array.from({ length: FEATURES }, (_, i) => `f${i}`);

/** Writes `rows` captured rows as JSON Lines capture files in `dir`; returns the bytes written. */
function generate(dir: string, rows: number): number {
  const normal = normals(7, 2);
  const random = new SeededRandom(7, 3);
  let bytes = 0;
  let file = 0;
  let lines: string[] = [];
  const t0 = Date.UTC(2026, 10, 30, 14);
  const flush = () => {
    const text = `${lines.join('\n')}\n`;
    writeFileSync(path.join(dir, `${String(file++).padStart(5, '0')}.jsonl`), text);
    bytes += Buffer.byteLength(text);
    lines = [];
  };
  for (let r = 0; r < rows; r += ROWS_PER_REQUEST) {
    const n = Math.min(ROWS_PER_REQUEST, rows - r);
    const input: string[] = [];
    const output: string[] = [];
    for (let i = 0; i < n; i++) {
      const row: string[] = [];
      for (let f = 0; f < FEATURES; f++) row.push(normal().toFixed(6));
      input.push(row.join(','));
      output.push(random.next().toFixed(6));
    }
    lines.push(
      JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'text/csv',
            mode: 'INPUT',
            data: input.join('\n'),
            encoding: 'CSV',
          },
          endpointOutput: {
            observedContentType: 'text/csv',
            mode: 'OUTPUT',
            data: output.join('\n'),
            encoding: 'CSV',
          },
        },
        eventMetadata: {
          eventId: `00000000-0000-4000-8000-${String(r).padStart(12, '0')}`,
          inferenceTime: new Date(t0 + r).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
        eventVersion: '0',
      }),
    );
    if (lines.length === RECORDS_PER_FILE) flush();
  }
  if (lines.length > 0) flush();
  return bytes;
}

/** The timed part, in the child: every file through the parser into the accumulator, then the reports. */
async function child(dir: string): Promise<void> {
  // Untimed set-up: the baseline as training builds it (5,000 reference rows) and a prediction baseline.
  const normal = normals(1, 1);
  const reference = [`${names.join(',')},label`];
  for (let r = 0; r < 5000; r++) {
    reference.push(`${Array.from({ length: FEATURES }, () => normal().toFixed(6)).join(',')},${r % 2}`);
  }
  const { statistics, encoding } = await baselineFromRows({
    open: bytesDataset(`${reference.join('\n')}\n`),
    targetColumn: 'label',
    problemType: 'binary',
  });
  const random = new SeededRandom(1, 5);
  const predictionBaseline: PredictionBaseline = {
    formatVersion: 1,
    outputs: 1,
    reference: [Array.from({ length: 5000 }, () => random.next())],
  };
  const files = readdirSync(dir).sort();
  const before = process.resourceUsage();
  const started = performance.now();

  const accumulator = new DriftAccumulator(statistics, predictionBaseline);
  const parser = new CaptureParser({
    features: encoding.features,
    outputWidth: 1,
  });
  for (const file of files) {
    await parser.parseStream(
      createReadStream(path.join(dir, file), { highWaterMark: 1 << 20 }),
      file,
      (record) => {
        for (const row of record.rows) if (row !== null) accumulator.addRow(row);
        if (record.predictions !== undefined)
          for (const p of record.predictions) accumulator.addPrediction(p);
      },
    );
  }
  const drift = driftReport(accumulator, {
    minSamples: 200,
    driftShare: 0.5,
    criticalFeatures: [],
    correction: 'benjamini-hochberg',
    alpha: 0.05,
  });
  const report: DriftWindowReport = {
    formatVersion: 1,
    kind: 'drift',
    model: 'bench',
    version: 1,
    runId: 'bench-0000000000000000',
    windowId: 'w',
    from: '2026-11-30T14:00:00.000Z',
    until: '2026-11-30T15:00:00.000Z',
    checkedAt: new Date().toISOString(),
    capture: {
      ...parser.counts,
      internalRecords: 0,
      predictionBaseline: true,
      problems: parser.problems.summary(),
    },
    settings: {
      minSamples: 200,
      driftShare: 0.5,
      criticalFeatures: [],
      correction: 'benjamini-hochberg',
      alpha: 0.05,
    },
    drift,
  };
  const json = JSON.stringify(report);
  const html = renderDriftReportHtml(report);

  const seconds = (performance.now() - started) / 1000;
  const used = process.resourceUsage();
  const figures: ChildFigures = {
    rows: parser.counts.rows,
    files: parser.counts.files,
    bytes: parser.counts.bytes,
    records: parser.counts.records,
    predictions: parser.counts.predictions,
    problems: parser.problems.total,
    reportBytes: json.length + html.length,
    verdict: drift.verdict,
    seconds,
    cpuSeconds: (used.userCPUTime - before.userCPUTime + used.systemCPUTime - before.systemCPUTime) / 1e6,
    maxRssMb: used.maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Bundles this file for the children (esbuild is loaded here only: the bundle never needs it). */
function bundle(dir: string): string {
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const outfile = path.join(dir, 'drift-check-bench.cjs');
  buildSync({
    entryPoints: [__filename],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node}`,
    external: ['esbuild'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

function runChild(script: string, dir: string, cpu: string | undefined): ChildFigures {
  const node = [process.execPath, script, '--child', dir];
  const [command, ...args] = cpu === undefined ? node : ['taskset', '-c', cpu, ...node];
  const run = spawnSync(command as string, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as ChildFigures;
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const childDir = option('--child');
  if (childDir !== undefined) {
    child(childDir).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const sizes = args.flatMap((arg, i) => (args[i - 1] === '--rows' ? arg.split(',').map(Number) : []));
  const cpu = spawnSync('taskset', ['--version']).status === 0 ? (option('--cpu') ?? '0') : undefined;
  const root = path.join(os.tmpdir(), 'mlops-bench-drift-check');
  mkdirSync(root, { recursive: true });
  const script = bundle(root);
  console.log(
    `drift-check: capture JSON Lines (${ROWS_PER_REQUEST}-row CSV requests, ${FEATURES} numeric features, predictions) ` +
      `parsed, tested against the baseline and reported; ${cpu === undefined ? 'not pinned (no taskset)' : `pinned to CPU ${cpu}`}`,
  );
  for (const rows of sizes.length > 0 ? sizes : DEFAULT_SIZES) {
    const dir = path.join(root, `capture-${rows}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    try {
      generate(dir, rows);
      const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
      const figures = runChild(script, dir, cpu);
      const mb = bytes / 1e6;
      console.log(
        `  ${String(rows).padStart(9)} rows ${mb.toFixed(0).padStart(5)} MB in ${figures.files} files: ` +
          `${figures.seconds.toFixed(2)} s (${figures.cpuSeconds.toFixed(2)} CPU s; target < ${TARGET_SECONDS} s at 1,000,000 rows) ` +
          `${(mb / figures.seconds).toFixed(0)} MB/s, peak RSS ${figures.maxRssMb.toFixed(0)} MB (target < ${TARGET_RSS_MB}), verdict ${figures.verdict}`,
      );
      console.log(`BENCH ${JSON.stringify({ bench: 'drift-check', mb, ...figures })}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rmSync(script, { force: true });
}

main();
