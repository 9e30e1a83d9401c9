/** SmokeTest Lambda: validation rows -> InvokeEndpoint -> shape checks and latency, recorded on the deployment. */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { deploymentFunction } from '../shared/deployment/clients';
import { smokeTestPlanSchema } from '../shared/deployment/workflow';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { smokeTest } from './smoke';

const fn = deploymentFunction('smoke-test');
const s3 = fn.traced(new S3Client({}));
const runtime = fn.traced(new SageMakerRuntimeClient({}));

const inputSchema = z.object({
  deploymentId: z.string(),
  endpointName: z.string(),
  smokeTest: smokeTestPlanSchema,
});

export const handler = fn.handler((event) =>
  smokeTest(parseInput(inputSchema, event, 'SmokeTest'), { ...fn.deps, s3, runtime }),
);
