/**
 * SageMaker XGBoost 1.7-1's hyperparameters, checked as the built-in container checks them (names, types,
 * ranges, num_class with multi:*, eval_metric against the objective), mapped onto the stand-in learner.
 *
 * Three kinds of names: honoured ones drive the learner; known ones the stand-in does not implement are
 * ignored with a warning (or fail the job when their value would change what is learned, e.g.
 * `booster=dart`); unknown ones are ignored with a warning.
 */
import { ClientError } from './errors';
import type { GbdtParams, Objective } from './gbdt';
import { findMetric, type Metric, metricApplies } from './metrics';

/** What the trainer needs from the hyperparameters. */
export interface TrainingConfig {
  readonly params: Partial<GbdtParams> & Pick<GbdtParams, 'objective' | 'numRound'>;
  /** In `eval_metric` order; the last one drives early stopping, as in XGBoost. */
  readonly metrics: readonly Metric[];
  readonly earlyStoppingRounds?: number | undefined;
  readonly warnings: readonly string[];
  /** Every hyperparameter as the string the job was given. */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

type NumericKey = Exclude<keyof GbdtParams, 'objective'> | 'earlyStoppingRounds';

/** Syntax and range of a numeric hyperparameter. */
export interface NumericRange {
  readonly integer: boolean;
  readonly min?: number;
  /** The value must be greater than `min`, not equal to it. */
  readonly minOpen?: boolean;
  readonly max?: number;
}

interface NumericSpec extends NumericRange {
  readonly key: NumericKey;
}

const fraction: NumericRange = { integer: false, min: 0, minOpen: true, max: 1 };
const nonNegative: NumericRange = { integer: false, min: 0 };

/** Honoured numeric hyperparameters with SageMaker XGBoost's ranges. */
const NUMERIC: Readonly<Record<string, NumericSpec>> = {
  num_round: { key: 'numRound', integer: true, min: 1 },
  num_class: { key: 'numClass', integer: true, min: 2 },
  max_depth: { key: 'maxDepth', integer: true, min: 0 },
  eta: { key: 'eta', integer: false, min: 0, max: 1 },
  gamma: { key: 'gamma', ...nonNegative },
  min_child_weight: { key: 'minChildWeight', ...nonNegative },
  max_delta_step: { key: 'maxDeltaStep', ...nonNegative },
  subsample: { key: 'subsample', ...fraction },
  colsample_bytree: { key: 'colsampleBytree', ...fraction },
  colsample_bylevel: { key: 'colsampleBylevel', ...fraction },
  colsample_bynode: { key: 'colsampleBynode', ...fraction },
  lambda: { key: 'lambda', ...nonNegative },
  alpha: { key: 'alpha', ...nonNegative },
  scale_pos_weight: { key: 'scalePosWeight', integer: false, min: 0, minOpen: true },
  base_score: { key: 'baseScore', ...nonNegative },
  max_bin: { key: 'maxBin', integer: true, min: 2, max: 65_535 },
  seed: { key: 'seed', integer: true, min: -(2 ** 31), minOpen: true, max: 2 ** 31 - 2 },
  early_stopping_rounds: { key: 'earlyStoppingRounds', integer: true, min: 1 },
};

const SUPPORTED_OBJECTIVES: readonly Objective[] = [
  'binary:logistic',
  'multi:softprob',
  'multi:softmax',
  'reg:squarederror',
];

/** Objectives SageMaker XGBoost accepts that the stand-in does not implement. */
const OTHER_OBJECTIVES = [
  'binary:logitraw',
  'binary:hinge',
  'count:poisson',
  'rank:pairwise',
  'rank:ndcg',
  'rank:map',
  'reg:logistic',
  'reg:gamma',
  'reg:pseudohubererror',
  'reg:squaredlogerror',
  'reg:tweedie',
  'survival:aft',
  'survival:cox',
];

/** Checked, and only their default value is supported: any other would change what is learned. */
const FIXED_CHOICES: Readonly<
  Record<string, { readonly supported: string; readonly others: readonly string[] }>
> = {
  booster: { supported: 'gbtree', others: ['gblinear', 'dart'] },
  grow_policy: { supported: 'depthwise', others: ['lossguide'] },
  csv_weights: { supported: '0', others: ['1'] },
  process_type: { supported: 'default', others: ['update'] },
};

/** Checked, with no effect on the stand-in. */
const NO_EFFECT_CHOICES: Readonly<Record<string, readonly string[]>> = {
  tree_method: ['auto', 'exact', 'approx', 'hist', 'gpu_hist'],
};
const NO_EFFECT_NUMBERS: Readonly<Record<string, NumericRange>> = {
  verbosity: { integer: true, min: 0, max: 3 },
  nthread: { integer: true, min: 1 },
};

/** SageMaker XGBoost hyperparameters the stand-in ignores (with a warning). */
const NOT_HONOURED = new Set([
  'updater',
  'dsplit',
  'refresh_leaf',
  'max_leaves',
  'predictor',
  'monotone_constraints',
  'interaction_constraints',
  'sketch_eps',
  'sample_type',
  'normalize_type',
  'rate_drop',
  'one_drop',
  'skip_drop',
  'lambda_bias',
  'tweedie_variance_power',
  'num_parallel_tree',
  'save_model_on_termination',
  'aft_loss_distribution',
  'aft_loss_distribution_scale',
  'deterministic_histogram',
  'sampling_method',
  'single_precision_histogram',
  'prob_buffer_row',
  'use_dask_gpu_training',
  'max_cat_to_onehot',
  '_kfold',
  '_num_cv_round',
]);

/** Metrics SageMaker XGBoost computes that the stand-in does not. */
const OTHER_METRICS = new Set([
  'map',
  'ndcg',
  'balanced_accuracy',
  'f1_binary',
  'f1_macro',
  'precision',
  'precision_macro',
  'precision_micro',
  'recall',
  'recall_macro',
  'recall_micro',
  'aft-nloglik',
  'cox-nloglik',
  'gamma-deviance',
  'gamma-nloglik',
  'interval-regression-accuracy',
  'mape',
  'mphe',
  'poisson-nloglik',
  'rmsle',
  'tweedie-nloglik',
]);

/** XGBoost's default eval_metric per objective. */
const DEFAULT_METRIC: Readonly<Record<Objective, string>> = {
  'binary:logistic': 'logloss',
  'multi:softprob': 'mlogloss',
  'multi:softmax': 'mlogloss',
  'reg:squarederror': 'rmse',
};

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Hyperparameter values as strings: SageMaker hands the container strings, while the training toolkit's
 * SM_HPS has them JSON-decoded ("5" -> 5), so both are accepted.
 */
export function normalizeHyperparameters(raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ClientError('Hyperparameters must be a JSON object of names to values');
  }
  return Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value),
    ]),
  );
}

