import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigInput,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  type DeploymentConfig,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  type DescribeEndpointOutput,
  DescribeModelCommand,
  ListEndpointsCommand,
  type ProductionVariantInstanceType,
  paginateListEndpoints,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalingRequests } from '../../lambdas/begin-deployment/begin';
import { verdict } from '../../lambdas/record-deployment-failure/record';
import { ALARM_KINDS, alarmNames } from '../../lambdas/shared/endpoints/naming';
import {
  type LocalApplicationAutoScaling,
  startLocalApplicationAutoScaling,
} from '../../local/aws/application-autoscaling';
import { matchesPattern } from '../../local/events/pattern';
import { eventStatus } from '../../local/sagemaker/endpoint-events';
import { currentStage } from '../../local/sagemaker/endpoint-lifecycle';
import { LocalHosting } from '../../local/sagemaker/hosting';
import {
  type EndpointStatusChange,
  type LocalSageMaker,
  type SageMakerEndpointEvent,
  startLocalSageMaker,
} from '../../local/sagemaker/server';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ModelRole`;
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}`;

const BLUE_GREEN: DeploymentConfig = {
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: {
      Type: 'CANARY',
      CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
      WaitIntervalInSeconds: 3,
    },
    TerminationWaitInSeconds: 3,
    MaximumExecutionTimeoutInSeconds: 600,
  },
  AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'penguins-5xx' }] },
};

