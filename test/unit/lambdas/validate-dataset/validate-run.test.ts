import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DatasetContract } from '../../../../lambdas/shared/dataset-contract';
import type { RuntimeModelSettings } from '../../../../lambdas/shared/model-settings';
import { PipelineErrors, type RunContext } from '../../../../lambdas/shared/pipeline';
import type { TrainedDataset } from '../../../../lambdas/shared/registry';
import {
  declaredContractKey,
  RunArtifacts,
  runArtifactKey,
  storedContractKey,
} from '../../../../lambdas/shared/s3-layout';
import { type ValidateRunDeps, validateRun } from '../../../../lambdas/validate-dataset/validate-run';

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
    const stored = `artifacts/${storedContractKey('churn')}`;
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
    // Act
    const outcome = validateRun(run, depsFor(s3));

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: PipelineErrors.datasetRejected,
      message: expect.stringContaining('region'),
    });
    expect(JSON.parse(s3.objects.get(stored)?.toString() ?? '')).toEqual(theirs);
    expect(s3.objects.has(`artifacts/runs/${run.runId}/encoding.json`)).toBe(false);
  });
});

function depsFor(
  s3: FakeS3,
  trained: TrainedDataset | undefined = undefined,
  modelSettings: Record<string, RuntimeModelSettings> = { churn: settings },
) {
  const lookups: string[] = [];
  const deps: ValidateRunDeps = {
    s3: s3.client,
    registry: {
      findTrainedDataset: async (_model: string, sha256: string) => {
        lookups.push(sha256);
        return trained;
      },
    },
    logger: { info: () => undefined, warn: () => undefined },
    config: { artifactsBucket: 'artifacts', kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k', modelSettings },
  };
  return Object.assign(deps, { lookups });
}

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');
const json = (s3: FakeS3, key: string) => JSON.parse(s3.objects.get(key)?.toString() ?? 'null');

describe('validateRun: datasets already trained', () => {
  const trained: TrainedDataset = {
    model: 'churn',
    sha256: sha256Of(csv),
    runId: 'churn-00000000000000aa',
    version: 4,
    createdAt: '2026-11-29T00:00:00.000Z',
  };

  it('plans a duplicate of the run that trained the same bytes, after pass 1, writing no splits', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));
    const deps = depsFor(s3, trained);

    // Act
    const plan = await validateRun(run, deps);

    // Assess
    expect(deps.lookups).toEqual([sha256Of(csv)]);
    expect(plan).toEqual({
      reportUri: `s3://artifacts/runs/${run.runId}/validation-report.json`,
      lineage: { sha256: sha256Of(csv), rowCount: 40, sizeBytes: Buffer.byteLength(csv) },
      duplicateOf: { runId: 'churn-00000000000000aa', version: 4 },
    });
    const written = [...s3.objects.keys()].filter((key) => key.startsWith('artifacts/'));
    expect(written.sort()).toEqual([
      `artifacts/runs/${run.runId}/lineage.json`,
      `artifacts/runs/${run.runId}/validation-report.json`,
    ]);
    expect(json(s3, `artifacts/runs/${run.runId}/validation-report.json`)).toMatchObject({
      status: 'accepted',
    });
  });

  it('trains a forced run (a retry) without looking the bytes up', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));
    const deps = depsFor(s3, trained);

    // Act
    const plan = await validateRun({ ...run, forced: true }, deps);

    // Assess
    expect(deps.lookups).toEqual([]);
    expect(plan.duplicateOf).toBeUndefined();
    expect(plan.training?.jobName).toBe(run.runId);
    expect(s3.objects.has(`artifacts/runs/${run.runId}/splits/train/train.csv`)).toBe(true);
  });

  it('trains bytes the model never trained on', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));

    // Act
    const plan = await validateRun(run, depsFor(s3, undefined));

    // Assess
    expect(plan.training?.trainUri).toBe(`s3://artifacts/runs/${run.runId}/splits/train/`);
    expect(s3.objects.has(`artifacts/runs/${run.runId}/splits/validation/validation.csv`)).toBe(true);
    expect(s3.objects.has(`artifacts/runs/${run.runId}/baseline.json`)).toBe(true);
  });
});

