import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DatasetContract } from '../../../lambdas/shared/dataset-contract';
import type { RuntimeModelSettings } from '../../../lambdas/shared/model-settings';
import { PipelineErrors, type RunContext } from '../../../lambdas/shared/pipeline';
import { contractKeys, validateRun } from '../../../lambdas/validate-dataset/validate-run';

const settings: RuntimeModelSettings = {
  approval: 'auto',
  problemType: 'binary',
  targetColumn: 'churned',
  training: {
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    builtInAlgorithm: true,
    hyperparameters: { num_round: '10' },
    instanceType: 'ml.m5.xlarge',
    instanceCount: 1,
    maxRuntimeSeconds: 3600,
    managedSpot: false,
    volumeSizeGb: 30,
    metricDefinitions: [],
  },
  evaluation: { minImprovement: 0 },
};

const run: RunContext = {
  runId: 'churn-0123456789abcdef',
  model: 'churn',
  dataset: { bucket: 'data', key: 'datasets/churn/a.csv', versionId: 'v1' },
  duplicate: false,
};

const csv = [
  'tenure,plan,churned',
  ...Array.from({ length: 40 }, (_, i) => `${i},${['basic', 'pro'][i % 2]},${i < 20 ? 1 : 0}`),
].join('\n');

/** A bucket-per-key store speaking just enough S3 for validateRun, with If-None-Match on PutObject. */
class FakeS3 {
  readonly objects = new Map<string, Buffer>();
  /** Called after each successful put, e.g. to let another run write in between. */
  afterPut: (key: string) => void = () => undefined;

  readonly client = Object.assign(
    new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    { send: (command: unknown) => this.send(command) },
  );

  private async send(command: unknown): Promise<unknown> {
    if (command instanceof GetObjectCommand || command instanceof HeadObjectCommand) {
      const bytes = this.objects.get(`${command.input.Bucket}/${command.input.Key}`);
      if (bytes === undefined)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      if (command instanceof HeadObjectCommand) return { ContentLength: bytes.length };
      return {
        Body: Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString() }),
      };
    }
    if (command instanceof PutObjectCommand) {
      const { Bucket, Key, Body, IfNoneMatch } = command.input;
      const id = `${Bucket}/${Key}`;
      if (IfNoneMatch === '*' && this.objects.has(id)) {
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        });
      }
      this.objects.set(id, Buffer.from(Body as string | Uint8Array));
      this.afterPut(Key as string);
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }
}

describe('validateRun', () => {
  it('keeps the contract another first upload stored meanwhile, and validates against it', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));
    const stored = `artifacts/${contractKeys('churn').stored}`;
    const theirs: DatasetContract = {
      target: 'churned',
      problemType: 'binary',
      columns: [
        { name: 'tenure', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'region', type: 'categorical' },
        { name: 'churned', type: 'categorical' },
      ],
    };
    // The other run accepts its dataset and stores its contract while this one is validating.
    s3.afterPut = (key) => {
      if (key.endsWith('validation-report.json') && !s3.objects.has(stored)) {
        s3.objects.set(stored, Buffer.from(JSON.stringify(theirs)));
      }
    };
    const deps = {
      s3: s3.client,
      logger: { info: () => undefined, warn: () => undefined },
      config: {
        artifactsBucket: 'artifacts',
        kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k',
        modelSettings: { churn: settings },
      },
    };

    // Act
    const outcome = validateRun(run, deps);

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: PipelineErrors.datasetRejected,
      message: expect.stringContaining('region'),
    });
    expect(JSON.parse(s3.objects.get(stored)?.toString() ?? '')).toEqual(theirs);
    expect(s3.objects.has(`artifacts/runs/${run.runId}/encoding.json`)).toBe(false);
  });
});
