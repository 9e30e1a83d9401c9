/**
 * Parses decimal numbers straight from UTF-8 bytes, without making a string per value (the validator reads
 * ~100 million numeric fields per GB). Hand-written because no library parses from byte ranges; it uses the
 * exact "Clinger fast path" (an integer mantissa below 2^53 times or divided by an exact power of ten up to
 * 10^22 is one correctly rounded IEEE operation) and falls back to `Number()` on the text otherwise, so
 * results are bit-identical to `Number()`. Typed-array reads are cast: the loops bound the indexes.
 */

/** The field is a finite number. */
export const NUMBER_OK = 0;
/** The field spells NaN or an infinity, or overflows to one (`1e999`). */
export const NUMBER_NON_FINITE = 1;
/** The field is not a number. */
export const NUMBER_INVALID = 2;

const SPACE = 0x20;
const TAB = 0x09;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const MAX_EXACT = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Accepted syntax, with optional spaces or tabs around it: `[+-]? (digits [. digits?] | . digits)
 * ([eE] [+-]? digits)?`. Not accepted: hex, digit separators, empty or blank text.
 * The outcome of the last call is in `status`; `plain` says whether the text can be copied verbatim into
 * the training CSV (`-?digits(.digits)?` with no padding).
 */
export class NumberParser {
  status = NUMBER_OK;
  plain = true;
  private view: Buffer = Buffer.alloc(0);
  private viewOf: Uint8Array | undefined;

  /** Parses buf[start, end); read `status` before using the value. */
  parse(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    let e = end;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    while (e > i && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
    const first = i;
    let plain = i === start && e === end;
    let negative = false;
    let c = buf[i];
    if (c === MINUS || c === PLUS) {
      negative = c === MINUS;
      plain = plain && negative;
      i++;
    }
    let mantissa = 0;
    let exact = true;
    let intDigits = 0;
    while (i < e) {
      const d = (buf[i] as number) - ZERO;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      intDigits++;
      i++;
    }
    let fracDigits = 0;
    if (i < e && buf[i] === DOT) {
      i++;
      while (i < e) {
        const d = (buf[i] as number) - ZERO;
        if (d < 0 || d > 9) break;
        mantissa = mantissa * 10 + d;
        fracDigits++;
        i++;
      }
      plain = plain && fracDigits > 0;
    }
    if (intDigits + fracDigits === 0) return this.special(buf, i, e);
    plain = plain && intDigits > 0;
    if (mantissa >= MAX_EXACT) exact = false;
    let exponent = 0;
    if (i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
      plain = false;
      i++;
      let expNegative = false;
      c = buf[i];
      if (c === MINUS || c === PLUS) {
        expNegative = c === MINUS;
        i++;
      }
      const expStart = i;
      while (i < e) {
        const d = (buf[i] as number) - ZERO;
        if (d < 0 || d > 9) break;
        if (exponent < 100_000) exponent = exponent * 10 + d;
        i++;
      }
      if (i === expStart) return this.invalid();
      if (expNegative) exponent = -exponent;
    }
    if (i !== e) return this.invalid();
    this.plain = plain;
    const scale = exponent - fracDigits;
    let value: number;
    if (exact && scale >= -22 && scale <= 22) {
      value = scale < 0 ? mantissa / (POW10[-scale] as number) : mantissa * (POW10[scale] as number);
      if (negative) value = -value;
    } else {
      value = Number(this.text(buf, first, e));
    }
    this.status = Number.isFinite(value) ? NUMBER_OK : NUMBER_NON_FINITE;
    return value;
  }

  /** ASCII text of buf[start, end) (the syntax was checked), through a Buffer view kept per buffer. */
  private text(buf: Uint8Array, start: number, end: number): string {
    if (this.viewOf !== buf) {
      this.view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
      this.viewOf = buf;
    }
    return this.view.toString('latin1', start, end);
  }

  private invalid(): number {
    this.status = NUMBER_INVALID;
    this.plain = false;
    return Number.NaN;
  }

  /** No digits: NaN and the infinities (any case) are "non-finite", anything else is not a number. */
  private special(buf: Uint8Array, i: number, e: number): number {
    if (e - i > 8) return this.invalid();
    const word = latin1(buf, i, e).toLowerCase();
    if (word === 'nan' || word === 'inf' || word === 'infinity') {
      this.status = NUMBER_NON_FINITE;
      this.plain = false;
      return Number.NaN;
    }
    return this.invalid();
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let k = start; k < end; k++) text += String.fromCharCode(buf[k] as number);
  return text;
}
