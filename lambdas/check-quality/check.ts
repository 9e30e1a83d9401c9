/**
 * CheckQuality: per model, the labels uploaded in the window (from, until] joined with the capture the serving
 * version answered, its objective metric against the version's registered validation value, and the verdict —
 * recorded once per window in the registry (kind `quality`), reported under `monitoring/<model>/<window>/`,
 * published as metrics and, when degraded, as a ModelQualityDegraded event.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CaptureSchema, captureSchemaFor } from '../shared/capture';
import { MODEL_QUALITY_DEGRADED, type ModelQualityDegradedDetail } from '../shared/events';
import { DEFAULT_CAPTURE_LOOKBACK_SECONDS, forEachLabeledRow, loadLabels } from '../shared/ground-truth';
import { putEvent } from '../shared/put-event';

export { DEFAULT_CAPTURE_LOOKBACK_SECONDS };

import { datasetEncodingSchema } from '../shared/encoding';
import { type MetricName, MetricNames } from '../shared/metric-names';
import { DEFAULT_OBJECTIVE, findXgboostMetric, type ProblemType } from '../shared/metrics';
import {
  type MonitoringScheduleInput,
  monitoringSettingsFor,
  type RuntimeEvaluationSettingsMap,
  type RuntimeMonitoringSettingsMap,
  runtimeSettingsFor,
  scheduledModels,
} from '../shared/model-settings';
import type {
  ModelRegistryClient,
  ModelVersion,
  MonitoringWindow,
  MonitoringWindows,
} from '../shared/registry';
import { WindowSupersededError, windowIdFor } from '../shared/registry';
import { type MetricUnitValue, publishMetric } from '../shared/runtime/metrics';
import { readJsonArtifact } from '../shared/s3-json';
import {
  MonitoringReportFiles,
  RunArtifacts,
  runArtifactKey,
  s3Uri,
  windowReportKey,
} from '../shared/s3-layout';
import { judgeQuality, type QualityJudgement } from './judge';
import { outputKind, QUALITY_METRICS, QualityAccumulator, type QualityMetric } from './metrics';

/** The audit event type of a recorded quality window. */
export const QUALITY_CHECKED = 'QualityChecked';

export interface CheckQualityDependencies {
  readonly s3: S3Client;
  readonly eventBridge: EventBridgeClient;
  readonly registry: Pick<ModelRegistryClient, 'getAlias' | 'getVersion' | 'listModels'>;
  readonly windows: Pick<MonitoringWindows, 'cursor' | 'getWindow' | 'recordWindow'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: CheckQualityConfig;
}

/** What the function reads from its environment once. */
export interface CheckQualityConfig {
  readonly dataBucket: string;
  readonly artifactsBucket: string;
  readonly eventBusName: string;
  readonly monitoring: RuntimeMonitoringSettingsMap;
  readonly models: RuntimeEvaluationSettingsMap;
  /** @default DEFAULT_CAPTURE_LOOKBACK_SECONDS */
  readonly captureLookbackSeconds?: number;
}

/** The outcome for one model. */
export type ModelQualityOutcome =
  | { readonly model: string; readonly status: 'NotServing' | 'EmptyWindow'; readonly reason: string }
  | {
      readonly model: string;
      readonly status: 'Checked' | 'AlreadyChecked';
      readonly windowId: string;
      readonly verdict: string;
      readonly reasons: readonly string[];
    };

/** The run's encoding.json fields the check reads. */
interface Encoding {
  readonly label: {
    readonly name: string;
    readonly problemType: ProblemType;
    readonly classes?: readonly string[];
  };
  readonly features: CaptureSchema['features'];
}

