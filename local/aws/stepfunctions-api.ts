/**
 * Step Functions' API endpoint for the in-process Lambdas (AWS_ENDPOINT_URL_SFN). The local runtime runs state
 * machines from the stack's rules, but does not serve the API yet (StartExecution, SendTaskSuccess: the
 * deployment workflow, which needs local hosting). Without this endpoint such a call would go to AWS's public
 * endpoint with the local credentials; here it fails at once, saying why.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, reply } from './json-protocol';

export interface LocalStepFunctionsApi {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** What every call answers (awsJson1_0 error shape: `__type` and `message`). */
export function notServed(target: string, service = 'Step Functions'): { __type: string; message: string } {
  const operation = target.split('.').pop() || 'This operation';
  return {
    __type: 'UnknownOperationException',
    message: `${service} ${operation} is not served by the local runtime yet.`,
  };
}

export function startLocalStepFunctionsApi(): Promise<LocalStepFunctionsApi> {
  return startUnservedApi('Step Functions');
}

/**
 * An endpoint for a service the local runtime does not serve yet: every call fails at once naming the service,
 * rather than leaving for AWS's public endpoint with the local credentials.
 */
export async function startUnservedApi(service: string): Promise<LocalStepFunctionsApi> {
  const server = createServer((request, response) => {
    void readBody(request).then(
      () => reply(response, 400, notServed(String(request.headers['x-amz-target'] ?? ''), service)),
      () => reply(response, 400, notServed('', service)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
