/**
 * The CloudFormation API on 127.0.0.1, as far as a client reading a stack's outputs needs it: DescribeStacks,
 * answered from the synthesized template's Outputs resolved against the local resources. `mlops --target aws`
 * (and `aws cloudformation describe-stacks`) work against it with AWS_ENDPOINT_URL_CLOUDFORMATION.
 *
 * CloudFormation speaks awsQuery (the SDK's CloudFormationClient uses AwsQueryProtocol): a form-urlencoded
 * POST (`Action=DescribeStacks&Version=2010-05-15&StackName=…`) answered in XML, `<DescribeStacksResponse>`
 * holding `<DescribeStacksResult><Stacks><member>…`, errors as `<ErrorResponse><Error><Type/><Code/><Message/>`.
 * Shapes: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html and
 * API_Stack.html (StackName, CreationTime and StackStatus required; Outputs of OutputKey, OutputValue,
 * Description); a stack that does not exist is a ValidationError ("Stack with id <name> does not exist", as
 * the service words it: boto/boto3#2807); other actions get the common InvalidAction error (400,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLocally } from '../http-server';
import type { LocalFunctionUrls } from '../lambda/function-urls';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, type ReferenceResolver, resolveIntrinsics } from '../template/template';
import { readBody } from './json-protocol';

/** The API version every CloudFormation request names (`Version=`), and the XML namespace of its answers. */
export const CLOUDFORMATION_API_VERSION = '2010-05-15';
const XML_NAMESPACE = `http://cloudformation.amazonaws.com/doc/${CLOUDFORMATION_API_VERSION}/`;

