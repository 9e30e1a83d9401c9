/**
 * CheckDrift: the scheduled drift check (issue 10 §2). For each model the schedule names, the window is the
 * capture written since the model's last window: files under `capture/<model>/` whose S3 LastModified is in
 * (from, until], `until` being the scheduled time less a settling delay (so a file whose LastModified is
 * before the scheduled time but which is listable only after the check lands in a window), `from`
 * the end of the last recorded window, or the serving version's deployment if later (captures of an older
 * version are not compared with this one's baseline).
 *
 * The window's files (listed per endpoint and variant from the window's hour less the capture delay) are
 * streamed one at a time through the capture parser into a drift accumulator, so
 * memory is bounded by the baseline, not the window; unreadable input is counted and reported. The verdict
 * comes from the drift statistics (lambdas/shared/drift); the JSON and HTML reports are written under
 * `monitoring/<model>/<windowId>/`, then the window is recorded in the registry once (with a DriftChecked
 * audit event); metrics and, on drift, a DriftDetected event follow.
 *
 * Idempotency: a window is identified by its bounds; a redelivered schedule finds its window recorded and
 * returns that verdict (publishing DriftDetected again when it was drift: at least once). A check that died
 * before recording reruns over the same bounds and rewrites the same reports. Two checks racing on a model:
 * the registry lets one record and the other reports itself superseded.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CaptureParser,
  captureSchemaFor,
  INTERNAL_INFERENCE_ID_PREFIX,
  windowFiles,
} from '../shared/capture';
import {
  baselineStatisticsSchema,
  checkBaselineVersion,
  DriftAccumulator,
  type DriftReport,
  driftReport,
  predictionBaselineSchema,
  UnsupportedBaselineError,
} from '../shared/drift';
import { datasetEncodingSchema } from '../shared/encoding';
import { DRIFT_DETECTED, type DriftDetectedDetail } from '../shared/events';
import {
  monitoringSettingsFor,
  type RuntimeMonitoringSettingsMap,
  scheduledModels,
} from '../shared/model-settings';
import {
  type DriftCheckSettings,
  DriftMetrics,
  type DriftWindowReport,
  driftedFeatures,
  MonitoringReportFiles,
  renderDriftReportHtml,
  windowReportKey,
} from '../shared/monitoring';
import { putEvent } from '../shared/put-event';
import {
  MONITORING_EVENT_TYPES,
  type ModelRegistryClient,
  type ModelVersion,
  type MonitoringWindow,
  type MonitoringWindows,
  WindowSupersededError,
  windowIdFor,
} from '../shared/registry';
import { MODEL_DIMENSION } from '../shared/runtime/powertools';
import { DamagedArtifactError, parseArtifact, readJson, readJsonArtifact } from '../shared/s3-json';
import { RunArtifacts, runArtifactKey, s3Uri } from '../shared/s3-layout';

/** The scheduled rule's input (lib/constructs/monitoring.ts; model-settings.ts MonitoringScheduleInput). */
export interface CheckDriftInput {
  readonly models: readonly string[] | '*';
  readonly exclude?: readonly string[];
  readonly time: string;
}

export interface CheckDriftDependencies {
  readonly registry: Pick<ModelRegistryClient, 'listModels' | 'getAlias' | 'getVersion'>;
  readonly windows: Pick<MonitoringWindows, 'cursor' | 'getWindow' | 'recordWindow'>;
  readonly s3: Pick<S3Client, 'send'>;
  readonly events: Pick<EventBridgeClient, 'send'>;
  readonly artifactsBucket: string;
  /** Bus name or ARN; `default` for the account's default bus. */
  readonly eventBusName: string;
  readonly settings: RuntimeMonitoringSettingsMap;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default 60 s ({@link DEFAULT_SETTLE_SECONDS}) */
  readonly settleSeconds?: number;
}

