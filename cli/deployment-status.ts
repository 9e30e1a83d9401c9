/**
 * Following and reading deployments: `mlops deploy|rollback --wait` polls the registry until the deployment it
 * asked for (cli/deployments.ts) ends, and `mlops deployments list|show` read what each deployment did.
 */
import { alarmNames } from '../lambdas/shared/endpoints/naming';
import type {
  Deployment,
  DeploymentStatus,
  JsonValue,
  ModelRegistryClient,
} from '../lambdas/shared/registry';
import { parseInteger } from './arguments';
import type { DeploymentRequest } from './deployments';
import { NotFoundError } from './errors';
import { type ModelReader, requireModel } from './models';
import { formatDuration, formatTime, NONE, oneLine, renderFields, renderTable } from './output';
import { MAX_PAGE_SIZE } from './paging';
import { pollUntil } from './poll';

/**
 * How long `--wait` follows a deployment by default. A blue/green update may take up to its
 * MaximumExecutionTimeoutInSeconds (28 800 s at most, API_BlueGreenUpdatePolicy); an hour covers the
 * defaults (bake 10 min, shift waits), and --timeout covers the rest.
 */
export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 3600;

/** `deployments list` shows this many by default. */
export const DEFAULT_DEPLOYMENT_LIMIT = 20;

/** Deployment statuses that end a deployment. */
export const FINAL_DEPLOYMENT_STATUSES = [
  'Promoted',
  'Failed',
  'RolledBack',
] as const satisfies readonly DeploymentStatus[];

// Following a deployment

/** What `--wait` reads. */
export type DeploymentWatcher = Pick<ModelRegistryClient, 'getDeployment'>;

/** A change `--wait` reports: the deployment appeared, changed status, or recorded a stage. */
export interface DeploymentProgressReport {
  readonly deployment: Deployment;
  /** Since the wait began. */
  readonly elapsedMs: number;
}

export interface DeploymentWaitOptions {
  readonly timeoutMs: number;
  /** @default 2000 */
  readonly pollIntervalMs?: number | undefined;
  readonly onProgress?: (progress: DeploymentProgressReport) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How the wait ended. */
export interface DeploymentWaitResult {
  readonly outcome: 'Promoted' | 'Failed' | 'RolledBack' | 'TimedOut';
  /** null: the workflow never recorded it (within the time). */
  readonly deployment: Deployment | null;
}

/**
 * Polls the registry for the deployment `deploymentId` (named before it exists, see {@link deploymentIdFor})
 * until it ends or the time is up. Never throws for the outcome: a failed deployment and a timeout are results.
 */
export async function waitForDeployment(
  registry: DeploymentWatcher,
  deploymentId: string,
  options: DeploymentWaitOptions,
): Promise<DeploymentWaitResult> {
  const { value, timedOut } = await pollUntil(async () => registry.getDeployment(deploymentId), {
    timeoutMs: options.timeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 2000,
    now: options.now,
    stateOf: (current) => `${current.status}/${current.stages.length}`,
    done: (current) => isFinal(current.status),
    onChange: (current, elapsedMs) => options.onProgress?.({ deployment: current, elapsedMs }),
  });
  const deployment = value ?? null;
  if (timedOut || deployment === null || !isFinal(deployment.status))
    return { outcome: 'TimedOut', deployment };
  return { outcome: deployment.status, deployment };
}

function isFinal(status: DeploymentStatus): status is (typeof FINAL_DEPLOYMENT_STATUSES)[number] {
  return (FINAL_DEPLOYMENT_STATUSES as readonly DeploymentStatus[]).includes(status);
}

/** `[12s] deployment palmer-v1-… Deploying (EndpointConfigCreated)`. */
export function renderDeploymentProgress(progress: DeploymentProgressReport): string {
  const { deployment, elapsedMs } = progress;
  const stage = deployment.stages.at(-1);
  const at = stage === undefined ? '' : ` (${stage.name})`;
  return `[${formatDuration(elapsedMs)}] deployment ${deployment.deploymentId} ${deployment.status}${at}\n`;
}

/**
 * Why `--wait` did not end Promoted, as one line for stderr.
 */
export function deploymentWaitFailure(
  result: DeploymentWaitResult,
  request: DeploymentRequest,
  timeoutMs: number,
): string {
  const { deployment } = result;
  const id = request.deploymentId;
  if (deployment !== null && result.outcome !== 'TimedOut') {
    const reasons =
      deployment.reasons.length === 0 ? 'no reason recorded' : deployment.reasons.map(oneLine).join('; ');
    return `Deployment ${id} of ${deployment.model} v${deployment.version} ended ${deployment.status}: ${reasons}`;
  }
  const after = `Timed out after ${timeoutMs < 60_000 ? `${timeoutMs / 1000}s` : formatDuration(timeoutMs)}`;
  if (deployment === null) {
    return (
      `${after}: deployment ${id} has not started (is the stack's deployment workflow running? ` +
      'see `mlops deployments list <model>`)'
    );
  }
  const stage = deployment.stages.at(-1);
  const at = stage === undefined ? '' : ` (${stage.name})`;
  return `${after}: deployment ${id} is still ${deployment.status}${at} (follow it with \`mlops deployments show ${id}\`)`;
}

// Reading deployments

/** A `deployments list` page: the newest `limit` deployments, and whether older ones exist. */
export interface DeploymentListing {
  readonly model: string;
  /** Newest first. */
  readonly deployments: Deployment[];
  /** More (older) deployments exist than were read: ask with a larger --limit. */
  readonly more: boolean;
}

/**
 * A model's deployments, newest first, read page by page as the registry pages them until `limit`.
 *
 * @throws UsageError for a bad name or limit; NotFoundError for an unknown model
 */
export async function listDeploymentsOf(
  registry: ModelReader & Pick<ModelRegistryClient, 'listDeployments'>,
  model: string,
  limit = DEFAULT_DEPLOYMENT_LIMIT,
): Promise<DeploymentListing> {
  const wanted = parseInteger(String(limit), '--limit', 1, MAX_PAGE_SIZE);
  const summary = await requireModel(registry, model);
  const deployments: Deployment[] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.listDeployments(summary.model, {
      limit: wanted - deployments.length,
      nextToken,
    });
    deployments.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined && deployments.length < wanted);
  // A next token only says there may be more; one item more says there are.
  const more =
    nextToken !== undefined &&
    (await registry.listDeployments(summary.model, { limit: 1, nextToken })).items.length > 0;
  return { model: summary.model, deployments, more };
}

