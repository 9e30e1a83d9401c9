/**
 * A run's cost: training billable seconds × instances × the instance type's hourly price, state transitions ×
 * the Standard price, Lambda GB-seconds × the arm64 price (plus requests). List prices, no free tier.
 */
import type { ExecutionUsage } from './history';
import type { PriceTable } from './prices';

/** One training job as DescribeTrainingJob reports it. */
export interface TrainingJobUsage {
  readonly name: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  /**
   * BillableTimeInSeconds: wall-clock seconds billed per instance; SageMaker bills it × InstanceCount
   * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html). Absent for a job
   * that never started on instances.
   */
  readonly billableSeconds: number;
}

/** What a run cost, in USD, with the quantities it was computed from. Stored on the run as `cost`. */
export interface RunCost {
  readonly totalUsd: number;
  readonly training: {
    readonly usd: number;
    readonly billableSeconds: number;
    readonly jobs: readonly (TrainingJobUsage & { readonly usd: number | null })[];
  };
  readonly stepFunctions: { readonly usd: number; readonly stateTransitions: number };
  readonly lambda: { readonly usd: number; readonly gbSeconds: number; readonly invocations: number };
  /** Instance types without a price: their time is left out of the total (say so rather than guess). */
  readonly unpriced: readonly string[];
  readonly region: string;
  /** The price table's date and sources. */
  readonly pricesAsOf: string;
  readonly priceSources: readonly string[];
  readonly computedAt: string;
}

/** Rounds to 1/10,000 of a cent: sums stay exact enough to print to the cent or below. */
const usd = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * Computes a run's cost.
 *
 * @param usage - the execution's transitions and Lambda invocations ({@link usageOf})
 * @param jobs - its training jobs as described
 * @param memoryMb - each function's memory by name; a function not listed counts at `defaultMemoryMb`
 * @param prices - the region's table
 */
export function runCost(input: {
  readonly usage: ExecutionUsage;
  readonly jobs: readonly TrainingJobUsage[];
  readonly memoryMb: Readonly<Record<string, number>>;
  readonly defaultMemoryMb?: number;
  readonly prices: PriceTable;
  readonly region: string;
  readonly now: Date;
}): RunCost {
  const { usage, prices } = input;
  const unpriced = new Set<string>();
  const jobs = input.jobs.map((job) => {
    const hourly = prices.trainingInstanceHour[job.instanceType];
    if (hourly === undefined) unpriced.add(job.instanceType);
    const cost = hourly === undefined ? null : usd((job.billableSeconds * job.instanceCount * hourly) / 3600);
    return { ...job, usd: cost };
  });
  const trainingUsd = usd(jobs.reduce((sum, job) => sum + (job.usd ?? 0), 0));
  const transitionsUsd = usd(usage.stateTransitions * prices.stateTransition);
  const gbSeconds = usage.lambdaInvocations.reduce(
    (sum, call) =>
      sum +
      ((input.memoryMb[call.functionName] ?? input.defaultMemoryMb ?? 128) / 1024) * (call.durationMs / 1000),
    0,
  );
  const lambdaUsd = usd(
    gbSeconds * prices.lambdaGbSecond + usage.lambdaInvocations.length * prices.lambdaRequest,
  );
  return {
    totalUsd: usd(trainingUsd + transitionsUsd + lambdaUsd),
    training: {
      usd: trainingUsd,
      billableSeconds: jobs.reduce((s, j) => s + j.billableSeconds * j.instanceCount, 0),
      jobs,
    },
    stepFunctions: { usd: transitionsUsd, stateTransitions: usage.stateTransitions },
    lambda: {
      usd: lambdaUsd,
      gbSeconds: Math.round(gbSeconds * 1000) / 1000,
      invocations: usage.lambdaInvocations.length,
    },
    unpriced: [...unpriced],
    region: input.region,
    pricesAsOf: prices.asOf,
    priceSources: prices.sources,
    computedAt: input.now.toISOString(),
  };
}

/**
 * Dollars: six decimals below a tenth of a cent (a run's transitions and Lambdas cost millionths), four below a
 * dollar, else two: `$0.000075`, `$0.0117`, `$12.35`.
 */
export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  return `$${value.toFixed(value < 0.001 ? 6 : value < 1 ? 4 : 2)}`;
}
