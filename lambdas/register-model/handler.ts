/** RegisterModel Lambda: evaluated model -> registry version, ObjectiveValue metric, ModelRegistered event. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ModelRegistryClient } from '../shared/registry';
import { requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { type RegisterModelInput, type RegisterModelResult, registerModel } from './register';

const tableName = requireEnv('REGISTRY_TABLE_NAME');
const eventBusName = requireEnv('EVENT_BUS_NAME');

const powertools = createPowertools('register-model');
const { tracer } = powertools;
const dynamodb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const registry = new ModelRegistryClient({ client: dynamodb, tableName, defaultActor: 'training-pipeline' });
const events = tracer.captureAWSv3Client(new EventBridgeClient({}));

/** Registers the run's version once, announces it and marks the run Succeeded. */
export const handler = (event: RegisterModelInput, context: Context): Promise<RegisterModelResult> =>
  instrumented(powertools, context, () =>
    registerModel(event, { registry, events, eventBusName, ...powertools }),
  );
