/**
 * The exact SageMaker requests of one deployment attempt — CreateModel, CreateEndpointConfig, CreateEndpoint
 * and UpdateEndpoint — built from the version, the stack's names and the model's resolved
 * {@link RuntimeDeploymentSettings}. Each is checked with `satisfies` against the SDK's input type, so a wrong
 * shape fails the build; the deployment workflow passes them to its SageMaker tasks as they are.
 *
 * Endpoint types:
 * - realtime: instances, data capture (CSV and JSON) under `capture/<model>/` in the artifacts bucket, KMS on
 *   the instances' storage volume and on the captured data, network isolation; blue/green with the
 *   configured traffic routing.
 * - serverless: ServerlessConfig only. SageMaker Serverless Inference supports neither network isolation nor
 *   data capture (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html, "Feature
 *   exclusions"), and the config's KmsKeyId encrypts "the storage volume attached to the ML compute instance
 *   that hosts the endpoint" (API_CreateEndpointConfig), which a serverless variant does not have, so none of
 *   the three is sent. Updates are blue/green ALL_AT_ONCE with baking and alarm rollback: only rolling updates
 *   exclude serverless endpoints (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html),
 *   but CanarySize and LinearStepSize are sized against "the variant's total instance count"
 *   (API_TrafficRoutingConfig), which a serverless variant has none of; see {@link effectiveTrafficRouting}.
 */
import {
  type CreateEndpointConfigInput,
  type CreateEndpointInput,
  type CreateModelInput,
  type DataCaptureConfig,
  type DeploymentConfig,
  type ProductionVariant,
  ProductionVariantInstanceType,
  type TrafficRoutingConfig,
  type UpdateEndpointInput,
} from '@aws-sdk/client-sagemaker';
import type {
  RuntimeDeploymentSettings,
  RuntimeEndpointSettings,
  RuntimeTrafficRouting,
} from '../model-settings';
import { capturePrefix, s3Uri } from '../s3-layout';
import { ALARM_KINDS, type AlarmNames, type VersionedNames } from './naming';

/** Content types whose captured payloads SageMaker stores as CSV or JSON text rather than base64. */
export const CAPTURE_CONTENT_TYPES = {
  csv: ['text/csv'],
  json: ['application/json'],
} as const;

/** Everything one deployment attempt's requests are built from. */
export interface DeploymentRequestParameters {
  readonly model: string;
  readonly version: number;
  readonly attempt: number;
  /** `s3://…/model.tar.gz`: the version's artifact from its lineage. */
  readonly artifactUri: string;
  /** The inference image (for built-in XGBoost, the training image). */
  readonly image: string;
  /** The model execution role: reads this model's artifacts, may use the key. */
  readonly executionRoleArn: string;
  /** The stack's KMS key, for the endpoint's storage volumes and the captured data. */
  readonly kmsKeyArn: string;
  /** Where data capture lands, under `capture/<model>/`. */
  readonly artifactsBucket: string;
  readonly names: VersionedNames;
  readonly alarmNames: AlarmNames;
  readonly settings: RuntimeDeploymentSettings;
}

/** The settings a request cannot be built from, in words; thrown by every builder. */
export class DeploymentSettingsError extends Error {
  override readonly name = 'DeploymentSettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`Deployment settings SageMaker would reject: ${problems.join('; ')}`);
  }
}

/**
 * CreateModel: one container with the version's artifact. Network isolation for real-time endpoints (the
 * container needs no network: SageMaker fetches the artifact); serverless endpoints do not support it.
 */
export function createModelInput(p: DeploymentRequestParameters): CreateModelInput {
  const problems = artifactProblems(p.artifactUri);
  if (problems.length > 0) throw new DeploymentSettingsError(problems);
  return {
    ModelName: p.names.modelName,
    PrimaryContainer: {
      Image: p.image,
      Mode: 'SingleModel',
      // An s3:// URI of one .tar.gz — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html
      ModelDataUrl: p.artifactUri,
    },
    ExecutionRoleArn: p.executionRoleArn,
    EnableNetworkIsolation: p.settings.endpoint.type === 'realtime',
  } satisfies CreateModelInput;
}

