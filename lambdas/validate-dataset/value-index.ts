import { decodeField, FIELD_ESCAPED } from './csv-scanner';

/** Up to this many values are matched by comparing bytes; beyond, by decoded string in a Map. */
const LINEAR_LIMIT = 16;

/**
 * Numbers the distinct values of a column (labels, categories) in order of first appearance, looking
 * field bytes up without building a string when the set is small (a label column has a handful of values
 * and is read on every row of both passes).
 */
export class ValueIndex {
  readonly values: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly byText = new Map<string, number>();
  private readonly encoder = new TextEncoder();

  get size(): number {
    return this.values.length;
  }

  /** Index of the value in buf[start, end), or -1. */
  find(buf: Uint8Array, start: number, end: number, flags: number): number {
    if (this.values.length > LINEAR_LIMIT || (flags & FIELD_ESCAPED) !== 0) {
      return this.byText.get(decodeField(buf, start, end, flags)) ?? -1;
    }
    const length = end - start;
    const known = this.bytes;
    outer: for (let v = 0; v < known.length; v++) {
      const candidate = known[v] as Uint8Array;
      if (candidate.length !== length) continue;
      for (let k = 0; k < length; k++) if (candidate[k] !== buf[start + k]) continue outer;
      return v;
    }
    return -1;
  }

  /** Index of a value given as text, or -1. */
  indexOf(value: string): number {
    return this.byText.get(value) ?? -1;
  }

  /** Adds a value (if new) and returns its index. */
  add(value: string): number {
    const existing = this.byText.get(value);
    if (existing !== undefined) return existing;
    const index = this.values.length;
    this.values.push(value);
    this.bytes.push(this.encoder.encode(value));
    this.byText.set(value, index);
    return index;
  }

  /** An index holding `values` in this order (index i is values[i]). */
  static of(values: readonly string[]): ValueIndex {
    const index = new ValueIndex();
    for (const value of values) index.add(value);
    return index;
  }
}
