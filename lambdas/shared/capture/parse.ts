/**
 * Reads SageMaker data capture records (JSON Lines) into the rows the model received and the predictions it
 * answered, decoded to the model's terms: numeric features as numbers, categorical ones as their categories
 * (the endpoint receives category codes, encoding.json maps them back).
 *
 * Record shape (SageMaker Developer Guide, "Capture data from real-time endpoint" → "View captured data",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html):
 * `{captureData: {endpointInput, endpointOutput}, eventMetadata: {eventId, inferenceId?, inferenceTime},
 * eventVersion}`, each payload `{observedContentType, mode, data, encoding: CSV | JSON | BASE64}`.
 *
 * Request payloads (SageMaker Developer Guide, "Common data formats for inference",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html):
 * - text/csv: one row per line, values comma-separated in training order (quoted fields allowed);
 * - application/json: `{"instances": [row, …]}`, a list of rows, or a single row, where a row is a list of
 *   values, `{"features": [...]}`, `{"data": {"features": {"values": [...]}}}` or an object keyed by
 *   feature name;
 * - application/jsonlines: one row per line.
 * Answers: numbers (text/csv, one row's numbers per line or all in a row), or JSON (`{"predictions": [...]}`
 * or a list; per row a number, a list, or an object with `score`/`scores`/`probabilities`).
 *
 * Nothing here throws on input: what cannot be read is counted in {@link CaptureProblems} with where it was,
 * and the rest of the record, file and window is still read.
 */
import { readLines } from './lines';
import { type CaptureLocation, CaptureProblems } from './problems';
import type { CaptureSchema } from './schema';

/**
 * The InferenceId the stack's own invocations carry (the prediction baseline made at deployment), so checks
 * skip their capture records: they are not traffic.
 */
export const INTERNAL_INFERENCE_ID_PREFIX = 'mlops-internal-';

/** A feature value in the model's terms: a number, a category, or null (missing). */
export type CaptureValue = number | string | null;

/** One capture record, read. */
export interface CaptureRecord {
  readonly eventId: string | undefined;
  readonly inferenceId: string | undefined;
  readonly inferenceTime: string | undefined;
  /**
   * One entry per row of the request, in order: the row's values in training order, or null where the row
   * could not be read (counted as a problem).
   */
  readonly rows: readonly (readonly CaptureValue[] | null)[];
  /** One prediction per request row, aligned with `rows`; undefined when the output is missing or unreadable. */
  readonly predictions: readonly (readonly number[])[] | undefined;
}

export interface CaptureParserOptions {
  /**
   * Longest record (line) read, in bytes; longer ones are counted as oversized and skipped. Real-time
   * InvokeEndpoint takes payloads up to 6 MB (AWS re:Post, "ModelError … client error (413)"), 8 MB in base64,
   * and a record holds the input and the output.
   * @default 32 MiB
   */
  readonly maxRecordBytes?: number;
  /** Examples of problems kept. @default 20 */
  readonly maxExamples?: number;
}

/** Totals of what a parser read. */
export interface CaptureCounts {
  readonly files: number;
  readonly bytes: number;
  readonly records: number;
  /** Request rows seen, readable or not. */
  readonly requestRows: number;
  /** Rows read (their values are usable). */
  readonly rows: number;
  /** Predictions read (aligned with their request rows). */
  readonly predictions: number;
}

const DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024;

type PayloadKind = 'csv' | 'json' | 'jsonlines';

interface Payload {
  readonly observedContentType?: unknown;
  readonly data?: unknown;
  readonly encoding?: unknown;
}

const JSONLINES_TYPES = new Set(['application/jsonlines', 'application/x-jsonlines', 'application/jsonl']);

/**
 * Reads capture records for one model version. Keeps counts across every record and file it reads; make one
 * per window.
 */
export class CaptureParser {
  readonly problems: CaptureProblems;
  private readonly maxRecordBytes: number;
  private readonly width: number;
  /** Per categorical feature: its categories by name, to accept names where codes are expected (JSON). */
  private readonly categoryNames: (Set<string> | undefined)[];
  private counted = { files: 0, bytes: 0, records: 0, requestRows: 0, rows: 0, predictions: 0 };

  constructor(
    readonly schema: CaptureSchema,
    options: CaptureParserOptions = {},
  ) {
    this.problems = new CaptureProblems(options.maxExamples ?? 20);
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.width = schema.features.length;
    this.categoryNames = schema.features.map((f) =>
      f.type === 'categorical' ? new Set(f.categories ?? []) : undefined,
    );
  }

