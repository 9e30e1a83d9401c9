/**
 * A deployment workflow harness for tests and the bench: the synthesized stack on the local runtime (DynamoDB
 * Local, s3rver), the deployment state machine executed with aws-local-stepfunctions, and a simulated SageMaker
 * that the service tasks and the functions' SDK clients share. PrepareDeployment, PromoteDeployment and
 * RecordDeploymentFailure run their real handlers in-process; the functions that call SageMaker run their real
 * logic against the simulation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beginDeployment } from '../../lambdas/begin-deployment/begin';
import { onEndpointEvent } from '../../lambdas/endpoint-event/resume';
import { finishDeployment } from '../../lambdas/finish-deployment/finish';
import { deploymentSettingsFromEnv } from '../../lambdas/shared/deployment/settings';
import type { DeploymentPlan } from '../../lambdas/shared/deployment/workflow';
import { deploymentIdFor } from '../../lambdas/shared/events';
import type { RuntimeDeploymentSettingsMap } from '../../lambdas/shared/model-settings';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { smokeTest } from '../../lambdas/smoke-test/smoke';
import { waitForEndpoint } from '../../lambdas/wait-for-endpoint/wait';
import { DeploymentStates as S } from '../../lib/workflows/deployment';
import { lambdaTask } from '../../local/lambda/functions';
import { LOCAL_CREDENTIALS, LocalRuntime } from '../../local/runtime';
import { taskStates } from '../../local/stepfunctions/definition';
import { type ExecutionResult, type LocalTaskHandler, taskFailure } from '../../local/stepfunctions/executor';
import { type CfnTemplate, findLogicalId } from '../../local/template/template';

export const logger = { appendKeys: () => undefined, info: () => undefined, warn: () => undefined } as never;

/** How the simulated endpoint ends its next change. */
export type EndpointBehaviour = 'succeed' | 'rollback-alarm' | 'rollback-silent' | 'fail' | 'stuck';

interface SimEndpoint {
  status: string;
  config: string;
  pending?: string | undefined;
  failureReason?: string;
}

/** A small SageMaker: models, configs, endpoints, alarms; the endpoint settles when the test says so. */
export class SimulatedSageMaker {
  readonly models = new Map<string, Record<string, unknown>>();
  readonly configs = new Map<string, Record<string, unknown>>();
  readonly endpoints = new Map<string, SimEndpoint>();
  readonly alarms = new Map<string, Record<string, unknown>>();
  readonly scalableTargets = new Map<string, Record<string, unknown>>();
  readonly scalingPolicies = new Map<string, Record<string, unknown>>();
  readonly calls: { action: string; input: Record<string, unknown> }[] = [];
  readonly deleted: string[] = [];
  behaviour: EndpointBehaviour = 'succeed';
  /**
   * Throws from the named action: every time (a ValidationException does not go away on retry), or the first
   * `times` calls (a throttled call that a retry gets through).
   */
  failing: { action: string; error: Error; times?: number } | undefined;
  updatesInFlight = 0;
  maxUpdatesInFlight = 0;

  private fail(action: string): void {
    const failing = this.failing;
    if (failing?.action !== action) return;
    if (failing.times !== undefined) {
      if (failing.times <= 0) return;
      failing.times -= 1;
    }
    throw failing.error;
  }

  private validation(message: string): Error {
    return taskFailure(
      'SageMaker.AmazonSageMakerException',
      `${message} (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)`,
    );
  }

