/** One look at a model endpoint, as the deployment functions need it. */
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';

/**
 * The endpoint's status and config, or undefined when it does not exist: DescribeEndpoint answers a missing
 * endpoint with a ValidationException "Could not find endpoint" (API_DescribeEndpoint, Errors).
 */
export async function describeEndpoint(
  sagemaker: Pick<SageMakerClient, 'send'>,
  endpointName: string,
): Promise<{ status: string; configName: string; failureReason?: string } | undefined> {
  try {
    const output = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return {
      status: output.EndpointStatus ?? 'Unknown',
      configName: output.EndpointConfigName ?? '',
      ...(output.FailureReason === undefined ? {} : { failureReason: output.FailureReason }),
    };
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    if (name === 'ValidationException' && /could not find endpoint/i.test(message ?? '')) return undefined;
    throw error;
  }
}
