import { describe, expect, it } from 'vitest';
import { captureRecord, sampled } from '../../../../../local/sagemaker/runtime/capture';

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
