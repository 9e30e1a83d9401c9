/**
 * SageMaker Runtime, locally: InvokeEndpoint over its restJson1 protocol (POST
 * /endpoints/{EndpointName}/invocations, ContentType/Accept in Content-Type/Accept, CustomAttributes,
 * TargetVariant and InferenceId in X-Amzn-SageMaker-* headers; the answer's Content-Type and
 * x-Amzn-Invoked-Production-Variant) on 127.0.0.1, so SageMakerRuntimeClient works against it with only an
 * `endpoint` — https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html.
 *
 * Endpoints come from the local SageMaker's hosting state (LocalHosting): each request is routed to blue or
 * green by the deployment's traffic stage, then to a variant by weight (routing.ts), served by that variant's
 * container (containers.ts: the built-in XGBoost in-process, or a user's serving command), sampled into data
 * capture (capture.ts), counted in the AWS/SageMaker metrics (metrics.ts) and in per-fleet counters. A fault
 * switch makes chosen fleets fail like a broken container, for rollback demos and tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { omitUndefined } from '../../../lambdas/shared/omit-undefined';
import { closeServer, listenLocally } from '../../http-server';
import type { LocalHosting } from '../hosting';
import type { Fleet } from '../hosting-state';
import { type CaptureOptions, DataCapture, sampled } from './capture';
import {
  type Container,
  type ContainerResponse,
  Containers,
  containerKey,
  ModelDataError,
  type ServerMapping,
} from './containers';
import { modelError, RuntimeApiError } from './errors';
import { checkFault, type Fault, faultFromJson, faultMatches, faultToJson } from './fault';
import { InvocationMetrics } from './metrics';
import { type Route, route } from './routing';

export type { CaptureOptions } from './capture';
export type { ServerMapping } from './containers';
export type { Fault } from './fault';
export { SAGEMAKER_NAMESPACE } from './metrics';

export interface LocalSageMakerRuntimeOptions {
  readonly hosting: LocalHosting;
  /** Reads model artifacts and writes data capture (the local S3). */
  readonly s3: S3Client;
  readonly account: string;
  readonly region: string;
  /** Serving commands for images (`mlops.local.trainers[].serve`), tried before the built-in XGBoost. */
  readonly servers?: readonly ServerMapping[];
  /** AWS/SageMaker invocation metrics, aggregated per second (e.g. the local CloudWatch's putMetricData). */
  readonly metrics?: (namespace: string, data: readonly MetricDatum[]) => void;
  /** Extracted models and serving commands' logs go under `<workDir>/models/`. */
  readonly workDir: string;
  /** Capture batching. @default { maxRecords: 1000, flushIntervalMs: 2000 } */
  readonly capture?: CaptureOptions;
  /** @default 0 - a free port */
  readonly port?: number;
  /** How long a serving command has to answer GET /ping with 200. @default 60000 */
  readonly startupTimeoutMs?: number;
  /** Traffic split and capture sampling draws, [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Problems worth a line in the runtime's log (a capture write failing, a container failing to start). */
  readonly onWarning?: (message: string) => void;
}

/** Requests and errors one fleet (endpoint config) of an endpoint served. */
export interface FleetStats {
  invocations: number;
  errors: number;
}

export interface LocalSageMakerRuntime {
  readonly endpoint: string;
  /** Sets (or with undefined clears) the fault switch. */
  setFault(fault: Fault | undefined): void;
  /** Per endpoint config that served `endpointName`: its invocations and errors (ModelError answers). */
  stats(endpointName: string): Record<string, FleetStats>;
  /**
   * SageMaker's health check of a new fleet, for the hosting's `healthCheck`: starts each variant's container
   * (the model downloaded and extracted, then loaded by the built-in XGBoost or a serving command answering GET
   * /ping) and answers undefined when all are healthy, else the endpoint's FailureReason.
   */
  healthCheck(fleet: Fleet): Promise<string | undefined>;
  /** Writes buffered capture records and publishes pending metrics. */
  flush(): Promise<void>;
  /** Stops serving commands, flushes capture and metrics, closes the server. */
  stop(): Promise<void>;
}

/** InvokeEndpoint's Body limit ("Length Constraints: Maximum length of 6291456", API_runtime_InvokeEndpoint). */
const MAX_BODY = 6_291_456;
const INVOCATIONS_PATH = /^\/endpoints\/([^/]+)\/invocations$/;
/** The fault switch's address on the runtime's server (not an AWS API; an endpoint name cannot start with _). */
const FAULT_PATH = '/_local/fault';
/** How often fleets that came or went are noticed (containers started ahead, unused ones stopped). */
const SWEEP_MS = 1000;
/** How long a container stays up after its fleet went. */
const DRAIN_MS = 3000;

