/**
 * Retrain: decides, on DriftDetected or ModelQualityDegraded, whether to retrain the model, and does it by
 * writing `datasets/<model>/retrain-<window>.csv` (the last training dataset plus the labeled captured rows
 * since), which the usual pipeline picks up: validation, training, the champion gate, deployment. Every decision
 * is an audit event with its reasons. On ModelRegistered (and lazily, on the next decision) it releases the
 * retrain slot of a retrain whose run ended.
 */
import { Readable } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parse as parseCsv } from 'csv-parse';
import { captureSchemaFor } from '../shared/capture';
import { type DatasetContract, parseDatasetContractJson } from '../shared/dataset-contract';
import { datasetEncodingSchema } from '../shared/encoding';
import { RETRAIN_NEEDS_LABELS, RETRAIN_STARTED, type RetrainDetail } from '../shared/events';
import { DEFAULT_CAPTURE_LOOKBACK_SECONDS, forEachLabeledRow, loadLabels } from '../shared/ground-truth';
import { type MetricName, MetricNames } from '../shared/metric-names';
import { monitoringSettingsFor, type RuntimeMonitoringSettingsMap } from '../shared/model-settings';
import { putEvent } from '../shared/put-event';
import {
  type ModelRegistryClient,
  type ModelVersion,
  type MonitoringWindow,
  type MonitoringWindows,
  RETRAINING_EVENT_TYPES,
  type RetrainSlot,
  type RetrainSlots,
} from '../shared/registry';
import { runIdOfExecution } from '../shared/runs';
import { publishMetric } from '../shared/runtime/metrics';
import { readJson, readJsonArtifact } from '../shared/s3-json';
import { RunArtifacts, retrainDatasetKey, runArtifactKey, storedContractKey } from '../shared/s3-layout';
import { RetrainRows, type RowRejections } from './dataset';
import { noLabelsMessage, type RetrainTrigger, retrainGate, type WindowVerdict } from './decide';

/** A retrain slot whose dataset started no run within this time is released as Abandoned. */
export const DEFAULT_ABANDON_AFTER_SECONDS = 6 * 3600;

export interface RetrainConfig {
  readonly dataBucket: string;
  readonly artifactsBucket: string;
  readonly eventBusName: string;
  readonly monitoring: RuntimeMonitoringSettingsMap;
  /** SSE-KMS key for the dataset written (the data bucket's key); the bucket default when undefined. */
  readonly kmsKeyArn?: string | undefined;
  /** @default DEFAULT_ABANDON_AFTER_SECONDS */
  readonly abandonAfterSeconds?: number;
  /** Labeled rows captured longer ago than this are not looked for (bounds the work). @default 14 days */
  readonly captureLookbackSeconds?: number;
}

