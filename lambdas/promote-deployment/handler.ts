/** PromoteDeployment Lambda: the promotion transaction; returns the ModelDeployed event's detail. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { deploymentContextSchema, smokeTestResultSchema } from '../shared/deployment/workflow';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type ModelDeployedDetail, promote } from './promote';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('promote-deployment');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});

const inputSchema = z.object({
  deployment: deploymentContextSchema,
  endpointName: z.string(),
  endpointConfigName: z.string(),
  smoke: smokeTestResultSchema,
});

export const handler = (event: unknown, context: Context): Promise<ModelDeployedDetail> =>
  instrumented(powertools, context, () =>
    promote(parseInput(inputSchema, event, 'PromoteDeployment'), { registry, logger: powertools.logger }),
  );
