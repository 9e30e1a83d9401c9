import { beforeAll, describe, expect, it } from 'vitest';
import {
  ModelRegistryClient,
  MonitoringWindows,
  parseWindowId,
  type RecordWindowInput,
  WindowSupersededError,
  windowIdFor,
} from '../../../../../lambdas/shared/registry';
import { useRegistryTable } from '../../../../support/dynamodb';

const table = useRegistryTable();
let windows: MonitoringWindows;
let registry: ModelRegistryClient;

beforeAll(() => {
  const options = { client: table.documentClient, tableName: table.tableName };
  windows = new MonitoringWindows(options);
  registry = new ModelRegistryClient(options);
});

const H = (hour: number) => new Date(Date.UTC(2026, 10, 30, hour)).toISOString();

function input(
  model: string,
  from: string,
  until: string,
  previousUntil: string | undefined,
): RecordWindowInput {
  return {
    model,
    kind: 'drift',
    from,
    until,
    previousUntil,
    verdict: 'NoDrift',
    alarming: false,
    version: 1,
    rows: 500,
    reasons: ['no feature drifted'],
    reports: { json: `monitoring/${model}/${windowIdFor(from, until)}/report.json` },
    summary: { driftShare: 0 },
    eventType: 'DriftChecked',
  };
}

describe('window ids', () => {
  it('are derived from the bounds, sort as times and parse back', () => {
    const id = windowIdFor('2026-11-30T14:00:00Z', '2026-11-30T15:00:00.250Z');
    expect(id).toBe('20261130T140000.000Z_20261130T150000.250Z');
    expect(parseWindowId(id)).toEqual({
      from: '2026-11-30T14:00:00.000Z',
      until: '2026-11-30T15:00:00.250Z',
    });
    expect(parseWindowId('../etc')).toBeUndefined();
  });
});

describe('MonitoringWindows', () => {
  it('records a window once with its audit event; the same window again keeps its first verdict', async () => {
    const first = await windows.recordWindow(input('win-once', H(0), H(1), undefined));
    expect(first.recorded).toBe(true);
    const again = await windows.recordWindow({
      ...input('win-once', H(0), H(1), undefined),
      verdict: 'Drift',
    });
    expect(again).toEqual({ recorded: false, window: first.window });
    const events = (await registry.listEvents('win-once')).items;
    expect(events.map((e) => [e.type, e.details.verdict, e.details.windowId])).toEqual([
      ['DriftChecked', 'NoDrift', windowIdFor(H(0), H(1))],
    ]);
    expect(await windows.cursor('win-once', 'drift')).toBe(H(1));
  });

  it('lists windows newest first and finds them by id or end', async () => {
    let previous: string | undefined;
    for (let hour = 1; hour <= 5; hour++) {
      await windows.recordWindow({
        ...input('win-list', H(hour - 1), H(hour), previous),
        verdict: hour % 2 === 0 ? 'Drift' : 'NoDrift',
        alarming: hour % 2 === 0,
      });
      previous = H(hour);
    }
    const recent = await windows.recentWindows('win-list', 'drift', 3);
    expect(recent.map((w) => [w.until, w.verdict, w.alarming])).toEqual([
      [H(5), 'NoDrift', false],
      [H(4), 'Drift', true],
      [H(3), 'NoDrift', false],
    ]);
    expect((await windows.lastWindow('win-list', 'drift'))?.until).toBe(H(5));
    expect((await windows.findWindow('win-list', 'drift', windowIdFor(H(1), H(2))))?.verdict).toBe('Drift');
    expect(await windows.findWindow('win-list', 'drift', windowIdFor(H(0), H(2)))).toBeUndefined();
    expect(await windows.lastWindow('win-list', 'quality')).toBeUndefined();
  });

  it('lets one of two checks racing over overlapping windows record; the other is superseded', async () => {
    await windows.recordWindow(input('win-race', H(0), H(1), undefined));
    const results = await Promise.allSettled([
      windows.recordWindow(input('win-race', H(1), H(2), H(1))),
      windows.recordWindow(input('win-race', H(1), H(3), H(1))),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(WindowSupersededError);
    expect((await windows.recentWindows('win-race', 'drift', 10)).length).toBe(2);
  });

  it('refuses an empty window', async () => {
    await expect(windows.recordWindow(input('win-empty', H(2), H(2), undefined))).rejects.toThrow(/empty/);
  });
});
