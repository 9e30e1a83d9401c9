import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DatasetContract } from '../../../../lambdas/shared/dataset-contract';
import {
  bytesDataset,
  MemorySink,
  type SplitName,
  type ValidateDatasetInput,
  validateDataset,
} from '../../../../lambdas/validate-dataset';

/** Runs the validator on `csv` with in-memory sinks; the target is `y` unless told otherwise. */
async function run(csv: string, input: Partial<ValidateDatasetInput> = {}, chunkSize = 64 * 1024) {
  const sinks = new Map<SplitName, MemorySink>();
  let reads = 0;
  const open = bytesDataset(csv, chunkSize);
  const result = await validateDataset({
    open: () => {
      reads++;
      return open();
    },
    openSink: (name) => {
      const sink = new MemorySink();
      sinks.set(name, sink);
      return sink;
    },
    ...(input.contract === undefined ? { targetColumn: 'y' } : {}),
    ...input,
  });
  const lines = (name: SplitName): string[] =>
    (sinks.get(name)?.text() ?? '').split('\n').filter((l) => l !== '');
  return { result, reads, sinks, train: lines('train'), validation: lines('validation') };
}

function csvOf(header: string, rows: readonly string[], eol = '\n'): string {
  return `${[header, ...rows].join(eol)}${eol}`;
}

const twenty = (make: (i: number) => string): string[] => Array.from({ length: 20 }, (_, i) => make(i));

