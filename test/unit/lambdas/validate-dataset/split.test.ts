import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytesDataset,
  DatasetChangedError,
  fileSink,
  MemorySink,
  type OpenDataset,
  type SplitName,
  type ValidateDatasetInput,
  validateDataset,
  writableSink,
} from '../../../../lambdas/validate-dataset';
import {
  LineSplitWriter,
  planSplit,
  type SplitLayout,
  SplitWriter,
} from '../../../../lambdas/validate-dataset/split';
import { ValueIndex } from '../../../../lambdas/validate-dataset/value-index';

async function split(csv: string, input: Partial<ValidateDatasetInput> = {}) {
  const sinks = new Map<SplitName, MemorySink>();
  const result = await validateDataset({
    open: bytesDataset(csv, 1000),
    openSink: (name) => {
      const sink = new MemorySink();
      sinks.set(name, sink);
      return sink;
    },
    targetColumn: 'y',
    ...input,
  });
  return {
    result,
    train: sinks.get('train')?.text() ?? '',
    validation: sinks.get('validation')?.text() ?? '',
  };
}

/** `counts` rows per label, interleaved, with a numeric and a categorical feature. */
function dataset(counts: Record<string, number>): string {
  const labels = Object.entries(counts).flatMap(([label, n]) => Array<string>(n).fill(label));
  labels.sort((a, b) => ((a.length * 7 + a.charCodeAt(0)) % 5) - ((b.length * 7 + b.charCodeAt(0)) % 5));
  return `x,c,y\n${labels.map((label, i) => `${i},k${i % 4},${label}`).join('\n')}\n`;
}

