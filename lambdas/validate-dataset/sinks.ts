/**
 * Where the validator reads from and writes to, kept abstract so the core knows nothing about S3:
 * an input is a factory of byte streams (read up to three times), an output a sink that is only opened
 * once the data was accepted and that is either committed (`close`) or discarded (`abort`).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Opens the dataset from its start; called once per pass (e.g. an S3 GetObject pinned to a version).
 * A chunk is only read until the next one is requested, so a source may reuse one buffer for all chunks.
 */
export type OpenDataset = () => AsyncIterable<Uint8Array>;

/** The two files pass 2 writes. */
export type SplitName = 'train' | 'validation';

/**
 * A destination for one artifact. Chunks passed to `write` are not reused by the caller. Exactly one of
 * `close` (make the artifact visible, e.g. complete the upload) or `abort` (discard it) is called.
 */
export interface ArtifactSink {
  write(chunk: Uint8Array): Promise<void> | void;
  close(): Promise<void>;
  abort(reason: Error): Promise<void>;
}

/** Opens the sink of a split; only called when pass 1 accepted the data. */
export type OpenSink = (name: SplitName) => ArtifactSink | Promise<ArtifactSink>;

/** Adapts a Node Writable (e.g. an S3 multipart upload stream): honours backpressure; abort destroys it. */
export function writableSink(stream: Writable): ArtifactSink {
  return {
    async write(chunk) {
      // events.once rejects if the stream emits 'error' first.
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await finished(stream);
    },
    async abort(reason) {
      stream.destroy(reason);
      await finished(stream).catch(() => undefined);
    },
  };
}

/**
 * A file that appears under `path` only when closed: it is written to `<path>.partial` and renamed, so
 * an aborted or crashed run leaves no file that looks complete.
 */
export function fileSink(path: string): ArtifactSink {
  const partial = `${path}.partial`;
  const inner = writableSink(createWriteStream(partial));
  return {
    write: (chunk) => inner.write(chunk),
    async close() {
      await inner.close();
      await rename(partial, path);
    },
    async abort(reason) {
      await inner.abort(reason);
      await unlink(partial).catch(() => undefined);
    },
  };
}

/** An in-memory sink (tests, small local runs). */
export class MemorySink implements ArtifactSink {
  readonly chunks: Uint8Array[] = [];
  state: 'open' | 'closed' | 'aborted' = 'open';

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  async close(): Promise<void> {
    this.state = 'closed';
  }

  async abort(): Promise<void> {
    this.state = 'aborted';
    this.chunks.length = 0;
  }

  /** Everything written, as one buffer. */
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  /** Everything written, as UTF-8 text. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Serves bytes or text as a dataset, in chunks of `chunkSize` (small sizes exercise chunk boundaries). */
export function bytesDataset(data: Uint8Array | string, chunkSize = 64 * 1024): OpenDataset {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return async function* open() {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      yield bytes.subarray(offset, Math.min(bytes.length, offset + chunkSize));
    }
  };
}
