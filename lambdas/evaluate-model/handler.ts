/** EvaluateModel Lambda: the trained challenger vs threshold and production champion -> EvaluationDecision. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { EvaluationDecision } from '../shared/pipeline';
import { runContextSchema, trainingResultSchema, trainingRunPlanSchema } from '../shared/pipeline-schemas';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { evaluateModel } from './evaluate';

const tableName = requireEnv('REGISTRY_TABLE_NAME');

const powertools = createPowertools('evaluate-model');
const dynamodb = DynamoDBDocumentClient.from(powertools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });

/** Decides Approved, PendingApproval or Rejected for the run's model, with the reasons. */
const inputSchema = z.object({
  run: runContextSchema,
  plan: trainingRunPlanSchema,
  training: trainingResultSchema,
});

export const handler = (event: unknown, context: Context): Promise<EvaluationDecision> =>
  instrumented(powertools, context, () =>
    evaluateModel(parseInput(inputSchema, event, 'EvaluateModel'), { registry, logger: powertools.logger }),
  );
