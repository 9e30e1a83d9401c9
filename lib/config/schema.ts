import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { PROBLEM_TYPES } from '../../lambdas/shared/metrics';
import { monitoringSchema } from './monitoring';

// Messages are written to follow `<path>: <value> ` (see errors.ts), so each one reads as a sentence.

const INSTANCE_TYPE = /^ml\.[a-z][a-z0-9-]*\.(?:\d*xlarge|large|medium|small)$/;
const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const DURATION_UNITS = { s: Duration.seconds, m: Duration.minutes, h: Duration.hours, d: Duration.days };
const ECR_IMAGE =
  /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/;
const HYPERPARAMETER_NAME = /^[A-Za-z0-9_.:-]{1,256}$/;

/** SageMaker's own ceiling for MaxRuntimeInSeconds and MaxWaitTimeInSeconds (28 days). */
export const MAX_TRAINING_RUNTIME = Duration.days(28);

export const instanceType = (example: string) =>
  z.string().regex(INSTANCE_TYPE, {
    error: `is not a SageMaker instance type (expected e.g. "${example}")`,
  });

/** A duration as whole seconds, or a string such as "90s", "30m", "2h", "1d". */
export const duration = z
  .union([z.number(), z.string()], {
    error: 'is not a duration (expected seconds as a number, or a string like "90s", "30m", "2h", "1d")',
  })
  .transform((value, ctx) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value > 0) return Duration.seconds(value);
    } else {
      const match = DURATION.exec(value.trim());
      const unit = match?.[2] as keyof typeof DURATION_UNITS | undefined;
      if (match?.[1] && unit && Number(match[1]) > 0) return DURATION_UNITS[unit](Number(match[1]));
    }
    ctx.addIssue({
      code: 'custom',
      input: value,
      message:
        'is not a duration (expected a positive whole number of seconds, or a string like "90s", "30m", "2h", "1d")',
    });
    return z.NEVER;
  });

/** A duration that may be zero (a wait SageMaker allows to skip): whole seconds, or "0s", "90s", "30m", "1h". */
export const waitDuration = z
  .union([z.number(), z.string()], {
    error: 'is not a duration (expected seconds as a number, or a string like "0s", "90s", "30m", "1h")',
  })
  .transform((value, ctx) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0) return Duration.seconds(value);
    } else {
      const match = DURATION.exec(value.trim());
      const unit = match?.[2] as keyof typeof DURATION_UNITS | undefined;
      if (match?.[1] && unit) return DURATION_UNITS[unit](Number(match[1]));
    }
    ctx.addIssue({
      code: 'custom',
      input: value,
      message:
        'is not a duration (expected a whole number of seconds, 0 or more, or a string like "0s", "90s", "30m", "1h")',
    });
    return z.NEVER;
  });

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const trainingSchema = z.strictObject({
  /** ECR image URI of the training algorithm; the built-in XGBoost image of the stack's region when absent. */
  image: z
    .string()
    .regex(ECR_IMAGE, {
      error: 'is not an ECR image URI (expected "<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>")',
    })
    .optional(),
  hyperparameters: z
    .record(
      z.string().regex(HYPERPARAMETER_NAME, { error: 'is not a valid hyperparameter name' }),
      z.union([z.string(), z.number(), z.boolean()], {
        error: 'is not a hyperparameter value (expected a string, number or boolean)',
      }),
    )
    .optional(),
  instanceType: instanceType('ml.m5.xlarge').optional(),
  instanceCount: int(1, 100).optional(),
  maxRuntime: duration.optional(),
  managedSpot: z.boolean().optional(),
  /** How long a managed-spot job may wait for capacity, runtime included. */
  maxWait: duration.optional(),
  volumeSizeGb: int(1, 16384).optional(),
  /** Regexes SageMaker applies to the trainer's logs; needed only for images other than built-in XGBoost. */
  metricDefinitions: z
    .array(z.strictObject({ name: z.string().min(1), regex: z.string().min(1) }))
    .optional(),
});

export const evaluationSchema = z.strictObject({
  metric: z
    .string()
    .regex(/^[\w:@.-]{1,255}$/, { error: 'is not a metric name (expected e.g. "validation:auc")' })
    .optional(),
  /** Only for metrics the stack does not know (custom images); known metrics carry their direction. */
  higherIsBetter: z.boolean().optional(),
  threshold: z.number().finite().optional(),
  minImprovement: z.number().finite().min(0).optional(),
});

/**
 * ProductionVariantServerlessConfig MemorySizeInMB: "Valid values are in 1 GB increments: 1024 MB, 2048 MB,
 * 3072 MB, 4096 MB, 5120 MB, or 6144 MB"; MaxConcurrency: 1–200
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html).
 */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

/**
 * A model's endpoint as written: every key optional so `models.<name>` merges over `models.defaults`; which keys
 * apply depends on `type`, checked after merging (deployment.ts) so the message can say why.
 */
export const endpointSettingsSchema = z.strictObject({
  type: z.enum(['realtime', 'serverless']).optional(),
  instanceType: instanceType('ml.m5.large').optional(),
  initialInstanceCount: int(1, 100).optional(),
  /** Target tracking on SageMakerVariantInvocationsPerInstance; `false` turns off autoscaling set in defaults. */
  autoscaling: z
    .union([
      z.literal(false),
      z.strictObject({
        minCapacity: int(1, 100).optional(),
        maxCapacity: int(1, 100).optional(),
        targetInvocationsPerInstance: z.number().finite().positive().optional(),
      }),
    ])
    .optional(),
  memorySizeInMb: z.literal(SERVERLESS_MEMORY_SIZES_MB).optional(),
  maxConcurrency: int(1, 200).optional(),
});

