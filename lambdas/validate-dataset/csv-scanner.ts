/**
 * A streaming, byte-level CSV scanner (RFC 4180 with LF or CRLF line ends and an optional UTF-8 BOM).
 *
 * Hand-written on purpose: the validator needs, together, exact physical line numbers and 1-based record
 * numbers for every problem, the line where an unterminated quote opened, a per-record size limit that
 * bounds memory, UTF-8 validation with the byte offset of the first bad byte, NUL detection, and more than
 * 200 MB/s on one core. No npm CSV parser offers all of these (csv-parse is ~10x too slow; udsv and
 * papaparse do not report positions or unterminated quotes). The scanner allocates nothing per record or
 * field: it reports each record as byte ranges into the input chunk, valid only during the callback.
 *
 * Typed-array reads are cast with `as number`: the indexes are bounds-checked by the loops themselves and
 * `noUncheckedIndexedAccess` would otherwise force a runtime check per byte.
 */

/** The field was quoted; its range excludes the quotes. */
export const FIELD_QUOTED = 1;
/** The (quoted) field contains `""` escapes that must be unescaped when decoded. */
export const FIELD_ESCAPED = 2;
/**
 * A numeric column's field was plain decimal text (see {@link FIELD_PLAIN}) short enough to convert
 * exactly on the fly: its value is already in {@link CsvRecord.values}.
 */
export const FIELD_PARSED = 4;
/** A numeric column's field is unquoted, unpadded plain decimal text: `-?digits(.digits)?`. */
export const FIELD_PLAIN = 8;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const MAX_EXACT = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Structural problems after which the rest of the file cannot be read reliably. */
export type CsvSyntaxKind =
  | 'invalid-utf8'
  | 'binary-content'
  | 'unterminated-quote'
  | 'malformed-quote'
  | 'line-too-long';

/** A structural error: scanning stops at the first one. */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';

  constructor(
    readonly kind: CsvSyntaxKind,
    message: string,
    /** 0-based record index (0 is the header), i.e. the 1-based data row number. */
    readonly record: number,
    /** 1-based physical line number of the problem. */
    readonly line: number,
    /** Absolute byte offset in the stream (BOM included). */
    readonly byteOffset: number,
    /** 0-based field index within the record. */
    readonly field: number,
  ) {
    super(message);
  }
}

/** One record, reused for every callback: copy out what you need before returning. */
export class CsvRecord {
  /** The buffer the field ranges point into. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Number of fields. */
  count = 0;
  /** Start (inclusive) of each field's content in `bytes`. */
  starts = new Int32Array(64);
  /** End (exclusive) of each field's content in `bytes`. */
  ends = new Int32Array(64);
  /** {@link FIELD_QUOTED}, {@link FIELD_ESCAPED}, {@link FIELD_PARSED} and {@link FIELD_PLAIN} bits per field. */
  flags = new Uint8Array(64);
  /** The value of fields flagged {@link FIELD_PARSED}. */
  values = new Float64Array(64);
  /** 0-based record index: 0 is the header, n is data row n. */
  index = 0;
  /** 1-based physical line where the record starts. */
  line = 1;
  /** Absolute byte offset of the record's first byte. */
  offset = 0;
  /** Length in bytes, line end included. */
  byteLength = 0;
  /** An empty line (one empty, unquoted field). */
  blank = false;

  /** Doubles the field capacity (records wider than any seen so far). */
  grow(): void {
    const capacity = this.starts.length * 2;
    const starts = new Int32Array(capacity);
    const ends = new Int32Array(capacity);
    const flags = new Uint8Array(capacity);
    const values = new Float64Array(capacity);
    starts.set(this.starts);
    ends.set(this.ends);
    flags.set(this.flags);
    values.set(this.values);
    this.starts = starts;
    this.ends = ends;
    this.flags = flags;
    this.values = values;
  }
}

/** Receives each complete record. */
export interface CsvRecordVisitor {
  onRecord(record: CsvRecord): void;
}

/** Options of {@link CsvScanner}. */
export interface CsvScannerOptions {
  /** A record longer than this (line end included) is a `line-too-long` error; bounds buffered bytes. */
  readonly maxRecordBytes: number;
}

/**
 * Feed chunks with {@link CsvScanner.push} and end with {@link CsvScanner.finish}; the visitor is called
 * synchronously for each complete record. Throws {@link CsvSyntaxError} on structural errors.
 *
 * Records that straddle chunk boundaries are carried in a small buffer (at most `maxRecordBytes` plus one
 * segment); everything else is scanned in place, so memory does not grow with the file.
 */
