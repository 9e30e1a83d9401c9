import { describe, expect, it } from 'vitest';
import type { DatasetContract } from '../../../../lambdas/shared/dataset-contract';
import {
  bytesDataset,
  type DatasetProblem,
  MemorySink,
  type ProblemKind,
  type ValidateDatasetInput,
  validateDataset,
} from '../../../../lambdas/validate-dataset';

/** Runs the validator and returns its report, checking that a rejected dataset opened no sink. */
async function rejected(
  csv: string | Uint8Array,
  input: Partial<ValidateDatasetInput> = {},
  chunkSize = 64 * 1024,
) {
  let sinksOpened = 0;
  let reads = 0;
  const open = bytesDataset(csv, chunkSize);
  const result = await validateDataset({
    open: () => {
      reads++;
      return open();
    },
    openSink: () => {
      sinksOpened++;
      return new MemorySink();
    },
    ...(input.contract === undefined ? { targetColumn: 'y' } : {}),
    ...input,
  });
  expect(result.status).toBe('rejected');
  expect(sinksOpened).toBe(0);
  return { report: result.report, reads };
}

function only(problems: readonly DatasetProblem[], kind: ProblemKind): DatasetProblem[] {
  return problems.filter((problem) => problem.kind === kind);
}

function csvOf(header: string, rows: readonly string[]): string {
  return `${[header, ...rows].join('\n')}\n`;
}

const rows = (count: number, make: (i: number) => string): string[] =>
  Array.from({ length: count }, (_, i) => make(i));
const valid = rows(20, (i) => `${i},${i % 2}`);

const contract: DatasetContract = {
  target: 'y',
  problemType: 'binary',
  columns: [
    { name: 'age', type: 'numeric', min: 0, max: 120 },
    { name: 'plan', type: 'categorical', values: ['basic', 'pro'] },
    { name: 'y', type: 'categorical' },
  ],
  labels: ['no', 'yes'],
};
const contractRows = rows(20, (i) => `${i},${i % 3 === 0 ? 'pro' : 'basic'},${i % 2 === 0 ? 'yes' : 'no'}`);

