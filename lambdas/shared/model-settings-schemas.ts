/**
 * Schemas of the settings maps the stack puts in the Lambdas' environment (MODEL_SETTINGS,
 * DEPLOYMENT_SETTINGS, MONITORING_SETTINGS; types in model-settings.ts). lib/config checked the ranges
 * against SageMaker's limits at synth time; a handler parses the whole shape at init with parseJsonEnv, so a
 * stack and a bundle that disagree fail at once, naming the variable and the field. Objects are loose: a
 * field added by a newer stack passes through.
 */
import {
  DRIFT_CORRECTIONS,
  type RuntimeDeploymentSettings,
  type RuntimeEvaluationSettings,
  type RuntimeModelSettings,
  type RuntimeMonitoringSettings,
} from './model-settings';
import * as z from './zod';

const text = z.string().check(z.minLength(1));
const count = z.int().check(z.gte(1));
const seconds = z.number().check(z.gte(0));

export const runtimeModelSettingsSchema = z.looseObject({
  problemType: z.exactOptional(z.enum(['binary', 'multiclass', 'regression'])),
  targetColumn: z.exactOptional(text),
  approval: z.enum(['auto', 'manual']),
  training: z.looseObject({
    image: text,
    builtInAlgorithm: z.boolean(),
    hyperparameters: z.record(z.string(), z.string()),
    instanceType: text,
    instanceCount: count,
    maxRuntimeSeconds: count,
    managedSpot: z.boolean(),
    maxWaitSeconds: z.exactOptional(count),
    volumeSizeGb: count,
    metricDefinitions: z.array(z.looseObject({ name: text, regex: text })),
  }),
  evaluation: z.looseObject({
    metric: z.exactOptional(text),
    higherIsBetter: z.exactOptional(z.boolean()),
    threshold: z.exactOptional(z.number()),
    minImprovement: z.number(),
  }),
}) satisfies z.ZodMiniType<RuntimeModelSettings>;

/** MODEL_SETTINGS */
export const runtimeModelSettingsMapSchema = z.record(z.string(), runtimeModelSettingsSchema);

/** The quality check's MODEL_SETTINGS: each model's problem type and evaluation only. */
export const runtimeEvaluationSettingsMapSchema = z.record(
  z.string(),
  z.looseObject({
    problemType: runtimeModelSettingsSchema.def.shape.problemType,
    evaluation: runtimeModelSettingsSchema.def.shape.evaluation,
  }) satisfies z.ZodMiniType<RuntimeEvaluationSettings>,
);

const endpointSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('realtime'),
    instanceType: text,
    initialInstanceCount: count,
    autoscaling: z.exactOptional(
      z.looseObject({
        minCapacity: count,
        maxCapacity: count,
        targetInvocationsPerInstance: z.number().check(z.gt(0)),
      }),
    ),
  }),
  z.looseObject({ type: z.literal('serverless'), memorySizeInMb: count, maxConcurrency: count }),
]);

const trafficRoutingSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('ALL_AT_ONCE') }),
  z.looseObject({ type: z.literal('CANARY'), canaryPercent: z.number(), waitIntervalSeconds: seconds }),
  z.looseObject({ type: z.literal('LINEAR'), stepPercent: z.number(), intervalSeconds: seconds }),
]);

export const runtimeDeploymentSettingsSchema = z.looseObject({
  mode: z.enum(['auto', 'manual']),
  endpoint: endpointSchema,
  trafficRouting: trafficRoutingSchema,
  bakeSeconds: seconds,
  maxExecutionTimeoutSeconds: seconds,
  dataCapturePercent: z.number().check(z.gte(0), z.lte(100)),
  alarms: z.looseObject({ latencyP99Ms: z.number(), errorRatePercent: z.number() }),
  retainVersions: z.int().check(z.gte(0)),
}) satisfies z.ZodMiniType<RuntimeDeploymentSettings>;

/** DEPLOYMENT_SETTINGS */
export const runtimeDeploymentSettingsMapSchema = z.record(z.string(), runtimeDeploymentSettingsSchema);

export const runtimeMonitoringSettingsSchema = z.looseObject({
  schedule: text,
  minSamples: count,
  driftShare: z.number().check(z.gt(0), z.lte(1)),
  criticalFeatures: z.array(z.string()),
  correction: z.enum(DRIFT_CORRECTIONS),
  alpha: z.number().check(z.gt(0), z.lt(1)),
  consecutiveWindows: count,
  cooldownSeconds: seconds,
  qualityTolerance: z.number().check(z.gte(0)),
}) satisfies z.ZodMiniType<RuntimeMonitoringSettings>;

/** MONITORING_SETTINGS */
export const runtimeMonitoringSettingsMapSchema = z.record(z.string(), runtimeMonitoringSettingsSchema);