  task(action: string): LocalTaskHandler {
    return async (raw) => {
      const input = raw as Record<string, unknown>;
      this.calls.push({ action, input });
      this.fail(action);
      switch (action) {
        case 'CreateModel':
          if (this.models.has(input.ModelName as string))
            throw this.validation('Cannot create already existing model');
          this.models.set(input.ModelName as string, input);
          return {};
        case 'CreateEndpointConfig':
          if (!this.models.has((input.ProductionVariants as { ModelName: string }[])[0]?.ModelName ?? '')) {
            throw this.validation('Could not find model');
          }
          this.configs.set(input.EndpointConfigName as string, input);
          return {};
        case 'PutMetricAlarm':
          this.alarms.set(input.AlarmName as string, input);
          return {};
        case 'CreateEndpoint':
          this.endpoints.set(input.EndpointName as string, {
            status: 'Creating',
            config: '',
            pending: input.EndpointConfigName as string,
          });
          this.beginUpdate();
          return {};
        case 'UpdateEndpoint': {
          const endpoint = this.endpoints.get(input.EndpointName as string);
          if (!endpoint) throw this.validation('Could not find endpoint');
          if (endpoint.status !== 'InService') throw this.validation(`Cannot update in-progress endpoint`);
          const type = (config: string) =>
            (this.configs.get(config)?.ProductionVariants as { InstanceType?: string }[] | undefined)?.[0]
              ?.InstanceType;
          if (
            this.scalableTargets.has(`endpoint/${input.EndpointName as string}/variant/AllTraffic`) &&
            type(endpoint.config) !== type(input.EndpointConfigName as string)
          ) {
            throw this.validation(
              'The variant is registered with Application Auto Scaling; its instance type cannot change',
            );
          }
          endpoint.status = 'Updating';
          endpoint.pending = input.EndpointConfigName as string;
          // A FailureReason stays until the next update (API_EndpointMetadata, FailureReason).
          delete endpoint.failureReason;
          this.beginUpdate();
          return {};
        }
        case 'DescribeEndpoint': {
          const endpoint = this.endpoints.get(input.EndpointName as string);
          if (!endpoint) throw this.validation('Could not find endpoint');
          return {
            EndpointName: input.EndpointName,
            EndpointStatus: endpoint.status,
            EndpointConfigName: endpoint.config,
            ...(endpoint.failureReason === undefined ? {} : { FailureReason: endpoint.failureReason }),
          };
        }
        case 'RegisterScalableTarget':
          this.scalableTargets.set(input.ResourceId as string, input);
          return {};
        case 'PutScalingPolicy':
          if (!this.scalableTargets.has(input.ResourceId as string)) {
            throw taskFailure(
              'ApplicationAutoScaling.ObjectNotFoundException',
              'No scalable target registered',
            );
          }
          this.scalingPolicies.set(input.ResourceId as string, input);
          return {};
        case 'DeregisterScalableTarget':
          if (!this.scalableTargets.delete(input.ResourceId as string)) {
            throw taskFailure(
              'ApplicationAutoScaling.ObjectNotFoundException',
              'No scalable target registered',
            );
          }
          this.scalingPolicies.delete(input.ResourceId as string);
          return {};
        case 'DeleteEndpoint':
          this.endpoints.delete(input.EndpointName as string);
          return {};
        default:
          throw new Error(`unexpected ${action}`);
      }
    };
  }

  private beginUpdate(): void {
    this.updatesInFlight += 1;
    this.maxUpdatesInFlight = Math.max(this.maxUpdatesInFlight, this.updatesInFlight);
  }

