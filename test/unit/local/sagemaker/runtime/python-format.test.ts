import { describe, expect, it } from 'vitest';
import { float32, pythonFloat } from '../../../../../local/sagemaker/runtime/python-format';

describe('numbers as the XGBoost container prints them', () => {
  it("writes Python's repr of a float", () => {
    // Checked against CPython 3: repr(float(x)).
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [1, '1.0'],
      [2, '2.0'],
      [-3.25, '-3.25'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1.5e-7, '1.5e-07'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [123456789012345680, '1.2345678901234568e+17'],
      [0, '0.0'],
      [Number.NaN, 'nan'],
    ];
    for (const [value, repr] of cases) expect(pythonFloat(value)).toBe(repr);
  });

  it('prints predictions as float32 values widened to double (numpy tolist)', () => {
    expect(float32(0.1)).toBe('0.10000000149011612');
    expect(float32(0.43861907720565796)).toBe('0.43861907720565796');
  });
});
