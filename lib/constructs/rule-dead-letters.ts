import { Duration, Names, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';

/** EventBridge rule names: 1–64 characters. */
const MAX_RULE_NAME = 64;

/**
 * A stack-unique physical name for the rule `id` of `scope`. A named rule's ARN is known without a reference
 * to the rule, which the key policy needs: a Ref would make Key -> Rule -> Queue -> Key a dependency cycle.
 */
export function uniqueRuleName(scope: IConstruct, id: string): string {
  const prefix = Names.uniqueResourceName(scope, {
    maxLength: MAX_RULE_NAME - id.length - 1,
    separator: '-',
  });
  return `${prefix}-${id}`;
}

/** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on any other. */
export function ruleArn(scope: IConstruct, name: string, bus?: events.IEventBus): string {
  const { partition, region, account } = Stack.of(scope);
  const busName = bus?.eventBusName;
  const onDefaultBus = busName === undefined || (!Token.isUnresolved(busName) && busName === 'default');
  const path = onDefaultBus ? name : `${busName}/${name}`;
  return `arn:${partition}:events:${region}:${account}:rule/${path}`;
}

/**
 * EventBridge writes undeliverable events to a rule's dead-letter queue as the service principal: with a
 * customer managed key on the queue, the key policy must let it generate and decrypt data keys
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
 * "Configure KMS permissions for AWS services"), limited here to the rules named.
 */
export function allowEventBridgeDeadLetters(
  scope: IConstruct,
  key: kms.IKey,
  ruleArns: readonly string[],
): void {
  const { statementAdded } = key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      // '*' in a key policy means this key.
      resources: ['*'],
      conditions: {
        ArnEquals: { 'aws:SourceArn': [...ruleArns] },
        StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      },
    }),
  );
  if (!statementAdded) {
    throw new Error(
      `${scope.node.path} needs a KMS key of this stack (kms.Key): EventBridge must be allowed to use it for its rules' dead-letter queue.`,
    );
  }
}

/**
 * A dead-letter queue: TLS-only, kept 14 days (the longest SQS allows), with the cdk-nag acknowledgement that it
 * has no dead-letter queue of its own (`reason`). Encrypted with `encryptionKey` when given — then each
 * producer needs the key (see {@link allowEventBridgeDeadLetters}) — else SQS-managed, which EventBridge and
 * Lambda can write to without a key-policy grant.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  options: {
    readonly reason: string;
    readonly removalPolicy: RemovalPolicy;
    readonly encryptionKey?: kms.IKey;
  },
): sqs.Queue {
  const { reason, removalPolicy, encryptionKey } = options;
  const queue = new sqs.Queue(scope, id, {
    ...(encryptionKey === undefined
      ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
      : { encryptionMasterKey: encryptionKey }),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy,
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  return queue;
}

/**
 * How every rule of the stack delivers to its target: 8 retries over up to 24 hours, then the event goes to
 * `queue` (the rule's dead-letter queue).
 */
export function ruleDelivery(queue: sqs.IQueue): {
  readonly deadLetterQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
} {
  return { deadLetterQueue: queue, retryAttempts: 8, maxEventAge: Duration.hours(24) };
}

/**
 * EventBridge invokes functions asynchronously: once Lambda's own retries (2, within 6 hours) are spent, the
 * invocation record goes to `queue`, written with the function's role — so it may send to the queue and, for a
 * queue under a customer managed key, generate and decrypt data keys with it (sqs-key-management.html, as
 * above; lambda-destinations' SqsDestination would grant the key's ReEncrypt* and GenerateDataKey* too).
 */
export function keepFailedInvocations(fn: lambda.IFunction, queue: sqs.IQueue): void {
  fn.configureAsyncInvoke({
    onFailure: { bind: () => ({ destination: queue.queueArn }) },
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
  });
  queue.grant(fn, 'sqs:SendMessage');
  queue.encryptionMasterKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
}
