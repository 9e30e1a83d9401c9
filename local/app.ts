/**
 * The whole product on one machine: the local AWS runtime built from the synthesized template (with the Step
 * Functions API its Lambdas call), a local SageMaker that really trains and hosts endpoints blue/green, the
 * SageMaker Runtime that serves and captures them, a local CloudWatch whose alarms roll updates back, Application
 * Auto Scaling, and event routing by the template's EventBridge rules (uploads, the stack's own events, endpoint
 * and alarm state changes). The template's alarms (metric and composite) are evaluated on local metrics — the
 * functions' EMF, AWS/SageMaker from serving, and AWS/Lambda, AWS/States and AWS/SQS as those services would
 * publish them — and their actions, like the notify function, publish to a local SNS whose messages reach the
 * observer and `<stateDir>/sns/<topic>.jsonl`. `npm start` and `npm run demo` drive it (local/main.ts); the end-to-end tests use it
 * directly.
 *
 * This file composes them and routes events; hosting-services.ts starts the services beside the runtime,
 * template-alarms.ts runs the alarms' actions, service-metrics.ts publishes AWS/Lambda, AWS/States and AWS/SQS,
 * stepfunctions/execution-status-event.ts is the event of an ended execution.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ModelRegistryClient } from '../lambdas/shared/registry';
import { TrainingStates } from '../lib/workflows/training-pipeline';
import type { LocalApplicationAutoScaling } from './aws/application-autoscaling';
import { type LocalCloudFormation, runtimeStack, startLocalCloudFormation } from './aws/cloudformation';
import { LocalQueues, type QueueMessage } from './aws/queues';
import type { S3EventRecord } from './aws/s3';
import type { LocalSns, SnsMessage } from './aws/sns';
import type { LocalCloudWatch } from './cloudwatch';
import type { RuntimeDiscovery } from './discovery';
import { type LocalRule, matchingTargets, objectCreatedEvent, rulesFromTemplate } from './events/router';
import { type ScheduledRule, Scheduler, scheduledEvent, scheduledRulesFromTemplate } from './events/schedule';
import { targetInput } from './events/target-input';
import { type HostingServices, mkdir, startHostingServices, stopHostingServices } from './hosting-services';
import {
  type AsyncInvokeConfig,
  type AsyncInvokeResult,
  asyncInvokeConfigs,
  invokeAsync,
  LAMBDA_RETRY_DELAYS_MS,
} from './lambda/async-invoke';
import type { LocalFunction } from './lambda/functions';
import { LOCAL_CREDENTIALS, LocalRuntime } from './runtime';
import type { LocalSageMakerRuntime, ServerMapping } from './sagemaker/runtime';
import type { LocalSageMaker, TrainerMapping } from './sagemaker/server';
import { createTrainingJobSyncTask } from './sagemaker/sync-task';
import { executionMetrics, lambdaMetrics, publishQueueDepths } from './service-metrics';
import { executionStatusChange } from './stepfunctions/execution-status-event';
import type { ExecutionContext } from './stepfunctions/executions';
import type { EventLog, ExecutionResult } from './stepfunctions/executor';
import {
  awsSdkIntegrations,
  firstOf,
  type IntegrationResolver,
  sageMakerOptimizedIntegration,
  sageMakerSdkIntegration,
} from './stepfunctions/integrations';
import { type CfnTemplate, findLogicalId } from './template/template';
import { createTemplateAlarms, runAlarmActions } from './template-alarms';

export interface LocalAppOptions {
  readonly template: CfnTemplate;
  /** Everything the app keeps between restarts lives here (registry, objects, training jobs). */
  readonly stateDir: string;
  /** Images to local commands, tried before the built-in XGBoost stand-in. */
  readonly trainers?: readonly TrainerMapping[];
  /** Images to local serving commands (SageMaker's hosting contract), tried before the built-in XGBoost. */
  readonly servers?: readonly ServerMapping[];
  /** Observes executions and training jobs as they happen (progress display). */
  readonly observer?: LocalAppObserver;
  /** Extra environment for the in-process Lambdas. */
  readonly environment?: Readonly<Record<string, string>>;
  /** How often the SageMaker task polls the job. @default 500 */
  readonly pollIntervalMs?: number;
  /**
   * Scheduled rules, Lambda's async retry waits, endpoint provisioning and blue/green stages, and alarm periods
   * run this many times faster than real time (demos, tests). @default 1
   */
  readonly timeScale?: number;
  /** Waits before the retries of a failed asynchronous invocation. @default Lambda's 1 and 2 minutes / timeScale */
  readonly asyncRetryDelaysMs?: readonly number[];
}

