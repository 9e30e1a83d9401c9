/**
 * The template's Lambda function URLs (AWS::Lambda::Url) on 127.0.0.1: each URL gets its own port, as each gets
 * its own host (`<url-id>.lambda-url.<region>.on.aws`) in AWS, and requests reach the in-process function as
 * Lambda delivers them: the payload format version 2.0 event, and the function's result turned into the HTTP
 * answer — https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html (request and response payloads).
 *
 * AuthType AWS_IAM: AWS refuses a request without a SigV4 signature with 403 before the function runs; here an
 * unsigned request is refused the same way, but the signature is not verified (the local runtime enforces no
 * IAM: docs/architecture.md). The caller's access key, from the signature's Credential, fills
 * requestContext.authorizer.iam.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenLocally } from '../http-server';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from '../template/template';
import type { LocalFunction } from './functions';

/** One served function URL. */
export interface LocalFunctionUrl {
  /** The AWS::Lambda::Url resource. */
  readonly logicalId: string;
  readonly functionName: string;
  readonly authType: 'AWS_IAM' | 'NONE';
  /** `http://127.0.0.1:<port>/`: what the stack's output names as `https://<url-id>.lambda-url…/`. */
  readonly url: string;
}

export interface LocalFunctionUrls {
  readonly urls: readonly LocalFunctionUrl[];
  stop(): Promise<void>;
}

/** Lambda's answer when the function fails (an unhandled error or a timeout): 502, as a function URL gives it. */
const FUNCTION_ERROR = { status: 502, body: { Message: 'Internal Server Error' } };

/** Content types Lambda passes as text; other bodies arrive base64-encoded with isBase64Encoded true. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/** Starts a server per AWS::Lambda::Url of the template whose target function runs in-process. */
export async function startLocalFunctionUrls(
  template: CfnTemplate,
  resources: LocalResources,
  functions: ReadonlyMap<string, LocalFunction>,
): Promise<LocalFunctionUrls> {
  const servers: Server[] = [];
  const urls: LocalFunctionUrl[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => closeServer(server, { ignoreErrors: true })));
  };
  try {
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Url')) {
      const properties = (resolveIntrinsics(resource.Properties ?? {}, resources.resolve) ?? {}) as {
        TargetFunctionArn?: unknown;
        AuthType?: unknown;
      };
      const target = String(properties.TargetFunctionArn ?? '');
      const fn = functions.get(target.split(':function:')[1]?.split(':')[0] ?? target);
      if (!fn) continue;
      const authType: UrlContext['authType'] = properties.AuthType === 'NONE' ? 'NONE' : 'AWS_IAM';
      const urlId = logicalId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 32);
      const context: UrlContext = {
        urlId,
        accountId: resources.env.account,
        region: resources.env.region,
        authType,
      };
      const server = createServer((request, response) => {
        void serve(fn, context, request, response).catch((error: unknown) =>
          send(
            response,
            500,
            { 'content-type': 'application/json' },
            JSON.stringify({ Message: String(error) }),
          ),
        );
      });
      servers.push(server);
      const port = await listenLocally(server);
      urls.push({ logicalId, functionName: fn.functionName, authType, url: `http://127.0.0.1:${port}/` });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, stop };
}

interface UrlContext {
  readonly urlId: string;
  readonly accountId: string;
  readonly region: string;
  readonly authType: 'AWS_IAM' | 'NONE';
}

async function serve(
  fn: LocalFunction,
  context: UrlContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const authorization = header(request, 'authorization');
  const accessKey = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
  if (context.authType === 'AWS_IAM' && accessKey === undefined) {
    // An unsigned request to an AWS_IAM URL never reaches the function.
    send(response, 403, { 'content-type': 'application/json' }, JSON.stringify({ Message: 'Forbidden' }));
    return;
  }
  let result: unknown;
  try {
    result = await fn.invoke(functionUrlEvent(request, body, context, accessKey));
  } catch {
    send(
      response,
      FUNCTION_ERROR.status,
      { 'content-type': 'application/json' },
      JSON.stringify(FUNCTION_ERROR.body),
    );
    return;
  }
  answer(response, result);
}

/** The request as a function URL's payload format version 2.0 event. */
export function functionUrlEvent(
  request: IncomingMessage,
  body: Buffer,
  context: UrlContext,
  accessKey: string | undefined,
  now = new Date(),
): Record<string, unknown> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = header(request, 'cookie')
    ?.split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const text = TEXT_TYPES.test(header(request, 'content-type') ?? 'text/plain');
  const domainName = `${context.urlId}.lambda-url.${context.region}.on.aws`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: context.authType === 'AWS_IAM' ? context.accountId : 'anonymous',
      apiId: context.urlId,
      ...(context.authType === 'AWS_IAM'
        ? {
            authorizer: {
              iam: {
                accessKey,
                accountId: context.accountId,
                callerId: accessKey,
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: `arn:aws:iam::${context.accountId}:user/local`,
                userId: accessKey,
              },
            },
          }
        : {}),
      domainName,
      domainPrefix: context.urlId,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: header(request, 'user-agent') ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/**
 * The function's result as the HTTP answer: an object with statusCode is the response (status, headers,
 * cookies, body, isBase64Encoded); anything else is a 200 with the result as JSON ("Lambda infers the
 * response format for you").
 */
function answer(response: ServerResponse, result: unknown): void {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const shaped = result as {
      statusCode: number;
      headers?: Record<string, string | number | boolean>;
      cookies?: string[];
      body?: string;
      isBase64Encoded?: boolean;
    };
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(shaped.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    if (shaped.cookies && shaped.cookies.length > 0) headers['set-cookie'] = shaped.cookies;
    const body =
      shaped.body === undefined ? '' : Buffer.from(shaped.body, shaped.isBase64Encoded ? 'base64' : 'utf8');
    send(response, shaped.statusCode, headers, body);
    return;
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  send(response, 200, { 'content-type': 'application/json' }, body);
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  if (response.headersSent) return;
  response.writeHead(status, { ...headers, 'x-amzn-requestid': randomUUID() });
  response.end(body);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** requestContext.time: `12/Mar/2020:19:03:58 +0000`, the common log format in UTC. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
