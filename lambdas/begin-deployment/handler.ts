/** BeginDeployment Lambda: registry Deploying, the endpoint looked at once, the SageMaker/CloudWatch requests. */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { deploymentFunction } from '../shared/deployment/clients';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { deploymentContextSchema } from '../shared/deployment/workflow';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { beginDeployment } from './begin';

const fn = deploymentFunction('begin-deployment');
const config = {
  namePrefix: requireEnv('NAME_PREFIX'),
  artifactsBucket: requireEnv('ARTIFACTS_BUCKET'),
  kmsKeyArn: requireEnv('KMS_KEY_ARN'),
  executionRoles: parseJsonEnv('MODEL_EXECUTION_ROLES', z.record(z.string(), z.string())),
  settings: deploymentSettingsFromEnv(),
};
const sagemaker = fn.traced(new SageMakerClient({}));

const inputSchema = z.object({ deployment: deploymentContextSchema });

export const handler = fn.handler((event) =>
  beginDeployment(parseInput(inputSchema, event, 'BeginDeployment').deployment, {
    ...fn.deps,
    ...config,
    sagemaker,
  }),
);
