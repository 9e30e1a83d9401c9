/**
 * The stack's CloudWatch dashboard: one page for every model, runs to serving to drift, and the plumbing
 * under them.
 *
 * Per-model widgets are metric SEARCH expressions, evaluated when the dashboard is viewed, so a model first
 * uploaded after deploy shows up without a redeploy. Syntax: `SEARCH('{Namespace,Dim1,...} SearchTerm',
 * 'Statistic', Period)`; the search term holds designators (`MetricName="…"`) matched exactly when quoted,
 * partially when not — https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 * A search returns at most 500 time series and cannot back an alarm —
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudwatch.SearchExpression.html
 * The stack's own functions, queues and state machines are fixed at deploy, so their widgets name them.
 * The custom namespace is the same for every stack (METRICS_NAMESPACE): two stacks in one account and Region
 * show each other's models in the per-model widgets; their endpoint widgets stay apart (the name prefix).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { VARIANT_NAME } from '../../lambdas/shared/endpoints/naming';
import { METRICS_NAMESPACE, MetricDimensions, MetricNames } from '../../lambdas/shared/metric-names';

/**
 * SageMaker's endpoint invocation metrics: namespace AWS/SageMaker, dimensions EndpointName and VariantName;
 * ModelLatency in microseconds; the error counts send 1 per failed request (so Sum counts them) —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 */
export const SAGEMAKER_ENDPOINT_METRICS = {
  namespace: 'AWS/SageMaker',
  dimensions: ['EndpointName', 'VariantName'],
  invocations: 'Invocations',
  modelLatency: 'ModelLatency',
  errors5xx: 'Invocation5XXErrors',
  errors4xx: 'Invocation4XXErrors',
} as const;

/** The dashboard's sections, in page order (a text header each). */
export const DashboardSections = {
  runs: 'Training runs',
  deployments: 'Deployments',
  endpoints: 'Endpoints',
  monitoring: 'Drift and quality',
  operations: 'Plumbing: dead letters, Lambda functions, state machines',
} as const;

export interface DashboardProps {
  /**
   * The prefix of the stack's endpoint names (`<prefix>-<model>`, lambdas/shared/endpoints/naming.ts): the
   * endpoint widgets search for endpoints whose name has its tokens.
   */
  readonly endpointNamePrefix: string;
  /** Every dead-letter queue of the stack: their depth is plotted. */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /** The functions whose errors, throttles and duration are plotted. */
  readonly functions: readonly lambda.IFunction[];
  /** The state machines whose failed and timed-out executions are plotted, by label (e.g. `Training`). */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;