export async function startLocalSageMakerRuntime(
  options: LocalSageMakerRuntimeOptions,
): Promise<LocalSageMakerRuntime> {
  const random = options.random ?? Math.random;
  // The same problem under traffic (a server that will not start) is said once a minute, not per request.
  const warned = new Map<string, number>();
  const warn = (message: string): void => {
    const now = Date.now();
    if ((warned.get(message) ?? Number.NEGATIVE_INFINITY) > now - 60_000) return;
    warned.set(message, now);
    options.onWarning?.(message);
  };
  const containers = new Containers({
    s3: options.s3,
    workDir: options.workDir,
    servers: options.servers ?? [],
    ...(options.startupTimeoutMs === undefined ? {} : { startupTimeoutMs: options.startupTimeoutMs }),
  });
  const capture = new DataCapture(options.s3, {
    ...options.capture,
    onError: (error) => {
      options.capture?.onError?.(error);
      warn(`data capture write failed: ${(error as Error).message}`);
    },
  });
  const metrics = options.metrics ? new InvocationMetrics(options.metrics) : undefined;
  const stats = new Map<string, Map<string, FleetStats>>();
  let fault: Fault | undefined;

  const invoke = async (request: IncomingMessage, response: ServerResponse, requestId: string) => {
    const started = performance.now();
    const match =
      request.method === 'POST' ? INVOCATIONS_PATH.exec((request.url ?? '').split('?')[0] ?? '') : null;
    if (!match) {
      throw new RuntimeApiError(
        'ValidationError',
        `${request.method} ${request.url} is not an operation of the local SageMaker Runtime (it serves InvokeEndpoint)`,
      );
    }
    const endpointName = decodeURIComponent(match[1] ?? '');
    const body = await readBody(request);
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    const input = {
      endpointName,
      contentType: header('content-type'),
      accept: header('accept'),
      customAttributes: header('x-amzn-sagemaker-custom-attributes'),
      targetVariant: header('x-amzn-sagemaker-target-variant'),
      inferenceId: header('x-amzn-sagemaker-inference-id'),
    };
    validate(input, body);
    const chosen = route(
      options.hosting.endpoint(endpointName),
      {
        endpointName,
        account: options.account,
        ...(input.targetVariant === undefined ? {} : { targetVariant: input.targetVariant }),
      },
      random,
    );
    const modelStart = performance.now();
    const answer = await answerWith(
      chosen,
      endpointName,
      omitUndefined({
        body,
        contentType: input.contentType,
        accept: input.accept,
        customAttributes: input.customAttributes,
      }),
    );
    const modelEnd = performance.now();
    const ok = answer.status >= 200 && answer.status < 300;
    count(endpointName, chosen.fleet.endpointConfigName, ok);
    const captureConfig = chosen.fleet.dataCapture;
    if (ok && captureConfig && sampled(captureConfig, random)) {
      capture.add({
        endpointName: options.hosting.endpoint(endpointName)?.name ?? endpointName,
        variantName: chosen.variant.variantName,
        config: captureConfig,
        input: { body, contentType: input.contentType },
        output: { body: answer.body, contentType: answer.contentType },
        inferenceId: input.inferenceId,
        time: Date.now(),
      });
    }
    if (!ok) {
      const error = modelError(answer.status, answer.body.toString('utf8'), {
        region: options.region,
        account: options.account,
        endpointName,
      });
      error.send(response, requestId);
    } else {
      const headers: Record<string, string | number> = {
        'content-type': answer.contentType,
        'content-length': answer.body.length,
        'x-amzn-invoked-production-variant': chosen.variant.variantName,
        'x-amzn-requestid': requestId,
      };
      if (answer.customAttributes !== undefined)
        headers['x-amzn-sagemaker-custom-attributes'] = answer.customAttributes;
      response.writeHead(200, headers);
      response.end(answer.body);
    }
    metrics?.record({
      endpointName: options.hosting.endpoint(endpointName)?.name ?? endpointName,
      variantName: chosen.variant.variantName,
      instanceCount: chosen.variant.serverlessConfig ? undefined : chosen.variant.instanceCount,
      status: answer.status,
      modelLatencyUs: (modelEnd - modelStart) * 1000,
      overheadLatencyUs: (performance.now() - started - (modelEnd - modelStart)) * 1000,
      time: Date.now(),
    });
  };

  /** The container's answer, or the fault switch's. */
  const answerWith = async (
    chosen: Route,
    endpointName: string,
    request: Parameters<Container['invoke']>[0],
  ): Promise<ContainerResponse> => {
    const injected = fault && faultMatches(fault, chosen, endpointName) ? fault : undefined;
    if (injected?.latencyMs) await new Promise((resolve) => setTimeout(resolve, injected.latencyMs));
    if (injected && random() < injected.errorRate) {
      return {
        status: injected.status ?? 500,
        body: Buffer.from(
          `Fault injected by the local runtime's fault switch (model ${chosen.variant.modelName})`,
        ),
        contentType: 'text/plain',
      };
    }
    let container: Container;
    try {
      container = await containers.get(chosen.variant);
    } catch (error) {
      const message = `The container for model ${chosen.variant.modelName} failed to start: ${(error as Error).message}`;
      warn(message);
      return { status: 500, body: Buffer.from(message), contentType: 'text/plain' };
    }
    return container.invoke(request);
  };

  const count = (endpointName: string, configName: string, ok: boolean): void => {
    const key = endpointName.toLowerCase();
    let fleets = stats.get(key);
    if (!fleets) {
      fleets = new Map();
      stats.set(key, fleets);
    }
    let fleet = fleets.get(configName);
    if (!fleet) {
      fleet = { invocations: 0, errors: 0 };
      fleets.set(configName, fleet);
    }
    fleet.invocations += 1;
    if (!ok) fleet.errors += 1;
  };

  /** The fault switch over HTTP: GET reads it, PUT sets it (JSON), DELETE clears it. */
  const faultSwitch = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const body = (await readBody(request)).toString('utf8');
    if (request.method === 'DELETE') fault = undefined;
    else if (request.method === 'PUT') {
      try {
        fault = faultFromJson(JSON.parse(body));
      } catch (error) {
        reply(400, { message: `Invalid fault: ${(error as Error).message}` });
        return;
      }
    } else if (request.method !== 'GET') {
      reply(405, { message: 'The fault switch takes GET, PUT and DELETE' });
      return;
    }
    reply(200, { fault: faultToJson(fault) });
  };

  const server = createServer((request, response) => {
    if ((request.url ?? '').split('?')[0] === FAULT_PATH) {
      faultSwitch(request, response).catch(() => response.destroy());
      return;
    }
    const requestId = randomUUID();
    invoke(request, response, requestId).catch((error: unknown) => {
      const apiError =
        error instanceof RuntimeApiError
          ? error
          : new RuntimeApiError(
              'InternalFailure',
              `The local SageMaker Runtime failed: ${(error as Error).message}`,
            );
      if (!(error instanceof RuntimeApiError)) warn(apiError.message);
      if (!response.headersSent) apiError.send(response, requestId);
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  const port = await listenLocally(server, options.port);

  // Containers start when a fleet appears (as SageMaker provisions them before traffic) and stop when it goes.
  const attempted = new Set<string>();
  const lastUsed = new Map<string, number>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const name of endpointNames(options.hosting)) {
      const endpoint = options.hosting.endpoint(name);
      for (const fleet of [endpoint?.serving, endpoint?.pending]) {
        for (const variant of fleet?.variants ?? []) {
          const key = containerKey(variant);
          lastUsed.set(key, now);
          if (!attempted.has(key)) {
            attempted.add(key);
            containers
              .get(variant)
              .catch((error: unknown) => warn(`model ${variant.modelName}: ${(error as Error).message}`));
          }
        }
      }
    }
    // A fleet's containers outlive it a little, so requests routed to it just before it went still finish.
    for (const key of containers.keys()) if (!lastUsed.has(key)) lastUsed.set(key, now);
    const keep = new Set<string>();
    for (const [key, time] of lastUsed) {
      if (now - time <= DRAIN_MS) keep.add(key);
      else lastUsed.delete(key);
    }
    for (const key of attempted) if (!keep.has(key)) attempted.delete(key);
    void containers.retain(keep);
  }, SWEEP_MS);
  sweep.unref();

  const healthCheck = async (fleet: Fleet): Promise<string | undefined> => {
    for (const variant of fleet.variants) {
      let unhealthy: string | undefined;
      try {
        unhealthy = (await containers.get(variant)).unhealthy;
      } catch (error) {
        if (error instanceof ModelDataError) return error.message;
        unhealthy = (error as Error).message;
      }
      if (unhealthy !== undefined) return pingFailure(variant.variantName, unhealthy);
    }
    return undefined;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    healthCheck,
    setFault: (next) => {
      fault = next && checkFault(next);
    },
    stats: (endpointName) =>
      Object.fromEntries(
        [...(stats.get(endpointName.toLowerCase()) ?? new Map<string, FleetStats>())].map(([name, s]) => [
          name,
          { ...s },
        ]),
      ),
    flush: async () => {
      metrics?.flush();
      await capture.flush();
    },
    stop: async () => {
      clearInterval(sweep);
      await closeServer(server, { ignoreErrors: true });
      metrics?.stop();
      await capture.stop();
      await containers.stopAll();
    },
  };
}

