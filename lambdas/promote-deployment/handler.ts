/** PromoteDeployment Lambda: the promotion transaction; returns the ModelDeployed event's detail. */
import { deploymentFunction } from '../shared/deployment/clients';
import { deploymentContextSchema, smokeTestResultSchema } from '../shared/deployment/workflow';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { promote } from './promote';

const fn = deploymentFunction('promote-deployment');

const inputSchema = z.object({
  deployment: deploymentContextSchema,
  endpointName: z.string(),
  endpointConfigName: z.string(),
  smoke: smokeTestResultSchema,
});

export const handler = fn.handler((event) =>
  promote(parseInput(inputSchema, event, 'PromoteDeployment'), fn.deps),
);
