import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  CaptureParser,
  type CaptureRecord,
  type CaptureSchema,
  captureSchemaFor,
  fastDecimal,
  readLines,
  splitQuoted,
} from '../../../../../lambdas/shared/capture';
import { SeededRandom } from '../../../../../lambdas/shared/random';
import { captureRecord } from '../../../../../local/sagemaker/runtime/capture';

const encoding = {
  features: [
    { name: 'age', type: 'numeric' as const },
    { name: 'plan', type: 'categorical' as const, categories: ['basic', 'pro', 'team'] },
    { name: 'spend', type: 'numeric' as const },
  ],
  label: { classes: ['no', 'yes'] },
};
const binary = captureSchemaFor(encoding, { objective: 'binary:logistic' });

/** A record exactly as the local runtime (and SageMaker) writes it. */
function record(
  input: string,
  output: string,
  options: { inputType?: string; outputType?: string; base64?: boolean; inferenceId?: string } = {},
): string {
  const csv = ['text/csv'];
  const json = ['application/json', 'application/jsonlines'];
  return captureRecord(
    {
      endpointName: 'churn-endpoint',
      variantName: 'AllTraffic',
      config: {
        DestinationS3Uri: 's3://artifacts/capture/churn',
        InitialSamplingPercentage: 100,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        ...(options.base64
          ? {}
          : { CaptureContentTypeHeader: { CsvContentTypes: csv, JsonContentTypes: json } }),
      },
      input: { body: Buffer.from(input), contentType: options.inputType ?? 'text/csv' },
      output: { body: Buffer.from(output), contentType: options.outputType ?? 'text/csv' },
      time: Date.UTC(2026, 10, 30, 14, 0, 0),
      ...(options.inferenceId === undefined ? {} : { inferenceId: options.inferenceId }),
    },
    'event-1',
  );
}

function parseAll(
  schema: CaptureSchema,
  lines: string[],
): { parser: CaptureParser; records: CaptureRecord[] } {
  const parser = new CaptureParser(schema);
  const records: CaptureRecord[] = [];
  for (const [index, line] of lines.entries()) {
    const parsed = parser.parseLine(line, { file: 'f.jsonl', line: index + 1 });
    if (parsed !== undefined) records.push(parsed);
  }
  return { parser, records };
}

describe('CaptureParser: payloads', () => {
  it('reads a multi-row CSV request, decodes category codes and aligns the predictions', () => {
    const { parser, records } = parseAll(binary, [
      record('34,1,12.5\n51,,7\n', '0.8\n0.1\n', { inferenceId: 'req-7' }),
    ]);
    expect(records).toEqual([
      {
        eventId: 'event-1',
        inferenceId: 'req-7',
        inferenceTime: '2026-11-30T14:00:00Z',
        rows: [
          [34, 'pro', 12.5],
          [51, null, 7],
        ],
        predictions: [[0.8], [0.1]],
      },
    ]);
    expect(parser.counts).toMatchObject({ records: 1, requestRows: 2, rows: 2, predictions: 2 });
    expect(parser.problems.total).toBe(0);
  });

  it('reads BASE64 payloads (content types not listed for capture) by their observed content type', () => {
    const line = record('20,2,1\r\n', '0.25', { base64: true });
    expect(JSON.parse(line).captureData.endpointInput.encoding).toBe('BASE64');
    const { records } = parseAll(binary, [line]);
    expect(records[0]?.rows).toEqual([[20, 'team', 1]]);
    expect(records[0]?.predictions).toEqual([[0.25]]);
  });

  it('reads JSON requests: instances of lists, {features}, {data.features.values}, objects by name, one row', () => {
    const answer = JSON.stringify({
      predictions: [{ score: 0.1 }, { score: 0.2 }, { score: 0.3 }, { score: 0.4 }],
    });
    const request = JSON.stringify({
      instances: [
        [1, 0, 2],
        { features: [2, 'pro', 3] },
        { data: { features: { values: [3, 2, 4] } } },
        { spend: 5, age: 4 },
      ],
    });
    const { records, parser } = parseAll(binary, [
      record(request, answer, { inputType: 'application/json', outputType: 'application/json' }),
      record('[7, 1, 8]', '[0.9]', { inputType: 'application/json', outputType: 'application/json' }),
    ]);
    expect(records[0]?.rows).toEqual([
      [1, 'basic', 2],
      [2, 'pro', 3],
      [3, 'team', 4],
      [4, null, 5],
    ]);
    expect(records[0]?.predictions).toEqual([[0.1], [0.2], [0.3], [0.4]]);
    expect(records[1]?.rows).toEqual([[7, 'pro', 8]]);
    expect(records[1]?.predictions).toEqual([[0.9]]);
    expect(parser.problems.total).toBe(0);
  });

  it('reads JSON Lines requests, one row per line', () => {
    const { records } = parseAll(binary, [
      record('[1,0,2]\n{"age":3,"plan":"team","spend":4}\n', '0.5\n0.6', {
        inputType: 'application/jsonlines',
      }),
    ]);
    expect(records[0]?.rows).toEqual([
      [1, 'basic', 2],
      [3, 'team', 4],
    ]);
  });

  it('splits multi:softprob answers into K probabilities per row (rows on lines or in brackets)', () => {
    const softprob = captureSchemaFor(
      { ...encoding, label: { classes: ['a', 'b', 'c'] } },
      { objective: 'multi:softprob', num_class: '3' },
    );
    expect(softprob.outputWidth).toBe(3);
    const { records } = parseAll(softprob, [
      record('1,0,2\n3,1,4\n', '0.1,0.2,0.7\n0.5,0.25,0.25\n'),
      record('1,0,2\n', '[0.3, 0.3, 0.4]'),
    ]);
    expect(records[0]?.predictions).toEqual([
      [0.1, 0.2, 0.7],
      [0.5, 0.25, 0.25],
    ]);
    expect(records[1]?.predictions).toEqual([[0.3, 0.3, 0.4]]);
  });

  it('reads quoted CSV fields', () => {
    expect(splitQuoted('"1",2,"a ""b"", c",')).toEqual(['1', '2', 'a "b", c', '']);
    const { records } = parseAll(binary, [record('"34","1",12\n', '0.5')]);
    expect(records[0]?.rows).toEqual([[34, 'pro', 12]]);
  });
});