  /**
   * The `SageMaker Endpoint Deployment State Change` events of an update in flight, as SageMaker sends them
   * while it shifts traffic (PendingDeploymentSummary with the new fleet's status and weight): the canary or
   * linear steps of the UpdateEndpoint's routing, then Baking. None for a first endpoint.
   */
  stageEvents(name: string): Record<string, unknown>[] {
    const endpoint = this.endpoints.get(name);
    if (!endpoint || endpoint.pending === undefined || endpoint.config === '') return [];
    const update = this.calls.findLast(
      (c) => c.action === 'UpdateEndpoint' && c.input.EndpointName === name && c.input.DeploymentConfig,
    );
    const routing = (
      update?.input.DeploymentConfig as
        | { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: Record<string, unknown> } }
        | undefined
    )?.BlueGreenUpdatePolicy.TrafficRoutingConfiguration;
    const size = (key: string) => ((routing?.[key] as { Value?: number } | undefined)?.Value ?? 100) / 100;
    const shares =
      routing?.Type === 'CANARY'
        ? [size('CanarySize'), 1]
        : routing?.Type === 'LINEAR'
          ? Array.from({ length: Math.ceil(1 / size('LinearStepSize')) }, (_, i) =>
              Math.min(1, (i + 1) * size('LinearStepSize')),
            )
          : [1];
    const event = (status: string, weight: number) => ({
      'detail-type': 'SageMaker Endpoint Deployment State Change',
      detail: {
        EndpointName: name,
        EndpointStatus: 'UPDATING',
        PendingDeploymentSummary: {
          EndpointConfigName: endpoint.pending,
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              CurrentWeight: weight,
              DesiredWeight: 1,
              VariantStatus: [{ Status: status, StatusMessage: `${status} at ${weight * 100}%` }],
            },
          ],
        },
      },
    });
    return [
      event('Creating', 0),
      ...shares.map((share) => event('ActivatingTraffic', share)),
      ...(this.behaviour === 'succeed' ? [event('Baking', 1)] : []),
    ];
  }

  /** Ends the endpoint's change as {@link behaviour} says; returns the event SageMaker would send. */
  settle(name: string): Record<string, unknown> | undefined {
    const endpoint = this.endpoints.get(name);
    if (!endpoint || endpoint.pending === undefined) return undefined;
    const behaviour = this.behaviour;
    if (behaviour === 'stuck') return undefined;
    this.updatesInFlight -= 1;
    const pending = endpoint.pending;
    endpoint.pending = undefined;
    if (behaviour === 'succeed' || endpoint.config === '') {
      if (behaviour === 'fail' || (endpoint.config === '' && behaviour !== 'succeed')) {
        endpoint.status = 'Failed';
        endpoint.failureReason =
          'The primary container for production variant AllTraffic did not pass the ping health check';
      } else {
        endpoint.status = 'InService';
        endpoint.config = pending;
      }
      return {
        'detail-type': 'SageMaker Endpoint State Change',
        detail: { EndpointName: name, EndpointStatus: 'IN_SERVICE' },
      };
    }
    endpoint.status = 'InService';
    if (behaviour === 'rollback-alarm') {
      // As local/sagemaker/hosting.ts words it: AWS does not publish the rollback's FailureReason.
      endpoint.failureReason = `Deployment of endpoint configuration "${pending}" was rolled back: CloudWatch alarm(s) ${name}-invocation-5xx-errors in ALARM state during the ActivatingTraffic stage.`;
      return {
        'detail-type': 'SageMaker Endpoint Deployment State Change',
        detail: {
          EndpointName: name,
          Stage: 'ROLLBACK_COMPLETED',
          Reason: `CloudWatch alarm ${name}-invocation-5xx-errors went into ALARM state`,
        },
      };
    }
    if (behaviour === 'fail') {
      endpoint.failureReason = 'The new fleet did not become healthy';
    }
    return {
      'detail-type': 'SageMaker Endpoint State Change',
      detail: { EndpointName: name, EndpointStatus: 'IN_SERVICE' },
    };
  }

  /** The SDK client the deployment functions get: DescribeEndpoint, DeleteModel, DeleteEndpointConfig. */
  readonly client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const action = command.constructor.name.replace(/Command$/, '');
      if (action === 'DescribeEndpoint') {
        const endpoint = this.endpoints.get(command.input.EndpointName as string);
        if (!endpoint)
          throw Object.assign(new Error('Could not find endpoint "x".'), { name: 'ValidationException' });
        return {
          EndpointStatus: endpoint.status,
          EndpointConfigName: endpoint.config,
          ...(endpoint.failureReason === undefined ? {} : { FailureReason: endpoint.failureReason }),
        };
      }
      if (action === 'DescribeEndpointConfig') {
        const config = this.configs.get(command.input.EndpointConfigName as string);
        if (!config)
          throw Object.assign(new Error('Could not find endpoint configuration'), {
            name: 'ValidationException',
          });
        return config;
      }
      if (action === 'DeleteModel' || action === 'DeleteEndpointConfig') {
        const name = (command.input.ModelName ?? command.input.EndpointConfigName) as string;
        this.deleted.push(`${action}:${name}`);
        (action === 'DeleteModel' ? this.models : this.configs).delete(name);
        return {};
      }
      throw new Error(`unexpected SDK call ${action}`);
    },
  } as never;
}

/** Probabilities in [0, 1], one per row: what a healthy binary model answers. */
export const probabilities = (rows: number): string =>
  `${Array.from({ length: rows }, (_, i) => (i % 10) / 10).join('\n')}\n`;

