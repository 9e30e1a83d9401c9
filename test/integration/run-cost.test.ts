/**
 * The cost of a run end to end on local parts: an execution on the local executor (a Lambda task retried
 * once, a training job), its history through the SDK's GetExecutionHistory against the local Step Functions
 * API (paged), the cost computed and recorded on the run in DynamoDB Local, read back as the CLI reads it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRunCost } from '../../lambdas/run-cost/run-cost';
import { usageOf } from '../../lambdas/shared/cost/history';
import { DEFAULT_PRICES } from '../../lambdas/shared/cost/prices';
import { RunCosts } from '../../lambdas/shared/cost/record';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { runForUpload } from '../../lambdas/shared/runs';
import { type LocalStepFunctionsApi, startLocalStepFunctionsApi } from '../../local/aws/stepfunctions-api';
import type { LocalFunction } from '../../local/lambda/functions';
import { LOCAL_CREDENTIALS } from '../../local/runtime';
import { ExecutionRegistry } from '../../local/stepfunctions/executions';
import { LocalStateMachine, taskFailure } from '../../local/stepfunctions/executor';
import { lambdaInvokeIntegration } from '../../local/stepfunctions/integrations';
import { TaskTokens } from '../../local/stepfunctions/task-tokens';
import { useRegistryTable } from '../support/dynamodb';

const ACCOUNT = '123456789012';
const MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Training`;
const VALIDATOR = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:Validator`;

const definition = {
  StartAt: 'Validate',
  States: {
    Validate: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: VALIDATOR, 'Payload.$': '$' },
      ResultSelector: { 'jobName.$': '$.Payload.jobName' },
      ResultPath: '$.plan',
      Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 1, MaxAttempts: 2 }],
      Next: 'Trained?',
    },
    'Trained?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.jobName', IsPresent: true, Next: 'Train' }],
      Default: 'Done',
    },
    Train: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
      Parameters: { 'TrainingJobName.$': '$.plan.jobName' },
      ResultPath: null,
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
} as unknown as StateMachineDefinition;

let calls = 0;
const validator: LocalFunction = {
  logicalId: 'Validator',
  functionName: 'Validator',
  entry: 'validator',
  environment: {},
  timeoutSeconds: 3,
  invoke: async () => {
    calls += 1;
    if (calls === 1) throw taskFailure('Lambda.TooManyRequestsException', 'Rate exceeded');
    await new Promise((r) => setTimeout(r, 60));
    return { jobName: 'job-run-1' };
  },
};

const table = useRegistryTable();
let api: LocalStepFunctionsApi;
let sfn: SFNClient;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-run-cost-'));
  const machine = new LocalStateMachine(definition);
  const invoke = lambdaInvokeIntegration(new Map([['Validator', validator]]))(
    'arn:aws:states:::lambda:invoke',
  );
  if (!invoke) throw new Error('lambda:invoke is not served');
  const executions = new ExecutionRegistry(
    new Map([['Training', MACHINE]]),
    (_arn, input, context) =>
      machine.execute(input, {
        context,
        retryIntervalMs: 1,
        tasks: { Validate: invoke, Train: async () => ({ TrainingJobStatus: 'Completed' }) },
      }),
    workDir,
  );
  api = await startLocalStepFunctionsApi({ executions, tokens: new TaskTokens() });
  sfn = new SFNClient({
    region: 'us-east-1',
    endpoint: api.endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  await api?.stop();
  sfn?.destroy();
  rmSync(workDir, { recursive: true, force: true });
});

/** Every page of an execution's history through the SDK. */
async function history(executionArn: string, pageSize = 3): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: pageSize, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function runToEnd(input: object): Promise<string> {
  const { executionArn = '' } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: MACHINE, input: JSON.stringify(input) }),
  );
  for (;;) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return executionArn;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GetExecutionHistory (local)', () => {
  it('answers the execution in AWS HistoryEvent shapes, numbered and paged', async () => {
    const executionArn = await runToEnd({ model: 'churn' });
    const events = await history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
    });
    expect(JSON.parse(events[12]?.taskScheduledEventDetails?.parameters ?? '{}')).toEqual({
      TrainingJobName: 'job-run-1',
    });
    expect(events[4]?.taskFailedEventDetails).toMatchObject({ error: 'Lambda.TooManyRequestsException' });

    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
  });

  it('gives the usage a run is billed for: states entered plus the retry, the Lambda time, the training job', async () => {
    calls = 0;
    const usage = usageOf(await history(await runToEnd({ model: 'churn' })));
    expect(usage.stateTransitions).toBe(5);
    expect(usage.trainingJobs).toEqual(['job-run-1']);
    expect(usage.lambdaInvocations.map((c) => c.functionName)).toEqual(['Validator', 'Validator']);
    expect(usage.lambdaInvocations[1]?.durationMs).toBeGreaterThanOrEqual(50);
  });

  it('names an unknown execution as AWS does', async () => {
    await expect(
      sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: `${MACHINE.replace('stateMachine', 'execution')}:nope`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

describe('recordRunCost on the registry', () => {
  const upload = { bucket: 'data', key: 'datasets/churn/cost.csv', versionId: 'v1' };
  const s3Event = {
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: upload.bucket }, object: { key: upload.key, 'version-id': upload.versionId } },
  };

  it('records the cost on the run once, whatever the deliveries, and not for another execution', async () => {
    calls = 0;
    const executionArn = await runToEnd(s3Event);
    const registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
    const { runId } = runForUpload(upload);
    await registry.createRun({ runId, model: 'churn', dataset: upload, executionArn });
    const costs = new RunCosts(table.documentClient, table.tableName);
    const prices = DEFAULT_PRICES['us-east-1'];
    if (!prices) throw new Error('no prices');
    const published: number[] = [];
    const deps = {
      registry,
      history: (arn: string) => history(arn, 100),
      trainingJob: async (name: string) => ({
        name,
        instanceType: 'ml.m5.xlarge',
        instanceCount: 1,
        billableSeconds: 180,
      }),
      costs,
      prices,
      region: 'us-east-1',
      memoryMb: { Validator: 1024 },
      metrics: {
        addDimension: () => undefined,
        addMetadata: () => undefined,
        addMetric: (name: string, _unit: unknown, value: number) => {
          if (name === 'RunCost') published.push(value);
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
    };
    const event = { detail: { executionArn, status: 'SUCCEEDED', input: JSON.stringify(s3Event) } };
    const first = await recordRunCost(event, deps as never);
    const again = await recordRunCost(event, deps as never);
    expect(first).toMatchObject({ action: 'Recorded', runId });
    expect(again).toMatchObject({ action: 'Recorded', runId });

    const stored = (await costs.get([runId, 'no-such-run'])).get(runId);
    // 180 s of ml.m5.xlarge at $0.23/h = $0.0115; 5 transitions = $0.000125; the Lambda a few ms at 1 GB.
    expect(stored?.training.usd).toBe(0.0115);
    expect(stored?.stepFunctions).toEqual({ usd: 0.000125, stateTransitions: 5 });
    expect(stored?.lambda.invocations).toBe(2);
    expect(stored?.totalUsd).toBeGreaterThan(0.011625);
    expect(stored?.totalUsd).toBeLessThan(0.0117);
    expect(published).toEqual([stored?.totalUsd, stored?.totalUsd]);
    // The registry's view of the run is unchanged by the extra attribute.
    expect((await registry.getRun(runId))?.runId).toBe(runId);

    const other = await recordRunCost(
      { detail: { ...event.detail, executionArn: `${executionArn}-other` } },
      { ...deps, history: async () => [] } as never,
    );
    expect(other).toEqual({ action: 'Skipped', reason: 'OtherExecution', runId });
  });
});
