import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  type CreateTrainingJobRequest,
  CreateTransformJobCommand,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobResponse,
  SageMakerClient,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { x as extractTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3';
import { localS3ClientConfig } from '../../local/aws/s3-client';
import {
  type LocalSageMaker,
  type LocalSageMakerOptions,
  startLocalSageMaker,
  type TrainingJobEvent,
} from '../../local/sagemaker/server';
import { createTrainingJobSyncTask } from '../../local/sagemaker/sync-task';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const ROLE = 'arn:aws:iam::000000000000:role/TrainingRole';

// Trainers are tiny Node scripts; each image name picks one (see `trainers` below).
const TRAINERS: Record<string, string> = {
  good: `
    const fs = require('node:fs'), path = require('node:path'), env = process.env;
    const train = env.SM_CHANNEL_TRAIN;
    const rows = fs.readFileSync(path.join(train, 'train.csv'), 'utf8').trim().split('\\n').length;
    console.log('[0]\\ttrain-auc:0.7\\tvalidation-auc:0.65');
    console.log('[1]\\ttrain-auc:0.8\\tvalidation-auc:0.72');
    const config = (name) => JSON.parse(fs.readFileSync(path.join(env.SM_INPUT_CONFIG_DIR, name), 'utf8'));
    fs.writeFileSync(path.join(env.SM_MODEL_DIR, 'model.json'), JSON.stringify({
      rows, cwd: process.cwd(), root: env.SAGEMAKER_ML_ROOT, job: env.TRAINING_JOB_NAME,
      channels: JSON.parse(env.SM_CHANNELS), hps: JSON.parse(env.SM_HPS), home: env.HOME ?? null,
      hyperparameters: config('hyperparameters.json'), inputdataconfig: config('inputdataconfig.json'),
      validationFiles: fs.readdirSync(env.SM_CHANNEL_VALIDATION),
    }));`,
  crash: `
    const failure = require('node:path').join(process.env.SM_OUTPUT_DIR, 'failure');
    require('node:fs').writeFileSync(failure, 'ClientError: column "y" is missing\\n');
    process.exit(1);`,
  exit3: `console.error('loading data'); console.error('out of patience'); process.exit(3);`,
  sleepy: `
    const fs = require('node:fs');
    process.on('SIGTERM', () => {
      fs.writeFileSync(process.env.SM_MODEL_DIR + '/partial.json', '{"epochs":1}');
      process.exit(0);
    });
    console.log('epoch 1');
    setInterval(() => {}, 1000);`,
};

describe('local SageMaker (training API over the real SDK client, s3rver for data)', () => {
  let root: string;
  let s3Server: LocalS3;
  let s3: S3Client;
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  let options: LocalSageMakerOptions;
  const events: TrainingJobEvent[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-sagemaker-'));
    s3Server = await startLocalS3({ directory: join(root, 's3'), buckets: ['data', 'artifacts'] });
    const s3Config = localS3ClientConfig(s3Server.endpoint, REGION, CREDENTIALS);
    s3 = new S3Client(s3Config);
    await put('data', 'runs/r1/train/train.csv', 'y,x\n1,0.5\n0,0.1\n1,0.9\n');
    await put('data', 'runs/r1/validation/validation.csv', 'y,x\n0,0.2\n');
    options = {
      workDir: join(root, 'jobs'),
      s3: s3Config,
      trainers: Object.keys(TRAINERS).map((name) => ({
        image: new RegExp(`/${name}:`),
        command: [process.execPath, writeTrainer(root, name)],
      })),
      // The built-in algorithm's definitions, in SageMaker's CloudWatch (#011) form.
      builtInMetricDefinitions: (image) =>
        image.includes('/good:')
          ? [
              {
                Name: 'validation:auc',
                Regex: '.*\\[[0-9]+\\].*#011validation-auc:([-+]?[0-9]*\\.?[0-9]+).*',
              },
            ]
          : [],
      stopGracePeriodMs: 2000,
    };
    sagemaker = await startLocalSageMaker(options);
    sagemaker.onJobEvent((event) => events.push(event));
    client = new SageMakerClient({ region: REGION, endpoint: sagemaker.endpoint, credentials: CREDENTIALS });
  });

  afterAll(async () => {
    client?.destroy();
    s3?.destroy();
    await sagemaker?.stop();
    await s3Server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function put(bucket: string, key: string, body: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  function job(name: string, image: string, overrides: Partial<CreateTrainingJobRequest> = {}) {
    const channel = (channelName: string) => ({
      ChannelName: channelName,
      ContentType: 'text/csv',
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix' as const,
          S3Uri: `s3://data/runs/r1/${channelName}/`,
          S3DataDistributionType: 'FullyReplicated' as const,
        },
      },
    });
    return {
      TrainingJobName: name,
      AlgorithmSpecification: {
        TrainingImage: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${image}:1`,
        TrainingInputMode: 'File' as const,
      },
      RoleArn: ROLE,
      HyperParameters: { num_round: '2', objective: 'binary:logistic' },
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: 's3://artifacts/models/' },
      ResourceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1, VolumeSizeInGB: 5 },
      StoppingCondition: { MaxRuntimeInSeconds: 60 },
      EnableNetworkIsolation: true,
      ...overrides,
    } satisfies CreateTrainingJobRequest;
  }

  async function describeJob(name: string): Promise<DescribeTrainingJobResponse> {
    return client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
  }

  async function waitFor(name: string, done: (job: DescribeTrainingJobResponse) => boolean) {
    for (;;) {
      const described = await describeJob(name);
      if (done(described)) return described;
      await sleep(25);
    }
  }

  const ended = (job: DescribeTrainingJobResponse) =>
    ['Completed', 'Failed', 'Stopped'].includes(job.TrainingJobStatus ?? '');

  async function errorOf(promise: Promise<unknown>): Promise<Error & { Message?: string }> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: Error) => error,
    );
  }

  it('trains under the SageMaker contract, reads metrics from the log and uploads model.tar.gz', async () => {
    // Prepare
    const request = job('good-job', 'good', {
      AlgorithmSpecification: {
        TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/good:1',
        TrainingInputMode: 'File',
        MetricDefinitions: [{ Name: 'train:auc', Regex: 'train-auc:([0-9.]+)' }],
      },
    });

    // Act
    const created = await client.send(new CreateTrainingJobCommand(request));
    const described = await waitFor('good-job', ended);

    // Assess
    expect(created.TrainingJobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:training-job/good-job');
    expect(described).toMatchObject({
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      RoleArn: ROLE,
      HyperParameters: request.HyperParameters,
      EnableNetworkIsolation: true,
      ModelArtifacts: { S3ModelArtifacts: 's3://artifacts/models/good-job/output/model.tar.gz' },
    });
    expect(described.AlgorithmSpecification?.MetricDefinitions?.map((m) => m.Name)).toEqual([
      'train:auc',
      'validation:auc',
    ]);
    const metrics = Object.fromEntries(
      described.FinalMetricDataList?.map((m) => [m.MetricName, m.Value]) ?? [],
    );
    expect(metrics).toEqual({ 'train:auc': 0.8, 'validation:auc': 0.72 });
    expect(described.FinalMetricDataList?.[0]?.Timestamp).toBeInstanceOf(Date);
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect(described.TrainingEndTime?.getTime()).toBeGreaterThanOrEqual(
      described.TrainingStartTime?.getTime() ?? 0,
    );
    expect(described.SecondaryStatusTransitions?.map((t) => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed',
    ]);

    const model = JSON.parse(await modelFile('models/good-job/output/model.tar.gz', 'model.json'));
    const jobDir = join(options.workDir, 'good-job');
    expect(model).toEqual({
      rows: 4,
      cwd: jobDir,
      root: jobDir,
      job: 'good-job',
      channels: ['train', 'validation'],
      hps: { num_round: 2, objective: 'binary:logistic' },
      home: null,
      hyperparameters: { num_round: '2', objective: 'binary:logistic' },
      inputdataconfig: {
        train: expect.objectContaining({ ContentType: 'text/csv', TrainingInputMode: 'File' }),
        validation: expect.objectContaining({ ContentType: 'text/csv', TrainingInputMode: 'File' }),
      },
      validationFiles: ['validation.csv'],
    });
    const mine = events.filter((event) => event.jobName === 'good-job');
    expect(mine.filter((e) => e.type === 'metric').map((e) => [e.name, e.value])).toEqual([
      ['train:auc', 0.7],
      ['validation:auc', 0.65],
      ['train:auc', 0.8],
      ['validation:auc', 0.72],
    ]);
    expect(mine.filter((e) => e.type === 'log').map((e) => e.line)).toContain(
      '[1]\ttrain-auc:0.8\tvalidation-auc:0.72',
    );
    expect(sagemaker.logs('good-job')).toHaveLength(2);
  });

  /** A file of a model.tar.gz in S3. */
  async function modelFile(key: string, file: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: key }));
    const dir = mkdtempSync(join(root, 'model-'));
    writeFileSync(join(dir, 'model.tar.gz'), (await object.Body?.transformToByteArray()) ?? new Uint8Array());
    await extractTar({ file: join(dir, 'model.tar.gz'), cwd: dir });
    return readFileSync(join(dir, file), 'utf8');
  }

  it('fails a job with the reason the trainer wrote to output/failure', async () => {
    // Act
    await client.send(new CreateTrainingJobCommand(job('crash-job', 'crash')));
    const described = await waitFor('crash-job', ended);

    // Assess
    expect(described).toMatchObject({
      TrainingJobStatus: 'Failed',
      SecondaryStatus: 'Failed',
      FailureReason: 'ClientError: column "y" is missing',
    });
    expect(described.ModelArtifacts).toBeUndefined();
  });

  it('fails a job with the exit code and last stderr lines when the trainer leaves no reason', async () => {
    // Act
    await client.send(new CreateTrainingJobCommand(job('exit3-job', 'exit3')));
    const described = await waitFor('exit3-job', ended);

    // Assess
    expect(described.TrainingJobStatus).toBe('Failed');
    expect(described.FailureReason).toBe(
      'AlgorithmError: trainer exited with code 3. Last stderr lines:\nloading data\nout of patience',
    );
  });

  it('fails a job whose image has no local trainer, saying how to configure one', async () => {
    // Act
    await client.send(new CreateTrainingJobCommand(job('unknown-image-job', 'mystery')));
    const described = await waitFor('unknown-image-job', ended);

    // Assess
    expect(described.TrainingJobStatus).toBe('Failed');
    expect(described.FailureReason).toContain(
      'No local trainer is configured for image "123456789012.dkr.ecr.us-east-1.amazonaws.com/mystery:1"',
    );
    expect(described.FailureReason).toContain('trainers: [{ image:');
  });

  it('fails a job whose channel has no objects, as SageMaker does', async () => {
    // Prepare
    const request = job('empty-channel-job', 'good');
    const train = request.InputDataConfig?.[0];
    if (train?.DataSource?.S3DataSource) train.DataSource.S3DataSource.S3Uri = 's3://data/nothing/here/';

    // Act
    await client.send(new CreateTrainingJobCommand(request));
    const described = await waitFor('empty-channel-job', ended);

    // Assess
    expect(described.TrainingJobStatus).toBe('Failed');
    expect(described.FailureReason).toMatch(
      /^ClientError: No S3 objects found under S3 URL "s3:\/\/data\/nothing\/here\/"/,
    );
  });

  it('stops a job: SIGTERM, the trainer saves its model, the job ends Stopped', async () => {
    // Prepare
    await client.send(new CreateTrainingJobCommand(job('sleepy-job', 'sleepy')));
    await waitFor('sleepy-job', () => sagemaker.logs('sleepy-job').includes('epoch 1'));

    // Act
    await client.send(new StopTrainingJobCommand({ TrainingJobName: 'sleepy-job' }));
    const stopping = await describeJob('sleepy-job');
    const described = await waitFor('sleepy-job', ended);

    // Assess
    expect(['Stopping', 'Stopped']).toContain(stopping.TrainingJobStatus);
    expect(described).toMatchObject({ TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped' });
    expect(described.ModelArtifacts?.S3ModelArtifacts).toBe(
      's3://artifacts/models/sleepy-job/output/model.tar.gz',
    );
    expect(await modelFile('models/sleepy-job/output/model.tar.gz', 'partial.json')).toBe('{"epochs":1}');
    const again = await errorOf(client.send(new StopTrainingJobCommand({ TrainingJobName: 'sleepy-job' })));
    expect(again.name).toBe('ValidationException');
  });

  it('stops a job that runs longer than MaxRuntimeInSeconds (MaxRuntimeExceeded)', async () => {
    // Act
    await client.send(
      new CreateTrainingJobCommand(
        job('slow-job', 'sleepy', { StoppingCondition: { MaxRuntimeInSeconds: 1 } }),
      ),
    );
    const described = await waitFor('slow-job', ended);

    // Assess
    expect(described).toMatchObject({ TrainingJobStatus: 'Stopped', SecondaryStatus: 'MaxRuntimeExceeded' });
    expect(described.FailureReason).toMatch(/^MaxRuntimeExceeded: /);
  });

  it('refuses requests with SageMaker validation messages', async () => {
    // Prepare
    const { RoleArn: _role, ...noRole } = job('no-role-job', 'good');
    const noRoleNoOutput = { ...noRole, OutputDataConfig: undefined } as CreateTrainingJobRequest;

    // Act
    const missing = await errorOf(
      client.send(new CreateTrainingJobCommand(noRole as CreateTrainingJobRequest)),
    );
    const badName = await errorOf(client.send(new CreateTrainingJobCommand(job('bad_name', 'good'))));
    const several = await errorOf(client.send(new CreateTrainingJobCommand(noRoleNoOutput)));

    // Assess
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toBe(
      "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: " +
        'Member must not be null',
    );
    expect(badName.name).toBe('ValidationException');
    expect(badName.message).toBe(
      "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
    );
    expect(several.message).toBe(
      "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: " +
        "Member must not be null; Value null at 'outputDataConfig' failed to satisfy constraint: " +
        'Member must not be null',
    );
  });

  it('refuses a duplicate name (ResourceInUse), answers unknown jobs and operations', async () => {
    // Prepare
    await client.send(new CreateTrainingJobCommand(job('twice-job', 'crash')));

    // Act
    const duplicate = await errorOf(client.send(new CreateTrainingJobCommand(job('Twice-Job', 'crash'))));
    const describeUnknown = await errorOf(describeJob('never-created'));
    const stopUnknown = await errorOf(
      client.send(new StopTrainingJobCommand({ TrainingJobName: 'never-created' })),
    );
    const endpoint = await errorOf(
      client.send(
        new CreateTransformJobCommand({
          TransformJobName: 't',
          ModelName: 'm',
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/in' } } },
          TransformOutput: { S3OutputPath: 's3://data/out' },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      ),
    );

    // Assess
    expect(duplicate.name).toBe('ResourceInUse');
    expect(duplicate.message).toBe(
      'Training job names must be unique within an AWS account and region, and a training job with this ' +
        'name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/twice-job)',
    );
    expect(describeUnknown.name).toBe('ValidationException');
    expect(describeUnknown.message).toBe('Requested resource not found.');
    expect(stopUnknown.message).toBe('Requested resource not found.');
    expect(endpoint.name).toBe('UnknownOperationException');
    expect(endpoint.message).toContain('SageMaker.CreateTransformJob is not served locally');
  });

  describe('the createTrainingJob.sync task', () => {
    it('returns the Describe response as plain JSON with epoch-millisecond timestamps', async () => {
      // Prepare
      const task = createTrainingJobSyncTask(client, { pollIntervalMs: 25 });

      // Act
      const output = (await task(job('sync-good-job', 'good'))) as Record<string, unknown>;

      // Assess
      expect(output).toMatchObject({
        TrainingJobName: 'sync-good-job',
        TrainingJobStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: 's3://artifacts/models/sync-good-job/output/model.tar.gz' },
        FinalMetricDataList: [expect.objectContaining({ MetricName: 'validation:auc', Value: 0.72 })],
      });
      expect(output).not.toHaveProperty('$metadata');
      expect(typeof output.CreationTime).toBe('number');
      expect(Math.abs(Number(output.CreationTime) - Date.now())).toBeLessThan(60_000);
      expect(JSON.parse(JSON.stringify(output))).toEqual(output);
    });

    it('fails with States.TaskFailed and the Describe response as Cause when the job fails', async () => {
      // Prepare
      const task = createTrainingJobSyncTask(client, { pollIntervalMs: 25 });

      // Act
      const error = await errorOf(task(job('sync-crash-job', 'crash')));

      // Assess
      expect(error.name).toBe('States.TaskFailed');
      expect(JSON.parse(error.message)).toMatchObject({
        TrainingJobName: 'sync-crash-job',
        TrainingJobStatus: 'Failed',
        FailureReason: 'ClientError: column "y" is missing',
      });
    });

    it('raises API errors under the names Step Functions gives them', async () => {
      // Prepare
      const task = createTrainingJobSyncTask(client, { pollIntervalMs: 25 });

      // Act
      const invalid = await errorOf(task(job('bad_name', 'good')));
      const duplicate = await errorOf(task(job('twice-job', 'crash')));

      // Assess
      expect(invalid.name).toBe('SageMaker.AmazonSageMakerException');
      expect(invalid.message).toMatch(/^1 validation error detected: .* \(Service: AmazonSageMaker; /);
      expect(invalid.message).toMatch(
        /; Status Code: 400; Error Code: ValidationException; Request ID: .*; Proxy: null\)$/,
      );
      expect(duplicate.name).toBe('SageMaker.ResourceInUseException');
      expect(duplicate.message).toContain('Error Code: ResourceInUse;');
    });
  });

  it('stop() ends running trainers and leaves no process behind', async () => {
    // Prepare
    const own = await startLocalSageMaker({ ...options, workDir: join(root, 'own-jobs'), port: 0 });
    const ownClient = new SageMakerClient({
      region: REGION,
      endpoint: own.endpoint,
      credentials: CREDENTIALS,
    });
    const statuses: string[] = [];
    own.onJobEvent((event) => {
      if (event.type === 'status') statuses.push(event.secondaryStatus);
    });
    await ownClient.send(new CreateTrainingJobCommand(job('left-running', 'sleepy')));
    while (!own.logs('left-running').includes('epoch 1')) await sleep(25);

    // Act
    ownClient.destroy();
    await own.stop();

    // Assess
    expect(statuses.at(-1)).toBe('Stopped');
    expect(trainerProcesses()).toEqual([]);
  });

  it('a crash of the process that runs the trainers kills them too', async () => {
    // Prepare: a quiet trainer (it never writes, so no broken pipe would end it) in a process that crashes.
    const pidFile = join(root, 'quiet-trainer.pid');
    const script = join(root, 'crashing-runtime.ts');
    const module = join(__dirname, '..', '..', 'local', 'sagemaker', 'trainer-process.ts');
    writeFileSync(
      script,
      `import { startTrainer } from ${JSON.stringify(module)};
      startTrainer(['sh', '-c', 'echo $$ > ${pidFile}; exec sleep 60'], {
        cwd: ${JSON.stringify(root)}, env: { PATH: process.env.PATH ?? '' }, onLine: () => undefined,
      });
      setTimeout(() => { throw new Error('crash'); }, 500);`,
    );
    const tsx = pathToFileURL(require.resolve('tsx')).href;

    // Act
    const crash = spawnSync(process.execPath, ['--import', tsx, script], { encoding: 'utf8' });

    // Assess
    expect(crash.status).toBe(1);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const running = isRunning(pid);
    if (running) process.kill(pid, 'SIGKILL'); // not left behind by a failing test
    expect(running).toBe(false);
  });

  /** A killed orphan may stay a zombie until init reaps it: that is not running. */
  function isRunning(pid: number): boolean {
    const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
    return state !== '' && !state.startsWith('Z');
  }

  function trainerProcesses(): string[] {
    const table = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' });
    return table.split('\n').filter((line) => line.includes(join(root, 'trainers')));
  }
});

function writeTrainer(root: string, name: string): string {
  const dir = join(root, 'trainers');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cjs`);
  writeFileSync(file, TRAINERS[name] ?? '');
  return file;
}
