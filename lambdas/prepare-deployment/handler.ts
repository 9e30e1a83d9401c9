/** PrepareDeployment Lambda: the deployment record, then the model's deployment lease. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { type DeploymentContext, deploymentExecutionInputSchema } from '../shared/deployment/workflow';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { prepareDeployment } from './prepare';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const settings = deploymentSettingsFromEnv();

const powertools = createPowertools('prepare-deployment');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});

const inputSchema = z.object({ request: deploymentExecutionInputSchema, executionArn: z.string() });

export const handler = (event: unknown, context: Context): Promise<DeploymentContext> =>
  instrumented(powertools, context, () =>
    prepareDeployment(parseInput(inputSchema, event, 'PrepareDeployment'), {
      registry,
      settings,
      logger: powertools.logger,
    }),
  );
