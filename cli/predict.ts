/**
 * `mlops predict <model> <file.csv | -> [--version <v>]`: sends rows to the model's endpoint and prints one
 * prediction per row. The rows are the features only (no label), in the model's feature order, or under a
 * header naming them (in any order; a label column there is dropped). They are encoded as the version was
 * trained (its run's `encoding.json`: categories as their codes, classes decoded back to their names), sent
 * as text/csv with InvokeEndpoint, and the answer read per the version's XGBoost objective.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandOutput,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { parse } from 'csv-parse/sync';
import { requestBatches } from '../lambdas/shared/endpoints/batches';
import type { ModelRegistryClient, ModelVersion } from '../lambdas/shared/registry';
import { RunArtifacts, runArtifactKey } from '../lambdas/shared/s3-layout';
import type { DatasetEncoding } from '../lambdas/validate-dataset/report';
import { CliError } from './errors';
import { type ModelReader, requireModel } from './models';
import { formatMetricValue, renderTable } from './output';

/**
 * Most rows per InvokeEndpoint request, and most bytes: SageMaker real-time inference takes a payload of at
 * most 6 MB (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints.html, "payload size"); a
 * request stays well under it.
 */
export const MAX_ROWS_PER_REQUEST = 5000;
export const MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024;

export interface PredictDependencies {
  readonly registry: ModelReader & Pick<ModelRegistryClient, 'getAlias'>;
  /** Reads the version's encoding.json from the artifacts bucket. */
  readonly s3: Pick<S3Client, 'send'>;
  readonly artifactsBucket: string;
  readonly runtime: Pick<SageMakerRuntimeClient, 'send'>;
}

export interface PredictRequest {
  readonly model: string;
  /** The CSV text. */
  readonly csv: string;
  /** Where it came from, for messages: a file name, or `stdin`. */
  readonly source: string;
  /** The version the caller expects to serve; refused when another one serves. */
  readonly version?: number | undefined;
}

/** One row's prediction, in the model's terms. */
export interface Prediction {
  /** 1-based, data rows only (a header is not counted). */
  readonly row: number;
  /** Classification: the predicted class, as the training data named it. */
  readonly label?: string;
  /** Classification with probabilities: the predicted class's probability. */
  readonly probability?: number;
  /** multi:softprob: every class's probability. */
  readonly probabilities?: Readonly<Record<string, number>>;
  /** Regression (and objectives without classes): the predicted value. */
  readonly value?: number;
}

export interface PredictResult {
  readonly model: string;
  readonly version: number;
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly objective: string;
  /** Whether the first row was a header (and so not sent). */
  readonly header: boolean;
  readonly predictions: readonly Prediction[];
}

/**
 * Predicts every row of `request.csv` with the version serving as the model's `production`.
 *
 * @throws NotFoundError (models.ts requireModel) for an unknown model; CliError when no version serves, `--version` names another one,
 *   a row does not fit the model's features (naming the row and column), or the endpoint refuses the request
 */
export async function predict(deps: PredictDependencies, request: PredictRequest): Promise<PredictResult> {
  const summary = await requireModel(deps.registry, request.model);
  const model = summary.model;
  const serving = await servingVersion(deps.registry, model);
  if (request.version !== undefined && request.version !== serving.version.version) {
    throw new CliError(
      `${model} v${request.version} does not serve: v${serving.version.version} serves as production on endpoint ${serving.endpointName}; predict with --version ${serving.version.version} (or without --version), or deploy v${request.version} first with \`mlops deploy ${model} ${request.version}\``,
    );
  }
  const { version } = serving;
  const encoding = await readEncoding(deps, version);
  const { rows, header } = encodeRows(request, encoding, `${model} v${version.version}`);
  if (rows.length === 0) throw new CliError(`${request.source} has no rows to predict`);
  const objective = version.lineage.hyperparameters.objective ?? '';
  const numClass = Number(version.lineage.hyperparameters.num_class);
  const classes = encoding?.label.classes;
  const perRow =
    objective === 'multi:softprob' ? (Number.isInteger(numClass) ? numClass : classes?.length) : 1;
  const values: number[][] = [];
  for (const batch of requestBatches(rows, {
    maxRows: MAX_ROWS_PER_REQUEST,
    maxBytes: MAX_BYTES_PER_REQUEST,
  })) {
    const text = await invoke(deps.runtime, serving.endpointName, batch, model);
    values.push(...readPredictions(text, batch.length, perRow, serving.endpointName));
  }
  return {
    model,
    version: version.version,
    endpointName: serving.endpointName,
    endpointConfigName: serving.endpointConfigName,
    objective,
    header,
    predictions: values.map((value, index) => interpret(index + 1, value, objective, classes)),
  };
}

