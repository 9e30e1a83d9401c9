/**
 * Service-integration Task states, run locally by their Resource ARN: the optimized DynamoDB integration on
 * DynamoDB Local and the AWS SDK integration for SageMaker on the local SageMaker, with results and error
 * names as Step Functions gives them, so Retry and Catch behave as in AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSageMaker, startLocalSageMaker } from '../../local/sagemaker/server';
import { taskStates } from '../../local/stepfunctions/definition';
import { LocalStateMachine } from '../../local/stepfunctions/executor';
import {
  dynamoDbIntegration,
  firstOf,
  type IntegrationResolver,
  sageMakerSdkIntegration,
} from '../../local/stepfunctions/integrations';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let sagemaker: LocalSageMaker;
let sagemakerClient: SageMakerClient;
let workDir: string;
let resolve: IntegrationResolver;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-integrations-'));
  sagemaker = await startLocalSageMaker({ workDir, s3: { endpoint: 'http://127.0.0.1:9' }, trainers: [] });
  sagemakerClient = new SageMakerClient({
    region: 'us-east-1',
    endpoint: sagemaker.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  resolve = firstOf(dynamoDbIntegration(table.client), sageMakerSdkIntegration(sagemakerClient));
});

afterAll(async () => {
  sagemakerClient?.destroy();
  await sagemaker?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs a definition with every Task served by its Resource ARN. */
async function run(definition: StateMachineDefinition, input: unknown = {}) {
  const tasks = Object.fromEntries(
    taskStates(definition).map(({ name, resource }) => {
      const handler = resolve(resource);
      if (!handler) throw new Error(`no local integration for ${resource}`);
      return [name, handler];
    }),
  );
  return new LocalStateMachine(definition).execute(input, { tasks });
}

const key = (id: string) => ({ PK: { S: `TEST#${id}` }, SK: { S: 'ITEM' } });

describe('arn:aws:states:::dynamodb:* tasks', () => {
  it('put, update and get an item with the resolved Parameters; the result is the API response', async () => {
    // Act
    const result = await run(
      {
        StartAt: 'Put',
        States: {
          Put: {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:putItem',
            Parameters: { TableName: table.tableName, Item: { ...key('a'), step: { S: 'ValidateDataset' } } },
            ResultPath: null,
            Next: 'Update',
          },
          Update: {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:updateItem',
            Parameters: {
              TableName: table.tableName,
              Key: key('a'),
              UpdateExpression: 'SET #step = :step',
              ConditionExpression: 'attribute_exists(PK)',
              ExpressionAttributeNames: { '#step': 'step' },
              ExpressionAttributeValues: { ':step': { 'S.$': '$.step' } },
              ReturnValues: 'UPDATED_NEW',
            },
            ResultPath: '$.updated',
            Next: 'Get',
          },
          Get: {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:getItem',
            Parameters: { TableName: table.tableName, Key: key('a') },
            ResultSelector: { 'step.$': '$.Item.step.S' },
            End: true,
          },
        },
      } as unknown as StateMachineDefinition,
      { step: 'TrainModel' },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ step: 'TrainModel' });
    const update = result.events.find((e) => e.type === 'StateExited' && e.state.name === 'Update');
    expect((update as { state: { output: unknown } }).state.output).toMatchObject({
      updated: { Attributes: { step: { S: 'TrainModel' } } },
    });
  });

  it('fails a conditional update with DynamoDB.ConditionalCheckFailedException, which a Catch can match', async () => {
    // Act
    const result = await run({
      StartAt: 'Update',
      States: {
        Update: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:updateItem',
          Parameters: {
            TableName: table.tableName,
            Key: key('missing'),
            UpdateExpression: 'SET #step = :step',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#step': 'step' },
            ExpressionAttributeValues: { ':step': { S: 'TrainModel' } },
          },
          Catch: [
            {
              ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'],
              ResultPath: '$.error',
              Next: 'Skipped',
            },
          ],
          End: true,
        },
        Skipped: { Type: 'Pass', End: true },
      },
    } as unknown as StateMachineDefinition);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      error: {
        Error: 'DynamoDB.ConditionalCheckFailedException',
        Cause: expect.stringContaining('(Service: AmazonDynamoDBv2, Status Code: 400'),
      },
    });
  });
});

describe('arn:aws:states:::aws-sdk:sagemaker:* tasks', () => {
  it('describeTrainingJob of an unknown job fails with the error SageMaker answered, prefixed SageMaker.', async () => {
    // Act
    const result = await run({
      StartAt: 'Describe',
      States: {
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob',
          Parameters: { TrainingJobName: 'no-such-job' },
          End: true,
        },
      },
    } as unknown as StateMachineDefinition);

    // Assess: SageMaker answers an unknown name with ValidationException "Requested resource not found."
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SageMaker.ValidationException');
    expect(result.cause).toContain('Requested resource not found.');
  });

  it('resolves only the integrations it serves', () => {
    expect(resolve('arn:aws:states:::dynamodb:query')).toBeUndefined();
    expect(resolve('arn:aws:states:::dynamodb:updateItem.sync')).toBeUndefined();
    expect(resolve('arn:aws:states:::aws-sdk:sagemaker:noSuchAction')).toBeUndefined();
    expect(resolve('arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob')).toBeTypeOf('function');
    expect(resolve('arn:aws:states:::dynamodb:getItem')).toBeTypeOf('function');
  });
});
