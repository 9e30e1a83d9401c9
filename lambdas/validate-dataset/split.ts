/**
 * Pass 2: encodes every row in the SageMaker built-in XGBoost CSV format (no header, label first, then the
 * features in contract order; classes and categories as integer codes; nulls as empty fields) and deals
 * it to the train or validation split.
 *
 * The split is stratified and exact: pass 1 counted the rows of every class, so each class sends exactly
 * round(n * fraction) rows (at least 1, at most n - 1) to validation. Rows are picked by selection
 * sampling (Knuth's Algorithm S): row i of a class goes to validation with probability
 * (picks still needed) / (rows still to come), which yields a uniformly random subset of exactly that size
 * in one streaming pass, deterministic for a given seed and input.
 *
 * Two writers produce identical bytes: {@link SplitWriter} handles any CSV through the scanner;
 * {@link LineSplitWriter} is a fast path for the common shape pass 1 can vouch for (numeric features in
 * file order written as plain decimals, the label first or last, no quoted fields), which only needs to
 * find line ends and the label's comma.
 */

import { SeededRandom } from '../shared/random';
import {
  type CsvRecord,
  type CsvRecordVisitor,
  CsvScanner,
  FIELD_ESCAPED,
  FIELD_PARSED,
  FIELD_PLAIN,
} from './csv-scanner';
import { NUMBER_OK, NumberParser } from './numbers';
import type { BinCounter } from './statistics';
import type { ValueIndex } from './value-index';

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
// Local copies: imported bindings are property reads in the CommonJS output, and these are read per field.
const PARSED = FIELD_PARSED;
const PLAIN = FIELD_PLAIN;
const ESCAPED = FIELD_ESCAPED;

/** How many rows of each stratum (class code; one stratum for regression) go to validation. */
export interface SplitPlan {
  readonly rows: readonly number[];
  readonly validation: readonly number[];
}

/** Rows per split, overall and per stratum. */
export interface SplitSummary {
  readonly trainRows: number;
  readonly validationRows: number;
  readonly validationFraction: number;
  readonly seed: number;
  /** Classification: validation rows per class code. */
  readonly validationPerClass?: readonly number[];
  readonly trainBytes: number;
  readonly validationBytes: number;
}

/** Exact stratum sizes: round(n * fraction), kept within [1, n - 1] so both splits get every class. */
export function planSplit(rowsPerStratum: readonly number[], fraction: number): SplitPlan {
  const validation = rowsPerStratum.map((n) =>
    n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction))),
  );
  return { rows: rowsPerStratum, validation };
}

/** Raised when the input read in pass 2 differs from pass 1 (the object changed between reads). */
export class DatasetChangedError extends Error {
  override readonly name = 'DatasetChangedError';
}

/** A buffer of encoded rows cut into chunks for a sink; full chunks wait until taken. */
export class ChunkedOutput {
  buffer: Uint8Array;
  position = 0;
  rows = 0;
  private flushed = 0;
  private ready: Uint8Array[] = [];

  constructor(private readonly chunkBytes: number) {
    this.buffer = new Uint8Array(chunkBytes);
  }

  /** Total bytes written so far. */
  get bytes(): number {
    return this.flushed + this.position;
  }

  /** Makes room for `n` more bytes, cutting the current chunk if needed. */
  ensure(n: number): void {
    if (this.position + n > this.buffer.length) this.cut(Math.max(this.chunkBytes, n));
  }

  /** Full chunks (and, with `all`, the partial one), oldest first; they are no longer referenced here. */
  take(all = false): Uint8Array[] {
    if (all && this.position > 0) this.cut(this.chunkBytes);
    const chunks = this.ready;
    this.ready = [];
    return chunks;
  }

  private cut(nextSize: number): void {
    // Chunks handed to a sink are never reused: a Writable may hold them until written.
    if (this.position > 0) this.ready.push(this.buffer.subarray(0, this.position));
    this.flushed += this.position;
    this.buffer = new Uint8Array(nextSize);
    this.position = 0;
  }
}

/** One output column after the label. */
export interface OutputFeature {
  readonly fileIndex: number;
  readonly type: 'numeric' | 'categorical';
  /** Categorical: the categories in encoding order (code = index). */
  readonly codes?: ValueIndex;
  /** Numeric: every value is plain decimal text (pass 1 saw it), so it is copied byte for byte. */
  readonly verbatim?: boolean;
  /** Numeric: the bins pass 2 must count (when pass 1 could not). */
  readonly bins?: BinCounter;
}

