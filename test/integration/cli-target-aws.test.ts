/**
 * `mlops --target aws` end to end: the real entry point in a child process whose environment holds nothing of
 * the local runtime but what a user of a deployed stack sets (a profile in AWS_CONFIG_FILE /
 * AWS_SHARED_CREDENTIALS_FILE, and AWS_ENDPOINT_URL_<SERVICE> pointing the SDK at the local servers, which
 * speak the services' protocols). The stack's names reach the CLI only through DescribeStacks on the local
 * CloudFormation API, from the synthesized template's outputs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { splitTargetOption } from '../../cli/target';
import { LocalApp } from '../../local/app';
import {
  type LocalCloudFormation,
  stackFromTemplate,
  startLocalCloudFormation,
} from '../../local/aws/cloudformation';
import { LOCAL_CREDENTIALS } from '../../local/aws/s3-client';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const ROOT = join(__dirname, '..', '..');
const SAMPLE = join(ROOT, 'samples', 'penguins', 'penguins.csv');
const PROFILE = 'mlops-local';
const CONFIG = {
  models: {
    // Deployed when the test asks (mlops deploy), not on approval.
    defaults: { deployment: { mode: 'manual' } },
    penguins: {
      problemType: 'multiclass',
      targetColumn: 'species',
      approval: 'manual',
      evaluation: { metric: 'validation:merror', threshold: 0.1 },
      training: { hyperparameters: { num_round: 10 } },
    },
  },
};

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let app: LocalApp;
let workDir: string;
/** A CloudFormation API whose only stack lacks the outputs the CLI needs. */
let foreign: LocalCloudFormation;
/** The environment of a user with a profile for the deployed stack (here: the local servers). */
let userEnv: Record<string, string>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-target-aws-'));
  const template = synthStack({ config: CONFIG }).template.toJSON() as CfnTemplate;
  app = await LocalApp.start({
    template,
    stateDir: join(workDir, 'state'),
    pollIntervalMs: 100,
    // Endpoint provisioning and blue/green waits in seconds.
    timeScale: 60,
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  foreign = await startLocalCloudFormation({
    stacks: [
      {
        name: 'SomethingElse',
        id: 'arn:aws:cloudformation:us-east-1:000000000000:stack/SomethingElse/local',
        createdAt: new Date(),
        outputs: [{ key: 'DataBucketName', value: 'some-bucket' }],
      },
    ],
  });
  // The shared files a user's `aws configure --profile mlops-local` writes; s3rver accepts only its own keys.
  writeFileSync(join(workDir, 'config'), `[profile ${PROFILE}]\nregion = us-east-1\n`);
  writeFileSync(
    join(workDir, 'credentials'),
    `[${PROFILE}]\naws_access_key_id = ${LOCAL_CREDENTIALS.accessKeyId}\n` +
      `aws_secret_access_key = ${LOCAL_CREDENTIALS.secretAccessKey}\n`,
  );
  const { endpoints } = app;
  userEnv = {
    AWS_CONFIG_FILE: join(workDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'credentials'),
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoints.cloudformation,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoints.sagemakerRuntime,
    // s3rver stores streamed uploads with their aws-chunked framing unless checksums are only sent when required.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
});

afterAll(async () => {
  await foreign?.stop();
  await app?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/**
 * Runs bin/mlops.ts with `env` and nothing of this process's environment but PATH and NODE_OPTIONS (the local
 * runtime put its endpoints and keys into this process's environment). HOME is empty: no ~/.aws of the machine.
 */
function mlops(argv: readonly string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'bin', 'mlops.ts'), ...argv], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: process.env.NODE_OPTIONS ?? '',
        HOME: workDir,
        // No instance metadata to ask on this machine: the credential chain ends at once.
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

describe('the local CloudFormation API', () => {
  it('describes the stack with the template outputs resolved to the local resources', async () => {
    // Prepare
    const client = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: app.endpoints.cloudformation,
      credentials: LOCAL_CREDENTIALS,
    });

    // Act
    const answer = await client.send(new DescribeStacksCommand({ StackName: 'ServerlessMlops' }));
    const missing = await client
      .send(new DescribeStacksCommand({ StackName: 'Nope' }))
      .catch((e: unknown) => e);
    client.destroy();

    // Assess
    const [stack] = answer.Stacks ?? [];
    expect(stack).toMatchObject({ StackName: 'ServerlessMlops', StackStatus: 'CREATE_COMPLETE' });
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs).toMatchObject({
      DataBucketName: app.resources.dataBucket,
      ArtifactsBucketName: app.resources.artifactsBucket,
      RegistryTableName: app.resources.registryTable,
      TrainingStateMachineArn: app.resources.trainingStateMachine,
    });
    // The function URL as the local URL server serves it, not a template expression.
    expect(outputs.InferenceApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack with id Nope does not exist' });
  });
});

