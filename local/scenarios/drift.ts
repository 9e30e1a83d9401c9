/**
 * `npm run demo -- --scenario drift` (issue 10 §7): the monitoring loop on one machine, driven by the stack's
 * own schedules at the demo's time scale.
 * 1. v1 trains on a noisier copy of the sample and deploys;
 * 2. baseline-like traffic (the sample's own rows) is captured, and the scheduled drift check records a
 *    window without drift;
 * 3. shifted traffic (heavier penguins with longer bills and flippers) is captured, with its labels uploaded
 *    under `ground-truth/<model>/`, until the drift check has recorded drift in the windows retraining needs
 *    (`consecutiveWindows`, 2 by default);
 * 4. the retrainer writes `datasets/<model>/retrain-<window>.csv` (the training data plus the labeled captured
 *    rows), which runs the usual pipeline: validation, training, the champion gate;
 * 5. v2 deploys by blue/green, and `production` moves to it.
 * Everything it shows comes from the registry (windows, audit events, runs, deployments), as `mlops drift show`
 * and `mlops deployments show` read it.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { encodeRows } from '../../cli/predict';
import {
  type AuditEvent,
  type ModelRegistryClient,
  type MonitoringWindow,
  MonitoringWindows,
  RETRAINING_EVENT_TYPES,
} from '../../lambdas/shared/registry';
import {
  datasetKey,
  groundTruthPrefix,
  RunArtifacts,
  runArtifactKey,
  s3Uri,
} from '../../lambdas/shared/s3-layout';
import type { DatasetEncoding } from '../../lambdas/validate-dataset/report';
import type { LocalApp } from '../app';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../aws/s3-client';
import type { ProgressPrinter } from '../progress';
import { noisySample, waitForRuns } from './rollback';

/** Rows per InvokeEndpoint request (multi-row CSV requests, as batch clients send them). */
const ROWS_PER_REQUEST = 43;
/** How the shifted traffic differs from the training data. */
const SHIFT = { body_mass_g: 1.2, flipper_length_mm: 10, bill_length_mm: 5 } as const;
/** A batch of shifted traffic this often (real time): hundreds of rows in every window of the drift check. */
const BATCH_INTERVAL_MS = 2000;
/** Real time the scenario sends shifted traffic, waiting for the retrain, before it gives up. */
const SHIFTED_TIMEOUT_MS = 300_000;
/**
 * Real time the scenario waits for one window: the schedule runs at the demo's time scale, and the check
 * leaves the last minute of capture (CAPTURE_SETTLE_SECONDS) to the next window.
 */
const WINDOW_TIMEOUT_MS = 180_000;
const POLL_MS = 250;

interface Sample {
  readonly sampleFile: string;
  readonly model: string;
  readonly target: string;
}

/** A request's rows: the features as the sample names them, and each row's label. */
interface Batch {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly labels: readonly string[];
}

/**
 * Runs the scenario on a fresh runtime; 0 when it went as told: no drift on baseline-like traffic, drift on
 * shifted traffic, a retrain from the labeled captures, and the new version promoted by blue/green.
 */
