/**
 * Runs a stopped local runtime left Running (local/interrupted-runs.ts), closed on the next start in DynamoDB
 * Local: Failed with the reason, audited, and retryable with `mlops runs retry`.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRetry } from '../../cli/retry';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { type LocalEvent, type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { closeInterruptedRuns, LOCAL_RUNTIME_STOPPED } from '../../local/interrupted-runs';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let registry: ModelRegistryClient;
let eventBridge: LocalEventBridge;
let events: EventBridgeClient;
const sent: LocalEvent[] = [];

beforeAll(async () => {
  registry = new ModelRegistryClient({ client: table.documentClient, tableName: table.tableName });
  eventBridge = await startLocalEventBridge({ account: '123456789012', region: 'us-east-1' });
  eventBridge.onEvent((event) => sent.push(event));
  events = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: eventBridge.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  events?.destroy();
  await eventBridge?.stop();
});

const dataset = (key: string) => ({ bucket: 'data', key: `datasets/churn/${key}` });

describe('closeInterruptedRuns', () => {
  it('records a run left Running as Failed (LocalRuntimeStopped), audits it, and lets runs retry take it', async () => {
    // Prepare: one run left in TrainModel by a runtime that stopped, one that ended before
    await registry.createRun({ runId: 'churn-aaaa000000000001', model: 'churn', dataset: dataset('a.csv') });
    await registry.updateRun('churn-aaaa000000000001', { step: 'TrainModel' });
    await registry.createRun({ runId: 'churn-aaaa000000000002', model: 'churn', dataset: dataset('b.csv') });
    const ended = await registry.updateRun('churn-aaaa000000000002', {
      status: 'Failed',
      error: 'DatasetRejected',
      endedAt: new Date('2026-01-01T00:00:00Z'),
    });
    const now = new Date('2026-02-01T10:00:00Z');

    // Act
    const closed = await closeInterruptedRuns(registry, { mlops: 'npm run -s mlops --', now: () => now });
    const retry = await requestRetry({ registry, events, eventBus: 'default' }, 'churn-aaaa000000000001', {
      requestId: 'r-1',
      requestedBy: 'ops@test',
    });
    const again = await closeInterruptedRuns(registry, { mlops: 'npm run -s mlops --' });

    // Assess
    const cause =
      'The local runtime stopped while this run was in TrainModel, and its execution with it; ' +
      '`npm run -s mlops -- runs retry churn-aaaa000000000001` runs it again';
    expect(closed).toEqual([
      expect.objectContaining({
        runId: 'churn-aaaa000000000001',
        status: 'Failed',
        step: 'TrainModel',
        error: LOCAL_RUNTIME_STOPPED,
        cause,
        endedAt: now.toISOString(),
      }),
    ]);
    expect(await registry.getRun('churn-aaaa000000000001')).toEqual(closed[0]);
    expect(await registry.getRun('churn-aaaa000000000002')).toEqual(ended);
    const audit = (await registry.listEvents('churn')).items.filter(
      (event) => event.actor === 'local-runtime',
    );
    expect(audit).toEqual([
      expect.objectContaining({ type: 'RunFailed', reasons: [`${LOCAL_RUNTIME_STOPPED}: ${cause}`] }),
    ]);
    expect(retry).toMatchObject({ retryOf: 'churn-aaaa000000000001', model: 'churn' });
    expect(again).toEqual([]);
  });
});
