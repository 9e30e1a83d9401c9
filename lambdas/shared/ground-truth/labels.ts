/**
 * Ground truth: labels for served predictions, uploaded under `ground-truth/<model>/` in the data bucket.
 *
 * Three formats are read (by the file's extension, else by its first non-blank character):
 * - SageMaker Model Monitor's JSON Lines, `{"groundTruthData": {"data": "1", "encoding": "CSV"},
 *   "eventMetadata": {"eventId": "…"}, "eventVersion": "0"}` — the id is the capture's inferenceId when the
 *   caller sent one, else its eventId
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html);
 *   `data` holding several lines labels the rows of a multi-row request in order;
 * - plain JSON Lines, `{"inferenceId": "…", "label": "yes"}` (`eventId` or `id` for the id; `label` may be an
 *   array: one label per row of a multi-row request; `row` picks one row of such a request);
 * - CSV with a header naming the id column (`inferenceId`, `inference_id`, `eventId`, `event_id` or `id`), the
 *   label column (`label` or the model's target column) and optionally `row`.
 *
 * Lines that cannot be read are counted by kind, never thrown: one bad line must not lose a file of labels.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';

/** The labels of one request, by row (a one-row request has row 0 only). */
export interface GroundTruthRecord {
  /** The capture's inferenceId or eventId. */
  readonly id: string;
  /** The first row these labels are for (0 unless the record names a `row`). */
  readonly row: number;
  /** One label per row from `row` on, as text (class names or numbers). */
  readonly labels: readonly string[];
}

/** What could not be read, by kind. */
export interface GroundTruthProblems {
  /** Lines that are not JSON, or JSON of no known shape. */
  malformed: number;
  /** Records without an id. */
  missingId: number;
  /** Records without a label. */
  missingLabel: number;
  /** A label given again for the same id and row with a different value (the later one wins). */
  conflicts: number;
  /** A label given again with the same value. */
  duplicates: number;
}

/** An empty problem count. */
export function noProblems(): GroundTruthProblems {
  return { malformed: 0, missingId: 0, missingLabel: 0, conflicts: 0, duplicates: 0 };
}

/** Adds `more` to `into`. */
export function addProblems(into: GroundTruthProblems, more: GroundTruthProblems): void {
  into.malformed += more.malformed;
  into.missingId += more.missingId;
  into.missingLabel += more.missingLabel;
  into.conflicts += more.conflicts;
  into.duplicates += more.duplicates;
}

/** Column names the CSV format accepts for the id, in order of preference. */
export const ID_COLUMNS = ['inferenceId', 'inference_id', 'eventId', 'event_id', 'id'] as const;

/** Longest id kept (SageMaker's InferenceId allows 64 characters; eventIds are UUIDs). */
const MAX_ID_LENGTH = 1_024;
/** Longest label text kept; anything longer is hostile, not a class name. */
const MAX_LABEL_LENGTH = 1_024;

export type GroundTruthFormat = 'jsonl' | 'csv';

