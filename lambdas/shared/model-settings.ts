import type { ProblemType } from './metrics';

/**
 * A model's resolved settings as the Lambdas receive them (JSON in the MODEL_SETTINGS environment variable):
 * the synth-time configuration (lib/config) with durations in seconds.
 */
export interface RuntimeModelSettings {
  readonly problemType?: ProblemType;
  readonly targetColumn?: string;
  readonly approval: 'auto' | 'manual';
  readonly training: {
    readonly image: string;
    readonly builtInAlgorithm: boolean;
    readonly hyperparameters: Readonly<Record<string, string>>;
    readonly instanceType: string;
    readonly instanceCount: number;
    readonly maxRuntimeSeconds: number;
    readonly managedSpot: boolean;
    readonly maxWaitSeconds?: number;
    readonly volumeSizeGb: number;
    readonly metricDefinitions: readonly { readonly name: string; readonly regex: string }[];
  };
  readonly evaluation: {
    readonly metric?: string;
    readonly higherIsBetter?: boolean;
    readonly threshold?: number;
    readonly minImprovement: number;
  };
}

/**
 * A model's resolved endpoint: real-time instances (optionally autoscaled with target tracking on
 * SageMakerVariantInvocationsPerInstance) or serverless. Ranges are SageMaker's (ProductionVariant,
 * ProductionVariantServerlessConfig); lib/config/schema.ts checks them at synth time.
 */
export type RuntimeEndpointSettings =
  | {
      readonly type: 'realtime';
      readonly instanceType: string;
      readonly initialInstanceCount: number;
      readonly autoscaling?: {
        readonly minCapacity: number;
        readonly maxCapacity: number;
        readonly targetInvocationsPerInstance: number;
      };
    }
  | {
      readonly type: 'serverless';
      /** 1024–6144 in 1024 MB steps. */
      readonly memorySizeInMb: number;
      /** 1–200. */
      readonly maxConcurrency: number;
    };

/** BlueGreenUpdatePolicy's TrafficRoutingConfiguration; percentages are of the fleet (CapacitySize CAPACITY_PERCENT). */
export type RuntimeTrafficRouting =
  | { readonly type: 'ALL_AT_ONCE' }
  | { readonly type: 'CANARY'; readonly canaryPercent: number; readonly waitIntervalSeconds: number }
  | { readonly type: 'LINEAR'; readonly stepPercent: number; readonly intervalSeconds: number };

/** A model's resolved deployment settings (`models.<name>.deployment` over `models.defaults.deployment`). */
export interface RuntimeDeploymentSettings {
  /** manual: an Approved version waits for `mlops deploy`; auto: approval starts the deployment. */
  readonly mode: 'auto' | 'manual';
  readonly endpoint: RuntimeEndpointSettings;
  readonly trafficRouting: RuntimeTrafficRouting;
  /** TerminationWaitInSeconds: how long the old fleet stays after all traffic moved (0–3600). */
  readonly bakeSeconds: number;
  /** MaximumExecutionTimeoutInSeconds of the blue/green update (600–28800, SageMaker API reference: BlueGreenUpdatePolicy). */
  readonly maxExecutionTimeoutSeconds: number;
  /** DataCaptureConfig InitialSamplingPercentage; always 0 for serverless (SageMaker has no capture there). */
  readonly dataCapturePercent: number;
  readonly alarms: {
    /** ModelLatency p99 limit in milliseconds (CloudWatch reports ModelLatency in microseconds). */
    readonly latencyP99Ms: number;
    /** Invocation errors (4XX + 5XX) as a percentage of invocations. */
    readonly errorRatePercent: number;
  };
  /** Superseded versions whose SageMaker model and endpoint config are kept (the serving one always is). */
  readonly retainVersions: number;
}

/** Every listed model plus `defaults`. */
export type RuntimeModelSettingsMap = Readonly<Record<string, RuntimeModelSettings>>;

/** What the quality check gets of a model's settings (its MODEL_SETTINGS has only these, for room). */
export type RuntimeEvaluationSettings = Pick<RuntimeModelSettings, 'problemType' | 'evaluation'>;
export type RuntimeEvaluationSettingsMap = Readonly<Record<string, RuntimeEvaluationSettings>>;

/**
 * Every listed model's deployment settings plus `defaults`: a map of its own, not part of MODEL_SETTINGS, since
 * the training pipeline's Lambdas never deploy and their environment (4 KB for all variables) has no room for it.
 */
export type RuntimeDeploymentSettingsMap = Readonly<Record<string, RuntimeDeploymentSettings>>;

export const MODEL_SETTINGS_DEFAULTS_KEY = 'defaults';