/**
 * The serving commands of `mlops.local.trainers` entries that name one (`serve.command`, an argument list
 * whose elements starting with `./` are paths from `projectRoot`, as for trainers).
 */
export function serverMappings(
  trainers: readonly { readonly image: string; readonly serve?: { readonly command: readonly string[] } }[],
  projectRoot: string,
): ServerMapping[] {
  return trainers.flatMap(({ image, serve }) => {
    const [command, ...args] = (serve?.command ?? []).map((part) =>
      part.startsWith('./') ? join(projectRoot, part) : part,
    );
    return command === undefined ? [] : [{ image, command, args }];
  });
}

/**
 * SageMaker's FailureReason for a fleet whose container never answered GET /ping with 200 (quoted in
 * aws/sagemaker-python-sdk#787 and awslabs/llm-hosting-container#18). On AWS the why is in the endpoint's
 * CloudWatch Logs, which do not exist locally: the container's own words follow, within FailureReason's 1024
 * characters.
 */
export function pingFailure(variantName: string, log: string): string {
  const reason =
    `The primary container for production variant ${variantName} did not pass the ping health check. ` +
    'Please check CloudWatch logs for this endpoint.';
  const detail = ` Local container log: ${log}`;
  return `${reason}${detail}`.slice(0, 1024);
}

