/** PrepareDeployment Lambda: the deployment record, then the model's deployment lease. */
import { deploymentFunction } from '../shared/deployment/clients';
import { deploymentSettingsFromEnv } from '../shared/deployment/settings';
import { deploymentExecutionInputSchema } from '../shared/deployment/workflow';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { prepareDeployment } from './prepare';

const fn = deploymentFunction('prepare-deployment');
const settings = deploymentSettingsFromEnv();

const inputSchema = z.object({ request: deploymentExecutionInputSchema, executionArn: z.string() });

export const handler = fn.handler((event) =>
  prepareDeployment(parseInput(inputSchema, event, 'PrepareDeployment'), { ...fn.deps, settings }),
);
