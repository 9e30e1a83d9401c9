import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENDPOINT_WAIT_ALLOWANCE_SECONDS } from '../../lambdas/shared/deployment/workflow';
import { namePrefix, resourceNamePattern } from '../../lambdas/shared/endpoints/naming';
import {
  DEPLOYMENT_REQUESTED,
  EVENT_SOURCE,
  MODEL_APPROVED,
  MODEL_REGISTERED,
} from '../../lambdas/shared/events';
import type {
  RuntimeDeploymentSettingsMap,
  RuntimeModelSettingsMap,
} from '../../lambdas/shared/model-settings';
import { KeyPatterns, Prefixes, RunArtifacts, splitFolder } from '../../lambdas/shared/s3-layout';
import { deploymentDefinition, leaseWaitSeconds } from '../workflows/deployment';
import { grantListUnder } from './list-bucket';
import type { ModelRegistry } from './model-registry';
import { ModelRoles } from './model-roles';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';
import type { BucketReference } from './references';
import { deadLetterQueue, keepFailedInvocations, ruleDelivery } from './rule-dead-letters';

/** Lambda environment variables are capped at 4 KB in total; leave room for the others. */
const MAX_SETTINGS_BYTES = 3072;

/** `arn:aws-us-gov:iam::123456789012:role/` and IAM's 64-character role name limit. */
const MAX_ROLE_ARN_BYTES = 38 + 64;

/** Step Functions state machine names: 1–80 characters. */
const MAX_STATE_MACHINE_NAME = 80;

/** The SageMaker endpoint events the resume function listens to (automating-sagemaker-with-eventbridge.html). */
const ENDPOINT_EVENTS = ['SageMaker Endpoint State Change', 'SageMaker Endpoint Deployment State Change'];

export interface DeploymentPipelineProps {
  /** Holds `runs/<runId>/` (model artifacts, validation splits) and receives data capture under `capture/`. */
  readonly artifactsBucket: BucketReference;
  /** Deployments, the lease, waiters, promotion. */
  readonly registry: ModelRegistry;
  /** Encrypts logs, endpoint volumes and captured data; SageMaker decrypts artifacts with it. */
  readonly encryptionKey: kms.IKey;
  /** Every model's deployment settings plus `defaults` (lib/config toRuntimeDeploymentSettings). */
  readonly deploymentSettings: RuntimeDeploymentSettingsMap;
  /** Every model's settings plus `defaults`: custom (ECR) images the model role must be able to pull. */
  readonly modelSettings: RuntimeModelSettingsMap;

