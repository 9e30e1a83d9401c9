/**
 * The local stand-in for SageMaker's built-in XGBoost 1.7-1 training container, under SageMaker's training
 * contract: hyperparameters from `<ml root>/input/config/hyperparameters.json` (or SM_HPS), CSV channels
 * from SM_CHANNEL_TRAIN / SM_CHANNEL_VALIDATION, one log line per round in XGBoost's format, the model in
 * SM_MODEL_DIR, and on failure a one-line reason in `<ml root>/output/failure` and exit code 1.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChannelData, readChannel } from './channel-data';
import { ClientError, failureReason } from './errors';
import {
  fitModel,
  type GbdtModel,
  type GbdtParams,
  labelProblem,
  type RoundReport,
  resolveParams,
} from './gbdt';
import { normalizeHyperparameters, parseHyperparameters, type TrainingConfig } from './hyperparameters';
import { formatMetricValue, type Metric } from './metrics';

/** The first line of every run: what this is, so nobody mistakes its metrics for XGBoost's. */
export const BANNER =
  'Local stand-in for SageMaker XGBoost 1.7-1: gradient-boosted trees from local/trainers/xgboost ' +
  '(the metrics below come from this stand-in learner, not from XGBoost itself)';

/** File name of the saved model in the model directory. */
export const MODEL_FILE = 'xgboost-model.json';

const LOG = '[local-xgboost]';

/** Where the trainer's lines go. */
export interface TrainerOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The job's paths, from the SageMaker environment with /opt/ml defaults. */
export interface JobPaths {
  readonly root: string;
  readonly hyperparameters: string;
  readonly inputDataConfig: string;
  readonly train: string;
  readonly validation: string | undefined;
  readonly modelDir: string;
  readonly failure: string;
}

/** Resolves the job's paths; the validation channel is optional. */
export function jobPaths(env: Readonly<Record<string, string | undefined>>): JobPaths {
  const root = env.SAGEMAKER_ML_ROOT ?? '/opt/ml';
  const config = env.SM_INPUT_CONFIG_DIR ?? join(root, 'input', 'config');
  const defaultValidation = join(root, 'input', 'data', 'validation');
  return {
    root,
    hyperparameters: join(config, 'hyperparameters.json'),
    inputDataConfig: join(config, 'inputdataconfig.json'),
    train: env.SM_CHANNEL_TRAIN ?? join(root, 'input', 'data', 'train'),
    validation: env.SM_CHANNEL_VALIDATION ?? (existsSync(defaultValidation) ? defaultValidation : undefined),
    modelDir: env.SM_MODEL_DIR ?? join(root, 'model'),
    failure: join(root, 'output', 'failure'),
  };
}

/**
 * The hyperparameters as given: hyperparameters.json (the strings SageMaker hands a built-in algorithm)
 * when present, else SM_HPS, else none.
 */