describe('CaptureParser: hostile input is counted, never thrown, and the rest is read', () => {
  it('counts malformed lines, wrong column counts, text in numbers, unknown codes and bad answers', () => {
    const { parser, records } = parseAll(binary, [
      '{"captureData": ',
      '[1,2,3]',
      '{"eventMetadata": {}}',
      record('1,2\n1,2,3,4\n5,0,6\n', '0.1\n0.2\n0.3'),
      record('abc,0,1\n2,9,3\n', '0.5\n0.6'),
      record('1,0,2\n', 'not numbers'),
      record('1,0,2\n3,0,4\n', '0.5'),
      JSON.stringify({ captureData: { endpointOutput: { data: '1', encoding: 'CSV' } } }),
      JSON.stringify({
        captureData: { endpointInput: { data: '%%%', encoding: 'BASE64', observedContentType: 'text/csv' } },
      }),
      record('{"instances": 5}', '1', { inputType: 'application/json' }),
      record('1,0,2', '1', { inputType: 'application/x-protobuf' }),
      record('8,1,9\n', '0.7'),
      record('1,0,\n1,0,2,\n', '0.1\n0.2'),
    ]);
    expect(parser.problems.summary().counts).toEqual({
      'malformed-record': 3,
      'missing-input': 1,
      'unsupported-content': 2,
      'malformed-payload': 1,
      'wrong-column-count': 3,
      'not-a-number': 1,
      'unknown-category': 1,
      'missing-output': 1,
      'output-count-mismatch': 1,
    });
    expect(parser.problems.summary().byFeature).toEqual({
      age: { 'not-a-number': 1 },
      plan: { 'unknown-category': 1 },
    });
    // Unusable rows are null in place; a usable row beside them still counts, with its prediction.
    expect(records[0]?.rows).toEqual([null, null, [5, 'basic', 6]]);
    expect(records[0]?.predictions).toEqual([[0.1], [0.2], [0.3]]);
    // An unknown code is an unseen category (kept as sent), not a lost row.
    expect(records[1]?.rows).toEqual([null, [2, '9', 3]]);
    expect(records.at(-2)?.rows).toEqual([[8, 'pro', 9]]);
    expect(records.at(-1)?.rows).toEqual([[1, 'basic', null], null]);
    expect(parser.counts.rows).toBe(7);
    const example = parser.problems.summary().examples[0];
    expect(example).toMatchObject({ kind: 'malformed-record', file: 'f.jsonl', line: 1 });
  });

  it('skips a record over the size limit while streaming, and reads the records around it', async () => {
    const parser = new CaptureParser(binary, { maxRecordBytes: 1000 });
    const huge = record(`${'1,0,2\n'.repeat(1000)}`, '0.5\n'.repeat(1000));
    const text = `${record('1,0,2', '0.1')}\n${huge}\n${record('3,1,4', '0.2')}\n`;
    // 7-byte chunks: lines and the huge record span many chunks.
    const chunks = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) =>
      Buffer.from(text.slice(i * 7, i * 7 + 7)),
    );
    const records: CaptureRecord[] = [];
    await parser.parseStream(Readable.from(chunks), 'capture/x.jsonl', (r) => records.push(r));
    expect(records.map((r) => r.rows)).toEqual([[[1, 'basic', 2]], [[3, 'pro', 4]]]);
    expect(parser.problems.summary().counts).toEqual({ 'oversized-record': 1 });
    expect(parser.problems.summary().examples[0]).toMatchObject({ file: 'capture/x.jsonl', line: 2 });
    expect(parser.counts).toMatchObject({ files: 1, bytes: Buffer.byteLength(text), records: 2 });
  });

  it('reads a huge request under the size limit whole: 50,000 rows in one record', async () => {
    const parser = new CaptureParser(binary);
    const input = Array.from({ length: 50_000 }, (_, i) => `${i},${i % 3},${i / 4}`).join('\n');
    const output = Array.from({ length: 50_000 }, (_, i) => String((i % 10) / 10)).join('\n');
    const records: CaptureRecord[] = [];
    await parser.parseStream(Readable.from([Buffer.from(`${record(input, output)}\n`)]), 'big', (r) =>
      records.push(r),
    );
    expect(records[0]?.rows).toHaveLength(50_000);
    expect(records[0]?.rows[49_999]).toEqual([49_999, 'pro', 49_999 / 4]);
    expect(records[0]?.predictions?.[49_999]).toEqual([0.9]);
    expect(parser.problems.total).toBe(0);
  });

  it('counts a stream that fails midway as an unreadable file, keeping the records before', async () => {
    const parser = new CaptureParser(binary);
    async function* failing() {
      yield Buffer.from(`${record('1,0,2', '0.1')}\n`);
      throw new Error('connection reset');
    }
    const records: CaptureRecord[] = [];
    await parser.parseStream(failing(), 'f', (r) => records.push(r));
    expect(records).toHaveLength(1);
    expect(parser.problems.summary().counts).toEqual({ 'unreadable-file': 1 });
  });
});

