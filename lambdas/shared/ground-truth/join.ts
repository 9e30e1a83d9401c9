/**
 * The join of captured requests with their ground truth. A label is matched to a request by the request's
 * inferenceId when the caller sent one, else by its eventId — as Model Monitor merges them
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html); a label keyed by
 * the eventId of a request that also has an inferenceId is accepted too, since both identify it.
 */
import { INTERNAL_INFERENCE_ID_PREFIX } from '../capture';
import type { LabelIndex } from './labels';

/** A feature value as the drift statistics take it: numeric as a number, categorical as its category. */
export type FeatureValue = number | string | null;

/**
 * One captured request as the join needs it: the shape of lambdas/shared/capture's CaptureRecord (its decoded
 * rows and the output parsed per objective), so the parser's records are joined as they are.
 */
export interface CapturedRequest {
  readonly eventId: string | undefined;
  readonly inferenceId: string | undefined;
  /** ISO-8601, from the capture's eventMetadata.inferenceTime. */
  readonly inferenceTime: string | undefined;
  /** Decoded features in the encoding's feature order, one entry per request row; null: unreadable row. */
  readonly rows: readonly (readonly FeatureValue[] | null)[];
  /** The model's output per row (binary: [p], multiclass: K probabilities or [class], regression: [y]). */
  readonly predictions: readonly (readonly number[])[] | undefined;
}

/** One captured row with its label. */
export interface LabeledRow {
  /** The id the label was matched on. */
  readonly id: string;
  /** The row within its request. */
  readonly row: number;
  readonly inferenceTime: string | undefined;
  readonly features: readonly FeatureValue[];
  /** Undefined when the capture holds no output for the row (input-only capture, a short answer). */
  readonly prediction: readonly number[] | undefined;
  readonly label: string;
}

/** Counts of the join, for the report. */
export interface JoinCounts {
  /** Requests read. */
  requests: number;
  /** Rows read. */
  rows: number;
  /** Rows that found a label. */
  labeledRows: number;
  /** Labeled rows whose output was missing. */
  withoutPrediction: number;
  /** Labeled rows the capture parser could not read (no features). */
  unreadableRows: number;
  /** Requests the stack made itself (InferenceId `mlops-internal-…`): not traffic, never joined. */
  internalRequests: number;
}

export function emptyJoinCounts(): JoinCounts {
  return {
    requests: 0,
    rows: 0,
    labeledRows: 0,
    withoutPrediction: 0,
    unreadableRows: 0,
    internalRequests: 0,
  };
}

/** The labels of one request, by row, or undefined when it has none. */
export function labelsFor(
  request: CapturedRequest,
  index: LabelIndex,
): readonly (string | undefined)[] | undefined {
  return (
    (request.inferenceId === undefined ? undefined : index.get(request.inferenceId)) ??
    (request.eventId === undefined ? undefined : index.get(request.eventId))
  );
}

/** The id a request's labels were found under (see {@link labelsFor}). */
function matchedId(request: CapturedRequest, index: LabelIndex): string {
  return request.inferenceId !== undefined && index.get(request.inferenceId) !== undefined
    ? request.inferenceId
    : (request.eventId ?? '');
}

/**
 * The labeled rows of one captured request (none when it has no label), for callers that get records one at
 * a time (the capture parser's callback).
 *
 * @param counts - counters to add to
 */
export function joinRequest(request: CapturedRequest, index: LabelIndex, counts: JoinCounts): LabeledRow[] {
  if (request.inferenceId?.startsWith(INTERNAL_INFERENCE_ID_PREFIX)) {
    counts.internalRequests++;
    return [];
  }
  counts.requests++;
  counts.rows += request.rows.length;
  const labels = labelsFor(request, index);
  if (labels === undefined) return [];
  const id = matchedId(request, index);
  const joined: LabeledRow[] = [];
  for (let row = 0; row < request.rows.length; row++) {
    const label = labels[row];
    if (label === undefined) continue;
    const features = request.rows[row];
    if (features === null || features === undefined) {
      counts.unreadableRows++;
      continue;
    }
    const prediction = request.predictions?.[row];
    counts.labeledRows++;
    if (prediction === undefined) counts.withoutPrediction++;
    joined.push({ id, row, inferenceTime: request.inferenceTime, features, prediction, label });
  }
  return joined;
}

/**
 * Streams the labeled rows of the captured requests: one pass, nothing buffered but the label index.
 *
 * @param requests - the captured requests (any order)
 * @param index - the labels
 * @param counts - counters to add to
 */
export async function* joinLabels(
  requests: AsyncIterable<CapturedRequest> | Iterable<CapturedRequest>,
  index: LabelIndex,
  counts: JoinCounts,
): AsyncGenerator<LabeledRow> {
  for await (const request of requests) yield* joinRequest(request, index, counts);
}