/** Milliseconds from start to end (or to `now` while it runs). */
function elapsed(deployment: Deployment, now: Date): number {
  const end = deployment.endedAt === undefined ? now.getTime() : Date.parse(deployment.endedAt);
  return end - Date.parse(deployment.startedAt);
}

/** `3m 05s`, or `3m 05s so far` while it runs. */
function formatElapsed(deployment: Deployment, now: Date): string {
  const duration = formatDuration(elapsed(deployment, now));
  return deployment.endedAt === undefined ? `${duration} so far` : duration;
}

/** The outcome in a few words: the first reason of an ended deployment. */
function outcomeOf(deployment: Deployment): string {
  if (!isFinal(deployment.status)) return NONE;
  const [first, ...rest] = deployment.reasons;
  if (first === undefined) return NONE;
  return rest.length === 0 ? oneLine(first) : `${oneLine(first)} (+${rest.length} more)`;
}

/** `deployments list` as a table. */
export function renderDeploymentsTable(listing: DeploymentListing, now: Date): string {
  if (listing.deployments.length === 0) {
    return (
      `No deployments of ${listing.model} yet: deploy an Approved version with ` +
      `\`mlops deploy ${listing.model} <version>\`.\n`
    );
  }
  const rows = listing.deployments.map((deployment) => [
    deployment.deploymentId,
    `v${deployment.version}`,
    deployment.kind,
    deployment.status,
    formatTime(deployment.startedAt),
    formatElapsed(deployment, now),
    outcomeOf(deployment),
  ]);
  const table = renderTable(['ID', 'VERSION', 'KIND', 'STATUS', 'STARTED', 'DURATION', 'OUTCOME'], rows);
  return listing.more
    ? `${table}Older deployments exist: show more with --limit (up to ${MAX_PAGE_SIZE}).\n`
    : table;
}

/** `deployments show`: the record, and the alarms that guard its endpoint. */
export interface DeploymentDetails {
  readonly deployment: Deployment;
  /** The endpoint's rollback alarms (named after the endpoint), and whether a reason or stage names them. */
  readonly alarms: { readonly name: string; readonly fired: boolean }[];
  /**
   * The traffic routing a stage recorded (`trafficRouting` in its details: the type, e.g. `CANARY`, or the
   * whole routing), if any did.
   */
  readonly trafficRouting: JsonValue | null;
  /** Why the routing differs from the configured one (`trafficRoutingAdjusted`), if a stage says so. */
  readonly trafficRoutingAdjusted: string | null;
}

/**
 * One deployment as the registry holds it.
 *
 * @throws NotFoundError for an unknown id; ValidationError (exit 2) for an id the registry cannot hold
 */
