/** EvaluateModel Lambda: the trained challenger vs threshold and production champion -> EvaluationDecision. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { EvaluationDecision } from '../shared/pipeline';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { type EvaluateModelInput, evaluateModel } from './evaluate';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('evaluate-model');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Decides Approved, PendingApproval or Rejected for the run's model, with the reasons. */
export const handler = (event: EvaluateModelInput, context: Context): Promise<EvaluationDecision> =>
  instrumented(powertools, context, () => evaluateModel(event, { registry, logger: powertools.logger }));