function labelCounts(lines: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines.split('\n')) {
    if (line === '') continue;
    const code = line.split(',')[0] as string;
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

describe('the train/validation split', () => {
  it('is the same bytes for the same seed, and different for another seed', async () => {
    // Prepare
    const csv = dataset({ a: 60, b: 40 });

    // Act
    const first = await split(csv);
    const second = await split(csv);
    const other = await split(csv, { options: { seed: 7 } });

    // Assess
    expect(second.train).toBe(first.train);
    expect(second.validation).toBe(first.validation);
    expect(other.validation).not.toBe(first.validation);
  });

  it('gives each class exactly its share of validation rows', async () => {
    // Prepare
    const csv = dataset({ a: 100, b: 30, c: 12 });

    // Act
    const { result, train, validation } = await split(csv, { options: { validationFraction: 0.25 } });

    // Assess
    expect(labelCounts(validation)).toEqual({ 0: 25, 1: 8, 2: 3 });
    expect(labelCounts(train)).toEqual({ 0: 75, 1: 22, 2: 9 });
    expect(result.status === 'accepted' && result.split).toMatchObject({
      trainRows: 106,
      validationRows: 36,
      validationPerClass: [25, 8, 3],
    });
  });

  it('splits regression rows as one stratum', async () => {
    // Prepare
    const csv = `x,y\n${Array.from({ length: 50 }, (_, i) => `${i},${i * 0.5}`).join('\n')}\n`;

    // Act
    const { train, validation } = await split(csv, { problemType: 'regression' });

    // Assess
    expect(validation.split('\n').filter(Boolean)).toHaveLength(10);
    expect(train.split('\n').filter(Boolean)).toHaveLength(40);
    expect(train.split('\n')[0]).toMatch(/^[0-9.]+,[0-9]+$/);
  });

  it('plans round(n * fraction) rows per stratum, keeping one row on each side', () => {
    // Act
    const plan = planSplit([10, 2, 3, 1, 7], 0.99);
    const small = planSplit([2, 5], 0.01);

    // Assess
    expect(plan.validation).toEqual([9, 1, 2, 0, 6]);
    expect(small.validation).toEqual([1, 1]);
  });
});

describe('the pass-2 writers', () => {
  it.each([
    ['last', 2, 97],
    ['first', 0, 97],
    ['last', 2, 3],
  ])(
    'write identical bytes through the line fast path and the general scanner (label %s, chunks of %i)',
    (_name, labelIndex, chunkSize) => {
      // Prepare
      const lines = Array.from({ length: 400 }, (_, i) => {
        const fields = [i % 3 === 0 ? '' : (i * 1.25).toFixed(2), `-${i}`];
        fields.splice(labelIndex, 0, String(i % 2));
        return fields.join(',');
      });
      const bytes = new TextEncoder().encode(`a,b,y\r\n${lines.join('\r\n')}`);
      const firstFeature = labelIndex === 0 ? 1 : 0;
      const layout: SplitLayout = {
        width: 3,
        labelIndex,
        classes: ValueIndex.of(['0', '1']),
        features: [
          { fileIndex: firstFeature, type: 'numeric', verbatim: true },
          { fileIndex: firstFeature + 1, type: 'numeric', verbatim: true },
        ],
      };
      const plan = planSplit([200, 200], 0.2);
      const general = new SplitWriter(layout, plan, 42, 1024, 1 << 20);
      const fast = new LineSplitWriter(layout, plan, 42, 1024, 7);

      // Act
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + chunkSize));
        general.push(chunk);
        fast.push(chunk);
      }
      general.end();
      fast.end();
      general.finish(400);
      fast.finish(400);

      // Assess
      const text = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString();
      const train = text(fast.train.take(true));
      expect(train).toBe(text(general.train.take(true)));
      expect(text(fast.validation.take(true))).toBe(text(general.validation.take(true)));
      expect(train.split('\n')[0]).toMatch(/^[01],[0-9.]*,-[0-9]+$/);
    },
  );

  it('abort every sink when the input changes between the passes', async () => {
    // Prepare
    const sinks: MemorySink[] = [];
    let reads = 0;
    const first = bytesDataset(dataset({ a: 20, b: 20 }));
    const second = bytesDataset(dataset({ a: 25, b: 20 }));
    const open: OpenDataset = () => (reads++ === 0 ? first() : second());

    // Act
    const run = validateDataset({
      open,
      openSink: () => {
        const sink = new MemorySink();
        sinks.push(sink);
        return sink;
      },
      targetColumn: 'y',
    });

    // Assess
    await expect(run).rejects.toBeInstanceOf(DatasetChangedError);
    expect(sinks.map((sink) => sink.state)).toEqual(['aborted', 'aborted']);
  });
});

describe('sinks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-dataset-sinks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file sink shows the file only once closed, and leaves nothing when aborted', async () => {
    // Prepare
    const kept = path.join(dir, 'kept.csv');
    const dropped = path.join(dir, 'dropped.csv');
    const keep = fileSink(kept);
    const drop = fileSink(dropped);

    // Act
    await keep.write(new TextEncoder().encode('1,2\n'));
    const visibleBeforeClose = existsSync(kept);
    await keep.close();
    await drop.write(new TextEncoder().encode('3,4\n'));
    await drop.abort(new Error('rejected'));

    // Assess
    expect(visibleBeforeClose).toBe(false);
    expect(readFileSync(kept, 'utf8')).toBe('1,2\n');
    expect(existsSync(dropped) || existsSync(`${dropped}.partial`)).toBe(false);
  });

  it('a writable sink waits for the stream to drain', async () => {
    // Prepare
    const stream = new PassThrough({ highWaterMark: 8 });
    const received: Buffer[] = [];
    const sink = writableSink(stream);

    // Act
    const writing = (async () => {
      for (let i = 0; i < 50; i++) await sink.write(new TextEncoder().encode(`chunk ${i};`));
      await sink.close();
    })();
    for await (const chunk of stream) received.push(chunk as Buffer);
    await writing;

    // Assess
    expect(Buffer.concat(received).toString()).toBe(
      Array.from({ length: 50 }, (_, i) => `chunk ${i};`).join(''),
    );
  });
});