export async function showDeployment(
  registry: Pick<ModelRegistryClient, 'getDeployment'>,
  deploymentId: string,
): Promise<DeploymentDetails> {
  const deployment = await registry.getDeployment(deploymentId);
  if (deployment === undefined) {
    throw new NotFoundError(
      `Deployment ${deploymentId} does not exist (list a model's deployments with \`mlops deployments list <model>\`)`,
    );
  }
  const recorded = JSON.stringify([deployment.reasons, deployment.stages.map((stage) => stage.details)]);
  const alarms =
    deployment.endpointName === undefined
      ? []
      : Object.values(alarmNames(deployment.endpointName)).map((name) => ({
          name,
          fired: recorded.includes(name),
        }));
  const routing = deployment.stages.find((stage) => stage.details.trafficRouting !== undefined);
  const adjusted = routing?.details.trafficRoutingAdjusted;
  return {
    deployment,
    alarms,
    trafficRouting: routing?.details.trafficRouting ?? null,
    trafficRoutingAdjusted: typeof adjusted === 'string' ? adjusted : null,
  };
}

/** `CANARY 10%, wait 300s`, from the settings' or SageMaker's shape; other shapes as compact JSON. */
export function formatTrafficRouting(routing: JsonValue): string {
  if (typeof routing === 'string') return routing;
  if (routing === null || typeof routing !== 'object' || Array.isArray(routing)) {
    return JSON.stringify(routing);
  }
  const type = routing.type ?? routing.Type;
  const percent = (value: JsonValue | undefined) =>
    typeof value === 'number'
      ? `${value}%`
      : value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          typeof value.Value === 'number'
        ? `${value.Value}${value.Type === 'INSTANCE_COUNT' ? ' instances' : '%'}`
        : undefined;
  const seconds = (value: JsonValue | undefined) => (typeof value === 'number' ? `${value}s` : undefined);
  if (type === 'ALL_AT_ONCE') return 'ALL_AT_ONCE';
  if (type === 'CANARY') {
    const size = percent(routing.canaryPercent ?? routing.CanarySize);
    const wait = seconds(routing.waitIntervalSeconds ?? routing.WaitIntervalInSeconds);
    if (size !== undefined && wait !== undefined) return `CANARY ${size}, then the rest after ${wait}`;
  }
  if (type === 'LINEAR') {
    const step = percent(routing.stepPercent ?? routing.LinearStepSize);
    const wait = seconds(routing.intervalSeconds ?? routing.WaitIntervalInSeconds);
    if (step !== undefined && wait !== undefined) return `LINEAR ${step} every ${wait}`;
  }
  return JSON.stringify(routing);
}

/** A stage's details as `key=value` pairs (values as compact JSON, strings bare). */
function formatDetails(details: Readonly<Record<string, JsonValue>>): string {
  const pairs = Object.entries(details)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return pairs.length === 0 ? NONE : pairs.join(' ');
}

/** `+1m 05s` since the deployment started. */
function offset(deployment: Deployment, at: string): string {
  return `+${formatDuration(Date.parse(at) - Date.parse(deployment.startedAt))}`;
}

/** `deployments show`: the record, then its stages, alarms and reasons. */
export function renderDeployment(details: DeploymentDetails, now: Date): string {
  const { deployment, alarms, trafficRouting, trafficRoutingAdjusted } = details;
  const adjusted = trafficRoutingAdjusted === null ? '' : ` (${oneLine(trafficRoutingAdjusted)})`;
  const routing = trafficRouting === null ? undefined : `${formatTrafficRouting(trafficRouting)}${adjusted}`;
  const baseline = deployment.baseline;
  const fields = renderFields([
    ['Deployment', deployment.deploymentId],
    ['Model', `${deployment.model} v${deployment.version}`],
    ['Kind', deployment.kind],
    ['Attempt', deployment.attempt],
    ['Status', deployment.status],
    ['Started', `${formatTime(deployment.startedAt)} by ${deployment.startedBy}`],
    ['Ended', deployment.endedAt === undefined ? undefined : formatTime(deployment.endedAt)],
    ['Duration', formatElapsed(deployment, now)],
    [
      'Production before',
      baseline === undefined
        ? undefined
        : baseline.version === null
          ? 'none'
          : `v${baseline.version} (alias revision ${baseline.revision})`,
    ],
    ['Endpoint', deployment.endpointName],
    ['Endpoint config', deployment.endpointConfigName],
    ['Traffic routing', routing],
    ['Execution', deployment.executionArn],
  ]);
  const sections = [fields];
  if (deployment.stages.length > 0) {
    const rows = deployment.stages.map((stage) => [
      stage.name,
      formatTime(stage.at),
      offset(deployment, stage.at),
      formatDetails(stage.details),
    ]);
    sections.push(renderTable(['STAGE', 'AT', 'SINCE START', 'DETAILS'], rows));
  }
  if (alarms.length > 0) {
    const rows = alarms.map((alarm) => [alarm.name, alarm.fired ? 'named in the outcome' : NONE]);
    sections.push(renderTable(['ALARM', 'FIRED'], rows));
  }
  if (deployment.reasons.length > 0) {
    sections.push(`Reasons:\n${deployment.reasons.map((reason) => `  ${oneLine(reason)}\n`).join('')}`);
  }
  return sections.join('\n');
}