/**
 * CreateEndpointConfig: one production variant named {@link VersionedNames.variantName} (constant across
 * versions, as blue/green requires), hosting this attempt's model.
 */
export function createEndpointConfigInput(p: DeploymentRequestParameters): CreateEndpointConfigInput {
  throwOnProblems(p.settings);
  const { endpoint } = p.settings;
  if (endpoint.type === 'serverless') {
    return {
      EndpointConfigName: p.names.endpointConfigName,
      ProductionVariants: [
        {
          VariantName: p.names.variantName,
          ModelName: p.names.modelName,
          // MemorySizeInMB 1024–6144 in 1024 steps, MaxConcurrency 1–200 —
          // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html
          ServerlessConfig: {
            MemorySizeInMB: endpoint.memorySizeInMb,
            MaxConcurrency: endpoint.maxConcurrency,
          },
        } satisfies ProductionVariant,
      ],
    } satisfies CreateEndpointConfigInput;
  }
  return {
    EndpointConfigName: p.names.endpointConfigName,
    ProductionVariants: [
      {
        VariantName: p.names.variantName,
        ModelName: p.names.modelName,
        InstanceType: instanceType(endpoint.instanceType),
        InitialInstanceCount: endpoint.initialInstanceCount,
        InitialVariantWeight: 1,
      } satisfies ProductionVariant,
    ],
    DataCaptureConfig: dataCaptureConfig(p, p.settings.dataCapturePercent),
    // Encrypts the instances' storage volume — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
    KmsKeyId: p.kmsKeyArn,
  } satisfies CreateEndpointConfigInput;
}

/**
 * The endpoint's DataCaptureConfig: requests and responses, CSV and JSON kept as text, under
 * `s3://<artifacts>/capture/<model>` (SageMaker appends `/<endpoint>/<variant>/yyyy/mm/dd/hh/`, so the URI
 * carries no trailing slash), encrypted with the stack's key —
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html
 */
export function dataCaptureConfig(
  p: Pick<DeploymentRequestParameters, 'model' | 'artifactsBucket' | 'kmsKeyArn'>,
  samplingPercent: number,
): DataCaptureConfig {
  return {
    EnableCapture: samplingPercent > 0,
    // 0–100 — API_DataCaptureConfig
    InitialSamplingPercentage: samplingPercent,
    DestinationS3Uri: s3Uri(p.artifactsBucket, capturePrefix(p.model)).replace(/\/+$/, ''),
    KmsKeyId: p.kmsKeyArn,
    CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    // Without these SageMaker base64-encodes every payload — API_CaptureContentTypeHeader
    CaptureContentTypeHeader: {
      CsvContentTypes: [...CAPTURE_CONTENT_TYPES.csv],
      JsonContentTypes: [...CAPTURE_CONTENT_TYPES.json],
    },
  } satisfies DataCaptureConfig;
}

/**
 * CreateEndpoint, for a model that has no endpoint yet. No DeploymentConfig: on CreateEndpoint it is only kept
 * for a later UpdateEndpoint with RetainDeploymentConfig and does not itself run a blue/green update
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-all-at-once.html), and each
 * UpdateEndpoint here sends its own.
 */
export function createEndpointInput(names: VersionedNames): CreateEndpointInput {
  return {
    EndpointName: names.endpointName,
    EndpointConfigName: names.endpointConfigName,
  } satisfies CreateEndpointInput;
}

/** UpdateEndpoint to this attempt's config, blue/green, rolled back by SageMaker when an endpoint alarm fires. */
export function updateEndpointInput(p: DeploymentRequestParameters): UpdateEndpointInput {
  return {
    EndpointName: p.names.endpointName,
    EndpointConfigName: p.names.endpointConfigName,
    DeploymentConfig: deploymentConfig(p.settings, p.alarmNames),
  } satisfies UpdateEndpointInput;
}

