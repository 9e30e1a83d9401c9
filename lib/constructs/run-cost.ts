import { type CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FINAL_STATUSES } from '../../lambdas/run-cost/run-cost';
import type { CostSettings } from '../../lambdas/run-cost/settings';
import { mergePrices, type PriceOverride, type PriceTables } from '../../lambdas/shared/cost/prices';
import type { ModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';
import {
  allowEventBridgeDeadLetters,
  deadLetterQueue,
  keepFailedInvocations,
  ruleArn,
  ruleDelivery,
  uniqueRuleName,
} from './rule-dead-letters';

/** The region whose prices an env-agnostic stack (region unknown at synth) is costed with. */
export const FALLBACK_PRICE_REGION = 'us-east-1';

export interface RunCostProps {
  /** The training state machine: each of its executions that ends is costed. */
  readonly stateMachine: sfn.StateMachine;
  /** Holds the runs; the cost is written on the run item. */
  readonly registry: ModelRegistry;
  /**
   * Encrypts the function's logs and its dead-letter queue. Must be a key of this stack (kms.Key): EventBridge
   * is allowed to use it for the dead-letter queue through its key policy.
   */
  readonly encryptionKey: kms.IKey;
  /** The Lambdas the state machine invokes: their memory prices their GB-seconds. */
  readonly functions: readonly lambda.IFunction[];
  /**
   * Price overrides per region (cdk.json `prices`), on top of the built-in table (lambdas/shared/cost/prices.ts).
   * @default - the built-in table only
   */
  readonly prices?: Readonly<Record<string, PriceOverride>>;
  /**
   * What happens to the log group and the dead-letter queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The cost of every training run: a rule on the state machine's "Step Functions Execution Status Change"
 * events (every final status) invokes RunCost, which reads the execution's history and its training jobs and
 * records the cost on the run.
 */
export class RunCost extends Construct {
  public readonly function: PipelineFunction;
  public readonly rule: events.Rule;
  /** Events the rule could not deliver, and RunCost invocations that failed after Lambda's asynchronous retries. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RunCostProps) {
    super(scope, id);
    const { stateMachine, registry, encryptionKey } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);
    const settings: CostSettings = {
      region: stack.region,
      prices: pricesFor(stack.region, mergePrices(props.prices)),
      functions: props.functions.map((fn) => ({ name: fn.functionName, memoryMb: memoryOf(fn) })),
    };
    this.function = new PipelineFunction(this, 'RunCost', {
      entry: 'run-cost',
      encryptionKey,
      removalPolicy,
      environment: {
        REGISTRY_TABLE_NAME: registry.table.tableName,
        COST_SETTINGS: stack.toJsonString(settings),
      },
    });
    const fn = this.function.function;

    // getRun, and the cost written on the run item.
    registry.grantItemActions(fn, 'GetItem', 'UpdateItem');
    const executionsArn = `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${stateMachine.stateMachineName}:*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: [executionsArn] }),
    );
    const trainingJobs = `arn:${stack.partition}:sagemaker:${stack.region}:${stack.account}:training-job/*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeTrainingJob'], resources: [trainingJobs] }),
    );
    acknowledgeWildcardResource(
      this.function.role,
      executionsArn,
      'Execution names are chosen at run time; only the training state machine’s executions.',
    );
    acknowledgeWildcardResource(
      this.function.role,
      trainingJobs,
      'Training job names are derived from run ids at run time; describe only.',
    );

    // One queue for both: events the rule could not deliver, and invocations that failed Lambda's retries.
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', {
      reason:
        'Dead-letter queue of the RunCost rule and on-failure destination of RunCost; a DLQ of a DLQ would never be read.',
      removalPolicy,
      encryptionKey,
    });
    const ruleName = uniqueRuleName(this, 'ExecutionEnded');
    allowEventBridgeDeadLetters(this, encryptionKey, [ruleArn(this, ruleName)]);
    // Step Functions sends status changes to the default bus.
    this.rule = new events.Rule(this, 'ExecutionEnded', {
      ruleName,
      description: 'A training execution that ended (any final status) has its run costed',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...FINAL_STATUSES], stateMachineArn: [stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(fn, ruleDelivery(this.deadLetterQueue))],
    });
    keepFailedInvocations(fn, this.deadLetterQueue);
  }
}

/** The table of the stack's region; an env-agnostic stack gets {@link FALLBACK_PRICE_REGION}'s. */
function pricesFor(region: string, tables: PriceTables) {
  const key = Token.isUnresolved(region) ? FALLBACK_PRICE_REGION : region;
  const table = tables[key];
  if (!table)
    throw new Error(
      `No prices for region ${key}: add prices.${key} to cdk.json (see docs/configuration.md#prices)`,
    );
  return table;
}

/** The function's configured memory (MB); Lambda's default 128 when none is set. */
function memoryOf(fn: lambda.IFunction): number {
  const memory = (fn.node.defaultChild as (CfnResource & { memorySize?: number }) | undefined)?.memorySize;
  return typeof memory === 'number' ? memory : 128;
}
