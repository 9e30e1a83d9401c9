import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { DRIFT_CORRECTIONS, type RuntimeMonitoringSettings } from '../../lambdas/shared/model-settings';
import { type ConfigIssue, formatPath } from './errors';

/** Built-in defaults under `models.defaults.monitoring` (issue 10 §2, §4). */
export const MONITORING_DEFAULTS = {
  schedule: 'rate(1 hour)',
  minSamples: 200,
  driftShare: 0.5,
  criticalFeatures: [] as readonly string[],
  correction: 'benjamini-hochberg',
  alpha: 0.05,
  consecutiveWindows: 2,
  cooldownSeconds: 24 * 3600,
  qualityTolerance: 0.1,
} as const satisfies RuntimeMonitoringSettings;

/**
 * Why `expression` is not an EventBridge schedule expression, or undefined when it is one. Rules from
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html (`rate(value unit)`, value a
 * positive number, unit minute|minutes|hour|hours|day|days, singular exactly when the value is 1) and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html (`cron(fields)`, six
 * fields: minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT, year
 * 1970-2199; wildcards `, - * /` everywhere, `? L W` in day-of-month, `? L #` in day-of-week; "If you specify a
 * value or a * in one of the fields, you must use a ? in the other").
 */
export function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((.*)\)$/s.exec(expression);
  if (rate) return rateProblem(rate[1] ?? '');
  const cron = /^cron\((.*)\)$/s.exec(expression);
  if (cron) return cronProblem(cron[1] ?? '');
  return 'is not an EventBridge schedule (expected e.g. "rate(1 hour)", "rate(30 minutes)" or "cron(0 6 * * ? *)")';
}

function rateProblem(body: string): string | undefined {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!match) {
    return 'is not a rate expression (expected "rate(<whole number> <minute(s)|hour(s)|day(s)>)", e.g. "rate(1 hour)")';
  }
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (value < 1) return 'has a rate of 0 (expected a positive number)';
  const plural = unit.endsWith('s');
  if (value === 1 && plural)
    return `has a plural unit with the value 1 (expected "rate(1 ${unit.slice(0, -1)})")`;
  if (value > 1 && !plural)
    return `has a singular unit with the value ${value} (expected "rate(${value} ${unit}s)")`;
  return undefined;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Special items the field accepts beyond numbers, ranges, `*` and increments. */
  readonly special?: RegExp;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  // ?, L, L-<n> (days before the last), <n>W, LW.
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|L-\d{1,2}|\d{1,2}W|LW)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // ?, L, <day>L (last <day> of the month), <day>#<n> (the n-th <day>).
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAYS,
    special: /^(\?|L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/,
  },
  { name: 'year', min: 1970, max: 2199 },
];

function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `has ${fields.length} cron field${fields.length === 1 ? '' : 's'} (expected 6: minutes hours day-of-month month day-of-week year, e.g. "cron(0 6 * * ? *)")`;
  }
  for (const [index, field] of CRON_FIELDS.entries()) {
    const value = fields[index] ?? '';
    if (!cronFieldValid(value, field)) {
      return `has "${value}" as its ${field.name} field (expected ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}, with , - * /${field.special ? ' or its special values' : ''})`;
    }
  }
  const dayOfMonth = fields[2];
  const dayOfWeek = fields[4];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'must have "?" in exactly one of day-of-month and day-of-week (EventBridge cannot take both, nor neither)';
  }
  return undefined;
}

function cronFieldValid(value: string, field: CronField): boolean {
  if (field.special?.test(value)) return true;
  return value.split(',').every((item) => {
    const [range = '', step, ...extra] = item.split('/');
    if (extra.length > 0) return false;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return false;
    if (range === '*') return true;
    const [from = '', to, ...more] = range.split('-');
    if (more.length > 0) return false;
    const start = cronNumber(from, field);
    if (start === undefined) return false;
    if (to === undefined) return true;
    return cronNumber(to, field) !== undefined;
  });
}

function cronNumber(token: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  return value >= field.min && value <= field.max ? value : undefined;
}

const FEATURE_NAME = z.string().min(1, { error: 'is empty (expected a feature name)' });

