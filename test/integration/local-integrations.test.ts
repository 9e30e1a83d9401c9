/**
 * Service-integration Task states, run locally by their Resource ARN: the optimized DynamoDB integration on
 * DynamoDB Local, the AWS SDK integration for SageMaker and the optimized SageMaker hosting actions on the
 * local SageMaker, aws-sdk:cloudwatch on the local CloudWatch, events:putEvents on the local EventBridge and
 * lambda:invoke, with results and error names as Step Functions gives them, so Retry and Catch behave as in AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEventBridge, startLocalEventBridge } from '../../local/aws/eventbridge';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../local/cloudwatch';
import type { LocalFunction } from '../../local/lambda/functions';
import { type LocalSageMaker, startLocalSageMaker } from '../../local/sagemaker/server';
import { taskStates } from '../../local/stepfunctions/definition';
import { LocalStateMachine } from '../../local/stepfunctions/executor';
import {
  awsSdkIntegrations,
  dynamoDbIntegration,
  eventBridgeIntegration,
  firstOf,
  type IntegrationResolver,
  lambdaInvokeIntegration,
  sageMakerOptimizedIntegration,
  sageMakerSdkIntegration,
} from '../../local/stepfunctions/integrations';
import { useRegistryTable } from '../support/dynamodb';

const table = useRegistryTable();
let sagemaker: LocalSageMaker;
let sagemakerClient: SageMakerClient;
let workDir: string;
let resolve: IntegrationResolver;
let cloudwatch: LocalCloudWatch;
let cloudwatchClient: CloudWatchClient;
let eventBridge: LocalEventBridge;

/** An in-process function for lambda:invoke: echoes its payload, or fails when asked to. */
const echo: LocalFunction = {
  logicalId: 'Echo',
  functionName: 'Echo',
  entry: 'echo',
  environment: {},
  timeoutSeconds: 3,
  invoke: async (event) => {
    if ((event as { fail?: boolean }).fail)
      throw Object.assign(new Error('asked to fail'), { name: 'EchoError' });
    return { echoed: event };
  },
};

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-integrations-'));
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  sagemaker = await startLocalSageMaker({ workDir, s3: { endpoint: 'http://127.0.0.1:9' }, trainers: [] });
  sagemakerClient = new SageMakerClient({ region: 'us-east-1', endpoint: sagemaker.endpoint, credentials });
  cloudwatch = await startLocalCloudWatch({ region: 'us-east-1', account: '000000000000' });
  cloudwatchClient = new CloudWatchClient({
    region: 'us-east-1',
    endpoint: cloudwatch.endpoint,
    credentials,
  });
  eventBridge = await startLocalEventBridge({ account: '000000000000', region: 'us-east-1' });
  resolve = firstOf(
    dynamoDbIntegration(table.client),
    sageMakerOptimizedIntegration(sagemakerClient),
    sageMakerSdkIntegration(sagemakerClient),
    awsSdkIntegrations({ cloudwatch: cloudwatchClient }),
    eventBridgeIntegration((entries) => eventBridge.put(entries)),
    lambdaInvokeIntegration(new Map([['Echo', echo]])),
  );
});

afterAll(async () => {
  sagemakerClient?.destroy();
  cloudwatchClient?.destroy();
  await sagemaker?.stop();
  await cloudwatch?.stop();
  await eventBridge?.stop();
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

describe('arn:aws:states:::sagemaker:* tasks (optimized, request-response)', () => {
  it('creates a model and answers with the API response', async () => {
    // Act
    const result = await run({
      StartAt: 'CreateModel',
      States: {
        CreateModel: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createModel',
          Parameters: {
            ModelName: 'integration-model-1',
            ExecutionRoleArn: 'arn:aws:iam::000000000000:role/model',
            PrimaryContainer: {
              Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
              ModelDataUrl: 's3://bucket/model.tar.gz',
            },
          },
          End: true,
        },
      },
    } as unknown as StateMachineDefinition);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      ModelArn: 'arn:aws:sagemaker:us-east-1:000000000000:model/integration-model-1',
    });
  });

  it("names SageMaker's validation errors SageMaker.AmazonSageMakerException, retried and caught by that name", async () => {
    // Act: an endpoint config of a model that does not exist
    const result = await run({
      StartAt: 'CreateEndpointConfig',
      States: {
        CreateEndpointConfig: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createEndpointConfig',
          Parameters: {
            EndpointConfigName: 'integration-config-1',
            ProductionVariants: [
              {
                VariantName: 'AllTraffic',
                ModelName: 'no-such-model',
                InitialInstanceCount: 1,
                InstanceType: 'ml.m5.large',
              },
            ],
          },
          Retry: [
            { ErrorEquals: ['SageMaker.AmazonSageMakerException'], IntervalSeconds: 1, MaxAttempts: 1 },
          ],
          Catch: [
            { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'Failed' },
          ],
          End: true,
        },
        Failed: { Type: 'Pass', End: true },
      },
    } as unknown as StateMachineDefinition);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
    expect(result.output).toMatchObject({
      error: {
        Error: 'SageMaker.AmazonSageMakerException',
        Cause: expect.stringMatching(
          /Could not find model.*\(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: .*; Proxy: null\)$/,
        ),
      },
    });
  });

  it('serves only the hosting actions of the optimized integration', () => {
    expect(resolve('arn:aws:states:::sagemaker:createEndpoint')).toBeTypeOf('function');
    expect(resolve('arn:aws:states:::sagemaker:updateEndpoint')).toBeTypeOf('function');
    expect(resolve('arn:aws:states:::sagemaker:deleteEndpoint')).toBeUndefined();
    expect(resolve('arn:aws:states:::sagemaker:createEndpoint.sync')).toBeUndefined();
  });
});