/** The format of a ground-truth object by its key, or undefined to sniff the content. */
export function formatOfKey(key: string): GroundTruthFormat | undefined {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.json') || lower.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

export interface ParseGroundTruthOptions {
  /** How to read the file; sniffed from the first non-blank character when undefined. */
  readonly format?: GroundTruthFormat | undefined;
  /** The model's target column, also accepted as the CSV label column. */
  readonly targetColumn?: string | undefined;
}

/**
 * Reads one ground-truth file as it streams, yielding its records; unreadable lines are counted in `problems`.
 *
 * @param source - the file's bytes (e.g. an S3 GetObject body)
 * @param problems - counters to add to
 */
export async function* parseGroundTruth(
  source: AsyncIterable<Uint8Array | string>,
  problems: GroundTruthProblems,
  options: ParseGroundTruthOptions = {},
): AsyncGenerator<GroundTruthRecord> {
  const [format, chunks] =
    options.format === undefined
      ? await sniff(source)
      : [options.format, source as AsyncIterable<Uint8Array | string>];
  if (format === 'csv') yield* parseCsvRecords(chunks, problems, options.targetColumn);
  else yield* parseJsonLines(chunks, problems);
}

/** Looks at the first non-blank character: `{` is JSON Lines, anything else CSV. */
async function sniff(
  source: AsyncIterable<Uint8Array | string>,
): Promise<[GroundTruthFormat, AsyncIterable<Uint8Array | string>]> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: (Uint8Array | string)[] = [];
  let format: GroundTruthFormat | undefined;
  while (format === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    const text = typeof next.value === 'string' ? next.value : Buffer.from(next.value).toString('utf8');
    const first = text.replace(/^\uFEFF/, '').trimStart()[0];
    if (first !== undefined) format = first === '{' ? 'jsonl' : 'csv';
  }
  async function* replay(): AsyncGenerator<Uint8Array | string> {
    yield* seen;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return [format ?? 'jsonl', replay()];
}

/** The longest line read (characters); longer ones are hostile, not labels, and are skipped without being kept. */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. A line longer than
 * `maxChars` is yielded as `null` and never held whole: memory stays bounded by the limit and one chunk.
 */
export async function* lines(
  source: AsyncIterable<Uint8Array | string>,
  maxChars: number = MAX_LINE_CHARS,
): AsyncGenerator<string | null> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let skipping = false;
  const finish = (line: string): string | null => (line.length > maxChars ? null : line.replace(/\r$/, ''));
  for await (const chunk of source) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      if (skipping) {
        skipping = false;
        yield null;
      } else {
        yield finish(text.slice(start, newline));
      }
      start = newline + 1;
    }
    rest = text.slice(start);
    if (rest.length > maxChars) {
      skipping = true;
      rest = '';
    }
  }
  rest += decoder.decode();
  if (skipping) yield null;
  else if (rest !== '') yield finish(rest);
}

async function* parseJsonLines(
  source: AsyncIterable<Uint8Array | string>,
  problems: GroundTruthProblems,
): AsyncGenerator<GroundTruthRecord> {
  for await (const raw of lines(source)) {
    if (raw === null) {
      problems.malformed++;
      continue;
    }
    const line = raw.replace(/^\uFEFF/, '').trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.malformed++;
      continue;
    }
    const record = jsonRecord(value, problems);
    if (record !== undefined) yield record;
  }
}

function jsonRecord(value: unknown, problems: GroundTruthProblems): GroundTruthRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.malformed++;
    return undefined;
  }
  const object = value as Record<string, unknown>;
  let id: unknown;
  let labels: string[] | undefined;
  let row: unknown = object.row;
  if ('groundTruthData' in object) {
    const metadata = object.eventMetadata as Record<string, unknown> | undefined;
    id = metadata?.inferenceId ?? metadata?.eventId;
    labels = sageMakerLabels(object.groundTruthData);
    row = undefined;
  } else {
    id = object.inferenceId ?? object.inference_id ?? object.eventId ?? object.event_id ?? object.id;
    labels = labelList(object.label);
  }
  return checked(id, labels, row, problems);
}

/** `groundTruthData.data` as labels: CSV lines (one per row), or JSON (a value or an array of values). */
function sageMakerLabels(data: unknown): string[] | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { data: text, encoding } = data as { data?: unknown; encoding?: unknown };
  if (typeof text !== 'string') return undefined;
  if (encoding === 'JSON') {
    try {
      return labelList(JSON.parse(text));
    } catch {
      return undefined;
    }
  }
  const decoded = encoding === 'BASE64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  const rows = decoded.split(/\r?\n/).map((line) => line.trim());
  while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  return rows.length === 0 ? undefined : rows;
}

function labelList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    const each = value.map(labelText);
    return each.length === 0 || each.some((label) => label === undefined) ? undefined : (each as string[]);
  }
  const one = labelText(value);
  return one === undefined ? undefined : [one];
}

