/**
 * ValidateDataset for one run: the model's contract, validation, a duplicate check, the artifacts, and the
 * run's plan.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  MetricDimensions,
  MetricNames,
  type RejectionReason,
  RejectionReasons,
} from '../shared/metric-names';
import {
  type RuntimeModelSettings,
  type RuntimeModelSettingsMap,
  runtimeSettingsFor,
} from '../shared/model-settings';
import type { DuplicateRunPlan, PlanLineage, RunContext, RunPlan, TrainingRunPlan } from '../shared/pipeline';
import { PipelineErrors } from '../shared/pipeline';
import type { TrainedDatasetLookup } from '../shared/registry/trained-datasets';
import type { TrainedDataset } from '../shared/registry/types';
import { contractMissing, datasetRejected, isPipelineError } from '../shared/runtime/errors';
import { publishMetric } from '../shared/runtime/metrics';
import {
  declaredContractKey,
  RunArtifacts,
  runArtifactKey,
  s3Uri,
  splitFile,
  storedContractKey,
} from '../shared/s3-layout';
import { ContractProblem, type FoundContract, findModelContract } from './contract-lookup';
import { type ValidateDatasetInput, type ValidationReport, validateDataset } from './index';
import type { ProblemKind } from './problems';
import { putJson, putJsonIfAbsent, s3Dataset, s3Sink } from './s3-io';
import { buildEvaluationPlan, buildTrainingPlan } from './training-plan';

export interface ValidateRunConfig {
  readonly artifactsBucket: string;
  readonly kmsKeyArn: string;
  readonly modelSettings: RuntimeModelSettingsMap;
}

export interface ValidateRunDeps {
  readonly s3: S3Client;
  /** Only to look up whether the bytes were trained before (GetItem). */
  readonly registry: TrainedDatasetLookup;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly config: ValidateRunConfig;
  /**
   * Where RowsValidated, ValidationRowsPerSecond and DatasetRejected (by reason class) are published.
   * @default - none published
   */
  readonly metrics?: Metrics;
  /** @default performance.now */
  readonly now?: () => number;
}

/** How many problems the rejection message lists; the report holds them all (up to its cap). */
const PROBLEMS_IN_MESSAGE = 5;

/**
 * Validates the run's dataset against the model's contract (inferring it from the first accepted dataset,
 * guided by a partial schema.json when there is one) and plans the run: training and evaluation, or, when
 * the model already trained on the same bytes (and the run is not forced), a duplicate of that run.
 *
 * @throws PipelineError `ContractMissing` (no target, an invalid or conflicting schema.json) or
 *   `DatasetRejected` (the report's first problems and its URI)
 */
export async function validateRun(run: RunContext, deps: ValidateRunDeps): Promise<RunPlan> {
  try {
    return await validateAndPlan(run, deps);
  } catch (error) {
    if (deps.metrics !== undefined && isPipelineError(error, PipelineErrors.contractMissing)) {
      publishRejection(deps.metrics, run, RejectionReasons.contract);
    }
    throw error;
  }
}

