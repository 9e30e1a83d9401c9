/**
 * `npm run demo -- --scenario rollback`: the sample deploys as v1; then a better v2 trains and deploys by
 * blue/green canary while the demo sends traffic, but v2's fleet fails every request (the SageMaker Runtime's
 * fault switch, docs/local-serving.md): its Invocation5XXErrors alarm goes to ALARM, SageMaker rolls the
 * update back, the deployment records RolledBack with the alarm, and `production` stays on v1.
 */
import { readFileSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { datasetKey, Prefixes, s3Uri, splitFile } from '../../lambdas/shared/s3-layout';
import type { LocalApp } from '../app';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../aws/s3-client';
import type { ProgressPrinter } from '../progress';

/** The demo's traffic: one request at a time, this often. */
const TRAFFIC_INTERVAL_MS = 20;

/**
 * Runs the scenario on a fresh runtime; 0 when it went as told: v1 promoted, v2 rolled back by its alarm while
 * its canary took traffic, `production` still on v1.
 */
export async function runRollbackScenario(
  app: LocalApp,
  print: ProgressPrinter,
  sample: { readonly sampleFile: string; readonly model: string; readonly target: string },
): Promise<number> {
  const { model } = sample;
  const { dataBucket, artifactsBucket } = app.resources;
  const s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, app.runtime.resources.env.region));
  try {
    const csv = readFileSync(sample.sampleFile, 'utf8');
    const put = async (file: string, body: string) => {
      const key = datasetKey(model, file);
      print.info(`Uploading ${s3Uri(dataBucket, key)}`);
      await s3.send(new PutObjectCommand({ Bucket: dataBucket, Key: key, Body: body }));
      await waitForRuns(app);
    };

    print.info(
      'Rollback scenario, step 1 of 3: v1 from a noisier copy of the sample (every 20th label changed)',
    );
    await put('penguins-noisy.csv', noisySample(csv, sample.target));
    if ((await print.summary(app, model, false)) !== 0) return failed(print, 'v1 did not deploy');
    const before = await app.registry.getAlias(model, 'production');
    const v1 = before?.version;
    const v1Deployment = (await app.registry.getVersion(model, v1 ?? 0))?.deployment;
    if (v1 === undefined || !v1Deployment) return failed(print, 'v1 is not production');
    const endpointName = v1Deployment.endpointName;

    const v2 = v1 + 1;
    const broken = new RegExp(`-v${v2}-a\\d+$`);
    print.info(
      `Rollback scenario, step 2 of 3: the SageMaker Runtime's fault switch fails every request to a v${v2} ` +
        `fleet (endpoint config matching ${broken}) with a 500, as a broken container would`,
    );
    app.sagemakerRuntime.setFault({ endpointConfigName: broken, errorRate: 1 });

    print.info(
      `Rollback scenario, step 3 of 3: v${v2} from the clean sample, deployed by canary while the demo sends ` +
        `one request every ${TRAFFIC_INTERVAL_MS} ms to ${endpointName}`,
    );
    const rows = await validationRows(s3, artifactsBucket, model);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const traffic = sendTraffic(app, endpointName, rows, stopped, TRAFFIC_INTERVAL_MS);
    await put('penguins.csv', csv);
    stop();
    const tally = await traffic;
    app.sagemakerRuntime.setFault(undefined);
    const v2Outcome = await print.summary(app, model, false);
    const after = await app.registry.getAlias(model, 'production');
    const v2Version = await app.registry.getVersion(model, v2);

    print.info('What happened');
    print.detail(
      `traffic      ${tally.sent} requests: ${tally.ok} answered, ${tally.errors} ModelError (5XX)`,
    );
    for (const [config, stats] of Object.entries(app.sagemakerRuntime.stats(endpointName)))
      print.detail(`fleet        ${config}: ${stats.invocations} requests, ${stats.errors} errors`);
    print.detail(
      `v${v2}           ${v2Version?.status ?? 'not registered'}${v2Version?.statusReason ? `: ${v2Version.statusReason}` : ''}`,
    );
    const unchanged = after?.version === v1;
    print.detail(
      `production   v${after?.version ?? '?'} (${unchanged ? `unchanged: still v${v1}` : `moved from v${v1}`})`,
    );
    const ok = v2Outcome !== 0 && v2Version?.status === 'RolledBack' && unchanged && tally.errors > 0;
    if (!ok) return failed(print, `v${v2} was expected to be rolled back by its alarm`);
    print.info(`Scenario done: v${v2}'s canary failed, its alarm rolled it back, v${v1} kept serving.`);
    return 0;
  } finally {
    s3.destroy();
  }
}

function failed(print: ProgressPrinter, why: string): number {
  print.error(`Scenario failed: ${why}`);
  return 1;
}

/** The upload's notification arrives asynchronously; wait for the execution it starts, then for idle. */
export async function waitForRuns(app: LocalApp): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!app.busy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await app.idle();
}

/**
 * The sample with every `every`-th row's label moved to the next class: a deterministic, slightly worse dataset,
 * so that v1 passes the threshold and the clean sample (v2) beats it as the champion.
 */
export function noisySample(csv: string, target: string, every = 20): string {
  const [header = '', ...rows] = csv.trimEnd().split('\n');
  const column = header.split(',').indexOf(target);
  if (column < 0) throw new Error(`the sample has no column ${target}`);
  const classes = [...new Set(rows.map((row) => row.split(',')[column] ?? ''))].sort();
  const noisy = rows.map((row, index) => {
    if ((index + 1) % every !== 0) return row;
    const cells = row.split(',');
    const label = cells[column] ?? '';
    cells[column] = classes[(classes.indexOf(label) + 1) % classes.length] ?? label;
    return cells.join(',');
  });
  return `${[header, ...noisy].join('\n')}\n`;
}

/** Features-only rows of the model's validation split (label first, no header), as the endpoint takes them. */
export async function validationRows(
  s3: S3Client,
  bucket: string,
  model: string,
  count = 20,
): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${Prefixes.runs}${model}-` }),
  );
  const key = listed.Contents?.map((o) => o.Key ?? '').find((k) => k.endsWith(`/${splitFile('validation')}`));
  if (!key) throw new Error(`no validation split of ${model} in ${bucket}`);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await object.Body?.transformToString()) ?? '';
  return text
    .trimEnd()
    .split('\n')
    .slice(0, count)
    .map((row) => row.slice(row.indexOf(',') + 1));
}

/** What the traffic loop saw. */
export interface TrafficTally {
  sent: number;
  ok: number;
  errors: number;
}

/**
 * Sends one row at a time to the endpoint until `stop` resolves, as a client would, counting answers and
 * ModelErrors.
 */
export async function sendTraffic(
  app: LocalApp,
  endpointName: string,
  rows: readonly string[],
  stop: Promise<unknown>,
  intervalMs = 20,
): Promise<TrafficTally> {
  const client = new SageMakerRuntimeClient({
    region: app.runtime.resources.env.region,
    endpoint: app.endpoints.sagemakerRuntime,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const tally: TrafficTally = { sent: 0, ok: 0, errors: 0 };
  let stopped = false;
  void stop.finally(() => {
    stopped = true;
  });
  try {
    while (!stopped) {
      const row = rows[tally.sent % rows.length] ?? '';
      tally.sent += 1;
      try {
        await client.send(
          new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'text/csv', Body: row }),
        );
        tally.ok += 1;
      } catch {
        tally.errors += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    client.destroy();
  }
  return tally;
}
