/**
 * The Step Functions API on 127.0.0.1 (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Operation>`), for the
 * in-process Lambdas (AWS_ENDPOINT_URL_SFN), the CLI and tests: StartExecution, DescribeExecution,
 * ListExecutions and GetExecutionHistory on the runtime's executions, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on its
 * task tokens. Shapes and errors from the API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html); any other operation
 * fails at once saying it is not served, rather than leaving for AWS's endpoint with the local credentials.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLocally } from '../http-server';
import type { ExecutionRecord, ExecutionRegistry } from '../stepfunctions/executions';
import { StepFunctionsApiError, type TaskTokens } from '../stepfunctions/task-tokens';
import { readBody } from './json-protocol';

export interface LocalStepFunctionsApi {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface LocalStepFunctionsApiOptions {
  readonly executions: ExecutionRegistry;
  readonly tokens: TaskTokens;
  /** @default 0 - a free port */
  readonly port?: number;
}

/** The error of an operation this server does not serve (awsJson1_0 error shape: `__type` and `message`). */
export function notServed(target: string, service = 'Step Functions'): { __type: string; message: string } {
  const operation = target.split('.').pop() || 'This operation';
  return {
    __type: 'UnknownOperationException',
    message: `${service} ${operation} is not served by the local runtime.`,
  };
}

type Operation = (request: Record<string, unknown>) => unknown;

/** Starts the API on the runtime's executions and task tokens. */
export async function startLocalStepFunctionsApi(
  options: LocalStepFunctionsApiOptions,
): Promise<LocalStepFunctionsApi> {
  const { executions, tokens } = options;
  const operations: Record<string, Operation> = {
    StartExecution: (request) => {
      const { execution } = executions.start(request.stateMachineArn, request.name, request.input);
      return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    },
    DescribeExecution: (request) => describe(executions.describe(request.executionArn)),
    ListExecutions: (request) => {
      const page = executions.list(request);
      return {
        executions: page.executions.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          stopDate: e.stopDate === undefined ? undefined : seconds(e.stopDate),
        })),
        nextToken: page.nextToken,
      };
    },
    GetExecutionHistory: (request) => executions.history(request),
    SendTaskSuccess: (request) => {
      tokens.sendSuccess(request.taskToken, request.output);
      return {};
    },
    SendTaskFailure: (request) => {
      tokens.sendFailure(request.taskToken, request.error, request.cause);
      return {};
    },
    SendTaskHeartbeat: (request) => {
      tokens.sendHeartbeat(request.taskToken);
      return {};
    },
  };
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      send(response, 500, { __type: 'InternalFailure', message: String(error) }),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = await readBody(request);
    const [prefix, name = ''] = target.split('.');
    const operation = prefix === 'AWSStepFunctions' ? operations[name] : undefined;
    if (!operation) {
      send(response, 400, notServed(target));
      return;
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      send(response, 400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
      return;
    }
    try {
      send(response, 200, operation(input));
    } catch (error) {
      if (!(error instanceof StepFunctionsApiError)) throw error;
      send(response, error.status, { __type: error.name, message: error.message });
    }
  }

  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

function describe(e: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    stopDate: e.stopDate === undefined ? undefined : seconds(e.stopDate),
    input: e.input,
    inputDetails: { included: true },
    output: e.output,
    outputDetails: e.output === undefined ? undefined : { included: true },
    error: e.error,
    cause: e.cause,
  };
}

/** awsJson timestamps are epoch seconds. */
function seconds(ms: number): number {
  return ms / 1000;
}

/** awsJson1_0 answers (Step Functions' protocol; EventBridge and SageMaker are 1.1). */
function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(body));
}
