import { describe, expect, it } from 'vitest';
import { describeFailure, MAX_REASON_CHARS, truncate } from '../../../../lambdas/shared/failures';

describe('describeFailure', () => {
  it('takes FailureReason and TrainingJobStatus from a SageMaker DescribeTrainingJob cause', () => {
    // Prepare: what createTrainingJob.sync leaves in the Catch for a failed job
    const cause = JSON.stringify({
      TrainingJobName: 'churn-0123456789abcdef',
      TrainingJobStatus: 'Failed',
      SecondaryStatus: 'Failed',
      FailureReason: 'AlgorithmError: framework error: label column not found',
      AlgorithmSpecification: { TrainingImage: 'image', TrainingInputMode: 'File' },
    });

    // Act
    const failure = describeFailure({ Error: 'States.TaskFailed', Cause: cause });

    // Assess
    expect(failure).toEqual({
      error: 'States.TaskFailed',
      reason:
        'SageMaker training job churn-0123456789abcdef Failed: AlgorithmError: framework error: label column not found',
      source: 'sagemaker',
    });
  });

  it('explains a stopped training job without a FailureReason by its statuses', () => {
    // Prepare
    const cause = JSON.stringify({
      TrainingJobName: 'churn-0123456789abcdef',
      TrainingJobStatus: 'Stopped',
      SecondaryStatus: 'MaxRuntimeExceeded',
    });

    // Act
    const failure = describeFailure({ Error: 'States.TaskFailed', Cause: cause });

    // Assess
    expect(failure.reason).toBe(
      'SageMaker training job churn-0123456789abcdef ended with status Stopped (MaxRuntimeExceeded) and no failure reason',
    );
  });

  it('takes the errorMessage from a Lambda error cause', () => {
    // Prepare
    const cause = JSON.stringify({
      errorType: 'DatasetRejected',
      errorMessage: 'datasets/churn/x.csv: row 12, column "age": "abc" is not a number',
      trace: ['DatasetRejected: ...', '    at validate (/var/task/index.js:1:2)'],
    });

    // Act
    const failure = describeFailure({ Error: 'DatasetRejected', Cause: cause });

    // Assess
    expect(failure).toEqual({
      error: 'DatasetRejected',
      reason: 'datasets/churn/x.csv: row 12, column "age": "abc" is not a number',
      source: 'lambda',
    });
  });

  it('keeps a plain cause as it is', () => {
    // Act
    const failure = describeFailure({ Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' });

    // Assess
    expect(failure).toEqual({
      error: 'States.Timeout',
      reason: 'Task timed out after 60.00 seconds',
      source: 'other',
    });
  });

  it.each([
    ['JSON that is neither shape', '{"message":"x"}', '{"message":"x"}'],
    ['a cause that only looks like JSON', '{not json', '{not json'],
    ['a JSON array', '[1,2]', '[1,2]'],
  ])('treats %s as a plain cause', (_name, cause, reason) => {
    // Act
    const failure = describeFailure({ Error: 'SageMaker.AmazonSageMakerException', Cause: cause });

    // Assess
    expect(failure).toMatchObject({ reason, source: 'other' });
  });

  it('falls back to the error name when there is no cause', () => {
    // Act
    const failure = describeFailure({ Error: 'States.HeartbeatTimeout' });

    // Assess
    expect(failure.reason).toBe('States.HeartbeatTimeout (no cause given)');
  });

  it('truncates a huge cause to a bounded reason', () => {
    // Prepare
    const cause = 'x'.repeat(40_000);

    // Act
    const failure = describeFailure({ Error: 'States.TaskFailed', Cause: cause });

    // Assess
    expect(failure.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(failure.reason).toMatch(/\.\.\. \[\d+ more characters\]$/);
  });

  it('truncates a huge Lambda errorMessage too', () => {
    // Prepare
    const cause = JSON.stringify({ errorType: 'DatasetRejected', errorMessage: 'problem; '.repeat(5_000) });

    // Act
    const failure = describeFailure({ Error: 'DatasetRejected', Cause: cause });

    // Assess
    expect(failure.source).toBe('lambda');
    expect(failure.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    // Act + Assess
    expect(truncate('short', 10)).toBe('short');
  });

  it('says how many characters it cut, and stays within the limit', () => {
    // Act
    const text = truncate('a'.repeat(100), 40);

    // Assess
    expect(text.length).toBeLessThanOrEqual(40);
    expect(text).toBe(`${'a'.repeat(15)}... [85 more characters]`);
  });

  it('does not split a surrogate pair', () => {
    // Prepare: an emoji is two UTF-16 code units
    const text = `${'a'.repeat(16)}${'😀'.repeat(20)}`;

    // Act
    const cut = truncate(text, 40);

    // Assess: no lone high surrogate before the marker
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
