/**
 * Benchmark of the ValidateDataset core, end to end: both passes, the splits and the JSON artifacts written
 * to files. For each size it generates a deterministic CSV of 20 numeric features and a binary label in
 * os.tmpdir(), then validates it in a fresh `node` child, so every figure (peak RSS included) is
 * independent of the others. The child runs this file bundled by esbuild, as NodejsFunction deploys the
 * Lambda, and is pinned to one CPU with taskset when available (`--cpu N`, default 0).
 *
 *   npx tsx bench/validate-dataset.ts                 # 100MB and 1GB
 *   npx tsx bench/validate-dataset.ts --size 100MB    # one size (also 250MB, 2GB, 5000000 bytes, ...)
 *   npx tsx bench/validate-dataset.ts --keep          # keep the generated CSVs for the next run
 *
 * Sizes are decimal (1 MB = 10^6 bytes) and so is MB/s (wall clock, from the first read to the last
 * artifact written). Prints one `BENCH {json}` line per size.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '../lambdas/shared/random';
import { fileSink, validateDataset } from '../lambdas/validate-dataset';

const FEATURES = 20;
const DEFAULT_SIZES = ['100MB', '1GB'];

/** Targets from the issue, printed next to the figures. */
const TARGET_MB_PER_S = 100;
const TARGET_RSS_MB = 300;

interface ChildFigures {
  readonly status: string;
  readonly bytes: number;
  readonly rows: number;
  readonly seconds: number;
  /** CPU time of the validation alone (all threads of the child). */
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  readonly trainRows: number;
  readonly validationRows: number;
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (match === null) throw new Error(`--size ${text}: expected e.g. 100MB, 1GB or a byte count`);
  const unit = (match[2] ?? 'B').toUpperCase();
  const scale = unit === 'GB' ? 1e9 : unit === 'MB' ? 1e6 : unit === 'KB' ? 1e3 : 1;
  return Math.round(Number(match[1]) * scale);
}

/**
 * Writes about `size` bytes of deterministic CSV (whole rows), straight into a byte buffer: building
 * strings would make generating a gigabyte slower than validating it.
 */
function generate(file: string, size: number): void {
  const random = new SeededRandom(20_261_126);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  let position = block.write(`${Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(',')},label\n`);
  let written = 0;
  const digits = (value: number, width: number): void => {
    let rest = value;
    for (let k = width - 1; k >= 0; k--) {
      block[position + k] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    position += width;
  };
  while (written + position < size) {
    let score = 0;
    for (let f = 0; f < FEATURES; f++) {
      const r = random.nextUint32();
      const negative = (r & 1) === 1;
      const whole = (r >>> 1) % 1000;
      if (f < 3) score += negative ? -whole : whole;
      if (negative) block[position++] = 0x2d;
      digits(whole, whole >= 100 ? 3 : whole >= 10 ? 2 : 1);
      block[position++] = 0x2e;
      digits((r >>> 11) % 10_000, 4);
      block[position++] = 0x2c;
    }
    block[position++] = score + (random.nextUint32() % 600) - 300 > 0 ? 0x31 : 0x30;
    block[position++] = 0x0a;
    if (position > block.length - 512) {
      writeSync(fd, block, 0, position);
      written += position;
      position = 0;
    }
  }
  writeSync(fd, block, 0, position);
  closeSync(fd);
}

/**
 * Reads a file in 1 MiB chunks into one reused buffer: the validator reads a chunk only until it asks
 * for the next one (see OpenDataset), so there is no need to allocate a buffer per chunk.
 */
async function* readFile(file: string): AsyncGenerator<Uint8Array> {
  const handle = await openFile(file, 'r');
  const buffer = new Uint8Array(1024 * 1024);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Child mode: validate one file, write the artifacts, print the figures as JSON on stdout. */
async function child(file: string, outDir: string): Promise<void> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await validateDataset({
    open: () => readFile(file),
    openSink: (name) => fileSink(path.join(outDir, `${name}.csv`)),
    targetColumn: 'label',
    contentLength: statSync(file).size,
  });
  const json = (name: string, value: unknown): void =>
    writeFileSync(path.join(outDir, name), JSON.stringify(value));
  json('report.json', result.report);
  if (result.status === 'accepted') {
    json('statistics.json', result.statistics);
    json('encoding.json', result.encoding);
    json('contract.json', result.contract);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const figures: ChildFigures = {
    status: result.status,
    bytes: result.report.bytes,
    rows: result.report.rows,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    trainRows: result.status === 'accepted' ? result.split.trainRows : 0,
    validationRows: result.status === 'accepted' ? result.split.validationRows : 0,
  };
  if (result.status === 'rejected') {
    process.stderr.write(`${JSON.stringify(result.report.problems.slice(0, 3))}\n`);
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Bundles this file for the children (esbuild is loaded here only: the bundle never needs it). */
function bundle(dir: string): string {
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const outfile = path.join(dir, 'validate-dataset-bench.cjs');
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

function runChild(script: string, file: string, outDir: string, cpu: string | undefined): ChildFigures {
  const node = [process.execPath, script, '--child', file, outDir];
  const [command, ...args] = cpu === undefined ? node : ['taskset', '-c', cpu, ...node];
  const run = spawnSync(command as string, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildFigures;
}

/**
 * Prints wall-clock MB/s and MB per CPU-second: on a shared machine the pinned CPU may also run other
 * processes, which lowers the first figure but not the second.
 */
function report(label: string, figures: ChildFigures): void {
  const mb = figures.bytes / 1e6;
  const mbPerSecond = mb / figures.seconds;
  const mbPerCpuSecond = mb / figures.cpuSeconds;
  console.log(
    `  ${label.padEnd(6)} ${mb.toFixed(0).padStart(5)} MB ${String(figures.rows).padStart(9)} rows ` +
      `${figures.seconds.toFixed(2).padStart(6)} s ${mbPerSecond.toFixed(0).padStart(5)} MB/s ` +
      `(${mbPerCpuSecond.toFixed(0)} MB per CPU-second; target >= ${TARGET_MB_PER_S})  ` +
      `peak RSS ${figures.maxRssMb.toFixed(0)} MB (target < ${TARGET_RSS_MB})  ${figures.status}`,
  );
  const line = { bench: 'validate-dataset', size: label, mbPerSecond, mbPerCpuSecond, ...figures };
  console.log(`BENCH ${JSON.stringify(line)}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const childFile = option('--child');
  if (childFile !== undefined) {
    child(childFile, args[args.indexOf('--child') + 2] as string).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const sizes = args.flatMap((arg, i) => (args[i - 1] === '--size' ? arg.split(',') : []));
  const keep = args.includes('--keep');
  const cpu = spawnSync('taskset', ['--version']).status === 0 ? (option('--cpu') ?? '0') : undefined;
  const dir = path.join(os.tmpdir(), 'mlops-bench-validate-dataset');
  mkdirSync(dir, { recursive: true });
  const script = bundle(dir);
  console.log(
    `validate-dataset: ${FEATURES} numeric features + binary label, both passes, ` +
      `${cpu === undefined ? 'not pinned (no taskset)' : `pinned to CPU ${cpu}`}`,
  );
  for (const label of sizes.length > 0 ? sizes : DEFAULT_SIZES) {
    const size = parseSize(label);
    const file = path.join(dir, `data-${size}.csv`);
    const outDir = path.join(dir, `out-${size}`);
    if (!existsSync(file)) generate(file, size);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir);
    try {
      report(label, runChild(script, file, outDir, cpu));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      if (!keep) rmSync(file, { force: true });
    }
  }
  rmSync(script, { force: true });
}

main();
