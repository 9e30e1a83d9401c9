/** FinishDeployment Lambda: superseded models/configs deleted after a promotion; the lease released always. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type FinishResult, finishDeployment } from './finish';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const settings = deploymentSettingsFromEnv();

const powertools = createPowertools('finish-deployment');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});
const sagemaker = tracer.captureAWSv3Client(new SageMakerClient({}));

const inputSchema = z.object({
  deploymentId: z.string(),
  model: z.string(),
  servingConfigName: z.exactOptional(z.string()),
});

export const handler = (event: unknown, context: Context): Promise<FinishResult> =>
  instrumented(powertools, context, () =>
    finishDeployment(parseInput(inputSchema, event, 'FinishDeployment'), {
      registry,
      sagemaker,
      settings,
      logger: powertools.logger,
    }),
  );
