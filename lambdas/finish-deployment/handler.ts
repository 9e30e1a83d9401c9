/**
 * FinishDeployment Lambda: superseded models/configs deleted after a promotion; the lease released always; the
 * promoted version's prediction baseline made when ARTIFACTS_BUCKET is set (the function then needs
 * s3:GetObject on `runs/*\/splits/validation/*`, s3:GetObject/PutObject on `runs/*\/prediction-baseline.json`,
 * s3:ListBucket on `runs/*` and sagemaker:InvokeEndpoint on the stack's endpoints).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { deploymentFunction } from '../shared/deployment/clients';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { finishDeployment } from './finish';

const fn = deploymentFunction('finish-deployment');
const settings = deploymentSettingsFromEnv();
const sagemaker = fn.traced(new SageMakerClient({}));
const artifactsBucket = process.env.ARTIFACTS_BUCKET?.trim();
const predictionBaseline = artifactsBucket
  ? {
      artifactsBucket,
      s3: fn.traced(new S3Client({})),
      runtime: fn.traced(new SageMakerRuntimeClient({})),
      logger: fn.deps.logger,
    }
  : undefined;

const inputSchema = z.object({
  deploymentId: z.string(),
  model: z.string(),
  servingConfigName: z.exactOptional(z.string()),
  autoscaling: z.exactOptional(
    z.nullable(
      z.looseObject({
        register: z.looseObject({
          ResourceId: z.string(),
          MinCapacity: z.exactOptional(z.number()),
          MaxCapacity: z.exactOptional(z.number()),
        }),
      }),
    ),
  ),
  autoscalingError: z.exactOptional(
    z.looseObject({ Error: z.exactOptional(z.string()), Cause: z.exactOptional(z.string()) }),
  ),
});

export const handler = fn.handler((event) =>
  finishDeployment(parseInput(inputSchema, event, 'FinishDeployment'), {
    ...fn.deps,
    sagemaker,
    settings,
    ...(predictionBaseline === undefined ? {} : { predictionBaseline }),
  }),
);
