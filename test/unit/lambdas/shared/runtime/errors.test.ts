import { describe, expect, it } from 'vitest';
import { PipelineErrors } from '../../../../../lambdas/shared/pipeline';
import {
  contractMissing,
  datasetRejected,
  isPipelineError,
  metricMissing,
  PipelineError,
} from '../../../../../lambdas/shared/runtime/errors';

describe('PipelineError', () => {
  it.each([
    [datasetRejected('bad row'), PipelineErrors.datasetRejected, 'bad row'],
    [contractMissing('no target'), PipelineErrors.contractMissing, 'no target'],
    [metricMissing('validation:auc', []), PipelineErrors.metricMissing, 'validation:auc'],
  ])('carries the Step Functions error name %#', (error, name, message) => {
    // Assess: the Lambda runtime reports error.name as the errorType that Catch/Retry match
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toContain(message);
    expect(isPipelineError(error)).toBe(true);
    expect(isPipelineError(error, name)).toBe(true);
  });

  it('is not confused with other errors', () => {
    // Act + Assess
    expect(isPipelineError(new Error('x'))).toBe(false);
    expect(isPipelineError(datasetRejected('x'), PipelineErrors.metricMissing)).toBe(false);
    expect(isPipelineError('DatasetRejected')).toBe(false);
  });

  it('keeps the cause', () => {
    // Prepare
    const cause = new Error('root');

    // Act
    const error = datasetRejected('bad', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });
});
