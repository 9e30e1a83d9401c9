import { Logger } from '@aws-lambda-powertools/logger';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it, vi } from 'vitest';
import { FINAL_STATUSES, RUN_COST_METRIC, recordRunCost } from '../../../../lambdas/run-cost/run-cost';
import { formatUsd, runCost } from '../../../../lambdas/shared/cost/calculate';
import { functionNameOf, usageOf } from '../../../../lambdas/shared/cost/history';
import { DEFAULT_PRICES, mergePrices } from '../../../../lambdas/shared/cost/prices';
import type { Run } from '../../../../lambdas/shared/registry';
import { runForUpload } from '../../../../lambdas/shared/runs';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Stack-ValidateDataset-abc';
const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, s));
const usEast1 = DEFAULT_PRICES['us-east-1'];
if (!usEast1) throw new Error('no us-east-1 prices');
const prices = usEast1;

/** A history as GetExecutionHistory returns it: a Lambda task retried once, a training job, a Choice. */
function history(): HistoryEvent[] {
  const lambda = (resourceParams: string) => ({
    resourceType: 'lambda',
    resource: 'invoke',
    parameters: resourceParams,
    region: 'us-east-1',
  });
  const events: Omit<HistoryEvent, 'id'>[] = [
    { type: 'ExecutionStarted', timestamp: at(0), previousEventId: 0 },
    {
      type: 'TaskStateEntered',
      timestamp: at(1),
      previousEventId: 1,
      stateEnteredEventDetails: { name: 'Validate' },
    },
    {
      type: 'TaskScheduled',
      timestamp: at(1),
      previousEventId: 2,
      taskScheduledEventDetails: lambda(JSON.stringify({ FunctionName: FN, Payload: {} })),
    },
    { type: 'TaskStarted', timestamp: at(2), previousEventId: 3 },
    { type: 'TaskFailed', timestamp: at(3), previousEventId: 4 },
    {
      type: 'TaskScheduled',
      timestamp: at(5),
      previousEventId: 5,
      taskScheduledEventDetails: lambda(JSON.stringify({ FunctionName: `${FN}:$LATEST` })),
    },
    { type: 'TaskStarted', timestamp: at(5), previousEventId: 6 },
    { type: 'TaskSucceeded', timestamp: at(9), previousEventId: 7 },
    { type: 'TaskStateExited', timestamp: at(9), previousEventId: 8 },
    { type: 'ChoiceStateEntered', timestamp: at(9), previousEventId: 9 },
    { type: 'ChoiceStateExited', timestamp: at(9), previousEventId: 10 },
    { type: 'TaskStateEntered', timestamp: at(10), previousEventId: 11 },
    {
      type: 'TaskScheduled',
      timestamp: at(10),
      previousEventId: 12,
      taskScheduledEventDetails: {
        resourceType: 'sagemaker',
        resource: 'createTrainingJob.sync',
        region: 'us-east-1',
        parameters: JSON.stringify({ TrainingJobName: 'run-1' }),
      },
    },
    { type: 'TaskStarted', timestamp: at(11), previousEventId: 13 },
    { type: 'TaskSubmitted', timestamp: at(11), previousEventId: 14 },
    { type: 'TaskSucceeded', timestamp: at(50), previousEventId: 15 },
    { type: 'TaskStateExited', timestamp: at(50), previousEventId: 16 },
    { type: 'SucceedStateEntered', timestamp: at(51), previousEventId: 17 },
    { type: 'SucceedStateExited', timestamp: at(51), previousEventId: 18 },
    { type: 'ExecutionSucceeded', timestamp: at(51), previousEventId: 19 },
  ];
  return events.map((event, i) => ({ ...event, id: i + 1 }) as HistoryEvent);
}

describe('usageOf', () => {
  it('counts every state entered plus each retry, as Step Functions bills transitions', () => {
    // 4 states entered + 1 retry of Validate.
    expect(usageOf(history()).stateTransitions).toBe(5);
  });

  it('times each Lambda invocation from its start to its end, by function name', () => {
    expect(usageOf(history()).lambdaInvocations).toEqual([
      { functionName: 'Stack-ValidateDataset-abc', durationMs: 1000 },
      { functionName: 'Stack-ValidateDataset-abc', durationMs: 4000 },
    ]);
  });

  it('finds the training jobs the execution created, in any event order', () => {
    expect(usageOf([...history()].reverse()).trainingJobs).toEqual(['run-1']);
  });

  it('reads function names from ARNs, qualified ARNs and bare names', () => {
    expect(functionNameOf(`${FN}:live`)).toBe('Stack-ValidateDataset-abc');
    expect(functionNameOf('plain')).toBe('plain');
  });
});