/** One output of a stack, as DescribeStacks lists it. */
export interface LocalStackOutput {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

/** A stack as DescribeStacks describes it locally: always CREATE_COMPLETE. */
export interface LocalStack {
  readonly name: string;
  /** The stack's ARN (what `AWS::StackId` resolves to locally). */
  readonly id: string;
  readonly description?: string;
  readonly createdAt: Date;
  readonly outputs: readonly LocalStackOutput[];
}

/** An output the local resources cannot give a value (an attribute the runtime does not model). */
export interface UnresolvedOutput {
  readonly key: string;
  readonly reason: string;
}

/**
 * The stack a template describes once deployed: its outputs' values resolved with `resolve` (Ref and
 * Fn::GetAtt of local resources). An output that does not resolve is left out and reported, not guessed.
 */
export function stackFromTemplate(
  template: CfnTemplate,
  stack: { readonly name: string; readonly id: string; readonly createdAt?: Date },
  resolve: ReferenceResolver,
): { readonly stack: LocalStack; readonly unresolved: readonly UnresolvedOutput[] } {
  const outputs: LocalStackOutput[] = [];
  const unresolved: UnresolvedOutput[] = [];
  const declared = (template.Outputs ?? {}) as Readonly<
    Record<string, { readonly Value: unknown; readonly Description?: unknown }>
  >;
  for (const [key, output] of Object.entries(declared)) {
    let value: unknown;
    try {
      value = resolveIntrinsics(output.Value, resolve);
    } catch (error) {
      unresolved.push({ key, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    outputs.push({
      key,
      value: String(value),
      ...(typeof output.Description === 'string' ? { description: output.Description } : {}),
    });
  }
  const description = (template as { readonly Description?: unknown }).Description;
  return {
    stack: {
      name: stack.name,
      id: stack.id,
      ...(typeof description === 'string' ? { description } : {}),
      createdAt: stack.createdAt ?? new Date(),
      outputs,
    },
    unresolved,
  };
}

/**
 * The local runtime's own stack: named as its environment names it (`AWS::StackName`), outputs resolved
 * against its resources, function URLs (`Fn::GetAtt <Url>.FunctionUrl`) as the local URL servers serve them.
 */
export function runtimeStack(runtime: {
  readonly template: CfnTemplate;
  readonly resources: LocalResources;
  readonly functionUrls: LocalFunctionUrls;
}): { readonly stack: LocalStack; readonly unresolved: readonly UnresolvedOutput[] } {
  const { template, resources, functionUrls } = runtime;
  const resolve: ReferenceResolver = (logicalId, attribute) => {
    if (attribute === 'FunctionUrl') {
      const served = functionUrls.urls.find((url) => url.logicalId === logicalId);
      if (served) return served.url;
    }
    return resources.resolve(logicalId, attribute);
  };
  return stackFromTemplate(
    template,
    { name: resources.env.stackName, id: resources.resolve('AWS::StackId') },
    resolve,
  );
}

export interface LocalCloudFormation {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface LocalCloudFormationOptions {
  /** The stacks DescribeStacks knows. */
  readonly stacks: readonly LocalStack[];
  /** @default 0 - a free port */
  readonly port?: number;
}

/** An awsQuery error: its code, the HTTP status and whose fault it is (`Sender` or `Receiver`). */
class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

/** Starts the API on `stacks`. */
export async function startLocalCloudFormation(
  options: LocalCloudFormationOptions,
): Promise<LocalCloudFormation> {
  const operations: Record<string, (parameters: URLSearchParams) => string> = {
    DescribeStacks: (parameters) => describeStacks(options.stacks, parameters.get('StackName') ?? undefined),
  };
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      sendError(response, new QueryError('InternalFailure', String(error), 500, 'Receiver')),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // awsQuery clients POST a form; a GET carries the same parameters in its query string.
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const body = await readBody(request);
    const parameters = request.method === 'POST' ? new URLSearchParams(body) : query;
    const action = parameters.get('Action');
    try {
      if (!action) throw new QueryError('MissingAction', 'The request must name an Action.');
      const operation = operations[action];
      if (!operation) {
        throw new QueryError('InvalidAction', `CloudFormation ${action} is not served by the local runtime.`);
      }
      send(
        response,
        200,
        `<${action}Response xmlns="${XML_NAMESPACE}">${operation(parameters)}${metadata()}</${action}Response>`,
      );
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      sendError(response, error);
    }
  }

  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

/** DescribeStacks: the stack named (by name or id), or every stack without a name. One page: no NextToken. */
function describeStacks(stacks: readonly LocalStack[], stackName: string | undefined): string {
  const found =
    stackName === undefined ? stacks : stacks.filter((s) => s.name === stackName || s.id === stackName);
  if (found.length === 0) {
    throw new QueryError('ValidationError', `Stack with id ${stackName ?? ''} does not exist`);
  }
  const members = found.map((stack) => `<member>${stackXml(stack)}</member>`).join('');
  return `<DescribeStacksResult><Stacks>${members}</Stacks></DescribeStacksResult>`;
}

function stackXml(stack: LocalStack): string {
  const outputs = stack.outputs
    .map(
      (output) =>
        `<member>${element('OutputKey', output.key)}${element('OutputValue', output.value)}${
          output.description === undefined ? '' : element('Description', output.description)
        }</member>`,
    )
    .join('');
  return [
    element('StackName', stack.name),
    element('StackId', stack.id),
    stack.description === undefined ? '' : element('Description', stack.description),
    element('CreationTime', stack.createdAt.toISOString()),
    element('StackStatus', 'CREATE_COMPLETE'),
    element('DisableRollback', 'false'),
    `<Outputs>${outputs}</Outputs>`,
  ].join('');
}

function metadata(): string {
  return `<ResponseMetadata>${element('RequestId', randomUUID())}</ResponseMetadata>`;
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  response.end(xml);
}

function sendError(response: ServerResponse, error: QueryError): void {
  const detail = `<Error>${element('Type', error.type)}${element('Code', error.code)}${element('Message', error.message)}</Error>`;
  send(
    response,
    error.status,
    `<ErrorResponse xmlns="${XML_NAMESPACE}">${detail}${element('RequestId', randomUUID())}</ErrorResponse>`,
  );
}
