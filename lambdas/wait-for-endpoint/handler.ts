/** WaitForEndpoint Lambda (.waitForTaskToken): the endpoint's waiter, and one look at the endpoint. */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { deploymentFunction } from '../shared/deployment/clients';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { waitForEndpoint } from './wait';

const fn = deploymentFunction('wait-for-endpoint');
const sagemaker = fn.traced(new SageMakerClient({}));
const sfn = fn.traced(new SFNClient({}));

const inputSchema = z.object({
  taskToken: z.string().check(z.minLength(1)),
  deploymentId: z.string().check(z.minLength(1)),
  endpointName: z.string().check(z.minLength(1)),
  timeoutSeconds: z.int().check(z.gte(1)),
});

export const handler = fn.handler((event) =>
  waitForEndpoint(parseInput(inputSchema, event, 'WaitForEndpoint'), { ...fn.deps, sagemaker, sfn }),
);
