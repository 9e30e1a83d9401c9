import { Duration, Token } from 'aws-cdk-lib';
import type { z } from 'zod';
import type { PriceOverride } from '../../lambdas/shared/cost/prices';
import {
  DEFAULT_OBJECTIVE,
  findXgboostMetric,
  type ProblemType,
  XGBOOST_METRICS,
} from '../../lambdas/shared/metrics';
import type {
  RuntimeDeploymentSettings,
  RuntimeDeploymentSettingsMap,
  RuntimeModelSettings,
  RuntimeModelSettingsMap,
  RuntimeMonitoringSettings,
  RuntimeMonitoringSettingsMap,
} from '../../lambdas/shared/model-settings';
import { omitUndefined } from '../../lambdas/shared/omit-undefined';
// The registry's rule: a name the config accepts is one every run can be recorded under.
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../../lambdas/shared/registry/schemas';
import { legacyEndpointIssue, mergeDeployment, resolveDeployment } from './deployment';
import { ConfigError, type ConfigIssue, formatPath, fromZodIssues } from './errors';
import { legacyDriftIssue, mergeMonitoring, resolveMonitoring } from './monitoring';
import {
  configSchema,
  type LocalConfig,
  MAX_TRAINING_RUNTIME,
  type ModelSettingsInput,
  modelSettingsSchema,
} from './schema';
import { builtInXgboostImage, DEFAULT_XGBOOST_VERSION, isBuiltInXgboostImage } from './training-images';

/** The `models` entry that applies to every model not listed by name. */
export const DEFAULTS_KEY = 'defaults';

export interface TrainingSettings {
  readonly image: string;
  /** True when the image is SageMaker's built-in XGBoost, whose metrics and data format the stack knows. */
  readonly builtInAlgorithm: boolean;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxRuntime: Duration;
  readonly managedSpot: boolean;
  /** Set only with managed spot: how long SageMaker may wait for capacity, runtime included. */
  readonly maxWait?: Duration;
  readonly volumeSizeGb: number;
  readonly metricDefinitions: readonly { readonly name: string; readonly regex: string }[];
}

export interface EvaluationSettings {
  /** Undefined until the problem type is known (it may come from the dataset's schema.json). */
  readonly metric?: string;
  readonly higherIsBetter?: boolean;
  /** Absolute bar the objective must reach; none when undefined. */
  readonly threshold?: number;
  /** How much better than the production champion a challenger must be. */
  readonly minImprovement: number;
}

export interface ModelSettings {
  readonly problemType?: ProblemType;
  readonly targetColumn?: string;
  readonly training: TrainingSettings;
  readonly evaluation: EvaluationSettings;
  readonly approval: 'auto' | 'manual';
  /** Already in the Lambdas' shape (seconds, no Durations): nothing to convert for the runtime. */
  readonly deployment: RuntimeDeploymentSettings;
  /** Drift and quality checks, retraining; already in the Lambdas' shape (seconds). */
  readonly monitoring: RuntimeMonitoringSettings;
}

export interface MlopsConfig {
  readonly stage: 'dev' | 'prod';
  readonly alarmEmails: readonly string[];
  /** Settings for the local runtime only. */
  readonly local: LocalConfig;
  /** Every listed model plus `defaults`, fully resolved. */
  readonly models: Readonly<Record<string, ModelSettings>>;
  /** Price overrides per region for run costs, on top of lambdas/shared/cost/prices.ts. */
  readonly prices: Readonly<Record<string, PriceOverride>>;
}

/** The settings for a model: its own entry, or `defaults` for a model first seen in an upload. */
export function settingsForModel(config: MlopsConfig, model: string): ModelSettings {
  const settings = config.models[model] ?? config.models[DEFAULTS_KEY];
  if (!settings) throw new Error(`No settings for model "${model}" and no "${DEFAULTS_KEY}" entry`);
  return settings;
}

export interface ResolveOptions {
  /** The stack's region; picks the built-in training image. May be an unresolved token. */
  readonly region: string;
}

/**
 * Validates a raw configuration (already merged from its sources) and resolves every model's settings.
 * Throws a ConfigError listing every problem, each under its key path.
 */
