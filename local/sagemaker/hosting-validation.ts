/**
 * Field validation of the hosting API (CreateModel, CreateEndpointConfig, CreateEndpoint, UpdateEndpoint, the
 * Describe/Delete calls and ListEndpoints): the constraints of SageMaker's API model — botocore's
 * data/sagemaker/2017-07-24/service-2.json (boto/botocore), which the API reference pages render as
 * "Length Constraints", "Pattern", "Valid Range", "Required" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
 * and its siblings) — reported in Coral's wording (see constraints.ts). Enum value sets come from the SDK's
 * own enums (@aws-sdk/client-sagemaker), so instance types stay as current as the client.
 *
 * Rules the model cannot express (a container to run, instance or serverless sizing, unique variant names,
 * one update policy) are checked after the constraints, each with a message saying what to change; AWS does
 * not publish its wording for those.
 */
import {
  type CapacitySize,
  CapacitySizeType,
  CaptureMode,
  type ContainerDefinition,
  ContainerMode,
  type CreateEndpointConfigInput,
  type CreateEndpointInput,
  type CreateModelInput,
  type DataCaptureConfig,
  type DeploymentConfig,
  EndpointSortKey,
  EndpointStatus,
  InferenceExecutionMode,
  type ListEndpointsInput,
  OrderKey,
  type ProductionVariant,
  ProductionVariantAcceleratorType,
  ProductionVariantInstanceType,
  type Tag,
  TrafficRoutingConfigType,
  type UpdateEndpointInput,
  VariantPropertyType,
  type VpcConfig,
} from '@aws-sdk/client-sagemaker';
import { SageMakerApiError } from './api-error';
import {
  type ConstraintResult,
  enumMember,
  isAbsent,
  listLength,
  notNull,
  numberMember,
  stringMember,
  throwConstraintErrors,
} from './constraints';

// Patterns and lengths as the model declares them (service-2.json shapes ModelName, EndpointName, ...).
export const MODEL_NAME = { max: 63, pattern: '^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?' } as const;
/** EndpointName, EndpointConfigName and VariantName share this shape. */
export const RESOURCE_NAME = { max: 63, pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}' } as const;
const ROLE_ARN = {
  min: 20,
  max: 2048,
  pattern: '^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$',
};
const IMAGE = { max: 255, pattern: '[\\S]+' };
const MODEL_DATA_URL = { max: 1024, pattern: '^(https|s3)://([^/]+)/?(.*)$' };
const DESTINATION_S3_URI = { max: 512, pattern: '^(https|s3)://([^/])/?(.*)$' };
const KMS_KEY_ID = { max: 2048, pattern: '.*' };
const ENV_KEY = { max: 1024, pattern: '[a-zA-Z_][a-zA-Z0-9_]*' };
const ENV_VALUE = { max: 1024, pattern: '[\\S\\s]*' };
const TAG_KEY = { min: 1, max: 128, pattern: '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$' };
const TAG_VALUE = { min: 0, max: 256, pattern: '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$' };
const VPC_ID = { max: 32, pattern: '[-0-9a-zA-Z]+' };
const CONTENT_TYPE = {
  min: 1,
  max: 256,
  pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9])*\\/[a-zA-Z0-9](-*[a-zA-Z0-9.])*',
};
const ALARM_NAME = { min: 1, max: 255, pattern: '^(?!\\s*$).+' };
const NAME_CONTAINS = { max: 63, pattern: '[a-zA-Z0-9-]+' };
const PAGINATION_TOKEN = { max: 8192, pattern: '.*' };

const values = (enumeration: Record<string, string>): string[] => Object.values(enumeration);

export type ModelRequest = CreateModelInput & { readonly ModelName: string };
export type EndpointConfigRequest = CreateEndpointConfigInput & {
  readonly EndpointConfigName: string;
  readonly ProductionVariants: (ProductionVariant & {
    readonly VariantName: string;
    readonly ModelName: string;
  })[];
};
export type EndpointRequest = CreateEndpointInput & {
  readonly EndpointName: string;
  readonly EndpointConfigName: string;
};
export type UpdateEndpointRequest = UpdateEndpointInput & {
  readonly EndpointName: string;
  readonly EndpointConfigName: string;
};