export interface LocalAppObserver {
  executionStarted?(execution: {
    readonly id: string;
    readonly stateMachine: string;
    readonly input: unknown;
  }): void;
  executionEvent?(executionId: string, event: EventLog): void;
  executionFinished?(executionId: string, result: ExecutionResult): void;
  trainingLog?(jobName: string, line: string): void;
  trainingMetric?(jobName: string, metric: { readonly name: string; readonly value: number }): void;
  /** An event of the local AWS services (endpoint status, deployment stage, alarm state) as it is routed. */
  serviceEvent?(event: Readonly<Record<string, unknown>>): void;
  /** A message published to one of the template's SNS topics (alarm actions, the notify function). */
  notification?(message: SnsMessage): void;
  error?(message: string): void;
}

export class LocalApp {
  private readonly running = new Set<Promise<unknown>>();
  private readonly rules: LocalRule[];
  private readonly scheduler: Scheduler;
  private uploads = 0;
  private readonly queues: LocalQueues;
  private readonly invokeConfigs: Map<string, AsyncInvokeConfig>;
  private readonly clients: {
    readonly sagemaker: SageMakerClient;
    readonly cloudwatch: CloudWatchClient;
    readonly applicationAutoScaling: ApplicationAutoScalingClient;
    readonly dynamodb: DynamoDBClient;
  };
  private registryClient: ModelRegistryClient | undefined;
  private queueMetricsTimer: NodeJS.Timeout | undefined;

  private constructor(
    public readonly runtime: LocalRuntime,
    private readonly services: HostingServices,
    private readonly options: LocalAppOptions,
    /** DescribeStacks on the template's outputs (`mlops --target aws` against this runtime). */
    private readonly stackApi: LocalCloudFormation,
  ) {
    this.rules = rulesFromTemplate(runtime.template, runtime.resources);
    this.queues = new LocalQueues(join(options.stateDir, 'sqs'));
    this.invokeConfigs = asyncInvokeConfigs(runtime.template, runtime.resources);
    this.scheduler = new Scheduler(
      scheduledRulesFromTemplate(runtime.template, runtime.resources),
      (rule, at) => this.onSchedule(rule, at),
      { timeScale: options.timeScale ?? 1 },
    );
    const { region } = runtime.resources.env;
    const client = { region, credentials: LOCAL_CREDENTIALS };
    this.clients = {
      sagemaker: new SageMakerClient({ ...client, endpoint: services.sagemaker.endpoint }),
      cloudwatch: new CloudWatchClient({ ...client, endpoint: services.cloudwatch.endpoint }),
      applicationAutoScaling: new ApplicationAutoScalingClient({
        ...client,
        endpoint: services.applicationAutoScaling.endpoint,
      }),
      dynamodb: new DynamoDBClient({ ...client, endpoint: runtime.dynamodb.endpoint }),
    };
    // Every execution (rules, schedules, StartExecution from a Lambda or the CLI) runs here.
    runtime.executions.setRunner((arn, input, context) => this.track(this.runExecution(arn, input, context)));
  }

  /** The local SageMaker (training jobs, hosting control plane). */
  get sagemaker(): LocalSageMaker {
    return this.services.sagemaker;
  }

