/**
 * The console's JSON API: each GET reads through the target's AWS clients (the CLI's read functions where
 * they fit) one registry page at a time (`?cursor=` in, `next` out); each POST is the CLI command's effect.
 */
import type { Target } from '../../../cli/target';
import { decideVersion, rollback } from './actions';
import type { ChangeKind } from './changes';
import { ApiError } from './errors';
import { modelDetail, modelsPage } from './models';
import {
  alarmsList,
  deploymentDetail,
  deploymentsPage,
  driftReport,
  driftWindows,
  endpointMetrics,
  endpointsList,
  notificationsList,
  type OperationsReaders,
} from './operations';
import { artifactDownload, type RunReaders, runDetail, runsPage } from './runs';

export { ApiError } from './errors';

/** What the handlers read and act on. */
export interface ApiContext {
  readonly target: Target;
  readonly stackName: string;
  /** Readers beyond the target's clients; a page whose reader is absent shows what it can without it. */
  readonly readers: ApiReaders;
  readonly changed: (kind: ChangeKind) => void;
}

/** The Step Functions, SageMaker and CloudWatch clients and the local notifications, as the pages need them. */
export type ApiReaders = RunReaders & OperationsReaders;

/** A JSON body, or bytes with their headers (artifacts, reports). */
export type ApiResult =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'raw'; readonly headers: Record<string, string>; readonly body: Uint8Array | string };

const json = (body: unknown): ApiResult => ({ kind: 'json', body });

/**
 * Answers one API request.
 *
 * @throws ApiError (404 for a path not served), or the readers' errors (NotFoundError, UsageError, CliError)
 */
export async function routeApi(
  context: ApiContext,
  method: string,
  url: URL,
  body: unknown,
): Promise<ApiResult> {
  let parts: string[];
  try {
    parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
  } catch {
    throw new ApiError(400, 'Malformed path');
  }
  const query = (name: string) => url.searchParams.get(name) ?? undefined;
  const cursor = query('cursor');
  const { target, readers } = context;
  const [a, b, c, d, e] = parts;
  const n = parts.length;
  if (method === 'POST') {
    if (a === 'models' && b !== undefined && c === 'versions' && d !== undefined && n === 5) {
      if (e === 'approve' || e === 'reject') {
        const result = await decideVersion(target, e, b, d, body);
        context.changed('models');
        return json(result);
      }
    }
    if (a === 'models' && b !== undefined && c === 'rollback' && n === 3) {
      const result = await rollback(target, b, body);
      context.changed('deployments');
      context.changed('models');
      return json(result);
    }
    throw new ApiError(404, `POST ${url.pathname} is not served`);
  }
  if (a === 'session' && n === 1)
    return json({ stackName: context.stackName, target: 'local', actions: true });
  if (a === 'models') {
    if (n === 1) return json(await modelsPage(target, cursor));
    if (b !== undefined && n === 2) return json(await modelDetail(target, b, cursor));
  }
  if (a === 'runs') {
    if (n === 1) return json(await runsPage(target, query('model'), cursor));
    if (b !== undefined && n === 2) return json(await runDetail(target, readers, b));
    if (b !== undefined && c === 'artifacts' && d !== undefined && n === 4)
      return artifactDownload(target, b, d);
  }
  if (a === 'deployments') {
    if (n === 1) return json(await deploymentsPage(target, query('model'), cursor));
    if (b !== undefined && n === 2) return json(await deploymentDetail(target, b));
  }
  if (a === 'endpoints') {
    if (n === 1) return json(await endpointsList(target, readers, cursor));
    if (b !== undefined && c === 'metrics' && n === 3)
      return json(await endpointMetrics(target, readers, b, Number(query('minutes') ?? 60)));
  }
  if (a === 'drift' && b !== undefined) {
    if (n === 2) return json(await driftWindows(target, b, cursor));
    if (c !== undefined && d === 'report.html' && n === 4) return driftReport(target, b, c);
  }
  if (a === 'alarms' && n === 1) return json(await alarmsList(readers));
  if (a === 'notifications' && n === 1) return json(notificationsList(readers));
  throw new ApiError(404, `${method} ${url.pathname} is not served`);
}