export async function readHyperparameters(
  paths: JobPaths,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  if (existsSync(paths.hyperparameters)) {
    return normalizeHyperparameters(
      parseJson(await readFile(paths.hyperparameters, 'utf8'), paths.hyperparameters),
    );
  }
  if (env.SM_HPS !== undefined) return normalizeHyperparameters(parseJson(env.SM_HPS, 'SM_HPS'));
  return {};
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ClientError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Fails when inputdataconfig.json gives a channel a content type other than CSV (libsvm, parquet, ...). */
export async function checkContentTypes(paths: JobPaths): Promise<void> {
  if (!existsSync(paths.inputDataConfig)) return;
  const config = parseJson(await readFile(paths.inputDataConfig, 'utf8'), paths.inputDataConfig);
  for (const [channel, settings] of Object.entries(
    (config ?? {}) as Record<string, { ContentType?: string }>,
  )) {
    const type = settings?.ContentType?.trim().toLowerCase();
    if (type !== undefined && !/^(text\/csv|csv)(\s*;\s*label_size=1)?$/.test(type)) {
      throw new ClientError(
        `The ${channel} channel has content type "${settings.ContentType}"; the local stand-in for SageMaker XGBoost reads text/csv only`,
      );
    }
  }
}

/** One round's line, as XGBoost prints it: `[round]\ttrain-<metric>:<value>\tvalidation-<metric>:<value>`. */
export function roundLine(
  round: number,
  scores: readonly { readonly channel: string; readonly values: readonly number[] }[],
  metrics: readonly Metric[],
): string {
  const fields = scores.flatMap(({ channel, values }) =>
    metrics.map((metric, i) => `${channel}-${metric.name}:${formatMetricValue(values[i] ?? Number.NaN)}`),
  );
  return [`[${round}]`, ...fields].join('\t');
}

/** Tracks the last metric on the last data set, as XGBoost's early stopping does. */
export class EarlyStopping {
  private best = Number.NaN;
  bestRound = -1;

  constructor(
    private readonly rounds: number,
    private readonly maximize: boolean,
  ) {}

  /** Records a round's score; true when `rounds` rounds have passed without improvement. */
  update(round: number, score: number): boolean {
    const better = this.maximize ? score > this.best : score < this.best;
    if (this.bestRound === -1 || better || (Number.isNaN(this.best) && !Number.isNaN(score))) {
      this.best = score;
      this.bestRound = round;
    }
    return round - this.bestRound >= this.rounds;
  }

  get bestScore(): number {
    return this.best;
  }
}

/** Runs the job; resolves to the process exit code (0, or 1 after writing the failure file). */
export async function runTrainingJob(
  env: Readonly<Record<string, string | undefined>>,
  output: TrainerOutput,
): Promise<number> {
  output.out(BANNER);
  const paths = jobPaths(env);
  try {
    await train(paths, env, output);
    return 0;
  } catch (error) {
    const reason = failureReason(error);
    output.err(reason);
    if (!(error instanceof ClientError) && error instanceof Error && error.stack) output.err(error.stack);
    await mkdir(join(paths.root, 'output'), { recursive: true });
    await writeFile(paths.failure, `${reason}\n`);
    return 1;
  }
}

async function train(
  paths: JobPaths,
  env: Readonly<Record<string, string | undefined>>,
  output: TrainerOutput,
): Promise<void> {
  const config = parseHyperparameters(await readHyperparameters(paths, env));
  for (const warning of config.warnings) output.err(`${LOG} WARNING: ${warning}`);
  await checkContentTypes(paths);
  const params = resolveParams(config.params);
  const labelCheck = (label: number) => labelProblem(label, params);
  const trainData = await readChannel('train', paths.train, { labelProblem: labelCheck });
  output.out(describeChannel(trainData));
  const validation =
    paths.validation === undefined
      ? undefined
      : await readChannel('validation', paths.validation, {
          features: trainData.features.columns,
          labelProblem: labelCheck,
        });
  if (validation) output.out(describeChannel(validation));
  if (config.earlyStoppingRounds !== undefined && !validation) {
    throw new ClientError('early_stopping_rounds needs a validation channel');
  }
  output.out(`${LOG} training: ${describeParams(config, params)}`);
  const started = performance.now();
  const progress = trackRounds(config, params, trainData, validation, output);
  const model = fitModel(trainData.features, trainData.labels, params, {
    watches: validation ? [{ features: validation.features }] : [],
    onRound: progress.onRound,
  });
  const seconds = (performance.now() - started) / 1000;
  output.out(
    `${LOG} trained ${model.numRound} rounds (${model.trees.length} trees) in ${seconds.toFixed(2)} s`,
  );
  const saved: GbdtModel = { ...model, metadata: progress.metadata(trainData, validation) };
  await mkdir(paths.modelDir, { recursive: true });
  await writeFile(join(paths.modelDir, MODEL_FILE), JSON.stringify(saved));
  output.out(`${LOG} model written to ${join(paths.modelDir, MODEL_FILE)}`);
}

function describeChannel(data: ChannelData): string {
  return `${LOG} ${data.name}: ${data.labels.length} rows x ${data.features.columns} features from ${data.files.length} file(s)`;
}

function describeParams(config: TrainingConfig, params: GbdtParams): string {
  const metrics = config.metrics.map((metric) => metric.name).join(',');
  const early =
    config.earlyStoppingRounds === undefined ? '' : `, early_stopping_rounds ${config.earlyStoppingRounds}`;
  return `${JSON.stringify(params)}, eval_metric ${metrics}${early}`;
}

/** The per-round callback, and the run's facts saved with the model. */
interface RoundTracker {
  readonly onRound: (report: RoundReport) => boolean;
  readonly metadata: (train: ChannelData, validation: ChannelData | undefined) => Record<string, unknown>;
}

/** Prints each round's line, keeps the last scores and drives early stopping. */
function trackRounds(
  config: TrainingConfig,
  params: GbdtParams,
  trainData: ChannelData,
  validation: ChannelData | undefined,
  output: TrainerOutput,
): RoundTracker {
  const groups = params.numClass;
  const last = config.metrics.at(-1);
  const stopping =
    config.earlyStoppingRounds !== undefined && last
      ? new EarlyStopping(config.earlyStoppingRounds, last.maximize)
      : undefined;
  let finalScores: Record<string, number> = {};
  const evaluate = (data: ChannelData, predictions: Float64Array) =>
    config.metrics.map((metric) => metric.evaluate(data.labels, predictions, groups));
  const onRound = (report: RoundReport): boolean => {
    const scores = [{ channel: 'train', values: evaluate(trainData, report.train) }];
    const watched = report.watches[0];
    if (validation && watched) scores.push({ channel: 'validation', values: evaluate(validation, watched) });
    output.out(roundLine(report.round, scores, config.metrics));
    finalScores = Object.fromEntries(
      scores.flatMap(({ channel, values }) =>
        config.metrics.map((metric, i) => [`${channel}:${metric.name}`, values[i] ?? Number.NaN]),
      ),
    );
    const stopScore = scores.at(-1)?.values.at(-1) ?? Number.NaN;
    if (!stopping?.update(report.round, stopScore)) return false;
    output.out(
      `${LOG} early stopping: no improvement in ${config.earlyStoppingRounds} rounds; best round ${stopping.bestRound} (${last?.name} ${formatMetricValue(stopping.bestScore)})`,
    );
    return true;
  };
  const metadata = (train: ChannelData, valid: ChannelData | undefined): Record<string, unknown> => ({
    learner: BANNER,
    hyperparameters: config.hyperparameters,
    evalMetric: config.metrics.map((metric) => metric.name),
    trainRows: train.labels.length,
    ...(valid ? { validationRows: valid.labels.length } : {}),
    finalMetrics: finalScores,
    ...(stopping ? { bestIteration: stopping.bestRound, bestScore: stopping.bestScore } : {}),
  });
  return { onRound, metadata };
}
