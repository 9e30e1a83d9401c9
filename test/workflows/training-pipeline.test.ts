/**
 * Executes the synthesized training state machine (references resolved) with aws-local-stepfunctions.
 * The Lambda tasks run the real handlers in-process against DynamoDB Local, s3rver and a local EventBridge;
 * the SageMaker task is given a local handler that plays the training job.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistryClient } from '../../lambdas/shared/registry';
import { TrainingStates } from '../../lib/workflows/training-pipeline';
import { lambdaTask } from '../../local/lambda/functions';
import type { LocalTaskHandler } from '../../local/stepfunctions/executor';
import { LOCAL_CREDENTIALS, LocalRuntime } from '../../local/runtime';
import { resourcesOfType } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const CONFIG = {
  models: {
    defaults: { approval: 'auto' },
    churn: { problemType: 'binary', targetColumn: 'churned', evaluation: { threshold: 0.7 } },
    reviewed: { problemType: 'binary', targetColumn: 'churned', approval: 'manual' },
    picky: { problemType: 'binary', targetColumn: 'churned', evaluation: { minImprovement: 0.05 } },
  },
};

/** A deterministic, learnable binary dataset: churn follows usage and plan. */
function churnCsv(rows: number, seed = 1): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const lines = ['tenure,monthly_spend,plan,churned'];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(random() * 60);
    const spend = Math.round(random() * 10000) / 100;
    const plan = ['basic', 'plus', 'pro'][Math.floor(random() * 3)];
    const churned = tenure < 20 && random() < 0.8 ? 1 : 0;
    lines.push(`${tenure},${spend},${plan},${churned}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('training pipeline, executed from the synthesized definition', () => {
  let runtime: LocalRuntime;
  let s3: S3Client;
  let registry: ModelRegistryClient;
  let stateMachineId: string;
  let dataBucket: string;
  let artifactsBucket: string;
  let trainingCalls: Record<string, unknown>[];
  let objective: number;
  let version = 0;

  /** The SageMaker task: checks the splits exist, then completes with the objective the test chose. */
  const trainer: LocalTaskHandler = async (input) => {
    const request = input as { TrainingJobName: string; InputDataConfig: { DataSource: { S3DataSource: { S3Uri: string } } }[] };
    trainingCalls.push(request as unknown as Record<string, unknown>);
    for (const channel of request.InputDataConfig) {
      const uri = new URL(channel.DataSource.S3DataSource.S3Uri);
      const name = uri.pathname.split('/').filter(Boolean).at(-1);
      await s3.send(new GetObjectCommand({ Bucket: uri.host, Key: `${uri.pathname.slice(1)}${name}.csv` }));
    }
    return {
      TrainingJobName: request.TrainingJobName,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: `s3://${artifactsBucket}/runs/${request.TrainingJobName}/output/model.tar.gz` },
      FinalMetricDataList: [
        { MetricName: 'validation:auc', Value: objective },
        { MetricName: 'train:auc', Value: 0.99 },
      ],
    };
  };

  async function upload(model: string, body: string, file = 'data.csv'): Promise<Record<string, unknown>> {
    const key = `datasets/${model}/${file}`;
    await s3.send(new PutObjectCommand({ Bucket: dataBucket, Key: key, Body: body }));
    version += 1;
    // s3rver keeps no versions; the event names one, as S3 does for a versioned bucket.
    return {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: dataBucket }, object: { key, size: Buffer.byteLength(body), 'version-id': `v${version}` } },
    };
  }

  const run = (event: unknown, services: Record<string, LocalTaskHandler> = {}) =>
    runtime.execute(stateMachineId, event, { services: { [TrainingStates.train]: trainer, ...services }, retryIntervalMs: 0 });

  beforeAll(async () => {
    const { template } = synthStack({ config: CONFIG });
    const json = template.toJSON() as Parameters<typeof LocalRuntime.start>[0]['template'];
    runtime = await LocalRuntime.start({ template: json });
    const [[machineId] = []] = resourcesOfType(json, 'AWS::StepFunctions::StateMachine');
    stateMachineId = machineId as string;
    const bucket = (prefix: string) => {
      const [id] = resourcesOfType(json, 'AWS::S3::Bucket').find(([logicalId]) => logicalId.startsWith(prefix)) ?? [];
      return runtime.resources.physicalName(id as string);
    };
    dataBucket = bucket('StorageData');
    artifactsBucket = bucket('StorageArtifacts');
    s3 = new S3Client({ region: 'us-east-1', endpoint: runtime.s3.endpoint, credentials: LOCAL_CREDENTIALS });
    const [[tableId] = []] = resourcesOfType(json, 'AWS::DynamoDB::Table');
    registry = new ModelRegistryClient({
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({ region: 'us-east-1', endpoint: runtime.dynamodb.endpoint, credentials: LOCAL_CREDENTIALS }),
      ),
      tableName: runtime.resources.physicalName(tableId as string),
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await runtime?.stop();
  });

  it('validates, trains, evaluates and registers version 1 with its lineage', async () => {
    // Prepare
    trainingCalls = [];
    objective = 0.83;
    const event = await upload('churn', churnCsv(300));

    // Act
    const result = await run(event);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stateTransitions).toBeLessThanOrEqual(20);
    expect(trainingCalls).toHaveLength(1);
    const stored = await registry.getVersion('churn', 1);
    expect(stored).toMatchObject({
      status: 'Approved',
      metrics: expect.objectContaining({ 'validation:auc': 0.83 }),
      lineage: expect.objectContaining({
        dataset: expect.objectContaining({ bucket: dataBucket, key: 'datasets/churn/data.csv', versionId: 'v1' }),
        sha256: expect.stringMatching(/^[a-f0-9]{64}$/),
        rowCount: 300,
      }),
    });
    expect(runtime.events.events.map((e) => e['detail-type'])).toContain('ModelRegistered');
  });
});
