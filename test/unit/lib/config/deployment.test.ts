import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, settingsForModel } from '../../../../lib/config';

const region = 'us-east-1';

const resolve = (raw: unknown) => resolveConfig(raw, { region });
const deploymentOf = (raw: unknown, model = 'churn') => settingsForModel(resolve(raw), model).deployment;
const withDeployment = (deployment: unknown, model = 'churn') => ({ models: { [model]: { deployment } } });

function issuesOf(raw: unknown): string[] {
  try {
    resolve(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('deployment settings: defaults and good values', () => {
  it('gives every model a complete real-time, all-at-once deployment when nothing is set', () => {
    // Act
    const deployment = deploymentOf({}, 'any-new-model');

    // Assess
    expect(deployment).toEqual({
      mode: 'auto',
      endpoint: { type: 'realtime', instanceType: 'ml.m5.large', initialInstanceCount: 1 },
      trafficRouting: { type: 'ALL_AT_ONCE' },
      bakeSeconds: 600,
      maxExecutionTimeoutSeconds: 3600,
      dataCapturePercent: 100,
      alarms: { latencyP99Ms: 1000, errorRatePercent: 1 },
      retainVersions: 3,
    });
  });

  it('resolves a real-time endpoint with autoscaling and a canary, durations in seconds', () => {
    // Act
    const deployment = deploymentOf(
      withDeployment({
        mode: 'manual',
        endpoint: {
          instanceType: 'ml.c5.xlarge',
          initialInstanceCount: 2,
          autoscaling: { minCapacity: 2, maxCapacity: 6, targetInvocationsPerInstance: 250 },
        },
        trafficRouting: { type: 'CANARY', canaryPercent: 25, wait: '15m' },
        bakeTime: '30m',
        maxExecutionTimeout: '2h',
        dataCapturePercent: 20,
        alarms: { latencyP99Ms: 250, errorRatePercent: 0.5 },
        retainVersions: 5,
      }),
    );

    // Assess
    expect(deployment).toEqual({
      mode: 'manual',
      endpoint: {
        type: 'realtime',
        instanceType: 'ml.c5.xlarge',
        initialInstanceCount: 2,
        autoscaling: { minCapacity: 2, maxCapacity: 6, targetInvocationsPerInstance: 250 },
      },
      trafficRouting: { type: 'CANARY', canaryPercent: 25, waitIntervalSeconds: 900 },
      bakeSeconds: 1800,
      maxExecutionTimeoutSeconds: 7200,
      dataCapturePercent: 20,
      alarms: { latencyP99Ms: 250, errorRatePercent: 0.5 },
      retainVersions: 5,
    });
  });

  it('resolves a serverless endpoint with no data capture', () => {
    // Act
    const deployment = deploymentOf(
      withDeployment({ endpoint: { type: 'serverless', memorySizeInMb: 4096, maxConcurrency: 50 } }),
    );

    // Assess
    expect(deployment.endpoint).toEqual({ type: 'serverless', memorySizeInMb: 4096, maxConcurrency: 50 });
    expect(deployment.dataCapturePercent).toBe(0);
  });

  it('fills serverless memory and concurrency when only the type is given, and accepts capture 0', () => {
    // Act
    const deployment = deploymentOf(
      withDeployment({ endpoint: { type: 'serverless' }, dataCapturePercent: 0 }),
    );

    // Assess
    expect(deployment.endpoint).toEqual({ type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 20 });
    expect(deployment.dataCapturePercent).toBe(0);
  });

  it('accepts the limits themselves: waits of 0 and 3600 s, 600 s timeout, 6144 MB, 200 concurrent', () => {
    // Act
    const atMin = deploymentOf(
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', canaryPercent: 50, wait: 0 },
        bakeTime: 0,
        maxExecutionTimeout: 600,
      }),
    );
    const atMax = deploymentOf(
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'LINEAR', stepPercent: 50, interval: '1h' },
        bakeTime: '1h',
        maxExecutionTimeout: '8h',
      }),
    );
    const serverless = deploymentOf(
      withDeployment({ endpoint: { type: 'serverless', memorySizeInMb: 6144, maxConcurrency: 200 } }),
    );

    // Assess
    expect(atMin).toMatchObject({
      trafficRouting: { type: 'CANARY', canaryPercent: 50, waitIntervalSeconds: 0 },
      bakeSeconds: 0,
      maxExecutionTimeoutSeconds: 600,
    });
    expect(serverless.endpoint).toEqual({ type: 'serverless', memorySizeInMb: 6144, maxConcurrency: 200 });
    expect(atMax).toMatchObject({
      trafficRouting: { type: 'LINEAR', stepPercent: 50, intervalSeconds: 3600 },
      bakeSeconds: 3600,
      maxExecutionTimeoutSeconds: 28_800,
    });
  });

  it('derives a default timeout that outlasts the waits: bake plus every linear interval plus 30 minutes', () => {
    // Act
    const deployment = deploymentOf(
      withDeployment({
        endpoint: { initialInstanceCount: 4 },
        trafficRouting: { type: 'LINEAR', stepPercent: 20, interval: '20m' },
        bakeTime: '1h',
      }),
    );

    // Assess: 5 steps of 20% wait 4 times between them.
    expect(deployment.maxExecutionTimeoutSeconds).toBe(3600 + 4 * 1200 + 1800);
  });
});

