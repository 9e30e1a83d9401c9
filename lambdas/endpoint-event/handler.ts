/** EndpointEvent Lambda: a SageMaker endpoint event -> the waiting deployment resumed, once. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { ResumeResult } from '../shared/deployment/resume';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { onEndpointEvent } from './resume';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('endpoint-event');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});
const sagemaker = tracer.captureAWSv3Client(new SageMakerClient({}));
const sfn = tracer.captureAWSv3Client(new SFNClient({}));

export const handler = (event: unknown, context: Context): Promise<ResumeResult> =>
  instrumented(powertools, context, () =>
    onEndpointEvent(event, { registry, sagemaker, sfn, logger: powertools.logger }),
  );
