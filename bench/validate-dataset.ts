/**
 * Benchmark of the ValidateDataset core, end to end (both passes, splits and JSON artifacts written to
 * files). For each size it generates a deterministic CSV of 20 numeric features and a binary label in
 * os.tmpdir(), then validates it in a fresh `node` child (pinned to one CPU with taskset when available)
 * so every figure, peak RSS included, is independent of the others.
 *
 *   npx tsx bench/validate-dataset.ts                 # 100MB and 1GB
 *   npx tsx bench/validate-dataset.ts --size 100MB    # one size (also 250MB, 2GB, 5000000 bytes, ...)
 *   npx tsx bench/validate-dataset.ts --keep          # keep the generated CSVs for the next run
 *
 * Sizes are decimal (1 MB = 10^6 bytes) and so is MB/s. Prints one `BENCH {json}` line per size.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSink, validateDataset } from '../lambdas/validate-dataset';
import { SeededRandom } from '../lambdas/validate-dataset/random';

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

/** Writes `size` bytes (whole rows, so slightly more) of deterministic CSV without building strings. */
function generate(file: string, size: number): void {
  const random = new SeededRandom(20_261_126);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  let position = block.write(`${Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(',')},label\n`);
  let written = 0;
  const digits = (value: number, width: number): void => {
    for (let k = width - 1; k >= 0; k--) {
      block[position + k] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    }
    position += width;
  };
  while (written + position < size) {
    let score = 0;
    for (let f = 0; f < FEATURES; f++) {
      const r = random.nextUint32();
      const negative = (r & 1) === 1;
      const whole = (r >>> 1) % 1000;
      const fraction = (r >>> 11) % 10_000;
      if (f < 3) score += negative ? -whole : whole;
      if (negative) block[position++] = 0x2d;
      const wholeDigits = whole >= 100 ? 3 : whole >= 10 ? 2 : 1;
      digits(whole, wholeDigits);
      block[position++] = 0x2e;
      digits(fraction, 4);
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

/** Child mode: validate one file, print the figures as JSON on stdout. */
async function child(file: string, outDir: string): Promise<void> {
  const started = performance.now();
  const result = await validateDataset({
    open: () => createReadStream(file, { highWaterMark: 1024 * 1024 }),
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
  const usage = process.resourceUsage();
  const figures: ChildFigures = {
    status: result.status,
    bytes: result.report.bytes,
    rows: result.report.rows,
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    maxRssMb: usage.maxRSS / 1024,
    trainRows: result.status === 'accepted' ? result.split.trainRows : 0,
    validationRows: result.status === 'accepted' ? result.split.validationRows : 0,
  };
  if (result.status === 'rejected')
    process.stderr.write(`${JSON.stringify(result.report.problems.slice(0, 3))}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runChild(file: string, outDir: string): ChildFigures {
  const node = [process.execPath, '--import', 'tsx', __filename, '--child', file, outDir];
  const pinned = spawnSync('taskset', ['--version']).status === 0;
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const run = spawnSync(command as string, args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildFigures;
}

function main(): void {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    child(args[childAt + 1] as string, args[childAt + 2] as string).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const sizes = args.flatMap((arg, i) => (args[i - 1] === '--size' ? arg.split(',') : []));
  const keep = args.includes('--keep');
  const dir = path.join(os.tmpdir(), 'mlops-bench-validate-dataset');
  mkdirSync(dir, { recursive: true });
  const pinned = spawnSync('taskset', ['--version']).status === 0;
  console.log(
    `validate-dataset: 20 numeric features + binary label, both passes, ${pinned ? 'pinned to CPU 0' : 'not pinned'}`,
  );
  for (const label of sizes.length > 0 ? sizes : DEFAULT_SIZES) {
    const size = parseSize(label);
    const file = path.join(dir, `data-${size}.csv`);
    const outDir = path.join(dir, `out-${size}`);
    if (!existsSync(file)) generate(file, size);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir);
    try {
      const figures = runChild(file, outDir);
      const mbPerSecond = figures.bytes / 1e6 / figures.seconds;
      console.log(
        `  ${label.padEnd(6)} ${(figures.bytes / 1e6).toFixed(0).padStart(5)} MB ${String(figures.rows).padStart(9)} rows ` +
          `${figures.seconds.toFixed(2).padStart(6)} s  ${mbPerSecond.toFixed(0).padStart(4)} MB/s ` +
          `(target >= ${TARGET_MB_PER_S})  peak RSS ${figures.maxRssMb.toFixed(0)} MB (target < ${TARGET_RSS_MB})  ` +
          `cpu ${figures.cpuSeconds.toFixed(2)} s  ${figures.status}`,
      );
      const line = { bench: 'validate-dataset', size: label, mbPerSecond, ...figures };
      console.log(`BENCH ${JSON.stringify(line)}`);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      if (!keep) rmSync(file, { force: true });
    }
  }
}

main();