describe('deployment settings: merging over models.defaults', () => {
  const defaults = {
    deployment: {
      mode: 'manual',
      endpoint: {
        instanceType: 'ml.c5.large',
        initialInstanceCount: 2,
        autoscaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 100 },
      },
      trafficRouting: { type: 'LINEAR', stepPercent: 25, interval: '5m' },
      dataCapturePercent: 40,
      alarms: { latencyP99Ms: 500 },
    },
  };

  it('merges key by key within endpoint, autoscaling, traffic routing and alarms', () => {
    // Act
    const deployment = deploymentOf({
      models: {
        defaults,
        churn: {
          deployment: {
            endpoint: { initialInstanceCount: 3, autoscaling: { maxCapacity: 8 } },
            trafficRouting: { interval: '10m' },
            alarms: { errorRatePercent: 2 },
          },
        },
      },
    });

    // Assess
    expect(deployment).toMatchObject({
      mode: 'manual',
      endpoint: {
        type: 'realtime',
        instanceType: 'ml.c5.large',
        initialInstanceCount: 3,
        autoscaling: { minCapacity: 2, maxCapacity: 8, targetInvocationsPerInstance: 100 },
      },
      trafficRouting: { type: 'LINEAR', stepPercent: 25, intervalSeconds: 600 },
      dataCapturePercent: 40,
      alarms: { latencyP99Ms: 500, errorRatePercent: 2 },
    });
  });

  it('lets an unlisted model take the defaults as they are', () => {
    // Act
    const deployment = deploymentOf({ models: { defaults } }, 'unlisted');

    // Assess
    expect(deployment.endpoint).toMatchObject({ instanceType: 'ml.c5.large', initialInstanceCount: 2 });
    expect(deployment.mode).toBe('manual');
  });

  it('replaces the endpoint block when a model picks another endpoint type', () => {
    // Act
    const deployment = deploymentOf({
      models: {
        defaults: { deployment: { ...defaults.deployment, dataCapturePercent: undefined } },
        churn: {
          deployment: {
            endpoint: { type: 'serverless', maxConcurrency: 10 },
            trafficRouting: { type: 'ALL_AT_ONCE' },
          },
        },
      },
    });

    // Assess
    expect(deployment.endpoint).toEqual({ type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 10 });
  });

  it('replaces the traffic routing when a model picks another type', () => {
    // Act
    const deployment = deploymentOf({
      models: { defaults, churn: { deployment: { trafficRouting: { type: 'CANARY', canaryPercent: 20 } } } },
    });

    // Assess
    expect(deployment.trafficRouting).toEqual({
      type: 'CANARY',
      canaryPercent: 20,
      waitIntervalSeconds: 300,
    });
  });

  it('turns off autoscaling from the defaults with `autoscaling: false`', () => {
    // Act
    const deployment = deploymentOf({
      models: { defaults, churn: { deployment: { endpoint: { autoscaling: false } } } },
    });

    // Assess
    expect(deployment.endpoint).toEqual({
      type: 'realtime',
      instanceType: 'ml.c5.large',
      initialInstanceCount: 2,
    });
  });
});

