/**
 * Benchmark of the quality check's inner loop on one window: a ground-truth file (10% of the requests labeled,
 * SageMaker's ground-truth records) read into the label index, then capture files (SageMaker's JSON Lines records,
 * 10-row CSV requests of 20 numeric features, a probability per row) streamed from disk through the capture
 * parser, joined with the labels and scored (AUC, log loss, error, F1 and the test's standard error). Each size
 * is read in its own `node` child (the parent writes the files), so its time and peak RSS are the check's own.
 *
 *   npx tsx bench/quality-check.ts                   # 100,000 and 1,000,000 captured rows
 *   npx tsx bench/quality-check.ts --rows 250000     # one size
 *
 * Also prints the quality test's false-alarm and detection rates (seeded, 1,000 windows each), as
 * test/unit/lambdas/check-quality/judge.test.ts asserts them. One `BENCH {json}` line per figure set.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeQuality } from '../lambdas/check-quality/judge';
import { QualityAccumulator } from '../lambdas/check-quality/metrics';
import { CaptureParser, type CaptureSchema } from '../lambdas/shared/capture';
import { emptyJoinCounts, joinRequest, LabelIndex } from '../lambdas/shared/ground-truth';

const FEATURES = 20;
const ROWS_PER_REQUEST = 10;
const REQUESTS_PER_FILE = 10_000;

/** mulberry32 (public domain): seeded, so every run measures the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeWindow(dir: string, rows: number): { files: string[]; labels: string; bytes: number } {
  const uniform = random(7);
  const requests = Math.ceil(rows / ROWS_PER_REQUEST);
  const files: string[] = [];
  const labelLines: string[] = [];
  let bytes = 0;
  for (let start = 0; start < requests; start += REQUESTS_PER_FILE) {
    const lines: string[] = [];
    for (let r = start; r < Math.min(requests, start + REQUESTS_PER_FILE); r++) {
      const input: string[] = [];
      const output: string[] = [];
      const truth: string[] = [];
      for (let k = 0; k < ROWS_PER_REQUEST; k++) {
        const values = Array.from({ length: FEATURES }, () => (uniform() * 100).toFixed(3));
        input.push(values.join(','));
        const positive = uniform() < 0.3;
        truth.push(positive ? '1' : '0');
        output.push(
          Math.min(0.999, Math.max(0.001, (positive ? 0.6 : 0.35) + (uniform() - 0.5) * 0.5)).toFixed(4),
        );
      }
      const eventId = `event-${r}`;
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
          eventMetadata: { eventId, inferenceTime: '2026-11-30T10:00:00Z' },
          eventVersion: '0',
        }),
      );
      if (r % 10 === 0) {
        labelLines.push(
          JSON.stringify({
            groundTruthData: { data: truth.join('\n'), encoding: 'CSV' },
            eventMetadata: { eventId },
            eventVersion: '0',
          }),
        );
      }
    }
    const file = path.join(dir, `capture-${files.length}.jsonl`);
    const text = `${lines.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    writeFileSync(file, text);
    files.push(file);
  }
  const labels = path.join(dir, 'labels.jsonl');
  writeFileSync(labels, `${labelLines.join('\n')}\n`);
  return { files, labels, bytes };
}

/** Measured in a child that only reads: the parent wrote the files, so their making is not in its peak RSS. */
async function measure(
  rows: number,
  dir: string,
  fileCount: number,
  bytes: number,
): Promise<Record<string, unknown>> {
  {
    const files = Array.from({ length: fileCount }, (_, i) => path.join(dir, `capture-${i}.jsonl`));
    const labels = path.join(dir, 'labels.jsonl');
    const schema: CaptureSchema = {
      features: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const })),
      outputWidth: 1,
    };
    const started = performance.now();
    const index = new LabelIndex();
    await index.addFile(createReadStream(labels), { format: 'jsonl' });
    const parser = new CaptureParser(schema);
    const join = emptyJoinCounts();
    const accumulator = new QualityAccumulator('probability', ['0', '1']);
    for (const file of files) {
      await parser.parseStream(createReadStream(file, { highWaterMark: 1 << 20 }), file, (record) => {
        for (const row of joinRequest(record, index, join)) accumulator.add(row.prediction, row.label);
      });
    }
    const values = accumulator.values();
    const standardError = accumulator.standardError('auc', 0.8);
    const seconds = (performance.now() - started) / 1000;
    return {
      bench: 'quality-check',
      rows,
      captureMb: Math.round(bytes / 1e5) / 10,
      labeledRows: values.rows,
      seconds: Math.round(seconds * 1000) / 1000,
      rowsPerSecond: Math.round(rows / seconds),
      auc: values.values.auc,
      standardError,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  }
}

/** The seeded false-alarm and detection rates of the quality test (error rate, as significance.test.ts). */
function rates(): Record<string, unknown> {
  const uniform = random(1);
  const rate = (trueError: number, rows: number) => {
    let degraded = 0;
    for (let t = 0; t < 1000; t++) {
      const acc = new QualityAccumulator('probability', ['no', 'yes']);
      for (let i = 0; i < rows; i++) {
        const truth = uniform() < 0.5 ? 1 : 0;
        const wrong = uniform() < trueError;
        acc.add([(truth === 1) !== wrong ? 0.9 : 0.1], String(truth));
      }
      const verdict = judgeQuality({
        metric: 'validation:error',
        higherIsBetter: false,
        value: acc.values().values.error,
        rows,
        baseline: 0.1,
        tolerance: 0.1,
        minRows: 200,
        alpha: 0.05,
        standardError: acc.standardError('error', 0.1),
        continuityCorrection: acc.continuityCorrection('error'),
      });
      if (verdict.verdict === 'Degraded') degraded++;
    }
    return degraded / 1000;
  };
  return {
    bench: 'quality-test-rates',
    baselineError: 0.1,
    tolerance: 0.1,
    rows: 200,
    degradedRate: {
      '0.10 (as registered)': rate(0.1, 200),
      0.14: rate(0.14, 200),
      0.16: rate(0.16, 200),
      0.18: rate(0.18, 200),
      '0.20': rate(0.2, 200),
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--rows');
  const one = at >= 0 ? Number(args[at + 1]) : undefined;
  const child = args.indexOf('--child');
  if (child >= 0 && one !== undefined) {
    const [dir = '', files = '0', bytes = '0'] = args.slice(child + 1, child + 4);
    console.log(`BENCH ${JSON.stringify(await measure(one, dir, Number(files), Number(bytes)))}`);
    return;
  }
  for (const rows of one === undefined ? [100_000, 1_000_000] : [one]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'quality-bench-'));
    try {
      const { files, bytes } = writeWindow(dir, rows);
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          __filename,
          '--rows',
          String(rows),
          '--child',
          dir,
          String(files.length),
          String(bytes),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'], env: process.env },
      );
      if (run.status !== 0) process.exitCode = 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`BENCH ${JSON.stringify(rates())}`);
}

void main();
