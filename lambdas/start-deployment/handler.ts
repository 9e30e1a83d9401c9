/** StartDeployment Lambda: ModelApproved / ModelRegistered (Approved) / Deployment Requested -> one execution. */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { parseJsonEnv, requireEnv } from '../shared/runtime/env';
import { createPowertools, instrumented } from '../shared/runtime/powertools';
import * as z from '../shared/zod';
import { type StartDeploymentResult, startDeployment } from './start';

const stateMachineArn = requireEnv('DEPLOYMENT_STATE_MACHINE_ARN');
const modes = parseJsonEnv('DEPLOYMENT_MODES', z.record(z.string(), z.enum(['auto', 'manual'])));

const powertools = createPowertools('start-deployment');
const sfn = powertools.tracer.captureAWSv3Client(new SFNClient({}));

export const handler = (event: unknown, context: Context): Promise<StartDeploymentResult> =>
  instrumented(powertools, context, () =>
    startDeployment(event, { sfn, stateMachineArn, modes, logger: powertools.logger }),
  );