describe('validateDataset accepts legal CSV', () => {
  it('reads a BOM, CRLF, quoted fields with commas, quotes and newlines, and trailing blank lines', async () => {
    // Prepare
    const notes = ['plain', '"with, comma"', '"say ""hi"""', '"two\r\nlines"'];
    const rows = twenty((i) => `${i},${notes[i % 4]},${i % 2 === 0 ? 'yes' : 'no'}`);
    const csv = `\uFEFF${csvOf('x,note,y', rows, '\r\n')}\r\n\r\n`;

    // Act
    const { result, train, validation } = await run(csv, {}, 5);

    // Assess
    expect(result.report.problems).toEqual([]);
    expect(result.status).toBe('accepted');
    if (result.status !== 'accepted') return;
    expect(result.report.rows).toBe(20);
    expect(result.report.columns).toEqual(['x', 'note', 'y']);
    expect(result.encoding.features[1]?.categories).toEqual([
      'plain',
      'say "hi"',
      'two\r\nlines',
      'with, comma',
    ]);
    expect(train.length + validation.length).toBe(20);
  });

  it('writes the same splits for LF and CRLF files and for any chunk size', async () => {
    // Prepare
    const rows = twenty((i) => `${i * 1.5},${i % 3},${i % 2}`);

    // Act
    const lf = await run(csvOf('a,b,y', rows, '\n'), {}, 64 * 1024);
    const crlf = await run(csvOf('a,b,y', rows, '\r\n'), {}, 3);

    // Assess
    expect(lf.result.status).toBe('accepted');
    expect(crlf.train).toEqual(lf.train);
    expect(crlf.validation).toEqual(lf.validation);
  });

  it('writes nulls of nullable features as empty fields', async () => {
    // Prepare
    const contract: DatasetContract = {
      target: 'y',
      problemType: 'binary',
      columns: [
        { name: 'a', type: 'numeric', nullable: true },
        { name: 'b', type: 'categorical', nullable: true },
        { name: 'y', type: 'numeric' },
      ],
    };
    const rows = twenty((i) => (i % 5 === 0 ? `,,${i % 2}` : `${i},k${i % 3},${i % 2}`));

    // Act
    const { result, train, validation } = await run(csvOf('a,b,y', rows), { contract });

    // Assess
    expect(result.status).toBe('accepted');
    const all = [...train, ...validation];
    expect(all.filter((line) => /^[01],,$/.test(line))).toHaveLength(4);
    expect(all.every((line) => line.split(',').length === 3)).toBe(true);
  });

  it('infers the contract: types, nullability, labels and the problem type', async () => {
    // Prepare
    const rows = twenty(
      (i) => `${i % 7 === 0 ? '' : i / 4},${['red', 'green'][i % 2]},${i % 2 === 0 ? 'yes' : 'no'}`,
    );

    // Act
    const { result, reads } = await run(csvOf('size,colour,y', rows));

    // Assess
    expect(reads).toBe(2);
    expect(result.status === 'accepted' && result.contractSource).toBe('inferred');
    expect(result.status === 'accepted' && result.contract).toEqual({
      target: 'y',
      problemType: 'binary',
      columns: [
        { name: 'size', type: 'numeric', nullable: true },
        { name: 'colour', type: 'categorical' },
        { name: 'y', type: 'categorical' },
      ],
      labels: ['no', 'yes'],
    });
  });

  it.each([
    ['0/1 labels', (i: number) => String(i % 2), 'binary'],
    ['a few integer labels', (i: number) => String(i % 4), 'multiclass'],
    ['text labels', (i: number) => ['cat', 'dog', 'eel'][i % 3] as string, 'multiclass'],
    ['fractional labels', (i: number) => String(i * 0.37), 'regression'],
  ])('infers the problem type from %s', async (_name, label, expected) => {
    // Prepare
    const rows = twenty((i) => `${i},${label(i)}`);

    // Act
    const { result } = await run(csvOf('x,y', rows));

    // Assess
    expect(result.report.problemType).toBe(expected);
  });

  it('reads the file again when a column turns to text after numbers', async () => {
    // Prepare
    const rows = twenty((i) => `${i < 10 ? String(i % 3) : `c${i % 3}`},${i % 2}`);

    // Act
    const { result, reads } = await run(csvOf('code,y', rows));

    // Assess
    expect(reads).toBe(3);
    expect(result.status === 'accepted' && result.encoding.features[0]).toEqual({
      name: 'code',
      type: 'categorical',
      categories: ['0', '1', '2', 'c0', 'c1', 'c2'],
    });
  });

  it('writes features in contract order, label first, with the contract label and category codes', async () => {
    // Prepare
    const contract: DatasetContract = {
      target: 'y',
      problemType: 'multiclass',
      columns: [
        { name: 'colour', type: 'categorical', values: ['red', 'green', 'blue'] },
        { name: 'y', type: 'categorical' },
        { name: 'n', type: 'numeric', min: 0, max: 100 },
      ],
      labels: ['low', 'mid', 'high'],
    };
    const rows = twenty((i) => `${i},${['low', 'mid', 'high'][i % 3]},${['blue', 'red'][i % 2]}`);

    // Act
    const { result, train, validation } = await run(csvOf('n,y,colour', rows), { contract });

    // Assess
    expect(result.status).toBe('accepted');
    const byN = new Map([...train, ...validation].map((line) => [line.split(',')[2], line]));
    expect(byN.get('0')).toBe('0,2,0');
    expect(byN.get('1')).toBe('1,0,1');
    expect(byN.get('5')).toBe('2,0,5');
    expect(result.status === 'accepted' && result.encoding).toEqual({
      formatVersion: 1,
      format: 'xgboost-csv',
      label: { name: 'y', problemType: 'multiclass', classes: ['low', 'mid', 'high'] },
      features: [
        { name: 'colour', type: 'categorical', categories: ['red', 'green', 'blue'] },
        { name: 'n', type: 'numeric' },
      ],
    });
  });

  it('re-formats numbers that are not plain decimals and copies the others', async () => {
    // Prepare
    const rows = twenty(
      (i) => `${i === 3 ? '1e3' : i === 4 ? ' 2.50' : i === 5 ? '"7"' : String(i)},${i % 2}`,
    );

    // Act
    const { train, validation } = await run(csvOf('x,y', rows));

    // Assess
    const values = [...train, ...validation].map((line) => line.split(',')[1]);
    expect(values).toEqual(expect.arrayContaining(['1000', '2.5', '7', '19']));
  });

  it('copies full-precision decimals verbatim and computes with their exact values', async () => {
    // Prepare
    const values = twenty((i) => `${i % 2 === 0 ? '-' : ''}0.123456789${String(12_345_678 + i * 7919)}`);
    const csv = csvOf(
      'x,y',
      values.map((value, i) => `${value},${i % 2}`),
    );

    // Act
    const { result, train, validation } = await run(csv);

    // Assess
    expect(result.status).toBe('accepted');
    const written = [...train, ...validation].map((line) => line.split(',')[1]);
    expect(written.sort()).toEqual([...values].sort());
    const numbers = values.map(Number);
    const x = result.status === 'accepted' ? result.statistics.features[0] : undefined;
    expect(x).toMatchObject({ min: Math.min(...numbers), max: Math.max(...numbers) });
  });

  it('reports lineage: the sha256 and size of the bytes read', async () => {
    // Prepare
    const csv = csvOf(
      'x,y',
      twenty((i) => `${i},${i % 2}`),
    );

    // Act
    const { result } = await run(csv);

    // Assess
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(csv).digest('hex');
    expect(result.status === 'accepted' && result.lineage).toEqual({ sha256, bytes: csv.length, rows: 20 });
    expect(result.report.sha256).toBe(sha256);
  });
});