/** The request body as the operation's input type; only its members' constraints are known yet. */
function object<T = Record<string, unknown>>(body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SageMakerApiError('SerializationException', 'The request body must be a JSON object');
  }
  return body as T;
}

function list<T>(value: T[] | undefined | null): T[] {
  return Array.isArray(value) ? value : [];
}

/** DescribeModel / DeleteModel: `ModelName`. */
export function validateModelName(body: unknown): string {
  const name = object(body).ModelName;
  throwConstraintErrors(stringMember('modelName', name, { required: true, ...MODEL_NAME }));
  return String(name);
}

/** Describe/DeleteEndpointConfig: `EndpointConfigName`; Describe/DeleteEndpoint: `EndpointName`. */
export function validateResourceName(body: unknown, member: 'EndpointConfigName' | 'EndpointName'): string {
  const name = object(body)[member];
  const path = member === 'EndpointName' ? 'endpointName' : 'endpointConfigName';
  throwConstraintErrors(stringMember(path, name, { required: true, ...RESOURCE_NAME }));
  return String(name);
}

/** CreateModel — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html */
export function validateCreateModel(body: unknown): ModelRequest {
  const request = object<CreateModelInput>(body);
  const containers = list(request.Containers);
  throwConstraintErrors([
    ...stringMember('modelName', request.ModelName, { required: true, ...MODEL_NAME }),
    ...(request.PrimaryContainer ? containerErrors('primaryContainer', request.PrimaryContainer) : []),
    isAbsent(request.Containers) ? undefined : listLength('containers', containers, 0, 15),
    ...containers.flatMap((container, index) => containerErrors(`containers.${index + 1}.member`, container)),
    ...(request.InferenceExecutionConfig
      ? enumMember(
          'inferenceExecutionConfig.mode',
          request.InferenceExecutionConfig.Mode,
          values(InferenceExecutionMode),
          true,
        )
      : []),
    ...stringMember('executionRoleArn', request.ExecutionRoleArn, ROLE_ARN),
    ...tagErrors(request.Tags),
    ...vpcErrors(request.VpcConfig),
  ]);
  if (!request.PrimaryContainer && containers.length === 0) {
    throw invalid(
      'A model needs a container to run: set PrimaryContainer (or Containers for an inference pipeline).',
    );
  }
  if (request.PrimaryContainer && containers.length > 0) {
    throw invalid('Set either PrimaryContainer or Containers, not both.');
  }
  for (const [index, container] of [request.PrimaryContainer, ...containers].entries()) {
    if (container && isAbsent(container.Image) && isAbsent(container.ModelPackageName)) {
      const at = request.PrimaryContainer ? 'PrimaryContainer' : `Containers[${index}]`;
      throw invalid(`${at} names no Image: the inference image (or a ModelPackageName) is required.`);
    }
  }
  return request as ModelRequest;
}

function containerErrors(path: string, container: ContainerDefinition): ConstraintResult[] {
  const environment = Object.entries(container.Environment ?? {});
  return [
    ...stringMember(`${path}.containerHostname`, container.ContainerHostname, RESOURCE_NAME),
    ...stringMember(`${path}.image`, container.Image, IMAGE),
    ...enumMember(`${path}.mode`, container.Mode, values(ContainerMode)),
    ...stringMember(`${path}.modelDataUrl`, container.ModelDataUrl, MODEL_DATA_URL),
    environment.length > 16
      ? `Value a map of ${environment.length} at '${path}.environment' failed to satisfy constraint: Member must have length less than or equal to 16`
      : undefined,
    ...environment.flatMap(([key, value]) => [
      ...stringMember(`${path}.environment.${key}.key`, key, ENV_KEY),
      ...stringMember(`${path}.environment.${key}.value`, value, { required: true, ...ENV_VALUE }),
    ]),
  ];
}