describe('arn:aws:states:::aws-sdk:cloudwatch:* tasks', () => {
  it("puts an alarm on the local CloudWatch and reads it back; CloudWatch's errors are CloudWatch.<Name>Exception", async () => {
    // Act
    const result = await run({
      StartAt: 'Put',
      States: {
        Put: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricAlarm',
          Parameters: {
            AlarmName: 'integration-alarm',
            Namespace: 'AWS/SageMaker',
            MetricName: 'Invocation5XXErrors',
            Dimensions: [{ Name: 'EndpointName', Value: 'e' }],
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
          },
          ResultPath: null,
          Next: 'Describe',
        },
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms',
          Parameters: { AlarmNames: ['integration-alarm'] },
          ResultSelector: { 'name.$': '$.MetricAlarms[0].AlarmName' },
          Next: 'Invalid',
        },
        Invalid: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricAlarm',
          Parameters: {
            AlarmName: 'integration-alarm-2',
            MetricName: 'Invocation5XXErrors',
            Namespace: 'AWS/SageMaker',
            Statistic: 'Sum',
            Period: 7,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
          },
          ResultPath: '$.invalid',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Pass', End: true },
      },
    } as unknown as StateMachineDefinition);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      name: 'integration-alarm',
      error: { Error: expect.stringMatching(/^CloudWatch\.\w+Exception$/) },
    });
    expect(cloudwatch.alarmState('integration-alarm')).toBeDefined();
  });
});

describe('arn:aws:states:::events:putEvents tasks', () => {
  it('puts the entries on the local EventBridge with Detail as JSON, and fails with EventBridge.FailedEntry', async () => {
    // Act
    const result = await run(
      {
        StartAt: 'Put',
        States: {
          Put: {
            Type: 'Task',
            Resource: 'arn:aws:states:::events:putEvents',
            Parameters: {
              Entries: [{ Source: 'test', DetailType: 'Thing Happened', 'Detail.$': '$.thing' }],
            },
            ResultPath: '$.put',
            Next: 'Malformed',
          },
          Malformed: {
            Type: 'Task',
            Resource: 'arn:aws:states:::events:putEvents',
            Parameters: { Entries: [{ Source: 'test', Detail: '{}' }] },
            Catch: [{ ErrorEquals: ['EventBridge.FailedEntry'], ResultPath: '$.error', Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      } as unknown as StateMachineDefinition,
      { thing: { id: 7 } },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      put: { FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] },
      error: { Error: 'EventBridge.FailedEntry' },
    });
    expect(eventBridge.events.at(-1)).toMatchObject({ 'detail-type': 'Thing Happened', detail: { id: 7 } });
  });
});

describe('arn:aws:states:::lambda:invoke tasks', () => {
  it("invokes the function by name or ARN with the Payload; the result is Invoke's response", async () => {
    // Act
    const result = await run(
      {
        StartAt: 'Invoke',
        States: {
          Invoke: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: {
              FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Echo:$LATEST',
              'Payload.$': '$',
            },
            Next: 'Fail',
          },
          Fail: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'Echo', Payload: { fail: true } },
            Catch: [{ ErrorEquals: ['EchoError'], ResultPath: '$.error', Next: 'Missing' }],
            End: true,
          },
          Missing: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'NoSuchFunction', Payload: {} },
            Catch: [
              { ErrorEquals: ['Lambda.ResourceNotFoundException'], ResultPath: '$.missing', Next: 'Done' },
            ],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      } as unknown as StateMachineDefinition,
      { a: 1 },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      ExecutedVersion: '$LATEST',
      StatusCode: 200,
      Payload: { echoed: { a: 1 } },
      error: { Error: 'EchoError', Cause: expect.stringContaining('asked to fail') },
      missing: { Error: 'Lambda.ResourceNotFoundException' },
    });
  });
});
