import { describe, expect, it } from 'vitest';
import { noLabelsMessage, type RetrainGateInput, retrainGate } from '../../../../lambdas/retrain/decide';

const now = new Date('2026-11-30T12:00:00.000Z');
const windows = (...verdicts: string[]) =>
  verdicts.map((verdict, i) => ({
    windowId: `w${verdicts.length - i}`,
    end: `2026-11-30T${String(11 - i).padStart(2, '0')}:00:00.000Z`,
    verdict,
    alarming: verdict === 'Drift' || verdict === 'Degraded',
  }));
const base: RetrainGateInput = {
  trigger: 'drift',
  windowId: 'w3',
  windows: windows('Drift', 'Drift', 'NoDrift'),
  consecutiveWindows: 2,
  cooldownSeconds: 86_400,
  slot: undefined,
  now,
};

describe('retrainGate', () => {
  it('proceeds when the trouble held for consecutiveWindows, nothing is in flight and the cooldown passed', () => {
    expect(retrainGate(base)).toEqual({
      outcome: 'proceed',
      reasons: ['drift held for 2 window(s) in a row up to w3'],
    });
    const slot = { lastStartedAt: '2026-11-29T11:59:59.000Z' };
    expect(retrainGate({ ...base, slot }).outcome).toBe('proceed');
  });

  it('does not retrain on one window, nor when an InsufficientData or healthy window breaks the run', () => {
    expect(retrainGate({ ...base, windows: windows('Drift', 'NoDrift'), windowId: 'w2' }).outcome).toBe(
      'NotHeld',
    );
    expect(retrainGate({ ...base, windows: windows('Drift', 'InsufficientData', 'Drift') }).outcome).toBe(
      'NotHeld',
    );
    expect(retrainGate({ ...base, windows: windows('Drift'), windowId: 'w1' }).reasons[0]).toBe(
      'drift has not held for 2 window(s) in a row up to w1 (w1: Drift)',
    );
    expect(retrainGate({ ...base, windowId: 'unknown' }).reasons[0]).toContain('the window is not recorded');
  });

  it('judges from the event window back, not from newer windows', () => {
    // w4 is newer and healthy; the event is about w3, which held with w2.
    const list = windows('NoDrift', 'Drift', 'Drift');
    expect(retrainGate({ ...base, windows: list, windowId: 'w2' }).outcome).toBe('proceed');
  });

  it('counts the windows the check recorded as alarming, whatever their verdict is called', () => {
    const quality = {
      ...base,
      trigger: 'quality' as const,
      windows: windows('Degraded', 'Degraded', 'Healthy'),
    };
    expect(retrainGate(quality).outcome).toBe('proceed');
    const quiet = windows('Degraded', 'Degraded').map((window) => ({ ...window, alarming: false }));
    expect(retrainGate({ ...quality, windows: quiet, windowId: 'w2' }).outcome).toBe('NotHeld');
    expect(noLabelsMessage('drift')).toBe('drift holds; no labeled data to retrain on');
    expect(noLabelsMessage('quality')).toBe('quality loss holds; no labeled data to retrain on');
  });

  it('waits while a retrain is in flight and during the cooldown (the boundary included)', () => {
    const inFlight = {
      windowId: 'w1',
      datasetKey: 'datasets/m/retrain-w1.csv',
      startedAt: '2026-11-28T00:00:00.000Z',
    };
    expect(retrainGate({ ...base, slot: { inFlight, lastStartedAt: inFlight.startedAt } }).outcome).toBe(
      'InFlight',
    );
    const cooling = retrainGate({ ...base, slot: { lastStartedAt: '2026-11-29T12:00:00.000Z' } });
    expect(cooling.outcome).toBe('CoolingDown');
    expect(cooling.reasons[1]).toContain('next allowed after 2026-11-30T12:00:00.000Z');
  });
});
