import { Duration } from 'aws-cdk-lib';
import type {
  RuntimeDeploymentSettings,
  RuntimeEndpointSettings,
  RuntimeTrafficRouting,
} from '../../lambdas/shared/model-settings';
import { type ConfigIssue, describeValue, formatPath } from './errors';
import type { DeploymentInput } from './schema';

/*
 * SageMaker's limits this module checks (API reference):
 * - TrafficRoutingConfig WaitIntervalInSeconds: 0–3600
 *   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html);
 * - BlueGreenUpdatePolicy TerminationWaitInSeconds: 0–3600; MaximumExecutionTimeoutInSeconds: 600–28800, and
 *   "should be larger than the total waiting time specified in TerminationWaitInSeconds and
 *   WaitIntervalInSeconds" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html);
 * - Application Auto Scaling for a variant: min capacity at least 1 and at most max capacity
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-policy.html).
 * Percentages and serverless memory/concurrency are bounded by the schema (schema.ts).
 */
export const SAGEMAKER_DEPLOYMENT_LIMITS = {
  waitIntervalSeconds: { min: 0, max: 3600 },
  terminationWaitSeconds: { min: 0, max: 3600 },
  maxExecutionTimeoutSeconds: { min: 600, max: 28_800 },
} as const;

/** Built-in defaults under `models.defaults.deployment`. */
export const DEPLOYMENT_DEFAULTS = {
  mode: 'auto',
  instanceType: 'ml.m5.large',
  initialInstanceCount: 1,
  autoscalingMinCapacity: 1,
  serverlessMemorySizeInMb: 2048,
  serverlessMaxConcurrency: 20,
  canaryPercent: 10,
  linearStepPercent: 20,
  waitSeconds: 300,
  bakeSeconds: 600,
  dataCapturePercent: 100,
  latencyP99Ms: 1000,
  errorRatePercent: 1,
  retainVersions: 3,
} as const;

/** Headroom a default MaximumExecutionTimeout leaves over the configured waits, for provisioning the new fleet. */
const PROVISIONING_HEADROOM_SECONDS = 1800;

/**
 * `models.<name>.deployment` over `models.defaults.deployment`, key by key. An `endpoint` or `trafficRouting`
 * of a different `type` replaces the defaults' block whole: its keys belong to the other type.
 */
export function mergeDeployment(
  base: DeploymentInput | undefined,
  over: DeploymentInput | undefined,
): DeploymentInput | undefined {
  if (!base || !over) return over ?? base;
  const endpoint = sameType(base.endpoint, over.endpoint, 'realtime')
    ? {
        ...base.endpoint,
        ...over.endpoint,
        ...mergeAutoscaling(base.endpoint?.autoscaling, over.endpoint?.autoscaling),
      }
    : over.endpoint;
  const trafficRouting = sameType(base.trafficRouting, over.trafficRouting, 'ALL_AT_ONCE')
    ? { ...base.trafficRouting, ...over.trafficRouting }
    : over.trafficRouting;
  return {
    ...base,
    ...over,
    ...(endpoint ? { endpoint } : {}),
    ...(trafficRouting ? { trafficRouting } : {}),
    ...(base.alarms || over.alarms ? { alarms: { ...base.alarms, ...over.alarms } } : {}),
  };
}

/** Whether `over` keeps the type of `base`; an unset type is the default one (`realtime`, `ALL_AT_ONCE`). */
function sameType(
  base: { type?: string | undefined } | undefined,
  over: { type?: string | undefined } | undefined,
  defaultType: string,
): boolean {
  return !base || !over || over.type === undefined || over.type === (base.type ?? defaultType);
}

type AutoscalingInput = NonNullable<DeploymentInput['endpoint']>['autoscaling'];

function mergeAutoscaling(
  base: AutoscalingInput,
  over: AutoscalingInput,
): { autoscaling?: AutoscalingInput } {
  // No setting of its own: the defaults' autoscaling is already in the endpoint (`...base.endpoint`).
  if (over === undefined) return {};
  if (over === false || base === undefined || base === false) return { autoscaling: over };
  return { autoscaling: { ...base, ...over } };
}

/**
 * Fills built-in defaults into one model's merged deployment settings and checks the rules that span keys.
 * `path` is the model's key path (`models.churn`); `own` is the model's entry before merging, so a message can
 * say when a value came from `models.defaults`.
 */
