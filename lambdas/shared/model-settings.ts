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

/** Every listed model plus `defaults`. */
export type RuntimeModelSettingsMap = Readonly<Record<string, RuntimeModelSettings>>;

export const MODEL_SETTINGS_DEFAULTS_KEY = 'defaults';

/** The settings for a model: its own entry, or `defaults` for a model first seen in an upload. */
export function runtimeSettingsFor(settings: RuntimeModelSettingsMap, model: string): RuntimeModelSettings {
  const found = settings[model] ?? settings[MODEL_SETTINGS_DEFAULTS_KEY];
  if (!found) throw new Error(`MODEL_SETTINGS has neither "${model}" nor "${MODEL_SETTINGS_DEFAULTS_KEY}"`);
  return found;
}