describe('local SageMaker hosting API (models, endpoint configs, endpoints over the real SDK client)', () => {
  let root: string;
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  const changes: EndpointStatusChange[] = [];

  async function start(): Promise<void> {
    sagemaker = await startLocalSageMaker({
      workDir: join(root, 'sagemaker'),
      s3: { endpoint: 'http://127.0.0.1:9' }, // no job here touches S3
      trainers: [],
      // Provisioning "takes" 400 ms and deletion 200 ms; the deployment's seconds run 10x faster.
      timeScale: 10,
      hostingDelays: { provisionMs: 4000, deleteMs: 2000 },
      instanceQuotas: { 'ml.m5.xlarge': 3 },
    });
    sagemaker.onEndpointStatus((change) => changes.push(change));
    client = new SageMakerClient({ region: REGION, endpoint: sagemaker.endpoint, credentials: CREDENTIALS });
  }

  async function restart(): Promise<void> {
    client.destroy();
    await sagemaker.stop();
    await start();
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-sagemaker-hosting-'));
    await start();
  });

  afterAll(async () => {
    client?.destroy();
    await sagemaker?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function model(name: string): Promise<void> {
    await client.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataUrl: `s3://artifacts/runs/${name}/model.tar.gz`,
          Mode: 'SingleModel',
        },
        ExecutionRoleArn: ROLE,
        EnableNetworkIsolation: true,
      }),
    );
  }

  async function config(
    name: string,
    modelName: string,
    overrides: Partial<CreateEndpointConfigInput> = {},
    variant = 'AllTraffic',
  ): Promise<void> {
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [
          {
            VariantName: variant,
            ModelName: modelName,
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
            InitialVariantWeight: 1,
          },
        ],
        ...overrides,
      }),
    );
  }

  function describeEndpoint(name: string): Promise<DescribeEndpointOutput> {
    return client.send(new DescribeEndpointCommand({ EndpointName: name }));
  }

  async function waitForStatus(
    name: string,
    status: string,
    timeoutMs = 10_000,
  ): Promise<DescribeEndpointOutput> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const described = await describeEndpoint(name);
      if (described.EndpointStatus === status) return described;
      if (Date.now() > deadline) throw new Error(`${name} is ${described.EndpointStatus}, not ${status}`);
      await sleep(25);
    }
  }

  /** The error a call fails with: its name (the JSON protocol's __type) and message. */
  async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
    try {
      await call;
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    throw new Error('the call succeeded');
  }

  it('creates, serves the config, updates blue/green to a new config and deletes an endpoint', async () => {
    await model('penguins-v1');
    await model('penguins-v2');
    await config('penguins-v1', 'penguins-v1', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://artifacts/capture/penguins',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
      },
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1234',
    });
    await config('penguins-v2', 'penguins-v2');

    const described = await client.send(new DescribeModelCommand({ ModelName: 'penguins-v1' }));
    expect(described).toMatchObject({
      ModelName: 'penguins-v1',
      ModelArn: `${ARN}:model/penguins-v1`,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://artifacts/runs/penguins-v1/model.tar.gz' },
      ExecutionRoleArn: ROLE,
      EnableNetworkIsolation: true,
    });
    expect(described.CreationTime).toBeInstanceOf(Date);
    const configDescribed = await client.send(
      new DescribeEndpointConfigCommand({ EndpointConfigName: 'penguins-v1' }),
    );
    expect(configDescribed).toMatchObject({
      EndpointConfigArn: `${ARN}:endpoint-config/penguins-v1`,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'penguins-v1', InitialVariantWeight: 1 }],
      DataCaptureConfig: { InitialSamplingPercentage: 100 },
    });

    const created = await client.send(
      new CreateEndpointCommand({ EndpointName: 'Penguins', EndpointConfigName: 'penguins-v1' }),
    );
    expect(created.EndpointArn).toBe(`${ARN}:endpoint/penguins`); // ARNs carry names in lower case
    const creating = await describeEndpoint('penguins');
    expect(creating).toMatchObject({
      EndpointName: 'Penguins',
      EndpointStatus: 'Creating',
      EndpointConfigName: 'penguins-v1',
      PendingDeploymentSummary: {
        EndpointConfigName: 'penguins-v1',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            CurrentInstanceCount: 0,
            DesiredInstanceCount: 1,
            InstanceType: 'ml.m5.large',
            VariantStatus: [{ Status: 'Creating' }],
          },
        ],
      },
    });
    expect(creating.ProductionVariants).toBeUndefined();

    const inService = await waitForStatus('Penguins', 'InService');
    expect(inService).toMatchObject({
      EndpointConfigName: 'penguins-v1',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          CurrentWeight: 1,
          DesiredWeight: 1,
          CurrentInstanceCount: 1,
          DesiredInstanceCount: 1,
          DeployedImages: [{ SpecifiedImage: IMAGE }],
        },
      ],
      DataCaptureConfig: {
        EnableCapture: true,
        CaptureStatus: 'Started',
        CurrentSamplingPercentage: 100,
        DestinationS3Uri: 's3://artifacts/capture/penguins',
        KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1234',
      },
    });
    expect(inService.PendingDeploymentSummary).toBeUndefined();
    expect(inService.ProductionVariants?.[0]?.DeployedImages?.[0]?.ResolvedImage).toMatch(
      /^683313688378\.dkr\.ecr\.us-east-1\.amazonaws\.com\/sagemaker-xgboost@sha256:[0-9a-f]{64}$/,
    );

    await client.send(
      new UpdateEndpointCommand({
        EndpointName: 'penguins',
        EndpointConfigName: 'penguins-v2',
        DeploymentConfig: BLUE_GREEN,
      }),
    );
    const updating = await describeEndpoint('penguins');
    expect(updating).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'penguins-v1', // blue still serves
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1 }],
      PendingDeploymentSummary: {
        EndpointConfigName: 'penguins-v2',
        ProductionVariants: [{ VariantName: 'AllTraffic', VariantStatus: [{ Status: 'Creating' }] }],
      },
      LastDeploymentConfig: BLUE_GREEN,
    });
    // Provisioning (400 ms), then the canary's 10% for WaitIntervalInSeconds (3 s / 10), then baking (the same).
    const stages = new Set<string>();
    for (let described = updating; described.EndpointStatus === 'Updating'; ) {
      const stage = described.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.Status;
      if (stage) stages.add(stage);
      if (stage === 'ActivatingTraffic') {
        expect(described.PendingDeploymentSummary?.ProductionVariants?.[0]?.CurrentWeight).toBeCloseTo(0.1);
      }
      await sleep(10);
      described = await describeEndpoint('penguins');
    }
    expect([...stages]).toEqual(['Creating', 'ActivatingTraffic', 'Baking']);
    const updated = await describeEndpoint('penguins');
    expect(updated).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'penguins-v2' });
    expect(updated.LastModifiedTime?.getTime()).toBeGreaterThan(inService.LastModifiedTime?.getTime() ?? 0);

    // Deleting the config and model the endpoint runs changes nothing for it, as on SageMaker.
    await client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'penguins-v1' }));
    await client.send(new DeleteModelCommand({ ModelName: 'penguins-v1' }));
    expect((await describeEndpoint('penguins')).EndpointStatus).toBe('InService');

    await client.send(new DeleteEndpointCommand({ EndpointName: 'penguins' }));
    expect((await describeEndpoint('penguins')).EndpointStatus).toBe('Deleting');
    await expect
      .poll(async () => (await failure(describeEndpoint('penguins'))).message, {
        timeout: 5000,
        interval: 25,
      })
      .toBe(`Could not find endpoint "${ARN}:endpoint/penguins".`);
    expect(
      changes.filter((change) => change.endpointName === 'Penguins').map((change) => change.status),
    ).toEqual(['Creating', 'InService', 'Updating', 'InService', 'Deleting', 'Deleted']);
  });

  it('answers unknown and duplicate names as SageMaker does', async () => {
    await model('dup-model');
    expect(await failure(model('DUP-model'))).toEqual({
      name: 'ValidationException',
      message: `Cannot create already existing model "${ARN}:model/dup-model".`,
    });
    expect(await failure(client.send(new DescribeModelCommand({ ModelName: 'nope' })))).toEqual({
      name: 'ValidationException',
      message: `Could not find model "${ARN}:model/nope".`,
    });
    expect(await failure(client.send(new DeleteModelCommand({ ModelName: 'nope' })))).toMatchObject({
      message: `Could not find model "${ARN}:model/nope".`,
    });
    expect(await failure(config('dup-config', 'missing-model'))).toEqual({
      name: 'ValidationException',
      message: `Could not find model "${ARN}:model/missing-model".`,
    });
    await config('dup-config', 'dup-model');
    expect((await failure(config('dup-config', 'dup-model'))).message).toBe(
      `Cannot create already existing endpoint configuration "${ARN}:endpoint-config/dup-config".`,
    );
    expect(
      await failure(client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'nope' }))),
    ).toMatchObject({ message: `Could not find endpoint configuration "${ARN}:endpoint-config/nope".` });
    expect(
      await failure(
        client.send(new CreateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'nope' })),
      ),
    ).toMatchObject({ message: `Could not find endpoint configuration "${ARN}:endpoint-config/nope".` });

    await client.send(new CreateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'dup-config' }));
    expect(
      await failure(
        client.send(new CreateEndpointCommand({ EndpointName: 'Dup', EndpointConfigName: 'dup-config' })),
      ),
    ).toEqual({
      name: 'ValidationException',
      message: `Cannot create already existing endpoint "${ARN}:endpoint/dup".`,
    });
    expect(await failure(describeEndpoint('nope'))).toEqual({
      name: 'ValidationException',
      message: `Could not find endpoint "${ARN}:endpoint/nope".`,
    });
    expect(await failure(client.send(new DeleteEndpointCommand({ EndpointName: 'nope' })))).toMatchObject({
      message: `Could not find endpoint "${ARN}:endpoint/nope".`,
    });

    // Creating: neither an update nor a delete.
    const inProgress = {
      name: 'ValidationException',
      message: `Cannot update in-progress endpoint "${ARN}:endpoint/dup".`,
    };
    expect(
      await failure(
        client.send(new UpdateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'dup-config' })),
      ),
    ).toEqual(inProgress);
    expect(await failure(client.send(new DeleteEndpointCommand({ EndpointName: 'dup' })))).toEqual(
      inProgress,
    );
    await waitForStatus('dup', 'InService');
    expect(
      await failure(
        client.send(new UpdateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'nope' })),
      ),
    ).toMatchObject({ message: `Could not find endpoint configuration "${ARN}:endpoint-config/nope".` });

    // Updating: the same.
    await client.send(new UpdateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'dup-config' }));
    expect(
      await failure(
        client.send(new UpdateEndpointCommand({ EndpointName: 'dup', EndpointConfigName: 'dup-config' })),
      ),
    ).toEqual(inProgress);
    expect(await failure(client.send(new DeleteEndpointCommand({ EndpointName: 'dup' })))).toEqual(
      inProgress,
    );
    await waitForStatus('dup', 'InService');
  });

  it('refuses a blue/green update to a config with other variant names, allows it without DeploymentConfig', async () => {
    await model('variants-model');
    await config('variants-a', 'variants-model');
    await config('variants-b', 'variants-model', {}, 'Renamed');
    await client.send(
      new CreateEndpointCommand({ EndpointName: 'variants', EndpointConfigName: 'variants-a' }),
    );
    await waitForStatus('variants', 'InService');
    const refused = await failure(
      client.send(
        new UpdateEndpointCommand({
          EndpointName: 'variants',
          EndpointConfigName: 'variants-b',
          DeploymentConfig: BLUE_GREEN,
        }),
      ),
    );
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toBe(
      `Cannot update endpoint "${ARN}:endpoint/variants" with a DeploymentConfig: the variant names of endpoint ` +
        'configuration "variants-b" (Renamed) differ from those of the current configuration "variants-a" ' +
        '(AllTraffic); blue/green and rolling updates need the same variant names.',
    );
    expect((await describeEndpoint('variants')).EndpointStatus).toBe('InService'); // nothing started

    await client.send(
      new UpdateEndpointCommand({ EndpointName: 'variants', EndpointConfigName: 'variants-b' }),
    );
    const updated = await waitForStatus('variants', 'InService');
    expect(updated.EndpointConfigName).toBe('variants-b');
    expect(updated.ProductionVariants?.map((variant) => variant.VariantName)).toEqual(['Renamed']);
  });

  it('keeps instance counts and weights with RetainAllVariantProperties, and a retained DeploymentConfig', async () => {
    await model('retain-model');
    await config('retain-a', 'retain-model');
    await client.send(
      new CreateEndpointCommand({
        EndpointName: 'retain',
        EndpointConfigName: 'retain-a',
        DeploymentConfig: BLUE_GREEN,
      }),
    );
    await waitForStatus('retain', 'InService');
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'retain-b',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'retain-model',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 3,
          },
        ],
      }),
    );
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: 'retain',
        EndpointConfigName: 'retain-b',
        RetainAllVariantProperties: true,
        RetainDeploymentConfig: true,
      }),
    );
    const updating = await describeEndpoint('retain');
    expect(updating.LastDeploymentConfig).toEqual(BLUE_GREEN);
    expect(updating.PendingDeploymentSummary?.ProductionVariants?.[0]?.DesiredInstanceCount).toBe(1);
    await waitForStatus('retain', 'InService');
  });

  it('answers ResourceLimitExceeded past an instance quota, counting both fleets of a blue/green update', async () => {
    await model('quota-model');
    const big = (name: string, count: number) =>
      client.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: name,
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              ModelName: 'quota-model',
              InstanceType: 'ml.m5.xlarge',
              InitialInstanceCount: count,
            },
          ],
        }),
      );
    await big('quota-2', 2);
    await big('quota-4', 4);
    expect(
      await failure(
        client.send(new CreateEndpointCommand({ EndpointName: 'quota', EndpointConfigName: 'quota-4' })),
      ),
    ).toEqual({
      name: 'ResourceLimitExceeded',
      message:
        "The account-level service limit 'ml.m5.xlarge for endpoint usage' is 3 Instances, with current utilization " +
        'of 0 Instances and a request delta of 4 Instances. Please use AWS Service Quotas to request an increase for ' +
        'this quota. If AWS Service Quotas is not available, contact AWS support to request an increase for this quota.',
    });
    await client.send(new CreateEndpointCommand({ EndpointName: 'quota', EndpointConfigName: 'quota-2' }));
    await waitForStatus('quota', 'InService');
    const update = await failure(
      client.send(new UpdateEndpointCommand({ EndpointName: 'quota', EndpointConfigName: 'quota-2' })),
    );
    expect(update.name).toBe('ResourceLimitExceeded');
    expect(update.message).toContain('current utilization of 2 Instances and a request delta of 2 Instances');
  });

  it('checks names, required members and ranges with Coral’s messages', async () => {
    expect(
      await failure(
        client.send(
          new CreateModelCommand({
            ModelName: `bad_name-${'x'.repeat(60)}`,
            PrimaryContainer: { Image: IMAGE },
          }),
        ),
      ),
    ).toEqual({
      name: 'ValidationException',
      message:
        `2 validation errors detected: Value 'bad_name-${'x'.repeat(60)}' at 'modelName' failed to satisfy ` +
        'constraint: Member must have length less than or equal to 63; ' +
        `Value 'bad_name-${'x'.repeat(60)}' at 'modelName' failed to satisfy constraint: Member must satisfy ` +
        'regular expression pattern: ^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?',
    });
    expect(
      await failure(
        client.send(
          new CreateModelCommand({
            ModelName: 'role',
            PrimaryContainer: { Image: IMAGE },
            ExecutionRoleArn: 'role',
          }),
        ),
      ),
    ).toMatchObject({
      message:
        "2 validation errors detected: Value 'role' at 'executionRoleArn' failed to satisfy constraint: Member must " +
        "have length greater than or equal to 20; Value 'role' at 'executionRoleArn' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$',
    });
    expect(
      (await failure(client.send(new CreateModelCommand({ ModelName: 'no-container' })))).message,
    ).toMatch(/needs a container to run/);

    await model('range-model');
    expect(
      await failure(
        client.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: 'range',
            ProductionVariants: [
              {
                VariantName: 'a',
                ModelName: 'range-model',
                InstanceType: 'ml.m5.large',
                InitialInstanceCount: 0,
              },
              {
                VariantName: 'b',
                ModelName: 'range-model',
                ServerlessConfig: { MemorySizeInMB: 512, MaxConcurrency: 201 },
              },
            ],
          }),
        ),
      ),
    ).toMatchObject({
      message:
        "3 validation errors detected: Value 0 at 'productionVariants.1.member.initialInstanceCount' failed to " +
        'satisfy constraint: Member must have value greater than or equal to 1; Value 512 at ' +
        "'productionVariants.2.member.serverlessConfig.memorySizeInMB' failed to satisfy constraint: Member must " +
        "have value greater than or equal to 1024; Value 201 at 'productionVariants.2.member.serverlessConfig." +
        "maxConcurrency' failed to satisfy constraint: Member must have value less than or equal to 200",
    });
    expect(
      await failure(
        client.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: 'range',
            ProductionVariants: [
              {
                VariantName: 'a',
                ModelName: 'range-model',
                // An instance type SageMaker does not have.
                InstanceType: 'ml.huge' as ProductionVariantInstanceType,
                InitialInstanceCount: 1,
              },
            ],
            DataCaptureConfig: {
              InitialSamplingPercentage: 101,
              DestinationS3Uri: 'artifacts/capture',
              CaptureOptions: [],
            },
          }),
        ),
      ),
    ).toMatchObject({
      message: expect.stringMatching(
        /^4 validation errors detected: Value 'ml\.huge' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[.*ml\.m5\.large.*\]; Value 101 at 'dataCaptureConfig\.initialSamplingPercentage' failed to satisfy constraint: Member must have value less than or equal to 100; Value 'artifacts\/capture' at 'dataCaptureConfig\.destinationS3Uri' .*; Value a list of 0 at 'dataCaptureConfig\.captureOptions' failed to satisfy constraint: Member must have length greater than or equal to 1$/,
      ),
    });
    expect(
      await failure(
        client.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'empty', ProductionVariants: [] })),
      ),
    ).toMatchObject({
      message:
        "1 validation error detected: Value a list of 0 at 'productionVariants' failed to satisfy constraint: Member " +
        'must have length greater than or equal to 1',
    });
    expect(
      (
        await failure(
          client.send(
            new CreateEndpointConfigCommand({
              EndpointConfigName: 'serverless-capture',
              ProductionVariants: [
                {
                  VariantName: 'a',
                  ModelName: 'range-model',
                  ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
                },
              ],
              DataCaptureConfig: {
                InitialSamplingPercentage: 100,
                DestinationS3Uri: 's3://artifacts/capture',
                CaptureOptions: [{ CaptureMode: 'Input' }],
              },
            }),
          ),
        )
      ).message,
    ).toBe('Data capture is not supported for serverless endpoints: remove DataCaptureConfig.');

    // @ts-expect-error: EndpointConfigName left out on purpose
    const missing = await failure(client.send(new CreateEndpointCommand({ EndpointName: 'ep' })));
    expect(missing.message).toBe(
      "1 validation error detected: Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null",
    );
    const badDeployment = await failure(
      client.send(
        new UpdateEndpointCommand({
          EndpointName: 'ep',
          EndpointConfigName: 'range',
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 4000 },
              MaximumExecutionTimeoutInSeconds: 100,
            },
          },
        }),
      ),
    );
    expect(badDeployment.message).toBe(
      "2 validation errors detected: Value 4000 at 'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration." +
        "waitIntervalInSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600; " +
        "Value 100 at 'deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds' failed to satisfy " +
        'constraint: Member must have value greater than or equal to 600',
    );
    const noCanarySize = await failure(
      client.send(
        new UpdateEndpointCommand({
          EndpointName: 'ep',
          EndpointConfigName: 'range',
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 60 },
            },
          },
        }),
      ),
    );
    expect(noCanarySize.message).toBe('TrafficRoutingConfiguration of Type CANARY needs CanarySize.');
  });

  it('lists endpoints as documented: newest first, 10 a page by default, sorted, filtered and paginated', async () => {
    await model('list-model');
    await config('list-config', 'list-model');
    const names = ['list-c', 'list-a', 'list-e', 'list-b', 'list-d'];
    for (const name of names) {
      await client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: 'list-config' }));
      await sleep(5); // distinct creation times
    }
    const listed = await client.send(new ListEndpointsCommand({ NameContains: 'list-' }));
    expect(listed.Endpoints?.map((endpoint) => endpoint.EndpointName)).toEqual([...names].reverse());
    expect(listed.NextToken).toBeUndefined();
    expect(listed.Endpoints?.[0]).toMatchObject({
      EndpointArn: `${ARN}:endpoint/list-d`,
      EndpointStatus: 'Creating',
    });
    expect(listed.Endpoints?.[0]?.CreationTime).toBeInstanceOf(Date);

    const pages: string[][] = [];
    for await (const page of paginateListEndpoints(
      { client, pageSize: 2 },
      { NameContains: 'LIST', SortBy: 'Name', SortOrder: 'Ascending' },
    )) {
      pages.push(page.Endpoints?.map((endpoint) => endpoint.EndpointName ?? '') ?? []);
    }
    expect(pages).toEqual([['list-a', 'list-b'], ['list-c', 'list-d'], ['list-e']]);

    // MaxResults defaults to 10.
    for (let n = 1; n <= 6; n++) {
      await client.send(
        new CreateEndpointCommand({ EndpointName: `fill-${n}`, EndpointConfigName: 'list-config' }),
      );
    }
    const all = await client.send(new ListEndpointsCommand({ MaxResults: 100 }));
    expect(all.Endpoints?.length).toBeGreaterThan(10);
    const firstPage = await client.send(new ListEndpointsCommand({}));
    expect(firstPage.Endpoints).toHaveLength(10);
    expect(firstPage.NextToken).toBeDefined();

    const cutoff = (await describeEndpoint('list-e')).CreationTime as Date;
    const after = await client.send(
      new ListEndpointsCommand({ NameContains: 'list', CreationTimeAfter: cutoff, SortOrder: 'Ascending' }),
    );
    expect(after.Endpoints?.map((endpoint) => endpoint.EndpointName)).toEqual(['list-e', 'list-b', 'list-d']);

    expect((await failure(client.send(new ListEndpointsCommand({ MaxResults: 0 })))).message).toBe(
      "1 validation error detected: Value 0 at 'maxResults' failed to satisfy constraint: Member must have value " +
        'greater than or equal to 1',
    );
    const token = firstPage.NextToken;
    expect(
      (await failure(client.send(new ListEndpointsCommand({ NextToken: token, SortBy: 'Name' })))).message,
    ).toMatch(/^Invalid pagination token/);

    // StatusEquals on a status that holds: once InService, the endpoints stay so (provisioning takes 400 ms
    // here, about as long as the calls above, so a Creating filter before this point would race it).
    for (const name of names) await waitForStatus(name, 'InService');
    const inService = await client.send(
      new ListEndpointsCommand({
        StatusEquals: 'InService',
        NameContains: 'list',
        SortBy: 'Name',
        SortOrder: 'Ascending',
      }),
    );
    expect(inService.Endpoints?.map((endpoint) => endpoint.EndpointName)).toEqual([...names].sort());
    expect(inService.Endpoints?.every((endpoint) => endpoint.EndpointStatus === 'InService')).toBe(true);
    const creating = await client.send(
      new ListEndpointsCommand({ StatusEquals: 'Creating', NameContains: 'list' }),
    );
    expect(creating.Endpoints).toEqual([]);
  });

  it('keeps models, configs and endpoints across a restart, and finishes a transition under way', async () => {
    await model('restart-model');
    await config('restart-config', 'restart-model');
    await client.send(
      new CreateEndpointCommand({ EndpointName: 'restart-ready', EndpointConfigName: 'restart-config' }),
    );
    await waitForStatus('restart-ready', 'InService');
    await client.send(
      new CreateEndpointCommand({ EndpointName: 'restart-busy', EndpointConfigName: 'restart-config' }),
    );
    await restart();
    expect(await describeEndpoint('restart-ready')).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'restart-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 1 }],
    });
    expect((await client.send(new DescribeModelCommand({ ModelName: 'restart-model' }))).ModelName).toBe(
      'restart-model',
    );
    await waitForStatus('restart-busy', 'InService');
  });
});

