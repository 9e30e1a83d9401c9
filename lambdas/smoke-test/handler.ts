/** SmokeTest Lambda: validation rows -> InvokeEndpoint -> shape checks and latency, recorded on the deployment. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { type SmokeTestResult, smokeTestPlanSchema } from '../shared/deployment/workflow';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { smokeTest } from './smoke';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('smoke-test');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const runtime = tracer.captureAWSv3Client(new SageMakerRuntimeClient({}));

const inputSchema = z.object({
  deploymentId: z.string(),
  endpointName: z.string(),
  smokeTest: smokeTestPlanSchema,
});

export const handler = (event: unknown, context: Context): Promise<SmokeTestResult> =>
  instrumented(powertools, context, () =>
    smokeTest(parseInput(inputSchema, event, 'SmokeTest'), {
      s3,
      runtime,
      registry,
      logger: powertools.logger,
    }),
  );
