import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, type DynamoDbLocalOptions, startDynamoDbLocal } from './aws/dynamodb-local';
import { createTableInputFromTemplate } from './aws/dynamodb-tables';
import { type LocalEventBridge, startLocalEventBridge } from './aws/eventbridge';
import { type LocalS3, startLocalS3 } from './aws/s3';
import { LOCAL_CREDENTIALS, s3ClientEnvironment } from './aws/s3-client';
import { type LocalStepFunctionsApi, startLocalStepFunctionsApi } from './aws/stepfunctions-api';
import { type LocalFunction, lambdaTask, loadFunctions } from './lambda/functions';
import { stateMachineDefinition, taskStates } from './stepfunctions/definition';
import {
  type ExecutionOptions,
  type ExecutionResult,
  LocalStateMachine,
  type LocalTaskHandler,
} from './stepfunctions/executor';
import { dynamoDbIntegration, firstOf, type IntegrationResolver } from './stepfunctions/integrations';
import { DEFAULT_LOCAL_ENVIRONMENT, type LocalEnvironment, LocalResources } from './template/local-resources';
import { type CfnTemplate, resourcesOfType } from './template/template';

export { LOCAL_CREDENTIALS };

export interface LocalRuntimeOptions {
  /** The synthesized template (cdk.out/<stack>.template.json): what runs locally is what deploys. */
  readonly template: CfnTemplate;
  /** Where S3 objects are kept. @default a fresh temporary directory */
  readonly s3Directory?: string;
  readonly env?: LocalEnvironment;
  /** DynamoDB Local settings, e.g. `{ inMemory: false, dbPath }` to keep the registry across restarts. */
  readonly dynamodb?: DynamoDbLocalOptions;
  /** Extra environment for the in-process functions, e.g. POWERTOOLS_LOG_LEVEL. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/**
 * The stack on one machine: DynamoDB Local, s3rver and a local EventBridge on 127.0.0.1, the template's
 * tables and buckets, its Lambdas in-process (their SDK clients reach the local servers through the standard
 * AWS_ENDPOINT_URL_* variables), and its state machines run by aws-local-stepfunctions.
 */
export class LocalRuntime {
  /** The environment every SDK client in this process uses to reach the local servers. */
  public readonly clientEnvironment: Readonly<Record<string, string>>;

  private readonly machines = new Map<string, LocalStateMachine>();
  /** The client of Task states' DynamoDB integrations (dynamodb:updateItem, ...). */
  private readonly dynamodbClient: DynamoDBClient;

