/**
 * Names of a model's SageMaker hosting resources and endpoint alarms, derived in one place so the deployment
 * workflow, IAM policies (scoped to {@link resourceNamePattern}) and the CLI agree.
 *
 * - Endpoint: `<prefix>-<model>`, stable across versions, so clients never change what they invoke.
 * - Model and endpoint config: `<prefix>-<model>-v<version>-a<attempt>`, one per version and deployment
 *   attempt (a retried version needs a fresh config: configs are immutable). Models and endpoint configs are
 *   separate SageMaker namespaces, so both use the same name, which ties them together in the console.
 * - Variant: {@link VARIANT_NAME}, the same in every config (blue/green requires it).
 *
 * SageMaker's rule for all four (CreateModel ModelName, CreateEndpointConfig EndpointConfigName,
 * CreateEndpoint EndpointName, ProductionVariant VariantName): at most 63 characters, pattern
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` —
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html#API_CreateEndpoint_RequestSyntax
 * Endpoint names are case-insensitive in CreateEndpoint (same page), so prefixes are lowercase only: two
 * stacks whose prefixes differ only in case would collide.
 */
import { createHash } from 'node:crypto';
import { MAX_VERSION, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../registry/schemas';

/** SageMaker's name limit for models, endpoint configs, endpoints and variants. */
export const SAGEMAKER_NAME_MAX_LENGTH = 63;

/** SageMaker's name pattern, anchored at both ends (the API documents it without `$`; length is checked apart). */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/**
 * The production variant's name in every endpoint config. Blue/green and rolling updates need the new
 * config's variant name to equal the old one's —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html
 * `AllTraffic` is the name AWS's own examples use.
 */
export const VARIANT_NAME = 'AllTraffic';

/** Longest stack prefix: leaves room for a 32-character model name in the endpoint name. */
export const NAME_PREFIX_MAX_LENGTH = 20;

/** What a name prefix must look like: lowercase SageMaker name characters. */
export const NAME_PREFIX_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;

/** CloudWatch alarm names: 1–255 characters — https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html */
export const ALARM_NAME_MAX_LENGTH = 255;

/** Characters of the sha256 hex digest that stand in for a shortened part of a name. */
const HASH_LENGTH = 8;

/**
 * The prefix for a stack's SageMaker names: the stack name lowercased, runs of other characters turned into
 * one hyphen, trimmed to {@link NAME_PREFIX_MAX_LENGTH}. Deterministic, so synth-time IAM patterns and
 * run-time names agree.
 */
export function namePrefix(stackName: string): string {
  const cleaned = stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, NAME_PREFIX_MAX_LENGTH)
    .replace(/^-+|-+$/g, '');
  if (cleaned === '')
    throw new Error(`stack name "${stackName}" has no letter or digit to name resources by`);
  return cleaned;
}

/** The names of one model's stable endpoint, as the workflow and the alarms use them. */
export interface EndpointNames {
  readonly endpointName: string;
  readonly variantName: string;
}

/** The names of one version's deployment attempt. */
export interface VersionedNames extends EndpointNames {
  readonly modelName: string;
  readonly endpointConfigName: string;
}

/** `<prefix>-<model>`: the model's endpoint, the same for every version. */
export function endpointName(prefix: string, model: string): string {
  checkPrefix(prefix);
  checkModel(model);
  return fitName(`${prefix}-${model}`, '');
}

/**
 * `<prefix>-<model>-v<version>-a<attempt>`: the SageMaker model and the endpoint config of one attempt to
 * deploy one version. Past 63 characters the `<prefix>-<model>` part is shortened and a hash of the whole
 * name keeps it unique; the version and attempt always stay readable.
 */
export function versionedName(prefix: string, model: string, version: number, attempt: number): string {
  checkPrefix(prefix);
  checkModel(model);
  checkPositiveInteger('version', version, MAX_VERSION);
  checkPositiveInteger('attempt', attempt, Number.MAX_SAFE_INTEGER);
  return fitName(`${prefix}-${model}`, `-v${version}-a${attempt}`);
}