export function resolveConfig(raw: unknown, options: ResolveOptions): MlopsConfig {
  const issues: ConfigIssue[] = [];
  // The stack-wide `endpoint` block moved into models.*.deployment (issue 8): say where, not "unknown key".
  // The stack-wide `drift` block became models.*.monitoring (issue 10), said the same way.
  const {
    endpoint: legacyEndpoint,
    drift: legacyDrift,
    ...current
  } = isRecord(raw) ? raw : { endpoint: undefined, drift: undefined };
  if (legacyEndpoint !== undefined) issues.push(legacyEndpointIssue(legacyEndpoint));
  if (legacyDrift !== undefined) issues.push(legacyDriftIssue());
  const parsed = configSchema.safeParse(isRecord(raw) ? current : (raw ?? {}), { reportInput: true });
  if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, configSchema));
  // Check the models even when a top-level setting is wrong, so one synth reports every problem.
  const rawModels = (raw as { models?: unknown } | null)?.models;
  const entries = parseModelEntries(isRecord(rawModels) ? rawModels : {}, issues);
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);

  const defaults = entries.get(DEFAULTS_KEY) ?? {};
  const models: Record<string, ModelSettings> = {};
  const defaultsResolved = resolveModel(defaults, options, ['models', DEFAULTS_KEY], issues);
  if (defaultsResolved) models[DEFAULTS_KEY] = defaultsResolved;
  for (const [name, entry] of entries) {
    if (name === DEFAULTS_KEY) continue;
    // A model without its own image inherits the defaults' one; a missing default was reported once already.
    if (!defaultsResolved && !entry.training?.image && !defaults.training?.image) continue;
    const resolved = resolveModel(mergeSettings(defaults, entry), options, ['models', name], issues, entry);
    if (resolved) models[name] = resolved;
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const { stage, alarmEmails, local, prices } = parsed.data;
  return { stage, alarmEmails, local, models, prices };
}

