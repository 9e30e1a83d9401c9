/**
 * `mlops deploy`, `mlops rollback` and `mlops deployments list|show`: operators ask the stack to put a version
 * on the model's endpoint, or to put back one that served before, and read what each deployment did.
 *
 * The CLI only checks and asks: one `Deployment Requested` event on the stack's bus (DEPLOYMENT_REQUESTED in
 * lambdas/shared/events.ts). The deployment workflow's start function derives the deployment id from the
 * request ({@link deploymentIdFor}), records the deployment in the registry and runs it; so the CLI can name
 * the deployment before it exists and follow it (`--wait`) through the registry.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { alarmNames } from '../lambdas/shared/endpoints/naming';
import {
  DEPLOYMENT_REQUESTED,
  type DeploymentRequestedDetail,
  deploymentIdFor,
  deploymentRequestedDetailSchema,
} from '../lambdas/shared/events';
import {
  type Alias,
  type AuditEvent,
  canTransition,
  type Deployment,
  type DeploymentKind,
  type DeploymentStatus,
  type JsonValue,
  MODEL_VERSION_STATUSES,
  type ModelRegistryClient,
  type ModelVersion,
  type ModelVersionStatus,
  REGISTRY_EVENT_TYPES,
} from '../lambdas/shared/registry';
import { parseS3Uri } from '../lambdas/shared/s3-layout';
import { parseInteger } from './arguments';
import { CliError, NotFoundError } from './errors';
import { type ModelReader, requireModel, showVersion } from './models';
import { checkReason, currentOperator, describeSendFailure, putEvent } from './operator-events';
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

/** Version statuses a deployment may start from (VERSION_TRANSITIONS: those that may move to Deploying). */
export const DEPLOYABLE_STATUSES: readonly ModelVersionStatus[] = MODEL_VERSION_STATUSES.filter((status) =>
  canTransition(status, 'Deploying'),
);

/** What the deploy and rollback commands read and send with. */
export interface DeploymentRequestDependencies {
  readonly registry: ModelReader & Pick<ModelRegistryClient, 'listEvents' | 'listDeployments'>;
  /** Checks the version's artifact still exists. */
  readonly s3: Pick<S3Client, 'send'>;
  readonly events: Pick<EventBridgeClient, 'send'>;
  /** The stack's bus (name or ARN). */
  readonly eventBus: string;
}

export interface DeploymentRequestOptions {
  /** Why, sent with the request and recorded on the deployment's DeploymentStarted audit event. */
  readonly reason?: string | undefined;
  /** @default `<os user>@<host>` */
  readonly requestedBy?: string | undefined;
  /** @default a new UUID */
  readonly requestId?: string | undefined;
}

export interface RollbackOptions extends DeploymentRequestOptions {
  /** The version to return to. @default the version that served before the current production one */
  readonly to?: number | undefined;
}

/** What was sent, and the deployment it starts. */
export interface DeploymentRequest extends DeploymentRequestedDetail {
  /** The deployment's id (and execution name), derived from the request as the workflow derives it. */
  readonly deploymentId: string;
  /** The version's status when it was requested. */
  readonly from: ModelVersionStatus;
  /** The version `production` pointed at when it was requested; null: none. */
  readonly production: number | null;
  /** The artifact the deployment serves (checked to exist). */
  readonly artifactUri: string;
  readonly event: {
    readonly detailType: typeof DEPLOYMENT_REQUESTED;
    readonly eventBus: string;
    /** EventBridge's id of the event sent. */
    readonly eventId: string;
  };
}

/**
 * Asks for a deployment of `version`: an Approved version, or one that served or failed before (Retired,
 * RolledBack, Failed: a redeploy).
 *
 * @throws UsageError for a bad reason; NotFoundError for an unknown model or version; CliError for a version
 *   that cannot be deployed from its status (naming it and what to do), a missing artifact, a refused event
 */
export async function requestDeployment(
  deps: DeploymentRequestDependencies,
  model: string,
  version: number,
  options: DeploymentRequestOptions = {},
): Promise<DeploymentRequest> {
  const reason = checkReason(options.reason);
  const { version: record } = await showVersion(deps.registry, model, version);
  const production = (await deps.registry.getAlias(record.model, 'production')) ?? null;
  if (!DEPLOYABLE_STATUSES.includes(record.status)) {
    throw await notDeployable(deps, record, production, 'deploy');
  }
  await checkNotRunning(deps, record);
  await checkArtifact(deps.s3, record);
  return send(deps, record, production, 'deploy', { ...options, reason });
}

