/**
 * On-demand prices a run's cost is computed with, per region. Each table names the pages it was read from and
 * the date: prices move, and `prices` in cdk.json overrides any of them (lib/config, docs/configuration.md).
 */

/** One region's prices, in USD. */
export interface RegionPrices {
  /** SageMaker training, per instance-hour, by instance type (e.g. `ml.m5.xlarge`). */
  readonly trainingInstanceHour: Readonly<Record<string, number>>;
  /** Step Functions Standard, per state transition. */
  readonly stateTransition: number;
  /** Lambda duration on arm64, per GB-second. */
  readonly lambdaGbSecond: number;
  /** Lambda requests, per request. */
  readonly lambdaRequest: number;
}

/** A region's prices with where and when they were read. */
export interface PriceTable extends RegionPrices {
  /** The pricing pages the figures come from. */
  readonly sources: readonly string[];
  /** When they were read (YYYY-MM-DD). */
  readonly asOf: string;
}

/** Prices by region code. */
export type PriceTables = Readonly<Record<string, PriceTable>>;

/**
 * us-east-1, read 2026-11-30:
 * - Step Functions Standard: $0.0250 per 1,000 state transitions (https://aws.amazon.com/step-functions/pricing/,
 *   "State transitions pricing table", US East (N. Virginia)).
 * - Lambda arm64: $0.0000133334 per GB-second (first 7.5 billion GB-seconds a month) and $0.20 per million
 *   requests (https://aws.amazon.com/lambda/pricing/).
 * - SageMaker training on demand, per instance-hour (https://aws.amazon.com/sagemaker/pricing/, "On-Demand
 *   Pricing", Training tab): the general-purpose and compute types the config offers by default. Free tier and
 *   Savings Plans are left out: this is the list price of what the run used.
 */
export const DEFAULT_PRICES: PriceTables = {
  'us-east-1': {
    sources: [
      'https://aws.amazon.com/sagemaker/pricing/',
      'https://aws.amazon.com/step-functions/pricing/',
      'https://aws.amazon.com/lambda/pricing/',
    ],
    asOf: '2026-11-30',
    trainingInstanceHour: {
      'ml.m5.large': 0.115,
      'ml.m5.xlarge': 0.23,
      'ml.m5.2xlarge': 0.461,
      'ml.m5.4xlarge': 0.922,
      'ml.c5.xlarge': 0.204,
      'ml.c5.2xlarge': 0.408,
      'ml.c5.4xlarge': 0.816,
    },
    stateTransition: 0.025 / 1000,
    lambdaGbSecond: 0.0000133334,
    lambdaRequest: 0.2 / 1_000_000,
  },
};

/** A partial override of a region's table (cdk.json `prices.<region>`). */
export interface PriceOverride {
  readonly sources?: readonly string[] | undefined;
  readonly asOf?: string | undefined;
  readonly trainingInstanceHour?: Readonly<Record<string, number>> | undefined;
  readonly stateTransition?: number | undefined;
  readonly lambdaGbSecond?: number | undefined;
  readonly lambdaRequest?: number | undefined;
}

/**
 * The defaults with the overrides on top; instance prices merge per type, so overriding one type keeps the
 * others. A region without defaults must give every price.
 *
 * @throws Error naming the region and the missing prices
 */
export function mergePrices(
  overrides: Readonly<Record<string, PriceOverride>> = {},
  defaults: PriceTables = DEFAULT_PRICES,
): PriceTables {
  const merged: Record<string, PriceTable> = { ...defaults };
  for (const [region, override] of Object.entries(overrides)) {
    const base = defaults[region];
    const table = {
      sources: override.sources ?? base?.sources,
      asOf: override.asOf ?? base?.asOf,
      trainingInstanceHour: { ...base?.trainingInstanceHour, ...override.trainingInstanceHour },
      stateTransition: override.stateTransition ?? base?.stateTransition,
      lambdaGbSecond: override.lambdaGbSecond ?? base?.lambdaGbSecond,
      lambdaRequest: override.lambdaRequest ?? base?.lambdaRequest,
    };
    const missing = Object.entries(table)
      .filter(([, value]) => value === undefined)
      .map(([key]) => key);
    if (missing.length > 0)
      throw new Error(
        `prices.${region}: no default prices for this region; give ${missing.join(', ')} (see docs/configuration.md#prices)`,
      );
    merged[region] = table as PriceTable;
  }
  return merged;
}
