/**
 * EventBridge -> Lambda targets are asynchronous invocations: the local runtime retries a failing function
 * as its AWS::Lambda::EventInvokeConfig says and then sends Lambda's invocation record to the on-failure
 * destination queue, where it can be found. ReconcileExecution (which closes runs of failed executions) is
 * made to fail by taking its registry table away.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApp } from '../../local/app';
import { LOCAL_CREDENTIALS } from '../../local/aws/s3-client';
import type { InvocationRecord } from '../../local/lambda/async-invoke';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

let app: LocalApp;
let stateDir: string;
const errors: string[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'mlops-async-'));
  const template = synthStack().template.toJSON() as CfnTemplate;
  app = await LocalApp.start({
    template,
    stateDir,
    asyncRetryDelaysMs: [10, 20],
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    observer: { error: (message) => errors.push(message) },
  });
});

afterAll(async () => {
  await app?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('asynchronous invocation of Lambda targets', () => {
  it('retries a failing ReconcileExecution as configured, then sends its invocation record to the on-failure queue', async () => {
    // Prepare: the function's EventInvokeConfig, as synthesized
    const [name, config] =
      [...app.asyncInvokeConfigs].find(([fn]) => fn.includes('ReconcileExecution')) ?? [];
    expect(config?.onFailure).toMatch(/^arn:aws:sqs:/);
    const queue = config?.onFailure ?? '';
    // A failed training execution of an upload, whose run the function cannot read: no registry table.
    const dynamodb = new DynamoDBClient({
      region: app.runtime.resources.env.region,
      endpoint: app.runtime.dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    await dynamodb.send(new DeleteTableCommand({ TableName: app.resources.registryTable }));
    dynamodb.destroy();
    const executionArn = `${app.resources.trainingStateMachine.replace(':stateMachine:', ':execution:')}:x`;
    const upload = {
      bucket: { name: app.resources.dataBucket },
      object: { key: 'datasets/penguins/penguins.csv', 'version-id': 'v1' },
    };
    const event = {
      version: '0',
      id: 'status-change',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: app.runtime.resources.env.account,
      region: app.runtime.resources.env.region,
      time: new Date().toISOString(),
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: app.resources.trainingStateMachine,
        status: 'FAILED',
        input: JSON.stringify({ detail: upload, detailType: 'Object Created', executionArn }),
        error: 'States.Runtime',
        cause: 'x',
      },
    };

    // Act
    await app.deliver(event);
    await app.idle();

    // Assess: Lambda's documented record, as the SQS message body
    const messages = app.queueMessages(queue);
    expect(messages).toHaveLength(1);
    const record = JSON.parse(messages[0]?.Body ?? '{}') as InvocationRecord;
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: expect.stringMatching(new RegExp(`:function:${name}:\\$LATEST$`)),
        condition: 'RetriesExhausted',
        approximateInvokeCount: (config?.maximumRetryAttempts ?? 0) + 1,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: expect.any(String), errorMessage: expect.any(String) },
    });
    expect(record.requestContext.approximateInvokeCount).toBe(3);
    // People find it in the state directory too, and the runtime says where.
    const file = readFileSync(join(stateDir, 'sqs', `${queue.split(':').at(-1)}.jsonl`), 'utf8');
    expect(JSON.parse(file.trim()).Body).toBe(messages[0]?.Body);
    expect(errors).toEqual([expect.stringMatching(/ReconcileExecution.* failed 3 time\(s\).*\.jsonl$/)]);
  });
});