/**
 * Asks to return the model's endpoint to an earlier version: `options.to`, or the version that served before
 * the current production one (read from the audit trail: the AliasMoved event that put the current version in
 * place names the one it replaced). The version must have served (been Deployed) and still have its artifact.
 *
 * @throws UsageError for a bad reason; NotFoundError for an unknown model or version; CliError when there is
 *   nothing to roll back to, the version never served, is production already, cannot be deployed from its
 *   status, has lost its artifact, or the event was refused
 */
export async function requestRollback(
  deps: DeploymentRequestDependencies,
  model: string,
  options: RollbackOptions = {},
): Promise<DeploymentRequest> {
  const reason = checkReason(options.reason);
  const summary = await requireModel(deps.registry, model);
  const name = summary.model;
  const production = (await deps.registry.getAlias(name, 'production')) ?? null;
  let record: ModelVersion;
  if (options.to !== undefined) {
    record = (await showVersion(deps.registry, name, options.to)).version;
    if (production?.version === record.version) {
      throw new CliError(
        `${name} v${record.version} is production already (since ${formatTime(production.updatedAt)}): nothing to roll back`,
      );
    }
    if (record.deployment === undefined) {
      throw new CliError(
        `${name} v${record.version} never served (it was never Deployed; it is ${record.status}): a rollback ` +
          `returns to a version that served before${deployHint(record)}`,
      );
    }
  } else {
    if (production === null) {
      throw new CliError(
        `${name} has no production version: nothing to roll back (deploy one with \`mlops deploy ${name} <version>\`)`,
      );
    }
    const previous = await servedBefore(deps.registry, production);
    if (previous === null) {
      throw new CliError(
        `${name} v${production.version} is the first version ${name} served: there is no earlier one to roll back to`,
      );
    }
    const found = await deps.registry.getVersion(name, previous);
    if (found === undefined)
      throw new NotFoundError(
        `${name} v${previous} (production before v${production.version}) does not exist`,
      );
    if (found.deployment === undefined) {
      // production was pointed at it by hand (setAlias), not by a deployment: nothing to serve it from.
      throw new CliError(
        `${name} v${previous}, production before v${production.version}, never served from the endpoint ` +
          '(the alias was set without a deployment): name a version that did with --to',
      );
    }
    record = found;
  }
  if (!DEPLOYABLE_STATUSES.includes(record.status)) {
    throw await notDeployable(deps, record, production, 'rollback');
  }
  await checkNotRunning(deps, record);
  await checkArtifact(deps.s3, record);
  return send(deps, record, production, 'rollback', { ...options, reason });
}

/**
 * The version `production` pointed at before its current version: the `from` of the AliasMoved event that
 * made the alias's current revision (written in the same transaction as every move). null: none did.
 *
 * @throws CliError when the audit trail has no such event
 */
