/** The local Step Functions executions and task tokens, without servers: the rules the API answers with. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecutionRegistry, type ExecutionRunner } from '../../../../local/stepfunctions/executions';
import type { ExecutionResult } from '../../../../local/stepfunctions/executor';
import { TaskTokens, withToken } from '../../../../local/stepfunctions/task-tokens';

const LOCAL_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:TrainingStateMachine1';
/** The same state machine as a template names it: its StateMachineName, the synth account. */
const NAMED_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:ServerlessMlops-Training';
const MACHINES = new Map([
  ['TrainingStateMachine1', LOCAL_ARN],
  ['ServerlessMlops-Training', LOCAL_ARN],
]);
const succeeded: ExecutionRunner = async (_arn, input) =>
  ({ status: 'SUCCEEDED', output: input, events: [], stateTransitions: 1 }) as ExecutionResult;

describe('ExecutionRegistry', () => {
  it('takes names of 1 to 80 characters without whitespace, brackets, wildcards, specials or controls', () => {
    // Prepare
    const registry = new ExecutionRegistry(MACHINES, succeeded);

    // Act
    const start = (name: string) => () => registry.start(LOCAL_ARN, name, '{}');

    // Assess
    expect(start('a'.repeat(80))).not.toThrow();
    expect(start('penguins-v1-0123456789abcdef')).not.toThrow();
    for (const bad of [
      '',
      'a'.repeat(81),
      'tab\there',
      'a[1]',
      'what?',
      'a#b',
      'x/y',
      'bell\u0007',
      'c1\u0085',
    ])
      expect(start(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ name: 'InvalidName' }));
  });

  it("runs a state machine called by its template's name and account as the runtime's", async () => {
    // Prepare
    const ran: string[] = [];
    const registry = new ExecutionRegistry(MACHINES, async (arn, input, context) => {
      ran.push(`${arn} ${context.Execution.Id}`);
      return succeeded(arn, input, context);
    });

    // Act
    const { execution, result } = registry.start(NAMED_ARN, 'run-1', '{"a":1}');
    await result;

    // Assess
    expect(execution.executionArn).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:ServerlessMlops-Training:run-1',
    );
    expect(ran).toEqual([`${LOCAL_ARN} ${execution.executionArn}`]);
    expect(registry.describe(execution.executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"a":1}',
    });
    // Listed under either name of the state machine.
    expect(registry.list({ stateMachineArn: LOCAL_ARN }).executions).toHaveLength(1);
  });

  it('ends an execution whose runner throws at once as ABORTED, with the reason as its cause', async () => {
    // Prepare
    const registry = new ExecutionRegistry(MACHINES, () => {
      throw new Error('No local handler for Task state(s): Mystery');
    });

    // Act
    const { execution, result } = registry.start(LOCAL_ARN, 'broken', '{}');

    // Assess
    await expect(result).rejects.toThrow('Mystery');
    expect(registry.describe(execution.executionArn)).toMatchObject({
      status: 'ABORTED',
      cause: 'No local handler for Task state(s): Mystery',
    });
  });

  it('finds executions left RUNNING by a runtime that stopped ABORTED, their names still taken', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'mlops-executions-'));
    const arn = `${LOCAL_ARN.replace(':stateMachine:', ':execution:')}:left`;
    writeFileSync(
      join(dir, 'executions.json'),
      JSON.stringify([
        {
          executionArn: arn,
          stateMachineArn: LOCAL_ARN,
          machine: LOCAL_ARN,
          name: 'left',
          status: 'RUNNING',
          startDate: 1,
          input: '{}',
        },
      ]),
    );

    // Act
    const registry = new ExecutionRegistry(MACHINES, succeeded, dir);

    // Assess
    expect(registry.describe(arn)).toMatchObject({ status: 'ABORTED' });
    expect(() => registry.start(LOCAL_ARN, 'left', '{}')).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(JSON.parse(readFileSync(join(dir, 'executions.json'), 'utf8'))).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses input over 256 KiB and a statusFilter that is no status', () => {
    // Prepare
    const registry = new ExecutionRegistry(MACHINES, succeeded);

    // Act / Assess
    expect(() => registry.start(LOCAL_ARN, 'big', JSON.stringify({ x: 'y'.repeat(262_144) }))).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput' }),
    );
    expect(() => registry.list({ stateMachineArn: LOCAL_ARN, statusFilter: 'DONE' })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
    expect(() => registry.list({ stateMachineArn: LOCAL_ARN, nextToken: 'garbage' })).toThrow(
      expect.objectContaining({ name: 'InvalidToken' }),
    );
  });
});

describe('TaskTokens', () => {
  it('refuses a cause over 32768 or an error over 256 characters, leaving the task open', async () => {
    // Prepare
    const tokens = new TaskTokens();
    const token = tokens.mint('arn:x', 'Wait');
    const waiting = tokens.wait(token, { timeoutSeconds: 5 });

    // Act
    const longCause = () => tokens.sendFailure(token, 'E', 'c'.repeat(32_769));
    const longError = () => tokens.sendFailure(token, 'e'.repeat(257));

    // Assess
    expect(longCause).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(longError).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(tokens.pending).toHaveLength(1);
    tokens.sendSuccess(token, '{"done":true}');
    await expect(waiting).resolves.toEqual({ done: true });
  });

  it('keeps a task with a TimeoutSeconds longer than a Node timer can wait open (99999999 s is allowed)', async () => {
    // Prepare
    const tokens = new TaskTokens();
    const token = tokens.mint('arn:x', 'Wait');

    // Act
    const waiting = tokens.wait(token, { timeoutSeconds: 99_999_999, heartbeatSeconds: 99_999_999 });
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess: still open, then answered
    expect(tokens.pending).toHaveLength(1);
    tokens.sendSuccess(token, '1');
    await expect(waiting).resolves.toBe(1);
  });

  it('fails every open task with States.Timeout when the runtime stops', async () => {
    // Prepare
    const tokens = new TaskTokens();
    const waiting = tokens.wait(tokens.mint('arn:x', 'Wait'), { timeoutSeconds: 60 });

    // Act
    tokens.closeAll();

    // Assess
    await expect(waiting).rejects.toMatchObject({ name: 'States.Timeout' });
    expect(tokens.pending).toEqual([]);
  });

  it('puts the token wherever the parameters read $$.Task.Token, also inside a longer string', () => {
    // Act
    const { value, found } = withToken({ a: 'P', b: ['x', { c: 'url?token=P' }], d: 3 }, 'P', 'TOKEN');

    // Assess
    expect(found).toBe(true);
    expect(value).toEqual({ a: 'TOKEN', b: ['x', { c: 'url?token=TOKEN' }], d: 3 });
    expect(withToken({ a: 'none' }, 'P', 'TOKEN').found).toBe(false);
  });
});