export async function runDriftScenario(
  app: LocalApp,
  print: ProgressPrinter,
  sample: Sample,
): Promise<number> {
  const { model, target } = sample;
  const { dataBucket, artifactsBucket } = app.resources;
  const region = app.runtime.resources.env.region;
  const s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, region));
  const dynamodb = new DynamoDBClient({
    region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: app.endpoints.dynamodb,
  });
  const windows = new MonitoringWindows({
    client: DynamoDBDocumentClient.from(dynamodb),
    tableName: app.resources.registryTable,
  });
  const runtime = new SageMakerRuntimeClient({
    region,
    endpoint: app.endpoints.sagemakerRuntime,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    const csv = readFileSync(sample.sampleFile, 'utf8');

    print.info(
      'Drift scenario, step 1 of 5: v1 from a noisier copy of the sample (every 20th label changed)',
    );
    const key = datasetKey(model, 'penguins-noisy.csv');
    print.info(`Uploading ${s3Uri(dataBucket, key)}`);
    await s3.send(new PutObjectCommand({ Bucket: dataBucket, Key: key, Body: noisySample(csv, target, 20) }));
    await waitForRuns(app);
    if ((await print.summary(app, model, false)) !== 0) return failed(print, 'v1 did not deploy');
    const v1 = (await app.registry.getAlias(model, 'production'))?.version;
    const v1Version = v1 === undefined ? undefined : await app.registry.getVersion(model, v1);
    const endpointName = v1Version?.deployment?.endpointName;
    if (v1 === undefined || v1Version === undefined || endpointName === undefined)
      return failed(print, 'v1 is not production');
    const encoding = await readEncoding(s3, artifactsBucket, v1Version.lineage.runId);

    const baseline = sampleBatch(csv, target);
    const send = async (batch: Batch, tag: string): Promise<string[]> => {
      const ids: string[] = [];
      for (let start = 0; start < batch.rows.length; start += ROWS_PER_REQUEST) {
        const rows = batch.rows.slice(start, start + ROWS_PER_REQUEST);
        const text = [batch.header.join(','), ...rows.map((row) => row.join(','))].join('\n');
        const encoded = encodeRows({ csv: text, source: tag }, encoding, `${model} v${v1}`).rows;
        const inferenceId = `${tag}-${start / ROWS_PER_REQUEST + 1}`;
        await runtime.send(
          new InvokeEndpointCommand({
            EndpointName: endpointName,
            ContentType: 'text/csv',
            Body: encoded.join('\n'),
            InferenceId: inferenceId,
          }),
        );
        ids.push(inferenceId);
      }
      return ids;
    };

    print.info(
      `Drift scenario, step 2 of 5: baseline-like traffic, the sample's ${baseline.rows.length} rows in requests of ${ROWS_PER_REQUEST} to ${endpointName}; the scheduled drift check reads the capture`,
    );
    let seen = await latestUntil(windows, model);
    await send(baseline, 'baseline');
    const quiet = await nextWindow(windows, model, seen);
    if (quiet === undefined)
      return failed(print, 'the drift check recorded no window (are its schedules running?)');
    showWindow(print, quiet);
    seen = quiet.until;

    const shifted = shiftBatch(baseline);
    print.info(
      `Drift scenario, step 3 of 5: shifted traffic, heavier penguins with longer bills and flippers (body mass ×${SHIFT.body_mass_g}, flipper +${SHIFT.flipper_length_mm} mm, bill +${SHIFT.bill_length_mm} mm), ${shifted.rows.length} rows every ${BATCH_INTERVAL_MS / 1000} s, each batch's labels uploaded to ${s3Uri(dataBucket, groundTruthPrefix(model))}, until drift holds and a retrain starts`,
    );
    const eventsBefore = new Set((await allEvents(app.registry, model)).map((event) => event.id));
    // Traffic never pauses: a window without enough rows is InsufficientData, which breaks "drift held".
    const traffic = { batches: 0, labelFiles: [] as string[], stop: false, error: undefined as unknown };
    const sending = (async () => {
      while (!traffic.stop) {
        const round = traffic.batches + 1;
        const ids = await send(shifted, `shifted-${round}`);
        const labelsKey = `${groundTruthPrefix(model)}labels-${round}.csv`;
        await s3.send(
          new PutObjectCommand({ Bucket: dataBucket, Key: labelsKey, Body: labelsCsv(ids, shifted.labels) }),
        );
        traffic.batches = round;
        traffic.labelFiles.push(labelsKey);
        if (round === 1)
          print.detail(
            `labels       ${shifted.rows.length} rows of ${ids.length} requests: ${s3Uri(dataBucket, labelsKey)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, BATCH_INTERVAL_MS));
      }
    })().catch((error: unknown) => {
      traffic.error = error;
    });
    const drifted: MonitoringWindow[] = [];
    let started: AuditEvent | undefined;
    const deadline = Date.now() + SHIFTED_TIMEOUT_MS;
    while (started === undefined && traffic.error === undefined && Date.now() < deadline) {
      for (const window of await newWindows(windows, model, seen)) {
        seen = window.until;
        if (window.rows === 0) continue;
        showWindow(print, window);
        if (window.verdict === 'Drift') drifted.push(window);
      }
      // The retrainer answers each DriftDetected (and ModelQualityDegraded) event: show what it decided.
      for (const event of await allEvents(app.registry, model)) {
        if (eventsBefore.has(event.id)) continue;
        eventsBefore.add(event.id);
        if (
          event.type !== RETRAINING_EVENT_TYPES.retrainSkipped &&
          event.type !== RETRAINING_EVENT_TYPES.retrainStarted
        )
          continue;
        print.detail(`retrain      ${event.type}: ${event.reasons.join('; ')}`);
        if (event.type === RETRAINING_EVENT_TYPES.retrainStarted) started = event;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    traffic.stop = true;
    await sending;
    print.detail(
      `traffic      ${traffic.batches} batches of ${shifted.rows.length} shifted rows, labels in ${traffic.labelFiles.length} files under ${s3Uri(dataBucket, groundTruthPrefix(model))}`,
    );
    if (traffic.error !== undefined)
      return failed(print, `the shifted traffic failed: ${String(traffic.error)}`);
    if (drifted.length === 0) return failed(print, 'the shifted traffic was never found to drift');
    if (started === undefined) return failed(print, 'drift held, but no retrain started');

    const retrainKey = String(started.details.datasetKey ?? '');
    print.info(
      `Drift scenario, step 4 of 5: the retrain, ${s3Uri(dataBucket, retrainKey)} (the training data plus the labeled captured rows) through the pipeline: validation, training, the champion gate`,
    );
    print.info('Drift scenario, step 5 of 5: the new version deploys by blue/green');
    await waitForRuns(app);
    const outcome = await print.summary(app, model, false);
    const after = await app.registry.getAlias(model, 'production');
    const v2 = after?.version;

    print.info('What happened');
    print.detail(
      `windows      ${drifted.length} with drift after 1 without: ${drifted.map((w) => w.windowId).join(', ')}`,
    );
    print.detail(`retrain      ${s3Uri(dataBucket, retrainKey)} (${started.reasons.join('; ')})`);
    print.detail(
      `production   v${v2 ?? '?'} (${v2 !== undefined && v2 !== v1 ? `moved from v${v1}` : `still v${v1}`})`,
    );
    print.detail(
      `see          ${print.commands.mlops} drift show ${model}  (and: drift report ${model} --out report.html), while \`${print.commands.start}\` runs`,
    );
    if (outcome !== 0 || v2 === undefined || v2 === v1)
      return failed(print, `the retrained version was expected to replace v${v1} in production`);
    print.info(
      `Scenario done: drift on the shifted traffic, a retrain on its labels, v${v2} passed the champion gate and was deployed.`,
    );
    return 0;
  } finally {
    s3.destroy();
    dynamodb.destroy();
    runtime.destroy();
  }
}

function failed(print: ProgressPrinter, why: string): number {
  print.error(`Scenario failed: ${why}`);
  return 1;
}

async function readEncoding(s3: S3Client, bucket: string, runId: string): Promise<DatasetEncoding> {
  const object = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: runArtifactKey(runId, RunArtifacts.encoding) }),
  );
  return JSON.parse((await object.Body?.transformToString('utf8')) ?? '') as DatasetEncoding;
}

