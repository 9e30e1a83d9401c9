import { describe, expect, it } from 'vitest';
import { deploymentSettingsFromEnv } from '../../../../lambdas/shared/deployment/settings';
import {
  runtimeDeploymentSettingsMapSchema,
  runtimeEvaluationSettingsMapSchema,
  runtimeModelSettingsMapSchema,
  runtimeMonitoringSettingsMapSchema,
} from '../../../../lambdas/shared/model-settings-schemas';
import { parseJsonEnv } from '../../../../lambdas/shared/runtime/env';
import {
  resolveConfig,
  toRuntimeDeploymentSettings,
  toRuntimeModelSettings,
  toRuntimeMonitoringSettings,
} from '../../../../lib/config';

const region = 'us-east-1';

/** Every optional part set, two models over `defaults`. */
const raw = {
  models: {
    defaults: { deployment: { mode: 'manual', bakeTime: '5m' }, monitoring: { criticalFeatures: ['age'] } },
    churn: {
      problemType: 'binary',
      targetColumn: 'churned',
      training: { managedSpot: true, maxWait: '2h', hyperparameters: { num_round: 50 } },
      evaluation: { metric: 'validation:auc', threshold: 0.7 },
      deployment: {
        endpoint: {
          instanceType: 'ml.c5.xlarge',
          initialInstanceCount: 2,
          autoscaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 100 },
        },
        trafficRouting: { type: 'CANARY', canaryPercent: 10, wait: '5m' },
      },
    },
    fraud: { deployment: { endpoint: { type: 'serverless', memorySizeInMb: 3072, maxConcurrency: 5 } } },
  },
};

/** What a Lambda reads: the map as JSON in an environment variable. */
const env = (name: string, value: unknown) => ({ [name]: JSON.stringify(value) });

describe('runtime settings schemas', () => {
  it('parse what the stack puts in MODEL_SETTINGS, DEPLOYMENT_SETTINGS and MONITORING_SETTINGS, unchanged', () => {
    // Prepare
    const config = resolveConfig(raw, { region });
    const models = toRuntimeModelSettings(config);
    const deployment = toRuntimeDeploymentSettings(config);
    const monitoring = toRuntimeMonitoringSettings(config);
    const evaluation = Object.fromEntries(
      Object.entries(models).map(([model, { problemType, evaluation }]) => [
        model,
        { problemType, evaluation },
      ]),
    );

    // Act
    const parsed = {
      models: parseJsonEnv('MODEL_SETTINGS', runtimeModelSettingsMapSchema, env('MODEL_SETTINGS', models)),
      deployment: deploymentSettingsFromEnv(env('DEPLOYMENT_SETTINGS', deployment)),
      monitoring: parseJsonEnv(
        'MONITORING_SETTINGS',
        runtimeMonitoringSettingsMapSchema,
        env('MONITORING_SETTINGS', monitoring),
      ),
      evaluation: parseJsonEnv(
        'MODEL_SETTINGS',
        runtimeEvaluationSettingsMapSchema,
        env('MODEL_SETTINGS', evaluation),
      ),
    };

    // Assess
    expect(parsed).toEqual(JSON.parse(JSON.stringify({ models, deployment, monitoring, evaluation })));
  });

  it('fail at once naming the variable and the field of a damaged map', () => {
    // Prepare
    const deployment = toRuntimeDeploymentSettings(resolveConfig(raw, { region }));
    const damaged = { ...deployment, churn: { ...deployment.churn, endpoint: { type: 'realtime' } } };

    // Act
    const read = () => deploymentSettingsFromEnv(env('DEPLOYMENT_SETTINGS', damaged));

    // Assess
    expect(read).toThrow(
      /^Environment variable DEPLOYMENT_SETTINGS does not have the expected shape: churn\.endpoint\.instanceType: /,
    );
    expect(() => parseJsonEnv('X', runtimeDeploymentSettingsMapSchema, {})).toThrow(
      'Missing environment variable X',
    );
  });
});