/** A logic function as a Lambda task: errors reported by name, as lambdaTask does for the real ones. */
const asTask =
  <T>(fn: (input: T) => Promise<unknown>): LocalTaskHandler =>
  async (input) => {
    try {
      return await fn(input as T);
    } catch (error) {
      const err = error as Error;
      throw taskFailure(err.name, JSON.stringify({ errorType: err.name, errorMessage: err.message }));
    }
  };

export class DeploymentHarness {
  sagemaker = new SimulatedSageMaker();
  published: { DetailType: string; Detail: Record<string, unknown> }[] = [];
  predictions: (rows: number) => string = probabilities;
  beforeSmokeTest: (() => Promise<void>) | undefined;
  waitGate: Promise<void> | undefined;
  /** SageMaker's events after WaitForEndpoint stored its waiter get lost: the wait times out. */
  eventsLost = false;
  prepareErrors: string[] = [];
  /** What BeginDeployment planned, per deployment, in order. */
  plans: DeploymentPlan[] = [];
  private runs = 0;

  private constructor(
    readonly runtime: LocalRuntime,
    readonly registry: ModelRegistryClient,
    readonly s3: S3Client,
    private readonly dynamodb: DynamoDBClient,
    readonly machineId: string,
    readonly artifactsBucket: string,
    readonly settings: RuntimeDeploymentSettingsMap,
  ) {}