describe('local SageMaker endpoint events and alarm auto-rollback', () => {
  let root: string;
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  const events: SageMakerEndpointEvent[] = [];
  const alarms = new Map<string, string>();
  let autoscaling: LocalApplicationAutoScaling;
  let autoscalingClient: ApplicationAutoScalingClient;
  // The stack's EndpointEvents rule (lib/constructs/deployment-pipeline.ts) for a stack prefix "mlops".
  const endpointEventsRule = {
    source: ['aws.sagemaker'],
    'detail-type': ['SageMaker Endpoint State Change', 'SageMaker Endpoint Deployment State Change'],
    detail: { EndpointName: [{ prefix: 'mlops-' }] },
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-sagemaker-events-'));
    sagemaker = await startLocalSageMaker({
      workDir: join(root, 'sagemaker'),
      s3: { endpoint: 'http://127.0.0.1:9' },
      trainers: [],
      account: '111122223333',
      region: 'eu-west-1',
      timeScale: 10,
      hostingDelays: { provisionMs: 3000, deleteMs: 1000 },
      onEvent: (event) => events.push(event),
      alarmState: (name) => alarms.get(name),
      isAutoscaled: (resourceId) => autoscaling.isAutoscaled(resourceId),
    });
    client = new SageMakerClient({
      region: 'eu-west-1',
      endpoint: sagemaker.endpoint,
      credentials: CREDENTIALS,
    });
    autoscaling = await startLocalApplicationAutoScaling({
      workDir: join(root, 'aas'),
      account: '111122223333',
      region: 'eu-west-1',
      variantExists: (endpoint, variant) =>
        sagemaker.hosting.endpoint(endpoint)?.serving?.variants.some((v) => v.variantName === variant) ??
        false,
    });
    autoscalingClient = new ApplicationAutoScalingClient({
      region: 'eu-west-1',
      endpoint: autoscaling.endpoint,
      credentials: CREDENTIALS,
    });
  });

  afterAll(async () => {
    client?.destroy();
    autoscalingClient?.destroy();
    await autoscaling?.stop();
    await sagemaker?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function deployable(
    name: string,
    instanceType: ProductionVariantInstanceType = 'ml.m5.large',
  ): Promise<void> {
    await client.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://artifacts/runs/${name}/model.tar.gz` },
        ExecutionRoleArn: ROLE,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: name,
            InstanceType: instanceType,
            InitialInstanceCount: 2,
          },
        ],
      }),
    );
  }

  /** The deployment's DeploymentConfig: canary, baking, every endpoint alarm in AutoRollbackConfiguration. */
  function deployment(endpoint: string, bakeSeconds: number): DeploymentConfig {
    const names = alarmNames(endpoint);
    return {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY',
          CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
          WaitIntervalInSeconds: 2,
        },
        TerminationWaitInSeconds: bakeSeconds,
        MaximumExecutionTimeoutInSeconds: 3600,
      },
      AutoRollbackConfiguration: { Alarms: ALARM_KINDS.map((kind) => ({ AlarmName: names[kind] })) },
    };
  }

  async function serving(endpoint: string, config: string): Promise<void> {
    await deployable(config);
    await client.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
    await expect
      .poll(
        async () =>
          (await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus,
        {
          timeout: 5000,
          interval: 20,
        },
      )
      .toBe('InService');
  }

  async function waitInService(endpoint: string, config: string): Promise<void> {
    await expect
      .poll(
        async () => {
          const described = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
          return `${described.EndpointStatus}:${described.EndpointConfigName}`;
        },
        { timeout: 5000, interval: 20 },
      )
      .toBe(`InService:${config}`);
  }

  async function stage(endpoint: string): Promise<string | undefined> {
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    return described.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.Status;
  }

  const of = (endpoint: string) => events.filter((event) => event.detail.EndpointName === endpoint);
  const summary = (event: SageMakerEndpointEvent) => {
    const pending = event.detail.PendingDeploymentSummary as
      | { ProductionVariants: { VariantStatus: { Status: string }[] }[] }
      | undefined;
    return `${event['detail-type'] === 'SageMaker Endpoint State Change' ? 'state' : 'deployment'}:${String(event.detail.EndpointStatus)}${pending ? `/${pending.ProductionVariants[0]?.VariantStatus[0]?.Status}` : ''}`;
  };

  it('sends SageMaker Endpoint State Change and Deployment State Change events in AWS’s shape, matching the stack’s rule', async () => {
    const endpoint = 'mlops-penguins';
    await serving(endpoint, 'mlops-penguins-v1');
    await deployable('mlops-penguins-v2');
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'mlops-penguins-v2',
        DeploymentConfig: deployment(endpoint, 2),
      }),
    );
    await expect
      .poll(
        async () =>
          (await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointConfigName,
        {
          timeout: 5000,
          interval: 20,
        },
      )
      .toBe('mlops-penguins-v2');

    const sent = of(endpoint);
    expect(sent.map(summary)).toEqual([
      'state:CREATING',
      'state:IN_SERVICE',
      'state:UPDATING',
      'deployment:UPDATING/Creating',
      'deployment:UPDATING/ActivatingTraffic',
      'deployment:UPDATING/Baking',
      'state:IN_SERVICE',
    ]);
    for (const event of sent) {
      expect(matchesPattern(endpointEventsRule, event)).toBe(true);
      expect(event).toMatchObject({
        version: '0',
        source: 'aws.sagemaker',
        account: '111122223333',
        region: 'eu-west-1',
        resources: [`arn:aws:sagemaker:eu-west-1:111122223333:endpoint/${endpoint}`],
        detail: { EndpointArn: `arn:aws:sagemaker:eu-west-1:111122223333:endpoint/${endpoint}`, Tags: {} },
      });
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(typeof event.detail.CreationTime).toBe('number'); // epoch ms, as in the examples
    }
    expect(new Set(sent.map((event) => event.id)).size).toBe(sent.length);
    expect(sent[1]?.detail).toMatchObject({
      EndpointConfigName: 'mlops-penguins-v1',
      ProductionVariants: [{ VariantName: 'AllTraffic', DesiredWeight: 1, DesiredInstanceCount: 2 }],
    });
    expect(sent[4]?.detail).toMatchObject({
      EndpointConfigName: 'mlops-penguins-v1',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
      PendingDeploymentSummary: {
        EndpointConfigName: 'mlops-penguins-v2',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            CurrentWeight: 0.5,
            DesiredWeight: 1,
            DesiredInstanceCount: 2,
            VariantStatus: [
              {
                Status: 'ActivatingTraffic',
                StatusMessage: 'Activating traffic on canary capacity of 1 instance(s).',
              },
            ],
          },
        ],
      },
    });
    expect(sent[5]?.detail).toMatchObject({
      PendingDeploymentSummary: {
        ProductionVariants: [
          {
            VariantStatus: [
              {
                Status: 'Baking',
                StatusMessage:
                  'Baking for 2 seconds (TerminationWaitInSeconds) with traffic enabled on full capacity of 2 instance(s).',
              },
            ],
          },
        ],
      },
    });
    expect(sent[6]?.detail).toMatchObject({
      EndpointStatus: 'IN_SERVICE',
      EndpointConfigName: 'mlops-penguins-v2',
    });
    expect(sent[6]?.detail.FailureReason).toBeUndefined();
    expect(eventStatus('UpdateRollbackFailed')).toBe('UPDATE_ROLLBACK_FAILED');
  });

  it('rolls an update back when one of its alarms goes into ALARM while baking: traffic on blue, InService on the old config', async () => {
    const endpoint = 'mlops-rollback';
    const names = alarmNames(endpoint);
    await serving(endpoint, 'mlops-rollback-v1');
    await deployable('mlops-rollback-v2');
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'mlops-rollback-v2',
        DeploymentConfig: deployment(endpoint, 600), // 60 s of baking at this time scale
      }),
    );
    await expect.poll(() => stage(endpoint), { timeout: 5000, interval: 20 }).toBe('Baking');
    expect(sagemaker.hosting.endpoint(endpoint)?.pending?.endpointConfigName).toBe('mlops-rollback-v2');

    // Another alarm, or one of ours going to OK, changes nothing.
    alarms.set('some-other-alarm', 'ALARM');
    sagemaker.hosting.alarmChanged('some-other-alarm');
    alarms.set(names.modelLatencyP99, 'OK');
    sagemaker.hosting.alarmChanged(names.modelLatencyP99);
    expect(await stage(endpoint)).toBe('Baking');

    const before = of(endpoint).length;
    alarms.set(names.invocation5xxErrors, 'ALARM');
    sagemaker.hosting.alarmChanged(names.invocation5xxErrors);

    const described = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(described).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'mlops-rollback-v1',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, CurrentInstanceCount: 2 }],
      LastDeploymentConfig: deployment(endpoint, 600),
    });
    expect(described.PendingDeploymentSummary).toBeUndefined();
    expect(described.FailureReason).toContain(names.invocation5xxErrors);
    expect(described.FailureReason).toContain('mlops-rollback-v2');
    // What the runtime routes by: no green fleet left.
    expect(sagemaker.hosting.endpoint(endpoint)?.pending).toBeUndefined();
    expect(sagemaker.hosting.endpoint(endpoint)?.serving?.endpointConfigName).toBe('mlops-rollback-v1');

    const sent = of(endpoint).slice(before);
    expect(sent.map(summary)).toEqual(['deployment:IN_SERVICE/Deleting', 'state:IN_SERVICE']);
    expect(sent.every((event) => matchesPattern(endpointEventsRule, event))).toBe(true);
    expect(sent[0]?.detail).toMatchObject({
      EndpointConfigName: 'mlops-rollback-v1',
      FailureReason: described.FailureReason,
      PendingDeploymentSummary: {
        EndpointConfigName: 'mlops-rollback-v2',
        ProductionVariants: [
          {
            CurrentWeight: 0,
            VariantStatus: [{ Status: 'Deleting', StatusMessage: 'Terminating 2 instance(s).' }],
          },
        ],
      },
    });
    expect(sent[1]?.detail).toMatchObject({
      EndpointConfigName: 'mlops-rollback-v1',
      FailureReason: described.FailureReason,
    });

    // What the deployment workflow records from this outcome and event: RolledBack, naming the alarm.
    const recorded = verdict({
      deploymentId: 'd-1',
      model: 'rollback',
      version: 2,
      kind: 'deploy',
      requestedBy: 'test',
      plan: {
        names: { endpointName: endpoint, endpointConfigName: 'mlops-rollback-v2' },
        previousConfigName: 'mlops-rollback-v1',
        alarms: ALARM_KINDS.map((kind) => ({ AlarmName: names[kind] })),
      },
      endpoint: {
        EndpointStatus: String(described.EndpointStatus),
        EndpointConfigName: String(described.EndpointConfigName),
        FailureReason: String(described.FailureReason),
        deploymentEvent: sent[0]?.detail ?? {},
      },
    });
    expect(recorded.outcome).toBe('RolledBack');
    expect(recorded.reasons[0]).toContain(`(alarm ${names.invocation5xxErrors})`);

    // The next update starts clean: no FailureReason while it runs; the alarm back to OK lets it through.
    alarms.set(names.invocation5xxErrors, 'OK');
    await deployable('mlops-rollback-v3');
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'mlops-rollback-v3',
        DeploymentConfig: deployment(endpoint, 1),
      }),
    );
    expect(
      (await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).FailureReason,
    ).toBeUndefined();
    await expect
      .poll(
        async () =>
          (await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointConfigName,
        {
          timeout: 5000,
          interval: 20,
        },
      )
      .toBe('mlops-rollback-v3');
  });

  it('checks the alarms at each stage start: an alarm already in ALARM rolls the update back without a change', async () => {
    const endpoint = 'mlops-early';
    const names = alarmNames(endpoint);
    await serving(endpoint, 'mlops-early-v1');
    await deployable('mlops-early-v2');
    alarms.set(names.invocationErrorRate, 'ALARM');
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'mlops-early-v2',
        DeploymentConfig: deployment(endpoint, 600),
      }),
    );
    // UpdateEndpoint answers first (Updating); the first stage's check rolls it back on the next tick.
    await expect
      .poll(
        async () =>
          (await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus,
        {
          timeout: 2000,
          interval: 10,
        },
      )
      .toBe('InService');
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(described.EndpointConfigName).toBe('mlops-early-v1');
    expect(described.FailureReason).toContain(names.invocationErrorRate);
    expect(described.FailureReason).toContain('Creating stage');
    expect(of(endpoint).map(summary).slice(-4)).toEqual([
      'state:UPDATING',
      'deployment:UPDATING/Creating',
      'deployment:IN_SERVICE/Deleting',
      'state:IN_SERVICE',
    ]);
  });
  it('refuses an update that changes the instance type of an autoscaled variant until it is deregistered', async () => {
    const endpoint = 'mlops-scaled';
    await serving(endpoint, 'mlops-scaled-v1');
    const requests = autoscalingRequests(endpoint, 'AllTraffic', {
      mode: 'auto',
      endpoint: {
        type: 'realtime',
        instanceType: 'ml.m5.large',
        initialInstanceCount: 2,
        autoscaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100 },
      },
      trafficRouting: { type: 'ALL_AT_ONCE' },
      bakeSeconds: 0,
      maxExecutionTimeoutSeconds: 600,
      dataCapturePercent: 0,
      alarms: { latencyP99Ms: 100, errorRatePercent: 1 },
      retainVersions: 1,
    });
    if (!requests) throw new Error('autoscaling expected');
    // Application Auto Scaling checks the variant against the hosting: none before the endpoint serves it.
    const missing = await autoscalingClient
      .send(
        new RegisterScalableTargetCommand({
          ...requests.register,
          ResourceId: 'endpoint/mlops-none/variant/AllTraffic',
        }),
      )
      .catch((error: Error) => error);
    expect((missing as Error).name).toBe('ValidationException');
    await autoscalingClient.send(new RegisterScalableTargetCommand(requests.register));
    await autoscalingClient.send(new PutScalingPolicyCommand(requests.policy));

    await deployable('mlops-scaled-v2', 'ml.c5.large');
    const refused = await client
      .send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: 'mlops-scaled-v2' }))
      .catch((error: Error) => error);
    expect(refused).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        'changes its instance type from ml.m5.large to ml.c5.large, and variant AllTraffic is a target for auto scaling',
      ),
    });
    expect((await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).EndpointStatus).toBe(
      'InService',
    );
    // A new model on the same instance type is allowed ("If you change the model ... auto scaling allows the update").
    await deployable('mlops-scaled-v3');
    await client.send(
      new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: 'mlops-scaled-v3' }),
    );
    await waitInService(endpoint, 'mlops-scaled-v3');
    // Deregistered first, as the deployment does, the instance type may change.
    await autoscalingClient.send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: requests.register.ResourceId,
        ScalableDimension: requests.register.ScalableDimension,
      }),
    );
    await client.send(
      new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: 'mlops-scaled-v2' }),
    );
    await waitInService(endpoint, 'mlops-scaled-v2');

    // Deleting an endpoint deregisters its variants (what the runtime wires to endpointDeleted).
    await autoscalingClient.send(new RegisterScalableTargetCommand(requests.register));
    autoscaling.endpointDeleted(endpoint);
    expect(autoscaling.isAutoscaled(String(requests.register.ResourceId))).toBe(false);
  });
});