describe('validateDataset rejects', () => {
  it.each([
    ['an empty file', ''],
    ['a file with only a BOM', '\uFEFF'],
  ])('%s', async (_name, csv) => {
    // Act
    const { report } = await rejected(csv);

    // Assess
    expect(report.problems).toEqual([
      { kind: 'empty-file', message: 'the file is empty (expected a header row and data rows)' },
    ]);
  });

  it('a header without data rows', async () => {
    // Act
    const { report } = await rejected('x,y\n\n');

    // Assess
    expect(report.countsByKind).toEqual({ 'no-data-rows': 1 });
  });

  it('rows with too few or too many fields, naming row and line', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid.slice(0, 3), '7', '1,2,3', ...valid.slice(3)]));

    // Assess
    expect(only(report.problems, 'field-count').map((p) => p.message)).toEqual([
      'row 4 (line 5): 1 field (expected 2, as in the header; too few fields)',
      'row 5 (line 6): 3 fields (expected 2, as in the header; too many fields)',
    ]);
  });

  it('duplicate and empty column names, and stops reading', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'x,,x,y',
        rows(20, () => '1,2,3,0'),
      ),
    );

    // Assess
    expect(report.problems.map((p) => p.message)).toEqual([
      'header (line 1), column 2: the column name is empty (expected a name)',
      'header (line 1), column 3: "x" repeats column 1 (expected unique names)',
    ]);
    expect(report.stoppedEarly).toBe(true);
  });

  it('a target column missing from the header, or not configured at all', async () => {
    // Act
    const missing = await rejected(csvOf('a,b', valid), { targetColumn: 'label' });
    const unset = await rejected(csvOf('a,b', valid), { targetColumn: undefined });

    // Assess
    expect(missing.report.problems[0]?.message).toBe(
      'header (line 1): the target column "label" is missing (expected it among a, b)',
    );
    expect(unset.report.problems[0]?.kind).toBe('missing-target');
  });

  it.each([
    [';', 'a;b;label', ';-separated'],
    ['\t', 'a\tb\tlabel', 'tab-separated'],
  ])(
    'a %j-separated file: the header is one column, said before the missing target',
    async (separator, header, looks) => {
      // Prepare
      const lines = [header, ...Array.from({ length: 20 }, (_, i) => [i, i % 3, i % 2].join(separator))];

      // Act
      const { report } = await rejected(csvOf(lines[0] as string, lines.slice(1)), { targetColumn: 'label' });

      // Assess
      expect(report.problems.map((p) => p.kind)).toEqual(['not-comma-separated', 'missing-target']);
      expect(report.problems[0]?.message).toBe(
        `header (line 1): the header has one column ${JSON.stringify(header)}; this looks ${looks}: expected comma-separated values (RFC 4180)`,
      );
    },
  );

  it('a one-column header without ; or tab gets no separator hint', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'a',
        valid.map((row) => row.split(',')[0] ?? ''),
      ),
      {
        targetColumn: 'label',
      },
    );

    // Assess
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-target']);
  });

  it('text in a numeric column, with row, line, column, value and expectation', async () => {
    // Act
    const { report } = await rejected(csvOf('age,plan,y', [...contractRows, 'forty-two,basic,no']), {
      contract,
    });

    // Assess
    expect(report.problems).toEqual([
      {
        kind: 'not-a-number',
        message: 'row 21 (line 22), column "age": "forty-two" is not a number (expected a finite number)',
        row: 21,
        line: 22,
        column: 'age',
        value: 'forty-two',
        expected: 'a finite number',
      },
    ]);
  });

  it('NaN and infinite values', async () => {
    // Prepare
    const bad = ['NaN', 'inf', '-Infinity', '1e999'].map((value) => `${value},basic,no`);

    // Act
    const { report } = await rejected(csvOf('age,plan,y', [...contractRows, ...bad]), { contract });

    // Assess
    expect(report.countsByKind).toEqual({ 'non-finite': 4 });
    expect(report.problems[3]?.message).toBe(
      'row 24 (line 25), column "age": "1e999" is not a finite number (expected a finite number)',
    );
  });

  it('NaN in an inferred numeric column', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid, 'nan,1']));

    // Assess
    expect(report.countsByKind).toEqual({ 'non-finite': 1 });
  });

  it('numbers outside min/max, categories outside values and nulls in non-nullable columns', async () => {
    // Prepare
    const bad = ['121,basic,no', '-1,pro,yes', '30,gold,no', ',basic,no'];

    // Act
    const { report } = await rejected(csvOf('age,plan,y', [...contractRows, ...bad]), { contract });

    // Assess
    expect(report.problems.map((p) => p.message)).toEqual([
      'row 21 (line 22), column "age": "121" is out of range (expected a number from 0 to 120)',
      'row 22 (line 23), column "age": "-1" is out of range (expected a number from 0 to 120)',
      'row 23 (line 24), column "plan": "gold" is not one of the allowed values (expected "basic", "pro")',
      'row 24 (line 25), column "age": "" is empty (expected a value; the column is not nullable)',
    ]);
  });

  it('empty labels and labels outside the contract', async () => {
    // Act
    const { report } = await rejected(csvOf('age,plan,y', [...contractRows, '1,basic,', '2,basic,maybe']), {
      contract,
    });

    // Assess
    expect(report.problems.map((p) => p.message)).toEqual([
      'row 21 (line 22), column "y": "" is an empty label (expected a label on every row)',
      'row 22 (line 23), column "y": "maybe" is not one of the allowed labels (expected "no", "yes")',
    ]);
  });

  it('a non-numeric label for regression', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid, '3,high']), { problemType: 'regression' });

    // Assess
    expect(report.problems[0]?.message).toBe(
      'row 21 (line 22), column "y": "high" is not a number (expected a number for regression)',
    );
  });

  it('a single class for classification', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'x,y',
        rows(20, (i) => `${i},yes`),
      ),
      { problemType: 'binary' },
    );

    // Assess
    expect(report.problems[0]?.message).toBe(
      'column "y": every row has the label "yes" (expected at least 2 classes for binary classification)',
    );
  });

  it('three labels for binary classification', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'x,y',
        rows(21, (i) => `${i},${i % 3}`),
      ),
      { problemType: 'binary' },
    );

    // Assess
    expect(report.countsByKind).toEqual({ 'too-many-classes': 1 });
  });

  it('invalid UTF-8, with the byte offset and row, and stops reading', async () => {
    // Prepare
    const head = new TextEncoder().encode('x,y\n1,0\n2,');
    const bytes = new Uint8Array([...head, 0xff, 0x0a, ...new TextEncoder().encode(valid.join('\n'))]);

    // Act
    const { report } = await rejected(bytes, {}, 4);

    // Assess
    expect(report.problems).toEqual([
      {
        kind: 'invalid-utf8',
        message: 'row 2 (line 3): field 2: invalid UTF-8 at byte 10 (expected UTF-8 text)',
        row: 2,
        line: 3,
        byteOffset: 10,
      },
    ]);
    expect(report.stoppedEarly).toBe(true);
    expect(report.sha256).toBeUndefined();
  });

  it('binary content (a NUL byte)', async () => {
    // Act
    const { report } = await rejected(new Uint8Array([0x78, 0x2c, 0x79, 0x0a, 0x00, 0x2c, 0x31, 0x0a]));

    // Assess
    expect(report.countsByKind).toEqual({ 'binary-content': 1 });
  });

  it('a line over the size limit', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid, `${'1'.repeat(300)},0`]), {
      options: { maxLineBytes: 256 },
    });

    // Assess
    expect(report.problems[0]?.message).toBe(
      'row 21 (line 22): the record is longer than the limit of 256 bytes (expected shorter lines)',
    );
  });

  it('an unterminated quote, naming the row where it opened', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid.slice(0, 5), '5,"1', ...valid.slice(5)]), {}, 7);

    // Assess
    expect(report.problems[0]?.kind).toBe('unterminated-quote');
    expect(report.problems[0]?.message).toMatch(/^row 6 \(line 7\): field 2: the quote opened here/);
  });

  it('text after a closing quote', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid, '"1"2,0']));

    // Assess
    expect(report.countsByKind).toEqual({ 'malformed-quote': 1 });
  });

  it('blank lines followed by data', async () => {
    // Act
    const { report } = await rejected(csvOf('x,y', [...valid.slice(0, 10), '', ...valid.slice(10)]));

    // Assess
    expect(report.problems.map((p) => p.message)).toEqual([
      'row 11 (line 12): the line is blank (expected 2 fields; only trailing blank lines are ignored)',
    ]);
  });

  it('too few rows to split, in total and per class', async () => {
    // Act
    const total = await rejected(csvOf('x,y', valid.slice(0, 6)));
    const perClass = await rejected(csvOf('x,y', [...rows(20, (i) => `${i},a`), '1,b']), {
      problemType: 'binary',
    });

    // Assess
    expect(total.report.problems.map((p) => p.message)).toEqual([
      'the file has 6 data rows (expected at least 10, the configured minRows)',
    ]);
    expect(perClass.report.problems.map((p) => p.message)).toEqual([
      'column "y": the class "b" has only 1 row (expected at least 2, so that both the train and the validation split get one)',
    ]);
  });

  it('a file over maxBytes, by its declared length without reading it, or while streaming', async () => {
    // Prepare
    const csv = csvOf('x,y', valid);

    // Act
    const declared = await rejected(csv, { contentLength: csv.length, options: { maxBytes: 50 } });
    const streamed = await rejected(csv, { options: { maxBytes: 50 } }, 32);

    // Assess
    expect(declared.reads).toBe(0);
    expect(declared.report.problems[0]?.message).toBe(
      `the file declares ${csv.length} bytes (expected at most 50, the configured maxBytes)`,
    );
    expect(streamed.report.problems[0]?.message).toBe(
      'the file has at least 64 bytes (expected at most 50, the configured maxBytes)',
    );
  });

  it('columns missing from the file and columns the contract does not declare', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'age,y,extra',
        rows(20, (i) => `${i},${i % 2 ? 'yes' : 'no'},x`),
      ),
      {
        contract,
      },
    );

    // Assess
    expect(report.problems.map((p) => p.message)).toEqual([
      'header (line 1): the contract column "plan" is missing from the file (expected every declared column)',
      'header (line 1), column 3: "extra" is not in the contract (expected only declared columns)',
    ]);
  });

  it('configuration that contradicts the contract', async () => {
    // Act
    const { report, reads } = await rejected(csvOf('age,plan,y', contractRows), {
      contract,
      targetColumn: 'plan',
      problemType: 'regression',
    });

    // Assess
    expect(reads).toBe(0);
    expect(report.countsByKind).toEqual({ 'contract-conflict': 2 });
  });

  it('a categorical feature with too many distinct values', async () => {
    // Act
    const { report } = await rejected(
      csvOf(
        'id,y',
        rows(20, (i) => `id${i},${i % 2}`),
      ),
      {
        options: { maxCategories: 5 },
      },
    );

    // Assess
    expect(report.problems[0]?.message).toBe(
      'row 6 (line 7), column "id": more than 5 distinct values (expected at most 5; an identifier-like column is not a useful feature)',
    );
  });

  it('with at most maxProblems details but every problem counted', async () => {
    // Prepare
    const bad = rows(300, (i) => `x${i},${i % 2}`);

    // Act
    const { report } = await rejected(csvOf('x,y', bad), {
      contract: {
        target: 'y',
        problemType: 'binary',
        columns: [
          { name: 'x', type: 'numeric' },
          { name: 'y', type: 'numeric' },
        ],
      },
      options: { maxProblems: 5 },
    });

    // Assess
    expect(report.problems).toHaveLength(5);
    expect(report.problemCount).toBe(300);
    expect(report.countsByKind).toEqual({ 'not-a-number': 300 });
    expect(report.rows).toBe(300);
  });
});
