/** RecordDeploymentFailure Lambda: why, recorded on the deployment and its version; the DeploymentFailed detail. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type DeploymentFailedDetail, failureStateSchema, recordFailure } from './record';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('record-deployment-failure');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({
  client: dynamodb,
  tableName,
  defaultActor: 'deployment-workflow',
});

export const handler = (event: unknown, context: Context): Promise<DeploymentFailedDetail> =>
  instrumented(powertools, context, () =>
    recordFailure(
      parseInput(z.object({ state: failureStateSchema }), event, 'RecordDeploymentFailure').state,
      {
        registry,
        logger: powertools.logger,
      },
    ),
  );