export function resolveDeployment(
  input: DeploymentInput | undefined,
  path: readonly string[],
  issues: ConfigIssue[],
  own: DeploymentInput | undefined = input,
): RuntimeDeploymentSettings | undefined {
  const at = (...keys: string[]) => formatPath([...path, 'deployment', ...keys]);
  const before = issues.length;
  const deployment = input ?? {};

  const endpoint = resolveEndpoint(deployment.endpoint ?? {}, at, issues);
  const trafficRouting = resolveTrafficRouting(deployment.trafficRouting ?? {}, at, issues);

  const bakeSeconds = deployment.bakeTime?.toSeconds() ?? DEPLOYMENT_DEFAULTS.bakeSeconds;
  checkRange(
    bakeSeconds,
    SAGEMAKER_DEPLOYMENT_LIMITS.terminationWaitSeconds,
    at('bakeTime'),
    issues,
    'TerminationWaitInSeconds',
  );

  const waits = bakeSeconds + totalShiftWaitSeconds(trafficRouting);
  const explicitTimeout = deployment.maxExecutionTimeout?.toSeconds();
  const { min, max } = SAGEMAKER_DEPLOYMENT_LIMITS.maxExecutionTimeoutSeconds;
  const maxExecutionTimeoutSeconds =
    explicitTimeout ?? Math.min(max, Math.max(3600, waits + PROVISIONING_HEADROOM_SECONDS));
  if (explicitTimeout !== undefined) {
    checkRange(
      explicitTimeout,
      { min, max },
      at('maxExecutionTimeout'),
      issues,
      'MaximumExecutionTimeoutInSeconds',
    );
  }
  if (maxExecutionTimeoutSeconds <= waits && !(explicitTimeout !== undefined && explicitTimeout < min)) {
    issues.push({
      path: at(explicitTimeout === undefined ? 'bakeTime' : 'maxExecutionTimeout'),
      message:
        explicitTimeout === undefined
          ? `${bakeSeconds} seconds plus the traffic shift's ${waits - bakeSeconds} seconds of waits make ${waits} seconds, more than a blue/green deployment may last (expected bakeTime and the waits to total less than ${max} seconds)`
          : `${explicitTimeout} seconds is not longer than the deployment's waits, ${waits} seconds (bakeTime plus the traffic shift's waits; SageMaker requires MaximumExecutionTimeoutInSeconds to exceed them)`,
    });
  }

  checkShiftFleet(endpoint, trafficRouting, at, issues, own);
  const dataCapturePercent = resolveDataCapture(deployment, endpoint, at, issues, own);

  if (issues.length > before || !endpoint || !trafficRouting) return undefined;
  return {
    mode: deployment.mode ?? DEPLOYMENT_DEFAULTS.mode,
    endpoint,
    trafficRouting,
    bakeSeconds,
    maxExecutionTimeoutSeconds,
    dataCapturePercent,
    alarms: {
      latencyP99Ms: deployment.alarms?.latencyP99Ms ?? DEPLOYMENT_DEFAULTS.latencyP99Ms,
      errorRatePercent: deployment.alarms?.errorRatePercent ?? DEPLOYMENT_DEFAULTS.errorRatePercent,
    },
    retainVersions: deployment.retainVersions ?? DEPLOYMENT_DEFAULTS.retainVersions,
  };
}

type At = (...keys: string[]) => string;

const REALTIME_ONLY = ['instanceType', 'initialInstanceCount', 'autoscaling'] as const;
const SERVERLESS_ONLY = ['memorySizeInMb', 'maxConcurrency'] as const;

