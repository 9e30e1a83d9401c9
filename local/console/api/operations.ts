/**
 * GET /api/deployments, /api/endpoints (+ metrics), /api/drift, /api/alarms and /api/notifications: what
 * serves and how it behaves, read through the registry, SageMaker and CloudWatch APIs.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { showDeployment } from '../../../cli/deployment-status';
import { findDriftWindow } from '../../../cli/drift-windows';
import { NotFoundError } from '../../../cli/errors';
import { requireModel } from '../../../cli/models';
import type { Target } from '../../../cli/target';
import type { Deployment, MonitoringWindow } from '../../../lambdas/shared/registry';
import { ApiError } from './errors';
import { MODELS_PAGE } from './models';

/** Deployments per page of a model (and per model without one). */
export const DEPLOYMENTS_PAGE = 20;
/** Drift windows per page. */
export const WINDOWS_PAGE = 50;

/** What these pages read beyond the target. */
export interface OperationsReaders {
  readonly sagemaker?: Pick<SageMakerClient, 'send'>;
  readonly cloudwatch?: Pick<CloudWatchClient, 'send'>;
  /** Messages published to the stack's topics, oldest first (the local SNS keeps them; SNS has no read API). */
  readonly notifications?: () => readonly unknown[];
}

function deploymentRow(deployment: Deployment) {
  return {
    deploymentId: deployment.deploymentId,
    model: deployment.model,
    version: deployment.version,
    kind: deployment.kind,
    status: deployment.status,
    startedAt: deployment.startedAt,
    endedAt: deployment.endedAt,
    reasons: deployment.reasons,
  };
}

/**
 * One page of a model's deployments, newest first; without a model, the newest of each model on one page of
 * models (the cursor pages the models).
 */
export async function deploymentsPage(target: Target, model: string | undefined, cursor: string | undefined) {
  const { registry } = target;
  if (model !== undefined) {
    const { model: name } = await requireModel(registry, model);
    const page = await registry.listDeployments(name, { limit: DEPLOYMENTS_PAGE, nextToken: cursor });
    return {
      deployments: page.items.map(deploymentRow),
      next: page.nextToken,
    };
  }
  const models = await registry.listModels({ limit: MODELS_PAGE, nextToken: cursor });
  const pages = await Promise.all(
    models.items.map((summary) => registry.listDeployments(summary.model, { limit: 5 })),
  );
  const deployments = pages
    .flatMap((page) => page.items)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
    .map(deploymentRow);
  return { deployments, next: models.nextToken };
}

/** Stage details that say how traffic moved (canary sizes, linear steps, routing, weights). */
const TRAFFIC = /traffic|weight|canary|linear|shift/i;

/**
 * One deployment: its stages, the traffic shifts among them, its alarms (and whether they fired), outcome
 * and reasons.
 *
 * @throws NotFoundError for an unknown deployment
 */
export async function deploymentDetail(target: Target, deploymentId: string) {
  const details = await showDeployment(target.registry, deploymentId);
  const { deployment } = details;
  return {
    ...deploymentRow(deployment),
    endpointName: deployment.endpointName,
    stages: deployment.stages.map((stage) => ({ name: stage.name, at: stage.at, details: stage.details })),
    trafficShifts: deployment.stages
      .filter((stage) => TRAFFIC.test(stage.name) || TRAFFIC.test(JSON.stringify(stage.details)))
      .map((stage) => ({ at: stage.at, stage: stage.name, details: stage.details })),
    trafficRouting: details.trafficRouting,
    alarms: details.alarms,
    outcome: deployment.status,
  };
}

/** Each model's endpoint on one page of models: the production version's, with its SageMaker status. */
export async function endpointsList(target: Target, readers: OperationsReaders, cursor: string | undefined) {
  const { registry } = target;
  const models = await registry.listModels({ limit: MODELS_PAGE, nextToken: cursor });
  const rows = await Promise.all(
    models.items.map(async (summary) => {
      const production = await registry.getAlias(summary.model, 'production');
      if (production === undefined) return undefined;
      const version = await registry.getVersion(summary.model, production.version);
      const endpointName = version?.deployment?.endpointName;
      if (endpointName === undefined) return undefined;
      return {
        model: summary.model,
        endpointName,
        status: await endpointStatus(readers, endpointName),
        version: production.version,
      };
    }),
  );
  return rows.filter((row) => row !== undefined);
}

async function endpointStatus(readers: OperationsReaders, endpointName: string): Promise<string> {
  if (readers.sagemaker === undefined) return 'Unknown';
  try {
    const described = await readers.sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: endpointName }),
    );
    return described.EndpointStatus ?? 'Unknown';
  } catch (error) {
    if ((error as Error).name === 'ValidationException') return 'Deleted';
    throw error;
  }
}

/** The series of an endpoint page, by the AWS/SageMaker metric and statistic they come from. */
const SERIES = {
  invocations: { metric: 'Invocations', stat: 'Sum' },
  latencyP50: { metric: 'ModelLatency', stat: 'p50' },
  latencyP99: { metric: 'ModelLatency', stat: 'p99' },
  errors5xx: { metric: 'Invocation5XXErrors', stat: 'Sum' },
  errors4xx: { metric: 'Invocation4XXErrors', stat: 'Sum' },
} as const;

/**
 * The model's endpoint over the last `minutes`, a point a minute per series and variant (GetMetricData over
 * each variant that reported; latency in microseconds as SageMaker reports it).
 *
 * @throws NotFoundError when the model has no production endpoint
 */
