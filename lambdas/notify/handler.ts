/** Notify Lambda: a lifecycle event of the stack -> one readable message on the stack's SNS topic. */
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../shared/runtime/env';
import { parseInput } from '../shared/runtime/errors';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import { lifecycleEventSchema, notify } from './notify';

const topicArn = requireEnv('TOPIC_ARN');
const stackName = requireEnv('STACK_NAME');

const powertools = createPowertools('notify');
const sns = powertools.tracer.captureAWSv3Client(new SNSClient({}));

export const handler = (event: unknown, context: Context) =>
  instrumented(powertools, context, () =>
    notify(parseInput(lifecycleEventSchema, event, 'Notify'), {
      sns,
      topicArn,
      stackName,
      logger: powertools.logger,
      metrics: powertools.metrics,
    }),
  );