/** The report written to `monitoring/<model>/<window>/quality.json`. */
export interface QualityReport {
  readonly formatVersion: 1;
  readonly model: string;
  readonly version: number;
  readonly windowId: string;
  readonly from: string;
  readonly until: string;
  readonly judgement: QualityJudgement;
  /** Every metric the labeled rows give, without the `validation:` prefix. */
  readonly values: Partial<Record<QualityMetric, number>>;
  readonly labels: {
    readonly files: readonly string[];
    readonly labels: number;
    /** Labels no captured request matched (too old, another version's, or a wrong id). */
    readonly unmatched: number;
    readonly problems: Readonly<Record<string, number>>;
  };
  readonly capture: {
    /** Capture files in the lookback, and those read before every label found its row. */
    readonly files: number;
    readonly filesRead: number;
    /** Labeled rows whose capture record was written twice (scored once). */
    readonly repeatedRows: number;
    readonly requests: number;
    readonly rows: number;
    readonly labeledRows: number;
    readonly withoutPrediction: number;
    readonly unreadableRows: number;
    readonly skipped: Readonly<Record<string, number>>;
    readonly problems: unknown;
  };
}

/**
 * Checks every model the schedule names (`"*"`: every model with a production version, minus `exclude`).
 * A model's failure is logged and does not stop the others; the check throws at the end so the schedule's
 * retries and dead-letter queue see it.
 */
