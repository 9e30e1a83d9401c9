import { describe, expect, it } from 'vitest';
import { predictionProblems } from '../../../../lambdas/smoke-test/smoke';

describe('smoke test predictions', () => {
  const binary = { validationUri: 's3://b/k', objective: 'binary:logistic' };

  it('accepts one probability per row, newline- or comma-separated, or as JSON', () => {
    expect(predictionProblems('0.1\n0.9\n0.5\n', 3, binary)).toEqual([]);
    expect(predictionProblems('0.1,0.9,0.5', 3, binary)).toEqual([]);
    expect(predictionProblems('[0.1, 0.9, 5e-1]', 3, binary)).toEqual([]);
  });

  it('names the rows whose value is no probability, and a wrong count', () => {
    expect(predictionProblems('0.1\n1.2\n-0.5\n', 3, binary)).toEqual([
      'row 2: 1.2 is not a probability in [0, 1]',
      'row 3: -0.5 is not a probability in [0, 1]',
    ]);
    expect(predictionProblems('0.1\n0.2\n', 3, binary)[0]).toMatch(
      /^expected 3 prediction\(s\) of 1 value\(s\) for 3 row\(s\), got 2/,
    );
  });

  it('checks multiclass probabilities per row and class indexes, and regression values are finite', () => {
    const softprob = { validationUri: 's3://b/k', objective: 'multi:softprob', numClass: 3 };
    expect(predictionProblems('0.2,0.3,0.5\n0.1,0.1,0.8\n', 2, softprob)).toEqual([]);
    expect(predictionProblems('0.2,0.3,0.6\n0.1,0.1,0.8\n', 2, softprob)).toEqual([
      'row 1: probabilities sum to 1.1, not 1',
    ]);
    expect(predictionProblems('0.2,0.8\n0.1,0.9\n', 2, softprob)[0]).toMatch(
      /^expected 2 prediction\(s\) of 3 value\(s\)/,
    );
    const softmax = { validationUri: 's3://b/k', objective: 'multi:softmax', numClass: 3 };
    expect(predictionProblems('0\n2\n', 2, softmax)).toEqual([]);
    expect(predictionProblems('0\n3\n', 2, softmax)).toEqual(['row 2: 3 is not a class index below 3']);
    const regression = { validationUri: 's3://b/k', objective: 'reg:squarederror' };
    expect(predictionProblems('12.5\n-3\n', 2, regression)).toEqual([]);
    expect(predictionProblems('12.5\nNaN\n', 2, regression)).toEqual(['row 2: not a finite number (NaN)']);
  });
});
