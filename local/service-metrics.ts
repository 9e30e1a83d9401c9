/**
 * The metrics AWS services publish on their own, published locally for the template's alarms: AWS/Lambda per
 * invocation, AWS/States per ended execution, AWS/SQS queue depths.
 */
import type { LocalQueues } from './aws/queues';
import type { LocalCloudWatch } from './cloudwatch';
import type { InvocationListener } from './runtime';
import type { LocalResources } from './template/local-resources';
import { type CfnTemplate, resourcesOfType } from './template/template';

/**
 * Lambda's metrics of one invocation, per FunctionName: Invocations, Errors (1 when it failed, else 0),
 * Throttles (0: nothing throttles locally), Duration in milliseconds —
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
export function lambdaMetrics(cloudwatch: LocalCloudWatch): InvocationListener {
  return ({ functionName, durationMs, failed }) => {
    const Dimensions = [{ Name: 'FunctionName', Value: functionName }];
    cloudwatch.putMetricData('AWS/Lambda', [
      { MetricName: 'Invocations', Dimensions, Value: 1, Unit: 'Count' },
      { MetricName: 'Errors', Dimensions, Value: failed ? 1 : 0, Unit: 'Count' },
      { MetricName: 'Throttles', Dimensions, Value: 0, Unit: 'Count' },
      { MetricName: 'Duration', Dimensions, Value: durationMs, Unit: 'Milliseconds' },
    ]);
  };
}

/**
 * Step Functions' execution metrics of one ended execution, per StateMachineArn: ExecutionsSucceeded,
 * ExecutionsFailed or ExecutionsAborted — https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
 * (the local executor reports a timed-out execution as failed).
 */
export function executionMetrics(
  cloudwatch: LocalCloudWatch,
  stateMachineArn: string,
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED',
): void {
  const name = { SUCCEEDED: 'ExecutionsSucceeded', FAILED: 'ExecutionsFailed', ABORTED: 'ExecutionsAborted' }[
    status
  ];
  const Dimensions = [{ Name: 'StateMachineArn', Value: stateMachineArn }];
  cloudwatch.putMetricData('AWS/States', [{ MetricName: name, Dimensions, Value: 1, Unit: 'Count' }]);
}

/** AWS/SQS ApproximateNumberOfMessagesVisible of every queue: nothing consumes them, so all they hold. */
export function publishQueueDepths(
  template: CfnTemplate,
  resources: LocalResources,
  queues: LocalQueues,
  cloudwatch: LocalCloudWatch,
): void {
  for (const [logicalId] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const visible = queues.messages(resources.arn(logicalId)).length;
    cloudwatch.putMetricData('AWS/SQS', [
      {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: resources.physicalName(logicalId) }],
        Value: visible,
        Unit: 'Count',
      },
    ]);
  }
}
