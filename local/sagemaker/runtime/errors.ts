/**
 * The errors InvokeEndpoint answers with, as SageMaker Runtime's restJson1 protocol carries them: the HTTP
 * status the API model gives each error, the error name in `x-amzn-ErrorType` (what the SDK reads first), and
 * the modeled members in the JSON body (ModelError: Message, OriginalStatusCode, OriginalMessage,
 * LogStreamArn) — the shapes of @aws-sdk/client-sagemaker-runtime's model and
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html (Errors).
 */
import type { ServerResponse } from 'node:http';

/** Error names of InvokeEndpoint, with the status the API model gives each. */
const STATUS = {
  ValidationError: 400,
  ModelError: 424,
  ModelNotReadyException: 429,
  InternalFailure: 500,
  ServiceUnavailable: 503,
} as const;

export type RuntimeErrorName = keyof typeof STATUS;

/** An InvokeEndpoint error, ready to be written to the wire. */
export class RuntimeApiError extends Error {
  constructor(
    readonly type: RuntimeErrorName,
    message: string,
    /** ModelError's other members. */
    readonly details: {
      readonly OriginalStatusCode?: number;
      readonly OriginalMessage?: string;
      readonly LogStreamArn?: string;
    } = {},
  ) {
    super(message);
    this.name = type;
  }

  get status(): number {
    return STATUS[this.type];
  }

  /** Writes the error response. */
  send(response: ServerResponse, requestId: string): void {
    const body = JSON.stringify({ Message: this.message, ...this.details });
    response.writeHead(this.status, {
      'content-type': 'application/json',
      'x-amzn-errortype': this.type,
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }
}

/**
 * An unknown endpoint, as SageMaker Runtime words it: "Endpoint <name> of account <account> not found."
 * (quoted in aws/amazon-sagemaker-examples#293 and #559). SageMaker answers the same for an endpoint that
 * exists but has no fleet taking traffic yet (Creating) or any more (Failed, Deleting).
 */
export function endpointNotFound(endpointName: string, account: string): RuntimeApiError {
  return new RuntimeApiError('ValidationError', `Endpoint ${endpointName} of account ${account} not found.`);
}

/** Where SageMaker sends a variant's container logs: the endpoint's CloudWatch log group. */
export function logGroupArn(region: string, account: string, endpointName: string): string {
  return `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${endpointName}`;
}

/**
 * A container's non-2xx answer as SageMaker Runtime relays it: ModelError (424) with the container's status
 * and body, worded "Received client error (400) from primary with message "…". See <log group link> in
 * account <account> for more information." (quoted in aws/sagemaker-python-sdk#2955,
 * aws/amazon-sagemaker-examples#4324). `primary` is the container's host name in a single-container model.
 */
export function modelError(
  status: number,
  containerMessage: string,
  where: { readonly region: string; readonly account: string; readonly endpointName: string },
): RuntimeApiError {
  const kind = status >= 500 ? 'server' : 'client';
  const console = `https://${where.region}.console.aws.amazon.com/cloudwatch/home?region=${where.region}#logEventViewer:group=/aws/sagemaker/Endpoints/${where.endpointName}`;
  return new RuntimeApiError(
    'ModelError',
    `Received ${kind} error (${status}) from primary with message "${containerMessage}". See ${console} in account ${where.account} for more information.`,
    {
      OriginalStatusCode: status,
      OriginalMessage: containerMessage,
      LogStreamArn: logGroupArn(where.region, where.account, where.endpointName),
    },
  );
}