describe('validateRun: a schema.json that declares only the target', () => {
  const { targetColumn: _targetColumn, problemType: _problemType, ...noTarget } = settings;
  const declared = `data/${declaredContractKey('churn')}`;
  const stored = `artifacts/${storedContractKey('churn')}`;

  it('infers the columns from the first accepted dataset and stores the full contract', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));
    s3.objects.set(declared, Buffer.from(JSON.stringify({ target: 'churned', labels: ['0', '1'] })));

    // Act
    const plan = await validateRun(run, depsFor(s3, undefined, { defaults: noTarget }));

    // Assess
    expect(plan.evaluation?.problemType).toBe('binary');
    expect(json(s3, stored)).toEqual({
      target: 'churned',
      problemType: 'binary',
      columns: [
        { name: 'tenure', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'churned', type: 'categorical' },
      ],
      labels: ['0', '1'],
    });
  });

  it("keeps the contract the run was validated against as the run's contract.json, the same after a retry", async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));
    s3.objects.set(declared, Buffer.from(JSON.stringify({ target: 'churned', labels: ['0', '1'] })));
    const runContract = `artifacts/${runArtifactKey(run.runId, RunArtifacts.contract)}`;

    // Act: the step twice, as a Step Functions retry runs it
    await validateRun(run, depsFor(s3, undefined, { defaults: noTarget }));
    const first = json(s3, runContract);
    await validateRun(run, depsFor(s3, undefined, { defaults: noTarget }));

    // Assess
    expect(first).toEqual(json(s3, stored));
    expect(json(s3, runContract)).toEqual(first);
  });

  it('checks later uploads against the stored contract', async () => {
    // Prepare: the contract stored from the first dataset has no column "region"
    const s3 = new FakeS3();
    s3.objects.set(declared, Buffer.from(JSON.stringify({ target: 'churned' })));
    s3.objects.set(
      stored,
      Buffer.from(
        JSON.stringify({
          target: 'churned',
          problemType: 'binary',
          columns: [
            { name: 'tenure', type: 'numeric' },
            { name: 'churned', type: 'categorical' },
          ],
        }),
      ),
    );
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));

    // Act
    const act = validateRun(run, depsFor(s3, undefined, { defaults: noTarget }));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: PipelineErrors.datasetRejected,
      message: expect.stringContaining('"plan" is not in the contract'),
    });
  });

  it('refuses a declaration that disagrees with the stored contract (ContractMissing)', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set(declared, Buffer.from(JSON.stringify({ target: 'plan' })));
    s3.objects.set(
      stored,
      Buffer.from(
        JSON.stringify({
          target: 'churned',
          problemType: 'binary',
          columns: [{ name: 'churned', type: 'categorical' }],
        }),
      ),
    );
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));

    // Act
    const act = validateRun(run, depsFor(s3));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: PipelineErrors.contractMissing,
      message: expect.stringContaining('target: declared "plan", the contract has "churned"'),
    });
  });

  it('names every field error of an invalid schema.json (ContractMissing)', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set(declared, Buffer.from(JSON.stringify({ problemType: 'binary', colour: 'red' })));
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));

    // Act
    const act = validateRun(run, depsFor(s3));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: PipelineErrors.contractMissing,
      message: expect.stringMatching(/target: is required .*colour: unknown field/),
    });
  });

  it('says how to declare the target when there is none anywhere (ContractMissing)', async () => {
    // Prepare
    const s3 = new FakeS3();
    s3.objects.set('data/datasets/churn/a.csv', Buffer.from(csv));

    // Act
    const act = validateRun(run, depsFor(s3, undefined, { defaults: noTarget }));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: PipelineErrors.contractMissing,
      message: expect.stringContaining('s3://data/datasets/churn/schema.json (e.g. {"target": "<column>"}'),
    });
  });
});