export class CsvScanner {
  private readonly record = new CsvRecord();
  private readonly maxRecordBytes: number;
  private carry = new Uint8Array(64 * 1024);
  private carryLength = 0;
  /** Absolute offset of carry[0]. */
  private carryOffset = 0;
  /** Absolute offset of the next chunk's first byte. */
  private streamOffset = 0;
  private line = 1;
  private recordIndex = 0;
  private bomChecked = false;
  private halted = false;
  private numeric = new Uint8Array(0);
  private quoted = 0;

  constructor(
    private readonly visitor: CsvRecordVisitor,
    options: CsvScannerOptions,
  ) {
    this.maxRecordBytes = options.maxRecordBytes;
  }

  /** Whether {@link CsvScanner.stop} was called: further input is ignored. */
  get stopped(): boolean {
    return this.halted;
  }

  /**
   * Quoted fields seen so far; a record that straddles chunks may be counted more than once, so this only
   * tells whether (and after which record) quoted fields occurred.
   */
  get quotedFields(): number {
    return this.quoted;
  }

  /**
   * Marks the columns (by 0-based field index) whose plain decimals the scanner should recognise and
   * parse itself (see {@link FIELD_PLAIN}, {@link FIELD_PARSED}); may be called from the header's callback.
   */
  setNumericColumns(numeric: readonly boolean[]): void {
    this.numeric = Uint8Array.from(numeric, (isNumeric) => (isNumeric ? 1 : 0));
  }

  /** Stops scanning (from inside a callback, too): the rest of the current chunk is not visited. */
  stop(): void {
    this.halted = true;
  }

