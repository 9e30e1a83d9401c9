/** RecordDeploymentFailure Lambda: why, recorded on the deployment and its version; the DeploymentFailed detail. */
import { deploymentFunction } from '../shared/deployment/clients';
import { parseInput } from '../shared/runtime/errors';
import * as z from '../shared/zod';
import { failureStateSchema, recordFailure } from './record';

const fn = deploymentFunction('record-deployment-failure');

const inputSchema = z.object({ state: failureStateSchema });

export const handler = fn.handler((event) =>
  recordFailure(parseInput(inputSchema, event, 'RecordDeploymentFailure').state, fn.deps),
);
