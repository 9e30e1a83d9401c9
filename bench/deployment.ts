/**
 * State transitions (what Standard workflows bill) of the deployment workflow, counted from the execution events
 * of the synthesized definition run locally (test/support/deployment-harness.ts: SageMaker simulated, the
 * registry on DynamoDB Local): a blue/green update that is promoted, and one that SageMaker rolls back on an
 * alarm; a promoted update of an autoscaled model (the scalable target and policy registered after the
 * promotion); and a first deployment whose endpoint ends Failed (the endpoint it created deleted). Targets (deployment issue): at most 25 without rollback, at most 35 with an alarm rollback. No Lambda
 * waits in a loop: the endpoint wait is one task-token state, resumed by the endpoint's event.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../cdk.json';
import { loadConfig } from '../lib/config';
import { ServerlessMlopsStack } from '../lib/serverless-mlops-stack';
import type { CfnTemplate } from '../local/template/template';
import { DeploymentHarness } from '../test/support/deployment-harness';

const RUNS = 5;

async function main(): Promise<void> {
  const { mlops: _ignored, ...flags } = cdkJson.context;
  const app = new App({
    context: {
      ...flags,
      'aws:cdk:bundling-stacks': [],
      mlops: {
        models: {
          bench: {
            problemType: 'binary',
            targetColumn: 'label',
            deployment: {
              mode: 'auto',
              endpoint: { initialInstanceCount: 2 },
              trafficRouting: { type: 'CANARY', canaryPercent: 10, wait: '300s' },
            },
          },
          scaled: {
            problemType: 'binary',
            targetColumn: 'label',
            deployment: {
              mode: 'auto',
              endpoint: {
                initialInstanceCount: 2,
                autoscaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 100 },
              },
              trafficRouting: { type: 'CANARY', canaryPercent: 10, wait: '300s' },
            },
          },
          fresh: { problemType: 'binary', targetColumn: 'label', deployment: { mode: 'auto' } },
        },
      },
    },
  });
  const env = { account: '123456789012', region: 'us-east-1' };
  const stack = new ServerlessMlopsStack(app, 'ServerlessMlops', {
    env,
    config: loadConfig(app, env.region),
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const harness = await DeploymentHarness.start(template);
  try {
    // The endpoint exists first: the figures are of updates, the common case.
    for (const model of ['bench', 'scaled']) {
      const first = await harness.deploy(model, await harness.approved(model));
      if (first.status !== 'SUCCEEDED') throw new Error(`first deployment ${first.status}: ${first.cause}`);
    }
    const measure = async (
      behaviour: 'succeed' | 'rollback-alarm' | 'fail',
      expected: 'SUCCEEDED' | 'FAILED',
      model = 'bench',
    ) => {
      const transitions: number[] = [];
      const durations: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        harness.sagemaker.behaviour = behaviour;
        const version = await harness.approved(model);
        const started = performance.now();
        const result = await harness.deploy(model, version);
        durations.push(performance.now() - started);
        if (result.status !== expected)
          throw new Error(`${behaviour} run ${i}: ${result.status} ${result.cause}`);
        transitions.push(result.stateTransitions);
      }
      const median = durations.sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? 0;
      return { stateTransitions: Math.max(...transitions), localRunMsMedian: Math.round(median) };
    };
    const promoted = await measure('succeed', 'SUCCEEDED');
    const rolledBack = await measure('rollback-alarm', 'FAILED');
    const autoscaled = await measure('succeed', 'SUCCEEDED', 'scaled');
    // The endpoint is deleted after each: every run is a first deployment again.
    const failedFirst = await measure('fail', 'FAILED', 'fresh');
    const figures = [
      { bench: 'deployment', path: 'promoted', ...promoted, target: 'at most 25' },
      { bench: 'deployment', path: 'alarm rollback', ...rolledBack, target: 'at most 35' },
      { bench: 'deployment', path: 'promoted with autoscaling', ...autoscaled, target: 'at most 25' },
      {
        bench: 'deployment',
        path: 'failed first deployment, endpoint deleted',
        ...failedFirst,
        target: 'at most 35',
      },
    ];
    for (const figure of figures) {
      console.log(`${figure.path}: ${figure.stateTransitions} state transitions (target ${figure.target})`);
      console.log(`BENCH ${JSON.stringify(figure)}`);
    }
  } finally {
    await harness.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