  /** Scans one chunk. The chunk is only read during the call. */
  push(input: Uint8Array): void {
    if (this.halted) return;
    // A plain Uint8Array view (not a Buffer subclass) keeps the hot loops monomorphic with the carry buffer.
    const chunk =
      input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.length);
    const base = this.streamOffset;
    this.streamOffset += chunk.length;
    let from = 0;
    // Complete the carried partial record from the head of this chunk, one line at a time. Segments at
    // least as long as the carry keep the rescans of a long multi-line record linear overall.
    while (this.carryLength > 0 && from < chunk.length) {
      const skip = this.carryLength > 4096 ? this.carryLength : 0;
      const lf = chunk.indexOf(LF, Math.min(from + skip, chunk.length));
      const end = lf < 0 ? chunk.length : lf + 1;
      this.appendCarry(chunk, from, end, base);
      from = end;
      this.scanCarry(false);
      if (this.halted) return;
    }
    if (from === chunk.length) return;
    const consumed = this.scan(chunk, from, chunk.length, false, base);
    if (!this.halted && consumed < chunk.length) this.appendCarry(chunk, consumed, chunk.length, base);
  }

  /** Ends the input: the last record may lack a line end; an open quote is an error. */
  finish(): void {
    if (this.halted) return;
    if (this.carryLength > 0) this.scanCarry(true);
    else if (!this.bomChecked) this.bomChecked = true;
  }

  private appendCarry(chunk: Uint8Array, from: number, to: number, base: number): void {
    const length = to - from;
    if (this.carryLength === 0) this.carryOffset = base + from;
    if (this.carryLength + length > this.carry.length) {
      const grown = new Uint8Array(Math.max(this.carry.length * 2, this.carryLength + length));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(from, to), this.carryLength);
    this.carryLength += length;
  }

  private scanCarry(final: boolean): void {
    const consumed = this.scan(this.carry, 0, this.carryLength, final, this.carryOffset);
    if (consumed === 0) return;
    this.carry.copyWithin(0, consumed, this.carryLength);
    this.carryLength -= consumed;
    this.carryOffset += consumed;
  }

  /**
   * Scans complete records in buf[from, to) and returns where the first incomplete one starts (`to` when
   * all were complete). `base` is the absolute offset of buf[0]. With `final`, `to` is the end of input.
   */
  private scan(buf: Uint8Array, from: number, to: number, final: boolean, base: number): number {
    let i = from;
    if (!this.bomChecked) {
      if (to - i < 3 && !final && isBomPrefix(buf, i, to)) return i;
      this.bomChecked = true;
      if (to - i >= 3 && buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) i += 3;
    }
    const record = this.record;
    const max = this.maxRecordBytes;
    let numeric = this.numeric;
    let numericWidth = numeric.length;
    while (i < to) {
      const recordStart = i;
      let starts = record.starts;
      let ends = record.ends;
      let flags = record.flags;
      let values = record.values;
      let n = 0;
      let lines = 0;
      for (;;) {
        if (n === starts.length) {
          record.grow();
          starts = record.starts;
          ends = record.ends;
          flags = record.flags;
          values = record.values;
        }
        starts[n] = i;
        if (n < numericWidth && numeric[n] === 1) {
          // Fused fast path for plain decimals (`-?digits(.digits)?`) in numeric columns: one loop finds
          // the delimiter and computes the value (exact Clinger fast path, see numbers.ts). Anything
          // else (exponents, padding, quotes, a chunk end) falls through to the generic code below.
          let k = i;
          if (buf[k] === MINUS) k++;
          // Small integers (up to 9 digits) stay int32 in V8, a shorter dependency chain per digit than
          // float64; longer mantissas switch to doubles, exact while below 2^53 (checked below).
          const intStart = k;
          let mantissa = 0;
          while (k < to) {
            const d = (buf[k] as number) - ZERO;
            if (d >>> 0 > 9) break;
            mantissa = mantissa * 10 + d;
            k++;
          }
          const intDigits = k - intStart;
          let fraction = 0;
          let plain = intDigits > 0;
          if (plain && k < to && buf[k] === DOT) {
            const fractionStart = ++k;
            while (k < to) {
              const d = (buf[k] as number) - ZERO;
              if (d >>> 0 > 9) break;
              mantissa = mantissa * 10 + d;
              k++;
            }
            fraction = k - fractionStart;
            plain = fraction > 0;
          }
          if (plain && k < to) {
            const c = buf[k] as number;
            const crlf = c === CR && k + 1 < to && buf[k + 1] === LF;
            if (c === COMMA || c === LF || crlf) {
              // Longer mantissas are left to NumberParser (still flagged plain, so copied verbatim).
              if (mantissa < MAX_EXACT && fraction <= 22) {
                const magnitude = mantissa / (POW10[fraction] as number);
                values[n] = buf[i] === MINUS ? -magnitude : magnitude;
                flags[n] = FIELD_PARSED | FIELD_PLAIN;
              } else flags[n] = FIELD_PLAIN;
              ends[n] = k;
              n++;
              if (c === COMMA) {
                i = k + 1;
                continue;
              }
              i = crlf ? k + 2 : k + 1;
              break;
            }
          }
        }
        if (i < to && buf[i] === QUOTE) {
          const quoteAt = i;
          const quoteLines = lines;
          let fieldFlags = FIELD_QUOTED;
          this.quoted++;
          i++;
          starts[n] = i;
          for (;;) {
            if (i >= to) {
              const open = { at: quoteAt, lines: quoteLines, field: n };
              if (final) throw this.unterminated(open, base, true);
              return this.incomplete(recordStart, to, base, open);
            }
            const c = buf[i] as number;
            if (c === QUOTE) {
              if (i + 1 < to) {
                if (buf[i + 1] !== QUOTE) break;
                fieldFlags |= FIELD_ESCAPED;
                i += 2;
                continue;
              }
              if (final) break;
              // Cannot tell a closing quote from the first half of `""` yet.
              return this.incomplete(recordStart, to, base, { at: quoteAt, lines: quoteLines, field: n });
            }
            if (c < 0x80) {
              if (c === LF) lines++;
              else if (c === 0) throw this.binary(base + i, lines, n);
              i++;
            } else {
              const length = utf8SequenceLength(buf, i, to);
              if (length > 0) i += length;
              else if (length === 0 && !final) {
                return this.incomplete(recordStart, to, base, { at: quoteAt, lines: quoteLines, field: n });
              } else throw this.invalidUtf8(base + i, lines, n);
            }
          }
          ends[n] = i;
          flags[n] = fieldFlags;
          i++;
        } else {
          flags[n] = 0;
          while (i < to) {
            const c = buf[i] as number;
            // Every delimiter, quote, line end and NUL is <= ',' and every digit is above it.
            if (c > COMMA) {
              if (c < 0x80) {
                i++;
                continue;
              }
              const length = utf8SequenceLength(buf, i, to);
              if (length > 0) {
                i += length;
                continue;
              }
              if (length === 0 && !final) return this.incomplete(recordStart, to, base, null);
              throw this.invalidUtf8(base + i, lines, n);
            }
            if (c === COMMA || c === LF) break;
            if (c === CR) {
              if (i + 1 < to) {
                if (buf[i + 1] === LF) break;
              } else if (final) break;
              else return this.incomplete(recordStart, to, base, null);
            } else if (c === 0) throw this.binary(base + i, lines, n);
            // A lone CR or a quote inside an unquoted field is kept as content.
            i++;
          }
          ends[n] = i;
        }
        n++;
        if (i >= to) {
          if (!final) return this.incomplete(recordStart, to, base, null);
          break;
        }
        const c = buf[i] as number;
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF) {
          i++;
          break;
        }
        if (c === CR) {
          if (i + 1 >= to) {
            if (!final) return this.incomplete(recordStart, to, base, null);
            i++;
            break;
          }
          if (buf[i + 1] === LF) {
            i += 2;
            break;
          }
        }
        throw this.malformed(base + i, lines, n - 1);
      }
      if (i - recordStart > max) throw this.tooLong(base + recordStart);
      record.bytes = buf;
      record.count = n;
      record.index = this.recordIndex++;
      record.line = this.line;
      record.offset = base + recordStart;
      record.byteLength = i - recordStart;
      record.blank = n === 1 && flags[0] === 0 && ends[0] === recordStart;
      this.line += lines + 1;
      this.visitor.onRecord(record);
      if (this.halted) return i;
      // The header's callback may have just declared the numeric columns.
      numeric = this.numeric;
      numericWidth = numeric.length;
    }
    return i;
  }

  /** Keeps the partial record for the next chunk unless it already exceeds the record size limit. */
  private incomplete(recordStart: number, to: number, base: number, open: OpenQuote | null): number {
    if (to - recordStart <= this.maxRecordBytes) return recordStart;
    if (open !== null) throw this.unterminated(open, base, false);
    throw this.tooLong(base + recordStart);
  }

  private tooLong(offset: number): CsvSyntaxError {
    const what = `the record is longer than the limit of ${this.maxRecordBytes} bytes (expected shorter lines)`;
    return this.error('line-too-long', 0, offset, 0, what);
  }

  private unterminated(open: OpenQuote, base: number, atEnd: boolean): CsvSyntaxError {
    const where = atEnd
      ? 'before the end of the file'
      : `within the record limit of ${this.maxRecordBytes} bytes`;
    return this.error(
      'unterminated-quote',
      open.lines,
      base + open.at,
      open.field,
      `field ${open.field + 1}: the quote opened here (byte ${base + open.at}) is not closed ${where} ` +
        '(expected a closing ")',
    );
  }

  private error(
    kind: CsvSyntaxKind,
    lines: number,
    offset: number,
    field: number,
    what: string,
  ): CsvSyntaxError {
    const row = this.recordIndex === 0 ? 'header' : `row ${this.recordIndex}`;
    const line = this.line + lines;
    return new CsvSyntaxError(kind, `${row} (line ${line}): ${what}`, this.recordIndex, line, offset, field);
  }

  private binary(at: number, lines: number, field: number): CsvSyntaxError {
    return this.error(
      'binary-content',
      lines,
      at,
      field,
      `field ${field + 1}: NUL byte at byte ${at} (binary content; expected UTF-8 text)`,
    );
  }

  private invalidUtf8(at: number, lines: number, field: number): CsvSyntaxError {
    return this.error(
      'invalid-utf8',
      lines,
      at,
      field,
      `field ${field + 1}: invalid UTF-8 at byte ${at} (expected UTF-8 text)`,
    );
  }

  private malformed(at: number, lines: number, field: number): CsvSyntaxError {
    return this.error(
      'malformed-quote',
      lines,
      at,
      field,
      `field ${field + 1}: unexpected character after a closing quote at byte ${at} ` +
        '(expected a comma or a line end; write a quote inside a quoted field as "")',
    );
  }
}

