import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistryClient } from '../../../../../lambdas/shared/registry';
import { RetrainSlots, type TakeRetrainSlotInput } from '../../../../../lambdas/shared/registry/retraining';
import { useRegistryTable } from '../../../../support/dynamodb';

const table = useRegistryTable();
let clock = new Date('2026-11-30T10:00:00.000Z');
let slots: RetrainSlots;
let registry: ModelRegistryClient;

beforeAll(() => {
  const options = { client: table.documentClient, tableName: table.tableName, clock: () => clock };
  slots = new RetrainSlots(options);
  registry = new ModelRegistryClient(options);
});

const take = (model: string, windowId: string, over: Partial<TakeRetrainSlotInput> = {}) =>
  slots.takeSlot({
    model,
    windowId,
    trigger: 'drift',
    datasetKey: `datasets/${model}/retrain-${windowId}.csv`,
    cooldownSeconds: 3600,
    reasons: ['drift held for 2 window(s) in a row'],
    details: { labeledRows: 10 },
    ...over,
  });

describe('RetrainSlots (DynamoDB Local)', () => {
  it('of many retrainers deciding at once exactly one starts, with one RetrainStarted event', async () => {
    clock = new Date('2026-11-30T10:00:00.000Z');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take('race', `w${i}`)));
    expect(results.filter((result) => result.taken)).toHaveLength(1);
    const events = (await registry.listEvents('race')).items.filter((e) => e.type === 'RetrainStarted');
    expect(events).toHaveLength(1);
    const slot = await slots.getSlot('race');
    expect(slot?.inFlight?.startedAt).toBe('2026-11-30T10:00:00.000Z');
    expect(events[0]?.details).toMatchObject({ labeledRows: 10, windowId: slot?.inFlight?.windowId });
  });

  it('a redelivered decision for the held window resumes; another window is refused while in flight', async () => {
    clock = new Date('2026-11-30T10:00:00.000Z');
    expect((await take('redo', 'w1')).taken).toBe(true);
    expect(await take('redo', 'w1')).toMatchObject({ taken: false, resumed: true });
    expect(await take('redo', 'w2')).toMatchObject({ taken: false, resumed: false });
  });

  it('releases only for its own dataset, then keeps the cooldown from the last start', async () => {
    clock = new Date('2026-11-30T10:00:00.000Z');
    expect((await take('cool', 'w1')).taken).toBe(true);
    const stale = await slots.releaseSlot({
      model: 'cool',
      datasetKey: 'datasets/cool/retrain-w0.csv',
      outcome: 'Succeeded',
      reasons: ['run ended'],
    });
    expect(stale.released).toBe(false);
    clock = new Date('2026-11-30T10:20:00.000Z');
    const released = await slots.releaseSlot({
      model: 'cool',
      datasetKey: 'datasets/cool/retrain-w1.csv',
      outcome: 'Succeeded',
      reasons: ['run cool-1 succeeded'],
      runId: 'cool-1',
    });
    expect(released).toMatchObject({
      released: true,
      slot: { lastOutcome: 'Succeeded', lastStartedAt: '2026-11-30T10:00:00.000Z' },
    });
    expect(released.slot?.inFlight).toBeUndefined();
    // 59 minutes after the start: still cooling down.
    clock = new Date('2026-11-30T10:59:00.000Z');
    expect((await take('cool', 'w2')).taken).toBe(false);
    clock = new Date('2026-11-30T11:00:01.000Z');
    expect((await take('cool', 'w2')).taken).toBe(true);
    const types = (await registry.listEvents('cool')).items.map((e) => e.type);
    expect(types).toEqual(['RetrainStarted', 'RetrainEnded', 'RetrainStarted']);
  });

  it('lets the "no labels" notice out once per cooldown, whatever the slot holds', async () => {
    clock = new Date('2026-11-30T10:00:00.000Z');
    expect(await slots.claimNotice('notice', 3600)).toBe(true);
    expect(await slots.claimNotice('notice', 3600)).toBe(false);
    clock = new Date('2026-11-30T10:59:59.000Z');
    expect(await slots.claimNotice('notice', 3600)).toBe(false);
    clock = new Date('2026-11-30T11:00:01.000Z');
    expect(await slots.claimNotice('notice', 3600)).toBe(true);
    // A notice does not take the slot: a retrain may still start.
    expect((await take('notice', 'w1')).taken).toBe(true);
    expect((await slots.getSlot('notice'))?.lastNoticeAt).toBe('2026-11-30T11:00:01.000Z');
  });
});