/** Every SageMaker name of one deployment attempt. */
export function versionedNames(
  prefix: string,
  model: string,
  version: number,
  attempt: number,
): VersionedNames {
  const name = versionedName(prefix, model, version, attempt);
  return {
    endpointName: endpointName(prefix, model),
    variantName: VARIANT_NAME,
    modelName: name,
    endpointConfigName: name,
  };
}

/**
 * `<prefix>-*`: the IAM resource-name pattern that covers every model, endpoint config and endpoint this
 * prefix names (e.g. `arn:aws:sagemaker:<region>:<account>:endpoint/<pattern>`).
 */
export function resourceNamePattern(prefix: string): string {
  checkPrefix(prefix);
  return `${prefix}-*`;
}

/** The names of an endpoint's alarms (one per {@link AlarmKind}). */
export type AlarmNames = Readonly<Record<AlarmKind, string>>;

/** The alarms each model endpoint has; SageMaker rolls a deployment back when any is in ALARM. */
export type AlarmKind = 'invocation5xxErrors' | 'modelLatencyP99' | 'invocationErrorRate';

/** Alarm kinds in the order the alarms are created and listed in AutoRollbackConfiguration. */
export const ALARM_KINDS: readonly AlarmKind[] = [
  'invocation5xxErrors',
  'modelLatencyP99',
  'invocationErrorRate',
];

const ALARM_SUFFIXES: AlarmNames = {
  invocation5xxErrors: 'invocation-5xx-errors',
  modelLatencyP99: 'model-latency-p99',
  invocationErrorRate: 'invocation-error-rate',
};

/**
 * `<endpoint>-<kind>`: the endpoint's alarm names. They start with the endpoint's name, so
 * `cloudwatch:DescribeAlarms` (which SageMaker's rollback needs) can be scoped to `alarm:<prefix>-*`.
 */
export function alarmNames(endpoint: string): AlarmNames {
  if (!SAGEMAKER_NAME_PATTERN.test(endpoint) || endpoint.length > SAGEMAKER_NAME_MAX_LENGTH) {
    throw new Error(`"${endpoint}" is not a SageMaker endpoint name`);
  }
  return {
    invocation5xxErrors: `${endpoint}-${ALARM_SUFFIXES.invocation5xxErrors}`,
    modelLatencyP99: `${endpoint}-${ALARM_SUFFIXES.modelLatencyP99}`,
    invocationErrorRate: `${endpoint}-${ALARM_SUFFIXES.invocationErrorRate}`,
  };
}

/** `head + tail` when it fits in 63 characters, else head shortened with `-<hash>` of the whole name before tail. */
function fitName(head: string, tail: string): string {
  const whole = `${head}${tail}`;
  if (whole.length <= SAGEMAKER_NAME_MAX_LENGTH) return whole;
  const hash = createHash('sha256').update(whole).digest('hex').slice(0, HASH_LENGTH);
  const room = SAGEMAKER_NAME_MAX_LENGTH - tail.length - HASH_LENGTH - 1;
  // Trailing hyphens go so the hash joins with exactly one; the head always starts with a letter or digit.
  const shortened = head.slice(0, room).replace(/-+$/, '');
  return `${shortened}-${hash}${tail}`;
}

function checkPrefix(prefix: string): void {
  if (prefix.length === 0 || prefix.length > NAME_PREFIX_MAX_LENGTH || !NAME_PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `name prefix "${prefix}" must be 1-${NAME_PREFIX_MAX_LENGTH} lowercase letters, digits or hyphens, ` +
        'starting and ending with a letter or digit (see namePrefix)',
    );
  }
}

function checkModel(model: string): void {
  if (!MODEL_NAME_PATTERN.test(model)) {
    throw new Error(`"${model}" is not a valid model name (${MODEL_NAME_RULE})`);
  }
}

function checkPositiveInteger(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${what} must be an integer from 1 to ${max}, got ${value}`);
  }
}
