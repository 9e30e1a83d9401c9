/**
 * The inference API: `POST /models/<model>/invocations` on the function URL (AuthType AWS_IAM) invokes the
 * model's endpoint and, for the models whose endpoints SageMaker cannot capture (serverless), captures the
 * request and response in SageMaker's format and layout (capture.ts).
 *
 * Request: the payload as the body, its type in Content-Type, the wanted answer type in Accept, and an optional
 * `X-Amzn-SageMaker-Inference-Id` (1–64 characters, as InvokeEndpoint's InferenceId; not `mlops-internal-…`,
 * which the checks skip) that ground truth can name later. Answer: the endpoint's body and Content-Type, with `X-Mlops-Event-Id` (the capture record's
 * eventId, the other id ground truth can name) and `X-Amzn-Invoked-Production-Variant`.
 * Function URL payloads: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads;
 * InvokeEndpoint: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { INTERNAL_INFERENCE_ID_PREFIX } from '../shared/capture/parse';
import { endpointName, VARIANT_NAME } from '../shared/endpoints/naming';
import { MODEL_SETTINGS_DEFAULTS_KEY } from '../shared/model-settings';
import { MODEL_NAME_PATTERN } from '../shared/registry/schemas';
import * as z from '../shared/zod';
import type { CaptureBuffer } from './capture';

/**
 * The fields of a function URL request (payload format 2.0) the API reads; the others pass unread. Lambda
 * sends `rawPath`, `headers` (values of repeated headers joined by commas), `requestContext.http.method`
 * and `isBase64Encoded`, and `body` when there is one
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
 */
const functionUrlEventSchema = z.looseObject({
  rawPath: z.string(),
  headers: z.optional(z.record(z.string(), z.string())),
  requestContext: z.looseObject({ http: z.looseObject({ method: z.string() }) }),
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
});

/** The one route: `/models/<model>/invocations`. */
const ROUTE = /^\/models\/([^/]+)\/invocations\/?$/;

/** InvokeEndpoint's InferenceId: "Length Constraints: Minimum length of 1. Maximum length of 64." */
const INFERENCE_ID = /^\S[\x20-\x7e]{0,63}$/;

export const INFERENCE_ID_HEADER = 'x-amzn-sagemaker-inference-id';
export const EVENT_ID_HEADER = 'x-mlops-event-id';
export const VARIANT_HEADER = 'x-amzn-invoked-production-variant';

/** Per model (and `defaults`), the share of requests the API captures, 0–100. */
export type ApiCapturePercent = Readonly<Record<string, number>>;

export interface InvokeModelDependencies {
  readonly runtime: SageMakerRuntimeClient;
  readonly capture: CaptureBuffer;
  /** The stack's SageMaker name prefix (endpoint names are `<prefix>-<model>`). */
  readonly namePrefix: string;
  readonly capturePercent: ApiCapturePercent;
  readonly logger: Logger;
  /** Sampling draws in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default randomUUID */
  readonly newEventId?: () => string;
}

