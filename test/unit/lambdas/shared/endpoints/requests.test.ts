import { describe, expect, it } from 'vitest';
import { alarmNames, versionedNames } from '../../../../../lambdas/shared/endpoints/naming';
import {
  createEndpointConfigInput,
  createEndpointInput,
  createModelInput,
  type DeploymentRequestParameters,
  DeploymentSettingsError,
  deploymentSettingsProblems,
  effectiveTrafficRouting,
  updateEndpointInput,
} from '../../../../../lambdas/shared/endpoints/requests';
import type { RuntimeDeploymentSettings } from '../../../../../lambdas/shared/model-settings';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROLE = 'arn:aws:iam::123456789012:role/mlops-churn-model';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ARTIFACT = 's3://mlops-artifacts/runs/r-1/output/job-1/output/model.tar.gz';

const realtime: RuntimeDeploymentSettings = {
  mode: 'auto',
  endpoint: { type: 'realtime', instanceType: 'ml.m5.large', initialInstanceCount: 2 },
  trafficRouting: { type: 'ALL_AT_ONCE' },
  bakeSeconds: 600,
  maxExecutionTimeoutSeconds: 3600,
  dataCapturePercent: 100,
  alarms: { latencyP99Ms: 1000, errorRatePercent: 1 },
  retainVersions: 3,
};

const serverless: RuntimeDeploymentSettings = {
  ...realtime,
  endpoint: { type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 20 },
  dataCapturePercent: 0,
};

function parameters(settings: RuntimeDeploymentSettings): DeploymentRequestParameters {
  const names = versionedNames('mlops', 'churn', 4, 2);
  return {
    model: 'churn',
    version: 4,
    attempt: 2,
    artifactUri: ARTIFACT,
    image: IMAGE,
    executionRoleArn: ROLE,
    kmsKeyArn: KEY,
    artifactsBucket: 'mlops-artifacts',
    names,
    alarmNames: alarmNames(names.endpointName),
    settings,
  };
}

describe('createModelInput', () => {
  it('hosts the version artifact in the inference image, network-isolated, for a real-time endpoint', () => {
    expect(createModelInput(parameters(realtime))).toEqual({
      ModelName: 'mlops-churn-v4-a2',
      PrimaryContainer: { Image: IMAGE, Mode: 'SingleModel', ModelDataUrl: ARTIFACT },
      ExecutionRoleArn: ROLE,
      EnableNetworkIsolation: true,
    });
  });

  it('leaves network isolation off for a serverless endpoint, which does not support it', () => {
    expect(createModelInput(parameters(serverless)).EnableNetworkIsolation).toBe(false);
  });

  it('refuses an artifact that is not an s3:// .tar.gz', () => {
    // Prepare
    const https = {
      ...parameters(realtime),
      artifactUri: 'https://mlops-artifacts.s3.amazonaws.com/m.tar.gz',
    };
    const notTar = { ...parameters(realtime), artifactUri: 's3://mlops-artifacts/runs/r-1/model.zip' };

    // Act + Assess
    expect(() => createModelInput(https)).toThrow(DeploymentSettingsError);
    expect(() => createModelInput(notTar)).toThrow(/is not an s3:\/\/<bucket>\/<key>\.tar\.gz URI/);
  });
});

