/** BeginDeployment Lambda: registry Deploying, the endpoint looked at once, the SageMaker/CloudWatch requests. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { type DeploymentPlan, deploymentContextSchema } from '../shared/deployment/workflow';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { beginDeployment } from './begin';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const namePrefix = requireEnv('NAME_PREFIX');
const artifactsBucket = requireEnv('ARTIFACTS_BUCKET');
const kmsKeyArn = requireEnv('KMS_KEY_ARN');
const executionRoleArn = requireEnv('MODEL_EXECUTION_ROLE_ARN');
const settings = deploymentSettingsFromEnv();

const powertools = createPowertools('begin-deployment');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});
const sagemaker = tracer.captureAWSv3Client(new SageMakerClient({}));

const inputSchema = z.object({ deployment: deploymentContextSchema });

export const handler = (event: unknown, context: Context): Promise<DeploymentPlan> =>
  instrumented(powertools, context, () =>
    beginDeployment(parseInput(inputSchema, event, 'BeginDeployment').deployment, {
      registry,
      sagemaker,
      settings,
      namePrefix,
      artifactsBucket,
      kmsKeyArn,
      executionRoleArn,
      logger: powertools.logger,
    }),
  );