  /** Starts the local runtime on a synthesized template. */
  static async start(template: CfnTemplate): Promise<DeploymentHarness> {
    const runtime = await LocalRuntime.start({ template, environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    const machineId = findLogicalId(template, 'AWS::StepFunctions::StateMachine', 'Deployment');
    const artifactsBucket = runtime.resources.physicalName(
      findLogicalId(template, 'AWS::S3::Bucket', 'StorageArtifacts'),
    );
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: runtime.s3.endpoint,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const dynamodb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: runtime.dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const registry = new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(dynamodb),
      tableName: runtime.resources.physicalName(findLogicalId(template, 'AWS::DynamoDB::Table')),
    });
    // The settings the synthesized functions get, read as they read them.
    const withSettings = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('DEPLOYMENT_SETTINGS'),
    ) as unknown as { Properties: { Environment: { Variables: Record<string, string> } } };
    const settings = deploymentSettingsFromEnv(withSettings.Properties.Environment.Variables);
    return new DeploymentHarness(runtime, registry, s3, dynamodb, machineId, artifactsBucket, settings);
  }

  /** A fresh SageMaker and no recorded events, hooks or gates. */
  reset(): void {
    this.sagemaker = new SimulatedSageMaker();
    this.published = [];
    this.predictions = probabilities;
    this.beforeSmokeTest = undefined;
    this.waitGate = undefined;
    this.eventsLost = false;
    this.prepareErrors = [];
    this.plans = [];
  }

  async stop(): Promise<void> {
    this.s3.destroy();
    this.dynamodb.destroy();
    await this.runtime.stop();
  }

  /** MODEL_EXECUTION_ROLES as the synthesized BeginDeployment gets it (role ARNs resolved by the runtime). */
  executionRoles(): Record<string, string> {
    const begin = [...this.runtime.functions.values()].find(
      (fn) => fn.environment.MODEL_EXECUTION_ROLES !== undefined,
    );
    if (!begin) throw new Error('no function has MODEL_EXECUTION_ROLES');
    return JSON.parse(begin.environment.MODEL_EXECUTION_ROLES ?? '{}') as Record<string, string>;
  }

  /** The real handler of a Lambda task of the definition. */
  realTask(state: string): LocalTaskHandler {
    const task = taskStates(this.runtime.stateMachine(this.machineId).definition).find(
      (t) => t.name === state,
    );
    const fn = this.runtime.functions.get(task?.resource.split(':function:')[1] ?? '');
    if (!fn) throw new Error(`no function for ${state}`);
    return lambdaTask(fn);
  }

  /** WaitForEndpoint: stores the waiter, then SageMaker settles and its event resumes the workflow. */
  private readonly waitTask: LocalTaskHandler = async (raw) => {
    const { Payload } = raw as {
      Payload: { taskToken: string; deploymentId: string; endpointName: string; timeoutSeconds: number };
    };
    let output: string | undefined;
    const sfn = {
      send: async (command: { input: { taskToken: string; output: string } }) => {
        output = command.input.output;
        return {};
      },
    } as never;
    const deps = { registry: this.registry, sagemaker: this.sagemaker.client, sfn, logger };
    await waitForEndpoint(Payload, deps);
    if (this.waitGate) await this.waitGate;
    // The later blue/green stages (Creating came with UpdateEndpoint), each recorded on the deployment; none of
    // them resumes it (the endpoint is Updating).
    const stages = this.sagemaker.stageEvents(Payload.endpointName).slice(1);
    for (const stage of this.eventsLost ? [] : stages) {
      if ((await onEndpointEvent(stage, deps)).resumed)
        throw new Error('a blue/green stage resumed a deployment');
    }
    const event = this.sagemaker.settle(Payload.endpointName);
    if (event && !this.eventsLost) {
      await onEndpointEvent(event, deps);
      // A duplicate delivery of the same event finds no waiter: nothing is resumed twice.
      if ((await onEndpointEvent(event, deps)).resumed)
        throw new Error('an endpoint event resumed a deployment twice');
    }
    if (output === undefined) throw taskFailure('States.Timeout', 'The task timed out.');
    return JSON.parse(output);
  };

  /**
   * UpdateEndpoint, and the new fleet's Creating stage that SageMaker announces right away, before WaitForEndpoint
   * stored its waiter; delivered twice, as SageMaker may send an event more than once
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
   */
  private readonly updateTask: LocalTaskHandler = async (input) => {
    const output = await this.sagemaker.task('UpdateEndpoint')(input);
    const sfn = {
      send: async () => {
        throw new Error('the Creating stage resumed a deployment');
      },
    } as never;
    const deps = { registry: this.registry, sagemaker: this.sagemaker.client, sfn, logger };
    const [creating] = this.sagemaker.stageEvents((input as { EndpointName: string }).EndpointName);
    if (creating) for (let i = 0; i < 2; i++) await onEndpointEvent(creating, deps);
    return output;
  };

  private readonly publish = async (input: unknown) => {
    const { Entries } = input as { Entries: { DetailType: string; Detail: Record<string, unknown> }[] };
    this.published.push(...Entries);
    return { FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `e${i}` })) };
  };

  /** Every Task state's local handler. */
  services(): Record<string, LocalTaskHandler> {
    const sm = this.sagemaker;
    const { registry, settings, s3 } = this;
    return {
      [S.prepare]: async (input) => {
        try {
          return await this.realTask(S.prepare)(input);
        } catch (error) {
          this.prepareErrors.push((error as Error).name);
          throw error;
        }
      },
      [S.begin]: asTask(async (input: { deployment: Parameters<typeof beginDeployment>[0] }) => {
        const plan = await beginDeployment(input.deployment, {
          registry,
          sagemaker: sm.client,
          settings,
          namePrefix: 'serverlessmlops',
          artifactsBucket: this.artifactsBucket,
          kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/test',
          executionRoles: this.executionRoles(),
          logger,
        });
        this.plans.push(plan);
        return plan;
      }),
      [S.createModel]: sm.task('CreateModel'),
      [S.createEndpointConfig]: sm.task('CreateEndpointConfig'),
      [S.createServerlessEndpointConfig]: sm.task('CreateEndpointConfig'),
      ...Object.fromEntries(S.putAlarms.map((name) => [name, sm.task('PutMetricAlarm')])),
      [S.createEndpoint]: sm.task('CreateEndpoint'),
      [S.updateEndpoint]: this.updateTask,
      [S.deregisterScalableTarget]: sm.task('DeregisterScalableTarget'),
      [S.registerScalableTarget]: sm.task('RegisterScalableTarget'),
      [S.putScalingPolicy]: sm.task('PutScalingPolicy'),
      [S.waitForEndpoint]: this.waitTask,
      [S.describeAfterWait]: async (input) => {
        const endpoint = sm.endpoints.get((input as { EndpointName: string }).EndpointName);
        // The change completes while nobody listens (no event came): the describe is what decides.
        if (endpoint?.pending !== undefined) {
          endpoint.status = 'InService';
          endpoint.config = endpoint.pending;
          endpoint.pending = undefined;
          sm.updatesInFlight -= 1;
        }
        return sm.task('DescribeEndpoint')(input);
      },
      [S.smokeTest]: asTask(async (input: Parameters<typeof smokeTest>[0]) => {
        await this.beforeSmokeTest?.();
        const runtimeClient = {
          send: async (command: { input: { Body: Uint8Array; EndpointName: string } }) => {
            const rows = new TextDecoder().decode(command.input.Body).trim().split('\n').length;
            return { Body: new TextEncoder().encode(this.predictions(rows)) };
          },
        } as never;
        return smokeTest(input, { s3, runtime: runtimeClient, registry, logger });
      }),
      [S.promote]: this.realTask(S.promote),
      [S.publishDeployed]: this.publish,
      [S.finishPromoted]: asTask((input: Parameters<typeof finishDeployment>[0]) =>
        finishDeployment(input, { registry, sagemaker: sm.client, settings, logger }),
      ),
      [S.finishAfterAutoscalingFailure]: asTask((input: Parameters<typeof finishDeployment>[0]) =>
        finishDeployment(input, { registry, sagemaker: sm.client, settings, logger }),
      ),
      [S.restorePrevious]: this.updateTask,
      [S.waitForRestore]: async (input) => {
        const behaviour = sm.behaviour;
        sm.behaviour = 'succeed';
        try {
          return await this.waitTask(input);
        } finally {
          sm.behaviour = behaviour;
        }
      },
      [S.deleteUnverified]: sm.task('DeleteEndpoint'),
      [S.recordFailure]: this.realTask(S.recordFailure),
      [S.publishFailed]: this.publish,
      [S.finishFailed]: asTask((input: Parameters<typeof finishDeployment>[0]) =>
        finishDeployment(input, { registry, sagemaker: sm.client, settings, logger }),
      ),
    };
  }

  /** Runs one deployment as StartDeployment would start it. */
  deploy(
    model: string,
    version: number,
    options: { kind?: 'deploy' | 'rollback'; requestId?: string; retryIntervalMs?: number } = {},
  ): Promise<ExecutionResult> {
    this.runs += 1;
    const kind = options.kind ?? 'deploy';
    const request = { model, version, kind, requestId: options.requestId ?? `req-${this.runs}` };
    const deploymentId = deploymentIdFor(request);
    return this.execute(
      { deploymentId, model, version, kind, requestedBy: 'ana@laptop' },
      options.retryIntervalMs ?? 0,
    );
  }

  /** Runs one execution with this input (as StartExecution would get it). */
  execute(
    input: { readonly deploymentId: string } & Record<string, unknown>,
    retryIntervalMs = 0,
  ): Promise<ExecutionResult> {
    // Step Functions fills $$ (execution and task token); the local executor takes it as given.
    const context = {
      Execution: {
        Id: `arn:aws:states:us-east-1:123456789012:execution:deploy:${input.deploymentId}`,
        Name: input.deploymentId,
        StartTime: new Date().toISOString(),
      },
      Task: { Token: `token-${input.deploymentId}` },
    };
    return this.runtime.execute(this.machineId, input, {
      services: this.services(),
      retryIntervalMs,
      waitMs: 0,
      context,
    });
  }

  /** Registers an Approved version with a validation split in s3rver. */
  async approved(model: string, objective = 'binary:logistic'): Promise<number> {
    this.runs += 1;
    const runId = `${model}-run${this.runs}`;
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 2},${i},${(i * 7) % 13},${i % 3}`).join('\n');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.artifactsBucket,
        Key: `runs/${runId}/splits/validation/validation.csv`,
        Body: `${rows}\n`,
      }),
    );
    const { version } = await this.registry.registerVersion(model, {
      status: 'Approved',
      lineage: {
        dataset: {
          bucket: 'data',
          key: `datasets/${model}/d.csv`,
          versionId: `v${this.runs}`,
          sha256: 'a'.repeat(64),
          rowCount: 30,
        },
        trainingJobName: runId,
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        hyperparameters: { objective },
        metrics: { 'validation:auc': 0.9 },
        artifactUri: `s3://${this.artifactsBucket}/runs/${runId}/output/${runId}/output/model.tar.gz`,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
        runId,
      },
    });
    return version.version;
  }
}
