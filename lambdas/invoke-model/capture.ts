/**
 * Capture records written by the inference API, in SageMaker's data capture format and layout, so the drift and
 * quality checks read them exactly as they read what a real-time endpoint captures
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html, "View Captured
 * Data"; https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CaptureContentTypeHeader.html):
 * - JSON Lines `{captureData: {endpointInput, endpointOutput}, eventMetadata: {eventId, inferenceId?,
 *   inferenceTime}, eventVersion: "0"}`, each payload `{observedContentType, mode, data, encoding}` with the
 *   encoding CSV or JSON for the content types the stack's endpoints list (CAPTURE_CONTENT_TYPES) and BASE64
 *   otherwise;
 * - files `capture/<model>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl` (UTC, the time of the
 *   file's first record).
 * One field marks them: `eventMetadata.capturedBy` is {@link API_CAPTURE_MARK}; SageMaker's records have none.
 *
 * SageMaker buffers captures and writes a file every little while; so does {@link CaptureBuffer}, within one
 * Lambda execution environment: a file per endpoint, variant and hour once `maxRecords` are buffered or the
 * oldest is `maxAgeMs` old, checked at the end of every invocation (an environment is frozen between them).
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CAPTURE_CONTENT_TYPES } from '../shared/endpoints/requests';
import { captureFileKey, captureFolder, capturePrefix } from '../shared/s3-layout';

/** `eventMetadata.capturedBy` of the records the inference API writes. */
export const API_CAPTURE_MARK = 'invoke-model';

export type CaptureEncoding = 'CSV' | 'JSON' | 'BASE64';

/** One invocation to capture. */
export interface CapturedInvocation {
  readonly model: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly input: { readonly body: Uint8Array; readonly contentType: string | undefined };
  readonly output: { readonly body: Uint8Array; readonly contentType: string | undefined };
  /** The caller's InferenceId, when it sent one. */
  readonly inferenceId?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly eventId: string;
}

/** How a payload of `contentType` is kept: as text for the stack's CSV and JSON types, else base64. */
export function captureEncoding(contentType: string | undefined): CaptureEncoding {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if ((CAPTURE_CONTENT_TYPES.csv as readonly string[]).includes(media)) return 'CSV';
  if ((CAPTURE_CONTENT_TYPES.json as readonly string[]).includes(media)) return 'JSON';
  return 'BASE64';
}

function payload(mode: 'INPUT' | 'OUTPUT', body: Uint8Array, contentType: string | undefined) {
  const encoding = captureEncoding(contentType);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    observedContentType: contentType ?? '',
    mode,
    data: encoding === 'BASE64' ? bytes.toString('base64') : bytes.toString('utf8'),
    encoding,
  };
}

/** One capture record (a JSON line). */
export function captureRecord(invocation: CapturedInvocation): string {
  return JSON.stringify({
    captureData: {
      endpointInput: payload('INPUT', invocation.input.body, invocation.input.contentType),
      endpointOutput: payload('OUTPUT', invocation.output.body, invocation.output.contentType),
    },
    eventMetadata: {
      eventId: invocation.eventId,
      inferenceId: invocation.inferenceId, // JSON.stringify leaves it out when undefined
      // SageMaker writes whole seconds.
      inferenceTime: new Date(invocation.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      capturedBy: API_CAPTURE_MARK,
    },
    eventVersion: '0',
  });
}

export interface CaptureBufferOptions {
  readonly bucket: string;
  /** SSE-KMS key of the written files (the stack's key; SageMaker's capture uses it too). */
  readonly kmsKeyArn?: string;
  /** @default 100 */
  readonly maxRecords?: number;
  /** @default 10000 */
  readonly maxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default randomUUID */
  readonly newId?: () => string;
}

interface Buffered {
  readonly folder: string;
  readonly firstTime: number;
  readonly lines: string[];
}

/** Capture records buffered per destination folder and written to S3 as JSON Lines files. */
export class CaptureBuffer {
  private readonly buffers = new Map<string, Buffered>();
  private readonly maxRecords: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    private readonly s3: S3Client,
    private readonly options: CaptureBufferOptions,
  ) {
    this.maxRecords = options.maxRecords ?? 100;
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  /** Records buffered and not yet written. */
  get pending(): number {
    let count = 0;
    for (const buffer of this.buffers.values()) count += buffer.lines.length;
    return count;
  }

  add(invocation: CapturedInvocation): void {
    const folder = captureFolder(
      capturePrefix(invocation.model),
      invocation.endpointName,
      invocation.variantName,
      invocation.time,
    );
    let buffer = this.buffers.get(folder);
    if (!buffer) {
      buffer = { folder, firstTime: invocation.time, lines: [] };
      this.buffers.set(folder, buffer);
    }
    buffer.lines.push(captureRecord(invocation));
  }

  /**
   * Writes the buffers that are due (full, old enough, or of an hour that has passed) and returns the keys
   * written. A failed write keeps its records buffered for the next call and is thrown after the others.
   */
  async flushDue(): Promise<string[]> {
    const now = this.now();
    const hour = Math.floor(now / 3_600_000);
    return this.write(
      [...this.buffers.values()].filter(
        (buffer) =>
          buffer.lines.length >= this.maxRecords ||
          now - buffer.firstTime >= this.maxAgeMs ||
          Math.floor(buffer.firstTime / 3_600_000) !== hour,
      ),
    );
  }

  /** Writes every buffer (e.g. when the execution environment shuts down). */
  async flush(): Promise<string[]> {
    return this.write([...this.buffers.values()]);
  }

  private async write(buffers: readonly Buffered[]): Promise<string[]> {
    for (const buffer of buffers) this.buffers.delete(buffer.folder);
    const results = await Promise.allSettled(
      buffers.map(async (buffer) => {
        const key = captureFileKey(buffer.folder, buffer.firstTime, this.newId());
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            Body: `${buffer.lines.join('\n')}\n`,
            ContentType: 'application/jsonlines',
            ...(this.options.kmsKeyArn === undefined
              ? {}
              : { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.options.kmsKeyArn }),
          }),
        );
        return key;
      }),
    );
    const written: string[] = [];
    let failure: unknown;
    for (const [index, result] of results.entries()) {
      if (result.status === 'fulfilled') {
        written.push(result.value);
        continue;
      }
      failure ??= result.reason;
      // Put the records back in front of any added meanwhile, so none is lost to a transient failure.
      const buffer = buffers[index] as Buffered;
      const current = this.buffers.get(buffer.folder);
      this.buffers.set(buffer.folder, {
        folder: buffer.folder,
        firstTime: buffer.firstTime,
        lines: [...buffer.lines, ...(current?.lines ?? [])],
      });
    }
    if (failure !== undefined) throw failure;
    return written;
  }
}