describe('readLines', () => {
  it('gives the same lines for every chunking, CRLF and a last line without a newline', async () => {
    const text = 'alpha\r\nbeta\n\ngamma é\ndelta';
    const expected = [
      ['alpha', 1],
      ['beta', 2],
      ['gamma é', 4],
      ['delta', 5],
    ];
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const lines: [string, number][] = [];
      const count = await readLines(Readable.from(chunks), 100, {
        line: (line, n) => lines.push([line, n]),
        oversized: () => expect.unreachable(),
      });
      expect(lines).toEqual(expected);
      expect(count).toBe(5);
    }
  });

  it('reports lines over the limit by size and number, whole or split across chunks', async () => {
    for (const chunks of [['ok\n0123456789\nok2\n'], ['ok\n01234', '56789', '\nok2']]) {
      const seen: string[] = [];
      await readLines(Readable.from(chunks.map((c) => Buffer.from(c))), 5, {
        line: (line, n) => seen.push(`${n}:${line}`),
        oversized: (bytes, n) => seen.push(`${n}:oversized ${bytes}`),
      });
      expect(seen).toEqual(['1:ok', '2:oversized 10', '3:ok2']);
    }
  });
});

describe('fastDecimal', () => {
  it('gives exactly what Number gives for plain decimals, and NaN (for Number to decide) otherwise', () => {
    const random = new SeededRandom(42, 0);
    const digits = (n: number) =>
      Array.from({ length: n }, () => String(Math.floor(random.next() * 10))).join('');
    const cases = [
      '0',
      '-0',
      '5.',
      '.5',
      '+3.25',
      '0.1',
      '0.3',
      '9007199254740991',
      '123456789012345',
      '1.000000000000001',
    ];
    for (let k = 0; k < 20_000; k++) {
      const sign = ['', '-', '+'][Math.floor(random.next() * 3)] ?? '';
      const whole = digits(Math.floor(random.next() * 9));
      const fraction = random.next() < 0.8 ? `.${digits(Math.floor(random.next() * 12))}` : '';
      cases.push(`${sign}${whole}${fraction}`);
    }
    let fast = 0;
    for (const text of cases) {
      const x = fastDecimal(`,${text},`, 1, text.length + 1);
      if (Number.isNaN(x)) continue;
      fast++;
      expect(Object.is(x, Number(text)), text).toBe(true);
    }
    expect(fast).toBeGreaterThan(15_000);
    for (const text of ['1e5', 'abc', '', '-', '.', '1.2.3', ' 1', 'Infinity', '0x10', '1234567890123456']) {
      expect(fastDecimal(text, 0, text.length), text).toBeNaN();
    }
  });
});
