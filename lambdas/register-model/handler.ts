/** RegisterModel Lambda: evaluated model -> registry version, ObjectiveValue metric, ModelRegistered event. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import {
  evaluationDecisionSchema,
  runContextSchema,
  trainingResultSchema,
  trainingRunPlanSchema,
} from '../shared/pipeline-schemas';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type RegisterModelResult, registerModel } from './register';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const eventBusName = requireEnv('EVENT_BUS_NAME');

const powertools = createPowertools('register-model');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });
const events = tracer.captureAWSv3Client(new EventBridgeClient({}));

/** Registers the run's version once, announces it and marks the run Succeeded. */
const inputSchema = z.object({
  run: runContextSchema,
  plan: trainingRunPlanSchema,
  training: trainingResultSchema,
  evaluation: evaluationDecisionSchema,
});

export const handler = (event: unknown, context: Context): Promise<RegisterModelResult> =>
  instrumented(powertools, context, () =>
    registerModel(parseInput(inputSchema, event, 'RegisterModel'), {
      registry,
      events,
      eventBusName,
      ...powertools,
    }),
  );