/** BlueGreenUpdatePolicy's traffic routing as written; keys that do not apply to `type` are rejected after merging. */
export const trafficRoutingSchema = z.strictObject({
  type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']).optional(),
  /** TrafficRoutingConfig CanarySize: "less than or equal to 50% of the variant's total instance count". */
  canaryPercent: int(1, 50).optional(),
  /** WaitIntervalInSeconds after the canary (0–3600, checked in deployment.ts). */
  wait: waitDuration.optional(),
  /** TrafficRoutingConfig LinearStepSize: "10-50% of the variant's total instance count". */
  stepPercent: int(10, 50).optional(),
  /** WaitIntervalInSeconds between linear steps (0–3600). */
  interval: waitDuration.optional(),
});

export const deploymentSchema = z.strictObject({
  mode: z.enum(['auto', 'manual']).optional(),
  endpoint: endpointSettingsSchema.optional(),
  trafficRouting: trafficRoutingSchema.optional(),
  /** TerminationWaitInSeconds (0–3600, checked in deployment.ts). */
  bakeTime: waitDuration.optional(),
  /** MaximumExecutionTimeoutInSeconds (600–28800, checked in deployment.ts). */
  maxExecutionTimeout: duration.optional(),
  dataCapturePercent: int(0, 100).optional(),
  alarms: z
    .strictObject({
      latencyP99Ms: z.number().finite().positive().optional(),
      errorRatePercent: z.number().finite().positive().max(100).optional(),
    })
    .optional(),
  retainVersions: int(1, 100).optional(),
});

/** One model's settings as written by the user: every field optional, merged over `models.defaults`. */
export const modelSettingsSchema = z.strictObject({
  problemType: z.enum(PROBLEM_TYPES).optional(),
  targetColumn: z.string().min(1, { error: 'is empty (expected a column name)' }).optional(),
  training: trainingSchema.optional(),
  evaluation: evaluationSchema.optional(),
  approval: z.enum(['auto', 'manual']).optional(),
  deployment: deploymentSchema.optional(),
  /** Drift and quality checks, retraining (lib/config/monitoring.ts). */
  monitoring: monitoringSchema.optional(),
});

/** The local runtime only (`npm start`); the deployed stack ignores it. */
export const localSchema = z.strictObject({
  /**
   * Training images mapped to local commands, tried before the built-in XGBoost stand-in. `image` matches
   * the full URI, or the URI without its tag; a command element starting with `./` is a path from the project.
   */
  trainers: z
    .array(
      z.strictObject({
        image: z.string().min(1, { error: 'is empty (expected a training image URI)' }),
        command: z
          .array(z.string().min(1))
          .min(1, { error: 'is empty (expected e.g. ["python3", "./train.py"])' }),
        /**
         * How endpoints of this image serve locally: a command run under SageMaker's hosting contract (the
         * model in SM_MODEL_DIR, a port in SAGEMAKER_BIND_TO_PORT, GET /ping and POST /invocations) —
         * docs/local-serving.md. Without it only the built-in XGBoost image serves.
         */
        serve: z
          .strictObject({
            command: z
              .array(z.string().min(1))
              .min(1, { error: 'is empty (expected e.g. ["python3", "./serve.py"])' }),
          })
          .optional(),
      }),
    )
    .default([]),
});

const price = z.number().finite().nonnegative();

/**
 * `prices.<region>`: overrides of the built-in price table a run's cost is computed with
 * (lambdas/shared/cost/prices.ts); a region without built-in prices must give every field.
 */
export const priceOverrideSchema = z.strictObject({
  sources: z.array(z.url()).optional(),
  asOf: z.iso.date({ error: 'is not a date (expected YYYY-MM-DD)' }).optional(),
  trainingInstanceHour: z
    .record(z.string().regex(/^ml\./, { error: 'expected an instance type such as ml.m5.xlarge' }), price)
    .optional(),
  stateTransition: price.optional(),
  lambdaGbSecond: price.optional(),
  lambdaRequest: price.optional(),
});

export const configSchema = z.strictObject({
  stage: z.enum(['dev', 'prod']).default('dev'),
  alarmEmails: z.array(z.email({ error: 'is not an e-mail address' })).default([]),
  local: localSchema.prefault({}),
  /** Price overrides per region for the cost of a run (docs/configuration.md#prices). */
  prices: z
    .record(
      z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected a region such as us-east-1' }),
      priceOverrideSchema,
    )
    .default({}),
  /** Validated entry by entry in config.ts, so each model's errors carry its own path. */
  models: z.record(z.string(), z.unknown()).default({}),
});

/** One model's entry after parsing: durations are Duration objects, everything still optional. */
export type ModelSettingsInput = z.output<typeof modelSettingsSchema>;
export type DeploymentInput = z.output<typeof deploymentSchema>;
export type LocalConfig = z.output<typeof localSchema>;
export type RawConfig = z.input<typeof configSchema>;
