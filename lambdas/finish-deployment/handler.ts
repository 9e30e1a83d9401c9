/** FinishDeployment Lambda: superseded models/configs deleted after a promotion; the lease released always. */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { deploymentFunction } from '../shared/deployment/clients';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { finishDeployment } from './finish';

const fn = deploymentFunction('finish-deployment');
const settings = deploymentSettingsFromEnv();
const sagemaker = fn.traced(new SageMakerClient({}));

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
  finishDeployment(parseInput(inputSchema, event, 'FinishDeployment'), { ...fn.deps, sagemaker, settings }),
);