function labelText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

function checked(
  id: unknown,
  labels: string[] | undefined,
  row: unknown,
  problems: GroundTruthProblems,
): GroundTruthRecord | undefined {
  const text = typeof id === 'number' ? String(id) : typeof id === 'string' ? id.trim() : '';
  if (text === '' || text.length > MAX_ID_LENGTH) {
    problems.missingId++;
    return undefined;
  }
  if (labels === undefined || labels.some((label) => label.length > MAX_LABEL_LENGTH)) {
    problems.missingLabel++;
    return undefined;
  }
  const rowNumber = row === undefined || row === null || row === '' ? 0 : Number(row);
  if (!Number.isInteger(rowNumber) || rowNumber < 0) {
    problems.malformed++;
    return undefined;
  }
  return { id: text, row: rowNumber, labels };
}

async function* parseCsvRecords(
  source: AsyncIterable<Uint8Array | string>,
  problems: GroundTruthProblems,
  targetColumn: string | undefined,
): AsyncGenerator<GroundTruthRecord> {
  const parser = Readable.from(source).pipe(
    parseCsv({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      relax_quotes: true,
      // A record this long is hostile: skipped (and counted) instead of buffered; reading cannot resume after it.
      max_record_size: MAX_LINE_CHARS,
      skip_records_with_error: true,
    }),
  );
  parser.on('skip', () => {
    problems.malformed++;
  });
  let idColumn = -1;
  let labelColumn = -1;
  let rowColumn = -1;
  let header = true;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header) {
        header = false;
        idColumn = ID_COLUMNS.map((name) => record.indexOf(name)).find((index) => index >= 0) ?? -1;
        labelColumn = record.indexOf('label');
        if (labelColumn < 0 && targetColumn !== undefined) labelColumn = record.indexOf(targetColumn);
        rowColumn = record.indexOf('row');
        if (idColumn < 0 || labelColumn < 0) {
          // Without a header naming both columns no line can be read: count them all as malformed.
          problems.malformed++;
          idColumn = -1;
        }
        continue;
      }
      if (idColumn < 0) {
        problems.malformed++;
        continue;
      }
      const label = labelText(record[labelColumn]);
      const found = checked(
        record[idColumn],
        label === undefined ? undefined : [label],
        rowColumn < 0 ? undefined : record[rowColumn],
        problems,
      );
      if (found !== undefined) yield found;
    }
  } catch {
    // csv-parse stops at the first structural error (an unclosed quote): the rest of the file is unreadable.
    problems.malformed++;
  }
}

/**
 * Labels by request id and row, merged from any number of files. Later labels win; repeats are counted.
 * Memory grows with the labels, which are few next to the captured traffic.
 */
export class LabelIndex {
  private readonly byId = new Map<string, string[]>();
  private count = 0;

  constructor(readonly problems: GroundTruthProblems = noProblems()) {}

  /** Labels known, over all ids and rows. */
  get size(): number {
    return this.count;
  }

  add(record: GroundTruthRecord): void {
    let rows = this.byId.get(record.id);
    if (rows === undefined) {
      rows = [];
      this.byId.set(record.id, rows);
    }
    record.labels.forEach((label, offset) => {
      const index = record.row + offset;
      const before = rows[index];
      if (before === undefined) this.count++;
      else if (before === label) this.problems.duplicates++;
      else this.problems.conflicts++;
      rows[index] = label;
    });
  }

  /** Reads every record of one file into the index. */
  async addFile(
    source: AsyncIterable<Uint8Array | string>,
    options: ParseGroundTruthOptions = {},
  ): Promise<number> {
    let records = 0;
    for await (const record of parseGroundTruth(source, this.problems, options)) {
      this.add(record);
      records++;
    }
    return records;
  }

  /** The labels of a request (sparse: rows without a label are undefined), or undefined for an unknown id. */
  get(id: string): readonly (string | undefined)[] | undefined {
    return this.byId.get(id);
  }
}