/** `models.<name>.monitoring` as written: every key optional, merged over `models.defaults.monitoring`. */
export const monitoringSchema = z.strictObject({
  /** EventBridge schedule of the model's drift and quality checks; checked by {@link scheduleProblem}. */
  schedule: z
    .string()
    .superRefine((value, ctx) => {
      const problem = scheduleProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', input: value, message: problem });
    })
    .optional(),
  minSamples: z.number().int().min(1).max(100_000_000).optional(),
  /** A share of the features, above 0 and at most 1. */
  driftShare: z.number().finite().positive().max(1).optional(),
  criticalFeatures: z.array(FEATURE_NAME).optional(),
  correction: z.enum(DRIFT_CORRECTIONS).optional(),
  alpha: z.number().finite().positive().max(0.5).optional(),
  consecutiveWindows: z.number().int().min(1).max(100).optional(),
  /** Least time between two retrains' starts; 0 allows back-to-back retrains (one in flight still). */
  cooldown: z
    .union([z.number(), z.string()], {
      error: 'is not a duration (expected seconds as a number, or a string like "0s", "30m", "24h", "7d")',
    })
    .transform((value, ctx) => {
      const parsed = parseDuration(value);
      if (parsed !== undefined) return parsed;
      ctx.addIssue({
        code: 'custom',
        input: value,
        message:
          'is not a duration (expected a whole number of seconds, 0 or more, or a string like "0s", "30m", "24h", "7d")',
      });
      return z.NEVER;
    })
    .optional(),
  /** Relative loss of the objective metric tolerated before ModelQualityDegraded (0.1 = 10 % worse). */
  qualityTolerance: z.number().finite().min(0).max(10).optional(),
});

export type MonitoringInput = z.output<typeof monitoringSchema>;

const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const UNITS = { s: Duration.seconds, m: Duration.minutes, h: Duration.hours, d: Duration.days };

function parseDuration(value: number | string): Duration | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 ? Duration.seconds(value) : undefined;
  const match = DURATION.exec(value.trim());
  const unit = match?.[2] as keyof typeof UNITS | undefined;
  return match?.[1] && unit ? UNITS[unit](Number(match[1])) : undefined;
}

/** `models.<name>.monitoring` over `models.defaults.monitoring`, key by key; `criticalFeatures` is replaced. */
export function mergeMonitoring(
  base: MonitoringInput | undefined,
  over: MonitoringInput | undefined,
): MonitoringInput | undefined {
  if (!base || !over) return over ?? base;
  return { ...base, ...over };
}

/** One model's merged monitoring settings with the built-in defaults filled in; critical features must be unique. */
export function resolveMonitoring(
  input: MonitoringInput | undefined,
  path: readonly string[],
  issues: ConfigIssue[],
): RuntimeMonitoringSettings {
  const at = (...keys: string[]) => formatPath([...path, 'monitoring', ...keys]);
  const critical = input?.criticalFeatures ?? MONITORING_DEFAULTS.criticalFeatures;
  const seen = new Set<string>();
  for (const feature of critical) {
    if (seen.has(feature)) {
      issues.push({
        path: at('criticalFeatures'),
        message: `names "${feature}" twice (expected each feature once)`,
      });
    }
    seen.add(feature);
  }
  return {
    schedule: input?.schedule ?? MONITORING_DEFAULTS.schedule,
    minSamples: input?.minSamples ?? MONITORING_DEFAULTS.minSamples,
    driftShare: input?.driftShare ?? MONITORING_DEFAULTS.driftShare,
    criticalFeatures: [...critical],
    correction: input?.correction ?? MONITORING_DEFAULTS.correction,
    alpha: input?.alpha ?? MONITORING_DEFAULTS.alpha,
    consecutiveWindows: input?.consecutiveWindows ?? MONITORING_DEFAULTS.consecutiveWindows,
    cooldownSeconds: input?.cooldown?.toSeconds() ?? MONITORING_DEFAULTS.cooldownSeconds,
    qualityTolerance: input?.qualityTolerance ?? MONITORING_DEFAULTS.qualityTolerance,
  };
}

/**
 * The issue for the stack-wide `drift` block of earlier versions: monitoring is configured per model now, under
 * `models.<name>.monitoring` (or `models.defaults.monitoring`), with other keys.
 */
export function legacyDriftIssue(): ConfigIssue {
  return {
    path: 'drift',
    message:
      'moved to models.defaults.monitoring (per model: models.<name>.monitoring), with the keys schedule, minSamples, driftShare, criticalFeatures, correction, alpha, consecutiveWindows, cooldown and qualityTolerance (threshold and consecutiveBreaches are gone: the drift tests have their own thresholds; consecutiveWindows replaces consecutiveBreaches); see docs/configuration.md',
  };
}