/** What happened to one model. */
export type ModelCheckResult =
  | {
      readonly model: string;
      readonly status: 'checked' | 'already-checked';
      readonly windowId: string;
      readonly verdict: string;
      readonly rows: number;
      readonly driftShare: number;
      readonly reportKey: string;
    }
  | {
      readonly model: string;
      /**
       * not-deployed: no production version; nothing-new: checked up to there already; superseded: another
       * check recorded meanwhile; no-baseline: the version's run has no usable baseline (trained before
       * baselines had reference samples: retrain); failed: an error (the invocation fails, to be retried).
       */
      readonly status: 'not-deployed' | 'nothing-new' | 'superseded' | 'no-baseline' | 'failed';
      readonly reason: string;
    };

export interface CheckDriftResult {
  readonly until: string;
  readonly models: readonly ModelCheckResult[];
}

/**
 * Seconds between the scheduled time and the window's end. S3 documents LastModified only as the object's
 * creation date (ListObjectsV2 `Contents.LastModified`), not at which instant of an upload it is taken; an
 * object stamped just before the check but listed only after it would belong to no window. Capture files
 * are small and upload in well under a minute, so a minute's margin keeps them in the next window.
 */
export const DEFAULT_SETTLE_SECONDS = 60;

/** The start of time for a model never checked whose version has no deployment time. */
const EPOCH = new Date(0).toISOString();

/** Entry-level PutEvents failures are transient: a few tries, then the check fails (and is retried). */
const PUT_EVENTS_ATTEMPTS = 3;

/**
 * Checks every model the input names; one model's failure does not stop the others, but fails the
 * invocation at the end (after the others are recorded) so the schedule's retry policy runs it again.
 */
export async function checkDrift(
  input: CheckDriftInput,
  deps: CheckDriftDependencies,
): Promise<CheckDriftResult> {
  const time = Date.parse(input.time);
  if (Number.isNaN(time))
    throw new Error(`CheckDrift: time ${JSON.stringify(input.time)} is not an ISO time`);
  const until = new Date(time - (deps.settleSeconds ?? DEFAULT_SETTLE_SECONDS) * 1000).toISOString();
  const models =
    input.models === '*' ? scheduledModels(input, await deployedModels(deps)) : scheduledModels(input, []);
  const results: ModelCheckResult[] = [];
  const failures: string[] = [];
  for (const model of models) {
    try {
      results.push(await checkModel(model, until, deps));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      deps.logger.error('Drift check failed', { model, error });
      failures.push(`${model}: ${reason}`);
      results.push({ model, status: 'failed', reason });
    }
  }
  deps.logger.info('Drift checks done', { until, results });
  if (failures.length > 0) throw new Error(`Drift check failed for ${failures.join('; ')}`);
  return { until, models: results };
}

