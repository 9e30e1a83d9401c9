import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStepFunctionsApi, startLocalStepFunctionsApi } from '../../local/aws/stepfunctions-api';
import { LOCAL_CREDENTIALS } from '../../local/runtime';

describe('the local Step Functions API endpoint', () => {
  let api: LocalStepFunctionsApi;
  const previous = process.env.AWS_ENDPOINT_URL_SFN;

  beforeAll(async () => {
    api = await startLocalStepFunctionsApi();
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
    else process.env.AWS_ENDPOINT_URL_SFN = previous;
    await api?.stop();
  });

  it('answers a Lambda SDK client configured by AWS_ENDPOINT_URL_SFN, saying the call is not served', async () => {
    // Prepare: the variable the runtime gives its in-process Lambdas; without it the call would leave this machine
    process.env.AWS_ENDPOINT_URL_SFN = api.endpoint;
    const client = new SFNClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

    // Act
    const call = client.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Deployment',
        name: 'penguins-v1-0123456789abcdef',
      }),
    );

    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('StartExecution is not served by the local runtime yet'),
    });
    client.destroy();
  });
});
