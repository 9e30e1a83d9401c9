/**
 * `mlops deploy` and `mlops rollback`: operators ask the stack to put a version on the model's endpoint, or to
 * put back one that served before (following and reading deployments: cli/deployment-status.ts).
 *
 * The CLI only checks and asks: one `Deployment Requested` event on the stack's bus (DEPLOYMENT_REQUESTED in
 * lambdas/shared/events.ts). The deployment workflow's start function derives the deployment id from the
 * request ({@link deploymentIdFor}), records the deployment in the registry and runs it; so the CLI can name
 * the deployment before it exists and follow it (`--wait`) through the registry.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
  MODEL_VERSION_STATUSES,
  type ModelRegistryClient,
  type ModelVersion,
  type ModelVersionStatus,
  REGISTRY_EVENT_TYPES,
} from '../lambdas/shared/registry';
import { parseS3Uri } from '../lambdas/shared/s3-layout';
import { FINAL_DEPLOYMENT_STATUSES } from './deployment-status';
import { CliError, NotFoundError } from './errors';
import { type ModelReader, requireModel, showVersion } from './models';
import { checkReason, currentOperator, describeSendFailure, putEvent } from './operator-events';
import { formatTime } from './output';

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
