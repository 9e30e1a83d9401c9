import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../../local/events/pattern';

const s3Event = {
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: {
    bucket: { name: 'data' },
    object: { key: 'datasets/churn/jan.csv', size: 1024, 'version-id': 'v1' },
    reason: 'PutObject',
  },
};

describe('matchesPattern (EventBridge semantics)', () => {
  it.each([
    ['exact values at every level', { source: ['aws.s3'], detail: { bucket: { name: ['data'] } } }, true],
    ['one of several values', { source: ['aws.ec2', 'aws.s3'] }, true],
    ['a value that differs', { source: ['aws.ec2'] }, false],
    ['a field the event lacks', { detail: { missing: ['x'] } }, false],
    ['prefix', { detail: { object: { key: [{ prefix: 'datasets/' }] } } }, true],
    ['prefix that does not match', { detail: { object: { key: [{ prefix: 'models/' }] } } }, false],
    [
      'prefix ignoring case',
      { detail: { object: { key: [{ prefix: { 'equals-ignore-case': 'DATASETS/' } }] } } },
      true,
    ],
    ['suffix', { detail: { object: { key: [{ suffix: '.csv' }] } } }, true],
    ['suffix that does not match', { detail: { object: { key: [{ suffix: '.json' }] } } }, false],
    ['wildcard across slashes', { detail: { object: { key: [{ wildcard: 'datasets/*.csv' }] } } }, true],
    [
      'wildcard that does not match',
      { detail: { object: { key: [{ wildcard: 'datasets/*.json' }] } } },
      false,
    ],
    ['wildcard with a literal star', { detail: { object: { key: [{ wildcard: 'datasets/\\*' }] } } }, false],
    ['anything-but a value', { detail: { reason: [{ 'anything-but': 'CopyObject' }] } }, true],
    [
      'anything-but the value',
      { detail: { reason: [{ 'anything-but': ['PutObject', 'CopyObject'] }] } },
      false,
    ],
    [
      'anything-but a prefix',
      { detail: { object: { key: [{ 'anything-but': { prefix: 'tmp/' } }] } } },
      true,
    ],
    ['numeric range', { detail: { object: { size: [{ numeric: ['>', 0, '<=', 1024] }] } } }, true],
    ['numeric outside the range', { detail: { object: { size: [{ numeric: ['>', 1024] }] } } }, false],
    ['exists', { detail: { object: { 'version-id': [{ exists: true }] } } }, true],
    ['exists false on a present field', { detail: { object: { 'version-id': [{ exists: false }] } } }, false],
    ['exists false on an absent field', { detail: { object: { etag: [{ exists: false }] } } }, true],
    ['exists false under an absent parent', { detail: { owner: { id: [{ exists: false }] } } }, true],
    ['exists under an absent parent', { detail: { owner: { id: [{ exists: true }] } } }, false],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'object created' }] }, true],
    [
      '$or, one branch matching',
      { $or: [{ source: ['aws.ec2'] }, { detail: { reason: ['PutObject'] } }] },
      true,
    ],
    ['$or, no branch matching', { $or: [{ source: ['aws.ec2'] }, { detail: { reason: ['Copy'] } }] }, false],
  ])('%s', (_name, pattern, expected) => {
    // Act / Assess
    expect(matchesPattern(pattern, s3Event)).toBe(expected);
  });

  it('matches an array field when any element matches', () => {
    // Act / Assess
    expect(matchesPattern({ resources: ['arn:b'] }, { resources: ['arn:a', 'arn:b'] })).toBe(true);
  });

  it('matches a field of the objects in an array when one element matches', () => {
    // Prepare
    const event = {
      detail: {
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 5 },
        ],
      },
    };

    // Act / Assess
    expect(matchesPattern({ detail: { items: { qty: [{ numeric: ['>', 3] }] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { items: { sku: ['c'] } } }, event)).toBe(false);
  });

  it('refuses operators it does not model instead of guessing', () => {
    // Act
    const match = () =>
      matchesPattern({ detail: { ip: [{ cidr: '10.0.0.0/24' }] } }, { detail: { ip: '10.0.0.1' } });

    // Assess
    expect(match).toThrowError('Event pattern operator "cidr" is not supported by the local runtime');
  });
});