/** The settings for a model: its own entry, or `defaults` for a model first seen in an upload. */
export function runtimeSettingsFor<S = RuntimeModelSettings>(
  settings: Readonly<Record<string, S>>,
  model: string,
): S {
  const found = settings[model] ?? settings[MODEL_SETTINGS_DEFAULTS_KEY];
  if (!found) throw new Error(`MODEL_SETTINGS has neither "${model}" nor "${MODEL_SETTINGS_DEFAULTS_KEY}"`);
  return found;
}

/** The deployment settings for a model: its own entry, or `defaults` for a model first seen in an upload. */
export function deploymentSettingsFor(
  settings: RuntimeDeploymentSettingsMap,
  model: string,
): RuntimeDeploymentSettings {
  const found = settings[model] ?? settings[MODEL_SETTINGS_DEFAULTS_KEY];
  if (!found) {
    throw new Error(`The deployment settings have neither "${model}" nor "${MODEL_SETTINGS_DEFAULTS_KEY}"`);
  }
  return found;
}

/** Multiple-testing corrections the drift check applies to its per-feature p-values. */
export const DRIFT_CORRECTIONS = ['benjamini-hochberg', 'bonferroni'] as const;
export type DriftCorrection = (typeof DRIFT_CORRECTIONS)[number];

/**
 * A model's resolved monitoring settings (`models.<name>.monitoring` over `models.defaults.monitoring`), as the
 * monitoring Lambdas receive them in MONITORING_SETTINGS: durations in seconds.
 */
export interface RuntimeMonitoringSettings {
  /** The EventBridge schedule expression of the model's drift check: `rate(…)` or `cron(…)`; default `rate(1 hour)`. */
  readonly schedule: string;
  /** Rows a window needs before it can have a verdict other than InsufficientData (default 200). */
  readonly minSamples: number;
  /** Share of drifted features (0–1] that makes the dataset drifted (default 0.5). */
  readonly driftShare: number;
  /** Features whose drift alone makes the dataset drifted (default none). */
  readonly criticalFeatures: readonly string[];
  /** Correction of the per-feature p-values for the number of features tested (default benjamini-hochberg). */
  readonly correction: DriftCorrection;
  /** Family-wise (Bonferroni) or false-discovery (Benjamini–Hochberg) level of the corrected tests (default 0.05). */
  readonly alpha: number;
  /** Windows in a row with drift or quality loss before a retrain is considered (default 2). */
  readonly consecutiveWindows: number;
  /** Least time between the starts of two retrains of the model (default 86,400 s = 24 h). */
  readonly cooldownSeconds: number;
  /**
   * How much worse than the version's registered validation value a window's objective metric may be before the
   * model counts as degraded: a fraction of that value (default 0.1 = 10 % worse), in the metric's direction.
   */
  readonly qualityTolerance: number;
}

/** Every listed model's monitoring settings plus `defaults` (the MONITORING_SETTINGS environment variable). */
export type RuntimeMonitoringSettingsMap = Readonly<Record<string, RuntimeMonitoringSettings>>;

/** The monitoring settings for a model: its own entry, or `defaults` for a model not listed by name. */
export function monitoringSettingsFor(
  settings: RuntimeMonitoringSettingsMap,
  model: string,
): RuntimeMonitoringSettings {
  const found = settings[model] ?? settings[MODEL_SETTINGS_DEFAULTS_KEY];
  if (!found) {
    throw new Error(`MONITORING_SETTINGS has neither "${model}" nor "${MODEL_SETTINGS_DEFAULTS_KEY}"`);
  }
  return found;
}

/**
 * The input a monitoring schedule's EventBridge rule gives its target (check-drift, check-quality): `models` lists
 * the models whose configured schedule this is; the default schedule's rule sends `"*"` (every model with a
 * production version deployed) with `exclude` naming the models that have a schedule of their own, so each model
 * is checked on exactly one schedule. `time` is the scheduled event's time (the rule's input transformer fills it
 * from the event's `time` field; lib/constructs/monitoring.ts), the end of the window being checked.
 */
export interface MonitoringScheduleInput {
  readonly models: readonly string[] | '*';
  /** Only with `"*"`: models checked on their own schedule instead. */
  readonly exclude?: readonly string[];
  /** ISO 8601 time of the scheduled event. */
  readonly time: string;
}

/**
 * The models a scheduled input asks to check, given the models that have a production version deployed:
 * a named list is checked as given (a model not deployed is still the check's to report on); `"*"` is every
 * deployed model but the excluded ones.
 */
export function scheduledModels(input: MonitoringScheduleInput, deployedModels: readonly string[]): string[] {
  if (input.models !== '*') return [...input.models];
  const excluded = new Set(input.exclude ?? []);
  return deployedModels.filter((model) => !excluded.has(model));
}
