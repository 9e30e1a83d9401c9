/**
 * SmokeTest: before promotion, up to {@link SMOKE_ROWS} rows of the version's validation split (features
 * only: the split is SageMaker built-in XGBoost CSV, label first, no header) go to the endpoint in one
 * InvokeEndpoint as text/csv. One prediction per row, of the shape the objective promises:
 * - binary (`binary:*`): a probability in [0, 1];
 * - multiclass `multi:softprob`: num_class probabilities summing to 1; `multi:softmax`: a class index;
 * - regression (anything else): a finite number.
 * The built-in XGBoost answers text/csv with one value per row, comma- or newline-separated, and a row of
 * num_class values for multi:softprob — https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html
 * ("Inference Input and Output"). The latency of the call is recorded with the verdict.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { INTERNAL_INFERENCE_ID_PREFIX } from '../shared/capture/parse';
import {
  DeploymentError,
  DeploymentErrors,
  type SmokeTestPlan,
  type SmokeTestResult,
} from '../shared/deployment/workflow';
import { MetricNames } from '../shared/metric-names';
import type { ModelRegistryClient } from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';
import { parseS3Uri } from '../shared/s3-layout';

/** The InferenceId of the smoke test's request (captured like any request, skipped by the checks). */
export const SMOKE_TEST_INFERENCE_ID = `${INTERNAL_INFERENCE_ID_PREFIX}smoke-test`;

/** Rows sent: enough to catch a wrong shape or a broken model, few enough for one small request. */
export const SMOKE_ROWS = 20;

/** Bytes read from the head of the split: 20 rows of even a wide dataset fit. */
const HEAD_BYTES = 262_144;

/** How far softprob rows may sum from 1 (float32 rounding). */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

export interface SmokeTestInput {
  readonly deploymentId: string;
  readonly endpointName: string;
  readonly smokeTest: SmokeTestPlan;
}

export interface SmokeTestDependencies {
  readonly s3: Pick<S3Client, 'send'>;
  readonly runtime: Pick<SageMakerRuntimeClient, 'send'>;
  readonly registry: Pick<ModelRegistryClient, 'recordDeploymentProgress'>;
  readonly logger: Logger;
  /**
   * Where the step's business metric is published (lambdas/shared/metric-names.ts).
   * @default - none published
   */
  readonly metrics?: Metrics;
  /** @default performance.now */
  readonly now?: () => number;
}

/**
 * @throws SmokeTestUnavailable when the version's validation split cannot be read or has no rows
 */
export async function smokeTest(
  input: SmokeTestInput,
  deps: SmokeTestDependencies,
): Promise<SmokeTestResult> {
  const { logger } = deps;
  logger.appendKeys({ deploymentId: input.deploymentId, endpointName: input.endpointName });
  const rows = await validationRows(deps.s3, input.smokeTest.validationUri);
  const body = `${rows.map((row) => row.split(',').slice(1).join(',')).join('\n')}\n`;
  const now = deps.now ?? (() => performance.now());
  const started = now();
  let text: string;
  let latencyMs: number;
  try {
    const output = await deps.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: input.endpointName,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        // Marked as the stack's own request: the drift and quality checks skip it in the capture.
        InferenceId: SMOKE_TEST_INFERENCE_ID,
        Body: new TextEncoder().encode(body),
      }),
    );
    latencyMs = Math.round((now() - started) * 10) / 10;
    text = new TextDecoder().decode(output.Body);
  } catch (error) {
    // The endpoint refusing the rows is a verdict on the new version, not an outage of the test.
    latencyMs = Math.round((now() - started) * 10) / 10;
    const { name, message } = error as { name?: string; message?: string };
    return record(input, deps, {
      passed: false,
      rows: rows.length,
      latencyMs,
      reasons: [`InvokeEndpoint failed: ${name ?? 'Error'}: ${message ?? String(error)}`],
    });
  }
  const reasons = predictionProblems(text, rows.length, input.smokeTest);
  return record(input, deps, { passed: reasons.length === 0, rows: rows.length, latencyMs, reasons });
}

