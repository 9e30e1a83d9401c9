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
import { type LocalFunctionUrls, startLocalFunctionUrls } from './lambda/function-urls';
import { type EmfSink, type LocalFunction, lambdaTask, loadFunctions } from './lambda/functions';
import { stateMachineDefinition, taskStates } from './stepfunctions/definition';
import { ExecutionRegistry } from './stepfunctions/executions';
import {
  type ExecutionOptions,
  type ExecutionResult,
  LocalStateMachine,
  type LocalTaskHandler,
} from './stepfunctions/executor';
import {
  dynamoDbIntegration,
  eventBridgeIntegration,
  firstOf,
  type IntegrationResolver,
  lambdaInvokeIntegration,
  waitForTaskToken,
} from './stepfunctions/integrations';
import { TaskTokens, taskTokenPlaceholder } from './stepfunctions/task-tokens';
import { DEFAULT_LOCAL_ENVIRONMENT, type LocalEnvironment, LocalResources } from './template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from './template/template';

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
  /** Where executions are kept across restarts (executions.json). @default memory only */
  readonly executionsDir?: string;
  /**
   * More local services, started once the core servers are up and before the functions load (their SDK
   * clients read the AWS_ENDPOINT_URL_* variables): the app's SageMaker, CloudWatch, ... Their `environment`
   * joins the functions' (and the process's); `stop` runs when the runtime stops.
   */
  readonly services?: (core: CoreServers) => Promise<ExtraServices>;
}

/** The servers every runtime has, for {@link LocalRuntimeOptions.services}. */
export interface CoreServers {
  readonly env: LocalEnvironment;
  readonly s3: LocalS3;
  readonly dynamodb: DynamoDbLocal;
  readonly events: LocalEventBridge;
}

/** What {@link LocalRuntimeOptions.services} started. */
export interface ExtraServices {
  readonly environment: Readonly<Record<string, string>>;
  /** Where the functions' embedded-metric-format lines go (a local CloudWatch), as Lambda's logs would take them. */
  readonly emf?: EmfSink;
  /** Told of every invocation of an in-process function when it ends (Lambda's own metrics, locally). */
  readonly invocation?: InvocationListener;
  stop(): Promise<void>;
}

/** One ended invocation of an in-process function: how long it ran and whether it failed. */
export type InvocationListener = (invocation: {
  readonly functionName: string;
  readonly durationMs: number;
  readonly failed: boolean;
}) => void;

/**
 * The stack on one machine: DynamoDB Local, s3rver and a local EventBridge on 127.0.0.1, the template's
 * tables and buckets, its Lambdas in-process (their SDK clients reach the local servers through the standard
 * AWS_ENDPOINT_URL_* variables), and its state machines run by aws-local-stepfunctions.
 */
export class LocalRuntime {
  /** The environment every SDK client in this process uses to reach the local servers. */
  public readonly clientEnvironment: Readonly<Record<string, string>>;