async function validateAndPlan(run: RunContext, deps: ValidateRunDeps): Promise<RunPlan> {
  const { s3, logger, config } = deps;
  const settings = runtimeSettingsFor(config.modelSettings, run.model);
  const found = await findModelContract(
    s3,
    { dataBucket: run.dataset.bucket, artifactsBucket: config.artifactsBucket },
    run.model,
  ).catch((error: unknown) => {
    throw error instanceof ContractProblem ? contractMissing(error.message) : error;
  });
  const guide = inferenceGuide(found, settings, run);
  const head = await s3.send(
    new HeadObjectCommand({
      Bucket: run.dataset.bucket,
      Key: run.dataset.key,
      VersionId: run.dataset.versionId,
    }),
  );
  const bucket = config.artifactsBucket;
  const key = (artifact: string) => runArtifactKey(run.runId, artifact);
  let trained: TrainedDataset | undefined;
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const result = await validateDataset({
    open: s3Dataset(s3, run.dataset),
    openSink: (name) => s3Sink(s3, bucket, key(splitFile(name))),
    // Same bytes as a run that registered a version: no second training (retries are forced to train).
    ...(run.forced === true
      ? {}
      : {
          shouldSplit: async ({ sha256 }) => {
            trained = await deps.registry.findTrainedDataset(run.model, sha256);
            return trained === undefined;
          },
        }),
    ...guide,
    contentLength: head.ContentLength,
  });
  if (deps.metrics !== undefined) publishThroughput(deps.metrics, run, result.report, now() - started);
  const reportUri = await putJson(s3, bucket, key(RunArtifacts.report), result.report);
  if (result.status === 'rejected') {
    if (deps.metrics !== undefined) publishRejection(deps.metrics, run, rejectionReason(result.report));
    throw datasetRejected(rejectionMessage(run, result.report, reportUri));
  }
  const lineage: PlanLineage = {
    sha256: result.lineage.sha256,
    rowCount: result.lineage.rows,
    sizeBytes: result.lineage.bytes,
  };
  if (result.status === 'checked') {
    if (trained === undefined) throw new Error('ValidateDataset stopped before the splits without a reason');
    return duplicatePlan(run, lineage, reportUri, trained, deps);
  }

  if (found.source === 'none' || found.source === 'partial') {
    // The first accepted dataset's contract becomes the model's; later uploads are checked against it.
    // Two first uploads may race: only one contract is stored, and the other run is validated again
    // against it (its splits and report are rewritten before anything else of the run is).
    const stored = storedContractKey(run.model);
    if (!(await putJsonIfAbsent(s3, bucket, stored, result.contract))) {
      logger.warn('Another run stored the contract first; validating against it', {
        model: run.model,
        key: stored,
      });
      return validateAndPlan(run, deps);
    }
    logger.info('Stored the inferred contract', { model: run.model, key: stored, guidedBy: found.source });
  }

  await putJson(s3, bucket, key(RunArtifacts.encoding), result.encoding);
  // The contract as it was for this run: the model's may be declared or replaced later.
  await putJson(s3, bucket, key(RunArtifacts.contract), result.contract);
  await putJson(s3, bucket, key(RunArtifacts.lineage), { dataset: run.dataset, ...lineage });
  const baselineUri = await putJson(s3, bucket, key(RunArtifacts.baseline), result.statistics);
  const plan: TrainingRunPlan = {
    reportUri,
    baselineUri,
    lineage,
    training: buildTrainingPlan({
      run,
      settings,
      contract: result.contract,
      classes: result.encoding.label.classes,
      artifactsBucket: bucket,
      kmsKeyArn: config.kmsKeyArn,
    }),
    evaluation: buildEvaluationPlan(run.model, settings, result.contract.problemType),
  };
  return plan;
}

/** The plan of a run whose bytes were trained before: nothing to train; RecordDuplicate closes the run. */
async function duplicatePlan(
  run: RunContext,
  lineage: PlanLineage,
  reportUri: string,
  trained: TrainedDataset,
  { s3, logger, config }: ValidateRunDeps,
): Promise<DuplicateRunPlan> {
  const duplicateOf = { runId: trained.runId, version: trained.version };
  await putJson(s3, config.artifactsBucket, runArtifactKey(run.runId, RunArtifacts.lineage), {
    dataset: run.dataset,
    ...lineage,
    duplicateOf,
  });
  logger.info('Same bytes as a run that registered a version; not training again', { duplicateOf });
  return { reportUri, lineage, duplicateOf };
}

/** What validateDataset is told about the contract: the contract itself, or what to infer one with. */
function inferenceGuide(
  found: FoundContract,
  settings: RuntimeModelSettings,
  run: RunContext,
): Pick<ValidateDatasetInput, 'contract' | 'targetColumn' | 'problemType' | 'labels'> {
  if (found.source === 'declared' || found.source === 'stored') return { contract: found.contract };
  if (found.source === 'partial') {
    const { target, problemType, labels } = found.partial;
    return { targetColumn: target, problemType: problemType ?? settings.problemType, labels };
  }
  if (settings.targetColumn === undefined) {
    throw contractMissing(
      `Model "${run.model}" has no target column. Declare it in ${s3Uri(run.dataset.bucket, declaredContractKey(run.model))} (e.g. {"target": "<column>"}: the columns are then inferred from the first accepted dataset; see docs/data-contract.md), or create it with \`mlops init <file.csv> --model ${run.model} --target <column>\`, or set models.${run.model}.targetColumn in the stack configuration and redeploy.`,
    );
  }
  return { targetColumn: settings.targetColumn, problemType: settings.problemType };
}

