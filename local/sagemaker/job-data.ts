import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { create as createTar } from 'tar';
import type { JobDirectory } from './job-directory';
import {
  downloadPrefix,
  formatS3Uri,
  joinKey,
  listFiles,
  parseS3Uri,
  type S3Location,
  uploadDirectory,
  uploadFile,
} from './s3-transfer';
import type { TrainingJobRequest } from './validation';

/** A data problem, worded for the user as SageMaker words it (`ClientError: ...`). */
export class ClientError extends Error {}

/**
 * What SageMaker copies in before training (File mode): every channel's S3Prefix into input/data/<channel>,
 * and the checkpoints of an earlier attempt into checkpoints/.
 */
export async function downloadInputs(
  s3: S3Client,
  request: TrainingJobRequest,
  dir: JobDirectory,
): Promise<void> {
  for (const channel of request.InputDataConfig ?? []) {
    const name = channel.ChannelName ?? '';
    const source = channel.DataSource?.S3DataSource;
    const uri = source?.S3Uri ?? '';
    const location = parseS3Uri(uri);
    if (source?.S3DataType !== 'S3Prefix' || !location) {
      throw new ClientError(
        `ClientError: Channel ${name}: only S3Prefix data sources with an S3 URI are served locally ` +
          `(got ${source?.S3DataType} ${uri}).`,
      );
    }
    if ((await downloadPrefix(s3, location, dir.channel(name))) === 0) {
      throw new ClientError(
        `ClientError: No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure ` +
          'that the bucket exists in the selected region, that objects exist under that S3 prefix, ' +
          'and that ' +
          `the role "${request.RoleArn}" has "s3:ListBucket" permissions on bucket "${location.bucket}".`,
      );
    }
  }
  const checkpoints = checkpointLocation(request);
  if (checkpoints) await downloadPrefix(s3, checkpoints, dir.checkpoints);
}

/**
 * What SageMaker copies out after training: model/ as `<S3OutputPath>/<job>/output/model.tar.gz`,
 * output/data/ (when not empty) as output.tar.gz next to it, checkpoints/ to CheckpointConfig.S3Uri.
 * Returns the model's URI.
 */
export async function uploadResults(
  s3: S3Client,
  request: TrainingJobRequest,
  dir: JobDirectory,
): Promise<string> {
  const output = parseS3Uri(request.OutputDataConfig.S3OutputPath);
  if (!output) throw new Error(`S3OutputPath ${request.OutputDataConfig.S3OutputPath} is not an S3 URI`);
  const prefix = joinKey(output.key, request.TrainingJobName, 'output');
  const model = { bucket: output.bucket, key: joinKey(prefix, 'model.tar.gz') };
  await uploadFile(s3, model, await archive(dir.model, join(dir.output, 'model.tar.gz')));
  if ((await listFiles(dir.outputData)).length > 0) {
    const data = { bucket: output.bucket, key: joinKey(prefix, 'output.tar.gz') };
    await uploadFile(s3, data, await archive(dir.outputData, join(dir.output, 'output.tar.gz')));
  }
  const checkpoints = checkpointLocation(request);
  if (checkpoints) await uploadDirectory(s3, checkpoints, dir.checkpoints);
  return formatS3Uri(model);
}

function checkpointLocation(request: TrainingJobRequest): S3Location | undefined {
  const uri = request.CheckpointConfig?.S3Uri;
  return uri ? parseS3Uri(uri) : undefined;
}

/** Tar+gzips a directory's contents into `file`, entries relative to it as SageMaker packs /opt/ml/model. */
async function archive(directory: string, file: string): Promise<string> {
  const entries = await readdir(directory);
  if (entries.length === 0) {
    // tar refuses an empty file list; an empty archive is two zero blocks.
    await writeFile(file, gzipSync(Buffer.alloc(1024)));
  } else {
    await createTar({ gzip: true, cwd: directory, file, portable: true }, entries);
  }
  return file;
}