  /** What was read so far. */
  get counts(): CaptureCounts {
    return { ...this.counted };
  }

  /**
   * Reads one capture file (JSON Lines) as a stream, calling `onRecord` for each readable record in order.
   * A stream that fails midway is counted as an unreadable file; the records before it were passed on.
   *
   * @param body - the file's bytes, e.g. GetObject's Body
   * @param file - the file's name (its S3 key) for problem reports
   */
  async parseStream(
    body: AsyncIterable<Uint8Array>,
    file: string,
    onRecord: (record: CaptureRecord) => void,
  ): Promise<void> {
    this.counted.files++;
    const counted = this.counted;
    const counting: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of body) {
          counted.bytes += chunk.byteLength;
          yield chunk;
        }
      },
    };
    try {
      await readLines(counting, this.maxRecordBytes, {
        line: (text, line) => {
          const record = this.parseLine(text, { file, line });
          if (record !== undefined) onRecord(record);
        },
        oversized: (bytes, line) =>
          this.problems.add(
            'oversized-record',
            `a record of ${bytes} bytes, over the ${this.maxRecordBytes}-byte limit, skipped`,
            { file, line },
          ),
      });
    } catch (error) {
      this.problems.add('unreadable-file', `reading stopped: ${(error as Error).message}`, { file });
    }
  }

  /** Reads one capture record (one JSON line); undefined when it is not a record (counted). */
  parseLine(text: string, where: CaptureLocation = {}): CaptureRecord | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      this.problems.add('malformed-record', `not JSON: ${(error as Error).message}`, where);
      return undefined;
    }
    const captureData = isObject(parsed) ? parsed.captureData : undefined;
    if (!isObject(parsed) || !isObject(captureData)) {
      this.problems.add('malformed-record', 'not a capture record (no captureData object)', where);
      return undefined;
    }
    this.counted.records++;
    const metadata = isObject(parsed.eventMetadata) ? parsed.eventMetadata : {};
    let rows: (CaptureValue[] | null)[] = [];
    if (isObject(captureData.endpointInput)) rows = this.readInput(captureData.endpointInput, where);
    else this.problems.add('missing-input', 'the record has no endpointInput', where);
    const predictions =
      rows.length === 0 ? undefined : this.readOutput(captureData.endpointOutput, rows.length, where);
    this.counted.requestRows += rows.length;
    for (const row of rows) if (row !== null) this.counted.rows++;
    if (predictions !== undefined) this.counted.predictions += predictions.length;
    return {
      eventId: typeof metadata.eventId === 'string' ? metadata.eventId : undefined,
      inferenceId: typeof metadata.inferenceId === 'string' ? metadata.inferenceId : undefined,
      inferenceTime: typeof metadata.inferenceTime === 'string' ? metadata.inferenceTime : undefined,
      rows,
      predictions,
    };
  }

  private readInput(payload: Payload, where: CaptureLocation): (CaptureValue[] | null)[] {
    const decoded = decodePayload(payload);
    if (typeof decoded === 'string') {
      this.problems.add('unsupported-content', `endpointInput: ${decoded}`, where);
      return [];
    }
    if (decoded.kind === 'csv') return this.csvRows(decoded.text, where);
    if (decoded.kind === 'jsonlines') {
      const rows: (CaptureValue[] | null)[] = [];
      for (const line of decoded.text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          rows.push(this.jsonRow(JSON.parse(line), where));
        } catch (error) {
          this.problems.add(
            'malformed-payload',
            `a JSON line does not parse: ${(error as Error).message}`,
            where,
          );
          rows.push(null);
        }
      }
      return rows;
    }
    let json: unknown;
    try {
      json = JSON.parse(decoded.text);
    } catch (error) {
      this.problems.add(
        'malformed-payload',
        `the JSON request does not parse: ${(error as Error).message}`,
        where,
      );
      return [];
    }
    const instances = jsonInstances(json);
    if (instances === undefined) {
      this.problems.add('malformed-payload', 'the JSON request holds no rows in a known shape', where);
      return [];
    }
    return instances.map((instance) => this.jsonRow(instance, where));
  }

  private csvRows(text: string, where: CaptureLocation): (CaptureValue[] | null)[] {
    const rows: (CaptureValue[] | null)[] = [];
    let start = 0;
    const length = text.length;
    while (start <= length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = length;
      let stop = end;
      if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
      if (stop > start) {
        const quoted = text.indexOf('"', start);
        rows.push(
          quoted !== -1 && quoted < stop
            ? this.csvRow(splitQuoted(text.slice(start, stop)), where)
            : this.csvSpan(text, start, stop, where),
        );
      }
      start = end + 1;
    }
    return rows;
  }

  /**
   * One unquoted CSV row, text[start, stop), read in place: fields are found with indexOf and plain
   * decimals converted without cutting substrings (see {@link fastDecimal}); anything else goes through
   * the same conversion as a quoted row's cells.
   */
  private csvSpan(text: string, start: number, stop: number, where: CaptureLocation): CaptureValue[] | null {
    const features = this.schema.features;
    const width = this.width;
    const values: CaptureValue[] = new Array(width);
    let at = start;
    for (let i = 0; i < width; i++) {
      if (at > stop) return this.wrongCount(text.slice(start, stop), where);
      let comma = text.indexOf(',', at);
      if (comma === -1 || comma > stop) comma = stop;
      else if (i === width - 1) return this.wrongCount(text.slice(start, stop), where);
      const feature = features[i] as CaptureSchema['features'][number];
      if (comma === at) values[i] = null;
      else if (feature.type === 'numeric') {
        const x = fastDecimal(text, at, comma);
        if (!Number.isNaN(x)) values[i] = x;
        else {
          const value = this.numericCell(text.slice(at, comma), feature.name, where);
          if (value === undefined) return null;
          values[i] = value;
        }
      } else values[i] = this.category(i, text.slice(at, comma), where);
      at = comma + 1;
    }
    return values;
  }

  private wrongCount(line: string, where: CaptureLocation): null {
    const count = line.split(',').length;
    this.problems.add(
      'wrong-column-count',
      `a row of ${count} values; the model takes ${this.width} (${this.schema.features.map((f) => f.name).join(', ')})`,
      where,
    );
    return null;
  }

  /** A numeric cell's value: null when blank, undefined (counted) when it is not a number. */
  private numericCell(cell: string, feature: string, where: CaptureLocation): number | null | undefined {
    const x = +cell;
    if (!Number.isFinite(x)) {
      this.problems.add(
        'not-a-number',
        `${feature}: ${JSON.stringify(cell)} is not a number`,
        where,
        feature,
      );
      return undefined;
    }
    // +' ' is 0: a blank cell is a missing value, as an empty one.
    return x === 0 && cell.trim() === '' ? null : x;
  }

  private csvRow(cells: readonly string[], where: CaptureLocation): CaptureValue[] | null {
    const features = this.schema.features;
    if (cells.length !== this.width) return this.wrongCount(cells.join(','), where);
    const values: CaptureValue[] = new Array(this.width);
    for (let i = 0; i < this.width; i++) {
      const cell = cells[i] as string;
      const feature = features[i] as CaptureSchema['features'][number];
      if (cell === '') {
        values[i] = null;
        continue;
      }
      if (feature.type === 'numeric') {
        const value = this.numericCell(cell, feature.name, where);
        if (value === undefined) return null;
        values[i] = value;
      } else {
        values[i] = this.category(i, cell, where);
      }
    }
    return values;
  }

  /** A categorical value: a code (or, in JSON, a category's name) read as the category; else kept as given. */
  private category(index: number, raw: string | number, where: CaptureLocation): string {
    const feature = this.schema.features[index] as CaptureSchema['features'][number];
    const categories = feature.categories ?? [];
    if (typeof raw === 'string' && this.categoryNames[index]?.has(raw) && !/^\d+$/.test(raw)) return raw;
    const code = typeof raw === 'number' ? raw : +raw;
    const category = Number.isInteger(code) && code >= 0 ? categories[code] : undefined;
    if (category !== undefined) return category;
    const text = String(raw);
    if (this.categoryNames[index]?.has(text)) return text;
    this.problems.add(
      'unknown-category',
      `${feature.name}: ${JSON.stringify(text)} is not the code of a category the model was trained on`,
      where,
      feature.name,
    );
    return text;
  }

  private jsonRow(instance: unknown, where: CaptureLocation): CaptureValue[] | null {
    const positional = jsonPositional(instance);
    const features = this.schema.features;
    if (positional !== undefined) {
      if (positional.length !== this.width) {
        this.problems.add(
          'wrong-column-count',
          `a row of ${positional.length} values; the model takes ${this.width}`,
          where,
        );
        return null;
      }
      const values: CaptureValue[] = new Array(this.width);
      for (let i = 0; i < this.width; i++) {
        const value = this.jsonValue(i, positional[i], where);
        if (value === undefined) return null;
        values[i] = value;
      }
      return values;
    }
    if (isObject(instance)) {
      if (!features.some((f) => Object.hasOwn(instance, f.name))) {
        this.problems.add('wrong-column-count', 'a JSON row names none of the model’s features', where);
        return null;
      }
      const values: CaptureValue[] = new Array(this.width);
      for (let i = 0; i < this.width; i++) {
        const name = (features[i] as CaptureSchema['features'][number]).name;
        const value = this.jsonValue(i, Object.hasOwn(instance, name) ? instance[name] : null, where);
        if (value === undefined) return null;
        values[i] = value;
      }
      return values;
    }
    this.problems.add('malformed-payload', 'a JSON row is neither a list of values nor an object', where);
    return null;
  }

  /** A JSON value for feature `index`; undefined when the row is unusable (counted). */
  private jsonValue(index: number, raw: unknown, where: CaptureLocation): CaptureValue | undefined {
    const feature = this.schema.features[index] as CaptureSchema['features'][number];
    if (raw === null || raw === undefined || raw === '') return null;
    if (feature.type === 'numeric') {
      const x = typeof raw === 'number' ? raw : typeof raw === 'string' ? +raw : Number.NaN;
      if (!Number.isFinite(x) || (typeof raw === 'string' && raw.trim() === '')) {
        this.problems.add(
          'not-a-number',
          `${feature.name}: ${JSON.stringify(raw)} is not a number`,
          where,
          feature.name,
        );
        return undefined;
      }
      return x;
    }
    if (typeof raw === 'string' || typeof raw === 'number') return this.category(index, raw, where);
    this.problems.add(
      'unknown-category',
      `${feature.name}: ${JSON.stringify(raw)} is not a category`,
      where,
      feature.name,
    );
    return JSON.stringify(raw);
  }

  private readOutput(payload: unknown, rows: number, where: CaptureLocation): number[][] | undefined {
    if (!isObject(payload)) {
      this.problems.add('missing-output', 'the record has no endpointOutput', where);
      return undefined;
    }
    const decoded = decodePayload(payload);
    if (typeof decoded === 'string') {
      this.problems.add('missing-output', `endpointOutput: ${decoded}`, where);
      return undefined;
    }
    const perRow = decoded.kind === 'csv' ? undefined : jsonPredictions(decoded.text, decoded.kind);
    if (perRow === null) {
      this.problems.add('missing-output', 'the answer is not numbers in a known shape', where);
      return undefined;
    }
    const width = this.schema.outputWidth;
    if (perRow !== undefined) {
      if (perRow.length !== rows || (width !== undefined && perRow.some((p) => p.length !== width))) {
        this.problems.add(
          'output-count-mismatch',
          `${perRow.length} prediction(s) for ${rows} row(s)${width === undefined ? '' : ` of ${width} number(s) each`}`,
          where,
        );
        return undefined;
      }
      return perRow;
    }
    const numbers = answerNumbers(decoded.text);
    if (numbers === undefined) {
      this.problems.add('missing-output', 'the answer is not numbers', where);
      return undefined;
    }
    const each = width ?? (numbers.length % rows === 0 ? numbers.length / rows : Number.NaN);
    if (!(each >= 1) || numbers.length !== rows * each) {
      this.problems.add(
        'output-count-mismatch',
        `${numbers.length} number(s) answered for ${rows} row(s)${width === undefined ? '' : `, ${width} each`}`,
        where,
      );
      return undefined;
    }
    if (each === 1) return numbers.map((x) => [x]);
    return Array.from({ length: rows }, (_, r) => numbers.slice(r * each, (r + 1) * each));
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The payload's text and how to read it, or why it cannot be read. */
function decodePayload(payload: Payload): { kind: PayloadKind; text: string } | string {
  const { data, encoding } = payload;
  if (typeof data !== 'string') return 'no data';
  const media =
    typeof payload.observedContentType === 'string'
      ? (payload.observedContentType.split(';')[0] ?? '').trim().toLowerCase()
      : '';
  let text = data;
  if (encoding === 'BASE64') {
    // Buffer.from skips what is not base64; check first so garbage is reported, not misread.
    if (!/^[A-Za-z0-9+/=\r\n]*$/.test(data)) return 'BASE64 data that is not base64';
    text = Buffer.from(data, 'base64').toString('utf8');
  } else if (encoding !== 'CSV' && encoding !== 'JSON') {
    return `unknown encoding ${JSON.stringify(encoding)}`;
  }
  if (media === 'text/csv' || media === 'text/plain') return { kind: 'csv', text };
  if (media === 'application/json') return { kind: 'json', text };
  if (JSONLINES_TYPES.has(media)) return { kind: 'jsonlines', text };
  if (media === '' && encoding === 'CSV') return { kind: 'csv', text };
  if (media === '' && encoding === 'JSON') return { kind: 'json', text };
  return `content type ${JSON.stringify(media)} is not read (text/csv, application/json, application/jsonlines)`;
}

/** The rows of a JSON request: `{instances: [...]}`, a list of rows, or one row. */
function jsonInstances(json: unknown): unknown[] | undefined {
  if (isObject(json)) {
    if (Object.hasOwn(json, 'instances')) return Array.isArray(json.instances) ? json.instances : undefined;
    return [json];
  }
  if (Array.isArray(json)) {
    if (json.length > 0 && json.every((item) => Array.isArray(item) || isObject(item))) return json;
    return [json];
  }
  return undefined;
}

/** The values of a positional JSON row, or undefined when the row is keyed by name (or not a row). */
function jsonPositional(instance: unknown): readonly unknown[] | undefined {
  if (Array.isArray(instance)) return instance;
  if (!isObject(instance)) return undefined;
  if (Array.isArray(instance.features)) return instance.features;
  const data = instance.data;
  if (isObject(data) && isObject(data.features) && Array.isArray(data.features.values)) {
    return data.features.values;
  }
  return undefined;
}

/**
 * Predictions in a JSON answer, one list of numbers per row; undefined for a text answer (read as numbers);
 * null when it is JSON of no known shape.
 */
function jsonPredictions(text: string, kind: 'json' | 'jsonlines'): number[][] | null {
  let items: unknown[];
  try {
    if (kind === 'jsonlines') {
      items = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    } else {
      const json = JSON.parse(text) as unknown;
      items =
        isObject(json) && Array.isArray(json.predictions)
          ? json.predictions
          : Array.isArray(json)
            ? json
            : [json];
    }
  } catch {
    return null;
  }
  const rows: number[][] = [];
  for (const item of items) {
    const numbers = predictionNumbers(item);
    if (numbers === undefined) return null;
    rows.push(numbers);
  }
  return rows;
}

function predictionNumbers(item: unknown): number[] | undefined {
  if (typeof item === 'number') return Number.isFinite(item) ? [item] : undefined;
  if (Array.isArray(item)) {
    return item.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (item as number[]) : undefined;
  }
  if (isObject(item)) {
    for (const key of ['probabilities', 'scores', 'score', 'predicted_label', 'prediction']) {
      if (item[key] !== undefined) return predictionNumbers(item[key]);
    }
  }
  return undefined;
}

/**
 * The numbers of a text answer (text/csv: one row's numbers per line, or comma-separated, or in brackets),
 * in order; undefined when a token is not a number.
 */
export function answerNumbers(text: string): number[] | undefined {
  const numbers: number[] = [];
  for (const token of text.split(/[\s,[\]]+/)) {
    if (token === '') continue;
    const x = +token;
    if (!Number.isFinite(x)) return undefined;
    numbers.push(x);
  }
  return numbers;
}

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * text[a, b) as a number when it is a plain decimal (optional sign, digits, at most one point) of at most
 * 15 significant digits, else NaN (the caller then converts it with Number). Such a decimal is m / 10^k
 * with m < 2^53 and k ≤ 22, both exact doubles, so one IEEE division gives the correctly rounded value,
 * the same as Number() (Clinger's fast path: W. D. Clinger, "How to Read Floating Point Numbers
 * Accurately", PLDI 1990).
 */
export function fastDecimal(text: string, a: number, b: number): number {
  let i = a;
  let c = text.charCodeAt(i);
  const negative = c === 45;
  if (negative || c === 43) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < b; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === 46 && scale < 0) scale = 0;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const value = scale <= 0 ? mantissa : mantissa / (POW10[scale] as number);
  return negative ? -value : value;
}

/** Splits one CSV line with RFC 4180 quoting (`""` inside quotes is a quote). */
export function splitQuoted(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          cell += line.slice(i);
          i = n;
          break;
        }
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      cells.push(cell + (comma === -1 ? line.slice(i) : line.slice(i, comma)));
      if (comma === -1) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        cells.push(line.slice(i));
        break;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return cells;
}
