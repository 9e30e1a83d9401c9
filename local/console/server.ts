/**
 * The local web console's HTTP server: the browser app's assets and a JSON API that reads the runtime through
 * the same AWS APIs the `mlops` CLI uses (a {@link Target}), so it could point at a deployed stack too. Binds
 * 127.0.0.1 only; actions need the token printed in the start summary.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { localTarget, type Target } from '../../cli/target';
import type { LocalApp } from '../app';
import { LOCAL_CREDENTIALS } from '../aws/s3-client';
import { runtimeDiscovery } from '../discovery';
import { closeServer, listenLocally } from '../http-server';
import { type ChangeKind, ChangeStream } from './api/changes';
import type { ConsoleFeed } from './api/feed';
import { type ApiContext, ApiError, routeApi } from './api/routes';
import { checkAction } from './api/security';
import { buildConsoleAssets, CONSOLE_CSS_PATH, CONSOLE_JS_PATH, type ConsoleAssets } from './ui/build';

/** The port the console asks for first: a stable URL across restarts when it is free. */
export const DEFAULT_CONSOLE_PORT = 8765;

export type { ConsoleAssets } from './ui/build';

export interface ConsoleServerOptions {
  /** Where the console reads from and acts on. */
  readonly target: Target;
  /** Shown by /api/session. */
  readonly stackName: string;
  /** 0 for any free port. @default {@link DEFAULT_CONSOLE_PORT}, else a free one */
  readonly port?: number;
  /** @default random (24 bytes, base64url) */
  readonly token?: string;
  /** Builds the browser app (called once, on first need; a failed build is tried again). @default buildConsoleAssets */
  readonly assets?: () => Promise<ConsoleAssets>;
  /** The extra readers the API uses beyond the target (CloudWatch, SageMaker, notifications). */
  readonly readers?: ApiContext['readers'];
}

/** A running console. */
export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  /** The actions' token (X-Mlops-Token); never served by a GET. */
  readonly token: string;
  /** True when the port asked for was taken and another was chosen. */
  readonly portFallback: boolean;
  /** Tells connected browsers (GET /api/events) that something of this kind changed. */
  changed(kind: ChangeKind): void;
  stop(): Promise<void>;
}

/** Headers on every response: no inline or foreign script, no sniffing, no referrer leaving the console. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/**
 * Starts the console on 127.0.0.1.
 *
 * @throws when the port given explicitly is taken
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const changes = new ChangeStream();
  let assets: Promise<ConsoleAssets> | undefined;
  const loadAssets = () => {
    assets ??= (options.assets ?? buildConsoleAssets)().catch((error: unknown) => {
      assets = undefined; // a failed build is tried again on the next request
      throw error;
    });
    return assets;
  };
  let port = 0;
  const context = (): ApiContext => ({
    target: options.target,
    stackName: options.stackName,
    readers: options.readers ?? {},
    changed: (kind) => changes.emit(kind),
  });
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: messageOf(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const refused = hostRefused(request, port);
    if (refused !== undefined) return sendJson(response, 403, { error: refused });
    const path = url.pathname;
    if (path === '/api/events' && request.method === 'GET') return changes.subscribe(request, response);
    if (path.startsWith('/api/')) {
      if (request.method === 'POST') {
        const problem = checkAction(request, token, port);
        if (problem !== undefined) return sendJson(response, problem.status, { error: problem.message });
      } else if (request.method !== 'GET' && request.method !== 'HEAD') {
        return sendJson(response, 405, { error: `${request.method ?? ''} is not served` });
      }
      try {
        const body = request.method === 'POST' ? await readJsonBody(request) : undefined;
        const result = await routeApi(context(), request.method ?? 'GET', url, body);
        if (result.kind === 'json') return sendJson(response, 200, result.body);
        response.writeHead(200, result.headers);
        response.end(result.body);
        return;
      } catch (error) {
        return sendJson(response, statusOf(error), { error: messageOf(error) });
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendJson(response, 405, { error: `${request.method ?? ''} is not served` });
    const app = await loadAssets();
    const asset =
      path === '/' || path === '/index.html'
        ? { type: 'text/html; charset=utf-8', body: app.html }
        : path === CONSOLE_JS_PATH
          ? { type: 'text/javascript; charset=utf-8', body: app.js }
          : path === CONSOLE_CSS_PATH
            ? { type: 'text/css; charset=utf-8', body: app.css }
            : undefined;
    if (asset === undefined) return sendJson(response, 404, { error: `${path} is not served` });
    response.writeHead(200, { 'Content-Type': asset.type });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
  }

  const wanted = options.port ?? DEFAULT_CONSOLE_PORT;
  let portFallback = false;
  try {
    port = await listenLocally(server, wanted);
  } catch (error) {
    if (options.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    port = await listenLocally(server, 0);
    portFallback = true;
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    portFallback,
    changed: (kind) => changes.emit(kind),
    stop: async () => {
      changes.close();
      await closeServer(server, { ignoreErrors: true });
    },
  };
}

/** Refuses a Host that is not this console's (DNS rebinding: a foreign site's name resolving to 127.0.0.1). */
function hostRefused(request: IncomingMessage, port: number): string | undefined {
  const host = request.headers.host;
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
  return host !== undefined && allowed.includes(host.toLowerCase())
    ? undefined
    : `Host ${host ?? '(none)'} is not this console's`;
}

