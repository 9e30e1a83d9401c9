import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFIED_EVENT_TYPES } from '../../lambdas/notify/messages';
import { EVENT_SOURCE } from '../../lambdas/shared/events';
import { PipelineFunction } from './pipeline-function';
import { deadLetterQueue, keepFailedInvocations, ruleDelivery } from './rule-dead-letters';

export interface NotificationsProps {
  /** The stack's key: encrypts the topic (SSE-KMS) and the notify function's logs. */
  readonly encryptionKey: kms.Key;
  /** Each address gets an email subscription (SNS asks it to confirm first). */
  readonly alarmEmails: readonly string[];
  /**
   * The bus the stack's lifecycle events are published on.
   * @default the account's default bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * What happens to the notify function's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The stack's notifications: one SNS topic encrypted with the stack's key and reachable only over TLS, an
 * email subscription per `alarmEmails` entry, the CloudWatch alarms' actions (alarms.ts), and the lifecycle
 * events turned into readable messages by lambdas/notify.
 *
 * CloudWatch publishes alarm notifications to an SSE-KMS topic only if the key policy lets the CloudWatch
 * service principal use the key (kms:Decrypt, kms:GenerateDataKey*) —
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services ; the
 * topic policy lets it publish for this account's alarms and denies any publish without TLS
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit).
 */
export class Notifications extends Construct {
  public readonly topic: sns.Topic;
  /** Formats the lifecycle events and publishes them to the topic. */
  public readonly notifyFunction: PipelineFunction;
  /** The stack's lifecycle events that reach the notify function. */
  public readonly lifecycleRule: events.Rule;
  /** Lifecycle events EventBridge could not deliver, and notify invocations that failed their retries. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { encryptionKey: key } = props;
    const { account, region, partition, stackName } = Stack.of(this);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${stackName} alarms and model lifecycle`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const alarmArns = `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`;
    // Without a statement for it, the topic policy (enforceSSL makes one) would not name CloudWatch at all.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': alarmArns },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
    // CloudWatch publishes to the encrypted topic with data keys of its key ("Enable compatibility between event
    // sources from AWS services and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
    // for this account's alarms only: the confused-deputy conditions of the topic policy above.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // '*' in a key policy means this key.
        resources: ['*'],
        conditions: {
          ArnLike: { 'aws:SourceArn': alarmArns },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );

    this.notifyFunction = new PipelineFunction(this, 'Notify', {
      entry: 'notify',
      encryptionKey: key,
      memorySize: 256,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      environment: { TOPIC_ARN: this.topic.topicArn, STACK_NAME: stackName },
    });
    // sns:Publish on the topic, and the key for SSE: Publish to an SSE-KMS topic needs kms:GenerateDataKey
    // and kms:Decrypt on its key — https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
    const role = this.notifyFunction.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
    );

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', {
      reason: "This queue is the dead-letter queue of the notifications' rule and function.",
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const queue = this.deadLetterQueue;
    this.lifecycleRule = new events.Rule(this, 'LifecycleEvents', {
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      description: `Lifecycle events (${NOTIFIED_EVENT_TYPES.join(', ')}) become messages on the notifications topic`,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...NOTIFIED_EVENT_TYPES] },
      targets: [new targets.LambdaFunction(this.notifyFunction.function, ruleDelivery(queue))],
    });
    keepFailedInvocations(this.notifyFunction.function, queue);
  }
}
