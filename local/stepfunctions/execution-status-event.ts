/**
 * The event Step Functions puts on the default bus when an execution ends, for the local runtime to route
 * through the template's rules (ReconcileExecution, RunCost) as EventBridge would —
 * https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
import { randomUUID } from 'node:crypto';

/** The "Step Functions Execution Status Change" event Step Functions sends EventBridge when an execution ends. */
export function executionStatusChange(
  env: { account: string; region: string },
  execution: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
    input: unknown;
    error?: string | undefined;
    cause?: string | undefined;
  },
): Record<string, unknown> {
  const { input, error, cause, ...rest } = execution;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: env.account,
    time: new Date().toISOString(),
    region: env.region,
    resources: [execution.executionArn],
    detail: {
      ...rest,
      stopDate: Date.now(),
      input: JSON.stringify(input),
      output: null,
      error: error ?? null,
      cause: cause ?? null,
    },
  };
}