  /**
   * The dashboard's name.
   * @default - `<stack name>-mlops`
   */
  readonly dashboardName?: string;
  /**
   * The period of every graph.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/** The stack's CloudWatch dashboard (see the module comment). */
export class MlopsDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-mlops`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(...this.runs());
    this.dashboard.addWidgets(...this.deployments());
    this.dashboard.addWidgets(...this.endpoints(props.endpointNamePrefix));
    this.dashboard.addWidgets(...this.monitoring());
    this.dashboard.addWidgets(...this.operations(props));
  }

  private runs(): cloudwatch.IWidget[] {
    const n = MetricNames;
    return [
      header(DashboardSections.runs, 'Per model; a model uploaded after deploy appears by itself.'),
      this.graph('Runs by status', [
        this.byModel(n.runStarted, 'Sum', 'started'),
        this.byModel(n.runSucceeded, 'Sum', 'succeeded'),
        this.byModel(n.runFailed, 'Sum', 'failed'),
        this.byModel(n.duplicateDataset, 'Sum', 'duplicate'),
      ]),
      this.graph('Failed runs by step', [this.search(n.runFailed, [MetricDimensions.step], 'Sum')]),
      this.graph('Rejected datasets by reason', [
        this.search(n.datasetRejected, [MetricDimensions.reason], 'Sum'),
      ]),
      this.graph('Validation throughput (rows/s)', [this.byModel(n.validationThroughput, 'Average')]),
      this.graph('Training time (s)', [this.byModel(n.trainingSeconds, 'Maximum')]),
      this.graph('Objective metric of each version', [this.byModel(n.objectiveValue, 'Maximum')]),
      this.graph('Run cost (USD)', [this.byModel(n.runCost, 'Sum')]),
    ];
  }

  private deployments(): cloudwatch.IWidget[] {
    const n = MetricNames;
    return [
      header(DashboardSections.deployments),
      this.graph('Deployments', [
        this.byModel(n.deploymentStarted, 'Sum', 'started'),
        this.byModel(n.deploymentSucceeded, 'Sum', 'promoted'),
        this.byModel(n.deploymentFailed, 'Sum', 'failed'),
        this.byModel(n.deploymentRolledBack, 'Sum', 'rolled back (alarm, smoke test)'),
        this.byModel(n.rollbackDeployed, 'Sum', 'rolled back (operator)'),
      ]),
      this.graph('Smoke test latency (ms)', [this.byModel(n.smokeTestLatency, 'Maximum')]),
      this.graph('Smoke tests failed', [this.byModel(n.smokeTestFailed, 'Sum')]),
    ];
  }

  private endpoints(prefix: string): cloudwatch.IWidget[] {
    const m = SAGEMAKER_ENDPOINT_METRICS;
    // Endpoint names are `<prefix>-<model>`: each part of the prefix, unquoted (a partial match), narrows the
    // search to this stack's endpoints; the variant is always VARIANT_NAME.
    const terms = prefix
      .split(/[^a-zA-Z0-9]+/)
      .filter((token) => token !== '')
      .map((token) => `EndpointName=${token}`);
    const search = (metric: string, statistic: string, label: string) =>
      this.searchExpression(
        `SEARCH('{${m.namespace},${m.dimensions.join(',')}} MetricName="${metric}" VariantName="${VARIANT_NAME}" ${terms.join(' ')}', '${statistic}', ${this.period.toSeconds()})`,
        label,
      );
    return [
      header(DashboardSections.endpoints, `Endpoints named \`${prefix}-<model>\` (AWS/SageMaker).`),
      this.graph('Invocations', [search(m.invocations, 'Sum', 'invocations')]),
      this.graph('Model latency p50 / p99 (µs)', [
        search(m.modelLatency, 'p50', 'p50'),
        search(m.modelLatency, 'p99', 'p99'),
      ]),
      this.graph('Errors (5XX, 4XX)', [search(m.errors5xx, 'Sum', '5XX'), search(m.errors4xx, 'Sum', '4XX')]),
    ];
  }

  private monitoring(): cloudwatch.IWidget[] {
    const n = MetricNames;
    const features = this.search(n.featureDriftScore, [MetricDimensions.feature], 'Maximum');
    return [
      header(DashboardSections.monitoring),
      this.graph('Drift share', [this.byModel(n.driftShare, 'Maximum')], { min: 0, max: 1 }),
      // The ten highest scores over the range: SORT(array, function, order, limit) —
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
      this.graph('Most drifted features (score, top 10)', [
        this.expression(`SORT(${features.expression}, MAX, DESC, 10)`, ''),
      ]),
      this.graph('Rows checked, drifted features', [
        this.byModel(n.rowsChecked, 'Sum', 'rows'),
        this.byModel(n.driftedFeatures, 'Maximum', 'drifted features'),
      ]),
      this.graph('Quality on labeled traffic', [
        this.byModel(n.qualityMetricValue, 'Average', 'metric'),
        this.byModel(n.qualityDegraded, 'Maximum', 'degraded'),
      ]),
      this.graph('Labeled rows, retraining', [
        this.byModel(n.qualityLabeledRows, 'Sum', 'labeled rows'),
        this.byModel(n.retrainStarted, 'Sum', 'retrain started'),
        this.byModel(n.retrainSkipped, 'Sum', 'retrain skipped'),
      ]),
    ];
  }

  private operations(props: DashboardProps): cloudwatch.IWidget[] {
    const { period } = this;
    const fns = props.functions;
    const named = (fn: lambda.IFunction) => fn.node.path.split('/').slice(1, -1).join('/') || fn.node.id;
    const lambdaGraph = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      this.graph(title, fns.map(metric));
    const machines = Object.entries(props.stateMachines);
    return [
      header(DashboardSections.operations),
      this.graph(
        'Dead-letter queue depth',
        props.deadLetterQueues.map((queue) =>
          queue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            period,
            label: queue.node.path.split('/').slice(1).join('/'),
          }),
        ),
      ),
      lambdaGraph('Lambda errors', (fn) => fn.metricErrors({ period, label: named(fn) })),
      lambdaGraph('Lambda throttles', (fn) => fn.metricThrottles({ period, label: named(fn) })),
      lambdaGraph('Lambda duration p99 (ms)', (fn) =>
        fn.metricDuration({ statistic: 'p99', period, label: named(fn) }),
      ),
      this.graph(
        'State machine executions failed / timed out',
        machines.flatMap(([label, machine]) => [
          machine.metricFailed({ period, label: `${label} failed` }),
          machine.metricTimedOut({ period, label: `${label} timed out` }),
        ]),
      ),
    ];
  }

  /** A business metric per model: `{ServerlessMlops,model}`. */
  private byModel(metric: string, statistic: string, label?: string): cloudwatch.SearchExpression {
    return this.search(metric, [], statistic, label);
  }

  /** A business metric per model and `extra` dimensions. */
  private search(
    metric: string,
    extra: readonly string[],
    statistic: string,
    label = '',
  ): cloudwatch.SearchExpression {
    const schema = [METRICS_NAMESPACE, MetricDimensions.model, ...extra].join(',');
    return this.searchExpression(
      `SEARCH('{${schema}} MetricName="${metric}"', '${statistic}', ${this.period.toSeconds()})`,
      label,
    );
  }

  private searchExpression(expression: string, label: string): cloudwatch.SearchExpression {
    return new cloudwatch.SearchExpression({ expression, label, period: this.period });
  }

  private expression(expression: string, label: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({ expression, label, period: this.period, usingMetrics: {} });
  }

  private graph(
    title: string,
    left: cloudwatch.IMetric[],
    leftYAxis?: cloudwatch.YAxisProps,
  ): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({
      title,
      left,
      width: 8,
      height: 6,
      ...(leftYAxis === undefined ? {} : { leftYAxis }),
    });
  }
}

function header(title: string, text?: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({
    markdown: `## ${title}${text === undefined ? '' : `\n${text}`}`,
    width: 24,
    height: 1 + (text === undefined ? 0 : 1),
  });
}