/** The endpoints the hosting state holds, read through its ListEndpoints. */
function endpointNames(hosting: LocalHosting): string[] {
  const list = hosting.operations().ListEndpoints;
  if (!list) return [];
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = list({ MaxResults: 100, NextToken: token }) as {
      Endpoints?: { EndpointName?: string }[];
      NextToken?: string;
    };
    for (const endpoint of page.Endpoints ?? []) if (endpoint.EndpointName) names.push(endpoint.EndpointName);
    token = page.NextToken;
  } while (token);
  return names;
}

/**
 * The members' constraints of InvokeEndpointInput (EndpointName and TargetVariant: at most 63 characters,
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9])*`; ContentType, Accept, CustomAttributes: at most 1024; InferenceId 1–64;
 * Body at most 6 MB), worded as SageMaker's front end words them.
 */
function validate(
  input: {
    readonly endpointName: string;
    readonly contentType: string | undefined;
    readonly accept: string | undefined;
    readonly customAttributes: string | undefined;
    readonly targetVariant: string | undefined;
    readonly inferenceId: string | undefined;
  },
  body: Buffer,
): void {
  const errors: string[] = [];
  const name = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
  const check = (path: string, value: string | undefined, max: number, pattern?: RegExp, min = 0) => {
    if (value === undefined) return;
    if (value.length > max) {
      errors.push(
        `Value '${value}' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    } else if (value.length < min) {
      errors.push(
        `Value '${value}' at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    } else if (pattern && !pattern.test(value)) {
      errors.push(
        `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`,
      );
    }
  };
  check('endpointName', input.endpointName, 63, name);
  check('contentType', input.contentType, 1024);
  check('accept', input.accept, 1024);
  check('customAttributes', input.customAttributes, 1024);
  check('targetVariant', input.targetVariant, 63, name);
  check('inferenceId', input.inferenceId, 64, undefined, 1);
  if (body.length > MAX_BODY) {
    errors.push(
      `Value at 'body' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BODY}`,
    );
  }
  if (errors.length > 0) {
    const count = errors.length === 1 ? '1 validation error' : `${errors.length} validation errors`;
    throw new RuntimeApiError('ValidationError', `${count} detected: ${errors.join('; ')}`);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit nothing more is kept; the size check answers.
      if (size <= MAX_BODY + 1) chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