function tagErrors(tags: Tag[] | undefined): ConstraintResult[] {
  if (isAbsent(tags)) return [];
  return [
    listLength('tags', tags, 0, 50),
    ...tags.flatMap((tag, index) => [
      ...stringMember(`tags.${index + 1}.member.key`, tag.Key, { required: true, ...TAG_KEY }),
      ...stringMember(`tags.${index + 1}.member.value`, tag.Value, { required: true, ...TAG_VALUE }),
    ]),
  ];
}

function vpcErrors(vpc: VpcConfig | undefined): ConstraintResult[] {
  if (isAbsent(vpc)) return [];
  const ids = (path: string, items: string[] | undefined, max: number): ConstraintResult[] =>
    isAbsent(items)
      ? [notNull(path, items)]
      : [
          listLength(path, items, 1, max),
          ...items.flatMap((id, n) => stringMember(`${path}.${n + 1}.member`, id, VPC_ID)),
        ];
  return [
    ...ids('vpcConfig.securityGroupIds', vpc.SecurityGroupIds, 5),
    ...ids('vpcConfig.subnets', vpc.Subnets, 16),
  ];
}

/** CreateEndpointConfig — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html */
export function validateCreateEndpointConfig(body: unknown): EndpointConfigRequest {
  const request = object<CreateEndpointConfigInput>(body);
  const variants = request.ProductionVariants;
  throwConstraintErrors([
    ...stringMember('endpointConfigName', request.EndpointConfigName, { required: true, ...RESOURCE_NAME }),
    isAbsent(variants)
      ? notNull('productionVariants', variants)
      : listLength('productionVariants', variants, 1, 10),
    ...list(variants).flatMap((variant, index) =>
      variantErrors(`productionVariants.${index + 1}.member`, variant),
    ),
    ...captureErrors(request.DataCaptureConfig),
    ...stringMember('kmsKeyId', request.KmsKeyId, KMS_KEY_ID),
    ...tagErrors(request.Tags),
    ...stringMember('executionRoleArn', request.ExecutionRoleArn, ROLE_ARN),
    ...vpcErrors(request.VpcConfig),
  ]);
  const names = list(variants).map((variant) => String(variant.VariantName).toLowerCase());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw invalid(
      `Variant names must be unique within an endpoint configuration: '${duplicate}' is used twice.`,
    );
  }
  for (const variant of list(variants)) {
    const name = variant.VariantName;
    if (isAbsent(variant.ModelName)) {
      // Variants without a model host inference components, which the local SageMaker does not serve.
      throw invalid(
        `Variant '${name}' names no ModelName: each production variant hosts a model created with CreateModel.`,
      );
    }
    const instances = !isAbsent(variant.InstanceType) || !isAbsent(variant.InitialInstanceCount);
    if (variant.ServerlessConfig && instances) {
      throw invalid(
        `Variant '${name}' sets both ServerlessConfig and InstanceType/InitialInstanceCount: a variant is either serverless or instance-based.`,
      );
    }
    if (
      !variant.ServerlessConfig &&
      (isAbsent(variant.InstanceType) || isAbsent(variant.InitialInstanceCount))
    ) {
      throw invalid(
        `Variant '${name}' needs InstanceType and InitialInstanceCount, or a ServerlessConfig for a serverless endpoint.`,
      );
    }
  }
  if (
    list(variants).some((variant) => variant.ServerlessConfig) &&
    request.DataCaptureConfig?.EnableCapture !== false &&
    request.DataCaptureConfig
  ) {
    // https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html, "Feature exclusions"
    throw invalid('Data capture is not supported for serverless endpoints: remove DataCaptureConfig.');
  }
  return request as EndpointConfigRequest;
}

