import { describe, expect, it } from 'vitest';
import { datasetEncodingSchema } from '../../../../lambdas/shared/encoding';
import { DamagedArtifactError, parseArtifact } from '../../../../lambdas/shared/s3-json';
import type { DatasetEncoding } from '../../../../lambdas/validate-dataset/report';

const encoding: DatasetEncoding = {
  formatVersion: 1,
  format: 'xgboost-csv',
  label: { name: 'churned', problemType: 'binary', classes: ['no', 'yes'] },
  features: [
    { name: 'tenure', type: 'numeric' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
  ],
};

describe('parseArtifact', () => {
  it('returns the encoding the validator writes, as it was', () => {
    // Act
    const parsed: DatasetEncoding = parseArtifact(
      datasetEncodingSchema,
      encoding,
      's3://a/runs/r/encoding.json',
    );

    // Assess
    expect(parsed).toEqual(encoding);
  });

  it('names the object and every wrong field of a damaged one', () => {
    // Prepare
    const damaged = { ...encoding, features: [{ name: 'tenure', type: 'text' }], label: { name: 'churned' } };

    // Act
    const parse = () => parseArtifact(datasetEncodingSchema, damaged, 's3://a/runs/r/encoding.json');

    // Assess
    expect(parse).toThrow(DamagedArtifactError);
    expect(parse).toThrow(
      /^s3:\/\/a\/runs\/r\/encoding\.json is damaged: label\.problemType: .*; features\.0\.type: /,
    );
  });
});