/**
 * BlueGreenUpdatePolicy with the effective traffic routing, the bake time as TerminationWaitInSeconds and
 * MaximumExecutionTimeoutInSeconds; AutoRollbackConfiguration naming every endpoint alarm —
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html
 */
export function deploymentConfig(settings: RuntimeDeploymentSettings, alarms: AlarmNames): DeploymentConfig {
  throwOnProblems(settings);
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: trafficRoutingConfig(effectiveTrafficRouting(settings).routing),
      // 0–3600; 600–28800 — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html
      TerminationWaitInSeconds: settings.bakeSeconds,
      MaximumExecutionTimeoutInSeconds: settings.maxExecutionTimeoutSeconds,
    },
    AutoRollbackConfiguration: {
      Alarms: ALARM_KINDS.map((kind) => ({ AlarmName: alarms[kind] })),
    },
  } satisfies DeploymentConfig;
}

/** The traffic routing a deployment uses, and why it differs from the configured one when it does. */
export interface EffectiveTrafficRouting {
  readonly routing: RuntimeTrafficRouting;
  /** Set when the configured routing was replaced; the workflow records it with the deployment. */
  readonly adjustedBecause?: string;
}

/**
 * The configured routing, except ALL_AT_ONCE for serverless endpoints: CanarySize and LinearStepSize are
 * bounded by "the variant's total instance count" (API_TrafficRoutingConfig) and a serverless variant has no
 * instances, so a canary or linear shift has nothing documented to size against.
 */
export function effectiveTrafficRouting(settings: RuntimeDeploymentSettings): EffectiveTrafficRouting {
  const configured = settings.trafficRouting;
  if (settings.endpoint.type === 'serverless' && configured.type !== 'ALL_AT_ONCE') {
    return {
      routing: { type: 'ALL_AT_ONCE' },
      adjustedBecause:
        `${configured.type} traffic shifting is sized by the variant's instance count, which a serverless ` +
        'endpoint does not have: shifted ALL_AT_ONCE, with the bake time and alarm rollback still applied',
    };
  }
  return { routing: configured };
}

/**
 * TrafficRoutingConfig: percentages as CapacitySize CAPACITY_PERCENT. WaitIntervalInSeconds is required by the
 * API for every type (0–3600, API_TrafficRoutingConfig); ALL_AT_ONCE has no step to wait between, so 0.
 */
export function trafficRoutingConfig(routing: RuntimeTrafficRouting): TrafficRoutingConfig {
  switch (routing.type) {
    case 'ALL_AT_ONCE':
      return { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 } satisfies TrafficRoutingConfig;
    case 'CANARY':
      return {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: routing.canaryPercent },
        WaitIntervalInSeconds: routing.waitIntervalSeconds,
      } satisfies TrafficRoutingConfig;
    case 'LINEAR':
      return {
        Type: 'LINEAR',
        LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: routing.stepPercent },
        WaitIntervalInSeconds: routing.intervalSeconds,
      } satisfies TrafficRoutingConfig;
  }
}

/**
 * What SageMaker would reject in these settings, in words (empty when none). lib/config checks the same
 * limits at synth time with config paths in its messages; this guards the requests themselves.
 */
