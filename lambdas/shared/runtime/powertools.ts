/**
 * Powertools for the pipeline's Lambdas: one Logger, Metrics and Tracer per function, created at module
 * load, and the per-invocation chores the middy middlewares would do (the project does not use middy).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, MetricDimensions } from '../metric-names';
import { isPipelineError } from './errors';

/** CloudWatch namespace of every custom metric the stack emits (named in ../metric-names). */
export { METRICS_NAMESPACE };

/** The dimension every business metric carries; dashboards and alarms are per model. */
export const MODEL_DIMENSION = MetricDimensions.model;

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * Creates the Logger, Metrics and Tracer of one function.
 *
 * @param functionName - the service name, e.g. `start-run`; `POWERTOOLS_SERVICE_NAME` wins when set
 */
export function createPowertools(functionName: string): Powertools {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME?.trim() || functionName;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  // Powertools adds a `service` dimension by default; business metrics are keyed by model alone so that
  // dashboards and alarms do not depend on which function emitted them.
  metrics.clearDefaultDimensions();
  const tracer = new Tracer({ serviceName });
  return { logger, metrics, tracer };
}

/**
 * Runs one invocation with Powertools' per-invocation chores: Lambda context and cold start in the logs,
 * a `## handler` subsegment with the result or error as metadata, stored metrics flushed and the
 * invocation's log keys (e.g. the run id) cleared afterwards, whatever the outcome.
 *
 * A failure is logged once: an expected verdict (a {@link PipelineError}: DatasetRejected, ContractMissing,
 * MetricMissing, RetryRejected) at WARN with its name and message and no stack trace, since it is the
 * user's data or request that was judged, not a fault; anything else at ERROR with its stack.
 *
 * @param powertools - the function's instances from {@link createPowertools}
 * @param context - the Lambda context
 * @param invoke - the invocation itself
 */
export async function instrumented<T>(
  powertools: Powertools,
  context: Context,
  invoke: () => Promise<T>,
): Promise<T> {
  const { logger, metrics, tracer } = powertools;
  logger.addContext(context);
  metrics.captureColdStartMetric(context.functionName);
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    const result = await invoke();
    tracer.addResponseAsMetadata(result, process.env._HANDLER);
    return result;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    tracer.addErrorAsMetadata(failure);
    if (isPipelineError(failure)) {
      logger.warn(`${failure.name}: ${failure.message}`, { errorName: failure.name });
    } else {
      logger.error('Invocation failed', failure);
    }
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