  private readonly machines = new Map<string, LocalStateMachine>();
  /** Executions of the template's state machines, as the Step Functions API sees them. */
  public readonly executions: ExecutionRegistry;
  /** The task tokens of `.waitForTaskToken` Tasks (SendTaskSuccess and co. on the API). */
  public readonly tokens: TaskTokens;
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
    executions: ExecutionRegistry,
    tokens: TaskTokens,
    private readonly extra: ExtraServices | undefined,
    /** The template's function URLs (the inference API), each on its own port. */
    public readonly functionUrls: LocalFunctionUrls,
  ) {
    this.clientEnvironment = clientEnvironment;
    this.executions = executions;
    this.tokens = tokens;
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
      const tokens = new TaskTokens();
      // Each state machine by its local name and by the StateMachineName the template may give it.
      const machines = new Map<string, string>();
      for (const [id, resource] of resourcesOfType(options.template, 'AWS::StepFunctions::StateMachine')) {
        machines.set(resources.physicalName(id), resources.arn(id));
        const name = resolveIntrinsics(resource.Properties?.StateMachineName, resources.resolve);
        if (typeof name === 'string') machines.set(name, resources.arn(id));
      }
      // Until the runtime exists, nothing can run; it installs its own runner below, the app may replace it.
      let self: LocalRuntime | undefined;
      const executions = new ExecutionRegistry(
        machines,
        (arn, input, context) => {
          if (!self) throw new Error('the local runtime is not started yet');
          return self.execute(logicalIdOf(arn), input, { context });
        },
        options.executionsDir,
      );
      const stepFunctionsApi = await startLocalStepFunctionsApi({ executions, tokens });
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
      const extra = await options.services?.({ env, s3, dynamodb, events });
      if (extra) {
        started.push(extra);
        Object.assign(clientEnvironment, extra.environment);
      }
      await createTables(options.template, resources, dynamodb.endpoint, env.region);
      const loaded = await loadFunctions(
        options.template,
        resources,
        clientEnvironment,
        extra?.emf ? { emf: extra.emf } : {},
      );
      const functions = extra?.invocation ? observed(loaded, extra.invocation) : loaded;
      const functionUrls = await startLocalFunctionUrls(options.template, resources, functions);
      started.push(functionUrls);
      self = new LocalRuntime(
        options.template,
        resources,
        dynamodb,
        s3,
        events,
        stepFunctionsApi,
        functions,
        clientEnvironment,
        executions,
        tokens,
        extra,
        functionUrls,
      );
      return self;
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
   * its Resource ARN names — DynamoDB, lambda:invoke and events:putEvents here, and whatever `integrations`
   * adds (the app's SageMaker, CloudWatch, ...). A `.waitForTaskToken` Resource is its request-response call,
   * then a wait on the token `executionArn`'s `$$.Task.Token` stands for. A Task none serves makes the
   * execution refuse to start, naming it.
   */
  taskHandlers(
    logicalId: string,
    services: Readonly<Record<string, LocalTaskHandler>> = {},
    integrations?: IntegrationResolver,
    executionArn?: string,
  ): Record<string, LocalTaskHandler> {
    const resolve = firstOf(
      ...(integrations ? [integrations] : []),
      dynamoDbIntegration(this.dynamodbClient),
      lambdaInvokeIntegration(this.functions),
      eventBridgeIntegration((entries) => this.events.put(entries)),
    );
    const handlers: Record<string, LocalTaskHandler> = {};
    const machine = this.stateMachine(logicalId);
    for (const { name, resource, timeoutSeconds, heartbeatSeconds } of taskStates(machine.definition)) {
      const fn = this.functions.get(resource.split(':function:')[1] ?? '');
      let handler = services[name] ?? (fn ? lambdaTask(fn) : undefined);
      if (!handler && resource.endsWith('.waitForTaskToken')) {
        const call = resolve(resource.slice(0, -'.waitForTaskToken'.length));
        if (call) {
          handler = waitForTaskToken(call, this.tokens, {
            name,
            // The local executor's own default when the state sets none (Step Functions' is far longer).
            timeoutSeconds: timeoutSeconds ?? 60,
            heartbeatSeconds,
            executionArn: () => executionArn ?? this.resources.arn(logicalId),
          });
        }
      }
      handler ??= resolve(resource);
      if (handler) handlers[name] = handler;
    }
    return handlers;
  }

  /** The context object of a new execution of a state machine: its execution ARN, name and start time. */
  executionContext(logicalId: string): NonNullable<ExecutionOptions['context']> {
    const name = `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const id = `${this.resources.arn(logicalId).replace(':stateMachine:', ':execution:')}:${name}`;
    return {
      Execution: { Id: id, Name: name, StartTime: new Date().toISOString() },
      Task: { Token: taskTokenPlaceholder(id) },
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
    const { services, integrations, context: given, ...rest } = options;
    const base = given ?? this.executionContext(logicalId);
    // `$$.Task.Token` reads a placeholder that each `.waitForTaskToken` Task replaces with a fresh token.
    const context = { ...base, Task: { Token: taskTokenPlaceholder(base.Execution.Id) } };
    return this.stateMachine(logicalId).execute(input, {
      context,
      ...rest,
      tasks: this.taskHandlers(logicalId, services, integrations, context.Execution.Id),
    });
  }

  async stop(): Promise<void> {
    this.dynamodbClient.destroy();
    this.tokens.closeAll();
    await this.functionUrls.stop();
    // The extra services first: they may still write to S3 or DynamoDB as they stop (buffered capture).
    await this.extra?.stop().catch(() => undefined);
    await Promise.allSettled([
      this.events.stop(),
      this.stepFunctionsApi.stop(),
      this.s3.stop(),
      this.dynamodb.stop(),
    ]);
  }
}

/** The functions, each invocation told to `listener` when it ends (whoever invokes: tasks, rules, URLs). */
function observed(
  functions: ReadonlyMap<string, LocalFunction>,
  listener: InvocationListener,
): Map<string, LocalFunction> {
  return new Map(
    [...functions].map(([name, fn]) => [
      name,
      {
        ...fn,
        invoke: async (event: unknown) => {
          const started = performance.now();
          let failed = true;
          try {
            const result = await fn.invoke(event);
            failed = false;
            return result;
          } finally {
            listener({ functionName: fn.functionName, durationMs: performance.now() - started, failed });
          }
        },
      },
    ]),
  );
}

/** The logical id in a state machine ARN of this runtime (its name is the logical id). */
function logicalIdOf(stateMachineArn: string): string {
  return stateMachineArn.split(':stateMachine:')[1] ?? '';
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
