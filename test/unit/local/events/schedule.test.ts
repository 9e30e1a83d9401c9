import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextFireTime, type ScheduledRule, Scheduler } from '../../../../local/events/schedule';

const at = (iso: string) => new Date(iso);

describe('nextFireTime (EventBridge schedule expressions, UTC)', () => {
  it.each([
    ['rate(5 minutes)', '2026-11-26T10:00:00Z', '2026-11-26T10:05:00.000Z'],
    ['rate(1 hour)', '2026-11-26T10:00:00Z', '2026-11-26T11:00:00.000Z'],
    ['rate(1 day)', '2026-11-26T10:00:00Z', '2026-11-27T10:00:00.000Z'],
    ['cron(0 6 * * ? *)', '2026-11-26T10:00:00Z', '2026-11-27T06:00:00.000Z'],
    ['cron(0/15 * ? * MON-FRI *)', '2026-11-28T10:00:00Z', '2026-11-30T00:00:00.000Z'],
    // EventBridge numbers days 1 (SUN) to 7 (SAT): 2 is Monday.
    ['cron(30 8 ? * 2 *)', '2026-11-26T10:00:00Z', '2026-11-30T08:30:00.000Z'],
  ])('%s after %s is %s', (expression, after, expected) => {
    // Act / Assess
    expect(nextFireTime(expression, at(after)).toISOString()).toBe(expected);
  });

  it.each([
    ['daily', 'daily is not a schedule expression (expected rate(...) or cron(...))'],
    ['cron(0 6 * * *)', 'cron(0 6 * * *): EventBridge cron needs 6 fields, found 5'],
    ['rate(0 minutes)', 'rate(0 minutes): the rate must be positive'],
  ])('refuses %s', (expression, message) => {
    // Act / Assess
    expect(() => nextFireTime(expression, new Date())).toThrowError(message);
  });
});

describe('Scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each rule on its schedule, sped up by the time scale', () => {
    // Prepare
    vi.useFakeTimers({ now: at('2026-11-26T00:00:00Z') });
    const rule: ScheduledRule = { logicalId: 'Drift', expression: 'rate(1 hour)', targets: [] };
    const fired: string[] = [];
    const scheduler = new Scheduler([rule], (_rule, when) => fired.push(when.toISOString()), {
      timeScale: 60,
    });

    // Act: two real minutes are two simulated hours
    scheduler.start();
    vi.advanceTimersByTime(2 * 60_000 + 10);
    scheduler.stop();
    vi.advanceTimersByTime(10 * 60_000);

    // Assess
    expect(fired).toEqual(['2026-11-26T01:00:00.000Z', '2026-11-26T02:00:00.000Z']);
  });

  it('refuses a time scale that is not positive', () => {
    // Act / Assess
    expect(() => new Scheduler([], () => undefined, { timeScale: 0 })).toThrowError(
      'timeScale must be positive, got 0',
    );
  });
});