export function deploymentSettingsProblems(settings: RuntimeDeploymentSettings): string[] {
  const problems: string[] = [];
  const check = (what: string, value: number, min: number, max: number, source: string) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${what} ${value} is not an integer from ${min} to ${max} (${source})`);
    }
  };
  problems.push(...endpointProblems(settings.endpoint));
  const routing = settings.trafficRouting;
  if (routing.type === 'CANARY') {
    // CanarySize at most 50% of the fleet; CapacitySize Value at least 1 — API_TrafficRoutingConfig, API_CapacitySize
    check('canaryPercent', routing.canaryPercent, 1, 50, 'CanarySize');
    check('waitIntervalSeconds', routing.waitIntervalSeconds, 0, 3600, 'WaitIntervalInSeconds');
  } else if (routing.type === 'LINEAR') {
    // LinearStepSize 10–50% of the fleet — API_TrafficRoutingConfig
    check('stepPercent', routing.stepPercent, 10, 50, 'LinearStepSize');
    check('intervalSeconds', routing.intervalSeconds, 0, 3600, 'WaitIntervalInSeconds');
  }
  check('bakeSeconds', settings.bakeSeconds, 0, 3600, 'TerminationWaitInSeconds');
  check(
    'maxExecutionTimeoutSeconds',
    settings.maxExecutionTimeoutSeconds,
    600,
    28_800,
    'MaximumExecutionTimeoutInSeconds',
  );
  const waits = settings.bakeSeconds + shiftWaitSeconds(effectiveTrafficRouting(settings).routing);
  if (settings.maxExecutionTimeoutSeconds <= waits) {
    // "should be larger than the total waiting time" — API_BlueGreenUpdatePolicy
    problems.push(
      `maxExecutionTimeoutSeconds ${settings.maxExecutionTimeoutSeconds} is not longer than the deployment's waits, ${waits} seconds`,
    );
  }
  check('dataCapturePercent', settings.dataCapturePercent, 0, 100, 'InitialSamplingPercentage');
  if (!(settings.alarms.latencyP99Ms > 0))
    problems.push(`alarms.latencyP99Ms ${settings.alarms.latencyP99Ms} is not positive`);
  const rate = settings.alarms.errorRatePercent;
  if (!(rate > 0 && rate <= 100)) problems.push(`alarms.errorRatePercent ${rate} is not in (0, 100]`);
  return problems;
}

/** The waits between traffic steps: one for a canary, one per step after the first for linear. */
function shiftWaitSeconds(routing: RuntimeTrafficRouting): number {
  switch (routing.type) {
    case 'CANARY':
      return routing.waitIntervalSeconds;
    case 'LINEAR':
      return (Math.ceil(100 / routing.stepPercent) - 1) * routing.intervalSeconds;
    default:
      return 0;
  }
}

function endpointProblems(endpoint: RuntimeEndpointSettings): string[] {
  if (endpoint.type === 'serverless') {
    const problems: string[] = [];
    const memory = endpoint.memorySizeInMb;
    if (!(Number.isInteger(memory) && memory >= 1024 && memory <= 6144 && memory % 1024 === 0)) {
      problems.push(
        `memorySizeInMb ${memory} is not one of 1024, 2048, … 6144 (ServerlessConfig MemorySizeInMB)`,
      );
    }
    const concurrency = endpoint.maxConcurrency;
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 200)) {
      problems.push(
        `maxConcurrency ${concurrency} is not an integer from 1 to 200 (ServerlessConfig MaxConcurrency)`,
      );
    }
    return problems;
  }
  const problems: string[] = [];
  if (!isInstanceType(endpoint.instanceType)) {
    problems.push(`instanceType "${endpoint.instanceType}" is not a SageMaker hosting instance type`);
  }
  if (!(Number.isInteger(endpoint.initialInstanceCount) && endpoint.initialInstanceCount >= 1)) {
    problems.push(`initialInstanceCount ${endpoint.initialInstanceCount} is not a positive integer`);
  }
  return problems;
}

function artifactProblems(uri: string): string[] {
  // s3:// because SageMaker can reject https:// URLs here; .tar.gz as ContainerDefinition requires.
  return /^s3:\/\/[^/]+\/.+\.tar\.gz$/.test(uri)
    ? []
    : [`artifactUri "${uri}" is not an s3://<bucket>/<key>.tar.gz URI`];
}

function throwOnProblems(settings: RuntimeDeploymentSettings): void {
  const problems = deploymentSettingsProblems(settings);
  if (problems.length > 0) throw new DeploymentSettingsError(problems);
}

const INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(ProductionVariantInstanceType));

function isInstanceType(value: string): value is ProductionVariantInstanceType {
  return INSTANCE_TYPES.has(value);
}

function instanceType(value: string): ProductionVariantInstanceType {
  // deploymentSettingsProblems has refused anything else already.
  if (!isInstanceType(value)) throw new DeploymentSettingsError([`instanceType "${value}" is unknown`]);
  return value;
}
