import { describe, expect, it } from 'vitest';
import { BuiltInXgboost } from '../../../local/sagemaker/runtime/built-in-xgboost';
import { captureRecord, sampled } from '../../../local/sagemaker/runtime/capture';
import { float32, pythonFloat } from '../../../local/sagemaker/runtime/python-format';
import { fitModel, predict } from '../../../local/trainers/xgboost/gbdt';

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

describe('data capture records', () => {
  const invocation = {
    endpointName: 'penguins',
    variantName: 'AllTraffic',
    input: { body: Buffer.from('1,2'), contentType: 'text/csv' },
    output: { body: Buffer.from('0.5\n'), contentType: 'text/csv; charset=utf-8' },
    time: Date.UTC(2026, 10, 30, 14, 5, 7, 250),
  };

  it('base64-encodes payloads whose content type no CaptureContentTypeHeader lists', () => {
    const record = JSON.parse(
      captureRecord(
        {
          ...invocation,
          config: {
            InitialSamplingPercentage: 100,
            DestinationS3Uri: 's3://b/p',
            CaptureOptions: [{ CaptureMode: 'InputAndOutput' }],
          },
        },
        'id-1',
      ),
    );
    expect(record).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: 'MSwy', encoding: 'BASE64' },
        endpointOutput: {
          observedContentType: 'text/csv; charset=utf-8',
          mode: 'OUTPUT',
          data: 'MC41Cg==',
          encoding: 'BASE64',
        },
      },
      eventMetadata: { eventId: 'id-1', inferenceTime: '2026-11-30T14:05:07Z' },
      eventVersion: '0',
    });
  });

  it('keeps only the captured side, and samples by InitialSamplingPercentage while enabled', () => {
    const record = JSON.parse(
      captureRecord({
        ...invocation,
        config: {
          InitialSamplingPercentage: 100,
          DestinationS3Uri: 's3://b/p',
          CaptureOptions: [{ CaptureMode: 'Output' }],
          CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
        },
      }),
    );
    expect(Object.keys(record.captureData)).toEqual(['endpointOutput']);
    expect(record.captureData.endpointOutput.data).toBe('0.5\n');
    const config = { InitialSamplingPercentage: 30, DestinationS3Uri: 's3://b/p', CaptureOptions: [] };
    expect(sampled(config, () => 0.29)).toBe(true);
    expect(sampled(config, () => 0.3)).toBe(false);
    expect(sampled({ ...config, EnableCapture: false }, () => 0)).toBe(false);
    expect(sampled(undefined)).toBe(false);
  });
});