describe('local SageMaker health check of new fleets (a failed update leaves the endpoint on its old config)', () => {
  let root: string;
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  const events: SageMakerEndpointEvent[] = [];
  /** The health check's answer per endpoint config (undefined: healthy), and answers held back by a test. */
  const answers = new Map<string, string | undefined>();
  const held = new Map<string, () => void>();
  const checked: string[] = [];
  const PING_FAILURE =
    'The primary container for production variant AllTraffic did not pass the ping health check. Please check ' +
    'CloudWatch logs for this endpoint.';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-sagemaker-health-'));
    sagemaker = await startLocalSageMaker({
      workDir: join(root, 'sagemaker'),
      s3: { endpoint: 'http://127.0.0.1:9' },
      trainers: [],
      timeScale: 10,
      hostingDelays: { provisionMs: 3000, deleteMs: 1000 },
      onEvent: (event) => events.push(event),
    });
    // Set late, as the app does once the SageMaker Runtime (which runs the containers) has started.
    sagemaker.hosting.setHealthCheck(async (fleet) => {
      checked.push(fleet.endpointConfigName);
      const gate = new Promise<void>((resolve) => {
        if (fleet.endpointConfigName.includes('slow')) held.set(fleet.endpointConfigName, resolve);
        else resolve();
      });
      await gate;
      return answers.get(fleet.endpointConfigName);
    });
    client = new SageMakerClient({ region: REGION, endpoint: sagemaker.endpoint, credentials: CREDENTIALS });
  });

  afterAll(async () => {
    client?.destroy();
    await sagemaker?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function deployable(name: string): Promise<void> {
    await client.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://artifacts/runs/${name}/model.tar.gz` },
        ExecutionRoleArn: ROLE,
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: name,
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 2,
          },
        ],
      }),
    );
  }

  const describeEndpoint = (name: string) => client.send(new DescribeEndpointCommand({ EndpointName: name }));
  const settled = async (name: string) => {
    await expect
      .poll(async () => (await describeEndpoint(name)).EndpointStatus, { timeout: 5000, interval: 20 })
      .not.toMatch(/^(Creating|Updating)$/);
    return describeEndpoint(name);
  };
  const of = (endpoint: string) => events.filter((event) => event.detail.EndpointName === endpoint);
  const summary = (event: SageMakerEndpointEvent) => {
    const pending = event.detail.PendingDeploymentSummary as
      | { ProductionVariants: { VariantStatus: { Status: string }[] }[] }
      | undefined;
    return `${event['detail-type'] === 'SageMaker Endpoint State Change' ? 'state' : 'deployment'}:${String(event.detail.EndpointStatus)}${pending ? `/${pending.ProductionVariants[0]?.VariantStatus[0]?.Status}` : ''}`;
  };
  const CANARY: DeploymentConfig = {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
        WaitIntervalInSeconds: 2,
      },
      TerminationWaitInSeconds: 1,
    },
    AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'health-5xx' }] },
  };

  it('fails a CreateEndpoint whose fleet does not pass its health check: Failed, with the reason', async () => {
    // Prepare
    await deployable('health-first-v1');
    answers.set('health-first-v1', PING_FAILURE);

    // Act
    await client.send(
      new CreateEndpointCommand({ EndpointName: 'health-first', EndpointConfigName: 'health-first-v1' }),
    );
    const described = await settled('health-first');

    // Assess
    expect(described).toMatchObject({
      EndpointStatus: 'Failed',
      EndpointConfigName: 'health-first-v1',
      FailureReason: PING_FAILURE,
    });
    expect(sagemaker.hosting.endpoint('health-first')?.pending).toBeUndefined();
    expect(of('health-first').map(summary)).toEqual(['state:CREATING', 'state:FAILED']);
    expect(of('health-first')[1]?.detail).toMatchObject({
      EndpointConfigName: 'health-first-v1',
      FailureReason: PING_FAILURE,
    });
    // A Failed endpoint can only be deleted.
    await expect(
      client.send(
        new UpdateEndpointCommand({ EndpointName: 'health-first', EndpointConfigName: 'health-first-v1' }),
      ),
    ).rejects.toThrow(/in status Failed/);
    await client.send(new DeleteEndpointCommand({ EndpointName: 'health-first' }));
  });

  it('ends an update whose green fleet fails its health check InService on the old config, naming no alarm', async () => {
    // Prepare
    const endpoint = 'health-update';
    await deployable('health-update-v1');
    await deployable('health-update-v2');
    answers.set('health-update-v2', PING_FAILURE);
    await client.send(
      new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: 'health-update-v1' }),
    );
    expect((await settled(endpoint)).EndpointStatus).toBe('InService');
    const before = of(endpoint).length;

    // Act
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'health-update-v2',
        DeploymentConfig: CANARY,
      }),
    );
    const updating = await describeEndpoint(endpoint);
    const described = await settled(endpoint);

    // Assess: the update never took traffic, blue serves on, the reason is SageMaker's
    expect(updating.EndpointStatus).toBe('Updating');
    expect(described).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'health-update-v1',
      FailureReason: PING_FAILURE,
    });
    expect(described.PendingDeploymentSummary).toBeUndefined();
    expect(sagemaker.hosting.endpoint(endpoint)?.serving?.endpointConfigName).toBe('health-update-v1');
    const sent = of(endpoint).slice(before);
    expect(sent.map(summary)).toEqual([
      'state:UPDATING',
      'deployment:UPDATING/Creating',
      'deployment:IN_SERVICE/Deleting',
      'state:IN_SERVICE',
    ]);
    expect(sent[2]?.detail).toMatchObject({
      EndpointConfigName: 'health-update-v1',
      FailureReason: PING_FAILURE,
      PendingDeploymentSummary: {
        EndpointConfigName: 'health-update-v2',
        ProductionVariants: [
          {
            CurrentWeight: 0,
            VariantStatus: [{ Status: 'Deleting', StatusMessage: 'Terminating 2 instance(s).' }],
          },
        ],
      },
    });

    // What the deployment workflow records from it, resumed by either event: RolledBack, SageMaker's reason
    const plan = {
      names: { endpointName: endpoint, endpointConfigName: 'health-update-v2' },
      previousConfigName: 'health-update-v1',
      alarms: [{ AlarmName: 'health-5xx' }],
    };
    const outcome = {
      EndpointStatus: String(described.EndpointStatus),
      EndpointConfigName: String(described.EndpointConfigName),
      FailureReason: String(described.FailureReason),
    };
    const base = {
      deploymentId: 'd-1',
      model: 'm',
      version: 2,
      kind: 'deploy' as const,
      requestedBy: 't',
      plan,
    };
    const byStateChange = verdict({ ...base, endpoint: outcome });
    const byDeploymentEvent = verdict({
      ...base,
      endpoint: { ...outcome, deploymentEvent: sent[2]?.detail ?? {} },
    });
    for (const recorded of [byStateChange, byDeploymentEvent]) {
      expect(recorded.outcome).toBe('RolledBack');
      expect(recorded.reasons).toContain(`SageMaker: ${PING_FAILURE}`);
      expect(recorded.reasons[0]).toContain(`it serves health-update-v1, not health-update-v2`);
      expect(recorded.reasons[0]).not.toContain('(alarm');
    }
    // Whichever event resumed the workflow first, the same record.
    expect(byDeploymentEvent).toEqual(byStateChange);
  });

  it('checks a fleet again after a restart that stopped its health check, and fails it then', async () => {
    // Prepare: a check that never answers, then the hosting stops
    const workDir = join(root, 'restarted');
    const options = {
      workDir,
      account: ACCOUNT,
      region: REGION,
      timeScale: 10,
      delays: { provisionMs: 3000 },
    };
    const first = new LocalHosting({
      ...options,
      healthCheck: () => new Promise<undefined>(() => undefined),
    });
    const call = (hosting: LocalHosting, operation: string, body: unknown) =>
      hosting.operations()[operation]?.(body);
    call(first, 'CreateModel', {
      ModelName: 'restarted-v1',
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://artifacts/runs/restarted-v1/model.tar.gz' },
      ExecutionRoleArn: ROLE,
    });
    call(first, 'CreateEndpointConfig', {
      EndpointConfigName: 'restarted-v1',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: 'restarted-v1',
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 1,
        },
      ],
    });
    call(first, 'CreateEndpoint', { EndpointName: 'restarted', EndpointConfigName: 'restarted-v1' });
    await sleep(400);
    expect(first.endpoint('restarted')?.status).toBe('Creating');
    first.close();

    // Act
    const reasons: string[] = [];
    const second = new LocalHosting(options);
    second.setHealthCheck(async (fleet) => {
      reasons.push(fleet.endpointConfigName);
      return PING_FAILURE;
    });
    await expect
      .poll(() => second.endpoint('restarted')?.status, { timeout: 2000, interval: 10 })
      .toBe('Failed');
    second.close();

    // Assess
    expect(reasons).toEqual(['restarted-v1']);
    expect(second.endpoint('restarted')?.failureReason).toBe(PING_FAILURE);
  });

  it('holds the Creating stage (no traffic) until a slow health check answers, then shifts the rest of the timeline', async () => {
    // Prepare
    const endpoint = 'health-slow';
    await deployable('health-slow-v1');
    await deployable('health-slow-v2');
    await client.send(
      new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: 'health-slow-v1' }),
    );
    await expect.poll(() => held.has('health-slow-v1'), { timeout: 2000, interval: 10 }).toBe(true);
    await sleep(600); // twice the Creating stage
    expect((await describeEndpoint(endpoint)).EndpointStatus).toBe('Creating');
    held.get('health-slow-v1')?.();
    expect((await settled(endpoint)).EndpointStatus).toBe('InService');

    // Act: an update whose check answers well after its Creating stage
    await client.send(
      new UpdateEndpointCommand({
        EndpointName: endpoint,
        EndpointConfigName: 'health-slow-v2',
        DeploymentConfig: CANARY,
      }),
    );
    await expect.poll(() => held.has('health-slow-v2'), { timeout: 2000, interval: 10 }).toBe(true);
    await sleep(600);
    const waiting = await describeEndpoint(endpoint);
    const pending = structuredClone(sagemaker.hosting.endpoint(endpoint)?.pending);
    const released = Date.now();
    held.get('health-slow-v2')?.();
    const described = await settled(endpoint);

    // Assess
    expect(waiting.EndpointStatus).toBe('Updating');
    expect(waiting.PendingDeploymentSummary?.ProductionVariants?.[0]).toMatchObject({
      CurrentWeight: 0,
      VariantStatus: [{ Status: 'Creating' }],
    });
    expect(pending && currentStage(pending)?.status).toBe('Creating');
    expect(described).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'health-slow-v2' });
    expect(described.FailureReason).toBeUndefined();
    // The canary (200 ms) and the baking (100 ms) ran in full after the check answered.
    expect(Date.now() - released).toBeGreaterThanOrEqual(250);
    const stages = of(endpoint)
      .filter((event) => event['detail-type'] === 'SageMaker Endpoint Deployment State Change')
      .map(summary);
    expect(stages).toEqual([
      'deployment:UPDATING/Creating',
      'deployment:UPDATING/ActivatingTraffic',
      'deployment:UPDATING/Baking',
    ]);
    expect(checked.filter((name) => name.startsWith('health-slow'))).toEqual([
      'health-slow-v1',
      'health-slow-v2',
    ]);
  });
});