export interface RetrainDependencies {
  readonly s3: S3Client;
  readonly eventBridge: EventBridgeClient;
  readonly registry: Pick<
    ModelRegistryClient,
    'getAlias' | 'getVersion' | 'getRun' | 'listRunsByModel' | 'appendEvent'
  >;
  readonly windows: Pick<MonitoringWindows, 'listWindows'>;
  readonly slots: Pick<RetrainSlots, 'getSlot' | 'takeSlot' | 'releaseSlot' | 'claimNotice'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: RetrainConfig;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** A request to consider a retrain. */
export interface RetrainRequest {
  readonly model: string;
  readonly trigger: RetrainTrigger;
  readonly windowId: string;
}

/** What was decided. */
export interface RetrainDecision {
  readonly model: string;
  readonly windowId: string;
  readonly outcome:
    | 'Started'
    | 'NotHeld'
    | 'InFlight'
    | 'CoolingDown'
    | 'NoLabeledData'
    | 'NotServing'
    | 'AlreadyStarted';
  readonly reasons: readonly string[];
  readonly datasetKey?: string;
  readonly labeledRows?: number;
}

const ACTOR = 'retrainer';

/** Decides on one DriftDetected / ModelQualityDegraded event and, when everything allows it, retrains. */
export async function considerRetrain(
  request: RetrainRequest,
  deps: RetrainDependencies,
): Promise<RetrainDecision> {
  const { model, trigger, windowId } = request;
  const { registry, slots, logger, config } = deps;
  const now = (deps.clock ?? (() => new Date()))();
  logger.appendKeys({ model, windowId, trigger });
  const settings = monitoringSettingsFor(config.monitoring, model);
  const key = retrainDatasetKey(model, windowId);

  let slot = await slots.getSlot(model);
  if (slot?.inFlight !== undefined) slot = await releaseIfEnded(model, slot, now, deps);
  const windows = await windowsUpTo(deps.windows, model, trigger, windowId, settings.consecutiveWindows);
  const gate = retrainGate({
    trigger,
    windowId,
    windows,
    consecutiveWindows: settings.consecutiveWindows,
    cooldownSeconds: settings.cooldownSeconds,
    slot,
    now,
  });
  const version = await servingVersion(registry, model);
  const resuming =
    gate.outcome === 'InFlight' && slot?.inFlight?.windowId === windowId && slot.inFlight.datasetKey === key;
  if (gate.outcome !== 'proceed' && !resuming) {
    return skip(deps, { model, windowId, outcome: gate.outcome, reasons: gate.reasons }, trigger, version);
  }
  if (version === undefined) {
    return skip(
      deps,
      {
        model,
        windowId,
        outcome: 'NotServing',
        reasons: [...gate.reasons, `${model} has no production version to retrain from`],
      },
      trigger,
      undefined,
    );
  }
  if (resuming && (await exists(deps.s3, config.dataBucket, key))) {
    return skip(
      deps,
      {
        model,
        windowId,
        outcome: 'AlreadyStarted',
        reasons: [...gate.reasons, `the retrain dataset ${key} was written already`],
      },
      trigger,
      version,
    );
  }

  const built = await collectNewRows(version, deps);
  if (built.rows.size === 0) {
    const reasons = [...gate.reasons, noLabelsMessage(trigger), ...built.notes];
    // The notice goes out once per cooldown; the decision is recorded every time.
    const notify = await slots.claimNotice(model, settings.cooldownSeconds);
    if (!notify)
      reasons.push(`people were told within the last ${settings.cooldownSeconds} s; no new notice`);
    const decision = await skip(
      deps,
      { model, windowId, outcome: 'NoLabeledData', reasons },
      trigger,
      version,
    );
    if (!notify) return decision;
    await publish(deps, RETRAIN_NEEDS_LABELS, {
      model,
      version: version.version,
      trigger,
      windowId,
      message: noLabelsMessage(trigger),
      reasons,
    });
    return decision;
  }

  const reasons = [
    ...gate.reasons,
    `${built.rows.size} new labeled row(s) since ${built.since} are added to ${built.base.key} (the training dataset of v${version.version})`,
    ...built.notes,
  ];
  if (!resuming) {
    const taken = await slots.takeSlot({
      model,
      windowId,
      trigger,
      datasetKey: key,
      cooldownSeconds: settings.cooldownSeconds,
      reasons,
      details: {
        labeledRows: built.rows.size,
        baseDataset: built.base.key,
        rejected: rejectionCounts(built.rows.rejections),
      },
      version: version.version,
      actor: ACTOR,
    });
    if (!taken.taken && !taken.resumed) {
      // Another retrainer won the slot between our read and our write.
      return skip(
        deps,
        {
          model,
          windowId,
          outcome: 'InFlight',
          reasons: [...gate.reasons, 'another retrain took the slot first'],
        },
        trigger,
        version,
      );
    }
  }
  await writeDataset(deps, version, built.rows, key);
  await publish(deps, RETRAIN_STARTED, {
    model,
    version: version.version,
    trigger,
    windowId,
    message: `retraining ${model} on ${key}`,
    reasons,
    datasetKey: key,
    labeledRows: built.rows.size,
  });
  emit(deps.metrics, model, MetricNames.retrainStarted);
  logger.info('Retrain started', { datasetKey: key, labeledRows: built.rows.size, reasons });
  return { model, windowId, outcome: 'Started', reasons, datasetKey: key, labeledRows: built.rows.size };
}

/** On ModelRegistered: releases the slot when the registered version's run is the retrain's. */
export async function releaseOnRegistered(
  detail: {
    readonly model: string;
    readonly version: number;
    readonly runId: string;
    readonly status: string;
  },
  deps: RetrainDependencies,
): Promise<boolean> {
  const slot = await deps.slots.getSlot(detail.model);
  if (slot?.inFlight === undefined) return false;
  const run = await deps.registry.getRun(detail.runId);
  if (run?.dataset.key !== slot.inFlight.datasetKey) return false;
  const released = await deps.slots.releaseSlot({
    model: detail.model,
    datasetKey: slot.inFlight.datasetKey,
    outcome: 'Registered',
    reasons: [`run ${detail.runId} registered v${detail.version} (${detail.status})`],
    runId: detail.runId,
    version: detail.version,
    actor: ACTOR,
  });
  return released.released;
}

/**
 * On the end of a training execution (Step Functions' status change: SUCCEEDED, FAILED, TIMED_OUT, ABORTED):
 * releases the slot when the execution's run is the retrain's — the hook for runs that end without registering
 * a version (rejected data, a duplicate of trained bytes, a failed job).
 */
export async function releaseOnExecutionEnded(
  detail: { readonly executionArn: string; readonly status: string; readonly input?: string | null },
  deps: RetrainDependencies,
): Promise<boolean> {
  if (detail.status === 'RUNNING') return false;
  const runId = await runIdOfExecution(detail.input, deps.registry);
  const run = runId === undefined ? undefined : await deps.registry.getRun(runId);
  if (run === undefined) return false;
  const slot = await deps.slots.getSlot(run.model);
  if (slot?.inFlight === undefined || slot.inFlight.datasetKey !== run.dataset.key) return false;
  const outcome = `${detail.status.charAt(0)}${detail.status.slice(1).toLowerCase().replace('_out', 'Out')}`;
  const released = await deps.slots.releaseSlot({
    model: run.model,
    datasetKey: run.dataset.key,
    outcome,
    reasons: [
      `execution ${detail.executionArn.split(':').at(-1)} of run ${run.runId} ended ${detail.status}`,
    ],
    runId: run.runId,
    version: run.version,
    actor: ACTOR,
  });
  return released.released;
}

/** Releases a slot whose retrain run ended (or never started within the abandon time); returns the slot after. */
async function releaseIfEnded(
  model: string,
  slot: RetrainSlot,
  now: Date,
  deps: RetrainDependencies,
): Promise<RetrainSlot | undefined> {
  const inFlight = slot.inFlight;
  if (inFlight === undefined) return slot;
  const page = await deps.registry.listRunsByModel(model, { limit: 100 });
  const run = page.items.find((each) => each.dataset.key === inFlight.datasetKey);
  let outcome: string | undefined;
  let reason: string | undefined;
  if (run !== undefined && run.status !== 'Running') {
    outcome = run.status;
    reason = `run ${run.runId} of ${inFlight.datasetKey} ended ${run.status}${run.error === undefined ? '' : `: ${run.error}`}`;
  } else if (run === undefined) {
    const abandonAfter = (deps.config.abandonAfterSeconds ?? DEFAULT_ABANDON_AFTER_SECONDS) * 1000;
    if (now.getTime() - Date.parse(inFlight.startedAt) > abandonAfter) {
      outcome = 'Abandoned';
      reason = `no run of ${inFlight.datasetKey} started within ${abandonAfter / 1000} s of ${inFlight.startedAt}`;
    }
  }
  if (outcome === undefined || reason === undefined) return slot;
  const released = await deps.slots.releaseSlot({
    model,
    datasetKey: inFlight.datasetKey,
    outcome,
    reasons: [reason],
    runId: run?.runId,
    version: run?.version,
    actor: ACTOR,
  });
  return released.slot;
}

/** The trigger's windows ending at or before `windowId`'s end, newest first, `count` of them from that window on. */
async function windowsUpTo(
  windows: RetrainDependencies['windows'],
  model: string,
  trigger: RetrainTrigger,
  windowId: string,
  count: number,
): Promise<WindowVerdict[]> {
  const found: MonitoringWindow[] = [];
  let start = -1;
  let nextToken: string | undefined;
  do {
    const page = await windows.listWindows(model, trigger, {
      limit: 100,
      nextToken,
    });
    found.push(...page.items);
    if (start < 0) start = found.findIndex((window) => window.windowId === windowId);
    nextToken = page.nextToken;
  } while (nextToken !== undefined && (start < 0 || found.length < start + count));
  return found.map((window) => ({
    windowId: window.windowId,
    end: window.until,
    verdict: window.verdict,
    alarming: window.alarming,
  }));
}

async function servingVersion(
  registry: RetrainDependencies['registry'],
  model: string,
): Promise<ModelVersion | undefined> {
  const alias = await registry.getAlias(model, 'production');
  return alias === undefined ? undefined : registry.getVersion(model, alias.version);
}

interface NewRows {
  readonly rows: RetrainRows;
  readonly header: readonly string[];
  readonly base: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  /** ISO time: labeled rows captured after it are new. */
  readonly since: string;
  readonly notes: readonly string[];
}

/**
 * The labeled captured rows since the serving version's training run started, decoded, checked against the
 * contract and de-duplicated by request row.
 */
async function collectNewRows(version: ModelVersion, deps: RetrainDependencies): Promise<NewRows> {
  const { s3, config } = deps;
  const run = await deps.registry.getRun(version.lineage.runId);
  const now = (deps.clock ?? (() => new Date()))();
  const lookback = (config.captureLookbackSeconds ?? DEFAULT_CAPTURE_LOOKBACK_SECONDS) * 1000;
  const trainedAt = Date.parse(run?.startedAt ?? version.createdAt);
  const since = new Date(Math.max(trainedAt, now.getTime() - lookback)).toISOString();
  const encoding = await readJsonArtifact(
    s3,
    config.artifactsBucket,
    runArtifactKey(version.lineage.runId, RunArtifacts.encoding),
    datasetEncodingSchema,
  );
  if (encoding === undefined) throw new Error(`${version.model} v${version.version} has no encoding.json`);
  const contract = await readContract(s3, config.artifactsBucket, version.model);
  const { bucket, key, versionId } = version.lineage.dataset;
  const base = { bucket, key, ...(versionId === '' || versionId === 'null' ? {} : { versionId }) };
  const header = await readHeader(s3, base);
  const rows = new RetrainRows(header, encoding, contract);
  const range = { after: new Date(since), until: now };
  const labels = await loadLabels(s3, config.dataBucket, version.model, range, encoding.label.name);
  const notes: string[] = [];
  if (labels.index.size === 0) {
    notes.push(`no ground truth was uploaded under ground-truth/${version.model}/ since ${since}`);
    return { rows, header, base, since, notes };
  }
  const summary = await forEachLabeledRow(
    s3,
    config.artifactsBucket,
    version.model,
    captureSchemaFor(encoding, version.lineage.hyperparameters),
    labels.index,
    range,
    (row) => rows.add(row),
  );
  const rejected = rejectionCounts(rows.rejections);
  notes.push(
    `${labels.index.size} label(s) in ${labels.files.length} file(s); ${summary.join.labeledRows} matched captured rows since ${since}; left out: ${JSON.stringify(rejected)}`,
  );
  if (rows.rejections.examples.length > 0) notes.push(...rows.rejections.examples.slice(0, 3));
  return { rows, header, base, since, notes };
}

function rejectionCounts(rejections: RowRejections): Record<string, number> {
  const { examples: _examples, ...counts } = rejections;
  return counts;
}

async function readContract(
  s3: S3Client,
  bucket: string,
  model: string,
): Promise<DatasetContract | undefined> {
  const json = await readJson(s3, bucket, storedContractKey(model));
  if (json === undefined) return undefined;
  const parsed = parseDatasetContractJson(JSON.stringify(json));
  return parsed.ok ? parsed.contract : undefined;
}

function records(body: AsyncIterable<Uint8Array>): AsyncIterable<string[]> {
  return Readable.from(body).pipe(
    parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }),
  );
}