function parseModelEntries(
  raw: Record<string, unknown>,
  issues: ConfigIssue[],
): Map<string, ModelSettingsInput> {
  const entries = new Map<string, ModelSettingsInput>();
  for (const [name, entry] of Object.entries(raw)) {
    if (name !== DEFAULTS_KEY && !MODEL_NAME_PATTERN.test(name)) {
      issues.push({
        path: formatPath(['models', name]),
        message: `"${name}" is not a valid model name (expected ${MODEL_NAME_RULE})`,
      });
      continue;
    }
    const result = modelSettingsSchema.safeParse(entry ?? {}, { reportInput: true });
    if (result.success) entries.set(name, result.data);
    else
      issues.push(...fromZodIssues(result.error.issues, modelSettingsSchema as z.ZodType, ['models', name]));
  }
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `models.<name>` over `models.defaults`, key by key (hyperparameters too); arrays are replaced. */
function mergeSettings(base: ModelSettingsInput, over: ModelSettingsInput): ModelSettingsInput {
  return {
    ...base,
    ...over,
    training: {
      ...base.training,
      ...over.training,
      hyperparameters: { ...base.training?.hyperparameters, ...over.training?.hyperparameters },
    },
    evaluation: { ...base.evaluation, ...over.evaluation },
    ...omitUndefined({
      deployment: mergeDeployment(base.deployment, over.deployment),
      monitoring: mergeMonitoring(base.monitoring, over.monitoring),
    }),
  };
}

/** Fills built-in defaults into one model's merged (and already shape-checked) settings; checks cross-field rules. */
function resolveModel(
  input: ModelSettingsInput,
  { region }: ResolveOptions,
  path: readonly string[],
  issues: ConfigIssue[],
  own: ModelSettingsInput = input,
): ModelSettings | undefined {
  const at = (...keys: string[]) => formatPath([...path, ...keys]);
  const before = issues.length;
  const training = input.training ?? {};
  const evaluation = input.evaluation ?? {};

  let image = training.image;
  if (!image) {
    image = Token.isUnresolved(region) ? undefined : builtInXgboostImage(region);
    if (!image) {
      const where = Token.isUnresolved(region)
        ? 'the stack has no region at synth time (set CDK_DEFAULT_REGION or env.region)'
        : `no built-in XGBoost ${DEFAULT_XGBOOST_VERSION} image is known for region "${region}"`;
      issues.push({
        path: at('training', 'image'),
        message: `is not set and ${where}: set an explicit ECR image URI`,
      });
    }
  }
  const builtInAlgorithm = image !== undefined && isBuiltInXgboostImage(image);

  const maxRuntime = training.maxRuntime ?? Duration.hours(1);
  if (maxRuntime.toSeconds() > MAX_TRAINING_RUNTIME.toSeconds()) {
    issues.push({
      path: at('training', 'maxRuntime'),
      message: `${maxRuntime.toHumanString()} is longer than SageMaker allows (expected at most 28 days)`,
    });
  }
  const managedSpot = training.managedSpot ?? false;
  let maxWait: Duration | undefined;
  if (managedSpot) {
    maxWait = training.maxWait ?? maxRuntime.plus(maxRuntime);
    if (maxWait.toSeconds() < maxRuntime.toSeconds()) {
      issues.push({
        path: at('training', 'maxWait'),
        message: `${maxWait.toHumanString()} is shorter than maxRuntime ${maxRuntime.toHumanString()} (SageMaker requires maxWait >= maxRuntime)`,
      });
    } else if (maxWait.toSeconds() > MAX_TRAINING_RUNTIME.toSeconds()) {
      issues.push({
        path: at('training', 'maxWait'),
        message: `${maxWait.toHumanString()} is longer than SageMaker allows (expected at most 28 days)`,
      });
    }
  } else if (training.maxWait) {
    issues.push({
      path: at('training', 'maxWait'),
      message: 'is set but managedSpot is off (maxWait only applies to managed spot training)',
    });
  }

  const hyperparameters = stringifyHyperparameters({
    ...(builtInAlgorithm ? XGBOOST_DEFAULT_HYPERPARAMETERS : {}),
    ...training.hyperparameters,
  });
  checkHyperparameterLimits(hyperparameters, builtInAlgorithm, at, issues);

  const deployment = resolveDeployment(input.deployment, path, issues, own.deployment);
  const monitoring = resolveMonitoring(input.monitoring, path, issues);

  if (!image || !deployment) return undefined;
  const metricResolution = resolveMetric(
    input.problemType,
    evaluation,
    builtInAlgorithm,
    training.metricDefinitions ?? [],
    at,
    issues,
  );
  if (issues.length > before) return undefined;

  return omitUndefined({
    problemType: input.problemType,
    targetColumn: input.targetColumn,
    approval: input.approval ?? 'manual',
    training: omitUndefined({
      image,
      builtInAlgorithm,
      hyperparameters,
      instanceType: training.instanceType ?? 'ml.m5.xlarge',
      instanceCount: training.instanceCount ?? 1,
      maxRuntime,
      managedSpot,
      maxWait,
      volumeSizeGb: training.volumeSizeGb ?? 30,
      metricDefinitions: training.metricDefinitions ?? [],
    }),
    evaluation: omitUndefined({
      ...metricResolution,
      threshold: evaluation.threshold,
      minImprovement: evaluation.minImprovement ?? 0,
    }),
    deployment,
    monitoring,
  });
}

/** SageMaker's XGBoost requires num_round; depth and learning rate are XGBoost's own defaults, made explicit. */
const XGBOOST_DEFAULT_HYPERPARAMETERS = { num_round: 100, max_depth: 6, eta: 0.3 };

/**
 * CreateTrainingJob's HyperParameters: "Map Entries: Maximum number of 100 items", "Key Length Constraints:
 * Maximum length of 256" (the schema's name pattern checks that), "Value Length Constraints: Maximum length
 * of 2500" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html).
 */
export const SAGEMAKER_HYPERPARAMETER_LIMITS = { entries: 100, valueLength: 2500 } as const;

/** What the run adds for the built-in algorithm from the data (lambdas/validate-dataset training plan). */
const DERIVED_XGBOOST_HYPERPARAMETERS = ['objective', 'eval_metric', 'num_class'];

function checkHyperparameterLimits(
  hyperparameters: Readonly<Record<string, string>>,
  builtInAlgorithm: boolean,
  at: (...keys: string[]) => string,
  issues: ConfigIssue[],
): void {
  const { entries, valueLength } = SAGEMAKER_HYPERPARAMETER_LIMITS;
  const names = new Set(Object.keys(hyperparameters));
  if (builtInAlgorithm) for (const name of DERIVED_XGBOOST_HYPERPARAMETERS) names.add(name);
  if (names.size > entries) {
    issues.push({
      path: at('training', 'hyperparameters'),
      message: `has ${names.size} entries${builtInAlgorithm ? ' with the ones the built-in XGBoost adds (objective, eval_metric, num_class, num_round, max_depth, eta)' : ''}, more than SageMaker accepts (expected at most ${entries})`,
    });
  }
  for (const [name, value] of Object.entries(hyperparameters)) {
    if (value.length > valueLength) {
      issues.push({
        path: at('training', 'hyperparameters', name),
        message: `is ${value.length} characters long, more than SageMaker accepts for a hyperparameter value (expected at most ${valueLength})`,
      });
    }
  }
}

function stringifyHyperparameters(values: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}

function resolveMetric(
  problemType: ProblemType | undefined,
  evaluation: NonNullable<ModelSettingsInput['evaluation']>,
  builtInAlgorithm: boolean,
  metricDefinitions: readonly { name: string }[],
  at: (...keys: string[]) => string,
  issues: ConfigIssue[],
): Pick<EvaluationSettings, 'metric' | 'higherIsBetter'> {
  const metric =
    evaluation.metric ?? (problemType && builtInAlgorithm ? DEFAULT_OBJECTIVE[problemType] : undefined);
  if (!builtInAlgorithm) {
    if (!evaluation.metric || evaluation.higherIsBetter === undefined) {
      issues.push({
        path: at('evaluation', evaluation.metric ? 'higherIsBetter' : 'metric'),
        message:
          'is required when training.image is not the built-in XGBoost image (the stack cannot know a custom metric)',
      });
    } else if (!metricDefinitions.some((definition) => definition.name === evaluation.metric)) {
      issues.push({
        path: at('training', 'metricDefinitions'),
        message: `has no definition named "${evaluation.metric}" (SageMaker needs a regex to read evaluation.metric from a custom image's logs)`,
      });
    }
    return omitUndefined({ metric, higherIsBetter: evaluation.higherIsBetter });
  }
  if (!metric) return {};
  const known = findXgboostMetric(metric);
  if (!known) {
    issues.push({
      path: at('evaluation', 'metric'),
      message: `"${metric}" is not a metric the built-in XGBoost algorithm reports (expected e.g. "validation:auc", "validation:rmse")`,
    });
    return {};
  }
  if (problemType && !known.problemTypes.includes(problemType)) {
    issues.push({
      path: at('evaluation', 'metric'),
      message: `"${metric}" does not apply to ${problemType} models (expected one of ${metricsFor(problemType)})`,
    });
  }
  if (evaluation.higherIsBetter !== undefined && evaluation.higherIsBetter !== known.higherIsBetter) {
    issues.push({
      path: at('evaluation', 'higherIsBetter'),
      message: `${evaluation.higherIsBetter} contradicts "${metric}", where ${known.higherIsBetter ? 'higher' : 'lower'} is better (remove the setting)`,
    });
  }
  const [low, high] = known.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  if (evaluation.threshold !== undefined && (evaluation.threshold < low || evaluation.threshold > high)) {
    issues.push({
      path: at('evaluation', 'threshold'),
      message: `${evaluation.threshold} is outside the range of "${metric}" (expected ${low} to ${high})`,
    });
  }
  return { metric, higherIsBetter: known.higherIsBetter };
}

function metricsFor(problemType: ProblemType): string {
  return XGBOOST_METRICS.filter((metric) => metric.problemTypes.includes(problemType))
    .map((metric) => `"${metric.name}"`)
    .join(', ');
}

/**
 * The configuration's models as the training pipeline's Lambdas receive them (lambdas/shared/model-settings.ts),
 * without deployment settings: those travel in their own map (toRuntimeDeploymentSettings).
 */
export function toRuntimeModelSettings(config: MlopsConfig): RuntimeModelSettingsMap {
  return Object.fromEntries(
    Object.entries(config.models).map(
      ([name, { deployment: _deployment, monitoring: _monitoring, ...settings }]) => {
        const { maxRuntime, maxWait, ...training } = settings.training;
        const runtime: RuntimeModelSettings = {
          ...settings,
          training: omitUndefined({
            ...training,
            maxRuntimeSeconds: maxRuntime.toSeconds(),
            maxWaitSeconds: maxWait?.toSeconds(),
          }),
        };
        return [name, runtime];
      },
    ),
  );
}

/** Every model's monitoring settings plus `defaults`: MONITORING_SETTINGS of the monitoring Lambdas. */
export function toRuntimeMonitoringSettings(config: MlopsConfig): RuntimeMonitoringSettingsMap {
  return Object.fromEntries(
    Object.entries(config.models).map(([name, settings]) => [name, settings.monitoring]),
  );
}

/** Every model's deployment settings plus `defaults`, for the deployment workflow's Lambdas. */
export function toRuntimeDeploymentSettings(config: MlopsConfig): RuntimeDeploymentSettingsMap {
  return Object.fromEntries(
    Object.entries(config.models).map(([name, settings]) => [name, settings.deployment]),
  );
}