async function record(
  input: SmokeTestInput,
  deps: SmokeTestDependencies,
  result: SmokeTestResult,
): Promise<SmokeTestResult> {
  const deployment = await deps.registry.recordDeploymentProgress(input.deploymentId, {
    stage: { name: 'SmokeTested', details: { ...result, reasons: [...result.reasons] } },
  });
  if (deps.metrics !== undefined) {
    // The endpoint name may be shortened (naming.ts): the model comes from the deployment record.
    const options = {
      model: deployment.model,
      metadata: { deploymentId: input.deploymentId, version: deployment.version },
    };
    publishMetric(
      deps.metrics,
      MetricNames.smokeTestLatency,
      result.latencyMs,
      options,
      MetricUnit.Milliseconds,
    );
    publishMetric(deps.metrics, MetricNames.smokeTestFailed, result.passed ? 0 : 1, options);
  }
  deps.logger.info('Smoke test', { ...result });
  return result;
}

/** The first rows of the split (whole lines only). */
async function validationRows(s3: Pick<S3Client, 'send'>, uri: string): Promise<string[]> {
  const location = parseS3Uri(uri);
  if (location === undefined) {
    throw new DeploymentError(DeploymentErrors.smokeTestUnavailable, `${uri} is not an s3:// URI`);
  }
  let text: string;
  try {
    const output = await s3.send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Range: `bytes=0-${HEAD_BYTES - 1}`,
      }),
    );
    text = (await output.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw new DeploymentError(
      DeploymentErrors.smokeTestUnavailable,
      `the version's validation split ${uri} cannot be read: ${(error as Error).message}`,
    );
  }
  // A ranged read may end mid-line: keep whole lines only (the last is whole if the text ends in a newline).
  const lines = text.split(/\r?\n/);
  if (text.length >= HEAD_BYTES && !text.endsWith('\n')) lines.pop();
  const rows = lines.filter((line) => line.trim() !== '').slice(0, SMOKE_ROWS);
  if (rows.length === 0) {
    throw new DeploymentError(DeploymentErrors.smokeTestUnavailable, `${uri} has no rows to test with`);
  }
  return rows;
}

/**
 * What is wrong with the endpoint's answer for `rows` rows, in words (empty when nothing). Values may come
 * one per line, comma-separated on one line, or as JSON arrays: every number is read in order.
 */
export function predictionProblems(text: string, rows: number, plan: SmokeTestPlan): string[] {
  const values = (text.match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|-?Infinity/g) ?? []).map(Number);
  const softprob = plan.objective === 'multi:softprob';
  // Without num_class, softprob's width is whatever the first answer says; the row count still has to fit.
  const perRow = softprob ? (plan.numClass ?? Math.max(1, Math.round(values.length / rows))) : 1;
  const expected = rows * perRow;
  if (values.length !== expected) {
    return [
      `expected ${rows} prediction(s) of ${perRow} value(s) for ${rows} row(s), got ${values.length} value(s): ${preview(text)}`,
    ];
  }
  const problems: string[] = [];
  for (let row = 0; row < rows && problems.length < 5; row++) {
    const prediction = values.slice(row * perRow, (row + 1) * perRow);
    const problem = predictionProblem(prediction, plan);
    if (problem !== undefined) problems.push(`row ${row + 1}: ${problem}`);
  }
  return problems;
}

function predictionProblem(prediction: number[], plan: SmokeTestPlan): string | undefined {
  if (prediction.some((value) => !Number.isFinite(value)))
    return `not a finite number (${prediction.join(',')})`;
  const objective = plan.objective;
  if (objective.startsWith('binary:')) {
    const [p = Number.NaN] = prediction;
    return p >= 0 && p <= 1 ? undefined : `${p} is not a probability in [0, 1]`;
  }
  if (objective === 'multi:softprob') {
    if (plan.numClass !== undefined && prediction.length !== plan.numClass) {
      return `expected ${plan.numClass} class probabilities, got ${prediction.length}`;
    }
    if (prediction.some((p) => p < 0 || p > 1)) return `${prediction.join(',')} are not probabilities`;
    const sum = prediction.reduce((a, b) => a + b, 0);
    return Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE ? undefined : `probabilities sum to ${sum}, not 1`;
  }
  if (objective === 'multi:softmax') {
    const [k = Number.NaN] = prediction;
    const classes = plan.numClass ?? Number.POSITIVE_INFINITY;
    return Number.isInteger(k) && k >= 0 && k < classes
      ? undefined
      : `${k} is not a class index below ${classes}`;
  }
  return undefined;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : JSON.stringify(flat);
}
