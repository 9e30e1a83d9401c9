import { beforeAll, describe, expect, it } from 'vitest';
import { VARIANT_NAME } from '../../lambdas/shared/endpoints/naming';
import { METRICS_NAMESPACE, MetricNames } from '../../lambdas/shared/metric-names';
import { DashboardSections } from '../../lib/constructs/dashboard';
import { synthStack } from '../support/cdk';

type Json = unknown;

/** The dashboard body with each Ref / GetAtt written as `{Ref:Id}` / `{GetAtt:Id.Attr}`, parsed. */
function bodyOf(resource: { Properties: { DashboardBody: Json } }): Dashboard {
  const flatten = (part: Json): string => {
    if (typeof part === 'string') return part;
    const value = part as Record<string, Json>;
    if ('Ref' in value) return `{Ref:${String(value.Ref)}}`;
    if ('Fn::GetAtt' in value) return `{GetAtt:${(value['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map(flatten).join(separator);
    }
    throw new Error(`unexpected token ${JSON.stringify(part)}`);
  };
  return JSON.parse(flatten(resource.Properties.DashboardBody)) as Dashboard;
}

interface Widget {
  readonly type: string;
  readonly width: number;
  readonly properties: { title?: string; markdown?: string; metrics?: Json[][] };
}
interface Dashboard {
  readonly widgets: Widget[];
}

/** A graph's queries: `{ expression, label }` objects for expressions, `[ns, name, ...dims, opts]` for metrics. */
const queriesOf = (widget: Widget) => widget.properties.metrics ?? [];
const expressionsOf = (widget: Widget) =>
  queriesOf(widget)
    .map((query) => (query.at(-1) as { expression?: string }).expression)
    .filter((e): e is string => e !== undefined);

describe('MlopsDashboard (issue 11 §2)', () => {
  let dashboard: Dashboard;
  let graphs: Map<string, Widget>;
  let template: ReturnType<typeof synthStack>['template'];

  beforeAll(() => {
    ({ template } = synthStack({ config: { models: { churn: { targetColumn: 'churned' } } } }));
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    dashboard = bodyOf(dashboards[0] as { Properties: { DashboardBody: Json } });
    graphs = new Map(
      dashboard.widgets.filter((w) => w.type === 'metric').map((w) => [w.properties.title ?? '', w] as const),
    );
  });

  const graph = (title: string): Widget => {
    const widget = graphs.get(title);
    if (widget === undefined)
      throw new Error(`no graph "${title}" (have: ${[...graphs.keys()].join(' | ')})`);
    return widget;
  };

  it('has every section, in order, each a full-width header', () => {
    const headers = dashboard.widgets.filter((w) => w.type === 'text');
    expect(headers.map((w) => w.properties.markdown?.split('\n')[0])).toEqual(
      Object.values(DashboardSections).map((title) => `## ${title}`),
    );
    for (const header of headers) expect(header.width).toBe(24);
  });

  it('is named after the stack and fits CloudWatch grid (24 columns)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ServerlessMlops-mlops' });
    for (const widget of dashboard.widgets) expect(widget.width).toBeLessThanOrEqual(24);
  });

  it('plots every per-model business metric with a SEARCH on the namespace and the model dimension', () => {
    const search = (metric: string, dims = '', stat?: string) =>
      `SEARCH('{${METRICS_NAMESPACE},model${dims}} MetricName="${metric}"', '${stat ?? ''}`;
    const cases: [string, string, string, string][] = [
      ['Runs by status', MetricNames.runStarted, '', 'Sum'],
      ['Runs by status', MetricNames.runSucceeded, '', 'Sum'],
      ['Runs by status', MetricNames.runFailed, '', 'Sum'],
      ['Failed runs by step', MetricNames.runFailed, ',Step', 'Sum'],
      ['Rejected datasets by reason', MetricNames.datasetRejected, ',Reason', 'Sum'],
      ['Validation throughput (rows/s)', MetricNames.validationThroughput, '', 'Average'],
      ['Training time (s)', MetricNames.trainingSeconds, '', 'Maximum'],
      ['Objective metric of each version', MetricNames.objectiveValue, '', 'Maximum'],
      ['Run cost (USD)', MetricNames.runCost, '', 'Sum'],
      ['Deployments', MetricNames.deploymentSucceeded, '', 'Sum'],
      ['Deployments', MetricNames.deploymentRolledBack, '', 'Sum'],
      ['Deployments', MetricNames.rollbackDeployed, '', 'Sum'],
      ['Smoke test latency (ms)', MetricNames.smokeTestLatency, '', 'Maximum'],
      ['Drift share', MetricNames.driftShare, '', 'Maximum'],
      ['Quality on labeled traffic', MetricNames.qualityMetricValue, '', 'Average'],
    ];
    for (const [title, metric, dims, stat] of cases) {
      expect(
        expressionsOf(graph(title)).some((e) => e.startsWith(search(metric, dims, stat))),
        title,
      ).toBe(true);
    }
    expect(MetricNames.runCost).toBe('RunCost'); // O3's name
  });

  it('shows the ten most drifted features: SORT over a SEARCH by model and feature', () => {
    expect(expressionsOf(graph('Most drifted features (score, top 10)'))).toEqual([
      `SORT(SEARCH('{${METRICS_NAMESPACE},model,Feature} MetricName="${MetricNames.featureDriftScore}"', 'Maximum', 300), MAX, DESC, 10)`,
    ]);
  });

  it("searches AWS/SageMaker for the stack's endpoints: invocations, latency p50/p99, 5XX", () => {
    // Stack ServerlessMlops -> prefix serverlessmlops -> endpoints serverlessmlops-<model>.
    const endpoint = (metric: string, stat: string) =>
      `SEARCH('{AWS/SageMaker,EndpointName,VariantName} MetricName="${metric}" VariantName="${VARIANT_NAME}" EndpointName=serverlessmlops', '${stat}', 300)`;
    expect(expressionsOf(graph('Invocations'))).toEqual([endpoint('Invocations', 'Sum')]);
    expect(expressionsOf(graph('Model latency p50 / p99 (µs)'))).toEqual([
      endpoint('ModelLatency', 'p50'),
      endpoint('ModelLatency', 'p99'),
    ]);
    expect(expressionsOf(graph('Errors (5XX, 4XX)'))).toContain(endpoint('Invocation5XXErrors', 'Sum'));
  });

  it('plots the depth of every dead-letter queue of the stack', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThanOrEqual(4);
    const plotted = queriesOf(graph('Dead-letter queue depth'));
    expect(plotted.map((q) => [q[0], q[1]])).toEqual(
      queues.map(() => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible']),
    );
    const names = plotted.map((q) => q[3]);
    for (const id of queues) expect(names).toContain(`{GetAtt:${id}.QueueName}`);
  });

  it('plots errors, throttles and duration of every Lambda function, and both state machines', () => {
    // The stack's own functions (PipelineFunction marks each with its entry); CDK's custom-resource
    // handlers (bucket notifications, auto-delete) are not lambda.Function constructs and are left out.
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn.Metadata?.['ServerlessMlops::Entry'] !== undefined)
      .map(([id]) => id);
    expect(functions.length).toBeGreaterThanOrEqual(20);
    for (const [title, metric] of [
      ['Lambda errors', 'Errors'],
      ['Lambda throttles', 'Throttles'],
      ['Lambda duration p99 (ms)', 'Duration'],
    ] as const) {
      const plotted = queriesOf(graph(title));
      expect(plotted.every((q) => q[0] === 'AWS/Lambda' && q[1] === metric)).toBe(true);
      expect(plotted.map((q) => q[3]).sort()).toEqual(functions.map((id) => `{Ref:${id}}`).sort());
    }
    const machines = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const plotted = queriesOf(graph('State machine executions failed / timed out'));
    expect(plotted.map((q) => q[1]).sort()).toEqual(
      machines.flatMap(() => ['ExecutionsFailed', 'ExecutionsTimedOut']).sort(),
    );
    for (const id of machines) expect(plotted.map((q) => q[3])).toContain(`{Ref:${id}}`);
  });
});