async function baseBody(s3: S3Client, base: NewRows['base']): Promise<AsyncIterable<Uint8Array>> {
  const output = await s3.send(
    new GetObjectCommand({ Bucket: base.bucket, Key: base.key, VersionId: base.versionId }),
  );
  return (output.Body ?? Readable.from([])) as AsyncIterable<Uint8Array>;
}

async function readHeader(s3: S3Client, base: NewRows['base']): Promise<string[]> {
  for await (const record of records(await baseBody(s3, base))) return record;
  throw new Error(`the training dataset s3://${base.bucket}/${base.key} is empty`);
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return false;
    throw error;
  }
}

/** The training dataset's bytes as they are, a line break if it lacks one, then the new rows. */
async function writeDataset(
  deps: RetrainDependencies,
  version: ModelVersion,
  rows: RetrainRows,
  key: string,
): Promise<void> {
  const { s3, config } = deps;
  const base = version.lineage.dataset;
  const body = await baseBody(s3, {
    bucket: base.bucket,
    key: base.key,
    ...(base.versionId === '' || base.versionId === 'null' ? {} : { versionId: base.versionId }),
  });
  async function* content(): AsyncGenerator<Buffer> {
    let last = 10;
    for await (const chunk of body) {
      const buffer = Buffer.from(chunk);
      if (buffer.length > 0) last = buffer[buffer.length - 1] as number;
      yield buffer;
    }
    if (last !== 10) yield Buffer.from('\n');
    let batch: string[] = [];
    for (const line of rows.lines()) {
      batch.push(line);
      if (batch.length === 1000) {
        yield Buffer.from(`${batch.join('\n')}\n`);
        batch = [];
      }
    }
    if (batch.length > 0) yield Buffer.from(`${batch.join('\n')}\n`);
  }
  await new Upload({
    client: s3,
    params: {
      Bucket: config.dataBucket,
      Key: key,
      Body: Readable.from(content()),
      ContentType: 'text/csv',
      ...(config.kmsKeyArn === undefined
        ? {}
        : { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: config.kmsKeyArn }),
    },
  }).done();
}

async function skip(
  deps: RetrainDependencies,
  decision: RetrainDecision,
  trigger: RetrainTrigger,
  version: ModelVersion | undefined,
): Promise<RetrainDecision> {
  await deps.registry.appendEvent({
    model: decision.model,
    type: RETRAINING_EVENT_TYPES.retrainSkipped,
    actor: ACTOR,
    reasons: decision.reasons,
    details: { outcome: decision.outcome, windowId: decision.windowId, trigger },
    ...(version === undefined ? {} : { version: version.version }),
  });
  emit(deps.metrics, decision.model, MetricNames.retrainSkipped);
  deps.logger.info(`Retrain skipped: ${decision.outcome}`, { reasons: decision.reasons });
  return decision;
}

function emit(metrics: Metrics, model: string, name: MetricName): void {
  publishMetric(metrics, name, 1, { model });
}

async function publish(deps: RetrainDependencies, detailType: string, detail: RetrainDetail): Promise<void> {
  const outcome = await putEvent(deps.eventBridge, deps.config.eventBusName, detailType, detail);
  if (!outcome.published) {
    throw new Error(`PutEvents refused ${detailType}: ${outcome.errorMessage ?? 'unknown error'}`);
  }
}