function resolveEndpoint(
  endpoint: NonNullable<DeploymentInput['endpoint']>,
  at: At,
  issues: ConfigIssue[],
): RuntimeEndpointSettings | undefined {
  const type = endpoint.type ?? 'realtime';
  const typeText = endpoint.type ? `"${type}"` : `"${type}" (the default)`;
  const misplaced = type === 'realtime' ? SERVERLESS_ONLY : REALTIME_ONLY;
  const other = type === 'realtime' ? 'serverless' : 'realtime';
  let ok = true;
  for (const key of misplaced) {
    // `autoscaling: false` on a serverless endpoint says what is already true.
    if (endpoint[key] === undefined || endpoint[key] === false) continue;
    ok = false;
    issues.push({
      path: at('endpoint', key),
      message: `${describeValue(endpoint[key])} is set but endpoint.type is ${typeText}, and ${key} applies to ${other} endpoints only (expected no ${key}, or endpoint.type "${other}")`,
    });
  }
  if (type === 'serverless') {
    return ok
      ? {
          type,
          memorySizeInMb: endpoint.memorySizeInMb ?? DEPLOYMENT_DEFAULTS.serverlessMemorySizeInMb,
          maxConcurrency: endpoint.maxConcurrency ?? DEPLOYMENT_DEFAULTS.serverlessMaxConcurrency,
        }
      : undefined;
  }

  const initialInstanceCount = endpoint.initialInstanceCount ?? DEPLOYMENT_DEFAULTS.initialInstanceCount;
  const scaling = endpoint.autoscaling || undefined;
  let autoscaling:
    | NonNullable<Extract<RuntimeEndpointSettings, { type: 'realtime' }>['autoscaling']>
    | undefined;
  if (scaling) {
    const { maxCapacity, targetInvocationsPerInstance } = scaling;
    const minCapacity = scaling.minCapacity ?? DEPLOYMENT_DEFAULTS.autoscalingMinCapacity;
    for (const [key, value] of [
      ['maxCapacity', maxCapacity],
      ['targetInvocationsPerInstance', targetInvocationsPerInstance],
    ] as const) {
      if (value === undefined) {
        ok = false;
        issues.push({
          path: at('endpoint', 'autoscaling', key),
          message:
            key === 'maxCapacity'
              ? 'is required with autoscaling (expected the most instances to scale out to, 1–100)'
              : 'is required with autoscaling (expected the invocations per instance per minute that target tracking holds, e.g. 100)',
        });
      }
    }
    if (maxCapacity !== undefined && minCapacity > maxCapacity) {
      ok = false;
      issues.push({
        path: at('endpoint', 'autoscaling', 'minCapacity'),
        message: `${minCapacity} is more than maxCapacity ${maxCapacity} (Application Auto Scaling requires minCapacity <= maxCapacity)`,
      });
    } else if (
      maxCapacity !== undefined &&
      (initialInstanceCount < minCapacity || initialInstanceCount > maxCapacity)
    ) {
      ok = false;
      issues.push({
        path: at('endpoint', 'initialInstanceCount'),
        message: `${initialInstanceCount} is outside autoscaling's ${minCapacity}–${maxCapacity} (expected a count between minCapacity and maxCapacity, or Application Auto Scaling changes it at once)`,
      });
    }
    if (maxCapacity !== undefined && targetInvocationsPerInstance !== undefined) {
      autoscaling = { minCapacity, maxCapacity, targetInvocationsPerInstance };
    }
  }
  if (!ok) return undefined;
  return {
    type,
    instanceType: endpoint.instanceType ?? DEPLOYMENT_DEFAULTS.instanceType,
    initialInstanceCount,
    ...(autoscaling ? { autoscaling } : {}),
  };
}

const ROUTING_KEYS = {
  ALL_AT_ONCE: [],
  CANARY: ['canaryPercent', 'wait'],
  LINEAR: ['stepPercent', 'interval'],
} as const;

