import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../lambdas/shared/random';
import {
  type CsvRecord,
  CsvScanner,
  CsvSyntaxError,
  decodeField,
  FIELD_PARSED,
  FIELD_PLAIN,
  FIELD_QUOTED,
  utf8SequenceLength,
} from '../../../../lambdas/validate-dataset/csv-scanner';

interface Seen {
  readonly fields: string[];
  readonly line: number;
  readonly index: number;
  readonly blank: boolean;
  readonly parsed: (number | null)[];
  readonly plain: boolean[];
  readonly quoted: boolean[];
}

/** Scans `input` fed in chunks of `chunkSize` bytes and copies out every record. */
function scan(
  input: string | Uint8Array,
  chunkSize = 1 << 20,
  numeric: boolean[] = [],
  maxRecordBytes = 1 << 20,
) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const seen: Seen[] = [];
  const scanner: CsvScanner = new CsvScanner(
    {
      onRecord(record: CsvRecord) {
        if (record.index === 0) scanner.setNumericColumns(numeric);
        const fields: string[] = [];
        const parsed: (number | null)[] = [];
        const plain: boolean[] = [];
        const quoted: boolean[] = [];
        for (let j = 0; j < record.count; j++) {
          const flags = record.flags[j] as number;
          fields.push(decodeField(record.bytes, record.starts[j] as number, record.ends[j] as number, flags));
          parsed.push((flags & FIELD_PARSED) !== 0 ? (record.values[j] as number) : null);
          plain.push((flags & FIELD_PLAIN) !== 0);
          quoted.push((flags & FIELD_QUOTED) !== 0);
        }
        seen.push({
          fields,
          line: record.line,
          index: record.index,
          blank: record.blank,
          parsed,
          plain,
          quoted,
        });
      },
    },
    { maxRecordBytes },
  );
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    scanner.push(bytes.subarray(offset, Math.min(bytes.length, offset + chunkSize)));
  }
  scanner.finish();
  return seen;
}

