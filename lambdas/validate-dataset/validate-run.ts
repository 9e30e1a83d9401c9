/** ValidateDataset for one run: contract lookup, validation, artifacts, and the run's plan. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type DatasetContract, parseDatasetContractJson } from '../shared/dataset-contract';
import { type RuntimeModelSettingsMap, runtimeSettingsFor } from '../shared/model-settings';
import type { RunContext, RunPlan } from '../shared/pipeline';
import { contractMissing, datasetRejected } from '../shared/runtime/errors';
import { type ValidationReport, validateDataset } from './index';
import { getOptionalText, putJson, putJsonIfAbsent, s3Dataset, s3Sink } from './s3-io';
import { buildEvaluationPlan, buildTrainingPlan, runPrefix } from './training-plan';

export interface ValidateRunConfig {
  readonly artifactsBucket: string;
  readonly kmsKeyArn: string;
  readonly modelSettings: RuntimeModelSettingsMap;
}

export interface ValidateRunDeps {
  readonly s3: S3Client;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly config: ValidateRunConfig;
}

/** Where a model's contract may be declared (data bucket) or was stored after inference (artifacts bucket). */
export const contractKeys = (model: string) => ({
  declared: `datasets/${model}/schema.json`,
  stored: `contracts/${model}/schema.json`,
});

/** How many problems the rejection message lists; the report holds them all (up to its cap). */
const PROBLEMS_IN_MESSAGE = 5;

export async function validateRun(
  run: RunContext,
  { s3, logger, config }: ValidateRunDeps,
): Promise<RunPlan> {
  const settings = runtimeSettingsFor(config.modelSettings, run.model);
  const { contract, source } = await findContract(s3, run, config.artifactsBucket);
  const targetColumn = contract?.target ?? settings.targetColumn;
  if (targetColumn === undefined) {
    throw contractMissing(
      `Model "${run.model}" has no target column. Declare it in s3://${run.dataset.bucket}/${contractKeys(run.model).declared} (e.g. {"target": "<column>", "problemType": "binary", "columns": [...]}, see docs/data-contract.md) or set models.${run.model}.targetColumn in the stack configuration and redeploy.`,
    );
  }
  const head = await s3.send(
    new HeadObjectCommand({
      Bucket: run.dataset.bucket,
      Key: run.dataset.key,
      VersionId: run.dataset.versionId,
    }),
  );
  const prefix = runPrefix(run.runId);
  const bucket = config.artifactsBucket;
  const result = await validateDataset({
    open: s3Dataset(s3, run.dataset),
    openSink: (name) => s3Sink(s3, bucket, `${prefix}splits/${name}/${name}.csv`),
    ...(contract ? { contract } : { targetColumn }),
    ...(contract || settings.problemType === undefined ? {} : { problemType: settings.problemType }),
    ...(head.ContentLength === undefined ? {} : { contentLength: head.ContentLength }),
  });
  const reportUri = await putJson(s3, bucket, `${prefix}validation-report.json`, result.report);
  if (result.status === 'rejected') throw datasetRejected(rejectionMessage(run, result.report, reportUri));
  if (source === 'none') {
    // The first accepted dataset's contract becomes the model's; later uploads are checked against it.
    // Two first uploads may race: only one contract is stored, and the other run is validated again
    // against it (its splits and report are rewritten before anything else of the run is).
    const key = contractKeys(run.model).stored;
    if (!(await putJsonIfAbsent(s3, bucket, key, result.contract))) {
      logger.warn('Another run stored the contract first; validating against it', { model: run.model, key });
      return validateRun(run, { s3, logger, config });
    }
    logger.info('Stored the inferred contract', { model: run.model, key });
  }

  const lineage = {
    dataset: run.dataset,
    sha256: result.lineage.sha256,
    rowCount: result.lineage.rows,
    sizeBytes: result.lineage.bytes,
  };
  await putJson(s3, bucket, `${prefix}encoding.json`, result.encoding);
  await putJson(s3, bucket, `${prefix}lineage.json`, lineage);
  const baselineUri = await putJson(s3, bucket, `${prefix}baseline.json`, result.statistics);
  return {
    reportUri,
    baselineUri,
    lineage: { sha256: lineage.sha256, rowCount: lineage.rowCount, sizeBytes: lineage.sizeBytes },
    training: buildTrainingPlan({
      run,
      settings,
      contract: result.contract,
      ...(result.encoding.label.classes ? { classes: result.encoding.label.classes } : {}),
      artifactsBucket: bucket,
      kmsKeyArn: config.kmsKeyArn,
    }),
    evaluation: buildEvaluationPlan(run.model, settings, result.contract.problemType),
  };
}

async function findContract(
  s3: S3Client,
  run: RunContext,
  artifactsBucket: string,
): Promise<{ contract?: DatasetContract; source: 'declared' | 'stored' | 'none' }> {
  const keys = contractKeys(run.model);
  const declared = await getOptionalText(s3, run.dataset.bucket, keys.declared);
  if (declared !== undefined)
    return {
      contract: parseContract(declared, `s3://${run.dataset.bucket}/${keys.declared}`),
      source: 'declared',
    };
  const stored = await getOptionalText(s3, artifactsBucket, keys.stored);
  if (stored !== undefined)
    return { contract: parseContract(stored, `s3://${artifactsBucket}/${keys.stored}`), source: 'stored' };
  return { source: 'none' };
}

function parseContract(text: string, where: string): DatasetContract {
  const parsed = parseDatasetContractJson(text);
  if (parsed.ok) return parsed.contract;
  throw contractMissing(`${where} is not a valid data contract: ${parsed.errors.join('; ')}`);
}

function rejectionMessage(run: RunContext, report: ValidationReport, reportUri: string): string {
  const problems = report.problems.slice(0, PROBLEMS_IN_MESSAGE).map((problem) => problem.message);
  const more =
    report.problemCount > problems.length ? ` (+${report.problemCount - problems.length} more)` : '';
  return `s3://${run.dataset.bucket}/${run.dataset.key} was rejected: ${problems.join('; ')}${more}. Full report: ${reportUri}`;
}
