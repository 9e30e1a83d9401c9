import { Duration, Names, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
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