/** The production version and where it serves. */
async function servingVersion(
  registry: PredictDependencies['registry'],
  model: string,
): Promise<{ version: ModelVersion; endpointName: string; endpointConfigName: string }> {
  const alias = await registry.getAlias(model, 'production');
  const version = alias === undefined ? undefined : await registry.getVersion(model, alias.version);
  const deployment = version?.deployment;
  if (version === undefined || deployment === undefined) {
    throw new CliError(
      `${model} has no version serving (no production version): deploy one with \`mlops deploy ${model} <version>\``,
    );
  }
  return {
    version,
    endpointName: deployment.endpointName,
    endpointConfigName: deployment.endpointConfigName,
  };
}

/** The version's encoding.json; undefined for a run from before it was written (rows are then sent as given). */
async function readEncoding(
  deps: PredictDependencies,
  version: ModelVersion,
): Promise<DatasetEncoding | undefined> {
  const key = runArtifactKey(version.lineage.runId, RunArtifacts.encoding);
  try {
    const output = await deps.s3.send(new GetObjectCommand({ Bucket: deps.artifactsBucket, Key: key }));
    return JSON.parse((await output.Body?.transformToString('utf8')) ?? '') as DatasetEncoding;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw new CliError(
      `cannot read how ${version.model} v${version.version} encodes its features (s3://${deps.artifactsBucket}/${key}): ${(error as Error).message}`,
    );
  }
}

/**
 * The rows as the endpoint takes them (features in training order, categories as codes, empty = missing), and
 * whether the first row was a header. Every problem names the row and column.
 */
export function encodeRows(
  request: Pick<PredictRequest, 'csv' | 'source'>,
  encoding: DatasetEncoding | undefined,
  what: string,
): { rows: string[]; header: boolean } {
  let records: string[][];
  try {
    records = parse(request.csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new CliError(`${request.source} is not CSV: ${(error as Error).message}`);
  }
  if (encoding === undefined) return { rows: records.map((record) => record.join(',')), header: false };
  const features = encoding.features;
  const names = features.map((feature) => feature.name);
  const known = new Set([...names, encoding.label.name]);
  const first = records[0] ?? [];
  const header = first.length > 0 && first.every((cell) => known.has(cell));
  const unknown = first.filter((cell) => !known.has(cell));
  if (!header && unknown.length < first.length && unknown.length > 0) {
    // Some cells name columns, some do not: a header with a typo, not a row of values.
    throw new CliError(
      `${request.source}: the first row looks like a header, but ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${what} (features: ${names.join(', ')}; label: ${encoding.label.name})`,
    );
  }
  // Where each feature is in a record: by the header's names, else in training order.
  let columns: number[] = names.map((_, index) => index);
  if (header) {
    const missing = names.filter((name) => !first.includes(name));
    if (missing.length > 0) {
      throw new CliError(
        `${request.source}: the header lacks ${missing.join(', ')}; ${what} takes the features ${names.join(', ')}`,
      );
    }
    columns = names.map((name) => first.indexOf(name));
  }
  const width = header ? first.length : names.length;
  const data = header ? records.slice(1) : records;
  const rows = data.map((record, index) => {
    const row = index + 1;
    if (record.length !== width) {
      throw new CliError(
        `${request.source}, row ${row}: ${record.length} fields, expected ${width}${header ? ' (as the header)' : `: ${what} takes the features ${names.join(', ')} in this order, without the label (${encoding.label.name})`}`,
      );
    }
    return features
      .map((feature, f) => {
        const cell = record[columns[f] as number] ?? '';
        if (cell === '') return '';
        if (feature.type === 'categorical') {
          const code = feature.categories?.indexOf(cell) ?? -1;
          if (code < 0) {
            throw new CliError(
              `${request.source}, row ${row}, column ${feature.name}: "${cell}" is not a category ${what} was trained on (${(feature.categories ?? []).join(', ')})`,
            );
          }
          return String(code);
        }
        if (!Number.isFinite(Number(cell))) {
          throw new CliError(
            `${request.source}, row ${row}, column ${feature.name}: "${cell}" is not a number`,
          );
        }
        return cell;
      })
      .join(',');
  });
  return { rows, header };
}

/** One InvokeEndpoint (text/csv in and out); SageMaker Runtime's refusals as CLI errors. */
async function invoke(
  runtime: PredictDependencies['runtime'],
  endpointName: string,
  rows: readonly string[],
  model: string,
): Promise<string> {
  let output: InvokeEndpointCommandOutput;
  try {
    output = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        Body: new TextEncoder().encode(`${rows.join('\n')}\n`),
      }),
    );
  } catch (error) {
    const { name, message, OriginalMessage } = error as {
      name?: string;
      message?: string;
      OriginalMessage?: string;
    };
    // API_runtime_InvokeEndpoint Errors: ModelError (the container refused: its message), ValidationError.
    if (name === 'ModelError') {
      throw new CliError(`the model on ${endpointName} refused the rows: ${OriginalMessage ?? message}`);
    }
    if (name === 'ValidationError' && /not found/i.test(message ?? '')) {
      throw new CliError(
        `endpoint ${endpointName} does not exist, though the registry says ${model}'s production version serves there: ${message}`,
      );
    }
    throw new CliError(`InvokeEndpoint on ${endpointName} failed: ${name ?? 'Error'}: ${message}`);
  }
  return new TextDecoder().decode(output.Body);
}

