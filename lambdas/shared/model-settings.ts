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

/**
 * Every listed model's deployment settings plus `defaults`: a map of its own, not part of MODEL_SETTINGS, since
 * the training pipeline's Lambdas never deploy and their environment (4 KB for all variables) has no room for it.
 */
export type RuntimeDeploymentSettingsMap = Readonly<Record<string, RuntimeDeploymentSettings>>;

export const MODEL_SETTINGS_DEFAULTS_KEY = 'defaults';

/** The settings for a model: its own entry, or `defaults` for a model first seen in an upload. */
export function runtimeSettingsFor(settings: RuntimeModelSettingsMap, model: string): RuntimeModelSettings {
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