describe('createEndpointConfigInput', () => {
  it('gives a real-time endpoint one variant, KMS and data capture of CSV and JSON under capture/<model>', () => {
    expect(createEndpointConfigInput(parameters(realtime))).toEqual({
      EndpointConfigName: 'mlops-churn-v4-a2',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: 'mlops-churn-v4-a2',
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 2,
          InitialVariantWeight: 1,
        },
      ],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://mlops-artifacts/capture/churn',
        KmsKeyId: KEY,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
      },
      KmsKeyId: KEY,
    });
  });

  it('samples the configured percentage, and turns capture off at 0%', () => {
    // Act
    const sampled = createEndpointConfigInput(parameters({ ...realtime, dataCapturePercent: 25 }));
    const off = createEndpointConfigInput(parameters({ ...realtime, dataCapturePercent: 0 }));

    // Assess
    expect(sampled.DataCaptureConfig).toMatchObject({ EnableCapture: true, InitialSamplingPercentage: 25 });
    expect(off.DataCaptureConfig).toMatchObject({ EnableCapture: false, InitialSamplingPercentage: 0 });
  });

  it('gives a serverless endpoint its ServerlessConfig and no data capture, KMS key or instances', () => {
    expect(createEndpointConfigInput(parameters(serverless))).toEqual({
      EndpointConfigName: 'mlops-churn-v4-a2',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: 'mlops-churn-v4-a2',
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 20 },
        },
      ],
    });
  });

  it('keeps the variant name constant across versions and attempts (blue/green requires it)', () => {
    // Prepare
    const later = { ...parameters(realtime), names: versionedNames('mlops', 'churn', 9, 1) };

    // Act
    const first = createEndpointConfigInput(parameters(realtime)).ProductionVariants?.[0]?.VariantName;
    const second = createEndpointConfigInput(later).ProductionVariants?.[0]?.VariantName;

    // Assess
    expect(first).toBe('AllTraffic');
    expect(second).toBe(first);
  });

  it('refuses settings SageMaker would reject, naming each', () => {
    // Prepare
    const bad: RuntimeDeploymentSettings = {
      ...realtime,
      endpoint: { type: 'realtime', instanceType: 'm5.large', initialInstanceCount: 0 },
      dataCapturePercent: 101,
    };

    // Act
    let error: unknown;
    try {
      createEndpointConfigInput(parameters(bad));
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(DeploymentSettingsError);
    expect((error as DeploymentSettingsError).problems).toEqual([
      'instanceType "m5.large" is not a SageMaker hosting instance type',
      'initialInstanceCount 0 is not a positive integer',
      'dataCapturePercent 101 is not an integer from 0 to 100 (InitialSamplingPercentage)',
    ]);
  });
});

describe('createEndpointInput', () => {
  it('creates the stable endpoint on this attempt’s config', () => {
    expect(createEndpointInput(versionedNames('mlops', 'churn', 1, 1))).toEqual({
      EndpointName: 'mlops-churn',
      EndpointConfigName: 'mlops-churn-v1-a1',
    });
  });
});

describe('updateEndpointInput', () => {
  const rollback = {
    Alarms: [
      { AlarmName: 'mlops-churn-invocation-5xx-errors' },
      { AlarmName: 'mlops-churn-model-latency-p99' },
      { AlarmName: 'mlops-churn-invocation-error-rate' },
    ],
  };

  it('shifts ALL_AT_ONCE with baking and rolls back on every endpoint alarm', () => {
    expect(updateEndpointInput(parameters(realtime))).toEqual({
      EndpointName: 'mlops-churn',
      EndpointConfigName: 'mlops-churn-v4-a2',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 3600,
        },
        AutoRollbackConfiguration: rollback,
      },
    });
  });

  it('sends a canary as CAPACITY_PERCENT with its wait', () => {
    // Prepare
    const canary: RuntimeDeploymentSettings = {
      ...realtime,
      trafficRouting: { type: 'CANARY', canaryPercent: 10, waitIntervalSeconds: 300 },
    };

    // Act
    const policy = updateEndpointInput(parameters(canary)).DeploymentConfig;

    // Assess
    expect(policy).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY',
          CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
          WaitIntervalInSeconds: 300,
        },
        TerminationWaitInSeconds: 600,
        MaximumExecutionTimeoutInSeconds: 3600,
      },
      AutoRollbackConfiguration: rollback,
    });
  });

  it('sends linear steps as CAPACITY_PERCENT with their interval', () => {
    // Prepare
    const linear: RuntimeDeploymentSettings = {
      ...realtime,
      trafficRouting: { type: 'LINEAR', stepPercent: 25, intervalSeconds: 120 },
    };

    // Act
    const routing = updateEndpointInput(parameters(linear)).DeploymentConfig?.BlueGreenUpdatePolicy;

    // Assess
    expect(routing?.TrafficRoutingConfiguration).toEqual({
      Type: 'LINEAR',
      LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
      WaitIntervalInSeconds: 120,
    });
    expect(routing?.TerminationWaitInSeconds).toBe(600);
  });

  it('updates a serverless endpoint ALL_AT_ONCE, still baked and rolled back by alarms, and says why', () => {
    // Prepare
    const canary: RuntimeDeploymentSettings = {
      ...serverless,
      trafficRouting: { type: 'CANARY', canaryPercent: 10, waitIntervalSeconds: 300 },
    };

    // Act
    const config = updateEndpointInput(parameters(canary)).DeploymentConfig;
    const effective = effectiveTrafficRouting(canary);

    // Assess
    expect(config).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
        TerminationWaitInSeconds: 600,
        MaximumExecutionTimeoutInSeconds: 3600,
      },
      AutoRollbackConfiguration: rollback,
    });
    expect(effective.routing).toEqual({ type: 'ALL_AT_ONCE' });
    expect(effective.adjustedBecause).toMatch(
      /^CANARY traffic shifting is sized by the variant's instance count/,
    );
    expect(effectiveTrafficRouting(realtime)).toEqual({ routing: { type: 'ALL_AT_ONCE' } });
  });

  it('refuses a timeout that is not longer than the waits, counting every linear step', () => {
    // Prepare: 4 steps of 25% wait 3 × 900 s between them, plus 600 s of baking = 3300 s
    const tight: RuntimeDeploymentSettings = {
      ...realtime,
      trafficRouting: { type: 'LINEAR', stepPercent: 25, intervalSeconds: 900 },
      maxExecutionTimeoutSeconds: 3300,
    };

    // Act + Assess
    expect(() => updateEndpointInput(parameters(tight))).toThrow(
      "maxExecutionTimeoutSeconds 3300 is not longer than the deployment's waits, 3300 seconds",
    );
    expect(deploymentSettingsProblems({ ...tight, maxExecutionTimeoutSeconds: 3301 })).toEqual([]);
  });
});

