import { describe, expect, it } from 'vitest';
import {
  type MonitoringScheduleInput,
  monitoringSettingsFor,
  scheduledModels,
} from '../../../../lambdas/shared/model-settings';
import {
  ConfigError,
  resolveConfig,
  toRuntimeModelSettings,
  toRuntimeMonitoringSettings,
} from '../../../../lib/config';
import { MONITORING_DEFAULTS, scheduleProblem } from '../../../../lib/config/monitoring';

const region = 'us-east-1';

function issuesOf(raw: unknown): string[] {
  try {
    resolveConfig(raw, { region });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('monitoring settings', () => {
  it('defaults to an hourly check, 200 rows, half the features, BH at 0.05, 2 windows, 24 h cooldown', () => {
    // Act
    const settings = toRuntimeMonitoringSettings(resolveConfig({}, { region }));

    // Assess
    expect(settings).toEqual({
      defaults: {
        schedule: 'rate(1 hour)',
        minSamples: 200,
        driftShare: 0.5,
        criticalFeatures: [],
        correction: 'benjamini-hochberg',
        alpha: 0.05,
        consecutiveWindows: 2,
        cooldownSeconds: 86_400,
        qualityTolerance: 0.1,
      },
    });
    expect(settings.defaults).toEqual(MONITORING_DEFAULTS);
  });

  it('merges a model over `defaults` key by key, replacing criticalFeatures, with durations in seconds', () => {
    // Arrange
    const raw = {
      models: {
        defaults: { monitoring: { schedule: 'rate(6 hours)', criticalFeatures: ['age'], cooldown: '2d' } },
        churn: { monitoring: { criticalFeatures: ['tenure', 'plan'], driftShare: 0.3, cooldown: 0 } },
        fraud: {},
      },
    };

    // Act
    const settings = toRuntimeMonitoringSettings(resolveConfig(raw, { region }));

    // Assess
    expect(settings.churn).toMatchObject({
      schedule: 'rate(6 hours)',
      criticalFeatures: ['tenure', 'plan'],
      driftShare: 0.3,
      cooldownSeconds: 0,
      minSamples: 200,
    });
    expect(settings.fraud).toMatchObject({ criticalFeatures: ['age'], cooldownSeconds: 172_800 });
    expect(monitoringSettingsFor(settings, 'never-listed')).toBe(settings.defaults);
  });

  it('keeps monitoring out of MODEL_SETTINGS (the training Lambdas never read it)', () => {
    // Act
    const modelSettings = toRuntimeModelSettings(
      resolveConfig({ models: { defaults: { monitoring: { minSamples: 50 } } } }, { region }),
    );

    // Assess
    expect(modelSettings.defaults).not.toHaveProperty('monitoring');
  });

  it.each<[string, unknown, string[]]>([
    [
      'the stack-wide drift block of earlier versions',
      { drift: { schedule: 'rate(1 day)' } },
      [
        'drift: moved to models.defaults.monitoring (per model: models.<name>.monitoring), with the keys schedule, minSamples, driftShare, criticalFeatures, correction, alpha, consecutiveWindows, cooldown and qualityTolerance (threshold and consecutiveBreaches are gone: the drift tests have their own thresholds; consecutiveWindows replaces consecutiveBreaches); see docs/configuration.md',
      ],
    ],
    [
      'out-of-range numbers',
      {
        models: {
          churn: {
            monitoring: {
              driftShare: 0,
              minSamples: 0,
              consecutiveWindows: 101,
              alpha: 0.9,
              qualityTolerance: -1,
            },
          },
        },
      },
      [
        'models.churn.monitoring.minSamples: 0 is too small (expected at least 1)',
        'models.churn.monitoring.driftShare: 0 is too small (expected more than 0)',
        'models.churn.monitoring.alpha: 0.9 is too large (expected at most 0.5)',
        'models.churn.monitoring.consecutiveWindows: 101 is too large (expected at most 100)',
        'models.churn.monitoring.qualityTolerance: -1 is too small (expected at least 0)',
      ],
    ],
    [
      'an unknown correction and a bad cooldown',
      { models: { churn: { monitoring: { correction: 'holm', cooldown: '1w' } } } },
      [
        'models.churn.monitoring.correction: "holm" is not allowed (expected "benjamini-hochberg" or "bonferroni")',
        'models.churn.monitoring.cooldown: "1w" is not a duration (expected a whole number of seconds, 0 or more, or a string like "0s", "30m", "24h", "7d")',
      ],
    ],
    [
      'a critical feature named twice',
      { models: { fraud: { monitoring: { criticalFeatures: ['amount', 'amount'] } } } },
      ['models.fraud.monitoring.criticalFeatures: names "amount" twice (expected each feature once)'],
    ],
    [
      'a misspelt key',
      { models: { churn: { monitoring: { schedul: 'rate(1 hour)' } } } },
      [
        'models.churn.monitoring.schedul: is not a known setting (did you mean "schedule"? expected one of "schedule", "minSamples", "driftShare", "criticalFeatures", "correction", "alpha", "consecutiveWindows", "cooldown", "qualityTolerance")',
      ],
    ],
  ])('rejects %s, naming the key path', (_name, raw, expected) => {
    // Act
    const issues = issuesOf(raw);

    // Assess
    expect(issues).toEqual(expected);
  });
});

describe('scheduleProblem (EventBridge rate and cron expressions)', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'cron(0 6 * * ? *)',
    'cron(15 10 ? * 6L 2030-2035)',
    'cron(0/15 * * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)',
    'cron(0 0 L * ? *)',
    'cron(0 9 ? JAN,JUL 3#2 *)',
    'cron(5,35 14 15W * ? *)',
  ])('accepts %s', (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });

  it.each([
    ['daily', 'is not an EventBridge schedule'],
    ['rate(1 hours)', 'has a plural unit with the value 1 (expected "rate(1 hour)")'],
    ['rate(5 hour)', 'has a singular unit with the value 5 (expected "rate(5 hours)")'],
    ['rate(0 minutes)', 'has a rate of 0'],
    ['rate(1 week)', 'is not a rate expression'],
    ['rate(1.5 hours)', 'is not a rate expression'],
    ['cron(0 6 * * *)', 'has 5 cron fields (expected 6'],
    ['cron(0 6 * * * *)', 'must have "?" in exactly one of day-of-month and day-of-week'],
    ['cron(0 6 ? * ? *)', 'must have "?" in exactly one of day-of-month and day-of-week'],
    ['cron(60 6 * * ? *)', 'has "60" as its minutes field'],
    ['cron(0 24 * * ? *)', 'has "24" as its hours field'],
    ['cron(0 6 32 * ? *)', 'has "32" as its day-of-month field'],
    ['cron(0 6 * 13 ? *)', 'has "13" as its month field'],
    ['cron(0 6 ? * 8 *)', 'has "8" as its day-of-week field'],
    ['cron(0 6 * * ? 1969)', 'has "1969" as its year field'],
    ['cron(0 6 ? * FOO *)', 'has "FOO" as its day-of-week field'],
  ])('rejects %s', (expression, message) => {
    expect(scheduleProblem(expression)).toContain(message);
  });
});

describe('scheduledModels (the schedule rules’ target input)', () => {
  const deployed = ['churn', 'fraud', 'prices'];

  it('checks the named models of a configured schedule as given', () => {
    const input: MonitoringScheduleInput = { models: ['fraud'], time: '2031-01-01T00:00:00Z' };
    expect(scheduledModels(input, deployed)).toEqual(['fraud']);
  });

  it('checks every deployed model but the excluded ones on the default schedule', () => {
    const input: MonitoringScheduleInput = { models: '*', exclude: ['fraud'], time: '2031-01-01T00:00:00Z' };
    expect(scheduledModels(input, deployed)).toEqual(['churn', 'prices']);
  });
});
