/**
 * Ground truth and capture in S3, for the quality check and the retrainer: the labels uploaded in a time range,
 * and the labeled rows of the capture written in a time range, streamed (the parser reads one line at a time;
 * only the labels are held).
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { CaptureParser, type CaptureSchema, windowFiles } from '../capture';
import { groundTruthPrefix } from '../s3-layout';
import { emptyJoinCounts, type JoinCounts, joinRequest, type LabeledRow } from './join';
import { formatOfKey, LabelIndex } from './labels';

/**
 * How far back captured predictions are joined with new labels: labels usually arrive within days; older
 * predictions are not looked for (their labels count as unmatched). Never before the serving version was
 * deployed (for the quality check), since only its own predictions judge it.
 */
export const DEFAULT_CAPTURE_LOOKBACK_SECONDS = 14 * 24 * 3600;

/** An object listed, with the time S3 says it was written. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
}

/** A time range (after, until]: objects whose LastModified falls in it. */
export interface TimeRange {
  /** Exclusive; undefined: from the beginning. */
  readonly after: Date | undefined;
  /** Inclusive. */
  readonly until: Date;
}

/** Whether `time` falls in (after, until]. */
export function inRange(time: Date, range: TimeRange): boolean {
  const t = time.getTime();
  return (range.after === undefined || t > range.after.getTime()) && t <= range.until.getTime();
}

/** Every object under `prefix` written in `range`, listing page by page (ListObjectsV2 returns up to 1,000). */
export async function* listObjectsInRange(
  s3: S3Client,
  bucket: string,
  prefix: string,
  range: TimeRange,
): AsyncGenerator<ListedObject> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || object.LastModified === undefined) continue;
      if (object.Key.endsWith('/')) continue;
      if (inRange(object.LastModified, range)) yield { key: object.Key, lastModified: object.LastModified };
    }
  }
}

async function body(s3: S3Client, bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
  const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (output.Body === undefined) return (async function* () {})();
  return output.Body as AsyncIterable<Uint8Array>;
}

/** The labels of one model uploaded in a range, and the files they came from. */
export interface LoadedLabels {
  readonly index: LabelIndex;
  readonly files: readonly string[];
}

/**
 * Reads the labels under `ground-truth/<model>/` in the data bucket uploaded in `range` (later files win for a
 * repeated id: files are read in the order they were written).
 *
 * @param targetColumn - the model's label column, also accepted as the CSV label column
 */
export async function loadLabels(
  s3: S3Client,
  dataBucket: string,
  model: string,
  range: TimeRange,
  targetColumn?: string,
): Promise<LoadedLabels> {
  const listed: ListedObject[] = [];
  for await (const object of listObjectsInRange(s3, dataBucket, groundTruthPrefix(model), range))
    listed.push(object);
  listed.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || a.key.localeCompare(b.key));
  const index = new LabelIndex();
  for (const { key } of listed) {
    await index.addFile(await body(s3, dataBucket, key), { format: formatOfKey(key), targetColumn });
  }
  return { index, files: listed.map((object) => object.key) };
}

/** What a pass over the capture read. */
export interface LabeledCaptureSummary {
  readonly join: JoinCounts;
  readonly parser: CaptureParser;
  /** Capture files in the range, and how many were read before every label had found its row. */
  readonly captureFiles: number;
  readonly filesRead: number;
  /** Labeled rows seen again (a capture record written twice) and passed on once. */
  readonly repeatedRows: number;
}

/**
 * Calls `onRow` once for each labeled request row of the model's capture (`capture/<model>/` in the artifacts
 * bucket) written in `range`, reading one file at a time, line by line. Files are read newest first and the
 * pass stops once every label has found its row: labels mostly follow recent predictions, so a long lookback
 * costs a listing, not a read of all its capture.
 */
export async function forEachLabeledRow(
  s3: S3Client,
  artifactsBucket: string,
  model: string,
  schema: CaptureSchema,
  index: LabelIndex,
  range: TimeRange,
  onRow: (row: LabeledRow) => void,
): Promise<LabeledCaptureSummary> {
  const parser = new CaptureParser(schema);
  const join = emptyJoinCounts();
  // The drift check's listing: each variant folder from the window's hour on (StartAfter), not the whole history.
  const files: string[] = [];
  const from = (range.after ?? new Date(0)).toISOString();
  for await (const key of windowFiles({ s3, artifactsBucket }, model, from, range.until.toISOString())) {
    files.push(key);
  }
  files.reverse();
  const seen = new Set<string>();
  let repeatedRows = 0;
  let filesRead = 0;
  for (const key of files) {
    if (seen.size >= index.size) break;
    filesRead++;
    await parser.parseStream(await body(s3, artifactsBucket, key), key, (record) => {
      for (const row of joinRequest(record, index, join)) {
        const identity = `${row.id}\u0000${row.row}`;
        if (seen.has(identity)) {
          repeatedRows++;
          continue;
        }
        seen.add(identity);
        onRow(row);
      }
    });
  }
  return { join, parser, captureFiles: files.length, filesRead, repeatedRows };
}