export async function checkQuality(
  input: MonitoringScheduleInput,
  deps: CheckQualityDependencies,
): Promise<ModelQualityOutcome[]> {
  const until = new Date(input.time);
  if (Number.isNaN(until.getTime())) throw new Error(`CheckQuality: time "${input.time}" is not a time`);
  const models = scheduledModels(input, input.models === '*' ? await servingModels(deps.registry) : []);
  const outcomes: ModelQualityOutcome[] = [];
  const failures: string[] = [];
  for (const model of models) {
    try {
      outcomes.push(await checkModelQualityOnce(model, until, deps));
    } catch (error) {
      deps.logger.error(`Quality check of ${model} failed`, error as Error);
      failures.push(`${model}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`CheckQuality failed for ${failures.join('; ')}`);
  return outcomes;
}

/** Attempts at a model's window when other checks of the model keep recording windows meanwhile. */
const SUPERSEDED_ATTEMPTS = 5;

/**
 * A model's window, again from the new cursor when another check of the model (a burst of ground-truth uploads
 * runs one check each) recorded a window meanwhile: the labels that one covered are not checked twice, the rest
 * are, and the burst ends in checks, not in retries and dead letters.
 */
async function checkModelQualityOnce(
  model: string,
  until: Date,
  deps: CheckQualityDependencies,
): Promise<ModelQualityOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await checkModelQuality(model, until, deps);
    } catch (error) {
      if (!(error instanceof WindowSupersededError) || attempt >= SUPERSEDED_ATTEMPTS) throw error;
      deps.logger.info('Another quality check recorded a window meanwhile; checking from its end', { model });
    }
  }
}

/** Models with a production version, by name. */
export async function servingModels(registry: CheckQualityDependencies['registry']): Promise<string[]> {
  const models: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.listModels({ nextToken });
    for (const summary of page.items) {
      if ((await registry.getAlias(summary.model, 'production')) !== undefined) models.push(summary.model);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return models;
}

/** One model's window ending at `until`. */
export async function checkModelQuality(
  model: string,
  until: Date,
  deps: CheckQualityDependencies,
): Promise<ModelQualityOutcome> {
  const { registry, windows, logger, config } = deps;
  const alias = await registry.getAlias(model, 'production');
  const version = alias === undefined ? undefined : await registry.getVersion(model, alias.version);
  if (version === undefined) {
    return { model, status: 'NotServing', reason: `${model} has no production version` };
  }
  const previous = await windows.cursor(model, 'quality');
  // The first window starts when the serving version was deployed (or a day before `until` if unknown).
  const from =
    previous ?? version.deployment?.deployedAt ?? new Date(until.getTime() - 86_400_000).toISOString();
  if (Date.parse(from) >= until.getTime()) {
    // A redelivered schedule: the window ending at `until` has its verdict already; say it again.
    const stored = await windows.getWindow(model, 'quality', until.toISOString());
    if (stored !== undefined) {
      if (stored.verdict === 'Degraded') await publishDegraded(deps, version, stored);
      return {
        model,
        status: 'AlreadyChecked',
        windowId: stored.windowId,
        verdict: stored.verdict,
        reasons: stored.reasons,
      };
    }
    return { model, status: 'EmptyWindow', reason: `the window (${from}, ${until.toISOString()}] is empty` };
  }
  const windowId = windowIdFor(from, until.toISOString());
  logger.appendKeys({ model, windowId });
  const settings = monitoringSettingsFor(config.monitoring, model);
  const encoding = await readEncoding(deps.s3, config.artifactsBucket, version);
  const problemType = encoding.label.problemType;
  const objective = version.lineage.hyperparameters.objective ?? '';
  const evaluation = runtimeSettingsFor(config.models, model).evaluation;
  const metric = evaluation.metric ?? DEFAULT_OBJECTIVE[problemType];
  const higherIsBetter = evaluation.higherIsBetter ?? findXgboostMetric(metric)?.higherIsBetter ?? true;

  const labels = await loadLabels(
    deps.s3,
    config.dataBucket,
    model,
    { after: new Date(from), until },
    encoding.label.name,
  );
  const accumulator = new QualityAccumulator(
    outputKind(objective, problemType),
    encoding.label.classes ?? [],
  );
  const lookback = (config.captureLookbackSeconds ?? DEFAULT_CAPTURE_LOOKBACK_SECONDS) * 1000;
  const deployedAt = version.deployment === undefined ? 0 : Date.parse(version.deployment.deployedAt);
  const captureAfter = new Date(Math.max(deployedAt, until.getTime() - lookback));
  const capture =
    labels.index.size === 0
      ? undefined
      : await forEachLabeledRow(
          deps.s3,
          config.artifactsBucket,
          model,
          captureSchemaFor(encoding, version.lineage.hyperparameters),
          labels.index,
          { after: captureAfter, until },
          (row) => accumulator.add(row.prediction, row.label),
        );
  const computed = accumulator.values();
  const name = metric.slice(metric.indexOf(':') + 1);
  const value = (QUALITY_METRICS as readonly string[]).includes(name)
    ? computed.values[name as QualityMetric]
    : undefined;
  const baseline = version.lineage.metrics[metric];
  const judgement = judgeQuality({
    metric,
    higherIsBetter,
    value,
    rows: computed.rows,
    baseline,
    tolerance: settings.qualityTolerance,
    minRows: settings.minSamples,
    alpha: settings.alpha,
    standardError:
      value === undefined || baseline === undefined
        ? undefined
        : accumulator.standardError(name as QualityMetric, baseline),
    continuityCorrection: value === undefined ? 0 : accumulator.continuityCorrection(name as QualityMetric),
  });
  const join = capture?.join;
  const report: QualityReport = {
    formatVersion: 1,
    model,
    version: version.version,
    windowId,
    from,
    until: until.toISOString(),
    judgement,
    values: computed.values,
    labels: {
      files: labels.files,
      labels: labels.index.size,
      unmatched: Math.max(
        0,
        labels.index.size -
          (join?.labeledRows ?? 0) +
          (capture?.repeatedRows ?? 0) -
          (join?.unreadableRows ?? 0),
      ),
      problems: { ...labels.index.problems },
    },
    capture: {
      files: capture?.captureFiles ?? 0,
      filesRead: capture?.filesRead ?? 0,
      repeatedRows: capture?.repeatedRows ?? 0,
      requests: join?.requests ?? 0,
      rows: join?.rows ?? 0,
      labeledRows: join?.labeledRows ?? 0,
      withoutPrediction: join?.withoutPrediction ?? 0,
      unreadableRows: join?.unreadableRows ?? 0,
      skipped: { ...computed.skipped },
      problems: capture?.parser.problems.summary() ?? {},
    },
  };
  const reportKey = windowReportKey(model, windowId, MonitoringReportFiles.quality);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: config.artifactsBucket,
      Key: reportKey,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  const recorded = await windows.recordWindow({
    model,
    kind: 'quality',
    from,
    until: until.toISOString(),
    previousUntil: previous,
    verdict: judgement.verdict,
    alarming: judgement.verdict === 'Degraded',
    version: version.version,
    rows: judgement.rows,
    reasons: judgement.reasons,
    reports: { json: reportKey },
    summary: {
      // toJsonObject (recordWindow) leaves out the undefined ones.
      metric,
      value: judgement.value,
      baseline: judgement.baseline,
      limit: judgement.limit,
      pValue: judgement.pValue,
      labels: report.labels.labels,
      unmatchedLabels: report.labels.unmatched,
    },
    eventType: QUALITY_CHECKED,
  });
  const window = recorded.window;
  publishMetrics(deps.metrics, model, version.version, windowId, judgement);
  // A redelivered check publishes the stored verdict again: the retrainer is idempotent per window.
  if (window.verdict === 'Degraded') await publishDegraded(deps, version, window);

  logger.info(`Quality ${window.verdict}`, {
    metric,
    value: judgement.value,
    rows: judgement.rows,
    reasons: window.reasons,
  });
  return {
    model,
    status: recorded.recorded ? 'Checked' : 'AlreadyChecked',
    windowId: window.windowId,
    verdict: window.verdict,
    reasons: window.reasons,
  };
}

async function readEncoding(s3: S3Client, bucket: string, version: ModelVersion): Promise<Encoding> {
  const key = runArtifactKey(version.lineage.runId, RunArtifacts.encoding);
  const encoding = await readJsonArtifact(s3, bucket, key, datasetEncodingSchema);
  if (encoding === undefined) throw new Error(`${s3Uri(bucket, key)} does not exist`);
  return encoding;
}

/** Per model (the only dimension; ids as metadata): the metric's value, the labeled rows, and 0/1 degraded. */
function publishMetrics(
  metrics: Metrics,
  model: string,
  version: number,
  windowId: string,
  judgement: QualityJudgement,
): void {
  const put = (name: MetricName, unit: MetricUnitValue, value: number) =>
    publishMetric(
      metrics,
      name,
      value,
      { model, metadata: { windowId, version, metric: judgement.metric } },
      unit,
    );
  put(MetricNames.qualityLabeledRows, MetricUnit.Count, judgement.rows);
  put(MetricNames.qualityDegraded, MetricUnit.Count, judgement.verdict === 'Degraded' ? 1 : 0);
  if (judgement.value !== undefined) put(MetricNames.qualityMetricValue, MetricUnit.NoUnit, judgement.value);
}

async function publishDegraded(
  deps: CheckQualityDependencies,
  version: ModelVersion,
  window: MonitoringWindow,
): Promise<void> {
  const { metric, value, baseline, limit } = window.summary;
  if (
    typeof metric !== 'string' ||
    typeof value !== 'number' ||
    typeof baseline !== 'number' ||
    typeof limit !== 'number'
  ) {
    return;
  }
  const detail: ModelQualityDegradedDetail = {
    model: version.model,
    version: window.version ?? version.version,
    windowId: window.windowId,
    metric,
    value,
    baseline,
    limit,
    rows: window.rows,
    reasons: [...window.reasons],
  };
  const outcome = await putEvent(deps.eventBridge, deps.config.eventBusName, MODEL_QUALITY_DEGRADED, detail);
  if (!outcome.published) {
    throw new Error(
      `PutEvents refused ${MODEL_QUALITY_DEGRADED}: ${outcome.errorMessage ?? 'unknown error'}`,
    );
  }
}