/** Models whose production alias points at a version with a deployment. */
async function deployedModels(deps: CheckDriftDependencies): Promise<string[]> {
  const models: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.registry.listModels({ nextToken });
    for (const summary of page.items) {
      if ((await servingVersion(deps, summary.model)) !== undefined) models.push(summary.model);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return models;
}

async function servingVersion(
  deps: CheckDriftDependencies,
  model: string,
): Promise<ModelVersion | undefined> {
  const alias = await deps.registry.getAlias(model, 'production');
  if (alias === undefined) return undefined;
  const version = await deps.registry.getVersion(model, alias.version);
  return version?.deployment === undefined ? undefined : version;
}

function settingsOf(deps: CheckDriftDependencies, model: string): DriftCheckSettings {
  const s = monitoringSettingsFor(deps.settings, model);
  return {
    minSamples: s.minSamples,
    driftShare: s.driftShare,
    criticalFeatures: [...s.criticalFeatures],
    correction: s.correction,
    alpha: s.alpha,
  };
}

/** Checks one model's window ending at `until`. */
export async function checkModel(
  model: string,
  until: string,
  deps: CheckDriftDependencies,
): Promise<ModelCheckResult> {
  const { logger } = deps;
  const previousUntil = await deps.windows.cursor(model, 'drift');
  if (previousUntil !== undefined && Date.parse(previousUntil) >= Date.parse(until)) {
    const recorded = await deps.windows.getWindow(model, 'drift', until);
    if (recorded === undefined) {
      return { model, status: 'nothing-new', reason: `checked up to ${previousUntil} already` };
    }
    // A redelivery of a check that recorded: its verdict stands; its event is published again.
    if (recorded.alarming) await publishDriftDetected(deps, recorded);
    return windowResult(recorded, 'already-checked');
  }
  const version = await servingVersion(deps, model);
  if (version?.deployment === undefined) {
    return { model, status: 'not-deployed', reason: `${model} has no production version deployed` };
  }
  const deployedAt = version.deployment.deployedAt;
  const start = previousUntil ?? EPOCH;
  const from = Date.parse(deployedAt) > Date.parse(start) ? new Date(deployedAt).toISOString() : start;
  if (Date.parse(from) >= Date.parse(until)) {
    return {
      model,
      status: 'nothing-new',
      reason: `v${version.version} was deployed at ${deployedAt}, after ${until}`,
    };
  }
  const windowId = windowIdFor(from, until);
  logger.appendKeys({ model, windowId });
  const settings = settingsOf(deps, model);
  let report: DriftWindowReport;
  try {
    report = await computeReport(model, version, from, until, windowId, settings, deps);
  } catch (error) {
    // Every check would fail the same way until the model is retrained: said, not retried.
    if (!(error instanceof UnsupportedBaselineError || error instanceof DamagedArtifactError)) throw error;
    logger.warn('No drift check: the serving version has no usable baseline', { reason: error.message });
    return { model, status: 'no-baseline', reason: `${model} v${version.version}: ${error.message}` };
  }
  const reportKey = windowReportKey(model, windowId, MonitoringReportFiles.json);
  const htmlReportKey = windowReportKey(model, windowId, MonitoringReportFiles.html);
  await putText(deps, reportKey, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  await putText(deps, htmlReportKey, renderDriftReportHtml(report), 'text/html; charset=utf-8');
  const drift = report.drift;
  const drifted = driftedFeatures(drift);
  let outcome: Awaited<ReturnType<MonitoringWindows['recordWindow']>>;
  try {
    outcome = await deps.windows.recordWindow({
      model,
      kind: 'drift',
      from,
      until,
      previousUntil,
      verdict: drift.verdict,
      alarming: drift.verdict === 'Drift',
      version: version.version,
      rows: drift.rows.current,
      reasons: drift.reasons,
      reports: { json: reportKey, html: htmlReportKey },
      summary: {
        driftShare: drift.driftShare,
        driftedFeatures: drifted,
        predictionDrift: (drift.prediction ?? []).some((p) => p.drifted),
        testedFeatures: drift.features.filter((f) => f.statistics.adjustedPValue !== undefined).length,
        files: report.capture.files,
        records: report.capture.records,
        problems: report.capture.problems.total,
        runId: report.runId,
      },
      eventType: MONITORING_EVENT_TYPES.drift,
    });
  } catch (error) {
    if (error instanceof WindowSupersededError) {
      logger.warn('Another check recorded a window for this model meanwhile; this one is dropped', {
        from,
        until,
      });
      return { model, status: 'superseded', reason: error.message };
    }
    throw error;
  }
  if (outcome.recorded) {
    emitMetrics(deps.metrics, model, drift);
    logger.info('Drift window recorded', {
      verdict: drift.verdict,
      driftShare: drift.driftShare,
      rows: drift.rows.current,
      drifted,
      problems: report.capture.problems.counts,
    });
  }
  if (outcome.window.alarming) await publishDriftDetected(deps, outcome.window);
  return windowResult(outcome.window, outcome.recorded ? 'checked' : 'already-checked');
}

function windowResult(window: MonitoringWindow, status: 'checked' | 'already-checked'): ModelCheckResult {
  const share = window.summary.driftShare;
  return {
    model: window.model,
    status,
    windowId: window.windowId,
    verdict: window.verdict,
    rows: window.rows,
    driftShare: typeof share === 'number' ? share : 0,
    reportKey: window.reports.json ?? '',
  };
}

/** Reads the window's capture into a drift report (see the module comment). */
async function computeReport(
  model: string,
  version: ModelVersion,
  from: string,
  until: string,
  windowId: string,
  settings: DriftCheckSettings,
  deps: CheckDriftDependencies,
): Promise<DriftWindowReport> {
  const runId = version.lineage.runId;
  const bucket = deps.artifactsBucket;
  const baselineKey = runArtifactKey(runId, RunArtifacts.baseline);
  const rawBaseline = await readJson(deps.s3, bucket, baselineKey);
  const encoding = await readJsonArtifact(
    deps.s3,
    bucket,
    runArtifactKey(runId, RunArtifacts.encoding),
    datasetEncodingSchema,
  );
  if (rawBaseline === undefined || encoding === undefined) {
    throw new UnsupportedBaselineError(
      `run ${runId} has no ${rawBaseline === undefined ? RunArtifacts.baseline : RunArtifacts.encoding}: retrain the model to get one`,
    );
  }
  // UnsupportedBaselineError for a baseline without reference samples (formatVersion 1), before its shape.
  checkBaselineVersion(rawBaseline);
  const baseline = parseArtifact(baselineStatisticsSchema, rawBaseline, s3Uri(bucket, baselineKey));
  const predictionBaseline = await readJsonArtifact(
    deps.s3,
    bucket,
    runArtifactKey(runId, RunArtifacts.predictionBaseline),
    predictionBaselineSchema,
  );
  const accumulator = new DriftAccumulator(baseline, predictionBaseline);
  const parser = new CaptureParser(captureSchemaFor(encoding, version.lineage.hyperparameters));
  let internalRecords = 0;
  for await (const { key, body } of openAhead(deps, windowFiles(deps, model, from, until))) {
    if (body === undefined) {
      // Deleted since the listing (e.g. a lifecycle rule): counted, not fatal.
      parser.problems.add('unreadable-file', 'deleted after it was listed', { file: key });
      continue;
    }
    await parser.parseStream(body, key, (record) => {
      // The stack's own invocations (the prediction baseline at deployment) are not traffic.
      if (record.inferenceId?.startsWith(INTERNAL_INFERENCE_ID_PREFIX)) {
        internalRecords++;
        return;
      }
      for (const row of record.rows) if (row !== null) accumulator.addRow(row);
      if (predictionBaseline !== undefined && record.predictions !== undefined) {
        for (const prediction of record.predictions) {
          if (prediction.length === predictionBaseline.outputs) accumulator.addPrediction(prediction);
        }
      }
    });
  }
  const drift = driftReport(accumulator, settings);
  return {
    formatVersion: 1,
    kind: 'drift',
    model,
    version: version.version,
    runId,
    windowId,
    from,
    until,
    checkedAt: new Date().toISOString(),
    capture: {
      ...parser.counts,
      internalRecords,
      predictionBaseline: predictionBaseline !== undefined,
      problems: parser.problems.summary(),
    },
    settings,
    drift,
  };
}

/** GetObject requests kept in flight ahead of the file being parsed: small files are latency-bound. */
const FILES_AHEAD = 8;

/**
 * Opens the files in order, keeping up to {@link FILES_AHEAD} GetObject requests ahead of the one being
 * read; an unread body is paused by its stream, so memory stays a few socket buffers per file. A file
 * deleted since the listing comes with no body.
 */
async function* openAhead(
  deps: Pick<CheckDriftDependencies, 's3' | 'artifactsBucket'>,
  keys: AsyncIterable<string>,
): AsyncGenerator<{ key: string; body: AsyncIterable<Uint8Array> | undefined }> {
  const open = async (key: string) => {
    try {
      const output = await deps.s3.send(new GetObjectCommand({ Bucket: deps.artifactsBucket, Key: key }));
      return { key, body: output.Body as AsyncIterable<Uint8Array> | undefined };
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchKey') throw error;
      return { key, body: undefined };
    }
  };
  const pending: Promise<{ key: string; body: AsyncIterable<Uint8Array> | undefined }>[] = [];
  // Settled-rejection guard: a failed prefetch is rethrown when its turn comes, not as unhandled.
  const queue = (key: string) => {
    const request = open(key);
    request.catch(() => undefined);
    pending.push(request);
  };
  for await (const key of keys) {
    queue(key);
    if (pending.length > FILES_AHEAD) yield await (pending.shift() as (typeof pending)[number]);
  }
  while (pending.length > 0) yield await (pending.shift() as (typeof pending)[number]);
}

async function putText(deps: CheckDriftDependencies, key: string, body: string, contentType: string) {
  await deps.s3.send(
    new PutObjectCommand({ Bucket: deps.artifactsBucket, Key: key, Body: body, ContentType: contentType }),
  );
}

/**
 * Per model: RowsChecked, and with a verdict DriftShare and DriftedFeatures; per tested feature (and
 * prediction output) its score (FeatureDriftScore) with a Feature dimension. Each metric is its own EMF
 * document (singleMetric), so models and features do not share dimensions; dimensions stay model and
 * feature (issue 11 §1: ids never dimensions). An InsufficientData window has no share or scores to plot.
 */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export function emitMetrics(metrics: Metrics, model: string, drift: DriftReport): void {
  const single = (name: string, unit: Unit, value: number, feature?: string) => {
    const metric = metrics.singleMetric();
    // A single metric gets Powertools' `service` default dimension back; business metrics are keyed by
    // model alone (see createPowertools).
    metric.clearDefaultDimensions();
    metric.addDimension(MODEL_DIMENSION, model);
    if (feature !== undefined) metric.addDimension(DriftMetrics.featureDimension, feature);
    metric.addMetric(name, unit, value);
  };
  single(DriftMetrics.rowsChecked, MetricUnit.Count, drift.rows.current);
  if (drift.verdict === 'InsufficientData') return;
  single(DriftMetrics.driftShare, MetricUnit.NoUnit, drift.driftShare);
  single(DriftMetrics.driftedFeatures, MetricUnit.Count, drift.features.filter((f) => f.drifted).length);
  for (const feature of [...drift.features, ...(drift.prediction ?? [])]) {
    if (feature.statistics.adjustedPValue === undefined) continue;
    single(DriftMetrics.featureScore, MetricUnit.NoUnit, feature.score, feature.name);
  }
}

/** Publishes DriftDetected for a recorded drift window; throws after {@link PUT_EVENTS_ATTEMPTS} refusals. */
async function publishDriftDetected(deps: CheckDriftDependencies, window: MonitoringWindow): Promise<void> {
  const summary = window.summary;
  const detail: DriftDetectedDetail = {
    model: window.model,
    version: window.version ?? 1,
    windowId: window.windowId,
    from: window.from,
    until: window.until,
    driftShare: typeof summary.driftShare === 'number' ? summary.driftShare : 0,
    driftedFeatures: Array.isArray(summary.driftedFeatures)
      ? summary.driftedFeatures.filter((f): f is string => typeof f === 'string')
      : [],
    predictionDrift: summary.predictionDrift === true,
    rows: window.rows,
    reasons: [...window.reasons],
    reportKey: window.reports.json ?? '',
    htmlReportKey: window.reports.html ?? '',
  };
  const outcome = await putEvent(deps.events, deps.eventBusName, DRIFT_DETECTED, detail, {
    attempts: PUT_EVENTS_ATTEMPTS,
  });
  if (!outcome.published) {
    throw new Error(
      `Could not publish ${DRIFT_DETECTED} for ${window.model} window ${window.windowId}: ${outcome.errorCode ?? 'unknown error'} ${outcome.errorMessage ?? ''}`.trim(),
    );
  }
  deps.logger.info(`Published ${DRIFT_DETECTED}`, { eventId: outcome.eventId, windowId: window.windowId });
}