function variantErrors(path: string, variant: ProductionVariant): ConstraintResult[] {
  const serverless = variant.ServerlessConfig;
  return [
    ...stringMember(`${path}.variantName`, variant.VariantName, { required: true, ...RESOURCE_NAME }),
    ...stringMember(`${path}.modelName`, variant.ModelName, MODEL_NAME),
    ...numberMember(`${path}.initialInstanceCount`, variant.InitialInstanceCount, { min: 1 }),
    ...enumMember(`${path}.instanceType`, variant.InstanceType, values(ProductionVariantInstanceType)),
    ...numberMember(`${path}.initialVariantWeight`, variant.InitialVariantWeight, { min: 0 }),
    ...enumMember(
      `${path}.acceleratorType`,
      variant.AcceleratorType,
      values(ProductionVariantAcceleratorType),
    ),
    ...(serverless
      ? [
          ...numberMember(`${path}.serverlessConfig.memorySizeInMB`, serverless.MemorySizeInMB, {
            required: true,
            min: 1024,
            max: 6144,
          }),
          ...numberMember(`${path}.serverlessConfig.maxConcurrency`, serverless.MaxConcurrency, {
            required: true,
            min: 1,
            max: 200,
          }),
          ...numberMember(
            `${path}.serverlessConfig.provisionedConcurrency`,
            serverless.ProvisionedConcurrency,
            {
              min: 1,
              max: 200,
            },
          ),
        ]
      : []),
    ...numberMember(`${path}.volumeSizeInGB`, variant.VolumeSizeInGB, { min: 1, max: 512 }),
    ...numberMember(`${path}.modelDataDownloadTimeoutInSeconds`, variant.ModelDataDownloadTimeoutInSeconds, {
      min: 60,
      max: 3600,
    }),
    ...numberMember(
      `${path}.containerStartupHealthCheckTimeoutInSeconds`,
      variant.ContainerStartupHealthCheckTimeoutInSeconds,
      { min: 60, max: 3600 },
    ),
  ];
}

function captureErrors(capture: DataCaptureConfig | undefined): ConstraintResult[] {
  if (isAbsent(capture)) return [];
  const options = capture.CaptureOptions;
  const header = capture.CaptureContentTypeHeader;
  const types = (path: string, items: string[] | undefined): ConstraintResult[] =>
    isAbsent(items)
      ? []
      : [
          listLength(path, items, 1, 10),
          ...items.flatMap((type, n) => stringMember(`${path}.${n + 1}.member`, type, CONTENT_TYPE)),
        ];
  return [
    ...numberMember('dataCaptureConfig.initialSamplingPercentage', capture.InitialSamplingPercentage, {
      required: true,
      min: 0,
      max: 100,
    }),
    ...stringMember('dataCaptureConfig.destinationS3Uri', capture.DestinationS3Uri, {
      required: true,
      ...DESTINATION_S3_URI,
    }),
    ...stringMember('dataCaptureConfig.kmsKeyId', capture.KmsKeyId, KMS_KEY_ID),
    isAbsent(options)
      ? notNull('dataCaptureConfig.captureOptions', options)
      : listLength('dataCaptureConfig.captureOptions', options, 1, 32),
    ...list(options).flatMap((option, n) =>
      enumMember(
        `dataCaptureConfig.captureOptions.${n + 1}.member.captureMode`,
        option.CaptureMode,
        values(CaptureMode),
        true,
      ),
    ),
    ...types('dataCaptureConfig.captureContentTypeHeader.csvContentTypes', header?.CsvContentTypes),
    ...types('dataCaptureConfig.captureContentTypeHeader.jsonContentTypes', header?.JsonContentTypes),
  ];
}