function resolveTrafficRouting(
  routing: NonNullable<DeploymentInput['trafficRouting']>,
  at: At,
  issues: ConfigIssue[],
): RuntimeTrafficRouting | undefined {
  const type = routing.type ?? 'ALL_AT_ONCE';
  const allowed: readonly string[] = ROUTING_KEYS[type];
  let ok = true;
  for (const key of ['canaryPercent', 'wait', 'stepPercent', 'interval'] as const) {
    if (routing[key] === undefined || allowed.includes(key)) continue;
    ok = false;
    const owner = ROUTING_KEYS.CANARY.some((k) => k === key) ? 'CANARY' : 'LINEAR';
    issues.push({
      path: at('trafficRouting', key),
      message: `${describeSetting(routing[key])} is set but trafficRouting.type is "${type}"${routing.type ? '' : ' (the default)'}, and ${key} applies to ${owner} only (expected no ${key}, or trafficRouting.type "${owner}")`,
    });
  }
  const waitKey = type === 'LINEAR' ? 'interval' : 'wait';
  const waitSeconds =
    (type === 'LINEAR' ? routing.interval : routing.wait)?.toSeconds() ?? DEPLOYMENT_DEFAULTS.waitSeconds;
  if (type !== 'ALL_AT_ONCE') {
    ok =
      checkRange(
        waitSeconds,
        SAGEMAKER_DEPLOYMENT_LIMITS.waitIntervalSeconds,
        at('trafficRouting', waitKey),
        issues,
        'WaitIntervalInSeconds',
      ) && ok;
  }
  if (!ok) return undefined;
  switch (type) {
    case 'ALL_AT_ONCE':
      return { type };
    case 'CANARY':
      return {
        type,
        canaryPercent: routing.canaryPercent ?? DEPLOYMENT_DEFAULTS.canaryPercent,
        waitIntervalSeconds: waitSeconds,
      };
    case 'LINEAR':
      return {
        type,
        stepPercent: routing.stepPercent ?? DEPLOYMENT_DEFAULTS.linearStepPercent,
        intervalSeconds: waitSeconds,
      };
  }
}

/** The longest the traffic shift waits between its steps: one wait for a canary, one per step after the first. */
export function totalShiftWaitSeconds(routing: RuntimeTrafficRouting | undefined): number {
  switch (routing?.type) {
    case 'CANARY':
      return routing.waitIntervalSeconds;
    case 'LINEAR':
      return (Math.ceil(100 / routing.stepPercent) - 1) * routing.intervalSeconds;
    default:
      return 0;
  }
}

/**
 * CanarySize and LinearStepSize are sized by "the variant's total instance count" (TrafficRoutingConfig): a
 * serverless variant has no instances, and a one-instance fleet has no canary or step of at most 50% to turn
 * on first. Say so at synth instead of at deployment.
 */
function checkShiftFleet(
  endpoint: RuntimeEndpointSettings | undefined,
  routing: RuntimeTrafficRouting | undefined,
  at: At,
  issues: ConfigIssue[],
  own: DeploymentInput | undefined,
): void {
  if (!endpoint || !routing || routing.type === 'ALL_AT_ONCE') return;
  if (endpoint.type === 'serverless') {
    // The same bound as the request builder's (lambdas/shared/endpoints/requests.ts effectiveTrafficRouting),
    // here at synth so a configured canary is never silently shifted all at once.
    issues.push({
      path: at('trafficRouting', 'type'),
      message: `"${routing.type}"${own?.trafficRouting?.type === undefined ? ' (inherited from models.defaults.deployment)' : ''} is set but the endpoint is serverless: SageMaker sizes a ${routing.type === 'CANARY' ? 'canary' : 'linear step'} by the variant's instances, and a serverless variant has none (expected "ALL_AT_ONCE" for a serverless endpoint)`,
    });
    return;
  }
  const smallest = Math.min(
    endpoint.initialInstanceCount,
    endpoint.autoscaling?.minCapacity ?? Number.POSITIVE_INFINITY,
  );
  if (smallest >= 2) return;
  const which =
    endpoint.initialInstanceCount < 2 ? 'endpoint.initialInstanceCount' : 'endpoint.autoscaling.minCapacity';
  issues.push({
    path: at('trafficRouting', 'type'),
    message: `"${routing.type}" needs a fleet of at least 2 instances, and ${which} is ${smallest} (SageMaker shifts at most 50% of the variant's instances in a ${routing.type === 'CANARY' ? 'canary' : 'linear step'}, and one instance cannot be split: expected "ALL_AT_ONCE", or 2 or more instances)`,
  });
}

function resolveDataCapture(
  deployment: DeploymentInput,
  endpoint: RuntimeEndpointSettings | undefined,
  at: At,
  issues: ConfigIssue[],
  own: DeploymentInput | undefined,
): number {
  const set = deployment.dataCapturePercent;
  if (deployment.endpoint?.type !== 'serverless') return set ?? DEPLOYMENT_DEFAULTS.dataCapturePercent;
  if (set !== undefined && set > 0) {
    const fromDefaults = own?.dataCapturePercent === undefined;
    issues.push({
      path: at('dataCapturePercent'),
      message: `${set}${fromDefaults ? ' (inherited from models.defaults.deployment)' : ''} is set but the endpoint is serverless, and SageMaker has no data capture for serverless endpoints (expected 0 or nothing; send its requests through the inference API, which captures them for the drift checks, or use a "realtime" endpoint)`,
    });
  }
  // Nothing to capture: serverless variants take no DataCaptureConfig.
  return endpoint?.type === 'serverless' ? 0 : (set ?? DEPLOYMENT_DEFAULTS.dataCapturePercent);
}