/** What pass 2 writes, and how. */
export interface SplitLayout {
  /** Number of fields per record (header width). */
  readonly width: number;
  readonly labelIndex: number;
  /** Classification: the classes in encoding order (code = index). */
  readonly classes?: ValueIndex;
  /** Regression: the label is plain decimal text on every row. */
  readonly labelVerbatim?: boolean;
  /** Regression: the label's bins, when pass 2 must count them. */
  readonly labelBins?: BinCounter;
  /** Features in contract order. */
  readonly features: readonly OutputFeature[];
}

/** The split decision and the two outputs, shared by both writers. */
export abstract class Splitter {
  readonly train: ChunkedOutput;
  readonly validation: ChunkedOutput;
  protected rows = 0;
  private readonly remainingRows: number[];
  private readonly remainingValidation: number[];
  private readonly random: SeededRandom;

  constructor(
    protected readonly layout: SplitLayout,
    private readonly plan: SplitPlan,
    seed: number,
    chunkBytes: number,
  ) {
    this.train = new ChunkedOutput(chunkBytes);
    this.validation = new ChunkedOutput(chunkBytes);
    this.remainingRows = [...plan.rows];
    this.remainingValidation = [...plan.validation];
    this.random = new SeededRandom(seed, 0);
  }

  /** Writes the complete records of a chunk. */
  abstract push(chunk: Uint8Array): void;

  /** Writes the last record (one without a line end). */
  abstract end(): void;

  /** Checks that pass 2 saw exactly what pass 1 counted. */
  finish(expectedRows: number): void {
    const leftover = this.remainingRows.some((n) => n !== 0);
    if (this.rows !== expectedRows || leftover) {
      throw new DatasetChangedError(`pass 2 read ${this.rows} rows, pass 1 counted ${expectedRows}`);
    }
  }

  /** Summary for the result. */
  summary(fraction: number, seed: number, perClass: boolean): SplitSummary {
    return {
      trainRows: this.train.rows,
      validationRows: this.validation.rows,
      validationFraction: fraction,
      seed,
      ...(perClass ? { validationPerClass: this.plan.validation } : {}),
      trainBytes: this.train.bytes,
      validationBytes: this.validation.bytes,
    };
  }

  /** Deals the next row of `stratum` to a split (see the module comment) and counts it there. */
  protected chooseSplit(stratum: number): ChunkedOutput {
    this.rows++;
    const remaining = this.remainingRows[stratum];
    if (stratum < 0 || remaining === undefined || remaining === 0) {
      throw new DatasetChangedError(`row ${this.rows} does not match the classes counted in pass 1`);
    }
    const wanted = this.remainingValidation[stratum] as number;
    this.remainingRows[stratum] = remaining - 1;
    const out = this.random.next() * remaining < wanted ? this.validation : this.train;
    if (out === this.validation) this.remainingValidation[stratum] = wanted - 1;
    out.rows++;
    return out;
  }
}

/** Writes a small integer (a class or category code) as decimal text. */
function writeInteger(out: ChunkedOutput, code: number): void {
  if (code < 10) {
    out.buffer[out.position++] = ZERO + code;
    return;
  }
  const text = String(code);
  for (let k = 0; k < text.length; k++) out.buffer[out.position++] = text.charCodeAt(k);
}

/** Output features [first, last] whose file columns are [fileFirst, fileLast], in the same order. */
interface FeatureRun {
  readonly first: number;
  readonly last: number;
  readonly fileFirst: number;
  readonly fileLast: number;
  /** Every feature of the run is copied verbatim, so the run is one byte range, commas included. */
  readonly verbatim: boolean;
}

/** Splits the features into maximal runs of verbatim columns adjacent in the file; others stand alone. */
function featureRuns(features: readonly OutputFeature[]): FeatureRun[] {
  const runs: FeatureRun[] = [];
  features.forEach((feature, f) => {
    const previous = runs[runs.length - 1];
    const verbatim = feature.verbatim === true && feature.bins === undefined;
    if (previous?.verbatim && verbatim && feature.fileIndex === previous.fileLast + 1) {
      runs[runs.length - 1] = { ...previous, last: f, fileLast: feature.fileIndex };
    } else
      runs.push({ first: f, last: f, fileFirst: feature.fileIndex, fileLast: feature.fileIndex, verbatim });
  });
  return runs;
}

/** The general pass-2 writer: scans the CSV again and writes each record. */
export class SplitWriter extends Splitter implements CsvRecordVisitor {
  private readonly parser = new NumberParser();
  private readonly runs: FeatureRun[];
  private readonly scanner: CsvScanner;

