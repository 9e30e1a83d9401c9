/**
 * `mlops approve <model> <version>` and `mlops reject <model> <version>`: an operator's decision on a version
 * the pipeline left PendingApproval. The registry records it first (changeStatus: the new status, who, when
 * and why, and a StatusChanged audit event in one transaction); then the CLI announces it with one
 * `ModelApproved` / `ModelRejected` event on the stack's bus, so what reacts to an approval (a deployment)
 * only ever sees decisions the registry holds.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MODEL_APPROVED, MODEL_REJECTED, type ModelDecisionDetail } from '../lambdas/shared/events';
import {
  ConcurrentModificationError,
  InvalidStatusTransitionError,
  type ModelRegistryClient,
  type ModelVersion,
  type ModelVersionStatus,
} from '../lambdas/shared/registry';
import { CliError } from './errors';
import { type ModelReader, showVersion } from './models';
import { checkReason, currentOperator, describeSendFailure, putEvent } from './operator-events';
import { formatTime } from './output';

/** What the operator decides. */
export type DecisionKind = 'approve' | 'reject';

/** The only status a decision applies to. */
export const DECIDABLE_STATUS = 'PendingApproval' satisfies ModelVersionStatus;

const OUTCOME = {
  approve: { status: 'Approved', detailType: MODEL_APPROVED, verb: 'approved' },
  reject: { status: 'Rejected', detailType: MODEL_REJECTED, verb: 'rejected' },
} as const satisfies Record<DecisionKind, { status: ModelVersionStatus; detailType: string; verb: string }>;

export interface DecisionDependencies {
  readonly registry: ModelReader & Pick<ModelRegistryClient, 'changeStatus'>;
  readonly events: EventBridgeClient;
  /** The stack's bus (name or ARN). */
  readonly eventBus: string;
}

export interface DecisionOptions {
  /** Why, recorded in the audit event and sent in the event's detail. */
  readonly reason?: string | undefined;
  /** @default `<os user>@<host>` */
  readonly actor?: string | undefined;
}

/** What was recorded and announced. */
export interface Decision {
  readonly model: string;
  readonly version: number;
  readonly from: typeof DECIDABLE_STATUS;
  readonly status: ModelDecisionDetail['status'];
  /** The reason recorded on the version (the operator's, or a default naming the command). */
  readonly reason: string;
  readonly actor: string;
  readonly changedAt: string;
  readonly event: {
    readonly detailType: typeof MODEL_APPROVED | typeof MODEL_REJECTED;
    readonly eventBus: string;
    /** EventBridge's id of the event sent. */
    readonly eventId: string;
  };
}

/**
 * Moves a PendingApproval version to Approved or Rejected, then sends the event announcing it.
 *
 * @throws UsageError for an invalid name, version or reason; NotFoundError for an unknown model or version;
 *   CliError for a version in any other status (naming it and what can be done), or when the event could
 *   not be sent (the decision stands in the registry)
 */
export async function decide(
  deps: DecisionDependencies,
  kind: DecisionKind,
  model: string,
  version: number,
  options: DecisionOptions = {},
): Promise<Decision> {
  const reason = checkReason(options.reason);
  const outcome = OUTCOME[kind];
  const { version: current } = await showVersion(deps.registry, model, version);
  if (current.status !== DECIDABLE_STATUS) throw wrongStatus(kind, current);
  const actor = options.actor ?? currentOperator();
  const recorded = reason ?? `${outcome.verb} by an operator (no reason given)`;
  let changed: ModelVersion;
  try {
    changed = await deps.registry.changeStatus(current.model, current.version, outcome.status, {
      reason: recorded,
      actor,
    });
  } catch (error) {
    // Someone decided between our read and our write: say what they decided, as for a late command.
    if (error instanceof ConcurrentModificationError || error instanceof InvalidStatusTransitionError) {
      const now = await showVersion(deps.registry, current.model, current.version);
      throw wrongStatus(kind, now.version);
    }
    throw error;
  }
  const detail: ModelDecisionDetail = {
    model: changed.model,
    version: changed.version,
    status: outcome.status,
    actor,
    ...(reason === undefined ? {} : { reason }),
  };
  const eventId = await announce(deps, outcome.detailType, detail);
  return {
    model: changed.model,
    version: changed.version,
    from: DECIDABLE_STATUS,
    status: outcome.status,
    reason: recorded,
    actor,
    changedAt: changed.statusChangedAt,
    event: { detailType: outcome.detailType, eventBus: deps.eventBus, eventId },
  };
}

/** Sends the decision's event; a refusal is an error that says the registry holds the decision anyway. */
async function announce(
  deps: DecisionDependencies,
  detailType: typeof MODEL_APPROVED | typeof MODEL_REJECTED,
  detail: ModelDecisionDetail,
): Promise<string> {
  const subject = `${detail.model} v${detail.version} is ${detail.status} in the registry, but the ${detailType} event`;
  let why: string;
  try {
    const sent = await putEvent(deps, detailType, detail);
    if ('eventId' in sent) return sent.eventId;
    why = sent.refused;
  } catch (error) {
    why = describeSendFailure(error);
  }
  throw new CliError(
    `${subject} was not sent on bus ${deps.eventBus} (${why}): nothing that reacts to it has been told`,
  );
}

/** What each status means for a decision, and what can be done instead. */
const INSTEAD: { readonly [S in ModelVersionStatus]: (kind: DecisionKind) => string } = {
  Registered: () => 'the pipeline has not evaluated it yet; its run decides whether it needs approval',
  PendingApproval: () => 'it can be decided',
  Approved: (kind) =>
    kind === 'approve'
      ? 'it is approved already; nothing to do'
      : 'an approved version cannot be rejected; it moves on to deployment or is retired',
  Rejected: (kind) =>
    kind === 'reject'
      ? 'it is rejected already; nothing to do'
      : 'Rejected is final; train a new version (`mlops upload`, or `mlops runs retry <run>` for the same data)',
  Deploying: () => 'it was approved and is being deployed',
  Deployed: () => 'it was approved and deployed',
  Retired: () => 'it was approved, deployed and retired since',
  RolledBack: () => 'it was approved, and its deployment was rolled back',
  Failed: () => 'it was approved, and its deployment failed',
};

function wrongStatus(kind: DecisionKind, version: ModelVersion): CliError {
  const when = `since ${formatTime(version.statusChangedAt)} by ${version.statusChangedBy}`;
  return new CliError(
    `${version.model} v${version.version} is ${version.status} (${when}): only a ${DECIDABLE_STATUS} ` +
      `version can be ${OUTCOME[kind].verb}; ${INSTEAD[version.status](kind)}`,
  );
}

/** The decision, who made it, and the event announcing it. */
export function renderDecision(decision: Decision): string {
  const done = decision.status === 'Approved' ? 'Approved' : 'Rejected';
  return (
    `${done} ${decision.model} v${decision.version} (was ${decision.from}) by ${decision.actor}: ${decision.reason}\n` +
    `Sent ${decision.event.detailType} to the stack's event bus (${decision.event.eventBus}).\n`
  );
}