  /** The local SageMaker Runtime (InvokeEndpoint; its fault switch and per-fleet stats). */
  get sagemakerRuntime(): LocalSageMakerRuntime {
    return this.services.sagemakerRuntime;
  }

  /** The model registry (versions, aliases, deployments) of this runtime. */
  get registry(): ModelRegistryClient {
    this.registryClient ??= new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(this.clients.dynamodb),
      tableName: this.resources.registryTable,
    });
    return this.registryClient;
  }

  /** The local CloudWatch (metrics, alarms). */
  get cloudwatch(): LocalCloudWatch {
    return this.services.cloudwatch;
  }

  /** The local SNS (the template's topics and what was published to them). */
  get sns(): LocalSns {
    return this.services.sns;
  }

  /** The local Application Auto Scaling (the endpoint variants' scalable targets and policies). */
  get applicationAutoScaling(): LocalApplicationAutoScaling {
    return this.services.applicationAutoScaling;
  }

  /** The template's scheduled rules, as the scheduler runs them. */
  get scheduledRules(): number {
    return scheduledRulesFromTemplate(this.runtime.template, this.runtime.resources).length;
  }

  static async start(options: LocalAppOptions): Promise<LocalApp> {
    mkdirSync(options.stateDir, { recursive: true });
    // Events of the services arrive through this once the app exists (none come before: nothing is deployed).
    let app: LocalApp | undefined;
    const route = (event: Record<string, unknown>) => {
      if (app) app.routeServiceEvent(event);
    };
    let services: HostingServices | undefined;
    const runtime = await LocalRuntime.start({
      template: options.template,
      s3Directory: join(options.stateDir, 's3'),
      dynamodb: { inMemory: false, dbPath: mkdir(join(options.stateDir, 'dynamodb')) },
      // The local SageMaker Runtime writes capture within 2 s (SageMaker within minutes): the drift check
      // leaves 5 s of capture to the next window instead of its 60 s default. The options may say otherwise.
      environment: { CAPTURE_SETTLE_SECONDS: '5', ...options.environment },
      executionsDir: join(options.stateDir, 'stepfunctions'),
      // Started before the functions load: their SDK clients read AWS_ENDPOINT_URL_* when first used.
      services: async (core) => {
        services = await startHostingServices(options, core.env, core.s3.endpoint, route);
        const started = services;
        return {
          environment: {
            AWS_ENDPOINT_URL_SAGEMAKER: started.sagemaker.endpoint,
            AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: started.sagemakerRuntime.endpoint,
            AWS_ENDPOINT_URL_CLOUDWATCH: started.cloudwatch.endpoint,
            AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: started.applicationAutoScaling.endpoint,
            AWS_ENDPOINT_URL_SNS: started.sns.endpoint,
          },
          // Lambda's own metrics of each invocation (AWS/Lambda, per FunctionName), for the template's alarms.
          invocation: lambdaMetrics(started.cloudwatch),
          // Powertools Metrics' EMF lines from the functions become metrics, as CloudWatch Logs extracts them.
          emf: (line) => started.cloudwatch.ingestEmf(line),
          stop: () => stopHostingServices(started),
        };
      },
    });
    if (!services) {
      await runtime.stop();
      throw new Error('the hosting services did not start');
    }
    let stackApi: LocalCloudFormation;
    try {
      const { stack, unresolved } = runtimeStack(runtime);
      for (const { key, reason } of unresolved)
        options.observer?.error?.(`Output ${key} is not served: ${reason}`);
      stackApi = await startLocalCloudFormation({ stacks: [stack] });
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    app = new LocalApp(runtime, services, options, stackApi);
    app.watch();
    app.createTemplateAlarms();
    return app;
  }

  /** Base URLs of every local AWS endpoint, as the discovery file lists them. */
  get endpoints(): Required<RuntimeDiscovery['endpoints']> {
    return {
      s3: this.runtime.s3.endpoint,
      dynamodb: this.runtime.dynamodb.endpoint,
      eventbridge: this.runtime.events.endpoint,
      sagemaker: this.services.sagemaker.endpoint,
      sagemakerRuntime: this.services.sagemakerRuntime.endpoint,
      cloudwatch: this.services.cloudwatch.endpoint,
      stepfunctions: this.runtime.stepFunctionsApi.endpoint,
      applicationAutoScaling: this.services.applicationAutoScaling.endpoint,
      cloudformation: this.stackApi.endpoint,
    };
  }

  /** Physical names of the stack's main resources, as its outputs name them in the cloud. */
  get resources(): {
    dataBucket: string;
    artifactsBucket: string;
    registryTable: string;
    trainingStateMachine: string;
  } {
    const { template, resources } = this.runtime;
    const find = (type: string, prefix: string) => findLogicalId(template, type, prefix);
    return {
      dataBucket: resources.physicalName(find('AWS::S3::Bucket', 'StorageData')),
      artifactsBucket: resources.physicalName(find('AWS::S3::Bucket', 'StorageArtifacts')),
      registryTable: resources.physicalName(find('AWS::DynamoDB::Table', 'Registry')),
      trainingStateMachine: resources.arn(find('AWS::StepFunctions::StateMachine', 'Training')),
    };
  }

  /**
   * Routes an event through the template's rules, starting every matching target, as EventBridge would:
   * state machines and the template's Lambda functions. Resolves with the results of the executions it
   * started, once the functions it invoked have returned too.
   */
  async deliver(event: unknown): Promise<ExecutionResult[]> {
    const deliveries = matchingTargets(this.rules, event);
    const functions = deliveries.flatMap(({ arn, input }) => {
      const fn = this.runtime.functions.get(arn.split(':function:')[1] ?? '');
      return fn ? [{ fn, input }] : [];
    });
    const machines = deliveries.filter(({ arn }) => arn.includes(':stateMachine:'));
    const [results] = await Promise.all([
      Promise.all(machines.map(({ arn, input }) => this.startExecution(arn, input))),
      Promise.all(functions.map(({ fn, input }) => this.track(this.invokeAsync(fn, input)))),
    ]);
    return results;
  }

  /**
   * The messages sent to one of the stack's SQS queues (by ARN) since the app started: e.g. the invocation
   * records Lambda sends a function's on-failure destination. Also in `<stateDir>/sqs/<queue>.jsonl`.
   */
  queueMessages(queueArn: string): readonly QueueMessage[] {
    return this.queues.messages(queueArn);
  }

  /** The template's EventInvokeConfigs, by function name. */
  get asyncInvokeConfigs(): ReadonlyMap<string, AsyncInvokeConfig> {
    return this.invokeConfigs;
  }

  /**
   * EventBridge invokes Lambda targets asynchronously: retries and destinations per the function's
   * EventInvokeConfig; a failure that ends up nowhere is reported, as Lambda's metrics would show it.
   */
  private async invokeAsync(fn: LocalFunction, event: unknown): Promise<AsyncInvokeResult> {
    const { observer } = this.options;
    const timeScale = this.options.timeScale ?? 1;
    const config = this.invokeConfigs.get(fn.functionName);
    const result = await invokeAsync(fn, this.runtime.resources.arn(fn.logicalId), event, {
      config,
      retryDelaysMs: this.options.asyncRetryDelaysMs ?? LAMBDA_RETRY_DELAYS_MS.map((ms) => ms / timeScale),
      send: (destination, record) => {
        if (!destination.startsWith('arn:aws:sqs:')) {
          observer?.error?.(
            `${fn.logicalId}: destination ${destination} is not served locally (only SQS queues)`,
          );
          return;
        }
        this.queues.send(destination, JSON.stringify(record));
        this.publishQueueDepths();
      },
    });
    if (!result.succeeded) {
      const where = result.record
        ? `its invocation record is in ${this.queues.file(config?.onFailure ?? '')}`
        : 'the event was discarded (no on-failure destination)';
      observer?.error?.(`${fn.logicalId} failed ${result.attempts} time(s) on an event; ${where}`);
    }
    return result;
  }

  /** True while an execution is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no execution is running (new ones may start while waiting). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    if (this.queueMetricsTimer) clearInterval(this.queueMetricsTimer);
    for (const client of Object.values(this.clients)) client.destroy();
    await this.stackApi.stop();
    // The runtime stops the hosting services it started (after the functions that call them).
    await this.runtime.stop();
  }

  private watch(): void {
    const { observer } = this.options;
    this.scheduler.start();
    this.runtime.s3.onEvent((record) => this.onS3Event(record));
    this.runtime.events.onEvent((event) => {
      void this.deliver(event).catch((error: unknown) =>
        observer?.error?.(`Routing ${event['detail-type']}: ${String(error)}`),
      );
    });
    this.sagemaker.onJobEvent((event) => {
      if (event.type === 'log') observer?.trainingLog?.(event.jobName, event.line);
      if (event.type === 'metric')
        observer?.trainingMetric?.(event.jobName, { name: event.name, value: event.value });
    });
  }

  private onS3Event(record: S3EventRecord): void {
    if (!record.eventName.startsWith('ObjectCreated')) return;
    // A versioned bucket gives every upload a new version id; s3rver has none, so one is made per upload.
    this.uploads += 1;
    const versionId = record.s3.object.versionId ?? `local-${Date.now().toString(36)}-${this.uploads}`;
    const event = objectCreatedEvent(record, this.runtime.resources.env, versionId);
    void this.deliver(event).catch((error: unknown) =>
      this.options.observer?.error?.(`Routing an upload: ${String(error)}`),
    );
  }

  private onSchedule(rule: ScheduledRule, _at: Date): void {
    const ruleArn = this.runtime.resources.arn(rule.logicalId);
    // The event carries the real time: the time scale decides when a rule fires, but what the targets compare
    // the time with (S3 LastModified of capture files, registry timestamps) is real.
    const event = scheduledEvent(ruleArn, new Date(), this.runtime.resources.env) as Record<string, unknown>;
    const identity = { arn: ruleArn, name: this.runtime.resources.physicalName(rule.logicalId) };
    for (const target of rule.targets) {
      const input = targetInput(target, event, identity);
      const fn = this.runtime.functions.get(target.arn.split(':function:')[1] ?? '');
      if (fn) void this.track(this.invokeAsync(fn, input));
      if (!target.arn.includes(':stateMachine:')) continue;
      void this.startExecution(target.arn, input).catch((error: unknown) =>
        this.options.observer?.error?.(`Scheduled rule ${rule.logicalId}: ${String(error)}`),
      );
    }
  }

  /**
   * Starts an execution as EventBridge and schedules do (StartExecution without a name) and resolves with its
   * result. It is visible to DescribeExecution / ListExecutions like those the API starts.
   */
  private startExecution(stateMachineArn: string, input: unknown): Promise<ExecutionResult> {
    return this.runtime.executions.start(stateMachineArn, undefined, JSON.stringify(input ?? {})).result;
  }

  /** Runs one execution: progress to the observer, and the status-change event of a failed end. */
  private async runExecution(
    stateMachineArn: string,
    input: unknown,
    context: ExecutionContext,
  ): Promise<ExecutionResult> {
    const logicalId = stateMachineArn.split(':stateMachine:')[1] ?? '';
    const { observer } = this.options;
    const id = context.Execution.Id;
    const ended = (status: 'SUCCEEDED' | 'FAILED' | 'ABORTED', error?: string, cause?: string) =>
      // As Step Functions tells EventBridge: rules on execution status changes (ReconcileExecution) run.
      this.deliver(
        executionStatusChange(this.runtime.resources.env, {
          executionArn: context.Execution.Id,
          stateMachineArn,
          name: context.Execution.Name,
          status,
          input,
          error,
          cause,
        }),
      ).catch((failure: unknown) =>
        observer?.error?.(`Routing the end of execution ${context.Execution.Name}: ${String(failure)}`),
      );
    observer?.executionStarted?.({ id, stateMachine: logicalId, input });
    let result: ExecutionResult;
    try {
      result = await this.runtime.execute(logicalId, input, {
        context,
        integrations: this.integrations(),
        onEvent: (event) => observer?.executionEvent?.(id, event),
      });
    } catch (error) {
      // The local executor itself gave up: the execution ends without reaching an end state.
      executionMetrics(this.services.cloudwatch, stateMachineArn, 'ABORTED');
      await ended('ABORTED', undefined, String(error));
      throw error;
    }
    observer?.executionFinished?.(id, result);
    executionMetrics(this.services.cloudwatch, stateMachineArn, result.status);
    if (result.status === 'FAILED') await ended('FAILED', result.error, result.cause);
    // Every final status reaches EventBridge, as on AWS: RunCost costs succeeded runs too.
    else await ended('SUCCEEDED');
    return result;
  }

  /**
   * Creates the template's alarms in the local CloudWatch and runs their actions on the local SNS
   * (template-alarms.ts), and starts publishing the queues' depths.
   */
  private createTemplateAlarms(): void {
    const { template, resources } = this.runtime;
    const { cloudwatch, sns } = this.services;
    const onError = (message: string) => this.options.observer?.error?.(message);
    createTemplateAlarms(template, resources, cloudwatch, onError);
    cloudwatch.onAlarmChange((alarmName, state, previous) =>
      runAlarmActions({ cloudwatch, sns, env: resources.env, onError }, alarmName, state, previous),
    );
    // SQS publishes queue metrics every minute; at the runtime's time scale, at least once a second.
    const everyMs = Math.max(1000, 60_000 / (this.options.timeScale ?? 1));
    this.publishQueueDepths();
    this.queueMetricsTimer = setInterval(() => this.publishQueueDepths(), everyMs);
    this.queueMetricsTimer.unref();
  }

  private publishQueueDepths(): void {
    publishQueueDepths(this.runtime.template, this.runtime.resources, this.queues, this.services.cloudwatch);
  }

  /**
   * An event of a local service (SageMaker endpoint state and deployment stages, CloudWatch alarm state) as
   * AWS would put it on the default bus: routed through the template's rules.
   */
  private routeServiceEvent(event: Record<string, unknown>): void {
    this.options.observer?.serviceEvent?.(event);
    void this.deliver(event).catch((error: unknown) =>
      this.options.observer?.error?.(`Routing ${String(event['detail-type'])}: ${String(error)}`),
    );
  }

  /**
   * The app's service integrations, by Task Resource ARN: SageMaker training (.sync), the optimized hosting
   * actions and the AWS SDK integration (aws-sdk:sagemaker:describeEndpoint, ...) on the local SageMaker,
   * aws-sdk:cloudwatch and aws-sdk:applicationautoscaling on the local servers. DynamoDB, lambda:invoke,
   * events:putEvents and the Lambdas come from the runtime.
   */
  private integrations(): IntegrationResolver {
    const sync = createTrainingJobSyncTask(this.clients.sagemaker, {
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
    });
    return firstOf(
      (resource) => (resource.endsWith(':states:::sagemaker:createTrainingJob.sync') ? sync : undefined),
      sageMakerOptimizedIntegration(this.clients.sagemaker),
      sageMakerSdkIntegration(this.clients.sagemaker),
      awsSdkIntegrations({
        cloudwatch: this.clients.cloudwatch,
        applicationAutoScaling: this.clients.applicationAutoScaling,
      }),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise)).catch(() => undefined);
    return promise;
  }
}

/** The state the training workflow names, for progress displays. */
export const TRAINING_STATE = TrainingStates.train;
