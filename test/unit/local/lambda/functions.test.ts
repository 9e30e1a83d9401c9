import { describe, expect, it } from 'vitest';
import { type LocalFunction, lambdaTask } from '../../../../local/lambda/functions';
import { LocalStateMachine } from '../../../../local/stepfunctions/executor';

class DatasetRejected extends Error {
  override readonly name = 'DatasetRejected';
}

function throwingFunction(error: Error): LocalFunction {
  return {
    logicalId: 'Validate',
    functionName: 'Validate',
    entry: 'validate-dataset',
    environment: {},
    timeoutSeconds: 3,
    invoke: () => Promise.reject(error),
  };
}

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Validate';

describe('Lambda task errors, as Step Functions reports them', () => {
  it('hands a Catch the error type as Error and Lambda’s JSON error document as Cause', async () => {
    // Prepare
    const machine = new LocalStateMachine({
      StartAt: 'Validate',
      States: {
        Validate: {
          Type: 'Task',
          Resource: ARN,
          Catch: [{ ErrorEquals: ['DatasetRejected'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    });
    const task = lambdaTask(throwingFunction(new DatasetRejected('row 3, column "age": not a number')));

    // Act
    const result = await machine.execute({}, { tasks: { Validate: task } });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const caught = (result.output as { error: { Error: string; Cause: string } }).error;
    expect(caught.Error).toBe('DatasetRejected');
    expect(JSON.parse(caught.Cause)).toMatchObject({
      errorType: 'DatasetRejected',
      errorMessage: 'row 3, column "age": not a number',
      trace: expect.arrayContaining([expect.stringContaining('DatasetRejected')]),
    });
  });

  it('fails an execution with the same Error and Cause when nothing catches', async () => {
    // Prepare
    const machine = new LocalStateMachine({
      StartAt: 'Validate',
      States: { Validate: { Type: 'Task', Resource: ARN, End: true } },
    });
    const task = lambdaTask(throwingFunction(new TypeError('boom')));

    // Act
    const result = await machine.execute({}, { tasks: { Validate: task } });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(JSON.parse(result.cause ?? '')).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });
});