const MAX_BODY_BYTES = 64 * 1024;

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'the body is not JSON');
  }
}

/** Sends JSON; never HTML, so names from datasets or reasons are data in the browser. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  const name = error instanceof Error ? error.constructor.name : '';
  if (name === 'NotFoundError') return 404;
  if (name === 'UsageError') return 400;
  if (name === 'CliError') return 409;
  return 500;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `npm start` gives the console: the running app, its progress observer's feed, and the options. */
export interface LocalConsoleOptions {
  readonly app: LocalApp;
  readonly feed: ConsoleFeed;
  readonly stackName: string;
  /** --console-port. @default {@link DEFAULT_CONSOLE_PORT}, else a free one */
  readonly port?: number | undefined;
}

/**
 * Starts the console on the local runtime: a {@link Target} built from its endpoints as the CLI builds one,
 * Step Functions, SageMaker and CloudWatch clients for the pages that read them, and the feed's live facts.
 */
export async function startLocalConsole(options: LocalConsoleOptions): Promise<ConsoleServer> {
  const { app, feed } = options;
  const { region } = app.runtime.resources.env;
  const endpoints = app.endpoints;
  const target = localTarget(
    runtimeDiscovery({ pid: process.pid, region, endpoints, resources: app.resources }),
  );
  const client = { region, credentials: LOCAL_CREDENTIALS };
  const stepFunctions = new SFNClient({ ...client, endpoint: endpoints.stepfunctions });
  const sagemaker = new SageMakerClient({ ...client, endpoint: endpoints.sagemaker });
  const cloudwatch = new CloudWatchClient({ ...client, endpoint: endpoints.cloudwatch });
  const close = () => {
    target.close();
    stepFunctions.destroy();
    sagemaker.destroy();
    cloudwatch.destroy();
  };
  let server: ConsoleServer;
  try {
    server = await startConsoleServer({
      target,
      stackName: options.stackName,
      ...(options.port === undefined ? {} : { port: options.port }),
      readers: {
        stepFunctions,
        sagemaker,
        cloudwatch,
        trainingRounds: (jobName) => feed.trainingRounds(jobName),
        notifications: () => feed.notifications(),
      },
    });
  } catch (error) {
    close();
    throw error;
  }
  feed.connect((kind) => server.changed(kind));
  app.runtime.events.onEvent((event) => feed.busEvent(event));
  return {
    ...server,
    changed: server.changed,
    stop: async () => {
      feed.connect(undefined);
      await server.stop();
      close();
    },
  };
}