describe('validateDataset without splits', () => {
  const csv = csvOf(
    'x,y',
    twenty((i) => `${i},${i % 2 === 0 ? 'yes' : 'no'}`),
  );

  it('stops after pass 1 without a sink: checked, with the report, the inferred contract and the lineage', async () => {
    // Act
    let reads = 0;
    const open = bytesDataset(csv);
    const result = await validateDataset({
      open: () => {
        reads++;
        return open();
      },
      targetColumn: 'y',
    });

    // Assess
    expect(reads).toBe(1);
    expect(result).toMatchObject({
      status: 'checked',
      report: { status: 'accepted', rows: 20 },
      contract: {
        target: 'y',
        problemType: 'binary',
        columns: [
          { name: 'x', type: 'numeric' },
          { name: 'y', type: 'categorical' },
        ],
        labels: ['no', 'yes'],
      },
      contractSource: 'inferred',
      lineage: { rows: 20, bytes: csv.length },
    });
    expect(result.report.split).toBeUndefined();
  });

  it('asks shouldSplit with the sha256 once pass 1 accepted, and opens no sink when it says no', async () => {
    // Prepare
    const asked: string[] = [];

    // Act
    const { result, sinks } = await run(csv, {
      shouldSplit: ({ sha256 }) => {
        asked.push(sha256);
        return false;
      },
    });

    // Assess
    expect(result.status).toBe('checked');
    expect(asked).toEqual([createHash('sha256').update(csv).digest('hex')]);
    expect(sinks.size).toBe(0);
  });

  it('does not ask shouldSplit about a rejected dataset', async () => {
    // Prepare
    let asked = false;

    // Act
    const { result } = await run(csvOf('x,y', ['1,a']), {
      shouldSplit: () => {
        asked = true;
        return true;
      },
    });

    // Assess
    expect(result.status).toBe('rejected');
    expect(asked).toBe(false);
  });
});

describe('validateDataset with declared labels and no contract (a partial schema.json)', () => {
  it('encodes the classes in the declared order and infers the rest', async () => {
    // Prepare
    const csv = csvOf(
      'x,y',
      twenty((i) => `${i},${i % 2 === 0 ? 'yes' : 'no'}`),
    );

    // Act
    const { result } = await run(csv, { labels: ['yes', 'no'] });

    // Assess
    expect(result.status).toBe('accepted');
    if (result.status !== 'accepted') return;
    expect(result.encoding.label).toEqual({ name: 'y', problemType: 'binary', classes: ['yes', 'no'] });
    expect(result.contract.labels).toEqual(['yes', 'no']);
  });

  it('rejects a label that is not declared, naming the row', async () => {
    // Prepare
    const csv = csvOf(
      'x,y',
      twenty((i) => `${i},${i === 7 ? 'maybe' : i % 2 === 0 ? 'yes' : 'no'}`),
    );

    // Act
    const { result } = await run(csv, { labels: ['yes', 'no'] });

    // Assess
    expect(result.status).toBe('rejected');
    expect(result.report.problems[0]).toMatchObject({
      kind: 'unknown-label',
      row: 8,
      column: 'y',
      value: 'maybe',
    });
  });
});