describe('deployment settings: every bad value fails synth under its key path', () => {
  const cases: [string, unknown, string[]][] = [
    [
      'unknown mode',
      withDeployment({ mode: 'later' }),
      ['models.churn.deployment.mode: "later" is not allowed (expected "auto" or "manual")'],
    ],
    [
      'unknown endpoint type',
      withDeployment({ endpoint: { type: 'gpu' } }),
      ['models.churn.deployment.endpoint.type: "gpu" is not allowed (expected "realtime" or "serverless")'],
    ],
    [
      'instance type that is not a SageMaker one',
      withDeployment({ endpoint: { instanceType: 'm5.large' } }),
      [
        'models.churn.deployment.endpoint.instanceType: "m5.large" is not a SageMaker instance type (expected e.g. "ml.m5.large")',
      ],
    ],
    [
      'no instances',
      withDeployment({ endpoint: { initialInstanceCount: 0 } }),
      ['models.churn.deployment.endpoint.initialInstanceCount: 0 is too small (expected at least 1)'],
    ],
    [
      'fractional instance count',
      withDeployment({ endpoint: { initialInstanceCount: 1.5 } }),
      ['models.churn.deployment.endpoint.initialInstanceCount: 1.5 is not a whole number'],
    ],
    [
      'serverless memory off the 1 GB steps',
      withDeployment({ endpoint: { type: 'serverless', memorySizeInMb: 3000 } }),
      [
        'models.churn.deployment.endpoint.memorySizeInMb: 3000 is not allowed (expected 1024 or 2048 or 3072 or 4096 or 5120 or 6144)',
      ],
    ],
    [
      'serverless memory above 6144 MB',
      withDeployment({ endpoint: { type: 'serverless', memorySizeInMb: 7168 } }),
      [
        'models.churn.deployment.endpoint.memorySizeInMb: 7168 is not allowed (expected 1024 or 2048 or 3072 or 4096 or 5120 or 6144)',
      ],
    ],
    [
      'serverless concurrency above 200',
      withDeployment({ endpoint: { type: 'serverless', maxConcurrency: 201 } }),
      ['models.churn.deployment.endpoint.maxConcurrency: 201 is too large (expected at most 200)'],
    ],
    [
      'serverless concurrency 0',
      withDeployment({ endpoint: { type: 'serverless', maxConcurrency: 0 } }),
      ['models.churn.deployment.endpoint.maxConcurrency: 0 is too small (expected at least 1)'],
    ],
    [
      'serverless keys on a real-time endpoint',
      withDeployment({ endpoint: { memorySizeInMb: 2048 } }),
      [
        'models.churn.deployment.endpoint.memorySizeInMb: 2048 is set but endpoint.type is "realtime" (the default), and memorySizeInMb applies to serverless endpoints only (expected no memorySizeInMb, or endpoint.type "serverless")',
      ],
    ],
    [
      'real-time keys on a serverless endpoint',
      withDeployment({
        endpoint: {
          type: 'serverless',
          instanceType: 'ml.m5.large',
          autoscaling: { maxCapacity: 2, targetInvocationsPerInstance: 10 },
        },
      }),
      [
        'models.churn.deployment.endpoint.instanceType: "ml.m5.large" is set but endpoint.type is "serverless", and instanceType applies to realtime endpoints only (expected no instanceType, or endpoint.type "realtime")',
        'models.churn.deployment.endpoint.autoscaling: {"maxCapacity":2,"targetInvocationsPerInstance":10} is set but endpoint.type is "serverless", and autoscaling applies to realtime endpoints only (expected no autoscaling, or endpoint.type "realtime")',
      ],
    ],
    [
      'autoscaling without its maximum and target',
      withDeployment({ endpoint: { autoscaling: { minCapacity: 1 } } }),
      [
        'models.churn.deployment.endpoint.autoscaling.maxCapacity: is required with autoscaling (expected the most instances to scale out to, 1–100)',
        'models.churn.deployment.endpoint.autoscaling.targetInvocationsPerInstance: is required with autoscaling (expected the invocations per instance per minute that target tracking holds, e.g. 100)',
      ],
    ],
    [
      'autoscaling minimum above its maximum',
      withDeployment({
        endpoint: { autoscaling: { minCapacity: 3, maxCapacity: 2, targetInvocationsPerInstance: 10 } },
      }),
      [
        'models.churn.deployment.endpoint.autoscaling.minCapacity: 3 is more than maxCapacity 2 (Application Auto Scaling requires minCapacity <= maxCapacity)',
      ],
    ],
    [
      'autoscaling minimum 0',
      withDeployment({
        endpoint: { autoscaling: { minCapacity: 0, maxCapacity: 2, targetInvocationsPerInstance: 10 } },
      }),
      ['models.churn.deployment.endpoint.autoscaling.minCapacity: 0 is too small (expected at least 1)'],
    ],
    [
      'autoscaling target 0',
      withDeployment({ endpoint: { autoscaling: { maxCapacity: 2, targetInvocationsPerInstance: 0 } } }),
      [
        'models.churn.deployment.endpoint.autoscaling.targetInvocationsPerInstance: 0 is too small (expected more than 0)',
      ],
    ],
    [
      'initial count outside the autoscaling range',
      withDeployment({
        endpoint: {
          initialInstanceCount: 5,
          autoscaling: { maxCapacity: 4, targetInvocationsPerInstance: 10 },
        },
      }),
      [
        "models.churn.deployment.endpoint.initialInstanceCount: 5 is outside autoscaling's 1–4 (expected a count between minCapacity and maxCapacity, or Application Auto Scaling changes it at once)",
      ],
    ],
    [
      'unknown traffic routing type',
      withDeployment({ trafficRouting: { type: 'BLUE_GREEN' } }),
      [
        'models.churn.deployment.trafficRouting.type: "BLUE_GREEN" is not allowed (expected "ALL_AT_ONCE" or "CANARY" or "LINEAR")',
      ],
    ],
    [
      'canary above 50%',
      withDeployment({ trafficRouting: { type: 'CANARY', canaryPercent: 60 } }),
      ['models.churn.deployment.trafficRouting.canaryPercent: 60 is too large (expected at most 50)'],
    ],
    [
      'canary of 0%',
      withDeployment({ trafficRouting: { type: 'CANARY', canaryPercent: 0 } }),
      ['models.churn.deployment.trafficRouting.canaryPercent: 0 is too small (expected at least 1)'],
    ],
    [
      'linear step below 10%',
      withDeployment({ trafficRouting: { type: 'LINEAR', stepPercent: 5 } }),
      ['models.churn.deployment.trafficRouting.stepPercent: 5 is too small (expected at least 10)'],
    ],
    [
      'linear step above 50%',
      withDeployment({ trafficRouting: { type: 'LINEAR', stepPercent: 75 } }),
      ['models.churn.deployment.trafficRouting.stepPercent: 75 is too large (expected at most 50)'],
    ],
    [
      'canary wait over an hour',
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', wait: '2h' },
      }),
      [
        'models.churn.deployment.trafficRouting.wait: 7200 seconds is longer than SageMaker allows for WaitIntervalInSeconds (expected 0 to 3600 seconds)',
      ],
    ],
    [
      'linear interval over an hour',
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'LINEAR', interval: 3601 },
      }),
      [
        'models.churn.deployment.trafficRouting.interval: 3601 seconds is longer than SageMaker allows for WaitIntervalInSeconds (expected 0 to 3600 seconds)',
      ],
    ],
    [
      'negative wait',
      withDeployment({ trafficRouting: { type: 'CANARY', wait: -1 } }),
      [
        'models.churn.deployment.trafficRouting.wait: -1 is not a duration (expected a whole number of seconds, 0 or more, or a string like "0s", "90s", "30m", "1h")',
      ],
    ],
    [
      'canary keys with linear routing',
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'LINEAR', canaryPercent: 10, wait: '1m' },
      }),
      [
        'models.churn.deployment.trafficRouting.canaryPercent: 10 is set but trafficRouting.type is "LINEAR", and canaryPercent applies to CANARY only (expected no canaryPercent, or trafficRouting.type "CANARY")',
        'models.churn.deployment.trafficRouting.wait: 60 seconds is set but trafficRouting.type is "LINEAR", and wait applies to CANARY only (expected no wait, or trafficRouting.type "CANARY")',
      ],
    ],
    [
      'linear keys with the default routing',
      withDeployment({ trafficRouting: { stepPercent: 20 } }),
      [
        'models.churn.deployment.trafficRouting.stepPercent: 20 is set but trafficRouting.type is "ALL_AT_ONCE" (the default), and stepPercent applies to LINEAR only (expected no stepPercent, or trafficRouting.type "LINEAR")',
      ],
    ],
    [
      'a canary on one instance',
      withDeployment({ trafficRouting: { type: 'CANARY' } }),
      [
        `models.churn.deployment.trafficRouting.type: "CANARY" needs a fleet of at least 2 instances, and endpoint.initialInstanceCount is 1 (SageMaker shifts at most 50% of the variant's instances in a canary, and one instance cannot be split: expected "ALL_AT_ONCE", or 2 or more instances)`,
      ],
    ],
    [
      'linear steps on a fleet that may scale in to one instance',
      withDeployment({
        endpoint: {
          initialInstanceCount: 2,
          autoscaling: { maxCapacity: 4, targetInvocationsPerInstance: 10 },
        },
        trafficRouting: { type: 'LINEAR' },
      }),
      [
        `models.churn.deployment.trafficRouting.type: "LINEAR" needs a fleet of at least 2 instances, and endpoint.autoscaling.minCapacity is 1 (SageMaker shifts at most 50% of the variant's instances in a linear step, and one instance cannot be split: expected "ALL_AT_ONCE", or 2 or more instances)`,
      ],
    ],
    [
      'a canary on a serverless endpoint',
      withDeployment({ endpoint: { type: 'serverless' }, trafficRouting: { type: 'CANARY' } }),
      [
        `models.churn.deployment.trafficRouting.type: "CANARY" is set but the endpoint is serverless: SageMaker sizes a canary by the variant's instances, and a serverless variant has none (expected "ALL_AT_ONCE" for a serverless endpoint)`,
      ],
    ],
    [
      'linear steps a serverless model inherits',
      {
        models: {
          defaults: {
            deployment: {
              endpoint: { initialInstanceCount: 2 },
              trafficRouting: { type: 'LINEAR', stepPercent: 50 },
            },
          },
          churn: { deployment: { endpoint: { type: 'serverless' } } },
        },
      },
      [
        `models.churn.deployment.trafficRouting.type: "LINEAR" (inherited from models.defaults.deployment) is set but the endpoint is serverless: SageMaker sizes a linear step by the variant's instances, and a serverless variant has none (expected "ALL_AT_ONCE" for a serverless endpoint)`,
      ],
    ],
    [
      'bake time over an hour',
      withDeployment({ bakeTime: '2h' }),
      [
        'models.churn.deployment.bakeTime: 7200 seconds is longer than SageMaker allows for TerminationWaitInSeconds (expected 0 to 3600 seconds)',
      ],
    ],
    [
      'bake time that is no duration',
      withDeployment({ bakeTime: 'ten minutes' }),
      [
        'models.churn.deployment.bakeTime: "ten minutes" is not a duration (expected a whole number of seconds, 0 or more, or a string like "0s", "90s", "30m", "1h")',
      ],
    ],
    [
      'timeout under 600 s',
      withDeployment({ maxExecutionTimeout: '5m' }),
      [
        'models.churn.deployment.maxExecutionTimeout: 300 seconds is shorter than SageMaker allows for MaximumExecutionTimeoutInSeconds (expected 600 to 28800 seconds)',
      ],
    ],
    [
      'timeout over 8 hours',
      withDeployment({ maxExecutionTimeout: '9h' }),
      [
        'models.churn.deployment.maxExecutionTimeout: 32400 seconds is longer than SageMaker allows for MaximumExecutionTimeoutInSeconds (expected 600 to 28800 seconds)',
      ],
    ],
    [
      'timeout no longer than the waits',
      withDeployment({
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', wait: '30m' },
        bakeTime: '30m',
        maxExecutionTimeout: '1h',
      }),
      [
        "models.churn.deployment.maxExecutionTimeout: 3600 seconds is not longer than the deployment's waits, 3600 seconds (bakeTime plus the traffic shift's waits; SageMaker requires MaximumExecutionTimeoutInSeconds to exceed them)",
      ],
    ],
    [
      'waits longer than any deployment may last',
      withDeployment({
        endpoint: { initialInstanceCount: 10 },
        trafficRouting: { type: 'LINEAR', stepPercent: 10, interval: '1h' },
        bakeTime: '1h',
      }),
      [
        "models.churn.deployment.bakeTime: 3600 seconds plus the traffic shift's 32400 seconds of waits make 36000 seconds, more than a blue/green deployment may last (expected bakeTime and the waits to total less than 28800 seconds)",
      ],
    ],
    [
      'data capture above 100%',
      withDeployment({ dataCapturePercent: 101 }),
      ['models.churn.deployment.dataCapturePercent: 101 is too large (expected at most 100)'],
    ],
    [
      'latency limit 0',
      withDeployment({ alarms: { latencyP99Ms: 0 } }),
      ['models.churn.deployment.alarms.latencyP99Ms: 0 is too small (expected more than 0)'],
    ],
    [
      'error rate 0%',
      withDeployment({ alarms: { errorRatePercent: 0 } }),
      ['models.churn.deployment.alarms.errorRatePercent: 0 is too small (expected more than 0)'],
    ],
    [
      'error rate above 100%',
      withDeployment({ alarms: { errorRatePercent: 150 } }),
      ['models.churn.deployment.alarms.errorRatePercent: 150 is too large (expected at most 100)'],
    ],
    [
      'retaining no versions',
      withDeployment({ retainVersions: 0 }),
      ['models.churn.deployment.retainVersions: 0 is too small (expected at least 1)'],
    ],
    [
      'a misspelt key',
      withDeployment({ bakeTimes: '10m' }),
      [
        'models.churn.deployment.bakeTimes: is not a known setting (did you mean "bakeTime"? expected one of "mode", "endpoint", "trafficRouting", "bakeTime", "maxExecutionTimeout", "dataCapturePercent", "alarms", "retainVersions")',
      ],
    ],
  ];

  it.each(cases)('%s', (_name, raw, expected) => {
    // Act
    const issues = issuesOf(raw);

    // Assess
    expect(issues).toEqual(expected);
  });
});