/**
 * The answer for `rows` rows, `perRow` numbers each (undefined: as many as the answer has per row). Numbers are
 * read in order whatever separates them (one per line, or a row's probabilities comma-separated).
 */
export function readPredictions(
  text: string,
  rows: number,
  perRow: number | undefined,
  endpointName: string,
): number[][] {
  const numbers = (text.match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|-?Infinity/g) ?? []).map(Number);
  const width = perRow ?? Math.max(1, Math.round(numbers.length / rows));
  if (numbers.length !== rows * width) {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new CliError(
      `${endpointName} answered ${numbers.length} number(s) for ${rows} row(s), expected ${rows * width}: ${JSON.stringify(preview)}`,
    );
  }
  return Array.from({ length: rows }, (_, row) => numbers.slice(row * width, (row + 1) * width));
}

/** A row's numbers in the model's terms, per XGBoost objective. */
export function interpret(
  row: number,
  values: readonly number[],
  objective: string,
  classes: readonly string[] | undefined,
): Prediction {
  const name = (index: number) => classes?.[index] ?? String(index);
  const [first = Number.NaN] = values;
  if (objective === 'multi:softprob') {
    let best = 0;
    for (let k = 1; k < values.length; k++) if ((values[k] ?? 0) > (values[best] ?? 0)) best = k;
    return {
      row,
      label: name(best),
      probability: values[best] ?? Number.NaN,
      probabilities: Object.fromEntries(values.map((p, k) => [name(k), p])),
    };
  }
  if (objective === 'multi:softmax' || objective === 'binary:hinge') return { row, label: name(first) };
  if (objective === 'binary:logistic') {
    return { row, label: name(first >= 0.5 ? 1 : 0), probability: first };
  }
  if (objective === 'binary:logitraw') return { row, label: name(first > 0 ? 1 : 0), value: first };
  return { row, value: first };
}

/** The predictions as a table: row, class and probability, or value. */
export function renderPredictions(result: PredictResult): string {
  const classification = result.predictions.some((p) => p.label !== undefined);
  const withProbability = result.predictions.some((p) => p.probability !== undefined);
  const headers = classification
    ? ['ROW', 'PREDICTION', ...(withProbability ? ['PROBABILITY'] : [])]
    : ['ROW', 'VALUE'];
  const rows = result.predictions.map((p) =>
    classification
      ? [
          String(p.row),
          p.label ?? '',
          ...(withProbability ? [p.probability === undefined ? '' : formatMetricValue(p.probability)] : []),
        ]
      : [String(p.row), p.value === undefined ? '' : String(p.value)],
  );
  return renderTable(headers, rows);
}

/** The line `predict` prints on stderr before the table: what answered. */
export function describePrediction(result: PredictResult): string {
  const rows = result.predictions.length;
  return `${result.model} v${result.version} on endpoint ${result.endpointName}: ${rows} row${rows === 1 ? '' : 's'}${result.header ? ' (header skipped)' : ''}\n`;
}