/** Parses a numeric hyperparameter; throws a ClientError naming it, its value and the allowed range. */
export function parseNumber(name: string, value: string, spec: NumericRange): number {
  const text = value.trim();
  const parsed = Number(text);
  const syntaxOk = spec.integer ? INTEGER.test(text) : DECIMAL.test(text);
  const low = spec.min === undefined || (spec.minOpen ? parsed > spec.min : parsed >= spec.min);
  const high = spec.max === undefined || parsed <= spec.max;
  if (!syntaxOk || !Number.isFinite(parsed) || !low || !high) {
    throw new ClientError(`Hyperparameter ${name}: "${value}" is not ${describe(spec)}`);
  }
  return parsed;
}

/** A table's own entry: a name such as "constructor" must not find Object.prototype's. */
function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

function describe(spec: NumericRange): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  const min = spec.min === undefined ? '' : `${spec.minOpen ? '>' : '>='} ${spec.min}`;
  const max = spec.max === undefined ? '' : `<= ${spec.max}`;
  const bounds = [min, max].filter(Boolean).join(' and ');
  return bounds ? `${kind} ${bounds}` : kind;
}

/** Turns the job's hyperparameters into the learner's configuration; throws a ClientError when invalid. */
export function parseHyperparameters(raw: Readonly<Record<string, string>>): TrainingConfig {
  const warnings: string[] = [];
  const numbers: Partial<Record<NumericKey, number>> = {};
  for (const [name, value] of Object.entries(raw)) {
    const spec = own(NUMERIC, name);
    if (spec) numbers[spec.key] = parseNumber(name, value, spec);
    else checkOther(name, value, warnings);
  }
  if (raw.num_round === undefined) {
    throw new ClientError('Missing required hyperparameter: num_round (the number of boosting rounds, >= 1)');
  }
  const objective = parseObjective(raw.objective, warnings);
  const multi = objective.startsWith('multi:');
  if (multi && numbers.numClass === undefined) {
    throw new ClientError(`Hyperparameter num_class is required with objective ${objective}`);
  }
  if (!multi && numbers.numClass !== undefined) {
    throw new ClientError(
      `Hyperparameter num_class applies only to multi:softmax and multi:softprob, not ${objective}`,
    );
  }
  const baseScore = numbers.baseScore;
  if (objective === 'binary:logistic' && baseScore !== undefined && !(baseScore > 0 && baseScore < 1)) {
    throw new ClientError(
      `Hyperparameter base_score: "${raw.base_score}" must be in (0, 1) for binary:logistic`,
    );
  }
  const metrics = parseMetrics(raw.eval_metric, raw._tuning_objective_metric, objective);
  const { earlyStoppingRounds, ...params } = numbers;
  return {
    params: { ...params, objective, numRound: numbers.numRound as number },
    metrics,
    earlyStoppingRounds,
    warnings,
    hyperparameters: { ...raw },
  };
}