function syntaxError(run: () => unknown): CsvSyntaxError {
  try {
    run();
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a CsvSyntaxError');
}

const tricky =
  '\uFEFFid,text,n\r\n1,"a, ""quoted"" value",2.5\r\n2,"two\nlines",-3\n3,plain é,\r\n4,"",7\n\n\r\n';

describe('CsvScanner', () => {
  it('reads quoted fields, escaped quotes, embedded newlines, CRLF and LF, a BOM and blank lines', () => {
    // Act
    const records = scan(tricky);

    // Assess
    expect(records.map((r) => r.fields)).toEqual([
      ['id', 'text', 'n'],
      ['1', 'a, "quoted" value', '2.5'],
      ['2', 'two\nlines', '-3'],
      ['3', 'plain é', ''],
      ['4', '', '7'],
      [''],
      [''],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(records.map((r) => r.blank)).toEqual([false, false, false, false, false, true, true]);
    expect(records[4]?.quoted).toEqual([false, true, false]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    // Prepare
    const whole = scan(tricky);

    // Act
    const chunked = [1, 2, 3, 5, 7, 11].map((size) => scan(tricky, size));

    // Assess
    for (const records of chunked) expect(records).toEqual(whole);
  });

  it('parses plain decimals of numeric columns itself, exactly as Number() does', () => {
    // Prepare
    const random = new SeededRandom(7);
    const values = Array.from({ length: 500 }, () => {
      const digits = String(random.nextUint32() * 4096 + random.nextUint32()).slice(
        0,
        1 + (random.nextUint32() % 17),
      );
      const dot = random.nextUint32() % digits.length;
      const text = dot === 0 ? digits : `${digits.slice(0, dot)}.${digits.slice(dot)}`;
      return random.next() < 0.5 ? `-${text}` : text;
    });
    const csv = `x,y\n${values.map((v) => `${v},${v}`).join('\n')}\n`;

    // Act
    const records = scan(csv, 13, [true, false]).slice(1);

    // Assess
    records.forEach((record, i) => {
      expect(record.parsed[0]).toBe(Number(values[i]));
      expect(record.parsed[1]).toBeNull();
    });
  });

  it('flags long plain decimals as plain but leaves their value to the slow path', () => {
    // Prepare
    const csv = 'a,b\n0.12345678901234567,-123456789012345678901\n';

    // Act
    const records = scan(csv, 1 << 20, [true, true]);

    // Assess
    expect(records[1]?.parsed).toEqual([null, null]);
    expect(records[1]?.plain).toEqual([true, true]);
  });

  it('leaves exponents, padding and quoted numbers to the slow path', () => {
    // Act
    const records = scan('a,b,c,d\n1e3, 4,"5",1.\n', 1 << 20, [true, true, true, true]);

    // Assess
    expect(records[1]?.parsed).toEqual([null, null, null, null]);
    expect(records[1]?.fields).toEqual(['1e3', ' 4', '5', '1.']);
  });

  it('reports invalid UTF-8 with its byte offset, row and line', () => {
    // Prepare
    const bytes = new Uint8Array([...new TextEncoder().encode('a,b\n1,2\n3,x'), 0xc3, 0x28, 0x0a]);

    // Act
    const error = syntaxError(() => scan(bytes, 4));

    // Assess
    expect(error.kind).toBe('invalid-utf8');
    expect(error.byteOffset).toBe(11);
    expect(error.message).toBe('row 2 (line 3): field 2: invalid UTF-8 at byte 11 (expected UTF-8 text)');
  });

  it('reports a UTF-8 sequence cut by the end of the file', () => {
    // Act
    const error = syntaxError(() => scan(new Uint8Array([0x61, 0x0a, 0xe2, 0x82])));

    // Assess
    expect(error.kind).toBe('invalid-utf8');
    expect(error.byteOffset).toBe(2);
  });

  it('reports a NUL byte as binary content', () => {
    // Act
    const error = syntaxError(() => scan(new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x00, 0x0a])));

    // Assess
    expect(error.kind).toBe('binary-content');
    expect(error.message).toMatch(/^row 1 \(line 2\): field 1: NUL byte at byte 5/);
  });

  it('names the row and line where an unterminated quote opened', () => {
    // Prepare
    const csv = 'a,b\n1,2\n3,"never\nclosed\n4,5\n';

    // Act
    const error = syntaxError(() => scan(csv, 3));

    // Assess
    expect(error.kind).toBe('unterminated-quote');
    expect(error.record).toBe(2);
    expect(error.line).toBe(3);
    expect(error.message).toBe(
      'row 2 (line 3): field 2: the quote opened here (byte 10) is not closed before the end of the file (expected a closing ")',
    );
  });

  it('reports an unterminated quote once the record limit is passed', () => {
    // Prepare
    const csv = `a\n"${'x'.repeat(200)}\n`;

    // Act
    const error = syntaxError(() => scan(csv, 16, [], 64));

    // Assess
    expect(error.kind).toBe('unterminated-quote');
    expect(error.message).toContain('within the record limit of 64 bytes');
  });

  it('reports a line over the size limit', () => {
    // Act
    const error = syntaxError(() => scan(`a,b\n1,${'9'.repeat(100)}\n`, 7, [], 64));

    // Assess
    expect(error.kind).toBe('line-too-long');
    expect(error.message).toBe(
      'row 1 (line 2): the record is longer than the limit of 64 bytes (expected shorter lines)',
    );
  });

  it('reports text after a closing quote', () => {
    // Act
    const error = syntaxError(() => scan('a,b\n"x"y,1\n'));

    // Assess
    expect(error.kind).toBe('malformed-quote');
    expect(error.message).toMatch(/^row 1 \(line 2\): field 1: unexpected character after a closing quote/);
  });
});

describe('utf8SequenceLength', () => {
  it('accepts and rejects exactly what TextDecoder fatal does', () => {
    // Prepare
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const random = new SeededRandom(3);
    const leads = [0x80, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
    const continuations = [0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0];

    for (let i = 0; i < 3000; i++) {
      // Act
      const lead = leads[random.nextUint32() % leads.length] as number;
      const tail = Array.from(
        { length: 3 },
        () => continuations[random.nextUint32() % continuations.length] as number,
      );
      const bytes = new Uint8Array([lead, ...tail]);
      const length = utf8SequenceLength(bytes, 0, bytes.length);

      // Assess
      const expectedLength =
        lead >= 0xf0 && lead <= 0xf4
          ? 4
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xc2 && lead <= 0xdf
              ? 2
              : 1;
      let valid = true;
      try {
        decoder.decode(bytes.subarray(0, expectedLength));
      } catch {
        valid = false;
      }
      expect(length).toBe(valid ? expectedLength : -1);
    }
  });
});
