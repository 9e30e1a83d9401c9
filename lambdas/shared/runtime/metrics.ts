/**
 * Publishing one business metric: its own EMF document (a Powertools single metric, written on the spot),
 * in the model's dimension set and, when given, one more set with a second dimension (Step, Reason); ids go
 * in as metadata (EMF properties: searchable in the logs, not dimensions). Names and units are in
 * ../metric-names.ts.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricDimensions, type MetricName } from '../metric-names';

/** A Powertools metric unit. */
export type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface PublishMetricOptions {
  /** The model: the dimension every business metric carries. */
  readonly model: string;
  /** A second dimension set, [model, name]: e.g. `{ Step: 'TrainModel' }`. */
  readonly breakdown?: Readonly<Record<string, string>> | undefined;
  /** Ids and details kept as EMF properties (run id, version, deployment id). */
  readonly metadata?: Readonly<Record<string, string | number | undefined>> | undefined;
}

/**
 * Publishes `name` = `value` for one model at once (a single-metric EMF line on stdout).
 *
 * @param unit - @default MetricUnit.Count
 */
export function publishMetric(
  metrics: Metrics,
  name: MetricName,
  value: number,
  options: PublishMetricOptions,
  unit: MetricUnitValue = MetricUnit.Count,
): void {
  const single = metrics.singleMetric();
  // A single metric gets Powertools' `service` default dimension back; business metrics are keyed by model.
  single.clearDefaultDimensions();
  // Powertools prefixes every dimension set with the default dimensions and warns when one key is in two
  // places (a dimension and a set, or two sets). So `model` is this throwaway instance's default: alone it
  // is the set [model]; with a breakdown, the empty set gives [model] and the breakdown [model, Step].
  single.setDefaultDimensions({ [MetricDimensions.model]: options.model });
  if (options.breakdown !== undefined) {
    single.addDimensions({});
    single.addDimensions(options.breakdown);
  }
  for (const [key, item] of Object.entries(options.metadata ?? {})) {
    if (item !== undefined) single.addMetadata(key, String(item));
  }
  // A single-metric instance publishes on addMetric, with the dimensions and metadata set before it.
  single.addMetric(name, unit, value);
}
