/**
 * Reads a training channel as SageMaker's XGBoost reads `text/csv`: every file under the channel
 * directory (sorted, hidden files skipped), no header, the label in the first column, then the features;
 * an empty field (or `nan`) is a missing value. Every problem is a ClientError naming the file, line and
 * column.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type CsvError, type Info, parse } from 'csv-parse';
import { ClientError } from './errors';
import type { FeatureMatrix } from './gbdt';

/** A channel's rows: labels, and features row-major. */
export interface ChannelData {
  readonly name: string;
  readonly files: readonly string[];
  readonly labels: Float64Array;
  readonly features: FeatureMatrix;
}

/** How {@link readChannel} checks the rows. */
export interface ReadChannelOptions {
  /** Feature columns every row must have (the train channel's, when reading validation). */
  readonly features?: number;
  /** Why a label is unusable (e.g. out of range for the objective), or undefined when it is fine. */
  readonly labelProblem?: (label: number) => string | undefined;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A field as a number: NaN for a missing value, undefined when it is not a number at all. */
export function parseField(field: string): number | undefined {
  if (field === '' || field.toLowerCase() === 'nan') return Number.NaN;
  if (!DECIMAL.test(field)) return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

/** Regular files under `dir`, recursively, sorted by path; names starting with a dot are skipped. */
export async function channelFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const entries = await readdir(path, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) await visit(child);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(child)).isFile())) found.push(child);
    }
  };
  await visit(dir);
  return found.sort();
}

/** Values appended one by one into a Float64Array that doubles when full. */
class GrowableVector {
  private buffer = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Float64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = value;
  }

  toArray(): Float64Array {
    return this.buffer.slice(0, this.length);
  }
}

interface ParsedRecord {
  readonly record: string[];
  readonly info: Info;
}

/** Reads every CSV file of a channel into memory. */
export async function readChannel(
  name: string,
  dir: string,
  options: ReadChannelOptions = {},
): Promise<ChannelData> {
  const files = await listChannel(name, dir);
  const labels = new GrowableVector();
  const values = new GrowableVector();
  let width = options.features === undefined ? undefined : options.features + 1;
  let widthSource = options.features === undefined ? '' : 'the train channel';
  for (const file of files) {
    const where = `${name} channel, ${relative(dir, file) || file}`;
    try {
      for await (const { record, info } of readCsv(file)) {
        const line = info.lines;
        if (width === undefined) {
          width = record.length;
          widthSource = `${where} line ${line}`;
          if (width < 2)
            throw new ClientError(`${where} line ${line}: needs a label and at least one feature`);
        }
        if (record.length !== width) {
          throw new ClientError(
            `${where} line ${line}: ${record.length} fields, expected ${width} (a label and ${width - 1} features, as in ${widthSource})`,
          );
        }
        labels.push(parseLabel(record[0] ?? '', `${where} line ${line}`, options));
        for (let column = 1; column < width; column++) {
          const field = record[column] ?? '';
          const value = parseField(field);
          if (value === undefined) {
            throw new ClientError(`${where} line ${line}, column ${column + 1}: "${field}" is not a number`);
          }
          values.push(value);
        }
      }
    } catch (error) {
      if (error instanceof ClientError) throw error;
      throw new ClientError(`${where}: ${(error as CsvError).message}`);
    }
  }
  if (labels.length === 0 || width === undefined)
    throw new ClientError(`The ${name} channel (${dir}) has no rows`);
  return {
    name,
    files,
    labels: labels.toArray(),
    features: { rows: labels.length, columns: width - 1, layout: 'row-major', values: values.toArray() },
  };
}

async function listChannel(name: string, dir: string): Promise<string[]> {
  try {
    const files = await channelFiles(dir);
    if (files.length > 0) return files;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ClientError(`The ${name} channel directory ${dir} does not exist`);
  }
  throw new ClientError(`The ${name} channel (${dir}) holds no files`);
}

function readCsv(file: string): AsyncIterable<ParsedRecord> {
  // relax_column_count: the width check above gives a clearer message than the parser's.
  const parser = parse({
    info: true,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  const source = createReadStream(file);
  // pipe() does not pass a read error on: without this the iteration would wait forever.
  source.on('error', (error) => parser.destroy(error));
  return source.pipe(parser);
}

function parseLabel(field: string, where: string, options: ReadChannelOptions): number {
  const label = parseField(field);
  if (label === undefined || Number.isNaN(label)) {
    throw new ClientError(`${where}, column 1: the label "${field}" is not a number`);
  }
  const problem = options.labelProblem?.(label);
  if (problem) throw new ClientError(`${where}, column 1: label ${field}: ${problem}`);
  return label;
}
