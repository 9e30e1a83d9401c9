import { describe, expect, it } from 'vitest';
import {
  conflictsWithPartial,
  featureColumns,
  parseDatasetContract,
  parseDatasetContractJson,
} from '../../../../lambdas/shared/dataset-contract';

const valid = {
  target: 'churned',
  problemType: 'binary',
  columns: [
    { name: 'age', type: 'numeric', min: 0, max: 130 },
    { name: 'churned', type: 'categorical' },
    { name: 'plan', type: 'categorical', nullable: true, values: ['basic', 'pro'] },
  ],
  labels: ['no', 'yes'],
};

function errorsOf(input: unknown): readonly string[] {
  const result = parseDatasetContract(input);
  return result.ok ? [] : result.errors;
}

describe('parseDatasetContract', () => {
  it('accepts a complete contract and keeps the column order', () => {
    // Act
    const result = parseDatasetContract(valid);

    // Assess
    expect(result.ok && result.contract !== undefined).toBe(true);
    if (!result.ok || result.contract === undefined) return;
    expect(result.contract.labels).toEqual(['no', 'yes']);
    expect(featureColumns(result.contract).map((c) => c.name)).toEqual(['age', 'plan']);
  });

  it('turns numeric labels into the text they are compared with', () => {
    // Act
    const result = parseDatasetContract({ ...valid, labels: [0, 1] });

    // Assess
    expect(result.ok && result.contract?.labels).toEqual(['0', '1']);
  });

  it('names the field and the allowed values for an unknown column type', () => {
    // Prepare
    const columns = [...valid.columns, { name: 'score', type: 'float' }];

    // Act
    const errors = errorsOf({ ...valid, columns });

    // Assess
    expect(errors).toEqual(['columns[3].type: "float" is not allowed (expected "numeric" or "categorical")']);
  });

  it('reports missing and unknown fields', () => {
    // Act
    const errors = errorsOf({ columns: [{ name: 'a', type: 'numeric', colour: 'red' }], extra: true });

    // Assess
    expect(errors).toEqual(
      expect.arrayContaining([
        'target: is required (expected a string)',
        'problemType: is required (expected "binary", "multiclass" or "regression")',
        'columns[0].colour: unknown field',
        'extra: unknown field',
      ]),
    );
  });

  it('reports every cross-field problem with its field', () => {
    // Prepare
    const input = {
      target: 'y',
      problemType: 'binary',
      columns: [
        { name: 'a', type: 'numeric', values: ['x'], min: 5, max: 1 },
        { name: 'a', type: 'categorical', min: 1 },
        { name: 'c', type: 'categorical', values: ['p', 'p'] },
      ],
      labels: ['0', '1', '2'],
    };

    // Act
    const errors = errorsOf(input);

    // Assess
    expect(errors).toEqual([
      'columns[0].values: only allowed for categorical columns',
      'columns[0].min: 5 is greater than max 1',
      'columns[1].name: "a" is a duplicate of columns[0].name',
      'columns[1].min: only allowed for numeric columns',
      'columns[2].values: "p" is listed twice',
      'target: "y" is not one of the columns',
      'labels: a binary problem needs exactly 2 labels, got 3',
    ]);
  });

  it('rejects a nullable target, a text regression target and labels for regression', () => {
    // Prepare
    const input = {
      target: 'y',
      problemType: 'regression',
      columns: [{ name: 'y', type: 'categorical', nullable: true }],
      labels: ['a', 'b'],
    };

    // Act
    const errors = errorsOf(input);

    // Assess
    expect(errors).toEqual([
      'columns[0].nullable: the target column cannot be nullable',
      'columns[0].type: the target of a regression must be "numeric"',
      'labels: only allowed when problemType is "binary" or "multiclass"',
    ]);
  });

  it('reports a non-object and empty lists', () => {
    // Act
    const root = errorsOf(5);
    const empty = errorsOf({ target: 'y', problemType: 'multiclass', columns: [] });

    // Assess
    expect(root).toEqual(['(root): expected an object, got 5']);
    expect(empty).toEqual(['columns: needs at least 1 item', 'target: "y" is not one of the columns']);
  });

  it('reports invalid JSON text', () => {
    // Act
    const result = parseDatasetContractJson('{"target": ');

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatch(/^\(root\): is not valid JSON: /);
    expect(!result.ok && result.issues[0]?.path).toBe('(root)');
  });

  it('gives every error as a path and a message, and as one line', () => {
    // Act
    const result = parseDatasetContract({
      ...valid,
      columns: [...valid.columns, { name: 'x', type: 'float' }],
    });

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'columns[3].type', message: '"float" is not allowed (expected "numeric" or "categorical")' },
    ]);
    expect(result.errors).toEqual(result.issues.map((issue) => `${issue.path}: ${issue.message}`));
  });
});

describe('parseDatasetContract: a declaration without columns (partial)', () => {
  it('accepts the target alone, or with the problem type and labels', () => {
    // Act
    const alone = parseDatasetContract({ target: 'churned' });
    const more = parseDatasetContract({
      $schema: 'x',
      target: 'churned',
      problemType: 'binary',
      labels: [0, 1],
      description: 'd',
    });

    // Assess
    expect(alone).toEqual({ ok: true, partial: { target: 'churned' } });
    expect(more).toEqual({
      ok: true,
      partial: { target: 'churned', problemType: 'binary', labels: ['0', '1'], description: 'd' },
    });
  });

  it('reports every problem of a partial declaration with its field', () => {
    // Act
    const errors = errorsOf({ problemType: 'regression', labels: ['a', 'a'], colour: 'red' });
    const labels = errorsOf({ target: 'y', problemType: 'regression', labels: ['a', 'a'] });

    // Assess
    expect(errors).toEqual(
      expect.arrayContaining(['target: is required (expected a string)', 'colour: unknown field']),
    );
    expect(labels).toEqual([
      'labels: only allowed when problemType is "binary" or "multiclass"',
      'labels: "a" is listed twice',
    ]);
  });

  it('treats a declaration with columns as a full contract (columns: [] is an error, not a partial)', () => {
    // Act
    const errors = errorsOf({ target: 'y', columns: [] });

    // Assess
    expect(errors).toContain('columns: needs at least 1 item');
    expect(errors).toContain('problemType: is required (expected "binary", "multiclass" or "regression")');
  });
});

describe('conflictsWithPartial', () => {
  it('lists where a partial declaration and a full contract disagree', () => {
    // Prepare
    const contract = parseDatasetContract(valid).contract;
    if (contract === undefined) throw new Error('valid contract expected');

    // Act + Assess
    expect(conflictsWithPartial({ target: 'churned' }, contract)).toEqual([]);
    expect(
      conflictsWithPartial({ target: 'churned', problemType: 'binary', labels: ['no', 'yes'] }, contract),
    ).toEqual([]);
    expect(
      conflictsWithPartial({ target: 'age', problemType: 'multiclass', labels: ['yes', 'no'] }, contract),
    ).toEqual([
      'target: declared "age", the contract has "churned"',
      'problemType: declared "multiclass", the contract has "binary"',
      'labels: declared ["yes","no"], the contract has ["no","yes"]',
    ]);
  });
});
