import type {
  AlgorithmSpecification,
  Channel,
  CreateTrainingJobRequest,
  OutputDataConfig,
  ResourceConfig,
  StoppingCondition,
} from '@aws-sdk/client-sagemaker';
import { SageMakerApiError } from './api-error';
import {
  atLeast,
  constraint,
  matches,
  maxLength,
  minLength,
  notNull,
  oneOf,
  throwConstraintErrors,
} from './constraints';

/** A CreateTrainingJob request with everything the local SageMaker needs to run it. */
export type TrainingJobRequest = CreateTrainingJobRequest & {
  readonly TrainingJobName: string;
  readonly RoleArn: string;
  readonly AlgorithmSpecification: AlgorithmSpecification & { readonly TrainingImage: string };
  readonly OutputDataConfig: OutputDataConfig & { readonly S3OutputPath: string };
  readonly ResourceConfig: ResourceConfig;
  readonly StoppingCondition: StoppingCondition;
  readonly HyperParameters?: Record<string, string>;
  readonly InputDataConfig?: Channel[];
};

// The constraints of SageMaker's API model, quoted as its validation messages quote them.
const JOB_NAME_PATTERN = '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';
const ROLE_ARN_PATTERN = '^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$';
const S3_URI_PATTERN = '^(https|s3)://([^/]+)/?(.*)$';
const CHANNEL_NAME_PATTERN = '[A-Za-z0-9\\.\\-_]+';
const INPUT_MODES = ['Pipe', 'File', 'FastFile'];

/**
 * Checks a CreateTrainingJob request as SageMaker's front door does and answers with its wording:
 * `1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be
 * null`.
 * AlgorithmSpecification.TrainingImage, ResourceConfig and StoppingCondition are required here although the
 * current API model lets serverless jobs omit them: a local job needs an image to pick its trainer.
 */
export function validateCreateTrainingJob(body: unknown): TrainingJobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SageMakerApiError('SerializationException', 'The request body must be a JSON object');
  }
  const request = body as CreateTrainingJobRequest;
  checkHyperParameterTypes(request.HyperParameters);
  throwConstraintErrors([
    ...jobNameErrors(request.TrainingJobName),
    ...algorithmErrors(request.AlgorithmSpecification),
    ...roleArnErrors(request.RoleArn),
    ...outputErrors(request.OutputDataConfig),
    notNull('resourceConfig', request.ResourceConfig),
    ...stoppingErrors(request.StoppingCondition),
    ...(request.InputDataConfig ?? []).flatMap(channelErrors),
  ]);
  checkChannelNamesUnique(request.InputDataConfig ?? []);
  return request as TrainingJobRequest;
}

function jobNameErrors(name: unknown): (string | undefined)[] {
  if (name === undefined || name === null) return [notNull('trainingJobName', name)];
  return [
    minLength('trainingJobName', name, 1),
    maxLength('trainingJobName', name, 63),
    matches('trainingJobName', name, JOB_NAME_PATTERN),
  ];
}

function algorithmErrors(spec: AlgorithmSpecification | undefined): (string | undefined)[] {
  if (!spec) return [notNull('algorithmSpecification', spec)];
  const mode = spec.TrainingInputMode;
  return [
    // A Marketplace algorithm (AlgorithmName) has no image a local trainer could be matched against.
    notNull('algorithmSpecification.trainingImage', spec.TrainingImage),
    mode === undefined || mode === null
      ? notNull('algorithmSpecification.trainingInputMode', mode)
      : oneOf('algorithmSpecification.trainingInputMode', mode, INPUT_MODES),
    ...(spec.MetricDefinitions ?? []).flatMap((definition, index) => [
      notNull(`algorithmSpecification.metricDefinitions.${index + 1}.member.name`, definition.Name),
      notNull(`algorithmSpecification.metricDefinitions.${index + 1}.member.regex`, definition.Regex),
      regexError(`algorithmSpecification.metricDefinitions.${index + 1}.member.regex`, definition.Regex),
    ]),
  ];
}

function roleArnErrors(arn: unknown): (string | undefined)[] {
  if (arn === undefined || arn === null) return [notNull('roleArn', arn)];
  return [
    minLength('roleArn', arn, 20),
    maxLength('roleArn', arn, 2048),
    matches('roleArn', arn, ROLE_ARN_PATTERN),
  ];
}

function outputErrors(output: OutputDataConfig | undefined): (string | undefined)[] {
  if (!output) return [notNull('outputDataConfig', output)];
  const path = output.S3OutputPath;
  if (path === undefined || path === null) return [notNull('outputDataConfig.s3OutputPath', path)];
  return [matches('outputDataConfig.s3OutputPath', path, S3_URI_PATTERN)];
}

function stoppingErrors(stopping: StoppingCondition | undefined): (string | undefined)[] {
  if (!stopping) return [notNull('stoppingCondition', stopping)];
  const max = stopping.MaxRuntimeInSeconds;
  return [max === undefined ? undefined : atLeast('stoppingCondition.maxRuntimeInSeconds', max, 1)];
}

function channelErrors(channel: Channel, index: number): (string | undefined)[] {
  const at = `inputDataConfig.${index + 1}.member`;
  const s3 = channel.DataSource?.S3DataSource;
  return [
    channel.ChannelName === undefined || channel.ChannelName === null
      ? notNull(`${at}.channelName`, channel.ChannelName)
      : matches(`${at}.channelName`, channel.ChannelName, CHANNEL_NAME_PATTERN),
    notNull(`${at}.dataSource`, channel.DataSource),
    channel.DataSource && !channel.DataSource.S3DataSource
      ? notNull(`${at}.dataSource.s3DataSource`, undefined)
      : undefined,
    s3 && notNull(`${at}.dataSource.s3DataSource.s3DataType`, s3.S3DataType),
    s3 && notNull(`${at}.dataSource.s3DataSource.s3Uri`, s3.S3Uri),
    s3?.S3Uri ? matches(`${at}.dataSource.s3DataSource.s3Uri`, s3.S3Uri, S3_URI_PATTERN) : undefined,
  ];
}

/** JSON numbers or booleans where SageMaker wants strings do not get past its deserializer. */
function checkHyperParameterTypes(hyperParameters: unknown): void {
  if (hyperParameters === undefined || hyperParameters === null) return;
  for (const [name, value] of Object.entries(hyperParameters)) {
    if (typeof value !== 'string') {
      throw new SageMakerApiError(
        'SerializationException',
        `HyperParameters.${name} is ${JSON.stringify(value)} (${typeof value}): ` +
          'SageMaker takes every hyperparameter value as a string',
      );
    }
  }
}

function checkChannelNamesUnique(channels: readonly Channel[]): void {
  const names = channels.map((channel) => channel.ChannelName);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new SageMakerApiError(
      'ValidationException',
      `Channel names must be unique: '${duplicate}' is used twice.`,
    );
  }
}

/** Metric regexes run on every log line: one that does not compile is refused up front. */
function regexError(path: string, regex: string | undefined): string | undefined {
  if (regex === undefined || regex === null) return undefined;
  try {
    new RegExp(regex);
    return undefined;
  } catch (error) {
    return constraint(path, regex, `Member must be a valid regular expression (${(error as Error).message})`);
  }
}
