/**
 * JSON Lines out of a byte stream without buffering the whole file: each chunk is scanned for `\n` and only
 * the unfinished last line is carried over. A line longer than `maxLineBytes` is not kept at all: its bytes
 * are skipped up to the next `\n` and it is reported by its size, so one huge or endless line costs no more
 * memory than the limit.
 */

/** What {@link readLines} calls for each line. */
export interface LineHandler {
  /** A line (without `\n` or a trailing `\r`), 1-based `lineNumber`. Empty lines are not passed on. */
  line(text: string, lineNumber: number): void;
  /** A line longer than the limit, skipped; `bytes` counts what was seen of it. */
  oversized(bytes: number, lineNumber: number): void;
}

/**
 * Reads `body` line by line.
 *
 * @param body - the bytes, e.g. an S3 GetObject Body (a Node Readable is an AsyncIterable of Buffers)
 * @param maxLineBytes - the longest line that is decoded
 * @returns the number of lines seen, empty ones included
 */
export async function readLines(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  handler: LineHandler,
): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Bytes of an oversized line seen so far; -1 while the current line is within the limit.
  let skipping = -1;
  let lineNumber = 0;

  const emit = (tail: Buffer, start: number, end: number): void => {
    lineNumber++;
    if (skipping >= 0) {
      handler.oversized(skipping + (end - start), lineNumber);
      skipping = -1;
      return;
    }
    let text: string;
    if (pendingBytes === 0) {
      if (end - start > maxLineBytes) {
        handler.oversized(end - start, lineNumber);
        return;
      }
      text = tail.toString('utf8', start, end);
    } else {
      if (pendingBytes + (end - start) > maxLineBytes) {
        handler.oversized(pendingBytes + (end - start), lineNumber);
        pending = [];
        pendingBytes = 0;
        return;
      }
      pending.push(tail.subarray(start, end));
      text = Buffer.concat(pending).toString('utf8');
      pending = [];
      pendingBytes = 0;
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() !== '') handler.line(text, lineNumber);
  };

  for await (const raw of body) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      emit(chunk, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (skipping >= 0) skipping += rest;
      else if (pendingBytes + rest > maxLineBytes) {
        skipping = pendingBytes + rest;
        pending = [];
        pendingBytes = 0;
      } else {
        // Copied: the stream may reuse the chunk's memory.
        pending.push(Buffer.from(chunk.subarray(start)));
        pendingBytes += rest;
      }
    }
  }
  if (pendingBytes > 0 || skipping >= 0) emit(Buffer.alloc(0), 0, 0);
  return lineNumber;
}