function parseObjective(value: string | undefined, warnings: string[]): Objective {
  if (value === undefined) return 'reg:squarederror';
  const objective = value.trim();
  if (objective === 'reg:linear') {
    warnings.push('objective reg:linear is deprecated; training with reg:squarederror, as XGBoost does');
    return 'reg:squarederror';
  }
  if ((SUPPORTED_OBJECTIVES as readonly string[]).includes(objective)) return objective as Objective;
  if (OTHER_OBJECTIVES.includes(objective)) {
    throw new ClientError(
      `Hyperparameter objective: "${objective}" is not implemented by the local stand-in for SageMaker XGBoost (supported: ${SUPPORTED_OBJECTIVES.join(', ')})`,
    );
  }
  throw new ClientError(`Hyperparameter objective: "${objective}" is not an XGBoost objective`);
}

/** Validates a hyperparameter that is not a honoured number; records a warning when it is ignored. */
function checkOther(name: string, value: string, warnings: string[]): void {
  if (['objective', 'eval_metric', '_tuning_objective_metric'].includes(name)) return;
  const fixed = own(FIXED_CHOICES, name);
  const choices = own(NO_EFFECT_CHOICES, name);
  const range = own(NO_EFFECT_NUMBERS, name);
  if (fixed) {
    if (value.trim() === fixed.supported) return;
    if (fixed.others.includes(value.trim())) {
      throw new ClientError(
        `Hyperparameter ${name}: "${value}" is not implemented by the local stand-in for SageMaker XGBoost (only ${fixed.supported})`,
      );
    }
    throw new ClientError(
      `Hyperparameter ${name}: "${value}" is not one of ${[fixed.supported, ...fixed.others].join(', ')}`,
    );
  }
  if (choices) {
    if (!choices.includes(value.trim())) {
      throw new ClientError(`Hyperparameter ${name}: "${value}" is not one of ${choices.join(', ')}`);
    }
    if (name === 'tree_method' && !['auto', 'hist'].includes(value.trim())) {
      warnings.push(
        `tree_method ${value.trim()}: the local stand-in always grows trees like tree_method=hist`,
      );
    }
    return;
  }
  if (range) {
    parseNumber(name, value, range);
    return;
  }
  warnings.push(
    NOT_HONOURED.has(name)
      ? `hyperparameter ${name} is not honoured by the local stand-in for SageMaker XGBoost; ignored`
      : `hyperparameter ${name} is not a SageMaker XGBoost 1.7-1 hyperparameter; ignored`,
  );
}

/**
 * The metrics to print each round: `eval_metric` (comma separated) or the objective's default, plus the
 * metric of `_tuning_objective_metric` (set by hyperparameter tuning jobs) when it is not listed.
 */
function parseMetrics(
  evalMetric: string | undefined,
  tuning: string | undefined,
  objective: Objective,
): Metric[] {
  const names = (evalMetric ?? DEFAULT_METRIC[objective])
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new ClientError('Hyperparameter eval_metric: names no metric');
  if (tuning !== undefined) {
    const metric = /^(train|validation):(.+)$/.exec(tuning.trim())?.[2];
    if (metric === undefined) {
      throw new ClientError(
        `Hyperparameter _tuning_objective_metric: "${tuning}" is not e.g. "validation:auc"`,
      );
    }
    if (!names.includes(metric)) names.push(metric);
  }
  return [...new Set(names)].map((name) => {
    const metric = findMetric(name);
    if (!metric) throw new ClientError(unknownMetric(name));
    if (!metricApplies(metric.kind, objective)) {
      throw new ClientError(`Hyperparameter eval_metric: "${name}" does not apply to objective ${objective}`);
    }
    return metric;
  });
}

function unknownMetric(name: string): string {
  if (OTHER_METRICS.has(name)) {
    return `Hyperparameter eval_metric: "${name}" is not implemented by the local stand-in for SageMaker XGBoost`;
  }
  const hint = name === 'rsquared' ? ' (SageMaker XGBoost calls R squared "r2")' : '';
  return `Hyperparameter eval_metric: "${name}" is not a metric SageMaker XGBoost 1.7-1 computes${hint}`;
}
