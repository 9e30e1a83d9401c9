import { describe, expect, it } from 'vitest';
import { between, duration, num, usd } from '../../../../../../local/console/ui/app/format';

describe('the console formats', () => {
  it.each([
    [78, '78 ms'],
    [5_600, '5.6 s'],
    [184_000, '3 min 4 s'],
    [3_720_000, '1 h 2 min'],
  ])('a duration of %d ms as %j', (ms, text) => {
    // Act + Assess
    expect(duration(ms)).toBe(text);
  });

  it('a duration between two timestamps, and nothing while the second is unknown', () => {
    // Act + Assess
    expect(between('2026-11-30T12:00:00Z', '2026-11-30T12:00:01.500Z')).toBe('1.5 s');
    expect(between('2026-11-30T12:00:00Z', undefined)).toBe('');
  });

  it('costs in dollars, keeping the fractions of a cent local runs cost', () => {
    // Act + Assess
    expect(usd(1.234)).toBe('$1.23');
    expect(usd(0.00038)).toBe('$0.00038');
    expect(usd(undefined)).toBe('');
  });

  it('metric values with four significant digits at most, integers as they are', () => {
    // Act + Assess
    expect(num(0.028985507)).toBe('0.02899');
    expect(num(12)).toBe('12');
    expect(num(Number.NaN)).toBe('');
  });
});