/** CreateEndpoint — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html */
export function validateCreateEndpoint(body: unknown): EndpointRequest {
  const request = object<CreateEndpointInput>(body);
  throwConstraintErrors([
    ...stringMember('endpointName', request.EndpointName, { required: true, ...RESOURCE_NAME }),
    ...stringMember('endpointConfigName', request.EndpointConfigName, { required: true, ...RESOURCE_NAME }),
    ...deploymentConfigErrors(request.DeploymentConfig),
    ...tagErrors(request.Tags),
  ]);
  checkDeploymentConfig(request.DeploymentConfig);
  return request as EndpointRequest;
}

/** UpdateEndpoint — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html */
export function validateUpdateEndpoint(body: unknown): UpdateEndpointRequest {
  const request = object<UpdateEndpointInput>(body);
  const excluded = request.ExcludeRetainedVariantProperties;
  throwConstraintErrors([
    ...stringMember('endpointName', request.EndpointName, { required: true, ...RESOURCE_NAME }),
    ...stringMember('endpointConfigName', request.EndpointConfigName, { required: true, ...RESOURCE_NAME }),
    isAbsent(excluded) ? undefined : listLength('excludeRetainedVariantProperties', excluded, 0, 3),
    ...list(excluded).flatMap((property, n) =>
      enumMember(
        `excludeRetainedVariantProperties.${n + 1}.member.variantPropertyType`,
        property.VariantPropertyType,
        values(VariantPropertyType),
        true,
      ),
    ),
    ...deploymentConfigErrors(request.DeploymentConfig),
  ]);
  checkDeploymentConfig(request.DeploymentConfig);
  return request as UpdateEndpointRequest;
}

function deploymentConfigErrors(config: DeploymentConfig | undefined): ConstraintResult[] {
  if (isAbsent(config)) return [];
  const capacity = (path: string, size: CapacitySize | undefined, required: boolean) =>
    isAbsent(size)
      ? required
        ? [notNull(path, size)]
        : []
      : [
          ...enumMember(`${path}.type`, size.Type, values(CapacitySizeType), true),
          ...numberMember(`${path}.value`, size.Value, { required: true, min: 1 }),
        ];
  const blueGreen = config.BlueGreenUpdatePolicy;
  const routing = blueGreen?.TrafficRoutingConfiguration;
  const rolling = config.RollingUpdatePolicy;
  const alarms = config.AutoRollbackConfiguration?.Alarms;
  const at = 'deploymentConfig';
  return [
    ...(blueGreen
      ? [
          ...(isAbsent(routing)
            ? [notNull(`${at}.blueGreenUpdatePolicy.trafficRoutingConfiguration`, routing)]
            : [
                ...enumMember(
                  `${at}.blueGreenUpdatePolicy.trafficRoutingConfiguration.type`,
                  routing.Type,
                  values(TrafficRoutingConfigType),
                  true,
                ),
                ...numberMember(
                  `${at}.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds`,
                  routing.WaitIntervalInSeconds,
                  { required: true, min: 0, max: 3600 },
                ),
                ...capacity(
                  `${at}.blueGreenUpdatePolicy.trafficRoutingConfiguration.canarySize`,
                  routing.CanarySize,
                  false,
                ),
                ...capacity(
                  `${at}.blueGreenUpdatePolicy.trafficRoutingConfiguration.linearStepSize`,
                  routing.LinearStepSize,
                  false,
                ),
              ]),
          ...numberMember(
            `${at}.blueGreenUpdatePolicy.terminationWaitInSeconds`,
            blueGreen.TerminationWaitInSeconds,
            {
              min: 0,
              max: 3600,
            },
          ),
          ...numberMember(
            `${at}.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds`,
            blueGreen.MaximumExecutionTimeoutInSeconds,
            { min: 600, max: 28_800 },
          ),
        ]
      : []),
    ...(rolling
      ? [
          ...capacity(`${at}.rollingUpdatePolicy.maximumBatchSize`, rolling.MaximumBatchSize, true),
          ...numberMember(`${at}.rollingUpdatePolicy.waitIntervalInSeconds`, rolling.WaitIntervalInSeconds, {
            required: true,
            min: 0,
            max: 3600,
          }),
          ...numberMember(
            `${at}.rollingUpdatePolicy.maximumExecutionTimeoutInSeconds`,
            rolling.MaximumExecutionTimeoutInSeconds,
            { min: 600, max: 28_800 },
          ),
          ...capacity(
            `${at}.rollingUpdatePolicy.rollbackMaximumBatchSize`,
            rolling.RollbackMaximumBatchSize,
            false,
          ),
        ]
      : []),
    ...(isAbsent(alarms)
      ? []
      : [
          listLength(`${at}.autoRollbackConfiguration.alarms`, alarms, 1, 10),
          ...alarms.flatMap((alarm, n) =>
            stringMember(
              `${at}.autoRollbackConfiguration.alarms.${n + 1}.member.alarmName`,
              alarm.AlarmName,
              ALARM_NAME,
            ),
          ),
        ]),
  ];
}

