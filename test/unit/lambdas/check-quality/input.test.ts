import { describe, expect, it } from 'vitest';
import { scheduleInputOf } from '../../../../lambdas/check-quality/input';
import { InvalidInputError } from '../../../../lambdas/shared/runtime/errors';

describe('CheckQuality input', () => {
  it("takes a schedule rule's input as it is", () => {
    const input = { models: '*', exclude: ['a'], time: '2026-11-30T10:00:00Z' };
    expect(scheduleInputOf(input)).toEqual(input);
  });

  it("checks the uploading model up to the event's time on a ground-truth upload (S3 Object Created)", () => {
    const upload = {
      'detail-type': 'Object Created',
      source: 'aws.s3',
      time: '2026-11-30T10:05:00Z',
      detail: {
        bucket: { name: 'data' },
        object: { key: 'ground-truth/churn/2026/11/labels.jsonl', size: 10 },
      },
    };
    expect(scheduleInputOf(upload)).toEqual({ models: ['churn'], time: '2026-11-30T10:05:00Z' });
  });

  it('refuses anything else, naming the fields', () => {
    expect(() => scheduleInputOf({ models: 'churn', time: 'yesterday' })).toThrow(InvalidInputError);
    const dataset = {
      'detail-type': 'Object Created',
      time: '2026-11-30T10:05:00Z',
      detail: { object: { key: 'datasets/churn/x.csv' } },
    };
    expect(() => scheduleInputOf(dataset)).toThrow(/CheckQuality was invoked with an unexpected input/);
  });
});
