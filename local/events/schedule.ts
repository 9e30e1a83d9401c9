/**
 * Scheduled EventBridge rules, run locally: `rate(...)` and `cron(...)` expressions as EventBridge reads
 * them (UTC), with an optional time scale so that a demo sees a daily check within minutes.
 */
import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { omitUndefined } from '../../lambdas/shared/omit-undefined';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from '../template/template';
import type { TargetInputSettings } from './target-input';

export interface ScheduledRule {
  readonly logicalId: string;
  readonly expression: string;
  /** Each target's ARN and what decides its input (Input, InputPath, InputTransformer; else the event). */
  readonly targets: readonly ({ readonly arn: string } & TargetInputSettings)[];
}

/** The template's enabled rules with a ScheduleExpression. */
export function scheduledRulesFromTemplate(
  template: CfnTemplate,
  resources: LocalResources,
): ScheduledRule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, resource]) => {
    const properties = resolveIntrinsics(resource.Properties ?? {}, resources.resolve) as {
      ScheduleExpression?: string;
      State?: string;
      Targets?: ({ Arn: string } & TargetInputSettings)[];
    };
    if (!properties.ScheduleExpression || properties.State === 'DISABLED') return [];
    nextFireTime(properties.ScheduleExpression, new Date()); // refuse a bad expression at start, not at fire time
    return [
      {
        logicalId,
        expression: properties.ScheduleExpression,
        targets: (properties.Targets ?? []).map(({ Arn, Input, InputPath, InputTransformer }) =>
          omitUndefined({ arn: Arn, Input, InputPath, InputTransformer }),
        ),
      },
    ];
  });
}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const CRON = /^cron\((.+)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The first time after `after` that the expression fires. */
export function nextFireTime(expression: string, after: Date): Date {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const unit = (rate[2] ?? '').replace(/s$/, '') as keyof typeof UNIT_MS;
    const every = Number(rate[1]) * UNIT_MS[unit];
    if (every <= 0) throw new Error(`${expression}: the rate must be positive`);
    return new Date(after.getTime() + every);
  }
  const cron = CRON.exec(expression.trim());
  if (cron?.[1]) {
    return CronExpressionParser.parse(toStandardCron(cron[1], expression), { currentDate: after, tz: 'UTC' })
      .next()
      .toDate();
  }
  throw new Error(`${expression} is not a schedule expression (expected rate(...) or cron(...))`);
}

/**
 * EventBridge cron has six fields (minutes hours day-of-month month day-of-week year), `?` for "no value"
 * and 1-7 for SUN-SAT; standard cron has five, `*` and 0-6. The year field is dropped (local runs are now).
 */
function toStandardCron(fields: string, expression: string): string {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6)
    throw new Error(`${expression}: EventBridge cron needs 6 fields, found ${parts.length}`);
  const [minutes, hours, dayOfMonth, month, dayOfWeek] = parts.map((part) => (part === '?' ? '*' : part));
  const weekday = (dayOfWeek ?? '*').replace(/\b([1-7])\b/g, (digit) => String(Number(digit) - 1));
  return [minutes, hours, dayOfMonth, month, weekday].join(' ');
}

/** The Scheduled Event a scheduled rule sends (its targets' input settings then apply to it). */
export function scheduledEvent(ruleArn: string, time: Date, env: { account: string; region: string }) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: env.account,
    time: time.toISOString(),
    region: env.region,
    resources: [ruleArn],
    detail: {},
  };
}

export interface SchedulerOptions {
  /** Simulated time runs this many times faster than real time (demos). @default 1 */
  readonly timeScale?: number;
  /** Current real time. @default Date.now */
  readonly now?: () => number;
}

/** Fires each rule at its schedule until stopped; `fire` receives the rule and the simulated fire time. */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startedAt: number;
  private readonly timeScale: number;
  private readonly now: () => number;

  constructor(
    private readonly rules: readonly ScheduledRule[],
    private readonly fire: (rule: ScheduledRule, at: Date) => void,
    options: SchedulerOptions = {},
  ) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be positive, got ${this.timeScale}`);
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Simulated now: real time since start, sped up by the time scale. */
  simulatedNow(): Date {
    return new Date(this.startedAt + (this.now() - this.startedAt) * this.timeScale);
  }

  start(): void {
    for (const rule of this.rules) this.schedule(rule, this.simulatedNow());
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(rule: ScheduledRule, after: Date): void {
    const at = nextFireTime(rule.expression, after);
    const delay = Math.max(0, (at.getTime() - this.simulatedNow().getTime()) / this.timeScale);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.fire(rule, at);
      this.schedule(rule, at);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