/** Handles one function URL request; never throws for a caller's mistake or an endpoint's error. */
export async function invokeModel(
  input: unknown,
  deps: InvokeModelDependencies,
): Promise<LambdaFunctionURLResult> {
  const parsed = z.safeParse(functionUrlEventSchema, input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
    );
    return problem(
      400,
      'ValidationError',
      `not a function URL request (payload format 2.0): ${issues.join('; ')}`,
    );
  }
  const event = parsed.data;
  const route = ROUTE.exec(event.rawPath);
  const model = route?.[1] === undefined ? undefined : decodeURIComponent(route[1]);
  if (model === undefined) return problem(404, 'NotFound', 'expected POST /models/<model>/invocations');
  if (!MODEL_NAME_PATTERN.test(model)) return problem(404, 'NotFound', `"${model}" is not a model name`);
  const method = event.requestContext.http.method;
  if (method !== 'POST') return problem(405, 'MethodNotAllowed', `expected POST, got ${method || 'nothing'}`);
  const headers = lowerCaseKeys(event.headers ?? {});
  const inferenceId = headers[INFERENCE_ID_HEADER];
  if (inferenceId !== undefined && !INFERENCE_ID.test(inferenceId)) {
    return problem(400, 'ValidationError', `${INFERENCE_ID_HEADER} must be 1–64 printable characters`);
  }
  // The checks skip records with these ids (the stack's own invocations): a caller's must not hide traffic.
  if (inferenceId?.startsWith(INTERNAL_INFERENCE_ID_PREFIX)) {
    return problem(
      400,
      'ValidationError',
      `${INFERENCE_ID_HEADER} values starting with ${INTERNAL_INFERENCE_ID_PREFIX} are reserved for the stack's own invocations`,
    );
  }
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length === 0) return problem(400, 'ValidationError', 'the request has no body');
  const contentType = headers['content-type'];
  const accept = headers.accept;
  const endpoint = endpointName(deps.namePrefix, model);
  const now = deps.now ?? Date.now;
  const time = now();

  let answer: { body: Uint8Array; contentType: string | undefined; variant: string };
  try {
    const response = await deps.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        Body: body,
        // Undefined members are left out by the SDK's serializer.
        ContentType: contentType,
        Accept: accept,
        InferenceId: inferenceId,
      }),
    );
    answer = {
      body: response.Body ?? new Uint8Array(),
      contentType: response.ContentType,
      variant: response.InvokedProductionVariant ?? VARIANT_NAME,
    };
  } catch (error) {
    return endpointProblem(error, model, deps.logger);
  }

  const eventId = (deps.newEventId ?? randomUUID)();
  const percent = deps.capturePercent[model] ?? deps.capturePercent[MODEL_SETTINGS_DEFAULTS_KEY] ?? 0;
  if (percent >= 100 || (percent > 0 && (deps.random ?? Math.random)() * 100 < percent)) {
    deps.capture.add({
      model,
      endpointName: endpoint,
      variantName: answer.variant,
      input: { body, contentType },
      output: { body: answer.body, contentType: answer.contentType },
      time,
      eventId,
      inferenceId,
    });
  }
  try {
    await deps.capture.flushDue();
  } catch (error) {
    // The caller has its answer; the records stay buffered for the next flush.
    deps.logger.warn('Capture write failed; records kept for the next flush', { error: String(error) });
  }

  const text = isText(answer.contentType);
  const bytes = Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
  return {
    statusCode: 200,
    headers: {
      'content-type': answer.contentType ?? 'application/octet-stream',
      [EVENT_ID_HEADER]: eventId,
      [VARIANT_HEADER]: answer.variant,
    },
    body: text ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: !text,
  };
}

function lowerCaseKeys(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

function isText(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media.startsWith('text/') || media === 'application/json' || media === 'application/jsonlines';
}

function problem(statusCode: number, error: string, message: string): LambdaFunctionURLResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error, message }),
  };
}

/**
 * InvokeEndpoint's errors as HTTP answers (API_runtime_InvokeEndpoint.html, "Errors"): an unknown endpoint 404,
 * the container's own error (ModelError, HTTP 424) with its message, throttling 429, unavailability 503, and
 * anything else 502 (logged: it is the stack's fault, not the caller's).
 */
function endpointProblem(error: unknown, model: string, logger: Logger): LambdaFunctionURLResult {
  const { name, message } = error as { name?: string; message?: string };
  const text = message ?? String(error);
  switch (name) {
    case 'ValidationError':
      return /not found/i.test(text)
        ? problem(404, 'ModelNotDeployed', `model "${model}" has no endpoint serving: ${text}`)
        : problem(400, 'ValidationError', text);
    case 'ModelError': {
      const original = (error as { OriginalMessage?: string }).OriginalMessage;
      return problem(424, 'ModelError', original ?? text);
    }
    case 'ThrottlingException':
      return problem(429, 'Throttled', text);
    case 'ModelNotReadyException':
    case 'ServiceUnavailable':
      return problem(503, name, text);
    default:
      logger.error('InvokeEndpoint failed', { model, errorName: name, error: text });
      return problem(502, 'EndpointFailed', `${name ?? 'Error'}: ${text}`);
  }
}