  private constructor(
    public readonly template: CfnTemplate,
    public readonly resources: LocalResources,
    public readonly dynamodb: DynamoDbLocal,
    public readonly s3: LocalS3,
    public readonly events: LocalEventBridge,
    /** The Step Functions API the in-process Lambdas reach through AWS_ENDPOINT_URL_SFN. */
    public readonly stepFunctionsApi: LocalStepFunctionsApi,
    public readonly functions: ReadonlyMap<string, LocalFunction>,
    clientEnvironment: Record<string, string>,
  ) {
    this.clientEnvironment = clientEnvironment;
    this.dynamodbClient = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: resources.env.region,
      credentials: LOCAL_CREDENTIALS,
    });
  }

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const env = options.env ?? DEFAULT_LOCAL_ENVIRONMENT;
    const resources = new LocalResources(options.template, env);
    const buckets = resourcesOfType(options.template, 'AWS::S3::Bucket').map(([id]) =>
      resources.physicalName(id),
    );
    const started: { stop(): Promise<void> }[] = [];
    try {
      const dynamodb = await startDynamoDbLocal(options.dynamodb);
      started.push(dynamodb);
      const s3 = await startLocalS3({
        directory: options.s3Directory ?? mkdtempSync(join(tmpdir(), 'mlops-s3-')),
        buckets,
      });
      started.push(s3);
      const events = await startLocalEventBridge(env);
      started.push(events);
      const stepFunctionsApi = await startLocalStepFunctionsApi();
      started.push(stepFunctionsApi);

      const clientEnvironment = {
        AWS_REGION: env.region,
        AWS_DEFAULT_REGION: env.region,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: events.endpoint,
        AWS_ENDPOINT_URL_SFN: stepFunctionsApi.endpoint,
        ...s3ClientEnvironment(s3.endpoint),
        // Powertools: no X-Ray daemon here; metrics stay in the logs they are written to anyway.
        POWERTOOLS_TRACE_ENABLED: 'false',
        POWERTOOLS_DEV: 'true',
        ...options.environment,
      };
      await createTables(options.template, resources, dynamodb.endpoint, env.region);
      const functions = await loadFunctions(options.template, resources, clientEnvironment);
      return new LocalRuntime(
        options.template,
        resources,
        dynamodb,
        s3,
        events,
        stepFunctionsApi,
        functions,
        clientEnvironment,
      );
    } catch (error) {
      await Promise.allSettled(started.map((server) => server.stop()));
      throw error;
    }
  }

  /** The template's state machine, built once. */
  stateMachine(logicalId: string): LocalStateMachine {
    let machine = this.machines.get(logicalId);
    if (!machine) {
      machine = new LocalStateMachine(
        stateMachineDefinition(this.template, logicalId, this.resources.resolve),
      );
      this.machines.set(logicalId, machine);
    }
    return machine;
  }

  /**
   * Task handlers for a state machine, for each Task state the first that applies: `services` by state name
   * (tests), the template's Lambda function its Resource names (run in-process), then the service integration
   * its Resource ARN names — DynamoDB here, and whatever `integrations` adds (the app's SageMaker). A Task none
   * serves makes the execution refuse to start, naming it.
   */
  taskHandlers(
    logicalId: string,
    services: Readonly<Record<string, LocalTaskHandler>> = {},
    integrations?: IntegrationResolver,
  ): Record<string, LocalTaskHandler> {
    const resolve = firstOf(
      ...(integrations ? [integrations] : []),
      dynamoDbIntegration(this.dynamodbClient),
    );
    const handlers: Record<string, LocalTaskHandler> = {};
    for (const { name, resource } of taskStates(this.stateMachine(logicalId).definition)) {
      const fn = this.functions.get(resource.split(':function:')[1] ?? '');
      const handler = services[name] ?? (fn ? lambdaTask(fn) : resolve(resource));
      if (handler) handlers[name] = handler;
    }
    return handlers;
  }

  /** The context object of a new execution of a state machine: its execution ARN, name and start time. */
  executionContext(logicalId: string): NonNullable<ExecutionOptions['context']> {
    const name = `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    return {
      Execution: {
        Id: `${this.resources.arn(logicalId).replace(':stateMachine:', ':execution:')}:${name}`,
        Name: name,
        StartTime: new Date().toISOString(),
      },
    };
  }

  /** Runs a state machine to its end (in a new execution unless `options.context` names one). */
  execute(
    logicalId: string,
    input: unknown,
    options: Omit<ExecutionOptions, 'tasks'> & {
      readonly services?: Readonly<Record<string, LocalTaskHandler>>;
      readonly integrations?: IntegrationResolver;
    } = {},
  ): Promise<ExecutionResult> {
    const { services, integrations, ...rest } = options;
    return this.stateMachine(logicalId).execute(input, {
      context: this.executionContext(logicalId),
      ...rest,
      tasks: this.taskHandlers(logicalId, services, integrations),
    });
  }

  async stop(): Promise<void> {
    this.dynamodbClient.destroy();
    await Promise.allSettled([
      this.events.stop(),
      this.stepFunctionsApi.stop(),
      this.s3.stop(),
      this.dynamodb.stop(),
    ]);
  }
}

async function createTables(
  template: CfnTemplate,
  resources: LocalResources,
  endpoint: string,
  region: string,
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
  try {
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      const inputs = createTableInputFromTemplate(logicalId, resource, {
        tableName: resources.physicalName(logicalId),
      });
      try {
        await client.send(new CreateTableCommand(inputs.createTable));
      } catch (error) {
        // A persistent runtime restarts with its tables in place.
        if (error instanceof ResourceInUseException) continue;
        throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: inputs.createTable.TableName });
      if (inputs.timeToLive) await client.send(new UpdateTimeToLiveCommand(inputs.timeToLive));
    }
  } finally {
    client.destroy();
  }
}
