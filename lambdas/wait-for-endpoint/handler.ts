/** WaitForEndpoint Lambda (.waitForTaskToken): the endpoint's waiter, and one look at the endpoint. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { ResumeResult } from '../shared/deployment/resume';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { waitForEndpoint } from './wait';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('wait-for-endpoint');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});
const sagemaker = tracer.captureAWSv3Client(new SageMakerClient({}));
const sfn = tracer.captureAWSv3Client(new SFNClient({}));

const inputSchema = z.object({
  taskToken: z.string().check(z.minLength(1)),
  deploymentId: z.string().check(z.minLength(1)),
  endpointName: z.string().check(z.minLength(1)),
  timeoutSeconds: z.int().check(z.gte(1)),
});

export const handler = (event: unknown, context: Context): Promise<ResumeResult> =>
  instrumented(powertools, context, () =>
    waitForEndpoint(parseInput(inputSchema, event, 'WaitForEndpoint'), {
      registry,
      sagemaker,
      sfn,
      logger: powertools.logger,
    }),
  );
