/** CheckQuality's inputs: a monitoring schedule's target input, or a ground-truth upload's S3 event. */
import type { MonitoringScheduleInput } from '../shared/model-settings';
import { parseInput } from '../shared/runtime/errors';
import { Prefixes, parseGroundTruthKey } from '../shared/s3-layout';
import * as z from '../shared/zod';

/** The schedule rule's target input (MonitoringScheduleInput in lambdas/shared/model-settings.ts). */
export const scheduleSchema = z.object({
  models: z.union([z.literal('*'), z.array(z.string())]),
  exclude: z.exactOptional(z.array(z.string())),
  time: z.iso.datetime({ offset: true }),
});

/** S3's `Object Created` event (EventBridge), for a ground-truth upload. */
export const uploadSchema = z.object({
  'detail-type': z.literal('Object Created'),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({ object: z.object({ key: z.string().check(z.startsWith(Prefixes.groundTruth)) }) }),
});

/** Either input as a schedule input: an upload checks its model up to the event's time. */
export function scheduleInputOf(event: unknown): MonitoringScheduleInput {
  const upload = z.safeParse(uploadSchema, event);
  if (upload.success) {
    const model = parseGroundTruthKey(upload.data.detail.object.key)?.model;
    return { models: model === undefined ? [] : [model], time: upload.data.time };
  }
  return parseInput(scheduleSchema, event, 'CheckQuality');
}
