import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { modelFromKey, runIdFor } from '../../../lambdas/start-run/start-run';

const SAGEMAKER_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

describe('modelFromKey', () => {
  it.each([
    ['datasets/churn/2026-11-01.csv', 'churn'],
    ['datasets/fraud-v2/data.CSV', 'fraud-v2'],
    ['datasets/a/x.csv', 'a'],
    [`datasets/${'m'.repeat(32)}/x.csv`, 'm'.repeat(32)],
  ])('%s -> %s', (key, model) => {
    // Act + Assess
    expect(modelFromKey(key)).toBe(model);
  });

  it.each([
    ['datasets/a.csv', 'names no model folder'],
    ['datasets/Bad Model/x.csv', 'has "Bad Model" as the model, which is not a valid model name'],
    ['datasets/m/sub/x.csv', 'is 2 folders deep instead of one'],
    ['datasets/../x.csv', 'has ".." as the model'],
    ['datasets/m/../../x.csv', 'is 3 folders deep instead of one'],
    ['../datasets/m/x.csv', 'is not under datasets/'],
    ['datasets//x.csv', 'has "" as the model'],
    ['datasets/-m/x.csv', 'has "-m" as the model'],
    ['datasets/m-/x.csv', 'has "m-" as the model'],
    ['datasets/Churn/x.csv', 'has "Churn" as the model'],
    [
      `datasets/${'m'.repeat(33)}/x.csv`,
      `has "${'m'.repeat(33)}" as the model, which is not a valid model name`,
    ],
    ['datasets/m/schema.json', 'does not name a .csv file'],
    ['datasets/m/.csv', 'does not name a .csv file'],
    ['datasets/m/', 'does not name a .csv file'],
    ['other/m/x.csv', 'is not under datasets/'],
  ])('rejects %s (%s)', (key, problem) => {
    // Act
    const act = () => modelFromKey(key);

    // Assess: DatasetRejected, naming the key and the expected layout
    expect(act).toThrow(expect.objectContaining({ name: 'DatasetRejected' }));
    expect(act).toThrow(`Object key "${key}" ${problem}`);
    expect(act).toThrow('expected datasets/<model>/<file>.csv');
  });
});

describe('runIdFor', () => {
  const dataset = { bucket: 'data-bucket', key: 'datasets/churn/x.csv', versionId: 'v1' };

  it('is the model plus 16 hex chars of sha256("<bucket>/<key>#<versionId>")', () => {
    // Prepare
    const expected = createHash('sha256')
      .update('data-bucket/datasets/churn/x.csv#v1')
      .digest('hex')
      .slice(0, 16);

    // Act
    const runId = runIdFor('churn', dataset);

    // Assess
    expect(runId).toBe(`churn-${expected}`);
  });

  it('is the same for the same object version and differs for a new version', () => {
    // Act
    const first = runIdFor('churn', dataset);
    const again = runIdFor('churn', { ...dataset });
    const newVersion = runIdFor('churn', { ...dataset, versionId: 'v2' });

    // Assess
    expect(again).toBe(first);
    expect(newVersion).not.toBe(first);
  });

  it('fits a SageMaker training job name for the longest model name (at most 49 characters)', () => {
    // Act
    const runId = runIdFor('m'.repeat(32), dataset);

    // Assess
    expect(runId).toHaveLength(49);
    expect(runId).toMatch(SAGEMAKER_JOB_NAME);
  });
});