/**
 * What API_BlueGreenUpdatePolicy and API_TrafficRoutingConfig say in prose: one update policy; a canary needs
 * CanarySize, a linear shift LinearStepSize; percentages up to 50 (linear from 10); the execution timeout
 * longer than the waits.
 */
function checkDeploymentConfig(config: DeploymentConfig | undefined): void {
  if (!config) return;
  const blueGreen = config.BlueGreenUpdatePolicy;
  if (blueGreen && config.RollingUpdatePolicy) {
    throw invalid(
      'DeploymentConfig sets both BlueGreenUpdatePolicy and RollingUpdatePolicy: use one update policy.',
    );
  }
  const routing = blueGreen?.TrafficRoutingConfiguration;
  if (!blueGreen || !routing) return;
  const wait = routing.WaitIntervalInSeconds ?? 0;
  let waits = blueGreen.TerminationWaitInSeconds ?? 0;
  if (routing.Type === 'CANARY') {
    const size = routing.CanarySize;
    if (!size) throw invalid('TrafficRoutingConfiguration of Type CANARY needs CanarySize.');
    if (size.Type === 'CAPACITY_PERCENT' && (size.Value ?? 0) > 50) {
      throw invalid(`CanarySize ${size.Value}% is more than 50% of the variant's capacity.`);
    }
    waits += wait;
  } else if (routing.Type === 'LINEAR') {
    const size = routing.LinearStepSize;
    if (!size) throw invalid('TrafficRoutingConfiguration of Type LINEAR needs LinearStepSize.');
    const value = size.Value ?? 0;
    if (size.Type === 'CAPACITY_PERCENT' && (value < 10 || value > 50)) {
      throw invalid(`LinearStepSize ${value}% is not 10-50% of the variant's capacity.`);
    }
    if (size.Type === 'CAPACITY_PERCENT') waits += (Math.ceil(100 / value) - 1) * wait;
  }
  const timeout = blueGreen.MaximumExecutionTimeoutInSeconds;
  if (timeout !== undefined && timeout <= waits) {
    throw invalid(
      `MaximumExecutionTimeoutInSeconds ${timeout} must be larger than the total waiting time (${waits} seconds of TerminationWaitInSeconds and WaitIntervalInSeconds).`,
    );
  }
}

/** ListEndpoints — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html */
export function validateListEndpoints(body: unknown): ListEndpointsInput {
  const request = object<ListEndpointsInput>(body);
  throwConstraintErrors([
    ...enumMember('sortBy', request.SortBy, values(EndpointSortKey)),
    ...enumMember('sortOrder', request.SortOrder, values(OrderKey)),
    ...stringMember('nextToken', request.NextToken, PAGINATION_TOKEN),
    ...numberMember('maxResults', request.MaxResults, { min: 1, max: 100 }),
    ...stringMember('nameContains', request.NameContains, NAME_CONTAINS),
    ...enumMember('statusEquals', request.StatusEquals, values(EndpointStatus)),
  ]);
  return request;
}

export function invalid(message: string): SageMakerApiError {
  return new SageMakerApiError('ValidationException', message);
}
