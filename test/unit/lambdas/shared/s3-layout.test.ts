import { describe, expect, it } from 'vitest';
import {
  captureFileKey,
  captureFolder,
  captureHour,
  capturePrefix,
  KeyPatterns,
  MonitoringReportFiles,
  parseCaptureKey,
  parseGroundTruthKey,
  parseS3Uri,
  retrainDatasetKey,
  s3Uri,
  windowFolder,
  windowReportKey,
} from '../../../../lambdas/shared/s3-layout';

describe('KeyPatterns', () => {
  it('names ground truth, one file of every run and the retrainer datasets', () => {
    // Act + Assess
    expect(KeyPatterns.groundTruth).toBe('ground-truth/*');
    expect(KeyPatterns.runFile('baseline.json')).toBe('runs/*/baseline.json');
    expect(KeyPatterns.retrainDatasets).toBe('datasets/*/retrain-*');
  });

  it('matches every retrain dataset key with its retrainDatasets pattern', () => {
    // Prepare
    const key = retrainDatasetKey('churn', '2024-05-01T10:00:00.000Z');
    const pattern = new RegExp(`^${KeyPatterns.retrainDatasets.replaceAll('*', '.*')}$`);

    // Act + Assess
    expect(key).toBe('datasets/churn/retrain-2024-05-01T10:00:00.000Z.csv');
    expect(pattern.test(key)).toBe(true);
  });
});

describe('parseGroundTruthKey', () => {
  it('reads the model of a label file, also in sub-folders', () => {
    // Act + Assess
    expect(parseGroundTruthKey('ground-truth/churn/labels.jsonl')).toEqual({ model: 'churn' });
    expect(parseGroundTruthKey('ground-truth/churn/2024/05/labels.csv')).toEqual({ model: 'churn' });
  });

  it.each(['ground-truth/labels.jsonl', 'ground-truth//labels.jsonl', 'datasets/churn/labels.jsonl', ''])(
    'refuses %j (no model folder under ground-truth/)',
    (key) => {
      // Act + Assess
      expect(parseGroundTruthKey(key)).toBeUndefined();
    },
  );
});

describe('monitoring window reports', () => {
  it('puts the drift and quality reports in the window folder', () => {
    // Act + Assess
    expect(windowFolder('churn', 'w1')).toBe('monitoring/churn/w1/');
    expect(windowReportKey('churn', 'w1', MonitoringReportFiles.json)).toBe(
      'monitoring/churn/w1/report.json',
    );
    expect(windowReportKey('churn', 'w1', MonitoringReportFiles.html)).toBe(
      'monitoring/churn/w1/report.html',
    );
    expect(windowReportKey('churn', 'w1', MonitoringReportFiles.quality)).toBe(
      'monitoring/churn/w1/quality.json',
    );
  });
});

describe('capture layout', () => {
  const time = Date.UTC(2024, 4, 1, 9, 7, 5, 42);

  it('names the hour folder and the file of a record, as SageMaker does', () => {
    // Act
    const folder = captureFolder(capturePrefix('churn'), 'churn-endpoint', 'AllTraffic', time);
    const key = captureFileKey(folder, time, 'f3a1');

    // Assess
    expect(captureHour(time)).toBe('2024/05/01/09');
    expect(folder).toBe('capture/churn/churn-endpoint/AllTraffic/2024/05/01/09/');
    expect(key).toBe('capture/churn/churn-endpoint/AllTraffic/2024/05/01/09/07-05-042-f3a1.jsonl');
  });

  it('takes a prefix with or without its trailing slash (DestinationS3Uri has none)', () => {
    // Act + Assess
    expect(captureFolder('capture/churn', 'e', 'v', time)).toBe(
      captureFolder('capture/churn/', 'e', 'v', time),
    );
    expect(captureFileKey('a/b', time, 'u')).toBe('a/b/07-05-042-u.jsonl');
  });

  it('parses a file key back into its endpoint, variant, time and uuid', () => {
    // Prepare
    const key = captureFileKey(captureFolder('capture/churn', 'e1', 'blue', time), time, 'f3a1-77');

    // Act
    const parsed = parseCaptureKey('capture/churn', key);

    // Assess
    expect(parsed).toEqual({
      endpointName: 'e1',
      variantName: 'blue',
      variantFolder: 'capture/churn/e1/blue/',
      time,
      uuid: 'f3a1-77',
    });
  });

  it('parses a key in a variant folder that is not a capture file into its folder only', () => {
    // Act + Assess
    expect(parseCaptureKey('capture/churn/', 'capture/churn/e1/blue/notes.txt')).toEqual({
      endpointName: 'e1',
      variantName: 'blue',
      variantFolder: 'capture/churn/e1/blue/',
    });
  });

  it.each(['capture/churn/loose.jsonl', 'capture/churn//blue/x.jsonl', 'capture/other/e1/blue/x.jsonl'])(
    'refuses %j (not in an endpoint/variant folder under the prefix)',
    (key) => {
      // Act + Assess
      expect(parseCaptureKey('capture/churn', key)).toBeUndefined();
    },
  );

  it('counts a time before 1970 as 1970 in the hour folder', () => {
    // Act + Assess
    expect(captureHour(-5)).toBe('1970/01/01/00');
  });
});

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