/** Where a still-open quoted field started (for error messages). */
interface OpenQuote {
  /** Index of the opening quote in the scanned buffer. */
  readonly at: number;
  /** Line ends seen in the record before it. */
  readonly lines: number;
  readonly field: number;
}

function isBomPrefix(buf: Uint8Array, from: number, to: number): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  for (let i = from; i < to; i++) if (buf[i] !== bom[i - from]) return false;
  return true;
}

/**
 * Length of the well-formed UTF-8 sequence at buf[i] (a byte >= 0x80), per the Unicode standard's
 * table 3-7 (no overlongs, no surrogates, nothing above U+10FFFF) — the same bytes TextDecoder's fatal
 * mode rejects. Returns 0 if `to` cuts a possibly valid sequence, -1 if it is invalid.
 */
export function utf8SequenceLength(buf: Uint8Array, i: number, to: number): number {
  const lead = buf[i] as number;
  let need: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) need = 1;
  else if (lead >= 0xe0 && lead <= 0xef) {
    need = 2;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    need = 3;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return -1;
  for (let k = 1; k <= need; k++) {
    if (i + k >= to) return 0;
    const next = buf[i + k] as number;
    if (next < low || next > high) return -1;
    low = 0x80;
    high = 0xbf;
  }
  return need + 1;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a field's text (unescaping `""`). Short ASCII avoids TextDecoder's per-call overhead. */
export function decodeField(buf: Uint8Array, start: number, end: number, flags: number): string {
  let text: string;
  if (end - start === 1 && (buf[start] as number) < 0x80) text = String.fromCharCode(buf[start] as number);
  else if (end - start <= 24 && isAscii(buf, start, end)) {
    text = '';
    for (let k = start; k < end; k++) text += String.fromCharCode(buf[k] as number);
  } else text = textDecoder.decode(buf.subarray(start, end));
  return (flags & FIELD_ESCAPED) !== 0 ? text.replaceAll('""', '"') : text;
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if ((buf[k] as number) >= 0x80) return false;
  return true;
}
