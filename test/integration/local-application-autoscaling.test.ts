import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  paginateDescribeScalableTargets,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalingRequests } from '../../lambdas/begin-deployment/begin';
import type { RuntimeDeploymentSettings } from '../../lambdas/shared/model-settings';
import {
  type LocalApplicationAutoScaling,
  startLocalApplicationAutoScaling,
} from '../../local/aws/application-autoscaling';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/** A model's deployment settings with autoscaling, as lib/config resolves them. */
const SETTINGS: RuntimeDeploymentSettings = {
  mode: 'auto',
  endpoint: {
    type: 'realtime',
    instanceType: 'ml.m5.large',
    initialInstanceCount: 1,
    autoscaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100 },
  },
  trafficRouting: { type: 'CANARY', canaryPercent: 10, waitIntervalSeconds: 60 },
  bakeSeconds: 300,
  maxExecutionTimeoutSeconds: 3600,
  dataCapturePercent: 100,
  alarms: { latencyP99Ms: 200, errorRatePercent: 1 },
  retainVersions: 2,
};

describe('local Application Auto Scaling (SageMaker variants, over the real SDK client)', () => {
  let root: string;
  let service: LocalApplicationAutoScaling;
  let client: ApplicationAutoScalingClient;
  /** The endpoints and variants "hosted": what RegisterScalableTarget checks a variant against. */
  const variants = new Set(['mlops-penguins/AllTraffic', 'mlops-churn/AllTraffic']);

  async function start(): Promise<void> {
    service = await startLocalApplicationAutoScaling({
      workDir: root,
      account: ACCOUNT,
      region: REGION,
      variantExists: (endpoint, variant) => variants.has(`${endpoint}/${variant}`),
    });
    client = new ApplicationAutoScalingClient({
      region: REGION,
      endpoint: service.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-aas-'));
    await start();
  });

  afterAll(async () => {
    client?.destroy();
    await service?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
    try {
      await call;
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    throw new Error('the call succeeded');
  }

  it('registers the deployment’s scalable target and target-tracking policy, describes, updates and deregisters them', async () => {
    const requests = autoscalingRequests('mlops-penguins', 'AllTraffic', SETTINGS);
    if (!requests) throw new Error('autoscaling expected');
    const resourceId = 'endpoint/mlops-penguins/variant/AllTraffic';

    const registered = await client.send(new RegisterScalableTargetCommand(requests.register));
    expect(registered.ScalableTargetARN).toMatch(
      new RegExp(`^arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/[0-9a-f]{36}$`),
    );
    const policy = await client.send(new PutScalingPolicyCommand(requests.policy));
    expect(policy.PolicyARN).toMatch(
      new RegExp(
        `^arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:[0-9a-f-]{36}:resource/sagemaker/${resourceId}:policyName/mlops-penguins-invocations-per-instance$`,
      ),
    );
    expect(policy.Alarms?.map((alarm) => alarm.AlarmName)).toEqual([
      expect.stringMatching(new RegExp(`^TargetTracking-${resourceId}-AlarmHigh-[0-9a-f-]{36}$`)),
      expect.stringMatching(new RegExp(`^TargetTracking-${resourceId}-AlarmLow-[0-9a-f-]{36}$`)),
    ]);

    const targets = await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(targets.ScalableTargets).toEqual([
      {
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
        MinCapacity: 1,
        MaxCapacity: 4,
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        CreationTime: expect.any(Date),
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
        },
        ScalableTargetARN: registered.ScalableTargetARN,
      },
    ]);
    const policies = await client.send(
      new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId }),
    );
    expect(policies.ScalingPolicies).toEqual([
      {
        PolicyARN: policy.PolicyARN,
        PolicyName: 'mlops-penguins-invocations-per-instance',
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 100,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        },
        Alarms: policy.Alarms,
        CreationTime: expect.any(Date),
      },
    ]);
    expect(service.isAutoscaled(resourceId)).toBe(true);
    expect(service.targets().map((target) => target.ResourceId)).toEqual([resourceId]);

    // Registering again updates the range and keeps the ARN; putting the policy again updates it in place.
    const again = await client.send(
      new RegisterScalableTargetCommand({ ...requests.register, MaxCapacity: 8 }),
    );
    expect(again.ScalableTargetARN).toBe(registered.ScalableTargetARN);
    const updated = await client.send(
      new PutScalingPolicyCommand({
        ...requests.policy,
        TargetTrackingScalingPolicyConfiguration: {
          ...requests.policy.TargetTrackingScalingPolicyConfiguration,
          TargetValue: 200,
        },
      }),
    );
    expect(updated.PolicyARN).toBe(policy.PolicyARN);
    expect(service.targets()[0]?.MaxCapacity).toBe(8);
    expect(service.policies()).toHaveLength(1);
    expect(service.policies()[0]?.TargetTrackingScalingPolicyConfiguration?.TargetValue).toBe(200);

    // The state survives a restart (application-autoscaling.json).
    expect(JSON.parse(readFileSync(join(root, 'application-autoscaling.json'), 'utf8')).targets).toHaveLength(
      1,
    );
    client.destroy();
    await service.stop();
    await start();
    expect(service.isAutoscaled(resourceId)).toBe(true);

    // Deregistering the target deletes its policies; a second deregistration finds nothing.
    await client.send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
      }),
    );
    expect(service.isAutoscaled(resourceId)).toBe(false);
    expect(
      (await client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker' })))
        .ScalingPolicies,
    ).toEqual([]);
    expect(
      await failure(
        client.send(
          new DeregisterScalableTargetCommand({
            ServiceNamespace: 'sagemaker',
            ResourceId: resourceId,
            ScalableDimension: DIMENSION,
          }),
        ),
      ),
    ).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scalable target found for service namespace: sagemaker, resource ID: ${resourceId}, scalable dimension: ${DIMENSION}`,
    });
  });

  it('answers ObjectNotFoundException and ValidationException as the API documents them', async () => {
    const requests = autoscalingRequests('mlops-churn', 'AllTraffic', SETTINGS);
    if (!requests) throw new Error('autoscaling expected');
    const resourceId = 'endpoint/mlops-churn/variant/AllTraffic';

    // A policy before its target.
    expect(await failure(client.send(new PutScalingPolicyCommand(requests.policy)))).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scalable target registered for service namespace: sagemaker, resource ID: ${resourceId}, scalable dimension: ${DIMENSION}`,
    });
    // A new target needs both capacities; the minimum may not exceed the maximum.
    const { MinCapacity: _min, ...withoutMin } = requests.register;
    expect(await failure(client.send(new RegisterScalableTargetCommand(withoutMin)))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('MinCapacity and MaxCapacity are required'),
    });
    expect(
      (
        await failure(
          client.send(
            new RegisterScalableTargetCommand({ ...requests.register, MinCapacity: 5, MaxCapacity: 2 }),
          ),
        )
      ).name,
    ).toBe('ValidationException');
    // Constraints of the model, in the front door's words.
    expect(
      await failure(
        client.send(
          new RegisterScalableTargetCommand({
            ...requests.register,
            ServiceNamespace: 'sagemakr' as never,
            ResourceId: '',
          }),
        ),
      ),
    ).toEqual({
      name: 'ValidationException',
      message:
        "2 validation errors detected: Value 'sagemakr' at 'serviceNamespace' failed to satisfy constraint: " +
        `Member must satisfy enum value set: [${[
          'appstream',
          'cassandra',
          'comprehend',
          'custom-resource',
          'dynamodb',
          'ec2',
          'ecs',
          'elasticache',
          'elasticmapreduce',
          'kafka',
          'lambda',
          'neptune',
          'rds',
          'sagemaker',
          'workspaces',
        ].join(
          ', ',
        )}]; Value '' at 'resourceId' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    });
    // Not a SageMaker variant, or a variant the endpoint does not have.
    expect(
      await failure(
        client.send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: 'dynamodb',
            ResourceId: 'table/t',
            ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
            MinCapacity: 1,
            MaxCapacity: 2,
          }),
        ),
      ),
    ).toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Unsupported service namespace, resource type or scalable dimension/),
    });
    expect(
      await failure(
        client.send(
          new RegisterScalableTargetCommand({
            ...requests.register,
            ResourceId: 'endpoint/mlops-gone/variant/AllTraffic',
          }),
        ),
      ),
    ).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('mlops-gone') });
    expect(service.targets()).toEqual([]);

    // Tags only when the target is new.
    await client.send(new RegisterScalableTargetCommand({ ...requests.register, Tags: { team: 'ml' } }));
    expect(
      await failure(
        client.send(new RegisterScalableTargetCommand({ ...requests.register, Tags: { team: 'ml' } })),
      ),
    ).toEqual({
      name: 'ValidationException',
      message:
        'The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.',
    });
    // A target tracking policy needs its configuration and a SageMaker metric; a new policy needs its type.
    const { PolicyType: _type, ...untyped } = requests.policy;
    expect((await failure(client.send(new PutScalingPolicyCommand(untyped)))).message).toContain(
      'PolicyType is required',
    );
    expect(
      (
        await failure(
          client.send(
            new PutScalingPolicyCommand({
              ...requests.policy,
              TargetTrackingScalingPolicyConfiguration: {
                TargetValue: 50,
                PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
              },
            }),
          ),
        )
      ).name,
    ).toBe('ValidationException');
    expect(
      await failure(
        client.send(
          new DeleteScalingPolicyCommand({
            PolicyName: 'nope',
            ServiceNamespace: 'sagemaker',
            ResourceId: resourceId,
            ScalableDimension: DIMENSION,
          }),
        ),
      ),
    ).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scaling policy found for service namespace: sagemaker, resource ID: ${resourceId}, scalable dimension: ${DIMENSION}, policy name: nope`,
    });
    await client.send(new PutScalingPolicyCommand(requests.policy));
    await client.send(
      new DeleteScalingPolicyCommand({
        PolicyName: requests.policy.PolicyName,
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
      }),
    );
    expect(service.policies()).toEqual([]);
    await client.send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
      }),
    );
  });

  it('pages DescribeScalableTargets (MaxResults 1–50) and refuses tokens it did not give', async () => {
    for (let i = 0; i < 5; i += 1) variants.add(`mlops-page${i}/AllTraffic`);
    for (let i = 0; i < 5; i += 1) {
      await client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: `endpoint/mlops-page${i}/variant/AllTraffic`,
          ScalableDimension: DIMENSION,
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      );
    }
    const ids: string[] = [];
    for await (const page of paginateDescribeScalableTargets(
      { client, pageSize: 2 },
      { ServiceNamespace: 'sagemaker' },
    )) {
      expect(page.ScalableTargets?.length).toBeLessThanOrEqual(2);
      ids.push(...(page.ScalableTargets ?? []).map((target) => String(target.ResourceId)));
    }
    expect(ids).toEqual([0, 1, 2, 3, 4].map((i) => `endpoint/mlops-page${i}/variant/AllTraffic`));
    expect(
      (
        await failure(
          client.send(
            new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', NextToken: 'bogus!' }),
          ),
        )
      ).name,
    ).toBe('InvalidNextTokenException');
    expect(
      (
        await failure(
          client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', MaxResults: 51 })),
        )
      ).name,
    ).toBe('ValidationException');
  });
});
