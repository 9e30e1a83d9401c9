/**
 * The local Step Functions API through the real SDK client: StartExecution's name rules and idempotency,
 * DescribeExecution, ListExecutions, and `.waitForTaskToken` Tasks resumed, failed, timed out and kept alive
 * through SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, with the errors the API reference names.
 * Executions run on the local executor with the runtime's own lambda:invoke and task-token integrations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStepFunctionsApi, startLocalStepFunctionsApi } from '../../local/aws/stepfunctions-api';
import type { LocalFunction } from '../../local/lambda/functions';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { ExecutionRegistry, type ExecutionRunner } from '../../local/stepfunctions/executions';
import { LocalStateMachine } from '../../local/stepfunctions/executor';
import { lambdaInvokeIntegration, waitForTaskToken } from '../../local/stepfunctions/integrations';
import { TaskTokens, taskTokenPlaceholder } from '../../local/stepfunctions/task-tokens';

const ACCOUNT = '123456789012';
const MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Callback`;
const OTHER_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Missing`;

/** A callback Task (the deployment's WaitForEndpoint shape) with a timeout, a heartbeat and a Catch. */
const definition = (heartbeatSeconds?: number): StateMachineDefinition =>
  ({
    StartAt: 'Wait',
    States: {
      Wait: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:Callee`,
          Payload: { 'taskToken.$': '$$.Task.Token', 'mode.$': '$.mode' },
        },
        TimeoutSeconds: 2,
        ...(heartbeatSeconds === undefined ? {} : { HeartbeatSeconds: heartbeatSeconds }),
        ResultPath: '$.result',
        Catch: [{ ErrorEquals: ['Callee.Refused'], ResultPath: '$.caught', Next: 'Refused' }],
        End: true,
      },
      Refused: { Type: 'Pass', End: true },
    },
  }) as unknown as StateMachineDefinition;

/** What the callee Lambda saw: its payloads (with the token), in order. */
let received: { taskToken: string; mode: string }[] = [];
let tokens: TaskTokens;
let client: SFNClient;
let api: LocalStepFunctionsApi;
let executions: ExecutionRegistry;
let workDir: string;

/** The callee: answers at once in "inline" mode (before it returns, as the endpoint resumer may). */
const callee: LocalFunction = {
  logicalId: 'Callee',
  functionName: 'Callee',
  entry: 'callee',
  environment: {},
  timeoutSeconds: 3,
  invoke: async (event) => {
    const payload = event as { taskToken: string; mode: string };
    received.push(payload);
    if (payload.mode === 'inline') tokens.sendSuccess(payload.taskToken, JSON.stringify({ inline: true }));
    if (payload.mode === 'crash') throw Object.assign(new Error('boom'), { name: 'CalleeCrashed' });
    return { accepted: true };
  },
};

function runner(heartbeatSeconds?: number): ExecutionRunner {
  const machine = new LocalStateMachine(definition(heartbeatSeconds));
  const invoke = lambdaInvokeIntegration(new Map([['Callee', callee]]))('arn:aws:states:::lambda:invoke');
  if (!invoke) throw new Error('lambda:invoke is not served');
  return (_arn, input, context) =>
    machine.execute(input, {
      context: { ...context, Task: { Token: taskTokenPlaceholder(context.Execution.Id) } },
      tasks: {
        Wait: waitForTaskToken(invoke, tokens, {
          name: 'Wait',
          timeoutSeconds: 2,
          heartbeatSeconds,
          executionArn: () => context.Execution.Id,
        }),
      },
    });
}

async function start(name: string, input: object): Promise<string> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) }),
  );
  return executionArn ?? '';
}

/** The token the callee received for the nth call (0-based), once it has. */
async function tokenOf(index: number): Promise<string> {
  for (let i = 0; i < 200 && received[index] === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  const token = received[index]?.taskToken;
  if (!token) throw new Error(`the callee was not called ${index + 1} time(s)`);
  return token;
}

async function settled(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-sfn-api-'));
  tokens = new TaskTokens();
  executions = new ExecutionRegistry(new Map([['Callback', MACHINE]]), runner(), workDir);
  api = await startLocalStepFunctionsApi({ executions, tokens });
  client = new SFNClient({
    region: 'us-east-1',
    endpoint: api.endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterEach(() => {
  received = [];
  executions.setRunner(runner());
});

afterAll(async () => {
  client?.destroy();
  tokens?.closeAll();
  await executions?.settled();
  await api?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('StartExecution, DescribeExecution, ListExecutions', () => {
  it('runs an execution whose callback Task resumes on SendTaskSuccess with the output sent', async () => {
    // Prepare
    const executionArn = await start('resume-1', { mode: 'wait' });
    const token = await tokenOf(0);

    // Act
    const running = await client.send(new DescribeExecutionCommand({ executionArn }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ ok: 1 }) }));
    const done = await settled(executionArn);

    // Assess
    expect(executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:Callback:resume-1`);
    expect(running).toMatchObject({ status: 'RUNNING', name: 'resume-1', stateMachineArn: MACHINE });
    expect(running.startDate).toBeInstanceOf(Date);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '')).toEqual({ mode: 'wait', result: { ok: 1 } });
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.input ?? '')).toEqual({ mode: 'wait' });
  });

  it('is idempotent for the same name and input while running; otherwise ExecutionAlreadyExists', async () => {
    // Prepare
    const first = await start('idem-1', { mode: 'wait' });

    // Act
    const again = await start('idem-1', { mode: 'wait' });
    const otherInput = start('idem-1', { mode: 'other' });

    // Assess
    expect(again).toBe(first);
    await expect(otherInput).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${first}'`,
    });
    expect(received).toHaveLength(1);
    await client.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(0), output: '{}' }));
    await settled(first);
    // Closed: the name stays taken whatever the input.
    await expect(start('idem-1', { mode: 'wait' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('refuses bad names, unknown or malformed state machine ARNs and input that is not JSON', async () => {
    // Act
    const calls = {
      tooLong: start('x'.repeat(81), {}),
      space: start('with space', {}),
      colon: start('a:b', {}),
      unknown: client.send(new StartExecutionCommand({ stateMachineArn: OTHER_MACHINE })),
      malformed: client.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:s3:::bucket' })),
      input: client.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: '{nope' })),
    };

    // Assess
    await expect(calls.tooLong).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(calls.space).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(calls.colon).rejects.toMatchObject({ name: 'InvalidName', message: "Invalid Name: 'a:b'" });
    await expect(calls.unknown).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${OTHER_MACHINE}'`,
    });
    await expect(calls.malformed).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(calls.input).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    expect(received).toHaveLength(0);
  });

  it('gives an execution without a name a UUID, and lists executions newest first by status', async () => {
    // Prepare
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, input: JSON.stringify({ mode: 'inline' }) }),
    );
    await settled(executionArn ?? '');

    // Act
    const succeeded = await client.send(
      new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: 'SUCCEEDED', maxResults: 1 }),
    );
    const next = await client.send(
      new ListExecutionsCommand({ stateMachineArn: MACHINE, nextToken: succeeded.nextToken }),
    );
    const missing = client.send(
      new DescribeExecutionCommand({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:nope` }),
    );

    // Assess
    expect(executionArn).toMatch(/:execution:Callback:[0-9a-f-]{36}$/);
    expect(succeeded.executions?.map((e) => e.executionArn)).toEqual([executionArn]);
    expect(succeeded.nextToken).toEqual(expect.any(String));
    expect(next.executions?.length).toBeGreaterThan(0);
    await expect(missing).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('keeps names across restarts: a new registry on the same folder still refuses a used name', async () => {
    // Prepare
    const arn = await start('persisted-1', { mode: 'inline' });
    await settled(arn);

    // Act
    const restarted = new ExecutionRegistry(new Map([['Callback', MACHINE]]), runner(), workDir);

    // Assess
    expect(restarted.describe(arn).status).toBe('SUCCEEDED');
    expect(() => restarted.start(MACHINE, 'persisted-1', JSON.stringify({ mode: 'inline' }))).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
  });
});

describe('task tokens', () => {
  it('resumes a Task whose callee answers before its invocation returns', async () => {
    // Act
    const arn = await start('inline-1', { mode: 'inline' });

    // Assess
    expect(JSON.parse((await settled(arn)).output ?? '')).toEqual({
      mode: 'inline',
      result: { inline: true },
    });
  });

  it('fails the Task with the error and cause of SendTaskFailure, as a Catch sees them', async () => {
    // Prepare
    const refused = await start('fail-1', { mode: 'wait' });
    await client.send(
      new SendTaskFailureCommand({ taskToken: await tokenOf(0), error: 'Callee.Refused', cause: 'no way' }),
    );
    const failed = await start('fail-2', { mode: 'wait' });

    // Act
    await client.send(
      new SendTaskFailureCommand({ taskToken: await tokenOf(1), error: 'Other.Error', cause: 'broken' }),
    );

    // Assess
    const caught = await settled(refused);
    expect(caught.status).toBe('SUCCEEDED');
    expect(JSON.parse(caught.output ?? '').caught).toEqual({ Error: 'Callee.Refused', Cause: 'no way' });
    expect(await settled(failed)).toMatchObject({ status: 'FAILED', error: 'Other.Error', cause: 'broken' });
  });

  it('answers TaskTimedOut for a closed token, InvalidToken for garbage, TaskDoesNotExist for an unknown one', async () => {
    // Prepare
    const arn = await start('errors-1', { mode: 'wait' });
    const token = await tokenOf(0);
    const invalidOutput = client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }));
    await expect(invalidOutput).rejects.toMatchObject({ name: 'InvalidOutput' });
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '"first"' }));
    await settled(arn);
    const unknown = new TaskTokens().mint(arn, 'Wait');

    // Act
    const calls = {
      again: client.send(new SendTaskSuccessCommand({ taskToken: token, output: '"second"' })),
      heartbeat: client.send(new SendTaskHeartbeatCommand({ taskToken: token })),
      garbage: client.send(new SendTaskFailureCommand({ taskToken: 'not-a-token' })),
      unknown: client.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' })),
    };

    // Assess
    await expect(calls.again).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(calls.heartbeat).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(calls.garbage).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(calls.unknown).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('times a Task out after its TimeoutSeconds (States.Timeout); the token then answers TaskTimedOut', async () => {
    // Prepare
    const arn = await start('timeout-1', { mode: 'wait' });
    const token = await tokenOf(0);

    // Act
    const done = await settled(arn);

    // Assess
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('keeps a Task alive on heartbeats and times it out when they stop (HeartbeatSeconds)', async () => {
    // Prepare: 1 s heartbeats within a 2 s timeout
    executions.setRunner(runner(1));
    const alive = await start('heartbeat-1', { mode: 'wait' });
    const token = await tokenOf(0);

    // Act: a heartbeat every 0.25 s for 1.5 s, then the answer
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 250));
      await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '"late"' }));
    const silent = await start('heartbeat-2', { mode: 'wait' });

    // Assess
    expect((await settled(alive)).status).toBe('SUCCEEDED');
    expect(await settled(silent)).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
      cause: expect.stringContaining('heartbeat'),
    });
  });

  it('fails the Task with the invocation error when the callee itself fails, and closes its token', async () => {
    // Act
    const arn = await start('crash-1', { mode: 'crash' });
    const done = await settled(arn);

    // Assess
    expect(done).toMatchObject({ status: 'FAILED', error: 'CalleeCrashed' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(0), output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect(tokens.pending).toEqual([]);
  });

  it('says an operation it does not serve is not served', async () => {
    // Act
    const call = client.send(
      new (await import('@aws-sdk/client-sfn')).StopExecutionCommand({ executionArn: 'x' }),
    );

    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('StopExecution is not served'),
    });
  });
});
