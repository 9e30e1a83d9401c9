/**
 * Executes the synthesized deployment state machine (references resolved) with aws-local-stepfunctions.
 * The registry is DynamoDB Local and the splits live in s3rver; PrepareDeployment, PromoteDeployment and
 * RecordDeploymentFailure run their real handlers in-process. The functions that call SageMaker run their real
 * logic with a simulated SageMaker (below), and the SageMaker/CloudWatch/EventBridge service tasks are played
 * by state name against the same simulation, so the endpoint events, the task-token resume, the restore and
 * the cleanup all meet the same endpoint.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beginDeployment } from '../../lambdas/begin-deployment/begin';
import { onEndpointEvent } from '../../lambdas/endpoint-event/resume';
import { finishDeployment } from '../../lambdas/finish-deployment/finish';
import { deploymentSettingsFromEnv } from '../../lambdas/shared/deployment/settings';
import {
  DEPLOYMENT_FAILED,
  DEPLOYMENT_REQUESTED,
  deploymentIdFor,
  MODEL_APPROVED,
  MODEL_DEPLOYED,
  MODEL_REGISTERED,
} from '../../lambdas/shared/events';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { smokeTest } from '../../lambdas/smoke-test/smoke';
import { startDeployment } from '../../lambdas/start-deployment/start';
import { waitForEndpoint } from '../../lambdas/wait-for-endpoint/wait';
import { DeploymentStates as S } from '../../lib/workflows/deployment';
import { lambdaTask } from '../../local/lambda/functions';
import { LOCAL_CREDENTIALS, LocalRuntime } from '../../local/runtime';
import { taskStates } from '../../local/stepfunctions/definition';
import { type ExecutionResult, type LocalTaskHandler, taskFailure } from '../../local/stepfunctions/executor';
import { findLogicalId } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const CONFIG = {
  models: {
    defaults: { deployment: { mode: 'auto' } },
    churn: { problemType: 'binary', targetColumn: 'churned' },
    canary: {
      problemType: 'binary',
      targetColumn: 'churned',
      deployment: {
        endpoint: { initialInstanceCount: 2 },
        trafficRouting: { type: 'CANARY', canaryPercent: 10, wait: '120s' },
        retainVersions: 1,
      },
    },
    sless: {
      problemType: 'regression',
      targetColumn: 'price',
      deployment: { endpoint: { type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 5 } },
    },
    manual: { problemType: 'binary', targetColumn: 'churned', deployment: { mode: 'manual' } },
  },
};

const logger = { appendKeys: () => undefined, info: () => undefined, warn: () => undefined } as never;

/** How the simulated endpoint ends its next change. */
type EndpointBehaviour = 'succeed' | 'rollback-alarm' | 'rollback-silent' | 'fail' | 'stuck';

interface SimEndpoint {
  status: string;
  config: string;
  pending?: string | undefined;
  failureReason?: string;
}

/** A small SageMaker: models, configs, endpoints, alarms; the endpoint settles when the test says so. */
class SimulatedSageMaker {
  readonly models = new Map<string, Record<string, unknown>>();
  readonly configs = new Map<string, Record<string, unknown>>();
  readonly endpoints = new Map<string, SimEndpoint>();
  readonly alarms = new Map<string, Record<string, unknown>>();
  readonly calls: { action: string; input: Record<string, unknown> }[] = [];
  readonly deleted: string[] = [];
  behaviour: EndpointBehaviour = 'succeed';
  /** Throws from the named action, every time (a ValidationException does not go away on retry). */
  failing: { action: string; error: Error } | undefined;
  updatesInFlight = 0;
  maxUpdatesInFlight = 0;

  private fail(action: string): void {
    if (this.failing?.action === action) throw this.failing.error;
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
          endpoint.status = 'Updating';
          endpoint.pending = input.EndpointConfigName as string;
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
          };
        }
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

