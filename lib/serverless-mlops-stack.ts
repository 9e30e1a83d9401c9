import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DATASET_KEY_LAYOUT } from '../lambdas/shared/s3-layout';
import {
  type MlopsConfig,
  toRuntimeDeploymentSettings,
  toRuntimeModelSettings,
  toRuntimeMonitoringSettings,
} from './config';
import { Alarms } from './constructs/alarms';
import { MlopsDashboard } from './constructs/dashboard';
import { DataStorage } from './constructs/data-storage';
import { DeploymentPipeline } from './constructs/deployment-pipeline';
import { Encryption } from './constructs/encryption';
import { InferenceApi } from './constructs/inference-api';
import { ModelRegistry } from './constructs/model-registry';
import { Monitoring } from './constructs/monitoring';
import { Notifications } from './constructs/notifications';
import { PipelineFunction } from './constructs/pipeline-function';
import { RunCost } from './constructs/run-cost';
import { TrainingPipeline } from './constructs/training-pipeline';

export interface ServerlessMlopsStackProps extends StackProps {
  /** The validated configuration (see lib/config and docs/configuration.md). */
  readonly config: MlopsConfig;
}

/** Composes the capabilities; holds no logic beyond wiring and the stage's retention choices. */
export class ServerlessMlopsStack extends Stack {
  public readonly config: MlopsConfig;
  public readonly encryption: Encryption;
  public readonly storage: DataStorage;
  public readonly registry: ModelRegistry;
  public readonly trainingPipeline: TrainingPipeline;
  public readonly deploymentPipeline: DeploymentPipeline;
  public readonly inferenceApi: InferenceApi;
  public readonly monitoring: Monitoring;
  public readonly dashboard: MlopsDashboard;
  public readonly notifications: Notifications;
  public readonly alarms: Alarms;
  public readonly runCost: RunCost;

  constructor(scope: Construct, id: string, props: ServerlessMlopsStackProps) {
    super(scope, id, props);
    this.config = props.config;
    const prod = props.config.stage === 'prod';
    // dev stacks are disposable; prod keeps its data, key and audit trail when the stack goes.
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.encryption = new Encryption(this, 'Encryption', { removalPolicy });
    this.encryption.grantCloudWatchLogs();
    this.storage = new DataStorage(this, 'Storage', { encryptionKey: this.encryption.key, removalPolicy });
    this.registry = new ModelRegistry(this, 'Registry', {
      encryptionKey: this.encryption.key,
      removalPolicy,
      deletionProtection: prod,
    });
    this.trainingPipeline = new TrainingPipeline(this, 'Training', {
      dataBucket: this.storage.dataBucket,
      artifactsBucket: this.storage.artifactsBucket,
      registry: this.registry,
      encryptionKey: this.encryption.key,
      modelSettings: toRuntimeModelSettings(props.config),
      removalPolicy,
    });
    this.notifications = new Notifications(this, 'Notifications', {
      encryptionKey: this.encryption.key,
      alarmEmails: props.config.alarmEmails,
      removalPolicy,
    });
    this.deploymentPipeline = new DeploymentPipeline(this, 'Deployment', {
      artifactsBucket: this.storage.artifactsBucket,
      registry: this.registry,
      encryptionKey: this.encryption.key,
      deploymentSettings: toRuntimeDeploymentSettings(props.config),
      modelSettings: toRuntimeModelSettings(props.config),
      removalPolicy,
      alarmTopic: this.notifications.topic,
    });
    this.inferenceApi = new InferenceApi(this, 'InferenceApi', {
      artifactsBucket: this.storage.artifactsBucket,
      encryptionKey: this.encryption.key,
      namePrefix: this.deploymentPipeline.namePrefix,
      deploymentSettings: toRuntimeDeploymentSettings(props.config),
      removalPolicy,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      dataBucket: this.storage.dataBucket,
      artifactsBucket: this.storage.artifactsBucket,
      registry: this.registry,
      encryptionKey: this.encryption.key,
      monitoringSettings: toRuntimeMonitoringSettings(props.config),
      modelSettings: toRuntimeModelSettings(props.config),
      removalPolicy,
    });
    this.runCost = new RunCost(this, 'RunCost', {
      stateMachine: this.trainingPipeline.stateMachine,
      registry: this.registry,
      encryptionKey: this.encryption.key,
      functions: Object.values(this.trainingPipeline.functions).map((f) => f.function),
      prices: props.config.prices,
      removalPolicy,
    });
    // Built last, from the construct tree: every function and dead-letter queue of the stack is on it.
    this.dashboard = new MlopsDashboard(this, 'Dashboard', {
      endpointNamePrefix: this.deploymentPipeline.namePrefix,
      deadLetterQueues: this.node
        .findAll()
        .filter((c): c is sqs.Queue => c instanceof sqs.Queue && /DeadLetter/.test(c.node.id)),
      functions: this.node.findAll().filter((c): c is lambda.Function => c instanceof lambda.Function),
      stateMachines: {
        Training: this.trainingPipeline.stateMachine,
        Deployment: this.deploymentPipeline.stateMachine,
      },
    });

    // After every other construct: each function and dead-letter queue of the stack gets its alarm.
    const readable = (c: { node: { path: string } }) => c.node.path.split('/').slice(1).join('-');
    this.alarms = new Alarms(this, 'Alarms', {
      topic: this.notifications.topic,
      trainingStateMachine: this.trainingPipeline.stateMachine,
      deploymentStateMachine: this.deploymentPipeline.stateMachine,
      deadLetterQueues: Object.fromEntries(
        this.node
          .findAll()
          .filter((c): c is sqs.Queue => c instanceof sqs.Queue && /DeadLetter/.test(c.node.id))
          .map((queue) => [readable(queue), queue]),
      ),
      functions: Object.fromEntries(
        this.node
          .findAll()
          .filter((c): c is PipelineFunction => c instanceof PipelineFunction)
          .map((fn) => [readable(fn), fn.function]),
      ),
      retrainFunction: this.monitoring.functions.retrain.function,
      monitoringSettings: toRuntimeMonitoringSettings(props.config),
    });

    this.output(
      'DataBucketName',
      this.storage.dataBucket.bucketName,
      `Upload datasets to ${DATASET_KEY_LAYOUT}`,
    );
    this.output(
      'ArtifactsBucketName',
      this.storage.artifactsBucket.bucketName,
      'Run, model and drift artifacts',
    );
    this.output('AccessLogsBucketName', this.storage.accessLogsBucket.bucketName, 'S3 server access logs');
    this.output('RegistryTableName', this.registry.table.tableName, 'The model registry (DynamoDB)');
    this.output(
      'TrainingStateMachineArn',
      this.trainingPipeline.stateMachine.stateMachineArn,
      'The training pipeline',
    );
    this.output(
      'DeploymentStateMachineArn',
      this.deploymentPipeline.stateMachine.stateMachineArn,
      'The deployment workflow',
    );
    this.output(
      'InferenceApiUrl',
      this.inferenceApi.url.url,
      'POST models/<model>/invocations (SigV4-signed, IAM-authorized) invokes the model and captures for monitoring',
    );
    this.output(
      'NotificationsTopicArn',
      this.notifications.topic.topicArn,
      'Alarms and model lifecycle messages (SNS, KMS-encrypted)',
    );
    this.output('KmsKeyArn', this.encryption.key.keyArn, 'Customer-managed key for data, registry and logs');
  }

  private output(id: string, value: string, description: string): void {
    new CfnOutput(this, id, { value, description });
  }
}
