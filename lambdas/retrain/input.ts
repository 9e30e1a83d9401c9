/** Retrain's input: the stack's EventBridge events it is the target of. */
import { DRIFT_DETECTED, EVENT_SOURCE, MODEL_QUALITY_DEGRADED, MODEL_REGISTERED } from '../shared/events';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import type { RetrainRequest } from './retrain';

const detailOf = z.object({
  model: z.string().check(z.minLength(1)),
  windowId: z.string().check(z.minLength(1)),
});

/** Step Functions' EventBridge event for an execution's status (the training pipeline's end releases a retrain). */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** The events the retrain rules deliver (only the fields read; the rest of each detail is its publisher's). */
export const retrainEventSchema = z.discriminatedUnion('detail-type', [
  z.object({ source: z.literal(EVENT_SOURCE), 'detail-type': z.literal(DRIFT_DETECTED), detail: detailOf }),
  z.object({
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(MODEL_QUALITY_DEGRADED),
    detail: detailOf,
  }),
  z.object({
    source: z.literal('aws.states'),
    'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
    detail: z.object({
      executionArn: z.string().check(z.minLength(1)),
      status: z.string(),
      input: z.exactOptional(z.nullable(z.string())),
    }),
  }),
  z.object({
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(MODEL_REGISTERED),
    detail: z.object({ model: z.string(), version: z.int(), runId: z.string(), status: z.string() }),
  }),
]);

/** What an event asks for: a retrain decision, or the release of a finished retrain's slot. */
export type RetrainAction =
  | { readonly kind: 'consider'; readonly request: RetrainRequest }
  | {
      readonly kind: 'executionEnded';
      readonly detail: {
        readonly executionArn: string;
        readonly status: string;
        readonly input?: string | null;
      };
    }
  | {
      readonly kind: 'registered';
      readonly detail: {
        readonly model: string;
        readonly version: number;
        readonly runId: string;
        readonly status: string;
      };
    };

/** Reads the event. @throws InvalidInputError for any other event */
export function retrainActionOf(event: unknown): RetrainAction {
  const parsed = parseInput(retrainEventSchema, event, 'Retrain');
  if (parsed['detail-type'] === MODEL_REGISTERED) return { kind: 'registered', detail: parsed.detail };
  if (parsed['detail-type'] === EXECUTION_STATUS_CHANGE)
    return { kind: 'executionEnded', detail: parsed.detail };
  const trigger = parsed['detail-type'] === DRIFT_DETECTED ? 'drift' : 'quality';
  return {
    kind: 'consider',
    request: { model: parsed.detail.model, windowId: parsed.detail.windowId, trigger },
  };
}