describe('deployment workflow, executed from the synthesized definition', () => {
  let runtime: LocalRuntime;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let registry: ModelRegistryClient;
  let machineId: string;
  let artifactsBucket: string;
  let sagemaker: SimulatedSageMaker;
  let published: { DetailType: string; Detail: Record<string, unknown> }[];
  let predictions: (rows: number) => string;
  let beforeSmokeTest: (() => Promise<void>) | undefined;
  let waitGate: Promise<void> | undefined;
  let prepareErrors: string[];
  let settings: ReturnType<typeof deploymentSettingsFromEnv>;
  let runs = 0;

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

  /** The real handler of a Lambda task of the definition. */
  const realTask = (state: string): LocalTaskHandler => {
    const task = taskStates(runtime.stateMachine(machineId).definition).find((t) => t.name === state);
    const fn = runtime.functions.get(task?.resource.split(':function:')[1] ?? '');
    if (!fn) throw new Error(`no function for ${state}`);
    return lambdaTask(fn);
  };

  /** WaitForEndpoint: stores the waiter, then SageMaker settles and its event resumes the workflow. */
  const waitTask: LocalTaskHandler = async (raw) => {
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
    const deps = { registry, sagemaker: sagemaker.client, sfn, logger };
    await waitForEndpoint(Payload, deps);
    if (waitGate) await waitGate;
    const event = sagemaker.settle(Payload.endpointName);
    if (event) await onEndpointEvent(event, deps);
    // A duplicate delivery of the same event finds no waiter: nothing is resumed twice.
    if (event) expect(await onEndpointEvent(event, deps)).toMatchObject({ resumed: false });
    if (output === undefined) throw taskFailure('States.Timeout', 'The task timed out.');
    return JSON.parse(output);
  };

  const services = (): Record<string, LocalTaskHandler> => {
    const sm = sagemaker;
    return {
      [S.prepare]: async (input) => {
        try {
          return await realTask(S.prepare)(input);
        } catch (error) {
          prepareErrors.push((error as Error).name);
          throw error;
        }
      },
      [S.begin]: asTask((input: { deployment: Parameters<typeof beginDeployment>[0] }) =>
        beginDeployment(input.deployment, {
          registry,
          sagemaker: sm.client,
          settings,
          namePrefix: 'serverlessmlops',
          artifactsBucket,
          kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/test',
          executionRoleArn: 'arn:aws:iam::123456789012:role/model',
          logger,
        }),
      ),
      [S.createModel]: sm.task('CreateModel'),
      [S.createEndpointConfig]: sm.task('CreateEndpointConfig'),
      ...Object.fromEntries(S.putAlarms.map((name) => [name, sm.task('PutMetricAlarm')])),
      [S.createEndpoint]: sm.task('CreateEndpoint'),
      [S.updateEndpoint]: sm.task('UpdateEndpoint'),
      [S.waitForEndpoint]: waitTask,
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
        await beforeSmokeTest?.();
        const runtimeClient = {
          send: async (command: { input: { Body: Uint8Array; EndpointName: string } }) => {
            const rows = new TextDecoder().decode(command.input.Body).trim().split('\n').length;
            return { Body: new TextEncoder().encode(predictions(rows)) };
          },
        } as never;
        return smokeTest(input, { s3, runtime: runtimeClient, registry, logger });
      }),
      [S.promote]: realTask(S.promote),
      [S.publishDeployed]: async (input) => publish(input),
      [S.finishPromoted]: asTask((input: Parameters<typeof finishDeployment>[0]) =>
        finishDeployment(input, { registry, sagemaker: sm.client, settings, logger }),
      ),
      [S.restorePrevious]: sm.task('UpdateEndpoint'),
      [S.waitForRestore]: async (input) => {
        const behaviour = sm.behaviour;
        sm.behaviour = 'succeed';
        try {
          return await waitTask(input);
        } finally {
          sm.behaviour = behaviour;
        }
      },
      [S.deleteUnverified]: sm.task('DeleteEndpoint'),
      [S.recordFailure]: realTask(S.recordFailure),
      [S.publishFailed]: async (input) => publish(input),
      [S.finishFailed]: asTask((input: Parameters<typeof finishDeployment>[0]) =>
        finishDeployment(input, { registry, sagemaker: sm.client, settings, logger }),
      ),
    };
  };

  const publish = async (input: unknown) => {
    const { Entries } = input as { Entries: { DetailType: string; Detail: Record<string, unknown> }[] };
    published.push(...Entries);
    return { FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `e${i}` })) };
  };

  /** Runs one deployment as StartDeployment would start it. */
  const deploy = (
    model: string,
    version: number,
    options: { kind?: 'deploy' | 'rollback'; requestId?: string; retryIntervalMs?: number } = {},
  ): Promise<ExecutionResult> => {
    runs += 1;
    const kind = options.kind ?? 'deploy';
    const request = { model, version, kind, requestId: options.requestId ?? `req-${runs}` };
    const deploymentId = deploymentIdFor(request);
    const context = {
      Execution: {
        Id: `arn:aws:states:us-east-1:123456789012:execution:deploy:${deploymentId}`,
        Name: deploymentId,
        StartTime: new Date().toISOString(),
      },
      Task: { Token: `token-${deploymentId}` },
    };
    return runtime.execute(
      machineId,
      { deploymentId, model, version, kind, requestedBy: 'ana@laptop' },
      { services: services(), retryIntervalMs: options.retryIntervalMs ?? 0, waitMs: 0, context },
    );
  };

  /** Registers an Approved version with a validation split in s3rver. */
  const approved = async (model: string, objective = 'binary:logistic'): Promise<number> => {
    runs += 1;
    const runId = `${model}-run${runs}`;
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 2},${i},${(i * 7) % 13},${i % 3}`).join('\n');
    await s3.send(
      new PutObjectCommand({
        Bucket: artifactsBucket,
        Key: `runs/${runId}/splits/validation/validation.csv`,
        Body: `${rows}\n`,
      }),
    );
    const { version } = await registry.registerVersion(model, {
      status: 'Approved',
      lineage: {
        dataset: {
          bucket: 'data',
          key: `datasets/${model}/d.csv`,
          versionId: `v${runs}`,
          sha256: 'a'.repeat(64),
          rowCount: 30,
        },
        trainingJobName: runId,
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        hyperparameters: { objective },
        metrics: { 'validation:auc': 0.9 },
        artifactUri: `s3://${artifactsBucket}/runs/${runId}/output/${runId}/output/model.tar.gz`,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:training:${runId}`,
        runId,
      },
    });
    return version.version;
  };

  const probabilities = (rows: number) =>
    `${Array.from({ length: rows }, (_, i) => (i % 10) / 10).join('\n')}\n`;

  beforeAll(async () => {
    const { template } = synthStack({ config: CONFIG });
    const json = template.toJSON() as Parameters<typeof LocalRuntime.start>[0]['template'];
    runtime = await LocalRuntime.start({ template: json, environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    machineId = findLogicalId(json, 'AWS::StepFunctions::StateMachine', 'Deployment');
    artifactsBucket = runtime.resources.physicalName(
      findLogicalId(json, 'AWS::S3::Bucket', 'StorageArtifacts'),
    );
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: runtime.s3.endpoint,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    dynamodb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: runtime.dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    registry = new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(dynamodb),
      tableName: runtime.resources.physicalName(findLogicalId(json, 'AWS::DynamoDB::Table')),
    });
    // The settings the synthesized functions get, read as they read them.
    const prepareFn = Object.values(json.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('DEPLOYMENT_SETTINGS'),
    ) as unknown as { Properties: { Environment: { Variables: Record<string, string> } } };
    settings = deploymentSettingsFromEnv(prepareFn.Properties.Environment.Variables);
  });

  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await runtime?.stop();
  });

  beforeEach(() => {
    sagemaker = new SimulatedSageMaker();
    published = [];
    predictions = probabilities;
    beforeSmokeTest = undefined;
    waitGate = undefined;
    prepareErrors = [];
  });

  it('deploys a first version: endpoint created, smoke-tested, promoted, announced, lease released', async () => {
    const version = await approved('churn');

    const result = await deploy('churn', version);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.stateTransitions).toBeLessThanOrEqual(25);
    const actions = sagemaker.calls.map((c) => c.action);
    expect(actions).toEqual([
      'CreateModel',
      'CreateEndpointConfig',
      'PutMetricAlarm',
      'PutMetricAlarm',
      'PutMetricAlarm',
      'CreateEndpoint',
    ]);
    const config = sagemaker.configs.get('serverlessmlops-churn-v1-a1') as Record<string, unknown>;
    expect(config).toMatchObject({
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'serverlessmlops-churn-v1-a1', InstanceType: 'ml.m5.large' },
      ],
      DataCaptureConfig: { EnableCapture: true, DestinationS3Uri: `s3://${artifactsBucket}/capture/churn` },
      KmsKeyId: expect.stringContaining(':key/'),
    });
    expect(sagemaker.calls[0]?.input).toMatchObject({
      ExecutionRoleArn: expect.stringContaining('DeploymentModelExecutionRole'),
      EnableNetworkIsolation: true,
    });
    expect([...sagemaker.alarms.keys()]).toEqual([
      'serverlessmlops-churn-invocation-5xx-errors',
      'serverlessmlops-churn-model-latency-p99',
      'serverlessmlops-churn-invocation-error-rate',
    ]);
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version });
    expect(await registry.getVersion('churn', version)).toMatchObject({
      status: 'Deployed',
      deployment: {
        endpointName: 'serverlessmlops-churn',
        endpointConfigName: 'serverlessmlops-churn-v1-a1',
      },
    });
    const deployment = await registry.getDeployment(
      deploymentIdFor({ model: 'churn', version, kind: 'deploy', requestId: `req-${runs}` }),
    );
    expect(deployment?.status).toBe('Promoted');
    expect(deployment?.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Began', 'Planned', 'SmokeTested']),
    );
    expect(deployment?.stages.find((s) => s.name === 'SmokeTested')?.details).toMatchObject({
      passed: true,
      rows: 20,
    });
    expect(published).toEqual([
      expect.objectContaining({
        DetailType: MODEL_DEPLOYED,
        Detail: expect.objectContaining({ model: 'churn', version, previousVersion: null, kind: 'deploy' }),
      }),
    ]);
    expect(await registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('updates with a canary: UpdateEndpoint carries the blue/green policy and the alarms; the previous version retires', async () => {
    const v1 = await approved('canary');
    expect((await deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('canary');
    sagemaker.calls.length = 0;

    const result = await deploy('canary', v2);

    expect(result.status).toBe('SUCCEEDED');
    const update = sagemaker.calls.find((c) => c.action === 'UpdateEndpoint');
    expect(update?.input).toEqual({
      EndpointName: 'serverlessmlops-canary',
      EndpointConfigName: 'serverlessmlops-canary-v2-a1',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            WaitIntervalInSeconds: 120,
          },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: expect.any(Number),
        },
        AutoRollbackConfiguration: {
          Alarms: [
            { AlarmName: 'serverlessmlops-canary-invocation-5xx-errors' },
            { AlarmName: 'serverlessmlops-canary-model-latency-p99' },
            { AlarmName: 'serverlessmlops-canary-invocation-error-rate' },
          ],
        },
      },
    });
    expect(sagemaker.calls.some((c) => c.action === 'CreateEndpoint')).toBe(false);
    expect(await registry.getAlias('canary', 'production')).toMatchObject({ version: v2 });
    expect((await registry.getVersion('canary', v1))?.status).toBe('Retired');
    expect(published.at(-1)?.Detail).toMatchObject({ version: v2, previousVersion: v1 });

    // retainVersions 1: a third version keeps v2's model and config, and deletes v1's.
    const v3 = await approved('canary');
    expect((await deploy('canary', v3)).status).toBe('SUCCEEDED');
    expect(sagemaker.deleted).toEqual([
      'DeleteEndpointConfig:serverlessmlops-canary-v1-a1',
      'DeleteModel:serverlessmlops-canary-v1-a1',
    ]);
  });

  it('records an alarm rollback as RolledBack with the alarm, leaves production alone and announces DeploymentFailed', async () => {
    const v1 = await approved('churn');
    expect((await deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('churn');
    sagemaker.behaviour = 'rollback-alarm';
    published.length = 0;

    const result = await deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeploymentNotPromoted');
    expect(result.stateTransitions).toBeLessThanOrEqual(35);
    const version = await registry.getVersion('churn', v2);
    expect(version?.status).toBe('RolledBack');
    expect(version?.statusReason).toContain('serverlessmlops-churn-invocation-5xx-errors');
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
    expect((await registry.getVersion('churn', v1))?.status).toBe('Deployed');
    expect(published).toEqual([
      expect.objectContaining({
        DetailType: DEPLOYMENT_FAILED,
        Detail: expect.objectContaining({ outcome: 'RolledBack', version: v2, recorded: true }),
      }),
    ]);
    expect(
      sagemaker.calls.some(
        (c) =>
          c.action === 'UpdateEndpoint' && c.input.EndpointConfigName === `serverlessmlops-churn-v${v1}-a1`,
      ),
    ).toBe(false);
    expect(await registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('catches a silent rollback: InService on the old config with no alarm named', async () => {
    const v1 = await approved('churn');
    expect((await deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('churn');
    sagemaker.behaviour = 'rollback-silent';

    const result = await deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    const version = await registry.getVersion('churn', v2);
    expect(version?.status).toBe('RolledBack');
    expect(version?.statusReason).toMatch(
      /serves serverlessmlops-churn-v\d+-a1, not serverlessmlops-churn-v\d+-a1 \(no event named an alarm: a silent rollback\)/,
    );
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
  });

  it("fails on SageMaker's ValidationException with its message, before touching the endpoint", async () => {
    const version = await approved('churn');
    sagemaker.failing = {
      action: 'CreateEndpointConfig',
      error: taskFailure(
        'SageMaker.AmazonSageMakerException',
        'ValidationException: The KmsKeyId is not valid (Service: AmazonSageMaker; Status Code: 400)',
      ),
    };
    const production = await registry.getAlias('churn', 'production');

    const result = await deploy('churn', version);

    expect(result.status).toBe('FAILED');
    const stored = await registry.getVersion('churn', version);
    expect(stored?.status).toBe('Failed');
    expect(stored?.statusReason).toContain('ValidationException: The KmsKeyId is not valid');
    // Tried once and retried twice (SageMaker's ValidationException arrives as AmazonSageMakerException).
    expect(sagemaker.calls.filter((c) => c.action === 'CreateEndpointConfig')).toHaveLength(3);
    expect(sagemaker.calls.map((c) => c.action)).not.toContain('UpdateEndpoint');
    expect(await registry.getAlias('churn', 'production')).toEqual(production);
    expect(await registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('rolls the endpoint back to the previous config when the smoke test fails, and marks the version Failed', async () => {
    const v1 = await approved('canary');
    expect((await deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('canary');
    predictions = (rows) => `${Array.from({ length: rows }, () => '1.7').join('\n')}\n`;
    const previousConfig = sagemaker.endpoints.get('serverlessmlops-canary')?.config;

    const result = await deploy('canary', v2);

    expect(result.status).toBe('FAILED');
    const restore = sagemaker.calls.filter((c) => c.action === 'UpdateEndpoint').at(-1);
    expect(restore?.input).toEqual({
      EndpointName: 'serverlessmlops-canary',
      EndpointConfigName: previousConfig,
    });
    expect(sagemaker.endpoints.get('serverlessmlops-canary')).toMatchObject({
      status: 'InService',
      config: previousConfig,
    });
    const version = await registry.getVersion('canary', v2);
    expect(version?.status).toBe('Failed');
    expect(version?.statusReason).toContain('smoke test failed: row 1: 1.7 is not a probability in [0, 1]');
    expect(version?.statusReason).toContain(`endpoint restored to ${previousConfig}`);
    expect(await registry.getAlias('canary', 'production')).toMatchObject({ version: v1 });
  });

  it('serializes two approvals of one model: the second waits for the lease, never two endpoint updates at once', async () => {
    const v1 = await approved('churn');
    const v2 = await approved('churn');
    let open!: () => void;
    waitGate = new Promise((resolve) => {
      open = resolve;
    });

    const first = deploy('churn', v1, { retryIntervalMs: 250 });
    // The second starts while the first holds the lease and waits on its endpoint.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = deploy('churn', v2, { retryIntervalMs: 250 });
    while (prepareErrors.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    waitGate = undefined;
    open();
    const results = await Promise.all([first, second]);

    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(prepareErrors[0]).toBe('LeaseHeldError');
    expect(sagemaker.maxUpdatesInFlight).toBe(1);
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version: v2 });
    expect((await registry.getVersion('churn', v1))?.status).toBe('Retired');
  });

  it('gives up on a held lease after its bounded wait, naming the holder', async () => {
    const version = await approved('churn');
    await registry.takeDeploymentLease('churn', 'someone-else', { ttlSeconds: 600 });
    try {
      const result = await deploy('churn', version);

      expect(result.status).toBe('FAILED');
      // The first attempt and its 12 retries (LEASE_RETRY).
      expect(prepareErrors).toHaveLength(13);
      expect(published[0]?.Detail).toMatchObject({ outcome: 'Failed' });
      expect(JSON.stringify(published[0]?.Detail.reasons)).toContain('someone-else');
      expect((await registry.getVersion('churn', version))?.status).toBe('Approved');
      expect(await registry.getDeploymentLease('churn')).toMatchObject({ holder: 'someone-else' });
    } finally {
      await registry.releaseDeploymentLease('churn', 'someone-else');
    }
  });

  it('starts one deployment per approval however often and however it is announced; manual models wait for a request', async () => {
    const version = await approved('churn');
    const names = new Set<string>();
    const inputs: string[] = [];
    const sfn = {
      send: async (command: { input: { name: string; input: string } }) => {
        // Step Functions refuses a name it has seen (API_StartExecution): ExecutionAlreadyExists.
        if (names.has(command.input.name))
          throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
        names.add(command.input.name);
        inputs.push(command.input.input);
        return { executionArn: `arn:execution:${command.input.name}` };
      },
    } as never;
    const deps = {
      sfn,
      stateMachineArn: 'arn:sm',
      modes: { defaults: 'auto' as const, manual: 'manual' as const },
      logger,
    };
    const approvedEvent = {
      'detail-type': MODEL_APPROVED,
      detail: { model: 'churn', version, status: 'Approved', actor: 'ana@laptop' },
    };
    const registered = {
      'detail-type': MODEL_REGISTERED,
      detail: { model: 'churn', version, status: 'Approved' },
    };

    const results = [
      await startDeployment(approvedEvent, deps),
      await startDeployment(approvedEvent, deps),
      await startDeployment(registered, deps),
      await startDeployment(
        {
          'detail-type': MODEL_APPROVED,
          detail: { model: 'manual', version: 1, status: 'Approved', actor: 'a' },
        },
        deps,
      ),
      await startDeployment(
        {
          'detail-type': DEPLOYMENT_REQUESTED,
          detail: {
            model: 'manual',
            version: 1,
            kind: 'deploy',
            requestId: 'r-1',
            requestedBy: 'ana@laptop',
          },
        },
        deps,
      ),
    ];

    expect(results.map((r) => r.started)).toEqual([true, false, false, false, true]);
    expect(results[3]).toMatchObject({ why: expect.stringContaining('mlops deploy manual 1') });
    expect(inputs).toHaveLength(2);
    const execution = JSON.parse(inputs[0] ?? '{}');
    expect(execution.deploymentId).toBe(results[0]?.deploymentId);
    // The one execution runs the deployment once.
    const context = {
      Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:d:x', Name: 'x', StartTime: '' },
      Task: { Token: 't' },
    };
    const result = await runtime.execute(machineId, execution, {
      services: services(),
      retryIntervalMs: 0,
      waitMs: 0,
      context,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect((await registry.listDeployments('churn')).items.filter((d) => d.version === version)).toHaveLength(
      1,
    );
  });

  it('rolls back to an earlier version through the same workflow, as a new attempt marked rollback', async () => {
    const v1 = await approved('churn');
    expect((await deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('churn');
    expect((await deploy('churn', v2)).status).toBe('SUCCEEDED');

    const result = await deploy('churn', v1, { kind: 'rollback' });

    expect(result.status).toBe('SUCCEEDED');
    expect(sagemaker.endpoints.get('serverlessmlops-churn')?.config).toBe(`serverlessmlops-churn-v${v1}-a2`);
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
    expect((await registry.getVersion('churn', v2))?.status).toBe('Retired');
    const latest = (await registry.listDeployments('churn')).items[0];
    expect(latest).toMatchObject({ kind: 'rollback', version: v1, attempt: 2, status: 'Promoted' });
    expect(published.at(-1)?.Detail).toMatchObject({ kind: 'rollback', version: v1, previousVersion: v2 });
  });

  it('fails clearly when production moved meanwhile: nothing half-written, the endpoint put back', async () => {
    const v1 = await approved('churn');
    expect((await deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await approved('churn');
    const before = await registry.getAlias('churn', 'production');
    beforeSmokeTest = async () => {
      // Someone points production elsewhere (and back to the same version: a new revision) mid-deployment.
      await registry.setAlias('churn', 'production', v1, {
        expectedVersion: v1,
        reason: 'manual fix',
        actor: 'ops',
      });
    };

    const result = await deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    const version = await registry.getVersion('churn', v2);
    expect(version?.status).toBe('Failed');
    expect(version?.statusReason).toContain('AliasMovedError');
    const alias = await registry.getAlias('churn', 'production');
    expect(alias?.version).toBe(v1);
    expect(alias?.revision).toBe((before?.revision ?? 0) + 1);
    expect((await registry.getVersion('churn', v1))?.status).toBe('Deployed');
    expect(sagemaker.endpoints.get('serverlessmlops-churn')?.config).toBe(
      before === undefined ? undefined : `serverlessmlops-churn-v${v1}-a1`,
    );
  });

  it('deploys a serverless endpoint: ServerlessConfig, no capture, no KMS volume key, no network isolation', async () => {
    const version = await approved('sless', 'reg:squarederror');
    predictions = (rows) => `${Array.from({ length: rows }, (_, i) => 100 + i).join(',')}`;

    const result = await deploy('sless', version);

    expect(result.status).toBe('SUCCEEDED');
    const config = sagemaker.configs.get(`serverlessmlops-sless-v${version}-a1`);
    expect(config).toEqual({
      EndpointConfigName: `serverlessmlops-sless-v${version}-a1`,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: `serverlessmlops-sless-v${version}-a1`,
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
        },
      ],
    });
    expect(sagemaker.calls[0]?.input).toMatchObject({ EnableNetworkIsolation: false });
    expect(await registry.getAlias('sless', 'production')).toMatchObject({ version });
  });

  it('reads DescribeEndpoint once when no event came before the wait timed out, and decides on it', async () => {
    const version = await approved('churn');
    const v0 = (await registry.getAlias('churn', 'production'))?.version;
    sagemaker.endpoints.set('serverlessmlops-churn', {
      status: 'InService',
      config: `serverlessmlops-churn-v${v0 ?? 1}-a1`,
    });
    sagemaker.behaviour = 'stuck';

    const result = await deploy('churn', version);

    expect(result.status).toBe('SUCCEEDED');
    expect(
      result.events.some(
        (e) =>
          e.type === 'StateEntered' &&
          (e as { state?: { name?: string } }).state?.name === S.describeAfterWait,
      ),
    ).toBe(true);
    expect(await registry.getAlias('churn', 'production')).toMatchObject({ version });
  });
});
