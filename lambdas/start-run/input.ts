/**
 * StartRun's input schema: what the state machine passes (`{detail, detailType, executionArn}`) and the
 * two event details that start a run.
 */
import {
  OBJECT_CREATED,
  objectCreatedDetailSchema,
  RUN_RETRY_REQUESTED,
  runRetryRequestedDetailSchema,
} from '../shared/events';
import * as z from '../shared/zod';

/** `{detail, detailType, executionArn}`, the detail parsed by its detail type. */
export const startRunInputSchema = z.discriminatedUnion('detailType', [
  z.object({
    detailType: z.literal(OBJECT_CREATED),
    detail: objectCreatedDetailSchema,
    executionArn: z.string().check(z.minLength(1)),
  }),
  z.object({
    detailType: z.literal(RUN_RETRY_REQUESTED),
    detail: runRetryRequestedDetailSchema,
    executionArn: z.string().check(z.minLength(1)),
  }),
]);
export type ParsedStartRunInput = z.output<typeof startRunInputSchema>;