  constructor(
    layout: SplitLayout,
    plan: SplitPlan,
    seed: number,
    chunkBytes: number,
    maxRecordBytes: number,
  ) {
    super(layout, plan, seed, chunkBytes);
    this.runs = featureRuns(layout.features);
    this.scanner = new CsvScanner(this, { maxRecordBytes });
  }

  /** Writes the complete records of a chunk. */
  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  /** Writes the last record. */
  end(): void {
    this.scanner.finish();
  }

  onRecord(record: CsvRecord): void {
    if (record.index === 0) {
      this.scanner.setNumericColumns(this.numericMask());
      return;
    }
    if (record.blank) return;
    const layout = this.layout;
    if (record.count !== layout.width)
      throw new DatasetChangedError(`row ${record.index} changed between reads`);
    const bytes = record.bytes;
    const starts = record.starts;
    const ends = record.ends;
    const flags = record.flags;
    const label = layout.labelIndex;
    const classes = layout.classes;
    const stratum =
      classes === undefined
        ? 0
        : classes.find(bytes, starts[label] as number, ends[label] as number, flags[label] as number);
    const out = this.chooseSplit(stratum);
    out.ensure(record.byteLength + 32 * (layout.features.length + 2));
    if (classes !== undefined) writeInteger(out, stratum);
    else this.writeNumber(out, record, label, layout.labelVerbatim === true, layout.labelBins);
    const features = layout.features;
    const runs = this.runs;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r] as FeatureRun;
      if (run.verbatim) {
        // Adjacent plain-decimal columns: one copy, the commas between them included.
        const start = starts[run.fileFirst] as number;
        const end = ends[run.fileLast] as number;
        out.buffer[out.position++] = COMMA;
        out.buffer.set(bytes.subarray(start, end), out.position);
        out.position += end - start;
        continue;
      }
      const feature = features[run.first] as OutputFeature;
      out.buffer[out.position++] = COMMA;
      const j = feature.fileIndex;
      if (starts[j] === ends[j]) continue;
      if (feature.type === 'numeric')
        this.writeNumber(out, record, j, feature.verbatim === true, feature.bins);
      else {
        const code = (feature.codes as ValueIndex).find(
          bytes,
          starts[j] as number,
          ends[j] as number,
          flags[j] as number,
        );
        if (code < 0) throw new DatasetChangedError(`row ${record.index} has a category pass 1 did not see`);
        writeInteger(out, code);
      }
    }
    out.buffer[out.position++] = LF;
  }

  /** Copies plain decimal text; re-formats anything else (exponents, padding, quotes); counts bins. */
  private writeNumber(
    out: ChunkedOutput,
    record: CsvRecord,
    j: number,
    verbatim: boolean,
    bins: BinCounter | undefined,
  ): void {
    const start = record.starts[j] as number;
    const end = record.ends[j] as number;
    const buffer = out.buffer;
    if (bins === undefined && verbatim) {
      const bytes = record.bytes;
      for (let k = start; k < end; k++) buffer[out.position++] = bytes[k] as number;
      return;
    }
    let value: number;
    const flags = record.flags[j] as number;
    let plain = (flags & PLAIN) !== 0;
    if ((flags & PARSED) !== 0) value = record.values[j] as number;
    else {
      value = this.parser.parse(record.bytes, start, end);
      if (this.parser.status !== NUMBER_OK)
        throw new DatasetChangedError(`row ${record.index} changed between reads`);
      plain = plain || (this.parser.plain && (flags & ESCAPED) === 0);
    }
    bins?.add(value);
    if (plain) {
      const bytes = record.bytes;
      for (let k = start; k < end; k++) buffer[out.position++] = bytes[k] as number;
    } else {
      const text = String(value);
      for (let k = 0; k < text.length; k++) buffer[out.position++] = text.charCodeAt(k);
    }
  }

  /** Columns whose values pass 2 reads: those not copied verbatim and those with bins to count. */
  private numericMask(): boolean[] {
    const mask = new Array<boolean>(this.layout.width).fill(false);
    for (const feature of this.layout.features) {
      if (feature.type === 'numeric' && (!feature.verbatim || feature.bins !== undefined)) {
        mask[feature.fileIndex] = true;
      }
    }
    const { labelIndex, classes, labelVerbatim, labelBins } = this.layout;
    if (classes === undefined && (!labelVerbatim || labelBins !== undefined)) mask[labelIndex] = true;
    return mask;
  }
}

