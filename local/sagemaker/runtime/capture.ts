/**
 * Data capture, as a real-time endpoint with a DataCaptureConfig does it —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html ("View Captured
 * Data") and https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html:
 * - a request is captured with probability InitialSamplingPercentage / 100, while EnableCapture is not false;
 * - CaptureOptions pick what is kept: Input (endpointInput), Output (endpointOutput), or both;
 * - a payload whose content type is listed in CaptureContentTypeHeader.CsvContentTypes is kept as text with
 *   encoding CSV, JsonContentTypes as JSON, anything else BASE64 (the default without the header);
 * - records are JSON Lines {captureData: {endpointInput, endpointOutput}, eventMetadata: {eventId,
 *   inferenceId?, inferenceTime}, eventVersion: "0"} in files
 *   `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl` (UTC, the file's first
 *   record's time: e.g. `AllTraffic/2020/03/11/12/32-18-648-cee08c3a-….jsonl` in AWS's Model Monitor samples).
 * SageMaker buffers captures and writes a file every little while; locally a file is written when its buffer
 * holds `maxRecords`, when it is `flushIntervalMs` old, when the hour changes, and on flush().
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DataCaptureConfig } from '@aws-sdk/client-sagemaker';
import { captureFileKey, captureFolder, captureHour } from '../../../lambdas/shared/s3-layout';
import { parseS3Uri } from '../s3-transfer';

/** One captured invocation. */
export interface CapturedInvocation {
  readonly endpointName: string;
  readonly variantName: string;
  readonly config: DataCaptureConfig;
  readonly input: { readonly body: Buffer; readonly contentType: string | undefined };
  readonly output: { readonly body: Buffer; readonly contentType: string };
  readonly inferenceId?: string | undefined;
  readonly time: number;
}

export interface CaptureOptions {
  /** @default 1000 */
  readonly maxRecords?: number;
  /** @default 2000 */
  readonly flushIntervalMs?: number;
  /** Failed writes (the runtime logs them; serving goes on). */
  readonly onError?: (error: unknown) => void;
}

interface Buffered {
  readonly bucket: string;
  /** `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/` (s3-layout.ts captureFolder). */
  readonly folder: string;
  readonly firstTime: number;
  readonly lines: string[];
}

/** Whether a request is captured under `config` (sampled with `random`). */
export function sampled(config: DataCaptureConfig | undefined, random: () => number = Math.random): boolean {
  if (!config || config.EnableCapture === false) return false;
  const percent = config.InitialSamplingPercentage ?? 0;
  return percent >= 100 || random() * 100 < percent;
}

/** A capture record (one JSON line), as Model Monitor reads it. */
export function captureRecord(invocation: CapturedInvocation, eventId: string = randomUUID()): string {
  const modes = new Set((invocation.config.CaptureOptions ?? []).map((option) => option.CaptureMode));
  const both = modes.has('InputAndOutput');
  const types = invocation.config.CaptureContentTypeHeader;
  const payload = (mode: 'INPUT' | 'OUTPUT', body: Buffer, contentType: string | undefined) => {
    const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const listed = (list: readonly string[] | undefined) =>
      (list ?? []).some((t) => t.toLowerCase() === media);
    const encoding = listed(types?.CsvContentTypes)
      ? 'CSV'
      : listed(types?.JsonContentTypes)
        ? 'JSON'
        : 'BASE64';
    return {
      observedContentType: contentType ?? '',
      mode,
      data: encoding === 'BASE64' ? body.toString('base64') : body.toString('utf8'),
      encoding,
    };
  };
  const captureData: Record<string, unknown> = {};
  if (both || modes.has('Input')) {
    captureData.endpointInput = payload('INPUT', invocation.input.body, invocation.input.contentType);
  }
  if (both || modes.has('Output')) {
    captureData.endpointOutput = payload('OUTPUT', invocation.output.body, invocation.output.contentType);
  }
  return JSON.stringify({
    captureData,
    eventMetadata: {
      eventId,
      // JSON.stringify leaves out an undefined inferenceId.
      inferenceId: invocation.inferenceId,
      inferenceTime: new Date(invocation.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    eventVersion: '0',
  });
}

/** Buffers capture records per destination folder and writes them to S3 as JSON Lines files. */
export class DataCapture {
  private readonly buffers = new Map<string, Buffered>();
  private readonly writes = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxRecords: number;
  private readonly flushIntervalMs: number;

  constructor(
    private readonly s3: S3Client,
    private readonly options: CaptureOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 1000;
    this.flushIntervalMs = options.flushIntervalMs ?? 2000;
    this.timer = setInterval(() => this.writeDue(), Math.max(50, Math.min(this.flushIntervalMs, 1000)));
    this.timer.unref();
  }

  add(invocation: CapturedInvocation): void {
    const destination = parseS3Uri(invocation.config.DestinationS3Uri ?? '');
    if (!destination) return;
    // The hour folder of the record; a buffer never spans two folders.
    const folder = captureFolder(
      destination.key,
      invocation.endpointName,
      invocation.variantName,
      invocation.time,
    );
    const key = `${destination.bucket}/${folder}`;
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = { bucket: destination.bucket, folder, firstTime: invocation.time, lines: [] };
      this.buffers.set(key, buffer);
    }
    buffer.lines.push(captureRecord(invocation));
    if (buffer.lines.length >= this.maxRecords) this.write(key, buffer);
  }

  /** Writes every buffered record and waits for all writes. */
  async flush(): Promise<void> {
    for (const [key, buffer] of this.buffers) this.write(key, buffer);
    await Promise.all([...this.writes]);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private writeDue(): void {
    const now = Date.now();
    for (const [key, buffer] of this.buffers) {
      if (
        now - buffer.firstTime >= this.flushIntervalMs ||
        captureHour(now) !== captureHour(buffer.firstTime)
      ) {
        this.write(key, buffer);
      }
    }
  }

  private write(key: string, buffer: Buffered): void {
    this.buffers.delete(key);
    const write = this.s3
      .send(
        new PutObjectCommand({
          Bucket: buffer.bucket,
          Key: captureFileKey(buffer.folder, buffer.firstTime, randomUUID()),
          Body: Buffer.from(`${buffer.lines.join('\n')}\n`),
          ContentType: 'application/jsonlines',
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => this.options.onError?.(error),
      )
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}