  /**
   * Bus of the stack's own events: approvals and requests start deployments; ModelDeployed and
   * DeploymentFailed are published there.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * What happens to log groups and the dead-letter queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The topic each endpoint's alarms notify on ALARM and on OK (the stack's notifications).
   * @default none: the endpoint alarms only drive rollback
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Approval or `mlops deploy` -> StartDeployment -> a Standard state machine that puts the version on the
 * model's SageMaker endpoint (blue/green, alarm rollback), smoke-tests it and promotes it in the registry. The
 * endpoint's EventBridge events resume the workflow through EndpointEvent. SageMaker names are scoped to the
 * stack's prefix (lambdas/shared/endpoints/naming.ts), and every policy to those names.
 */
export class DeploymentPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /**
   * The role SageMaker hosts models not named in the config with: reads their artifacts (never a configured
   * model's), writes their data capture, uses the key.
   */
  public readonly modelExecutionRole: iam.Role;
  /**
   * Every model execution role, by model name, plus `defaults` ({@link modelExecutionRole}): each configured
   * model's role reads only that model's artifacts and writes only its capture.
   */
  public readonly modelExecutionRoles: Readonly<Record<string, iam.Role>>;
  /** The stack's SageMaker name prefix. */
  public readonly namePrefix: string;
  public readonly functions: Readonly<
    Record<
      | 'startDeployment'
      | 'prepare'
      | 'begin'
      | 'waitForEndpoint'
      | 'endpointEvent'
      | 'smokeTest'
      | 'promote'
      | 'recordFailure'
      | 'finish',
      PipelineFunction
    >
  >;
  /** ModelApproved and Deployment Requested start a deployment. */
  public readonly requestRule: events.Rule;
  /** ModelRegistered with status Approved (automatic approval) starts a deployment. */
  public readonly autoApprovedRule: events.Rule;
  /** SageMaker's endpoint events for this stack's endpoints resume waiting deployments. */
  public readonly endpointEventRule: events.Rule;
  /** Events the rules could not deliver, and failed asynchronous invocations of the two event functions. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeploymentPipelineProps) {
    super(scope, id);
    const { artifactsBucket, registry, encryptionKey: key } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const stack = Stack.of(this);
    const { partition, region, account } = stack;
    this.namePrefix = namePrefix(stack.stackName);
    const pattern = resourceNamePattern(this.namePrefix);
    const arn = (type: string) => `arn:${partition}:sagemaker:${region}:${account}:${type}/${pattern}`;
    const endpoints = arn('endpoint');
    const sageMakerResources = [arn('model'), arn('endpoint-config'), endpoints];
    const alarms = `arn:${partition}:cloudwatch:${region}:${account}:alarm:${pattern}`;

    const settings = JSON.stringify(props.deploymentSettings);
    if (Buffer.byteLength(settings) > MAX_SETTINGS_BYTES) {
      throw new Error(
        `The deployment settings are ${Buffer.byteLength(settings)} bytes as JSON; the deployment functions get them in an environment variable limited to ${MAX_SETTINGS_BYTES} bytes. Move shared settings into models.defaults.deployment.`,
      );
    }
    const modes = JSON.stringify(
      Object.fromEntries(Object.entries(props.deploymentSettings).map(([model, s]) => [model, s.mode])),
    );

    // Id 'Default' is left out of logical ids: the roles keep the ids they had as children of this construct,
    // so a deployed stack keeps them (live endpoints' models name them) instead of replacing them.
    const modelRoles = new ModelRoles(this, 'Default', {
      artifactsBucket,
      encryptionKey: key,
      namePrefix: this.namePrefix,
      models: Object.keys(props.deploymentSettings),
      modelSettings: props.modelSettings,
    });
    this.modelExecutionRoles = modelRoles.roles;
    this.modelExecutionRole = modelRoles.defaultRole;
    const executionRoles = JSON.stringify(
      Object.fromEntries(
        Object.entries(this.modelExecutionRoles).map(([model, role]) => [model, role.roleArn]),
      ),
    );
    // Role ARNs are tokens at synth time: count each at its longest, `arn:<partition>:iam::<account>:role/` and a
    // 64-character name (IAM's limit), so the check holds whatever names CloudFormation generates.
    const rolesBytes = Object.keys(this.modelExecutionRoles).reduce(
      (total, model) => total + model.length + MAX_ROLE_ARN_BYTES + 6,
      2,
    );
    if (Buffer.byteLength(settings) + rolesBytes > MAX_SETTINGS_BYTES) {
      throw new Error(
        `The deployment settings (${Buffer.byteLength(settings)} bytes as JSON) and the model execution roles (up to ${rolesBytes} bytes) exceed the ${MAX_SETTINGS_BYTES} bytes BeginDeployment's environment leaves for them. Move shared settings into models.defaults.deployment.`,
      );
    }

    // A fixed name: the functions that resume executions need its ARN, and a Ref would make
    // function -> policy -> state machine -> function a dependency cycle.
    const stateMachineName = `${Names.uniqueResourceName(this, { maxLength: MAX_STATE_MACHINE_NAME - 7, separator: '-' })}-deploy`;
    const stateMachineArn = `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName}`;

    const functionsScope = new Construct(this, 'Functions');
    const fn = (entry: string, environment: Record<string, string> = {}) =>
      new PipelineFunction(
        functionsScope,
        entry.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
        {
          entry,
          encryptionKey: key,
          removalPolicy,
          environment: { REGISTRY_TABLE_NAME: registry.table.tableName, ...environment },
        },
      );
    this.functions = {
      startDeployment: fn('start-deployment', {
        DEPLOYMENT_STATE_MACHINE_ARN: stateMachineArn,
        DEPLOYMENT_MODES: modes,
      }),
      prepare: fn('prepare-deployment', { DEPLOYMENT_SETTINGS: settings }),
      begin: fn('begin-deployment', {
        DEPLOYMENT_SETTINGS: settings,
        NAME_PREFIX: this.namePrefix,
        ARTIFACTS_BUCKET: artifactsBucket.bucketName,
        KMS_KEY_ARN: key.keyArn,
        MODEL_EXECUTION_ROLES: executionRoles,
      }),
      waitForEndpoint: fn('wait-for-endpoint'),
      endpointEvent: fn('endpoint-event'),
      smokeTest: fn('smoke-test'),
      promote: fn('promote-deployment'),
      recordFailure: fn('record-deployment-failure'),
      // ARTIFACTS_BUCKET turns on the promoted version's prediction baseline (drift checks compare predictions).
      finish: fn('finish-deployment', {
        DEPLOYMENT_SETTINGS: settings,
        ARTIFACTS_BUCKET: artifactsBucket.bucketName,
      }),
    };
    const f = this.functions;

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey: key,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy,
    });
    const longestWait = Math.max(
      0,
      ...Object.values(props.deploymentSettings).map(
        (s) => s.maxExecutionTimeoutSeconds + ENDPOINT_WAIT_ALLOWANCE_SECONDS,
      ),
    );
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(
        deploymentDefinition(this, {
          functions: {
            prepare: f.prepare.function,
            begin: f.begin.function,
            waitForEndpoint: f.waitForEndpoint.function,
            smokeTest: f.smokeTest.function,
            promote: f.promote.function,
            recordFailure: f.recordFailure.function,
            finish: f.finish.function,
          },
          eventBus,
          endpointWaitSeconds: longestWait,
          alarmTopicArn: props.alarmTopic?.topicArn,
        }),
      ),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'serverless-mlops deployment: blue/green to the model endpoint, smoke test, promotion',
      // Waiting for the lease, the endpoint's wait and a restore's wait, and an hour for the rest.
      timeout: Duration.seconds(leaseWaitSeconds() + 2 * longestWait + 3600),
    });

    this.grantStateMachine(sageMakerResources, alarms, key, eventBus);
    this.grantFunctions(registry, artifactsBucket, key, endpoints, stateMachineArn, sageMakerResources);
    this.stateMachine.grantStartExecution(f.startDeployment.function);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', {
      reason:
        "This queue is the dead-letter queue of the deployment's rules and event functions; a DLQ of a DLQ would never be read.",
      removalPolicy,
    });
    const ruleTarget = ruleDelivery(this.deadLetterQueue);
    this.requestRule = new events.Rule(this, 'DeploymentRequested', {
      eventBus,
      description:
        'ModelApproved (`mlops approve`) and Deployment Requested (`mlops deploy`/`rollback`) start a deployment',
      eventPattern: { source: [EVENT_SOURCE], detailType: [MODEL_APPROVED, DEPLOYMENT_REQUESTED] },
      targets: [new targets.LambdaFunction(f.startDeployment.function, ruleTarget)],
    });
    this.autoApprovedRule = new events.Rule(this, 'AutoApproved', {
      eventBus,
      description: 'A version registered as Approved (automatic approval) starts a deployment',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [MODEL_REGISTERED],
        detail: { status: ['Approved'] },
      },
      targets: [new targets.LambdaFunction(f.startDeployment.function, ruleTarget)],
    });
    // SageMaker sends its events to the default bus, whatever props.eventBus is.
    this.endpointEventRule = new events.Rule(this, 'EndpointEvents', {
      description:
        "SageMaker endpoint events of this stack's endpoints resume the deployment waiting on them",
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ENDPOINT_EVENTS,
        detail: { EndpointName: [{ prefix: `${this.namePrefix}-` }] },
      },
      targets: [new targets.LambdaFunction(f.endpointEvent.function, ruleTarget)],
    });
    // EventBridge invokes both asynchronously: once Lambda's own retries are spent, the event is kept here.
    for (const target of [f.startDeployment, f.endpointEvent]) {
      keepFailedInvocations(target.function, this.deadLetterQueue);
    }
  }

  /**
   * The state machine's SageMaker, CloudWatch, KMS and EventBridge calls
   * (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html for the SageMaker integrations).
   */
  private grantStateMachine(
    sageMakerResources: string[],
    alarms: string,
    key: kms.IKey,
    eventBus: events.IEventBus,
  ): void {
    const sm = this.stateMachine;
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateModel',
          'sagemaker:CreateEndpointConfig',
          'sagemaker:CreateEndpoint',
          'sagemaker:UpdateEndpoint',
          'sagemaker:DescribeEndpoint',
          'sagemaker:DeleteEndpoint',
        ],
        resources: sageMakerResources,
      }),
    );
    // The model roles may be passed to SageMaker only.
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: Object.values(this.modelExecutionRoles).map((role) => role.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // PutMetricAlarm for the endpoint alarms; DescribeAlarms because UpdateEndpoint's AutoRollbackConfiguration
    // names them and SageMaker checks them as the caller (naming.ts: alarm names start with the endpoint's).
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms'],
        resources: [alarms],
      }),
    );
    // An endpoint config with KmsKeyId: SageMaker encrypts the instances' volumes through a grant it creates as
    // the caller of CreateEndpoint / UpdateEndpoint ("kms:CreateGrant, required only if the associated
    // EndpointConfig has a KmsKeyId", https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html);
    // kms:GrantIsForAWSResource limits it to that. No kms:DescribeKey: no call needs it, and it could never
    // have matched this condition (only grant operations carry the key).
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    eventBus.grantPutEventsTo(sm);
    // Autoscaling: what https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-prerequisites.html
    // lists for the caller, scoped where the APIs allow it. Scalable targets have generated ids (no name to scope
    // by); the service-linked role is created once per account, by Application Auto Scaling only.
    const { partition, region, account } = Stack.of(this);
    const scalableTargets = `arn:${partition}:application-autoscaling:${region}:${account}:scalable-target/*`;
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'application-autoscaling:RegisterScalableTarget',
          'application-autoscaling:DeregisterScalableTarget',
          'application-autoscaling:PutScalingPolicy',
        ],
        resources: [scalableTargets],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
        resources: sageMakerResources,
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          `arn:${partition}:iam::${account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        ],
        conditions: {
          StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' },
        },
      }),
    );
    acknowledgeWildcardResource(
      sm.role,
      scalableTargets,
      "Application Auto Scaling gives scalable targets generated ids; the workflow registers only its endpoints' variants.",
    );
    for (const resource of sageMakerResources) {
      acknowledgeWildcardResource(
        sm.role,
        resource,
        `SageMaker models, endpoint configs and endpoints are named per version and attempt under the stack's prefix ${this.namePrefix}- (lambdas/shared/endpoints/naming.ts).`,
      );
    }
    acknowledgeWildcardResource(
      sm.role,
      alarms,
      "Endpoint alarms are named after their endpoint, under the stack's prefix.",
    );
    acknowledgeWildcardResource(
      sm.role,
      '*',
      'X-Ray tracing and CloudWatch Logs delivery (logs:*LogDelivery) have no resource-level permissions.',
    );
    for (const pipelineFunction of Object.values(this.functions)) {
      acknowledgeWildcardResource(
        sm.role,
        `${pipelineFunction.function.functionArn}:*`,
        'CDK grants invoke on the function and its versions/aliases; the workflow calls only the function.',
      );
    }
  }

  /** Each function gets the registry actions its registry calls send, and the SageMaker calls it makes. */
  private grantFunctions(
    registry: ModelRegistry,
    artifacts: BucketReference,
    key: kms.IKey,
    endpoints: string,
    stateMachineArn: string,
    sageMakerResources: string[],
  ): void {
    const f = this.functions;
    // createDeployment: a transaction of Puts and a ConditionCheck; listDeployments: the model-deployments index;
    // takeDeploymentLease: a conditional Put.
    registry.grantItemActions(f.prepare.function, 'GetItem', 'PutItem', 'ConditionCheckItem');
    registry.grantQueryIndex(f.prepare.function, 'gsi2');
    // beginDeployment, promoteDeployment: reads, then one transaction of Updates, Puts and ConditionChecks (the
    // lease held, the alias unmoved); recordDeploymentProgress: an UpdateItem.
    for (const writer of [f.begin, f.promote]) {
      registry.grantItemActions(writer.function, 'GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem');
    }
    // recordDeploymentFailure: reads, then one transaction of Updates (deployment, version) and Puts (events).
    registry.grantItemActions(f.recordFailure.function, 'GetItem', 'PutItem', 'UpdateItem');
    registry.grantItemActions(f.smokeTest.function, 'GetItem', 'UpdateItem');
    registry.grantItemActions(f.waitForEndpoint.function, 'PutItem', 'DeleteItem'); // waiter put, take
    // Waiter read and take; the blue/green stage recorded on the waiting deployment (a read, then an UpdateItem).
    registry.grantItemActions(f.endpointEvent.function, 'DeleteItem', 'GetItem', 'UpdateItem');
    // Lease release; the autoscaling follow-up stage after a promotion (a read, then an UpdateItem).
    registry.grantItemActions(f.finish.function, 'DeleteItem', 'GetItem', 'UpdateItem');
    registry.grantQueryIndex(f.finish.function, 'gsi2');

    const describe = new iam.PolicyStatement({
      actions: ['sagemaker:DescribeEndpoint'],
      resources: [endpoints],
    });
    const resume = new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess'],
      resources: [stateMachineArn],
    });
    for (const resumer of [f.waitForEndpoint, f.endpointEvent]) {
      resumer.role.addToPrincipalPolicy(describe);
      resumer.role.addToPrincipalPolicy(resume);
    }
    f.begin.role.addToPrincipalPolicy(describe);
    // The serving config's instance type: an autoscaled variant must be deregistered before it changes.
    f.begin.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpointConfig'],
        resources: [sageMakerResources[1] ?? ''],
      }),
    );
    f.smokeTest.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [endpoints] }),
    );
    const splits = artifacts.arnForObjects(KeyPatterns.runFolder(RunArtifacts.splits));
    f.smokeTest.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [splits] }),
    );
    key.grant(f.smokeTest.role, 'kms:Decrypt');
    f.finish.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DeleteModel', 'sagemaker:DeleteEndpointConfig'],
        resources: sageMakerResources.slice(0, 2),
      }),
    );
    // The prediction baseline (lambdas/finish-deployment/prediction-baseline.ts): the validation split predicted
    // through the endpoint, stored once per run (HeadObject first, hence GetObject and ListBucket on it).
    const validation = artifacts.arnForObjects(KeyPatterns.runFolder(splitFolder('validation')));
    const predictionBaseline = artifacts.arnForObjects(KeyPatterns.runFile(RunArtifacts.predictionBaseline));
    f.finish.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [validation, predictionBaseline] }),
    );
    f.finish.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [predictionBaseline] }),
    );
    grantListUnder(f.finish.role, artifacts, [KeyPatterns.runs]);
    f.finish.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [endpoints] }),
    );
    key.grant(f.finish.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResource(
      f.finish.role,
      validation,
      `The prediction baseline predicts the version's validation split under ${Prefixes.runs}<runId>/${splitFolder('validation')}; read-only.`,
    );
    acknowledgeWildcardResource(
      f.finish.role,
      predictionBaseline,
      `Each run's prediction baseline is ${Prefixes.runs}<runId>/${RunArtifacts.predictionBaseline}, run ids known only at run time.`,
    );
    const prefixReason = `Endpoints, models and endpoint configs are named per model, version and attempt under the stack's prefix ${this.namePrefix}-.`;
    for (const role of [
      f.waitForEndpoint.role,
      f.endpointEvent.role,
      f.begin.role,
      f.smokeTest.role,
      f.finish.role,
    ]) {
      acknowledgeWildcardResource(role, endpoints, prefixReason);
    }
    acknowledgeWildcardResource(f.begin.role, sageMakerResources[1] ?? '', prefixReason);
    for (const resource of sageMakerResources.slice(0, 2))
      acknowledgeWildcardResource(f.finish.role, resource, prefixReason);
    acknowledgeWildcardResource(
      f.smokeTest.role,
      splits,
      `The smoke test reads the version's validation split under ${Prefixes.runs}<runId>/${RunArtifacts.splits}; read-only.`,
    );
  }
}