describe('the local CloudFormation API, awsQuery', () => {
  it('resolves what the runtime models, leaves out and reports what it does not, and escapes XML', async () => {
    // Prepare
    const template = {
      Description: 'a <stack> & more',
      Resources: { Bucket: { Type: 'AWS::S3::Bucket' } },
      Outputs: {
        Name: { Value: { Ref: 'Bucket' }, Description: 'the <bucket>' },
        Joined: { Value: { 'Fn::Join': ['', ['s3://', { Ref: 'Bucket' }, '/a&b']] } },
        Unknown: { Value: { 'Fn::GetAtt': ['Bucket', 'WebsiteURL'] } },
      },
    } as CfnTemplate;
    const { stack, unresolved } = stackFromTemplate(
      template,
      { name: 'Escaped', id: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Escaped/local' },
      (logicalId, attribute) => {
        if (attribute !== undefined) throw new Error(`Fn::GetAtt ${logicalId}.${attribute} is not modelled`);
        return 'bucket-name';
      },
    );
    const server = await startLocalCloudFormation({
      stacks: [stack, { ...stack, name: 'Other', id: 'other' }],
    });
    const client = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });

    // Act
    const byId = await client.send(new DescribeStacksCommand({ StackName: stack.id }));
    const all = await client.send(new DescribeStacksCommand({}));
    const other = await client.send(new ListStacksCommand({})).catch((e: unknown) => e);
    const noAction = await fetch(server.endpoint, { method: 'POST', body: 'Version=2010-05-15' });
    const noActionBody = await noAction.text();
    client.destroy();
    await server.stop();

    // Assess
    expect(unresolved).toEqual([{ key: 'Unknown', reason: 'Fn::GetAtt Bucket.WebsiteURL is not modelled' }]);
    expect(byId.Stacks?.[0]).toMatchObject({
      StackName: 'Escaped',
      Description: 'a <stack> & more',
      Outputs: [
        { OutputKey: 'Name', OutputValue: 'bucket-name', Description: 'the <bucket>' },
        { OutputKey: 'Joined', OutputValue: 's3://bucket-name/a&b' },
      ],
    });
    expect(all.Stacks?.map((each) => each.StackName)).toEqual(['Escaped', 'Other']);
    expect(other).toMatchObject({
      name: 'InvalidAction',
      message: 'CloudFormation ListStacks is not served by the local runtime.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(noAction.status).toBe(400);
    expect(noActionBody).toContain('<Code>MissingAction</Code>');
  });
});

describe('mlops --target aws', () => {
  it('uploads, follows the run, reads the registry and approves through the stack its outputs name', async () => {
    // Prepare
    const target = ['--target', 'aws', '--profile', PROFILE];
    const sent: unknown[] = [];
    app.runtime.events.onEvent((event) => sent.push(event));

    // Act
    const upload = await mlops(
      [...target, 'upload', SAMPLE, '--model', 'penguins', '--wait', '--timeout', '120'],
      userEnv,
    );
    const runs = await mlops([...target, '--json', 'runs', 'list', '--model', 'penguins'], userEnv);
    const model = await mlops([...target, 'models', 'show', 'penguins', '--version', '1'], userEnv);
    const approval = await mlops([...target, 'approve', 'penguins', '1', '--reason', 'checked'], userEnv);

    // Assess
    expect(upload.stderr).not.toMatch(/error/i);
    expect(upload).toMatchObject({ code: 0 });
    expect(upload.stdout).toContain('v1');
    expect(runs.code).toBe(0);
    const listed = JSON.parse(runs.stdout) as { runs: { model: string; status: string }[] };
    expect(listed.runs).toEqual([expect.objectContaining({ model: 'penguins', status: 'Succeeded' })]);
    expect(model).toMatchObject({ code: 0, stderr: '' });
    expect(model.stdout).toContain('PendingApproval');
    expect(model.stdout).toContain(`s3://${app.resources.dataBucket}/datasets/penguins/penguins.csv`);
    // Recorded in the registry, and its ModelApproved event sent on the bus the stack's rules listen on.
    expect(approval).toMatchObject({ code: 0, stderr: '' });
    expect(approval.stdout).toContain("Sent ModelApproved to the stack's event bus (default).");
    expect(sent).toContainEqual(
      expect.objectContaining({
        'detail-type': 'ModelApproved',
        detail: expect.objectContaining({ model: 'penguins' }),
      }),
    );
    expect(await app.registry.getVersion('penguins', 1)).toMatchObject({ status: 'Approved' });
  });

  it('deploys the approved version and predicts through its endpoint', async () => {
    // Prepare
    const target = ['--target', 'aws', '--profile', PROFILE];
    const rows = join(workDir, 'rows.csv');
    writeFileSync(rows, 'torgersen,39.1,18.7,181,3750,male\nbiscoe,48.6,16.0,230,5800,male\n');

    // Act
    const deploy = await mlops([...target, 'deploy', 'penguins', '1', '--wait', '--timeout', '120'], userEnv);
    const prediction = await mlops([...target, '--json', 'predict', 'penguins', rows], userEnv);

    // Assess
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(prediction.code, prediction.stderr).toBe(0);
    expect(JSON.parse(prediction.stdout)).toMatchObject({
      model: 'penguins',
      version: 1,
      predictions: [
        expect.objectContaining({ row: 1, label: 'adelie' }),
        expect.objectContaining({ row: 2, label: 'gentoo' }),
      ],
    });
  });

  it('takes the region from --region and the credentials from the environment without a profile', async () => {
    // Prepare: the static keys of the default chain's first source, no config files
    const env = {
      ...userEnv,
      AWS_CONFIG_FILE: join(workDir, 'absent-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'absent-credentials'),
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };

    // Act
    const outcome = await mlops(
      ['--target', 'aws', '--region', 'us-east-1', '--json', 'models', 'list'],
      env,
    );

    // Assess
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(outcome.stdout)).toMatchObject({
      models: [expect.objectContaining({ model: 'penguins', latestVersion: 1 })],
    });
  });

  it('says a stack that does not exist does not, and how to name one', async () => {
    // Act
    const outcome = await mlops(
      ['--target', 'aws', '--profile', PROFILE, '--stack', 'Nope', 'runs', 'list'],
      userEnv,
    );

    // Assess
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: No stack Nope in us-east-1 (profile ${PROFILE}): deploy it with \`npx cdk deploy\`, ` +
        'or name yours with --stack (and its --region / --profile)\n',
    });
  });

  it('names the outputs a stack lacks', async () => {
    // Act
    const outcome = await mlops(
      ['--target', 'aws', '--profile', PROFILE, '--stack', 'SomethingElse', 'runs', 'list'],
      { ...userEnv, AWS_ENDPOINT_URL_CLOUDFORMATION: foreign.endpoint },
    );

    // Assess
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: Stack SomethingElse in us-east-1 (CREATE_COMPLETE) has no output ArtifactsBucketName, ' +
        'RegistryTableName: it is not this project’s stack, or not completely deployed; deploy it with ' +
        '`npx cdk deploy`, or name yours with --stack\n',
    });
  });

  it('says there are no credentials, and for an unknown profile names it', async () => {
    // Prepare: a region, but no keys anywhere
    const env = { ...userEnv, AWS_REGION: 'us-east-1' };

    // Act
    const none = await mlops(['--target', 'aws', 'runs', 'list'], {
      ...env,
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'absent-credentials'),
    });
    const unknown = await mlops(['--target', 'aws', '--profile', 'nobody', 'runs', 'list'], env);

    // Assess
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toBe(
      'error: No AWS credentials for --target aws: Could not load credentials from any providers. ' +
        'Configure them (`aws configure`, `aws sso login`), or choose a profile with --profile or AWS_PROFILE\n',
    );
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe(
      'error: No AWS credentials for --target aws (profile nobody): Could not load credentials from any providers. ' +
        'Configure them (`aws configure`, `aws sso login`), or choose a profile with --profile or AWS_PROFILE\n',
    );
  });

  it('says CloudFormation cannot be reached, and where it was looked for', async () => {
    // Act: a port nothing listens on
    const outcome = await mlops(['--target', 'aws', '--profile', PROFILE, 'runs', 'list'], {
      ...userEnv,
      AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:9',
    });

    // Assess
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: Reading stack ServerlessMlops: Cannot reach CloudFormation in us-east-1: connect ECONNREFUSED ' +
        '127.0.0.1:9 (check the network, and AWS_ENDPOINT_URL_CLOUDFORMATION if set)\n',
    });
  });

  it('says no region is configured', async () => {
    // Act
    const outcome = await mlops(['--target', 'aws', 'runs', 'list'], {
      ...userEnv,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });

    // Assess
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: No AWS region for --target aws: pass --region, set AWS_REGION, or give the profile a region in ~/.aws/config\n',
    });
  });
});

