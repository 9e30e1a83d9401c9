import { describe, expect, it } from 'vitest';
import { csvField, csvLine, RetrainRows } from '../../../../lambdas/retrain/dataset';
import { retrainActionOf } from '../../../../lambdas/retrain/input';
import type { DatasetContract } from '../../../../lambdas/shared/dataset-contract';
import type { LabeledRow } from '../../../../lambdas/shared/ground-truth';
import { InvalidInputError } from '../../../../lambdas/shared/runtime/errors';

const encoding = {
  label: { name: 'churned', problemType: 'binary', classes: ['no', 'yes'] },
  features: [
    { name: 'tenure', type: 'numeric' as const },
    { name: 'plan', type: 'categorical' as const, categories: ['basic', 'pro, plus'] },
  ],
};
const contract: DatasetContract = {
  target: 'churned',
  problemType: 'binary',
  columns: [
    { name: 'plan', type: 'categorical', values: ['basic', 'pro, plus'] },
    { name: 'churned', type: 'categorical' },
    { name: 'tenure', type: 'numeric', min: 0, max: 100, nullable: true },
  ],
  labels: ['no', 'yes'],
};
const row = (id: string, features: LabeledRow['features'], label: string, index = 0): LabeledRow => ({
  id,
  row: index,
  inferenceTime: undefined,
  features,
  prediction: [0.5],
  label,
});

describe('RetrainRows', () => {
  it("writes rows in the base dataset's column order, in the contract's terms, quoted as RFC 4180 says", () => {
    const rows = new RetrainRows(['plan', 'churned', 'tenure'], encoding, contract);
    rows.add(row('a', [12, 'pro, plus'], 'yes'));
    rows.add(row('b', [null, 'basic'], '0'));
    expect([...rows.lines()]).toEqual(['"pro, plus",yes,12', 'basic,no,']);
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvLine(['a', 'b\nc'])).toBe('a,"b\nc"');
  });

  it('keeps one row per request row, and identical rows of different requests (they are observations)', () => {
    const rows = new RetrainRows(['plan', 'churned', 'tenure'], encoding, contract);
    rows.add(row('a', [1, 'basic'], 'yes'));
    rows.add(row('a', [1, 'basic'], 'yes'));
    rows.add(row('a', [1, 'basic'], 'yes', 1));
    rows.add(row('b', [1, 'basic'], 'yes'));
    expect(rows.size).toBe(3);
    expect(rows.rejections.duplicateId).toBe(1);
  });

  it('leaves out rows that break the contract or whose label is no class, with examples', () => {
    const rows = new RetrainRows(['plan', 'churned', 'tenure'], encoding, contract);
    rows.add(row('range', [101, 'basic'], 'yes'));
    rows.add(row('unknown', [1, 'gold'], 'yes'));
    rows.add(row('null', [1, null], 'yes'));
    rows.add(row('label', [1, 'basic'], 'maybe'));
    rows.add(row('index', [1, 'basic'], '2'));
    expect(rows.size).toBe(0);
    expect(rows.rejections).toMatchObject({ contract: 3, badLabel: 2 });
    expect(rows.rejections.examples).toEqual([
      'request range row 0, column tenure: 101 is above the maximum 100',
      'request unknown row 0, column plan: "gold" is not an allowed category',
      'request null row 0, column plan: is empty, and the column is not nullable',
    ]);
  });

  it('reads regression labels as numbers', () => {
    const regression = { ...encoding, label: { name: 'spend', problemType: 'regression' } };
    const rows = new RetrainRows(['tenure', 'plan', 'spend'], regression, undefined);
    rows.add(row('a', [1, 'basic'], ' 12.50 '));
    rows.add(row('b', [1, 'basic'], 'lots'));
    expect([...rows.lines()]).toEqual(['1,basic,12.5']);
    expect(rows.rejections.badLabel).toBe(1);
  });
});

describe('retrainActionOf', () => {
  const event = (detailType: string, detail: unknown) => ({
    source: 'serverless-mlops',
    'detail-type': detailType,
    detail,
  });

  it('reads DriftDetected and ModelQualityDegraded as decisions, ModelRegistered as a release', () => {
    expect(retrainActionOf(event('DriftDetected', { model: 'm', windowId: 'w', driftShare: 1 }))).toEqual({
      kind: 'consider',
      request: { model: 'm', windowId: 'w', trigger: 'drift' },
    });
    expect(retrainActionOf(event('ModelQualityDegraded', { model: 'm', windowId: 'w' }))).toMatchObject({
      request: { trigger: 'quality' },
    });
    expect(
      retrainActionOf(
        event('ModelRegistered', { model: 'm', version: 2, runId: 'r', status: 'Approved', metric: 'x' }),
      ),
    ).toEqual({ kind: 'registered', detail: { model: 'm', version: 2, runId: 'r', status: 'Approved' } });
  });

  it("reads the training state machine's status change as a release", () => {
    const ended = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: 'arn:x',
        stateMachineArn: 'arn:sm',
        status: 'FAILED',
        input: '{}',
        error: null,
      },
    };
    expect(retrainActionOf(ended)).toEqual({
      kind: 'executionEnded',
      detail: { executionArn: 'arn:x', status: 'FAILED', input: '{}' },
    });
  });

  it('refuses any other event, naming the field', () => {
    expect(() => retrainActionOf(event('ModelDeployed', { model: 'm' }))).toThrow(InvalidInputError);
    expect(() => retrainActionOf({ ...event('DriftDetected', { model: 'm' }), source: 'aws.s3' })).toThrow(
      /source/,
    );
  });
});
