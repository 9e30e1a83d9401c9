import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';

describe('local EventBridge (PutEvents over the real SDK client)', () => {
  let bridge: LocalEventBridge;
  let client: EventBridgeClient;

  beforeAll(async () => {
    bridge = await startLocalEventBridge({ account: '000000000000', region: 'us-east-1' });
    client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: bridge.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await bridge.stop();
  });

  it('accepts events and hands them to listeners with the fields EventBridge adds', async () => {
    // Prepare
    const seen: unknown[] = [];
    bridge.onEvent((event) => seen.push(event));

    // Act
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'serverless-mlops',
            DetailType: 'ModelRegistered',
            Detail: '{"model":"churn","version":1}',
          },
        ],
      }),
    );

    // Assess
    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual([
      expect.objectContaining({
        source: 'serverless-mlops',
        'detail-type': 'ModelRegistered',
        detail: { model: 'churn', version: 1 },
        account: '000000000000',
        region: 'us-east-1',
        eventBusName: 'default',
      }),
    ]);
  });

  it('reports a malformed entry as failed, as EventBridge does, without dropping the others', async () => {
    // Act
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'd', Detail: 'not json' },
          { Source: 's', DetailType: 'd', Detail: '{}' },
        ],
      }),
    );

    // Assess
    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries?.[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(response.Entries?.[1]?.EventId).toBeDefined();
  });
});