describe('mlops target options', () => {
  /** runCli in-process: these fail before any target is looked up. */
  async function inProcess(argv: readonly string[]): Promise<Outcome & { resolved: number }> {
    const out: string[] = [];
    const err: string[] = [];
    let resolved = 0;
    const code = await runCli(argv, {
      io: { out: (text) => out.push(text), err: (text) => err.push(text) },
      resolveTarget: () => {
        resolved += 1;
        throw new Error('not reached');
      },
    });
    return { code, stdout: out.join(''), stderr: err.join(''), resolved };
  }

  it('refuses an unknown target and aws options for the local runtime', async () => {
    // Act
    const unknown = await inProcess(['--target', 'cloud', 'runs', 'list']);
    const misplaced = await mlops(['--profile', PROFILE, '--region', 'us-east-1', 'runs', 'list'], userEnv);
    const stateDir = await mlops(['--target', 'aws', '--state-dir', workDir, 'runs', 'list'], userEnv);

    // Assess
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Invalid --target "cloud": expected local or aws\n',
      resolved: 0,
    });
    expect(misplaced).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --region, --profile apply to a deployed stack: add --target aws (before the command)\n',
    });
    expect(stateDir).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --state-dir is the local runtime’s; it does not apply to --target aws\n',
    });
  });

  it('says --target after a command without its own goes before the command', async () => {
    // Act
    const after = await inProcess(['runs', 'list', '--json', '--target', 'aws']);
    const equals = await inProcess(['--state-dir', 'runs', 'models', 'list', '--target=aws']);

    // Assess
    const refusal = {
      code: 2,
      stdout: '',
      stderr: "error: --target goes before the command's name, e.g. `mlops --target aws runs list`\n",
      resolved: 0,
    };
    expect(after).toEqual(refusal);
    expect(equals).toEqual(refusal);
  });

  it('takes --target before the command only: after it, init and drift compare keep their label column', () => {
    // Act
    const before = splitTargetOption(
      ['--json', '--state-dir', 'x', '--target', 'aws', 'init', 'a.csv', '--target', 'species'],
      ['--state-dir'],
    );
    const equals = splitTargetOption(['--target=aws', 'runs', 'list'], []);
    const after = splitTargetOption(['drift', 'compare', 'r.csv', 'c.csv', '--target', 'species'], []);

    // Assess
    expect(before).toEqual({
      target: 'aws',
      rest: ['--json', '--state-dir', 'x', 'init', 'a.csv', '--target', 'species'],
    });
    expect(equals).toEqual({ target: 'aws', rest: ['runs', 'list'] });
    expect(after).toEqual({
      target: undefined,
      rest: ['drift', 'compare', 'r.csv', 'c.csv', '--target', 'species'],
    });
  });
});
