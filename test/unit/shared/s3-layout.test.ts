import { describe, expect, it } from 'vitest';
import { parseS3Uri, s3Uri } from '../../../lambdas/shared/s3-layout';

describe('s3Uri and parseS3Uri', () => {
  it('round-trips a bucket and a key with folders', () => {
    // Act
    const parsed = parseS3Uri(s3Uri('artifacts', 'runs/churn-1/output/churn-1/output/model.tar.gz'));

    // Assess
    expect(parsed).toEqual({ bucket: 'artifacts', key: 'runs/churn-1/output/churn-1/output/model.tar.gz' });
  });

  it.each(['s3://bucket', 's3://bucket/', 'https://bucket.s3.amazonaws.com/key', 'bucket/key', ''])(
    'refuses %j (an s3:// URI names a bucket and a key)',
    (uri) => {
      // Act + Assess
      expect(parseS3Uri(uri)).toBeUndefined();
    },
  );
});