describe('deploymentSettingsProblems', () => {
  it('checks every SageMaker range it relies on', () => {
    // Prepare
    const bad: RuntimeDeploymentSettings = {
      ...realtime,
      endpoint: { type: 'serverless', memorySizeInMb: 1500, maxConcurrency: 201 },
      trafficRouting: { type: 'CANARY', canaryPercent: 51, waitIntervalSeconds: 3601 },
      bakeSeconds: -1,
      maxExecutionTimeoutSeconds: 599,
      alarms: { latencyP99Ms: 0, errorRatePercent: 0 },
    };

    // Act
    const problems = deploymentSettingsProblems(bad);

    // Assess
    expect(problems).toEqual([
      'memorySizeInMb 1500 is not one of 1024, 2048, … 6144 (ServerlessConfig MemorySizeInMB)',
      'maxConcurrency 201 is not an integer from 1 to 200 (ServerlessConfig MaxConcurrency)',
      'canaryPercent 51 is not an integer from 1 to 50 (CanarySize)',
      'waitIntervalSeconds 3601 is not an integer from 0 to 3600 (WaitIntervalInSeconds)',
      'bakeSeconds -1 is not an integer from 0 to 3600 (TerminationWaitInSeconds)',
      'maxExecutionTimeoutSeconds 599 is not an integer from 600 to 28800 (MaximumExecutionTimeoutInSeconds)',
      'alarms.latencyP99Ms 0 is not positive',
      'alarms.errorRatePercent 0 is not in (0, 100]',
    ]);
  });

  it('bounds linear steps to 10–50% of the fleet', () => {
    // Prepare
    const small: RuntimeDeploymentSettings = {
      ...realtime,
      trafficRouting: { type: 'LINEAR', stepPercent: 5, intervalSeconds: 60 },
    };

    // Act + Assess
    expect(deploymentSettingsProblems(small)).toEqual([
      'stepPercent 5 is not an integer from 10 to 50 (LinearStepSize)',
    ]);
  });

  it('accepts the defaults lib/config resolves', () => {
    expect(deploymentSettingsProblems(realtime)).toEqual([]);
    expect(deploymentSettingsProblems(serverless)).toEqual([]);
  });
});
