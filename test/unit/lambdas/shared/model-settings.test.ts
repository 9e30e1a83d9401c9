import { describe, expect, it } from 'vitest';
import {
  deploymentSettingsFor,
  type RuntimeDeploymentSettingsMap,
} from '../../../../lambdas/shared/model-settings';
import { resolveConfig, toRuntimeDeploymentSettings, toRuntimeModelSettings } from '../../../../lib/config';

const region = 'us-east-1';

/** What a Lambda reads: the map through JSON, as an environment variable carries it. */
function asLambdaSees(raw: unknown): RuntimeDeploymentSettingsMap {
  return JSON.parse(JSON.stringify(toRuntimeDeploymentSettings(resolveConfig(raw, { region }))));
}

describe('runtime deployment settings', () => {
  it('gives each model its own resolved deployment settings, and unlisted models the defaults', () => {
    // Prepare
    const raw = {
      models: {
        defaults: { deployment: { mode: 'manual', bakeTime: '5m' } },
        churn: {
          deployment: { endpoint: { type: 'serverless', memorySizeInMb: 3072, maxConcurrency: 5 } },
        },
      },
    };

    // Act
    const settings = asLambdaSees(raw);

    // Assess
    expect(deploymentSettingsFor(settings, 'churn')).toEqual({
      mode: 'manual',
      endpoint: { type: 'serverless', memorySizeInMb: 3072, maxConcurrency: 5 },
      trafficRouting: { type: 'ALL_AT_ONCE' },
      bakeSeconds: 300,
      maxExecutionTimeoutSeconds: 3600,
      dataCapturePercent: 0,
      alarms: { latencyP99Ms: 1000, errorRatePercent: 1 },
      retainVersions: 3,
    });
    expect(deploymentSettingsFor(settings, 'first-upload')).toMatchObject({
      mode: 'manual',
      endpoint: { type: 'realtime', instanceType: 'ml.m5.large', initialInstanceCount: 1 },
      bakeSeconds: 300,
      dataCapturePercent: 100,
    });
  });

  it('survives JSON unchanged: plain numbers and strings, no Duration objects', () => {
    // Act
    const settings = toRuntimeDeploymentSettings(
      resolveConfig({ models: { defaults: { deployment: { bakeTime: '1h' } } } }, { region }),
    );

    // Assess
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);
  });

  it('stays out of MODEL_SETTINGS, whose training Lambdas never deploy and whose size is budgeted', () => {
    // Act
    const settings = toRuntimeModelSettings(
      resolveConfig({ models: { churn: { deployment: { mode: 'manual' } } } }, { region }),
    );

    // Assess
    expect(Object.values(settings).some((model) => 'deployment' in model)).toBe(false);
  });

  it('keeps a full deployment block under 450 bytes of JSON, so several models fit one environment variable', () => {
    // Prepare: the largest shape, every optional part set.
    const raw = {
      models: {
        churn: {
          deployment: {
            mode: 'manual',
            endpoint: {
              instanceType: 'ml.c5.18xlarge',
              initialInstanceCount: 10,
              autoscaling: { minCapacity: 10, maxCapacity: 100, targetInvocationsPerInstance: 1000 },
            },
            trafficRouting: { type: 'LINEAR', stepPercent: 10, interval: '10m' },
            bakeTime: '1h',
            dataCapturePercent: 100,
            alarms: { latencyP99Ms: 12_345, errorRatePercent: 12.5 },
            retainVersions: 10,
          },
        },
      },
    };

    // Act
    const deployment = deploymentSettingsFor(asLambdaSees(raw), 'churn');

    // Assess
    expect(Buffer.byteLength(JSON.stringify(deployment))).toBeLessThan(450);
  });

  it('throws naming the model when neither it nor defaults is present', () => {
    // Act
    const lookup = () => deploymentSettingsFor({}, 'churn');

    // Assess
    expect(lookup).toThrowError('The deployment settings have neither "churn" nor "defaults"');
  });
});
