/**
 * Executes the synthesized deployment state machine (references resolved) with aws-local-stepfunctions, through
 * the deployment harness (test/support/deployment-harness.ts): DynamoDB Local and s3rver for the registry and the
 * splits, real handlers for PrepareDeployment, PromoteDeployment and RecordDeploymentFailure, and a simulated
 * SageMaker shared by the service tasks and the functions that call SageMaker, so endpoint events, the task-token
 * resume, the restore and the cleanup all meet the same endpoint.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEPLOYMENT_FAILED,
  DEPLOYMENT_REQUESTED,
  MODEL_APPROVED,
  MODEL_DEPLOYED,
  MODEL_REGISTERED,
} from '../../lambdas/shared/events';
import { startDeployment } from '../../lambdas/start-deployment/start';
import { DeploymentStates as S } from '../../lib/workflows/deployment';
import { MAX_SAGEMAKER_RETRIES } from '../../lib/workflows/sagemaker-retry';
import { taskFailure } from '../../local/stepfunctions/executor';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';
import { DeploymentHarness, logger } from '../support/deployment-harness';

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
    scaled: {
      problemType: 'binary',
      targetColumn: 'churned',
      deployment: {
        endpoint: { autoscaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100 } },
      },
    },
  },
};

describe('deployment workflow, executed from the synthesized definition', () => {
  let h: DeploymentHarness;

  beforeAll(async () => {
    const { template } = synthStack({ config: CONFIG });
    h = await DeploymentHarness.start(template.toJSON() as CfnTemplate);
  });

  afterAll(async () => {
    await h?.stop();
  });

  beforeEach(() => h.reset());

  it('deploys a first version: endpoint created, smoke-tested, promoted, announced, lease released', async () => {
    const version = await h.approved('churn');

    const result = await h.deploy('churn', version);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.stateTransitions).toBeLessThanOrEqual(25);
    const actions = h.sagemaker.calls.map((c) => c.action);
    expect(actions).toEqual([
      'CreateModel',
      'CreateEndpointConfig',
      'PutMetricAlarm',
      'PutMetricAlarm',
      'PutMetricAlarm',
      'CreateEndpoint',
    ]);
    const config = h.sagemaker.configs.get('serverlessmlops-churn-v1-a1') as Record<string, unknown>;
    expect(config).toMatchObject({
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'serverlessmlops-churn-v1-a1', InstanceType: 'ml.m5.large' },
      ],
      DataCaptureConfig: { EnableCapture: true, DestinationS3Uri: `s3://${h.artifactsBucket}/capture/churn` },
      KmsKeyId: expect.stringContaining(':key/'),
    });
    expect(h.sagemaker.calls[0]?.input).toMatchObject({
      ExecutionRoleArn: expect.stringContaining('DeploymentModelExecutionRole'),
      EnableNetworkIsolation: true,
    });
    expect([...h.sagemaker.alarms.keys()]).toEqual([
      'serverlessmlops-churn-invocation-5xx-errors',
      'serverlessmlops-churn-model-latency-p99',
      'serverlessmlops-churn-invocation-error-rate',
    ]);
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version });
    expect(await h.registry.getVersion('churn', version)).toMatchObject({
      status: 'Deployed',
      deployment: {
        endpointName: 'serverlessmlops-churn',
        endpointConfigName: 'serverlessmlops-churn-v1-a1',
      },
    });
    const [deployment] = (await h.registry.listDeployments('churn')).items;
    expect(deployment?.status).toBe('Promoted');
    expect(deployment?.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Began', 'Planned', 'SmokeTested']),
    );
    expect(deployment?.stages.find((s) => s.name === 'SmokeTested')?.details).toMatchObject({
      passed: true,
      rows: 20,
    });
    expect(h.published).toEqual([
      expect.objectContaining({
        DetailType: MODEL_DEPLOYED,
        Detail: expect.objectContaining({ model: 'churn', version, previousVersion: null, kind: 'deploy' }),
      }),
    ]);
    expect(await h.registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('updates with a canary: UpdateEndpoint carries the blue/green policy and the alarms; the previous version retires', async () => {
    const v1 = await h.approved('canary');
    expect((await h.deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('canary');
    h.sagemaker.calls.length = 0;

    const result = await h.deploy('canary', v2);

    expect(result.status).toBe('SUCCEEDED');
    const update = h.sagemaker.calls.find((c) => c.action === 'UpdateEndpoint');
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
    expect(h.sagemaker.calls.some((c) => c.action === 'CreateEndpoint')).toBe(false);
    expect(await h.registry.getAlias('canary', 'production')).toMatchObject({ version: v2 });
    expect((await h.registry.getVersion('canary', v1))?.status).toBe('Retired');
    expect(h.published.at(-1)?.Detail).toMatchObject({ version: v2, previousVersion: v1 });

    // retainVersions 1: a third version keeps v2's model and config, and deletes v1's.
    const v3 = await h.approved('canary');
    expect((await h.deploy('canary', v3)).status).toBe('SUCCEEDED');
    expect(h.sagemaker.deleted).toEqual([
      'DeleteEndpointConfig:serverlessmlops-canary-v1-a1',
      'DeleteModel:serverlessmlops-canary-v1-a1',
    ]);
  });

  it('records an alarm rollback as RolledBack with the alarm, leaves production alone and announces DeploymentFailed', async () => {
    const v1 = await h.approved('churn');
    expect((await h.deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('churn');
    h.sagemaker.behaviour = 'rollback-alarm';
    h.published.length = 0;

    const result = await h.deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeploymentNotPromoted');
    expect(result.stateTransitions).toBeLessThanOrEqual(35);
    const version = await h.registry.getVersion('churn', v2);
    expect(version?.status).toBe('RolledBack');
    expect(version?.statusReason).toContain('serverlessmlops-churn-invocation-5xx-errors');
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
    expect((await h.registry.getVersion('churn', v1))?.status).toBe('Deployed');
    expect(h.published).toEqual([
      expect.objectContaining({
        DetailType: DEPLOYMENT_FAILED,
        Detail: expect.objectContaining({ outcome: 'RolledBack', version: v2, recorded: true }),
      }),
    ]);
    expect(
      h.sagemaker.calls.some(
        (c) =>
          c.action === 'UpdateEndpoint' && c.input.EndpointConfigName === `serverlessmlops-churn-v${v1}-a1`,
      ),
    ).toBe(false);
    expect(await h.registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('catches a silent rollback: InService on the old config with no alarm named', async () => {
    const v1 = await h.approved('churn');
    expect((await h.deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('churn');
    h.sagemaker.behaviour = 'rollback-silent';

    const result = await h.deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    const version = await h.registry.getVersion('churn', v2);
    expect(version?.status).toBe('RolledBack');
    expect(version?.statusReason).toMatch(
      /serves serverlessmlops-churn-v\d+-a1, not serverlessmlops-churn-v\d+-a1 \(no event named an alarm: a silent rollback\)/,
    );
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
  });

  it("fails on SageMaker's ValidationException with its message, before touching the endpoint", async () => {
    const version = await h.approved('churn');
    h.sagemaker.failing = {
      action: 'CreateEndpointConfig',
      error: taskFailure(
        'SageMaker.AmazonSageMakerException',
        'ValidationException: The KmsKeyId is not valid (Service: AmazonSageMaker; Status Code: 400)',
      ),
    };
    const production = await h.registry.getAlias('churn', 'production');

    const result = await h.deploy('churn', version);

    expect(result.status).toBe('FAILED');
    const stored = await h.registry.getVersion('churn', version);
    expect(stored?.status).toBe('Failed');
    expect(stored?.statusReason).toContain('ValidationException: The KmsKeyId is not valid');
    // Tried once: SageMaker's ValidationException arrives as AmazonSageMakerException, and its cause is a verdict.
    expect(h.sagemaker.calls.filter((c) => c.action === 'CreateEndpointConfig')).toHaveLength(1);
    expect(h.sagemaker.calls.map((c) => c.action)).not.toContain('UpdateEndpoint');
    expect(await h.registry.getAlias('churn', 'production')).toEqual(production);
    expect(await h.registry.getDeploymentLease('churn')).toBeUndefined();
  });

  it('rolls the endpoint back to the previous config when the smoke test fails, and marks the version Failed', async () => {
    const v1 = await h.approved('canary');
    expect((await h.deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('canary');
    h.predictions = (rows) => `${Array.from({ length: rows }, () => '1.7').join('\n')}\n`;
    const previousConfig = h.sagemaker.endpoints.get('serverlessmlops-canary')?.config;

    const result = await h.deploy('canary', v2);

    expect(result.status).toBe('FAILED');
    const restore = h.sagemaker.calls.filter((c) => c.action === 'UpdateEndpoint').at(-1);
    expect(restore?.input).toEqual({
      EndpointName: 'serverlessmlops-canary',
      EndpointConfigName: previousConfig,
    });
    expect(h.sagemaker.endpoints.get('serverlessmlops-canary')).toMatchObject({
      status: 'InService',
      config: previousConfig,
    });
    const version = await h.registry.getVersion('canary', v2);
    expect(version?.status).toBe('Failed');
    expect(version?.statusReason).toContain('smoke test failed: row 1: 1.7 is not a probability in [0, 1]');
    expect(version?.statusReason).toContain(`endpoint restored to ${previousConfig}`);
    expect(await h.registry.getAlias('canary', 'production')).toMatchObject({ version: v1 });
  });

  it('serializes two approvals of one model: the second waits for the lease, never two endpoint updates at once', async () => {
    const v1 = await h.approved('churn');
    const v2 = await h.approved('churn');
    let open!: () => void;
    h.waitGate = new Promise((resolve) => {
      open = resolve;
    });

    const first = h.deploy('churn', v1, { retryIntervalMs: 250 });
    // The second starts while the first holds the lease and waits on its endpoint.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = h.deploy('churn', v2, { retryIntervalMs: 250 });
    while (h.prepareErrors.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    h.waitGate = undefined;
    open();
    const results = await Promise.all([first, second]);

    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(h.prepareErrors[0]).toBe('LeaseHeldError');
    expect(h.sagemaker.maxUpdatesInFlight).toBe(1);
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version: v2 });
    expect((await h.registry.getVersion('churn', v1))?.status).toBe('Retired');
  });

  it('gives up on a held lease after its bounded wait, naming the holder', async () => {
    const version = await h.approved('churn');
    await h.registry.takeDeploymentLease('churn', 'someone-else', { ttlSeconds: 600 });
    try {
      const result = await h.deploy('churn', version);

      expect(result.status).toBe('FAILED');
      // The first attempt and its 12 retries (LEASE_RETRY).
      expect(h.prepareErrors).toHaveLength(13);
      expect(h.published[0]?.Detail).toMatchObject({ outcome: 'Failed' });
      expect(JSON.stringify(h.published[0]?.Detail.reasons)).toContain('someone-else');
      expect((await h.registry.getVersion('churn', version))?.status).toBe('Approved');
      expect(await h.registry.getDeploymentLease('churn')).toMatchObject({ holder: 'someone-else' });
    } finally {
      await h.registry.releaseDeploymentLease('churn', 'someone-else');
    }
  });

  it('starts one deployment per approval however often and however it is announced; manual models wait for a request', async () => {
    const version = await h.approved('churn');
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
    const result = await h.execute(execution);
    expect(result.status).toBe('SUCCEEDED');
    expect(
      (await h.registry.listDeployments('churn')).items.filter((d) => d.version === version),
    ).toHaveLength(1);
  });

  it('rolls back to an earlier version through the same workflow, as a new attempt marked rollback', async () => {
    const v1 = await h.approved('churn');
    expect((await h.deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('churn');
    expect((await h.deploy('churn', v2)).status).toBe('SUCCEEDED');

    const result = await h.deploy('churn', v1, { kind: 'rollback' });

    expect(result.status).toBe('SUCCEEDED');
    expect(h.sagemaker.endpoints.get('serverlessmlops-churn')?.config).toBe(
      `serverlessmlops-churn-v${v1}-a2`,
    );
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
    expect((await h.registry.getVersion('churn', v2))?.status).toBe('Retired');
    const latest = (await h.registry.listDeployments('churn')).items[0];
    expect(latest).toMatchObject({ kind: 'rollback', version: v1, attempt: 2, status: 'Promoted' });
    expect(h.published.at(-1)?.Detail).toMatchObject({ kind: 'rollback', version: v1, previousVersion: v2 });
  });

  it('fails clearly when production moved meanwhile: nothing half-written, the endpoint put back', async () => {
    const v1 = await h.approved('churn');
    expect((await h.deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('churn');
    const before = await h.registry.getAlias('churn', 'production');
    h.beforeSmokeTest = async () => {
      // Someone points production elsewhere (and back to the same version: a new revision) mid-deployment.
      await h.registry.setAlias('churn', 'production', v1, {
        expectedVersion: v1,
        reason: 'manual fix',
        actor: 'ops',
      });
    };

    const result = await h.deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    const version = await h.registry.getVersion('churn', v2);
    expect(version?.status).toBe('Failed');
    expect(version?.statusReason).toContain('AliasMovedError');
    const alias = await h.registry.getAlias('churn', 'production');
    expect(alias?.version).toBe(v1);
    expect(alias?.revision).toBe((before?.revision ?? 0) + 1);
    expect((await h.registry.getVersion('churn', v1))?.status).toBe('Deployed');
    expect(h.sagemaker.endpoints.get('serverlessmlops-churn')?.config).toBe(
      before === undefined ? undefined : `serverlessmlops-churn-v${v1}-a1`,
    );
  });

  it('deploys a serverless endpoint: ServerlessConfig, no capture, no KMS volume key, no network isolation', async () => {
    const version = await h.approved('sless', 'reg:squarederror');
    h.predictions = (rows) => `${Array.from({ length: rows }, (_, i) => 100 + i).join(',')}`;

    const result = await h.deploy('sless', version);

    expect(result.status).toBe('SUCCEEDED');
    const config = h.sagemaker.configs.get(`serverlessmlops-sless-v${version}-a1`);
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
    expect(h.sagemaker.calls[0]?.input).toMatchObject({ EnableNetworkIsolation: false });
    expect(await h.registry.getAlias('sless', 'production')).toMatchObject({ version });
  });

  it('deletes a first endpoint that ended Failed, records SageMaker’s reason, and the next deployment creates it afresh', async () => {
    const v1 = await h.approved('manual');
    h.sagemaker.behaviour = 'fail';

    const result = await h.deploy('manual', v1);

    expect(result.status).toBe('FAILED');
    const version = await h.registry.getVersion('manual', v1);
    expect(version?.status).toBe('Failed');
    expect(version?.statusReason).toContain('endpoint serverlessmlops-manual is Failed');
    expect(version?.statusReason).toContain('did not pass the ping health check');
    expect(version?.statusReason).toContain(
      'endpoint serverlessmlops-manual deleted: this deployment created it and it never served',
    );
    expect(h.sagemaker.calls.filter((c) => c.action === 'DeleteEndpoint').map((c) => c.input)).toEqual([
      { EndpointName: 'serverlessmlops-manual' },
    ]);
    expect(h.sagemaker.endpoints.has('serverlessmlops-manual')).toBe(false);
    expect(await h.registry.getAlias('manual', 'production')).toBeUndefined();
    expect(h.published.at(-1)).toMatchObject({ DetailType: DEPLOYMENT_FAILED });
    expect(await h.registry.getDeploymentLease('manual')).toBeUndefined();

    const v2 = await h.approved('manual');
    h.sagemaker.behaviour = 'succeed';
    const next = await h.deploy('manual', v2);

    expect(next.status).toBe('SUCCEEDED');
    expect(h.sagemaker.calls.filter((c) => c.action === 'CreateEndpoint')).toHaveLength(2);
    expect(h.sagemaker.endpoints.get('serverlessmlops-manual')).toMatchObject({
      status: 'InService',
      config: `serverlessmlops-manual-v${v2}-a1`,
    });
    expect(await h.registry.getAlias('manual', 'production')).toMatchObject({ version: v2 });
  });

  it('registers autoscaling once the new config serves, and deregisters it before an instance-type change', async () => {
    const v1 = await h.approved('scaled');

    const first = await h.deploy('scaled', v1);
    expect(first.status).toBe('SUCCEEDED');

    const resourceId = 'endpoint/serverlessmlops-scaled/variant/AllTraffic';
    expect(h.sagemaker.scalableTargets.get(resourceId)).toEqual({
      ServiceNamespace: 'sagemaker',
      ResourceId: resourceId,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    expect(h.sagemaker.scalingPolicies.get(resourceId)).toMatchObject({
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 100,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      },
    });
    const actions = () => h.sagemaker.calls.map((c) => c.action);
    expect(actions().indexOf('RegisterScalableTarget')).toBeGreaterThan(actions().indexOf('CreateEndpoint'));

    // The serving fleet runs another instance type (as after a config change): deregister, update, register.
    const serving = h.sagemaker.configs.get(`serverlessmlops-scaled-v${v1}-a1`) as {
      ProductionVariants: { InstanceType: string }[];
    };
    serving.ProductionVariants[0] = { ...serving.ProductionVariants[0], InstanceType: 'ml.c5.xlarge' };
    const v2 = await h.approved('scaled');
    h.sagemaker.calls.length = 0;

    const result = await h.deploy('scaled', v2);

    expect(result.status).toBe('SUCCEEDED');
    expect(actions().filter((a) => /ScalableTarget|UpdateEndpoint|ScalingPolicy/.test(a))).toEqual([
      'DeregisterScalableTarget',
      'UpdateEndpoint',
      'RegisterScalableTarget',
      'PutScalingPolicy',
    ]);
    expect(result.stateTransitions).toBeLessThanOrEqual(25);
  });

  it('reads DescribeEndpoint once when no event came before the wait timed out, and decides on it', async () => {
    const version = await h.approved('churn');
    const v0 = (await h.registry.getAlias('churn', 'production'))?.version;
    h.sagemaker.endpoints.set('serverlessmlops-churn', {
      status: 'InService',
      config: `serverlessmlops-churn-v${v0 ?? 1}-a1`,
    });
    h.sagemaker.behaviour = 'stuck';

    const result = await h.deploy('churn', version);

    expect(result.status).toBe('SUCCEEDED');
    expect(
      result.events.some(
        (e) =>
          e.type === 'StateEntered' &&
          (e as { state?: { name?: string } }).state?.name === S.describeAfterWait,
      ),
    ).toBe(true);
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version });
  });
  it("records SageMaker's reason for a rollback found by the DescribeEndpoint after the wait timed out", async () => {
    const v1 = await h.approved('churn');
    expect((await h.deploy('churn', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('churn');
    // SageMaker rolls v2 back on an alarm, and none of its events reaches the workflow.
    h.sagemaker.behaviour = 'rollback-alarm';
    h.eventsLost = true;

    const result = await h.deploy('churn', v2);

    expect(result.status).toBe('FAILED');
    const entered = result.events.flatMap((e) =>
      e.type === 'StateEntered' ? [(e as { state?: { name?: string } }).state?.name] : [],
    );
    expect(entered).toContain(S.describeAfterWait);
    const version = await h.registry.getVersion('churn', v2);
    expect(version?.status).toBe('RolledBack');
    expect(version?.statusReason).toContain(
      `SageMaker rolled endpoint serverlessmlops-churn back: it serves serverlessmlops-churn-v${v1}-a1, not serverlessmlops-churn-v${v2}-a1 (alarm serverlessmlops-churn-invocation-5xx-errors)`,
    );
    expect(version?.statusReason).toContain(
      `SageMaker: Deployment of endpoint configuration "serverlessmlops-churn-v${v2}-a1" was rolled back`,
    );
    expect(version?.statusReason).not.toContain('silent rollback');
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version: v1 });
  });

  it('creates each configured model with its own execution role, and a model first seen in an upload with the default one', async () => {
    const roles = h.executionRoles();
    expect(Object.keys(roles).sort()).toEqual(
      ['canary', 'churn', 'defaults', 'manual', 'scaled', 'sless'].sort(),
    );
    expect(new Set(Object.values(roles)).size).toBe(6);

    const churn = await h.approved('churn');
    expect((await h.deploy('churn', churn)).status).toBe('SUCCEEDED');
    const newbie = await h.approved('newbie');
    expect((await h.deploy('newbie', newbie)).status).toBe('SUCCEEDED');

    const roleOf = (model: string) =>
      h.sagemaker.calls.find(
        (c) =>
          c.action === 'CreateModel' && String(c.input.ModelName).startsWith(`serverlessmlops-${model}-`),
      )?.input.ExecutionRoleArn;
    expect(roleOf('churn')).toBe(roles.churn);
    expect(roleOf('churn')).toContain('ModelExecutionRoleForchurn');
    expect(roleOf('newbie')).toBe(roles.defaults);
  });

  it('sends CreateEndpointConfig and the alarms from typed Parameters: exactly the requests the plan built', async () => {
    const definition = h.runtime.stateMachine(h.machineId).definition as {
      States: Record<string, { Resource?: string; Parameters?: Record<string, unknown>; InputPath?: string }>;
    };
    const typed = Object.entries(definition.States).filter(([, state]) =>
      /:(sagemaker:createEndpointConfig|aws-sdk:cloudwatch:putMetricAlarm)$/.test(state.Resource ?? ''),
    );
    expect(typed.map(([name]) => name).sort()).toEqual(
      [S.createEndpointConfig, S.createServerlessEndpointConfig, ...S.putAlarms].sort(),
    );
    for (const [, state] of typed) expect(state.Parameters).toBeDefined();
    // No service task takes its whole request by InputPath: each field is typed in the definition.
    const services = Object.entries(definition.States).filter(([, state]) =>
      /:states:::(sagemaker|aws-sdk|events):/.test(state.Resource ?? ''),
    );
    expect(services.length).toBeGreaterThanOrEqual(14);
    expect(services.filter(([, state]) => state.InputPath !== undefined).map(([name]) => name)).toEqual([]);
    // Constants fixed in the definition, not taken from the state.
    expect(definition.States[S.putAlarms[1]]?.Parameters).toMatchObject({
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Unit: 'Microseconds',
      'Threshold.$': '$.plan.alarms[1].Threshold',
    });
    expect(definition.States[S.createEndpointConfig]?.Parameters).toMatchObject({
      ProductionVariants: [{ VariantName: 'AllTraffic', InitialVariantWeight: 1 }],
    });

    for (const [model, objective] of [
      ['churn', 'binary:logistic'],
      ['sless', 'reg:squarederror'],
    ] as const) {
      h.reset();
      if (model === 'sless') h.predictions = (rows) => Array.from({ length: rows }, () => '1.5').join('\n');
      const version = await h.approved(model, objective);
      const result = await h.deploy(model, version);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.stateTransitions).toBeLessThanOrEqual(25);
      const [plan] = h.plans;
      const sent = (action: string) =>
        h.sagemaker.calls.filter((c) => c.action === action).map((c) => c.input);
      expect(sent('CreateEndpointConfig')).toEqual([plan?.createEndpointConfig]);
      // The definition adds the stack's notification topic to every alarm the plan built (issue 11).
      const [topic] = (sent('PutMetricAlarm')[0]?.AlarmActions ?? []) as string[];
      expect(topic).toMatch(/^arn:aws:sns:[a-z0-9-]+:\d{12}:NotificationsTopic/);
      expect(sent('PutMetricAlarm')).toEqual(
        plan?.alarms.map((alarm) => ({ ...alarm, AlarmActions: [topic], OKActions: [topic] })),
      );
    }
  });

  it('gives the optimized SageMaker tasks no Retrier on SageMaker.AmazonSageMakerException: a catch decides on the cause', async () => {
    // Prepare
    const definition = h.runtime.stateMachine(h.machineId).definition as {
      States: Record<
        string,
        {
          Resource?: string;
          Retry?: unknown[];
          Catch?: { ErrorEquals: string[]; Next: string; ResultPath: string }[];
        }
      >;
    };

    // Act
    const optimized = Object.entries(definition.States).filter(([, state]) =>
      /:states:::sagemaker:/.test(state.Resource ?? ''),
    );

    // Assess: a validation error cannot be told from throttling by name, so no Retrier names it
    expect(optimized.map(([name]) => name).sort()).toEqual(
      [
        S.createModel,
        S.createEndpointConfig,
        S.createServerlessEndpointConfig,
        S.createEndpoint,
        S.updateEndpoint,
        S.restorePrevious,
      ].sort(),
    );
    for (const [name, state] of optimized) {
      expect(state.Retry ?? []).toEqual([]);
      const [api, rest] = state.Catch ?? [];
      expect(api).toMatchObject({
        ErrorEquals: ['SageMaker.AmazonSageMakerException'],
        Next: `Is${name}ErrorTransient`,
      });
      expect(rest).toMatchObject(
        name === S.restorePrevious
          ? { ErrorEquals: ['States.ALL'], Next: S.recordFailure, ResultPath: '$.restoreError' }
          : { ErrorEquals: ['States.ALL'], Next: S.recordFailure, ResultPath: '$.error' },
      );
    }
  });

  it.each([
    ['CreateModel', 'Could not access model data at s3://nowhere/model.tar.gz'],
    ['CreateEndpointConfig', 'The KmsKeyId is not valid'],
  ])(
    'fails on a ValidationException from %s after exactly one call, recording it',
    async (action, message) => {
      // Prepare
      const version = await h.approved('churn');
      h.sagemaker.failing = {
        action,
        error: taskFailure(
          'SageMaker.AmazonSageMakerException',
          `${message} (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: 5d2a)`,
        ),
      };

      // Act
      const result = await h.deploy('churn', version);

      // Assess
      expect(result.status).toBe('FAILED');
      expect(h.sagemaker.calls.filter((c) => c.action === action)).toHaveLength(1);
      expect(h.sagemaker.calls.map((c) => c.action)).not.toContain('CreateEndpoint');
      const [deployment] = (await h.registry.listDeployments('churn')).items;
      expect(deployment?.status).toBe('Failed');
      const stored = await h.registry.getVersion('churn', version);
      expect(stored?.statusReason).toContain(`SageMaker.AmazonSageMakerException: ${message}`);
      expect(stored?.statusReason).toContain('Error Code: ValidationException');
      expect(h.published.map((e) => e.DetailType)).toEqual([DEPLOYMENT_FAILED]);
      expect(await h.registry.getDeploymentLease('churn')).toBeUndefined();
    },
  );

  it.each([
    [
      'CreateModel',
      'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException; Request ID: 5d2b)',
    ],
    [
      'CreateEndpointConfig',
      'null (Service: AmazonSageMaker; Status Code: 503; Error Code: ServiceUnavailable; Request ID: 5d2c)',
    ],
  ])('calls %s again after a transient cause, then deploys', async (action, cause) => {
    // Prepare: the first two calls fail as Step Functions reports a throttled or unavailable SageMaker
    const version = await h.approved('churn');
    h.sagemaker.failing = {
      action,
      times: 2,
      error: taskFailure('SageMaker.AmazonSageMakerException', cause),
    };

    // Act
    const result = await h.deploy('churn', version);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(h.sagemaker.calls.filter((c) => c.action === action)).toHaveLength(3);
    expect(await h.registry.getAlias('churn', 'production')).toMatchObject({ version });
    expect(h.published.map((e) => e.DetailType)).toEqual([MODEL_DEPLOYED]);
  });

  it('gives up on a cause that stays transient after the bounded retries, recording the last one', async () => {
    // Prepare
    const version = await h.approved('churn');
    h.sagemaker.failing = {
      action: 'CreateModel',
      error: taskFailure(
        'SageMaker.AmazonSageMakerException',
        'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException; Request ID: 5d2d)',
      ),
    };

    // Act
    const result = await h.deploy('churn', version);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(h.sagemaker.calls.filter((c) => c.action === 'CreateModel')).toHaveLength(
      1 + MAX_SAGEMAKER_RETRIES,
    );
    const stored = await h.registry.getVersion('churn', version);
    expect(stored?.statusReason).toContain('SageMaker.AmazonSageMakerException: Rate exceeded');
  });

  it('leaves nothing of a retry that got through for a later failure: the reasons name only the smoke test', async () => {
    // Prepare: CreateModel throttled once, then the smoke test fails
    const version = await h.approved('churn');
    h.sagemaker.failing = {
      action: 'CreateModel',
      times: 1,
      error: taskFailure(
        'SageMaker.AmazonSageMakerException',
        'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException; Request ID: 5d2e)',
      ),
    };
    h.predictions = (rows) => `${Array.from({ length: rows }, () => '1.7').join('\n')}\n`;

    // Act
    const result = await h.deploy('churn', version);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(h.sagemaker.calls.filter((c) => c.action === 'CreateModel')).toHaveLength(2);
    const stored = await h.registry.getVersion('churn', version);
    expect(stored?.statusReason).toContain('smoke test failed');
    expect(stored?.statusReason).not.toContain('Rate exceeded');
  });

  it('records a ValidationException from restoring the previous config after one call, as the restore error', async () => {
    // Prepare: v1 serves; v2 fails its smoke test, and the restore's UpdateEndpoint is refused
    const v1 = await h.approved('canary');
    expect((await h.deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('canary');
    h.predictions = (rows) => `${Array.from({ length: rows }, () => '1.7').join('\n')}\n`;
    h.beforeSmokeTest = async () => {
      h.sagemaker.failing = {
        action: 'UpdateEndpoint',
        error: taskFailure(
          'SageMaker.AmazonSageMakerException',
          'Endpoint is being updated (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: 5d2f)',
        ),
      };
    };

    // Act
    const result = await h.deploy('canary', v2);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(h.sagemaker.calls.filter((c) => c.action === 'UpdateEndpoint')).toHaveLength(2);
    const stored = await h.registry.getVersion('canary', v2);
    expect(stored?.statusReason).toContain(
      'restoring the previous endpoint config failed: SageMaker.AmazonSageMakerException: Endpoint is being updated',
    );
  });

  it('records autoscaling on the promoted deployment: AutoscalingRegistered, or AutoscalingFailed with the error', async () => {
    const v1 = await h.approved('scaled');
    expect((await h.deploy('scaled', v1)).status).toBe('SUCCEEDED');
    const stage = async (name: string) => {
      const [latest] = (await h.registry.listDeployments('scaled')).items;
      return { status: latest?.status, stage: latest?.stages.find((s) => s.name === name) };
    };
    expect(await stage('AutoscalingRegistered')).toMatchObject({
      status: 'Promoted',
      stage: {
        details: {
          resourceId: 'endpoint/serverlessmlops-scaled/variant/AllTraffic',
          minCapacity: 1,
          maxCapacity: 4,
        },
      },
    });

    const v2 = await h.approved('scaled');
    h.sagemaker.failing = {
      action: 'PutScalingPolicy',
      error: taskFailure(
        'ApplicationAutoScaling.ValidationException',
        'Role is not authorized to call PutScalingPolicy',
      ),
    };

    const result = await h.deploy('scaled', v2);

    expect(result.status).toBe('SUCCEEDED');
    expect(await h.registry.getAlias('scaled', 'production')).toMatchObject({ version: v2 });
    expect(await stage('AutoscalingFailed')).toMatchObject({
      status: 'Promoted',
      stage: {
        details: {
          error: 'ApplicationAutoScaling.ValidationException',
          cause: 'Role is not authorized to call PutScalingPolicy',
        },
      },
    });
    expect((await stage('AutoscalingRegistered')).stage).toBeUndefined();
    expect(await h.registry.getDeploymentLease('scaled')).toBeUndefined();
  });
  it('records the blue/green stages SageMaker reports on the deployment: the canary share, baking, or the shift before a rollback', async () => {
    const v1 = await h.approved('canary');
    expect((await h.deploy('canary', v1)).status).toBe('SUCCEEDED');
    const v2 = await h.approved('canary');

    expect((await h.deploy('canary', v2)).status).toBe('SUCCEEDED');
    const v3 = await h.approved('canary');
    h.sagemaker.behaviour = 'rollback-alarm';
    expect((await h.deploy('canary', v3)).status).toBe('FAILED');

    const [rolledBack, promoted, first] = (await h.registry.listDeployments('canary')).items;
    const blueGreen = (d: typeof first) => d?.stages.filter((s) => s.name.startsWith('BlueGreen:'));
    expect(blueGreen(first)).toEqual([]);
    expect(blueGreen(promoted)?.map((s) => [s.name, s.details.trafficPercent])).toEqual([
      ['BlueGreen:Creating', 0],
      ['BlueGreen:ActivatingTraffic:10', 10],
      ['BlueGreen:ActivatingTraffic:100', 100],
      ['BlueGreen:Baking', 100],
    ]);
    expect(blueGreen(promoted)?.[1]?.details).toMatchObject({
      status: 'ActivatingTraffic',
      endpointConfigName: `serverlessmlops-canary-v${v2}-a1`,
      variantName: 'AllTraffic',
    });
    expect(rolledBack?.status).toBe('RolledBack');
    expect(blueGreen(rolledBack)?.map((s) => s.name)).toContain('BlueGreen:ActivatingTraffic:10');
    expect(blueGreen(rolledBack)?.map((s) => s.name)).not.toContain('BlueGreen:Baking');
  });
});
