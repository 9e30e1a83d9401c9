import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingJobRequest } from './validation';

/** The host name SageMaker gives the first (here: only) training instance. */
export const CURRENT_HOST = 'algo-1';

/** A job's directory, laid out like /opt/ml in a SageMaker training container. */
export interface JobDirectory {
  /** What /opt/ml is in the container. */
  readonly root: string;
  readonly inputConfig: string;
  readonly inputData: string;
  readonly model: string;
  readonly output: string;
  readonly outputData: string;
  readonly checkpoints: string;
  /** `output/failure`: the trainer explains its failure here. */
  readonly failureFile: string;
  channel(name: string): string;
}

/** The paths of a job directory rooted at `root` (nothing is created). */
export function jobDirectory(root: string): JobDirectory {
  const output = join(root, 'output');
  return {
    root,
    inputConfig: join(root, 'input', 'config'),
    inputData: join(root, 'input', 'data'),
    model: join(root, 'model'),
    output,
    outputData: join(output, 'data'),
    checkpoints: join(root, 'checkpoints'),
    failureFile: join(output, 'failure'),
    channel: (name) => join(root, 'input', 'data', name),
  };
}

/**
 * Creates a fresh job directory (a leftover one from an earlier run of the same name is replaced) with the
 * configuration files SageMaker writes to /opt/ml/input/config.
 */
export async function createJobDirectory(root: string, request: TrainingJobRequest): Promise<JobDirectory> {
  const dir = jobDirectory(root);
  await rm(root, { recursive: true, force: true });
  const channels = (request.InputDataConfig ?? []).map((channel) => dir.channel(channel.ChannelName ?? ''));
  for (const path of [dir.inputConfig, dir.model, dir.outputData, dir.checkpoints, ...channels]) {
    await mkdir(path, { recursive: true });
  }
  await writeJson(join(dir.inputConfig, 'hyperparameters.json'), request.HyperParameters ?? {});
  await writeJson(join(dir.inputConfig, 'inputdataconfig.json'), inputDataConfig(request));
  await writeJson(join(dir.inputConfig, 'resourceconfig.json'), resourceConfig(request));
  return dir;
}

function inputDataConfig(request: TrainingJobRequest): Record<string, Record<string, string>> {
  const mode = request.AlgorithmSpecification.TrainingInputMode ?? 'File';
  return Object.fromEntries(
    (request.InputDataConfig ?? []).map((channel) => [
      channel.ChannelName ?? '',
      {
        ...(channel.ContentType ? { ContentType: channel.ContentType } : {}),
        TrainingInputMode: channel.InputMode ?? mode,
        S3DistributionType: channel.DataSource?.S3DataSource?.S3DataDistributionType ?? 'FullyReplicated',
        RecordWrapperType: channel.RecordWrapperType ?? 'None',
      },
    ]),
  );
}

function resourceConfig(request: TrainingJobRequest): Record<string, unknown> {
  return {
    current_host: CURRENT_HOST,
    current_instance_type: request.ResourceConfig.InstanceType ?? 'local',
    current_group_name: 'homogeneousCluster',
    hosts: [CURRENT_HOST],
    network_interface_name: 'eth0',
  };
}

/**
 * The environment the trainer runs with: the variables SageMaker's training toolkit sets (SM_*) with this
 * directory in place of /opt/ml, the request's Environment, and the parent's PATH only, as a container
 * would not see the rest of this machine's environment.
 */
export function trainingEnvironment(
  dir: JobDirectory,
  request: TrainingJobRequest,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const channels = (request.InputDataConfig ?? []).map((channel) => channel.ChannelName ?? '');
  const hyperParameters = request.HyperParameters ?? {};
  return {
    ...(process.env.PATH === undefined ? {} : { PATH: process.env.PATH }),
    SAGEMAKER_ML_ROOT: dir.root,
    TRAINING_JOB_NAME: request.TrainingJobName,
    SM_MODEL_DIR: dir.model,
    SM_INPUT_DIR: join(dir.root, 'input'),
    SM_INPUT_CONFIG_DIR: dir.inputConfig,
    SM_OUTPUT_DIR: dir.output,
    SM_OUTPUT_DATA_DIR: dir.outputData,
    SM_CHECKPOINT_DIR: dir.checkpoints,
    SM_CHANNELS: JSON.stringify(channels),
    ...Object.fromEntries(channels.map((name) => [`SM_CHANNEL_${name.toUpperCase()}`, dir.channel(name)])),
    SM_HPS: JSON.stringify(toolkitHyperParameters(hyperParameters)),
    ...Object.fromEntries(
      Object.entries(hyperParameters).map(([name, value]) => [`SM_HP_${name.toUpperCase()}`, value]),
    ),
    SM_CURRENT_HOST: CURRENT_HOST,
    SM_HOSTS: JSON.stringify([CURRENT_HOST]),
    SM_NUM_GPUS: '0',
    ...request.Environment,
    ...extra,
  };
}

/** The training toolkit hands scripts hyperparameters JSON-decoded where they decode ("5" -> 5). */
function toolkitHyperParameters(hyperParameters: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(hyperParameters).map(([name, value]) => {
      try {
        return [name, JSON.parse(value)];
      } catch {
        return [name, value];
      }
    }),
  );
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