describe('runCost', () => {
  const usage = usageOf(history());
  const now = new Date('2026-11-30T12:00:00Z');

  it('adds training, transitions and Lambda GB-seconds at the table prices', () => {
    const cost = runCost({
      usage,
      jobs: [{ name: 'run-1', instanceType: 'ml.m5.xlarge', instanceCount: 2, billableSeconds: 1800 }],
      memoryMb: { 'Stack-ValidateDataset-abc': 1024 },
      prices,
      region: 'us-east-1',
      now,
    });
    // 1800 s × 2 instances × $0.23/h = $0.23
    expect(cost.training.usd).toBe(0.23);
    expect(cost.training.billableSeconds).toBe(3600);
    // 5 × $0.000025
    expect(cost.stepFunctions).toEqual({ usd: 0.000125, stateTransitions: 5 });
    // 5 s at 1 GB × $0.0000133334 + 2 requests × $0.0000002
    expect(cost.lambda).toEqual({ usd: 0.000067, gbSeconds: 5, invocations: 2 });
    expect(cost.totalUsd).toBe(0.230192);
    expect(cost.unpriced).toEqual([]);
    expect(cost.pricesAsOf).toBe(prices.asOf);
  });

  it('leaves an unpriced instance type out of the total and names it', () => {
    const cost = runCost({
      usage,
      jobs: [{ name: 'run-1', instanceType: 'ml.p5.48xlarge', instanceCount: 1, billableSeconds: 60 }],
      memoryMb: {},
      prices,
      region: 'us-east-1',
      now,
    });
    expect(cost.unpriced).toEqual(['ml.p5.48xlarge']);
    expect(cost.training.usd).toBe(0);
    expect(cost.training.jobs[0]?.usd).toBeNull();
  });

  it('formats the millionths a run’s Lambdas cost, cents and dollars', () => {
    expect(formatUsd(0.000192)).toBe('$0.000192');
    expect(formatUsd(0.0117)).toBe('$0.0117');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(0)).toBe('$0');
  });
});

describe('mergePrices', () => {
  it('overrides one instance price and keeps the others', () => {
    const merged = mergePrices({ 'us-east-1': { trainingInstanceHour: { 'ml.m5.xlarge': 0.2 } } });
    expect(merged['us-east-1']?.trainingInstanceHour['ml.m5.xlarge']).toBe(0.2);
    expect(merged['us-east-1']?.trainingInstanceHour['ml.m5.large']).toBe(0.115);
  });

  it('requires every price for a region without defaults', () => {
    expect(() => mergePrices({ 'eu-west-1': { stateTransition: 0.000025 } })).toThrow(
      /prices\.eu-west-1: .*asOf.*lambdaGbSecond/,
    );
  });
});

describe('recordRunCost', () => {
  const upload = { bucket: 'data', key: 'datasets/churn/data.csv', versionId: 'v1' };
  const { runId } = runForUpload(upload);
  const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:Training:e1';
  const input = JSON.stringify({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: upload.bucket }, object: { key: upload.key, 'version-id': upload.versionId } },
  });
  const run = { runId, model: 'churn', status: 'Succeeded' } as Run;

  function deps(recorded: 'Recorded' | 'OtherExecution' = 'Recorded') {
    return {
      registry: { getRun: vi.fn(async () => run) },
      history: vi.fn(async () => history()),
      trainingJob: vi.fn(async (name: string) => ({
        name,
        instanceType: 'ml.m5.large',
        instanceCount: 1,
        billableSeconds: 3600,
      })),
      costs: { record: vi.fn(async () => recorded) },
      prices,
      region: 'us-east-1',
      memoryMb: {},
      metrics: { addDimension: vi.fn(), addMetric: vi.fn(), addMetadata: vi.fn() },
      logger: new Logger({ logLevel: 'SILENT' }),
    };
  }

  it.each(FINAL_STATUSES)(
    'records the cost of a run whose execution ended %s and publishes RunCost',
    async (status) => {
      const d = deps();
      const result = await recordRunCost({ detail: { executionArn, status, input } }, d);
      expect(result).toMatchObject({ action: 'Recorded', runId });
      expect(d.trainingJob).toHaveBeenCalledWith('run-1');
      expect(d.costs.record).toHaveBeenCalledWith(
        runId,
        executionArn,
        expect.objectContaining({ region: 'us-east-1' }),
      );
      const total = (result as { cost: { totalUsd: number } }).cost.totalUsd;
      expect(total).toBeGreaterThan(0.115);
      expect(d.metrics.addDimension).toHaveBeenCalledWith('model', 'churn');
      expect(d.metrics.addMetric).toHaveBeenCalledWith(RUN_COST_METRIC, 'None', total);
      expect(d.metrics.addMetric).toHaveBeenCalledWith('TrainingSeconds', 'Seconds', 3600);
    },
  );

  it('publishes nothing when another execution owns the run', async () => {
    const d = deps('OtherExecution');
    const result = await recordRunCost({ detail: { executionArn, status: 'FAILED', input } }, d);
    expect(result).toEqual({ action: 'Skipped', reason: 'OtherExecution', runId });
    expect(d.metrics.addMetric).not.toHaveBeenCalled();
  });

  it('skips an execution Step Functions does not know, recording nothing', async () => {
    const d = { ...deps(), history: vi.fn(async () => undefined) };
    const result = await recordRunCost({ detail: { executionArn, status: 'TIMED_OUT', input } }, d);
    expect(result).toEqual({ action: 'Skipped', reason: 'ExecutionNotFound', runId });
    expect(d.costs.record).not.toHaveBeenCalled();
  });

  it('skips a running execution and an input that names no run', async () => {
    expect(await recordRunCost({ detail: { executionArn, status: 'RUNNING', input } }, deps())).toEqual({
      action: 'Skipped',
      reason: 'NotFinal',
    });
    expect(await recordRunCost({ detail: { executionArn, status: 'FAILED', input: '{}' } }, deps())).toEqual({
      action: 'Skipped',
      reason: 'NotADatasetExecution',
    });
  });
});
