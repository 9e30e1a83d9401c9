import { describe, expect, it } from 'vitest';
import { BuiltInXgboost } from '../../../../../local/sagemaker/runtime/built-in-xgboost';
import { float32 } from '../../../../../local/sagemaker/runtime/python-format';
import { fitModel, predict } from '../../../../../local/trainers/xgboost/gbdt';

describe('the built-in XGBoost container, in-process', () => {
  const features = Array.from({ length: 40 }, (_, i) => [i % 8, Math.floor(i / 8)]);
  const softmax = fitModel(
    features,
    features.map(([x = 0]) => (x < 3 ? 0 : x < 6 ? 1 : 2)),
    { objective: 'multi:softmax', numClass: 3, numRound: 3 },
  );
  const binary = fitModel(
    features,
    features.map(([x = 0]) => (x > 3 ? 1 : 0)),
    { objective: 'binary:logistic', numRound: 3 },
  );

  it('answers multi:softmax with the class index per row, as Python prints a float', () => {
    const answer = new BuiltInXgboost(softmax).invoke(Buffer.from('1,1\n7,1\n'), 'text/csv', undefined);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('0.0\n2.0\n');
  });

  it('takes label_size=1 CSV and libsvm, and refuses another label_size', () => {
    const scorer = new BuiltInXgboost(binary);
    const csv = scorer.invoke(Buffer.from('6,2'), 'text/csv;label_size=1', 'text/csv').body.toString();
    expect(csv).toBe(`${float32(predict(binary, [[6, 2]])[0] ?? 0)}\n`);
    const libsvm = scorer.invoke(Buffer.from('1 0:6 1:2\n0 1:2'), 'text/libsvm', undefined);
    expect(libsvm.body.toString()).toBe(
      Array.from(
        predict(binary, [
          [6, 2],
          [Number.NaN, 2],
        ]),
        (p) => `${float32(p)}\n`,
      ).join(''),
    );
    const refused = scorer.invoke(Buffer.from('6,2'), 'text/csv; label_size=2', undefined);
    expect(refused.status).toBe(415);
    expect(refused.body.toString()).toBe(
      'text/csv; label_size=2 is not an accepted csv ContentType. Optional parameter label_size must be equal to 1',
    );
    const outOfRange = scorer.invoke(Buffer.from('0:1 5:2'), 'text/libsvm', undefined);
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.toString()).toContain('row 1 has feature 5, the model has 2 features');
  });

  it('uses SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT when the request accepts anything', () => {
    const scorer = new BuiltInXgboost(binary, { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'application/json' });
    const answer = scorer.invoke(Buffer.from('6,2'), 'text/csv', '*/*');
    expect(answer.contentType).toBe('application/json');
    expect(answer.body.toString()).toMatch(/^\{"predictions": \[\{"score": 0\.\d+\}\]\}$/);
  });

  it('names the JSON instance and feature that is not a number, and answers an empty body with 204', () => {
    const scorer = new BuiltInXgboost(binary);
    const answer = scorer.invoke(
      Buffer.from('{"instances": [{"features": [1, 2]}, {"features": [1, "x"]}]}'),
      'application/json',
      undefined,
    );
    expect(answer.status).toBe(415);
    expect(answer.body.toString()).toBe(
      'Loading json data failed: instance 2, feature 2 is "x", not a number',
    );
    expect(scorer.invoke(Buffer.alloc(0), 'text/csv', undefined).status).toBe(204);
  });
});