describe('deployment settings: serverless endpoints have no data capture', () => {
  it('fails synth for data capture set on a serverless endpoint, saying SageMaker has none', () => {
    // Act
    const issues = issuesOf(withDeployment({ endpoint: { type: 'serverless' }, dataCapturePercent: 20 }));

    // Assess
    expect(issues).toEqual([
      'models.churn.deployment.dataCapturePercent: 20 is set but the endpoint is serverless, and SageMaker has no data capture for serverless endpoints (expected 0 or nothing; send its requests through the inference API, which captures them for the drift checks, or use a "realtime" endpoint)',
    ]);
  });

  it('says so when the capture comes from models.defaults', () => {
    // Act
    const issues = issuesOf({
      models: {
        defaults: { deployment: { dataCapturePercent: 50 } },
        churn: { deployment: { endpoint: { type: 'serverless' } } },
      },
    });

    // Assess
    expect(issues).toEqual([
      'models.churn.deployment.dataCapturePercent: 50 (inherited from models.defaults.deployment) is set but the endpoint is serverless, and SageMaker has no data capture for serverless endpoints (expected 0 or nothing; send its requests through the inference API, which captures them for the drift checks, or use a "realtime" endpoint)',
    ]);
  });

  it('accepts a serverless model that turns the inherited capture off', () => {
    // Act
    const deployment = deploymentOf({
      models: {
        defaults: { deployment: { dataCapturePercent: 50 } },
        churn: { deployment: { endpoint: { type: 'serverless' }, dataCapturePercent: 0 } },
      },
    });

    // Assess
    expect(deployment.dataCapturePercent).toBe(0);
    expect(
      settingsForModel(resolve({ models: { defaults: { deployment: { dataCapturePercent: 50 } } } }), 'x')
        .deployment.dataCapturePercent,
    ).toBe(50);
  });
});

