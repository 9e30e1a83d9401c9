/**
 * The prediction baseline (issue 10 §1): after a promotion, the serving version's predictions on its own
 * validation split, made through its endpoint as callers' requests are (text/csv batches of encoded feature
 * rows, as `mlops predict` sends them) and stored as the run's `prediction-baseline.json`. The drift check
 * tests the served predictions against it (prediction drift).
 *
 * - Rows: a seeded uniform sample (Vitter's Algorithm R) of up to {@link MAX_BASELINE_ROWS} rows of
 *   `splits/validation/validation.csv` (SageMaker XGBoost CSV: label first, then the encoded features);
 *   the label is cut off, the rest is sent as is.
 * - Each request carries an InferenceId starting with INTERNAL_INFERENCE_ID_PREFIX, so its capture
 *   records are skipped by the checks: they are not traffic.
 * - Once per run: a run that has one keeps it (a redeploy or rollback of the same version sends nothing).
 * Best effort: FinishDeployment reports what went wrong and goes on (the lease must still be released).
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { answerNumbers, INTERNAL_INFERENCE_ID_PREFIX, outputWidthFor, readLines } from '../shared/capture';
import type { PredictionBaseline } from '../shared/drift';
import { requestBatches } from '../shared/endpoints/batches';
import { SeededRandom } from '../shared/random';
import type { ModelVersion } from '../shared/registry';
import { RunArtifacts, runArtifactKey, splitFile } from '../shared/s3-layout';

/** Rows predicted: as many as the drift baseline's reference sample per feature. */
export const MAX_BASELINE_ROWS = 10_000;
/** Rows and bytes per InvokeEndpoint (real-time payloads are limited to 6 MB). */
const MAX_ROWS_PER_REQUEST = 1000;
const MAX_BYTES_PER_REQUEST = 4 * 1024 * 1024;
/** The sample's seed: the same split always gives the same rows. */
const SEED = 20_261_130;

export interface PredictionBaselineDependencies {
  readonly s3: Pick<S3Client, 'send'>;
  readonly runtime: Pick<SageMakerRuntimeClient, 'send'>;
  readonly artifactsBucket: string;
  readonly logger: Logger;
}

/** What happened: written (with its size), kept (there was one), or skipped with the reason. */
export type PredictionBaselineOutcome =
  | { readonly status: 'written'; readonly key: string; readonly rows: number; readonly outputs: number }
  | { readonly status: 'exists'; readonly key: string }
  | { readonly status: 'skipped'; readonly reason: string };

/**
 * Makes and stores the prediction baseline of `version`, served by `endpointName`.
 * @throws on S3 or InvokeEndpoint errors and on answers of the wrong size (the caller reports them)
 */
export async function recordPredictionBaseline(
  version: ModelVersion,
  endpointName: string,
  deps: PredictionBaselineDependencies,
): Promise<PredictionBaselineOutcome> {
  const runId = version.lineage.runId;
  const key = runArtifactKey(runId, RunArtifacts.predictionBaseline);
  if (await exists(deps, key)) return { status: 'exists', key };
  const hyperparameters = version.lineage.hyperparameters;
  const numClass = hyperparameters.num_class === undefined ? undefined : Number(hyperparameters.num_class);
  const width = outputWidthFor(hyperparameters.objective, numClass, undefined);
  const rows = await sampleValidationRows(deps, runId);
  if (rows.length === 0) return { status: 'skipped', reason: `run ${runId} has no validation rows` };
  const predictions: number[][] = [];
  let batchNumber = 0;
  for (const batch of requestBatches(rows, {
    maxRows: MAX_ROWS_PER_REQUEST,
    maxBytes: MAX_BYTES_PER_REQUEST,
  })) {
    const output = await deps.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        InferenceId: `${INTERNAL_INFERENCE_ID_PREFIX}prediction-baseline-${batchNumber++}`,
        Body: new TextEncoder().encode(`${batch.join('\n')}\n`),
      }),
    );
    const numbers = answerNumbers(new TextDecoder().decode(output.Body));
    const each = width ?? (numbers === undefined ? 0 : numbers.length / batch.length);
    if (
      numbers === undefined ||
      !Number.isInteger(each) ||
      each < 1 ||
      numbers.length !== batch.length * each
    ) {
      throw new Error(
        `${endpointName} answered ${numbers?.length ?? 'no'} number(s) for ${batch.length} row(s)${width === undefined ? '' : ` of ${width}`}`,
      );
    }
    for (let r = 0; r < batch.length; r++) predictions.push(numbers.slice(r * each, (r + 1) * each));
  }
  const outputs = predictions[0]?.length ?? 1;
  const baseline: PredictionBaseline = {
    formatVersion: 1,
    outputs,
    reference: Array.from({ length: outputs }, (_, k) => predictions.map((p) => p[k] as number)),
  };
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.artifactsBucket,
      Key: key,
      Body: JSON.stringify(baseline),
      ContentType: 'application/json',
    }),
  );
  deps.logger.info('Prediction baseline recorded', { key, rows: predictions.length, outputs });
  return { status: 'written', key, rows: predictions.length, outputs };
}

async function exists(deps: PredictionBaselineDependencies, key: string): Promise<boolean> {
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: deps.artifactsBucket, Key: key }));
    return true;
  } catch (error) {
    const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

/** A seeded uniform sample of the validation split's rows, label cut off, in file order. */
export async function sampleValidationRows(
  deps: Pick<PredictionBaselineDependencies, 's3' | 'artifactsBucket'>,
  runId: string,
  size = MAX_BASELINE_ROWS,
): Promise<string[]> {
  const output = await deps.s3.send(
    new GetObjectCommand({
      Bucket: deps.artifactsBucket,
      Key: runArtifactKey(runId, splitFile('validation')),
    }),
  );
  const random = new SeededRandom(SEED, 7);
  const sample: { index: number; row: string }[] = [];
  let seen = 0;
  await readLines(output.Body as AsyncIterable<Uint8Array>, 16 * 1024 * 1024, {
    line: (text) => {
      const comma = text.indexOf(',');
      const row = comma === -1 ? '' : text.slice(comma + 1);
      const index = seen++;
      if (sample.length < size) sample.push({ index, row });
      else {
        // Algorithm R: row i replaces a random slot with probability size / (i + 1).
        const slot = Math.floor(random.next() * (index + 1));
        if (slot < size) sample[slot] = { index, row };
      }
    },
    oversized: () => undefined,
  });
  return sample.sort((a, b) => a.index - b.index).map((s) => s.row);
}