/** Rows read, and rows per second of the validation pass (reading, checking, writing the splits). */
function publishThroughput(metrics: Metrics, run: RunContext, report: ValidationReport, elapsedMs: number) {
  const options = { model: run.model, metadata: { runId: run.runId } };
  publishMetric(metrics, MetricNames.rowsValidated, report.rows, options);
  if (elapsedMs > 0 && report.rows > 0) {
    const perSecond = Math.round((report.rows / elapsedMs) * 1000);
    publishMetric(metrics, MetricNames.validationThroughput, perSecond, options, MetricUnit.CountPerSecond);
  }
}

function publishRejection(metrics: Metrics, run: RunContext, reason: RejectionReason): void {
  publishMetric(metrics, MetricNames.datasetRejected, 1, {
    model: run.model,
    breakdown: { [MetricDimensions.reason]: reason },
    metadata: { runId: run.runId },
  });
}

/** The reason class of each problem kind (a Record, so a new kind does not compile without one). */
const REASON_OF_KIND: Readonly<Record<ProblemKind, RejectionReason>> = {
  'invalid-utf8': RejectionReasons.structure,
  'binary-content': RejectionReasons.structure,
  'unterminated-quote': RejectionReasons.structure,
  'malformed-quote': RejectionReasons.structure,
  'line-too-long': RejectionReasons.structure,
  'too-large': RejectionReasons.size,
  'empty-file': RejectionReasons.size,
  'no-data-rows': RejectionReasons.size,
  'too-few-rows': RejectionReasons.size,
  'empty-column-name': RejectionReasons.header,
  'duplicate-column': RejectionReasons.header,
  'not-comma-separated': RejectionReasons.header,
  'missing-target': RejectionReasons.header,
  'missing-column': RejectionReasons.header,
  'unexpected-column': RejectionReasons.header,
  'contract-conflict': RejectionReasons.header,
  'field-count': RejectionReasons.values,
  'blank-line': RejectionReasons.values,
  'null-value': RejectionReasons.values,
  'not-a-number': RejectionReasons.values,
  'non-finite': RejectionReasons.values,
  'out-of-range': RejectionReasons.values,
  'unknown-category': RejectionReasons.values,
  'too-many-categories': RejectionReasons.values,
  'missing-label': RejectionReasons.label,
  'unknown-label': RejectionReasons.label,
  'single-class': RejectionReasons.label,
  'too-many-classes': RejectionReasons.label,
};

/** Most fundamental first: a file that cannot be read says nothing about its labels. */
const REASON_PRIORITY: readonly RejectionReason[] = [
  RejectionReasons.structure,
  RejectionReasons.size,
  RejectionReasons.header,
  RejectionReasons.values,
  RejectionReasons.label,
];

/**
 * The one reason class a rejected report counts under (so the per-reason counts add up to the rejections):
 * the first of {@link REASON_PRIORITY} it has a problem of.
 */
export function rejectionReason(report: Pick<ValidationReport, 'countsByKind'>): RejectionReason {
  const found = new Set(
    Object.entries(report.countsByKind)
      .filter(([, count]) => (count ?? 0) > 0)
      .map(([kind]) => REASON_OF_KIND[kind as ProblemKind]),
  );
  return REASON_PRIORITY.find((reason) => found.has(reason)) ?? RejectionReasons.values;
}

function rejectionMessage(run: RunContext, report: ValidationReport, reportUri: string): string {
  const problems = report.problems.slice(0, PROBLEMS_IN_MESSAGE).map((problem) => problem.message);
  const more =
    report.problemCount > problems.length ? ` (+${report.problemCount - problems.length} more)` : '';
  return `${s3Uri(run.dataset.bucket, run.dataset.key)} was rejected: ${problems.join('; ')}${more}. Full report: ${reportUri}`;
}