async function servedBefore(
  registry: Pick<ModelRegistryClient, 'listEvents'>,
  production: Alias,
): Promise<number | null> {
  let nextToken: string | undefined;
  do {
    const page = await registry.listEvents(production.model, { limit: 100, nextToken });
    const move = page.items.find((event) => madeRevision(event, production.revision));
    if (move !== undefined) {
      const from = move.details.from;
      return typeof from === 'number' && from !== production.version ? from : null;
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  throw new CliError(
    `${production.model}'s audit trail has no record of production's move to v${production.version} ` +
      `(revision ${production.revision}): name the version to return to with --to`,
  );
}

function madeRevision(event: AuditEvent, revision: number): boolean {
  return (
    event.type === REGISTRY_EVENT_TYPES.aliasMoved &&
    event.details.alias === 'production' &&
    event.details.revision === revision
  );
}

function deployHint(version: ModelVersion): string {
  return version.status === 'Approved'
    ? `; deploy it with \`mlops deploy ${version.model} ${version.version}\``
    : '';
}

/** Why a version in each status cannot be deployed, and what can be done instead. */
async function notDeployable(
  deps: DeploymentRequestDependencies,
  version: ModelVersion,
  production: Alias | null,
  kind: DeploymentKind,
): Promise<CliError> {
  const { model } = version;
  const subject = `${model} v${version.version}`;
  const when = `since ${formatTime(version.statusChangedAt)} by ${version.statusChangedBy}`;
  const allowed = `only an Approved version, or one that served or failed before (${DEPLOYABLE_STATUSES.filter(
    (status) => status !== 'Approved',
  ).join(', ')}), can be ${kind === 'deploy' ? 'deployed' : 'rolled back to'}`;
  let instead: string;
  switch (version.status) {
    case 'Registered':
      instead = 'the pipeline has not evaluated it yet; its run decides whether it needs approval';
      break;
    case 'PendingApproval':
      instead = `approve it first with \`mlops approve ${model} ${version.version}\``;
      break;
    case 'Rejected':
      instead = 'Rejected is final; train a new version';
      break;
    case 'Deploying': {
      const running = await runningDeployment(deps.registry, version);
      instead =
        running === undefined
          ? 'a deployment of it is running'
          : `deployment ${running.deploymentId} is deploying it: follow it with \`mlops deployments show ${running.deploymentId}\``;
      break;
    }
    case 'Deployed':
      instead =
        production?.version === version.version
          ? 'it is serving as production already; to go back to an earlier version use `mlops rollback`'
          : 'it is Deployed already';
      break;
    default:
      // Approved, Retired, RolledBack, Failed: deployable, never refused here.
      instead = 'it can be deployed';
  }
  return new CliError(`${subject} is ${version.status} (${when}): ${allowed}; ${instead}`);
}

/**
 * A deployment of the version that was recorded but has not begun leaves the version's status unchanged;
 * a second request would only fail once the first is done, so it is refused now.
 */
async function checkNotRunning(deps: DeploymentRequestDependencies, version: ModelVersion): Promise<void> {
  const running = await runningDeployment(deps.registry, version);
  if (running === undefined) return;
  throw new CliError(
    `deployment ${running.deploymentId} of ${version.model} v${version.version} is ${running.status} already ` +
      `(since ${formatTime(running.startedAt)} by ${running.startedBy}): follow it with \`mlops deployments show ${running.deploymentId}\``,
  );
}

/** The newest deployment of `version` that has not ended, if the first page of the model's holds it. */
async function runningDeployment(
  registry: Pick<ModelRegistryClient, 'listDeployments'>,
  version: ModelVersion,
): Promise<Deployment | undefined> {
  const page = await registry.listDeployments(version.model, { limit: 25 });
  return page.items.find(
    (deployment) =>
      deployment.version === version.version &&
      !(FINAL_DEPLOYMENT_STATUSES as readonly DeploymentStatus[]).includes(deployment.status),
  );
}

/**
 * The deployment's CreateModel reads the version's artifact: check it is still there, so a lost artifact is
 * refused here rather than failing the deployment later.
 */
async function checkArtifact(s3: Pick<S3Client, 'send'>, version: ModelVersion): Promise<void> {
  const uri = version.lineage.artifactUri;
  const location = parseS3Uri(uri);
  const subject = `${version.model} v${version.version}`;
  if (location === undefined) {
    throw new CliError(`${subject}'s artifact "${uri}" is not an s3:// URI: it cannot be deployed`);
  }
  try {
    await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (error as { name?: unknown }).name;
    if (status === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket') {
      throw new CliError(
        `${subject}'s artifact ${uri} no longer exists: it cannot be deployed (train it again: \`mlops runs retry ${version.lineage.runId}\`)`,
      );
    }
    throw error;
  }
}

async function send(
  deps: DeploymentRequestDependencies,
  version: ModelVersion,
  production: Alias | null,
  kind: DeploymentKind,
  options: DeploymentRequestOptions,
): Promise<DeploymentRequest> {
  // Parsed as the workflow will parse it, so a request it would refuse is never sent.
  const detail = deploymentRequestedDetailSchema.parse({
    model: version.model,
    version: version.version,
    kind,
    requestId: options.requestId ?? randomUUID(),
    requestedBy: options.requestedBy ?? currentOperator(),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  const subject = `the ${kind === 'deploy' ? 'deployment' : 'rollback'} request for ${version.model} v${version.version}`;
  let why: string;
  try {
    const sent = await putEvent(deps, DEPLOYMENT_REQUESTED, detail);
    if ('eventId' in sent) {
      return {
        ...detail,
        deploymentId: deploymentIdFor(detail),
        from: version.status,
        production: production?.version ?? null,
        artifactUri: version.lineage.artifactUri,
        event: { detailType: DEPLOYMENT_REQUESTED, eventBus: deps.eventBus, eventId: sent.eventId },
      };
    }
    why = sent.refused;
  } catch (error) {
    why = describeSendFailure(error);
  }
  throw new CliError(`EventBridge refused ${subject} on bus ${deps.eventBus} (${why}): nothing was started`);
}

/** What was requested, and how to follow it. */
export function renderRequest(request: DeploymentRequest): string {
  const production = request.production === null ? 'none' : `v${request.production}`;
  const what =
    request.kind === 'deploy'
      ? `Requested deployment ${request.deploymentId} of ${request.model} v${request.version} (${request.from}; production now: ${production})`
      : `Requested rollback ${request.deploymentId} of ${request.model} to v${request.version} (${request.from}; production now: ${production})`;
  return (
    `${what}.\n` + `Follow it with \`mlops deployments show ${request.deploymentId}\`, or ask with --wait.\n`
  );
}

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