/** The sample's rows without their label, and the labels apart. */
export function sampleBatch(csv: string, target: string): Batch {
  const [header = [], ...records] = parse(csv, { bom: true, skip_empty_lines: true }) as string[][];
  const label = header.indexOf(target);
  if (label < 0) throw new Error(`the sample has no column ${target}`);
  const drop = (record: readonly string[]) => record.filter((_, i) => i !== label);
  return {
    header: drop(header),
    rows: records.map(drop),
    labels: records.map((record) => record[label] ?? ''),
  };
}

/** The same rows, shifted per {@link SHIFT} (missing values stay missing). */
export function shiftBatch(batch: Batch): Batch {
  const at = (name: string) => batch.header.indexOf(name);
  const mass = at('body_mass_g');
  const flipper = at('flipper_length_mm');
  const bill = at('bill_length_mm');
  const rows = batch.rows.map((row) =>
    row.map((value, i) => {
      if (value === '') return value;
      if (i === mass) return String(Math.round(Number(value) * SHIFT.body_mass_g));
      if (i === flipper) return String(Number(value) + SHIFT.flipper_length_mm);
      if (i === bill) return (Number(value) + SHIFT.bill_length_mm).toFixed(1);
      return value;
    }),
  );
  return { ...batch, rows };
}

/** Ground truth as CSV: one line per request row (`row` numbers the rows of a multi-row request). */
function labelsCsv(ids: readonly string[], labels: readonly string[]): string {
  const lines = ['inferenceId,row,label'];
  labels.forEach((label, index) => {
    const id = ids[Math.floor(index / ROWS_PER_REQUEST)];
    if (id !== undefined) lines.push(`${id},${index % ROWS_PER_REQUEST},${label}`);
  });
  return `${lines.join('\n')}\n`;
}

async function latestUntil(windows: MonitoringWindows, model: string): Promise<string | undefined> {
  return (await windows.lastWindow(model, 'drift'))?.until;
}

/** The drift windows recorded after `after` (by their end), oldest first. */
async function newWindows(
  windows: MonitoringWindows,
  model: string,
  after: string | undefined,
): Promise<MonitoringWindow[]> {
  const recent = (await windows.listWindows(model, 'drift', { limit: 50 })).items;
  return recent.filter((window) => after === undefined || window.until > after).reverse();
}

/** The first drift window with rows recorded after `after`, polling until one is (windows without rows are passed). */
async function nextWindow(
  windows: MonitoringWindows,
  model: string,
  after: string | undefined,
): Promise<MonitoringWindow | undefined> {
  const deadline = Date.now() + WINDOW_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const found = (await newWindows(windows, model, after)).find((window) => window.rows > 0);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

function showWindow(print: ProgressPrinter, window: MonitoringWindow): void {
  const drifted = Array.isArray(window.summary.driftedFeatures)
    ? window.summary.driftedFeatures.join(', ')
    : '';
  const share =
    typeof window.summary.driftShare === 'number'
      ? ` (${Math.round(window.summary.driftShare * 100)}% of the features)`
      : '';
  print.detail(
    `window       ${window.windowId}: ${window.verdict}, ${window.rows} rows${drifted ? `; drifted: ${drifted}${share}` : ''}`,
  );
  for (const reason of window.reasons) print.detail(`  why        ${reason}`);
}

async function allEvents(registry: ModelRegistryClient, model: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.listEvents(model, {
      limit: 100,
      nextToken,
    });
    events.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}
