/**
 * The local runtime (local-runtime and local-hosting issues): start time after synth, the sample dataset's
 * upload to registered and to a serving endpoint (trained, registered, deployed through the deployment
 * workflow, smoke-tested, promoted, answering InvokeEndpoint), and the memory of the whole runtime (this
 * process plus its servers) while idle, before and with one endpoint serving. cdk.json's configuration, time
 * scale 1, as `npm start` runs.
 * Targets: start under 5 s; upload to registered under 30 s; upload to serving under 60 s.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { datasetKey, Prefixes, splitFile } from '../lambdas/shared/s3-layout';
import { LocalApp } from '../local/app';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../local/aws/s3-client';
import type { ExecutionResult } from '../local/stepfunctions/executor';
import { LOCAL_ENV, synthesize } from '../local/synth';
import { readTemplate } from '../local/template/template';

const SAMPLE = join(__dirname, '..', 'samples', 'penguins', 'penguins.csv');

/** Resident memory of a process and all its descendants, from /proc (Linux). */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const rss = (p: number): number => {
    let kb = 0;
    try {
      kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      kb = 0;
    }
    return kb + (children.get(p) ?? []).reduce((sum, child) => sum + rss(child), 0);
  };
  return Math.round(rss(pid) / 1024);
}

async function main(): Promise<void> {
  // Synthesized in a child process, as `npm start` does, so the memory measured is the runtime's alone.
  const stateDir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  const synthAt = performance.now();
  const template = readTemplate(await synthesize(join(stateDir, 'cdk.out')));
  const synthSeconds = (performance.now() - synthAt) / 1000;
  const env = { region: LOCAL_ENV.CDK_DEFAULT_REGION };
  const results: ExecutionResult[] = [];

  const startedAt = performance.now();
  const local = await LocalApp.start({
    template,
    stateDir,
    pollIntervalMs: 100,
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    observer: { executionFinished: (_id, result) => results.push(result) },
  });
  const startSeconds = (performance.now() - startedAt) / 1000;
  const s3 = new S3Client(localS3ClientConfig(local.runtime.s3.endpoint, env.region));
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleMb = treeRssMb(process.pid);
    const nodeMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
    const uploadAt = performance.now();
    await s3.send(
      new PutObjectCommand({
        Bucket: local.resources.dataBucket,
        Key: datasetKey('penguins', 'penguins.csv'),
        Body: readFileSync(SAMPLE),
      }),
    );
    while (results.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const registeredSeconds = (performance.now() - uploadAt) / 1000;
    if (results[0]?.status !== 'SUCCEEDED')
      throw new Error(`the run failed: ${results[0]?.error} ${results[0]?.cause}`);
    // The approval starts the deployment; serving is the first prediction the promoted endpoint answers.
    await local.idle();
    const deployedSeconds = (performance.now() - uploadAt) / 1000;
    const deployment = results.at(-1);
    if (results.length < 2 || deployment?.status !== 'SUCCEEDED')
      throw new Error(`the deployment did not succeed: ${deployment?.error} ${deployment?.cause}`);
    const version = await local.registry.getVersion('penguins', 1);
    const endpointName = version?.deployment?.endpointName ?? '';
    const row = await validationRow(s3, local.resources.artifactsBucket);
    const runtime = new SageMakerRuntimeClient({
      region: env.region,
      endpoint: local.endpoints.sagemakerRuntime,
      credentials: LOCAL_CREDENTIALS,
    });
    await runtime.send(
      new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'text/csv', Body: row }),
    );
    const servingSeconds = (performance.now() - uploadAt) / 1000;
    runtime.destroy();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const servingMb = treeRssMb(process.pid);
    const servingNodeMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
    const figure = {
      bench: 'local-runtime',
      synthSeconds: Number(synthSeconds.toFixed(2)),
      startSeconds: Number(startSeconds.toFixed(2)),
      startTarget: 'under 5 s',
      uploadToRegisteredSeconds: Number(registeredSeconds.toFixed(2)),
      uploadTarget: 'under 30 s',
      uploadToDeployedSeconds: Number(deployedSeconds.toFixed(2)),
      uploadToServingSeconds: Number(servingSeconds.toFixed(2)),
      servingTarget: 'under 60 s',
      idleRssMb: idleMb,
      idleNodeRssMb: nodeMb,
      servingIdleRssMb: servingMb,
      servingIdleNodeRssMb: servingNodeMb,
    };
    console.log(
      `runtime start ${figure.startSeconds} s; sample upload to registered ${figure.uploadToRegisteredSeconds} s`,
    );
    console.log(
      `sample upload to deployed ${figure.uploadToDeployedSeconds} s, to the first prediction served ${figure.uploadToServingSeconds} s`,
    );
    console.log(`synth (child process, no bundling) ${figure.synthSeconds} s`);
    console.log(
      `idle memory of the whole runtime: ${idleMb} MB (node ${nodeMb} MB, the rest DynamoDB Local's JVM)`,
    );
    console.log(`idle memory with one endpoint serving: ${servingMb} MB (node ${servingNodeMb} MB)`);
    console.log(`BENCH ${JSON.stringify(figure)}`);
  } finally {
    s3.destroy();
    await local.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** One row of the sample's validation split, features only (label first, no header), as the endpoint takes it. */
async function validationRow(s3: S3Client, bucket: string): Promise<string> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${Prefixes.runs}penguins-` }),
  );
  const key = listed.Contents?.map((o) => o.Key ?? '').find((k) => k.endsWith(`/${splitFile('validation')}`));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const first = ((await object.Body?.transformToString()) ?? '').split('\n')[0] ?? '';
  return first.slice(first.indexOf(',') + 1);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
