/**
 * CSV rows split into InvokeEndpoint requests: SageMaker real-time inference takes a payload of at most 6 MB
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints.html, "payload size"), so each request
 * stays under a byte budget and a row count.
 */

export interface BatchLimits {
  /** Most rows per request. */
  readonly maxRows: number;
  /** Most bytes per request, newlines included; well under SageMaker's 6 MB. */
  readonly maxBytes: number;
}

/** Consecutive rows, each batch within the limits (a single row over the byte budget goes alone). */
export function* requestBatches(rows: readonly string[], limits: BatchLimits): Generator<string[]> {
  let batch: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row) + 1;
    if (batch.length > 0 && (batch.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