export async function endpointMetrics(
  target: Target,
  readers: OperationsReaders,
  model: string,
  minutes: number,
) {
  if (!(minutes >= 1 && minutes <= 24 * 60)) throw new ApiError(400, 'minutes: expected 1 to 1440');
  const { model: name } = await requireModel(target.registry, model);
  const production = await target.registry.getAlias(name, 'production');
  const version =
    production === undefined ? undefined : await target.registry.getVersion(name, production.version);
  const endpointName = version?.deployment?.endpointName;
  if (endpointName === undefined) throw new NotFoundError(`${name} has no production endpoint`);
  const series: Record<string, [number, number][]> = Object.fromEntries(
    Object.keys(SERIES).map((key) => [key, []]),
  );
  if (readers.cloudwatch === undefined) return { endpointName, series };
  // The variants that reported (ListMetrics): with blue/green, the old fleet's and the new one's.
  const listed = await readers.cloudwatch.send(
    new ListMetricsCommand({
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'EndpointName', Value: endpointName }],
    }),
  );
  const variants = [
    ...new Set(
      (listed.Metrics ?? []).flatMap((metric) =>
        (metric.Dimensions ?? []).flatMap((dimension) =>
          dimension.Name === 'VariantName' && dimension.Value !== undefined ? [dimension.Value] : [],
        ),
      ),
    ),
  ];
  if (variants.length === 0) return { endpointName, series };
  const queries: MetricDataQuery[] = Object.entries(SERIES).flatMap(([key, { metric, stat }]) =>
    variants.map((variant, index) => ({
      Id: `${key.toLowerCase()}_${index}`,
      Label: key,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SageMaker',
          MetricName: metric,
          Dimensions: [
            { Name: 'EndpointName', Value: endpointName },
            { Name: 'VariantName', Value: variant },
          ],
        },
        Period: 60,
        Stat: stat,
      },
    })),
  );
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60_000);
  const output = await readers.cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: start,
      EndTime: end,
      ScanBy: 'TimestampAscending',
    }),
  );
  for (const result of output.MetricDataResults ?? []) {
    const key = result.Label ?? '';
    const points = series[key];
    if (points === undefined) continue;
    const values = result.Values ?? [];
    (result.Timestamps ?? []).forEach((at, index) => {
      const value = values[index];
      if (value !== undefined) points.push([at.getTime(), value]);
    });
  }
  // Several variants (blue/green): each one's points, in time order.
  for (const points of Object.values(series)) points.sort((a, b) => a[0] - b[0]);
  return { endpointName, series };
}

function windowRow(window: MonitoringWindow) {
  return {
    windowId: window.windowId,
    from: window.from,
    until: window.until,
    checkedAt: window.checkedAt,
    verdict: window.verdict,
    alarming: window.alarming,
    version: window.version,
    rows: window.rows,
    reasons: window.reasons,
    summary: window.summary,
    hasReport: window.reports.html !== undefined,
  };
}

/** One page of the model's drift windows, newest first. */
export async function driftWindows(target: Target, model: string, cursor: string | undefined) {
  const { model: name } = await requireModel(target.registry, model);
  const page = await target.windows.listWindows(name, 'drift', {
    limit: WINDOWS_PAGE,
    nextToken: cursor,
  });
  return {
    model: name,
    windows: page.items.map(windowRow),
    next: page.nextToken,
  };
}

/**
 * The window's HTML report (self-contained), served sandboxed: no script, no request leaves it.
 *
 * @throws NotFoundError for an unknown window or one without an HTML report
 */
export async function driftReport(target: Target, model: string, windowId: string) {
  const deps = {
    registry: target.registry,
    windows: target.windows,
    s3: target.s3,
    artifactsBucket: target.resources.artifactsBucket,
  };
  const window = await findDriftWindow(deps, model, windowId);
  const key = window.reports.html;
  if (key === undefined)
    throw new NotFoundError(`${window.model} window ${window.windowId} has no HTML report`);
  let html: string;
  try {
    const object = await target.s3.send(
      new GetObjectCommand({ Bucket: target.resources.artifactsBucket, Key: key }),
    );
    html = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey')
      throw new NotFoundError(`The report of ${window.windowId} is gone`);
    throw error;
  }
  return {
    kind: 'raw' as const,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    },
    body: html,
  };
}

/** Every alarm of the stack (DescribeAlarms, metric and composite), page by page (a stack has a few dozen). */
export async function alarmsList(readers: OperationsReaders) {
  if (readers.cloudwatch === undefined) return { alarms: [] };
  const alarms: { name: string; state: string; reason: string; updatedAt: string; description: string }[] =
    [];
  let nextToken: string | undefined;
  do {
    const page: DescribeAlarmsCommandOutput = await readers.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
        NextToken: nextToken,
      }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      alarms.push({
        name: alarm.AlarmName ?? '',
        state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
        reason: alarm.StateReason ?? '',
        updatedAt: alarm.StateUpdatedTimestamp?.toISOString() ?? '',
        description: alarm.AlarmDescription ?? '',
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  alarms.sort((a, b) => (a.state === b.state ? (a.name < b.name ? -1 : 1) : a.state === 'ALARM' ? -1 : 1));
  return { alarms };
}

/** Most notifications a page shows: the newest. */
export const NOTIFICATIONS_PAGE = 100;

/** The newest notifications first. */
export function notificationsList(readers: OperationsReaders) {
  const all = readers.notifications?.() ?? [];
  return { notifications: all.slice(-NOTIFICATIONS_PAGE).reverse() };
}
