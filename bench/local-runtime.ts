/**
 * The local runtime (local-runtime issue): start time after synth, upload-to-registered time for the sample
 * dataset, and the memory of the whole runtime (this process plus its servers) while idle.
 * Targets: start under 5 s; upload to registered under 30 s.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { datasetKey } from '../lambdas/shared/s3-layout';
import { LocalApp } from '../local/app';
import { localS3ClientConfig } from '../local/aws/s3-client';
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
    const figure = {
      bench: 'local-runtime',
      synthSeconds: Number(synthSeconds.toFixed(2)),
      startSeconds: Number(startSeconds.toFixed(2)),
      startTarget: 'under 5 s',
      uploadToRegisteredSeconds: Number(registeredSeconds.toFixed(2)),
      uploadTarget: 'under 30 s',
      idleRssMb: idleMb,
      idleNodeRssMb: nodeMb,
    };
    console.log(
      `runtime start ${figure.startSeconds} s; sample upload to registered ${figure.uploadToRegisteredSeconds} s`,
    );
    console.log(`synth (child process, no bundling) ${figure.synthSeconds} s`);
    console.log(
      `idle memory of the whole runtime: ${idleMb} MB (node ${nodeMb} MB, the rest DynamoDB Local's JVM)`,
    );
    console.log(`BENCH ${JSON.stringify(figure)}`);
  } finally {
    s3.destroy();
    await local.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
