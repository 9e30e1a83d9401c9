import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { ENTRY_METADATA_KEY } from '../../lib/constructs/pipeline-function';
import { type LocalTaskHandler, taskFailure } from '../stepfunctions/executor';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from '../template/template';

const LAMBDAS_DIR = path.join(__dirname, '..', '..', 'lambdas');

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A template function, run in-process from its source with the environment the template gives it. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly functionName: string;
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly invoke: (event: unknown) => Promise<unknown>;
}

/**
 * Takes one log line an in-process function wrote with `console.log`; returns true when it consumed the line
 * (an embedded-metric-format document that became metrics), false to let it print as any other log line.
 * On Lambda, EMF lines go to CloudWatch Logs, which extracts their metrics; locally the sink does that
 * (e.g. `(line) => cloudwatch.ingestEmf(line)`).
 */
export type EmfSink = (line: string) => boolean;

export interface LoadFunctionsOptions {
  /**
   * Where the functions' EMF lines go. Given, Powertools Metrics is enabled in the functions (it is off
   * under POWERTOOLS_DEV unless POWERTOOLS_METRICS_DISABLED is "false") and prints through the global console
   * (POWERTOOLS_DEV), whose `log` is then offered to the sink while a function runs.
   */
  readonly emf?: EmfSink;
}

/** The sink of the function invocation the current code runs in (none outside invocations). */
const invocationSink = new AsyncLocalStorage<EmfSink>();
let consoleWrapped = false;

/**
 * Wraps `console.log` once per process: inside an invocation with a sink, a single-string line the sink
 * takes is not printed; everything else (other arguments, other lines, code outside invocations) prints as
 * before. Powertools Metrics in dev mode writes each EMF document as one `console.log(JSON string)`.
 */
function captureConsoleEmf(): void {
  if (consoleWrapped) return;
  consoleWrapped = true;
  const log = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    const sink = invocationSink.getStore();
    if (sink && args.length === 1 && typeof args[0] === 'string' && sink(args[0])) return;
    log(...args);
  };
}

/**
 * Loads every function the template marks with its lambdas/ entry. Each handler module is imported after
 * its environment is applied, because handlers read their configuration once, at load, as on Lambda.
 * `baseEnvironment` adds what the runtime supplies (endpoints, credentials, region).
 */
export async function loadFunctions(
  template: CfnTemplate,
  resources: LocalResources,
  baseEnvironment: Readonly<Record<string, string>>,
  options: LoadFunctionsOptions = {},
): Promise<Map<string, LocalFunction>> {
  const sink = options.emf;
  if (sink) captureConsoleEmf();
  const functions = new Map<string, LocalFunction>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const entry = resource.Metadata?.[ENTRY_METADATA_KEY];
    if (typeof entry !== 'string') continue;
    const properties = resource.Properties ?? {};
    const variables =
      (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = {
      ...(sink ? { POWERTOOLS_METRICS_DISABLED: 'false' } : {}),
      ...baseEnvironment,
      ...(Object.fromEntries(
        Object.entries(resolveIntrinsics(variables, resources.resolve) as Record<string, unknown>).map(
          ([k, v]) => [k, String(v)],
        ),
      ) as Record<string, string>),
      AWS_LAMBDA_FUNCTION_NAME: resources.physicalName(logicalId),
    };
    Object.assign(process.env, environment);
    const module = (await import(path.join(LAMBDAS_DIR, entry, 'handler.ts'))) as { handler?: Handler };
    const handler = module.handler;
    if (typeof handler !== 'function')
      throw new Error(`lambdas/${entry}/handler.ts does not export a handler function`);
    const functionName = resources.physicalName(logicalId);
    const timeoutSeconds = Number(properties.Timeout ?? 3);
    functions.set(functionName, {
      logicalId,
      functionName,
      entry,
      environment,
      timeoutSeconds,
      invoke: (event) => {
        const context = lambdaContext(functionName, resources.arn(logicalId), timeoutSeconds);
        return sink ? invocationSink.run(sink, () => handler(event, context)) : handler(event, context);
      },
    });
  }
  return functions;
}

/**
 * A Lambda task as Step Functions sees it: a function error becomes a task error named by the error's type,
 * with Lambda's JSON error document as its Cause (in a Catch's output too), so Retry and Catch match and the
 * caught error reads as they would in AWS.
 */
export function lambdaTask(fn: LocalFunction): LocalTaskHandler {
  return async (input) => {
    try {
      return await fn.invoke(input);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const document = {
        errorType: err.name,
        errorMessage: err.message,
        trace: err.stack?.split('\n') ?? [],
      };
      throw taskFailure(err.name, JSON.stringify(document));
    }
  };
}

function lambdaContext(functionName: string, arn: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
