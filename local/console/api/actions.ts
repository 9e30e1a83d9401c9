/**
 * The console's actions, with the CLI's effects: approve or reject a PendingApproval version (registry, then
 * the ModelApproved/ModelRejected event), and roll a model back (the DeploymentRequested event).
 */
import { decide } from '../../../cli/approval';
import { requestRollback } from '../../../cli/deployments';
import { currentOperator } from '../../../cli/operator-events';
import type { Target } from '../../../cli/target';
import { ApiError } from './errors';

/** Who the audit trail names for an action from the console. */
export function consoleActor(): string {
  return `${currentOperator()} (console)`;
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function optionalString(body: unknown, name: string): string | undefined {
  const value = field(body, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, `${name}: expected a string`);
  return value;
}

/** POST /api/models/:model/versions/:version/approve|reject {reason?}. */
export async function decideVersion(
  target: Target,
  kind: 'approve' | 'reject',
  model: string,
  version: string,
  body: unknown,
) {
  const number = Number(version);
  if (!Number.isSafeInteger(number) || number < 1) throw new ApiError(400, `Invalid version "${version}"`);
  const decision = await decide(
    { registry: target.registry, events: target.events, eventBus: target.resources.eventBus },
    kind,
    model,
    number,
    { reason: optionalString(body, 'reason'), actor: consoleActor() },
  );
  return {
    model: decision.model,
    version: decision.version,
    status: decision.status,
    reason: decision.reason,
    actor: decision.actor,
    changedAt: decision.changedAt,
  };
}

/** POST /api/models/:model/rollback {to?, reason}. */
export async function rollback(target: Target, model: string, body: unknown) {
  const to = field(body, 'to');
  if (to !== undefined && to !== null && !(typeof to === 'number' && Number.isSafeInteger(to) && to >= 1))
    throw new ApiError(400, 'to: expected a version number');
  const reason = optionalString(body, 'reason');
  if (reason === undefined || reason.trim() === '') throw new ApiError(400, 'reason: say why you roll back');
  const request = await requestRollback(
    {
      registry: target.registry,
      s3: target.s3,
      events: target.events,
      eventBus: target.resources.eventBus,
    },
    model,
    { reason, requestedBy: consoleActor(), ...(typeof to === 'number' ? { to } : {}) },
  );
  return {
    deploymentId: request.deploymentId,
    model: request.model,
    version: request.version,
    from: request.from,
    production: request.production,
  };
}
