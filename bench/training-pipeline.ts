/**
 * State transitions (what Standard workflows bill) of a happy-path training run, counted from the execution
 * events of the synthesized definition run locally; the SageMaker task completes at once.
 * Target (training-pipeline issue): at most 20.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../cdk.json';
import { datasetKey, modelArtifactKey, s3Uri } from '../lambdas/shared/s3-layout';
import { loadConfig } from '../lib/config';
import { ServerlessMlopsStack } from '../lib/serverless-mlops-stack';
import { TrainingStates } from '../lib/workflows/training-pipeline';
import { LOCAL_CREDENTIALS, LocalRuntime } from '../local/runtime';
import type { LocalTaskHandler } from '../local/stepfunctions/executor';
import type { CfnTemplate } from '../local/template/template';
import { findLogicalId } from '../local/template/template';

const RUNS = 5;

/** The parts of CreateTrainingJob's request the fake training reads. */
interface TrainingJobInput {
  readonly TrainingJobName: string;
  readonly Tags: readonly { readonly Key: string; readonly Value: string }[];
}

async function main(): Promise<void> {
  const { mlops: _ignored, ...flags } = cdkJson.context;
  const app = new App({
    context: {
      ...flags,
      'aws:cdk:bundling-stacks': [],
      mlops: { models: { bench: { problemType: 'binary', targetColumn: 'label', approval: 'auto' } } },
    },
  });
  const env = { account: '123456789012', region: 'us-east-1' };
  const stack = new ServerlessMlopsStack(app, 'ServerlessMlops', {
    env,
    config: loadConfig(app, env.region),
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const runtime = await LocalRuntime.start({ template, environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  const s3 = new S3Client({
    region: env.region,
    endpoint: runtime.s3.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const machine = findLogicalId(template, 'AWS::StepFunctions::StateMachine');
    const bucket = runtime.resources.physicalName(findLogicalId(template, 'AWS::S3::Bucket', 'StorageData'));
    const artifacts = runtime.resources.physicalName(
      findLogicalId(template, 'AWS::S3::Bucket', 'StorageArtifacts'),
    );
    // Different bytes per run: the same bytes again would end as a duplicate of the first run.
    const rows = (run: number) => [
      'x1,x2,label',
      ...Array.from({ length: 200 }, (_, i) => `${(i + run) % 17},${(i * 7) % 13},${i % 2}`),
    ];
    const services = serviceTasks(runtime, machine);
    const transitions: number[] = [];
    const durations: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const key = datasetKey('bench', `run-${i}.csv`);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${rows(i).join('\n')}\n` }));
      const started = performance.now();
      const result = await runtime.execute(
        machine,
        {
          source: 'aws.s3',
          'detail-type': 'Object Created',
          detail: { bucket: { name: bucket }, object: { key, size: 1, 'version-id': `v${i}` } },
        },
        {
          services: {
            ...services,
            [TrainingStates.train]: async (input) => {
              const { TrainingJobName, Tags } = input as TrainingJobInput;
              const runId = Tags.find((tag) => tag.Key === 'serverless-mlops:run')?.Value ?? 'bench';
              return {
                TrainingJobName,
                TrainingJobStatus: 'Completed',
                // Where SageMaker would have left the model; nothing is uploaded there.
                ModelArtifacts: {
                  S3ModelArtifacts: s3Uri(artifacts, modelArtifactKey(runId, TrainingJobName)),
                },
                FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.9 }],
              };
            },
          },
        },
      );
      if (result.status !== 'SUCCEEDED')
        throw new Error(`run ${i} ${result.status}: ${result.error} ${result.cause}`);
      durations.push(performance.now() - started);
      transitions.push(result.stateTransitions);
    }
    const figure = {
      bench: 'training-pipeline',
      stateTransitions: Math.max(...transitions),
      target: 'at most 20',
      localRunMsMedian: Math.round(durations.sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? 0),
    };
    console.log(`happy-path run: ${figure.stateTransitions} state transitions (target ${figure.target})`);
    console.log(`BENCH ${JSON.stringify(figure)}`);
  } finally {
    s3.destroy();
    await runtime.stop();
  }
}

/**
 * The existing-job describe, which a happy-path run never reaches: the runtime serves it only with the app's
 * local SageMaker, which this bench does not start (the step updates run on the runtime's DynamoDB).
 */
function serviceTasks(runtime: LocalRuntime, machine: string): Record<string, LocalTaskHandler> {
  const known = runtime.taskHandlers(machine);
  const fallbacks: Record<string, LocalTaskHandler> = {
    [TrainingStates.describeExistingJob]: async () => {
      throw new Error('not reached in a happy-path run');
    },
  };
  return Object.fromEntries(Object.entries(fallbacks).filter(([name]) => known[name] === undefined));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