/**
 * Whether {@link LineSplitWriter} can write this layout: every feature numeric, verbatim and without
 * pass-2 bins, in file order, the label the first or last column (a regression label verbatim too, and
 * without bins). Quoted fields must also be absent from the data rows (pass 1 knows).
 */
export function lineLayoutFits(layout: SplitLayout): boolean {
  const { features, labelIndex, width } = layout;
  if (labelIndex !== 0 && labelIndex !== width - 1) return false;
  if (features.length === 0 || features.length !== width - 1) return false;
  const firstFeature = labelIndex === 0 ? 1 : 0;
  const featuresFit = features.every(
    (feature, f) =>
      feature.fileIndex === firstFeature + f && feature.verbatim === true && feature.bins === undefined,
  );
  const labelFits =
    layout.classes !== undefined || (layout.labelVerbatim === true && layout.labelBins === undefined);
  return featuresFit && labelFits;
}

/**
 * The pass-2 fast path (see {@link lineLayoutFits}): with no quoted fields, every line is one record, so a
 * record is found with a native search for the line end and the label with one for its comma; the
 * features are copied as one byte range. Starts at `dataOffset`, the first byte after the header.
 */
export class LineSplitWriter extends Splitter {
  private offset = 0;
  private carry = new Uint8Array(64 * 1024);
  private carryLength = 0;
  private readonly labelFirst: boolean;

  constructor(
    layout: SplitLayout,
    plan: SplitPlan,
    seed: number,
    chunkBytes: number,
    private readonly dataOffset: number,
  ) {
    super(layout, plan, seed, chunkBytes);
    this.labelFirst = layout.labelIndex === 0;
  }

  /** Writes the complete lines of a chunk; a partial last line waits for the next chunk. */
  push(input: Uint8Array): void {
    const chunk =
      input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.length);
    let from = Math.max(0, Math.min(chunk.length, this.dataOffset - this.offset));
    this.offset += chunk.length;
    // Buffer#indexOf is memchr, several times faster than Uint8Array#indexOf for a line of ~200 bytes.
    const search = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.carryLength > 0) {
      const lf = search.indexOf(LF, from);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.appendCarry(chunk, from, end);
      from = end;
      if (lf < 0) return;
      this.writeLine(this.carry, 0, this.carryLength - 1);
      this.carryLength = 0;
    }
    for (;;) {
      const lf = search.indexOf(LF, from);
      if (lf < 0) break;
      this.writeLine(chunk, from, lf);
      from = lf + 1;
    }
    if (from < chunk.length) this.appendCarry(chunk, from, chunk.length);
  }

  /** Writes a last line without a line end. */
  end(): void {
    if (this.carryLength > 0) this.writeLine(this.carry, 0, this.carryLength);
    this.carryLength = 0;
  }

  /** Writes the line bytes[start, end) (line end excluded). */
  private writeLine(bytes: Uint8Array, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end === start) return;
    let labelStart: number;
    let labelEnd: number;
    let featuresStart: number;
    let featuresEnd: number;
    if (this.labelFirst) {
      const comma = bytes.indexOf(COMMA, start);
      labelStart = start;
      labelEnd = comma;
      featuresStart = comma + 1;
      featuresEnd = end;
    } else {
      const comma = bytes.lastIndexOf(COMMA, end - 1);
      labelStart = comma + 1;
      labelEnd = end;
      featuresStart = start;
      featuresEnd = comma;
    }
    if (labelEnd < start || featuresEnd < featuresStart)
      throw new DatasetChangedError('a line changed between reads');
    const classes = this.layout.classes;
    const stratum = classes === undefined ? 0 : classes.find(bytes, labelStart, labelEnd, 0);
    const out = this.chooseSplit(stratum);
    out.ensure(end - start + 16);
    const buffer = out.buffer;
    if (classes !== undefined) writeInteger(out, stratum);
    else {
      for (let k = labelStart; k < labelEnd; k++) buffer[out.position++] = bytes[k] as number;
    }
    buffer[out.position++] = COMMA;
    buffer.set(bytes.subarray(featuresStart, featuresEnd), out.position);
    out.position += featuresEnd - featuresStart;
    buffer[out.position++] = LF;
  }

  private appendCarry(chunk: Uint8Array, from: number, to: number): void {
    const length = to - from;
    if (this.carryLength + length > this.carry.length) {
      const grown = new Uint8Array(Math.max(this.carry.length * 2, this.carryLength + length));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(from, to), this.carryLength);
    this.carryLength += length;
  }
}