describe('the former stack-wide endpoint block', () => {
  it('fails synth saying where each old key lives now, with the block rewritten', () => {
    // Act
    const issues = issuesOf({
      endpoint: {
        instanceType: 'ml.c5.large',
        instanceCount: 2,
        dataCapturePercent: 50,
        deployment: { canaryPercent: 20, bakeTime: '5m' },
        alarms: { latencyP99Ms: 500, errorRatePercent: 2 },
      },
    });

    // Assess
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue).toMatch(
      /^endpoint: is no longer a setting: endpoints are configured per model, under models\.<name>\.deployment merged over models\.defaults\.deployment \(/,
    );
    expect(issue).toContain('instanceCount → endpoint.initialInstanceCount');
    expect(issue).toContain(
      'deployment.canaryPercent → trafficRouting: { "type": "CANARY", "canaryPercent": … }',
    );
    expect(issue).toContain(
      'Move it: "models": { "defaults": { "deployment": {"endpoint":{"type":"realtime","instanceType":"ml.c5.large","initialInstanceCount":2},"trafficRouting":{"type":"CANARY","canaryPercent":20},"bakeTime":"5m","dataCapturePercent":50,"alarms":{"latencyP99Ms":500,"errorRatePercent":2}} } }',
    );
  });

  it('proposes settings that resolve as the old block meant', () => {
    // Prepare: what the message proposes for an old block with two instances.
    const proposed = {
      endpoint: { type: 'realtime', instanceType: 'ml.c5.large', initialInstanceCount: 2 },
      trafficRouting: { type: 'CANARY', canaryPercent: 20 },
      bakeTime: '5m',
    };

    // Act
    const deployment = deploymentOf({ models: { defaults: { deployment: proposed } } }, 'x');

    // Assess
    expect(deployment.trafficRouting).toEqual({
      type: 'CANARY',
      canaryPercent: 20,
      waitIntervalSeconds: 300,
    });
    expect(deployment.bakeSeconds).toBe(300);
  });

  it('names a value that is not even an object', () => {
    // Act
    const issues = issuesOf({ endpoint: 'ml.m5.large' });

    // Assess
    expect(issues).toEqual([
      'endpoint: "ml.m5.large" is no longer a setting: endpoints are configured per model, under models.<name>.deployment merged over models.defaults.deployment. Remove it (nothing in it needs moving)',
    ]);
  });

  it('reports an empty old block too, and the other problems with it', () => {
    // Act
    const issues = issuesOf({ endpoint: {}, stage: 'qa' });

    // Assess
    expect(issues).toEqual([
      'endpoint: is no longer a setting: endpoints are configured per model, under models.<name>.deployment merged over models.defaults.deployment. Remove it (nothing in it needs moving)',
      'stage: "qa" is not allowed (expected "dev" or "prod")',
    ]);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');

  it('has an example configuration that resolves, with the deployments it describes', () => {
    // Prepare
    const example = /## Example\n\n```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    if (!example) throw new Error('docs/configuration.md has no ## Example json block');

    // Act
    const config = resolve(JSON.parse(example).context.mlops);

    // Assess
    expect(settingsForModel(config, 'churn').deployment).toMatchObject({
      endpoint: { type: 'realtime', instanceType: 'ml.m5.large', initialInstanceCount: 2 },
      trafficRouting: { type: 'CANARY', canaryPercent: 25, waitIntervalSeconds: 600 },
    });
    expect(settingsForModel(config, 'fraud-score').deployment).toMatchObject({
      mode: 'manual',
      endpoint: { type: 'serverless', memorySizeInMb: 3072 },
      dataCapturePercent: 0,
    });
    expect(settingsForModel(config, 'churn').monitoring).toMatchObject({
      schedule: 'rate(1 hour)',
      criticalFeatures: ['tenure'],
      qualityTolerance: 0.05,
    });
    expect(settingsForModel(config, 'fraud-score').monitoring).toMatchObject({
      schedule: 'rate(6 hours)',
      criticalFeatures: [],
      cooldownSeconds: 86_400,
    });
  });

  it('quotes the migration error for the old endpoint block as synth prints it', () => {
    // Prepare
    const quoted = /\n {2}- (endpoint: .*)\n/.exec(doc)?.[1];
    if (!quoted) throw new Error('docs/configuration.md quotes no endpoint migration error');

    // Act
    const issues = issuesOf({
      endpoint: { instanceType: 'ml.c5.large', instanceCount: 2, deployment: { canaryPercent: 20 } },
    });

    // Assess
    expect(issues).toEqual([quoted]);
  });
});
