import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEY, loadConfig } from '../../lib/config';
import { ServerlessMlopsStack } from '../../lib/serverless-mlops-stack';
import { cdkJsonContext, synthStack, TEST_ENV, testApp } from '../support/cdk';

describe('ServerlessMlopsStack', () => {
  it.each(['dev', 'prod'])('passes cdk-nag AwsSolutions with no unacknowledged finding (%s)', (stage) => {
    // Act
    const synth = () => synthStack({ config: { stage }, nag: true });

    // Assess
    expect(synth).not.toThrow();
  });

  it('fails synth when a resource breaks an AwsSolutions rule', () => {
    // Prepare: the same stack plus a bucket with neither access logs nor TLS enforcement
    const app = testApp();
    const stack = new ServerlessMlopsStack(app, 'ServerlessMlops', {
      env: TEST_ENV,
      config: loadConfig(app, TEST_ENV.region),
    });
    new s3.Bucket(stack, 'Careless');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).toThrowError(/ServerlessMlops\/Careless\/Resource[\s\S]*AwsSolutions-S1/);
  });

  it("stops `cdk synth` (bin/app.ts) on hyperparameters over SageMaker's limits, naming the setting", () => {
    // Prepare: cdk.json's context with one model whose hyperparameter value is over 2,500 characters; the CDK
    // CLI hands the app its context in CDK_CONTEXT_JSON.
    const context = {
      ...cdkJsonContext(),
      [CONTEXT_KEY]: {
        models: {
          churn: {
            problemType: 'binary',
            targetColumn: 'churned',
            training: { hyperparameters: { note: 'x'.repeat(2501) } },
          },
        },
      },
    };
    const root = join(__dirname, '..', '..');

    // Act
    const synth = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin', 'app.ts')], {
      cwd: root,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_DEFAULT_REGION: 'us-east-1' },
      encoding: 'utf8',
      timeout: 120_000,
    });

    // Assess
    expect(synth.status).toBe(1);
    expect(synth.stderr).toContain(
      'models.churn.training.hyperparameters.note: is 2501 characters long, more than SageMaker accepts for a hyperparameter value (expected at most 2500)',
    );
  });

  it('names the buckets, table, key and state machine in its outputs', () => {
    // Act
    const { template } = synthStack();

    // Assess
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      'AccessLogsBucketName',
      'ArtifactsBucketName',
      'DataBucketName',
      'DeploymentStateMachineArn',
      'InferenceApiUrl',
      'KmsKeyArn',
      'NotificationsTopicArn',
      'RegistryTableName',
      'TrainingStateMachineArn',
    ]);
  });

  it('keeps the key in prod and schedules its deletion in dev', () => {
    // Act
    const prod = synthStack({ config: { stage: 'prod' } }).template;
    const dev = synthStack({ config: { stage: 'dev' } }).template;

    // Assess
    const policy = (template: typeof prod) =>
      Object.values(template.findResources('AWS::KMS::Key')).map(
        (key) => (key as { DeletionPolicy: string }).DeletionPolicy,
      );
    expect(policy(prod)).toEqual(['Retain']);
    expect(policy(dev)).toEqual(['Delete']);
  });

  it('is a plain Stack so it can be composed into a larger app', () => {
    // Act
    const { stack } = synthStack();

    // Assess
    expect(stack).toBeInstanceOf(Stack);
    expect(stack.region).toBe('us-east-1');
  });
});