function checkRange(
  seconds: number,
  { min, max }: { readonly min: number; readonly max: number },
  path: string,
  issues: ConfigIssue[],
  apiField: string,
): boolean {
  if (seconds >= min && seconds <= max) return true;
  issues.push({
    path,
    message: `${seconds} seconds is ${seconds < min ? 'shorter' : 'longer'} than SageMaker allows for ${apiField} (expected ${min} to ${max} seconds)`,
  });
  return false;
}

/** Old key (stack-wide `endpoint` block) → where it lives now, for the migration message. */
const LEGACY_ENDPOINT_KEYS: Readonly<Record<string, string>> = {
  instanceType: 'endpoint.instanceType',
  instanceCount: 'endpoint.initialInstanceCount',
  dataCapturePercent: 'dataCapturePercent',
  'deployment.canaryPercent': 'trafficRouting: { "type": "CANARY", "canaryPercent": … }',
  'deployment.bakeTime': 'bakeTime',
  'alarms.latencyP99Ms': 'alarms.latencyP99Ms',
  'alarms.errorRatePercent': 'alarms.errorRatePercent',
};

/**
 * The stack-wide `endpoint` block is gone: endpoints are per model. Rather than an unknown-key error, say where
 * each key the user set lives now, with the block rewritten for `models.defaults.deployment`.
 */
export function legacyEndpointIssue(legacy: unknown): ConfigIssue {
  const moved: string[] = [];
  const rewritten: Record<string, unknown> = {};
  if (isRecord(legacy)) {
    const deployment = isRecord(legacy.deployment) ? legacy.deployment : {};
    const alarms = isRecord(legacy.alarms) ? legacy.alarms : {};
    const values: Record<string, unknown> = {
      instanceType: legacy.instanceType,
      instanceCount: legacy.instanceCount,
      dataCapturePercent: legacy.dataCapturePercent,
      'deployment.canaryPercent': deployment.canaryPercent,
      'deployment.bakeTime': deployment.bakeTime,
      'alarms.latencyP99Ms': alarms.latencyP99Ms,
      'alarms.errorRatePercent': alarms.errorRatePercent,
    };
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined) moved.push(`${key} → ${LEGACY_ENDPOINT_KEYS[key]}`);
    }
    const endpoint = omitUndefinedValues({
      instanceType: legacy.instanceType,
      initialInstanceCount: legacy.instanceCount,
    });
    if (Object.keys(endpoint).length > 0) rewritten.endpoint = { type: 'realtime', ...endpoint };
    if (deployment.canaryPercent !== undefined) {
      rewritten.trafficRouting = { type: 'CANARY', canaryPercent: deployment.canaryPercent };
    }
    Object.assign(
      rewritten,
      omitUndefinedValues({ bakeTime: deployment.bakeTime, dataCapturePercent: legacy.dataCapturePercent }),
    );
    if (Object.keys(alarms).length > 0) rewritten.alarms = alarms;
  }
  const mapping = moved.length > 0 ? ` (${moved.join('; ')})` : '';
  const next =
    Object.keys(rewritten).length > 0
      ? `Move it: "models": { "defaults": { "deployment": ${JSON.stringify(rewritten)} } }`
      : 'Remove it (nothing in it needs moving)';
  return {
    path: 'endpoint',
    // An object's values all reappear in the rewrite; anything else is named as it is.
    message: `${isRecord(legacy) ? 'is' : `${describeValue(legacy)} is`} no longer a setting: endpoints are configured per model, under models.<name>.deployment merged over models.defaults.deployment${mapping}. ${next}`,
  };
}

/** A parsed value as the user would recognise it: durations in seconds. */
function describeSetting(value: unknown): string {
  return value instanceof Duration ? `${value.toSeconds()} seconds` : describeValue(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function omitUndefinedValues(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
