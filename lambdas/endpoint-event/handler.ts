/** EndpointEvent Lambda: a SageMaker endpoint event -> the waiting deployment resumed, once. */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { deploymentFunction } from '../shared/deployment/clients';
import { onEndpointEvent } from './resume';

const fn = deploymentFunction('endpoint-event');
const sagemaker = fn.traced(new SageMakerClient({}));
const sfn = fn.traced(new SFNClient({}));

export const handler = fn.handler((event) => onEndpointEvent(event, { ...fn.deps, sagemaker, sfn }));
