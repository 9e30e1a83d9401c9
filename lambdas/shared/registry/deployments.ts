/**
 * The registry's deployments: records of deployments and their stages, and the transactions that begin,
 * promote and fail them (each checks the model's lease, deployment-lease.ts). ModelRegistryClient delegates
 * its deployment methods here and documents their contracts.
 */
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { omitUndefined } from '../omit-undefined';
import type * as z from '../zod';
import { numberAttribute, RETRY, stringAttribute, withRetry } from './dynamo';
import {
  AliasMovedError,
  ConcurrentModificationError,
  CorruptItemError,
  DeploymentEndedError,
  DeploymentMismatchError,
  DeploymentNotFoundError,
  LeaseNotHeldError,
  ValidationError,
  VersionNotFoundError,
} from './errors';
import { aliasKey, deploymentKey, describeKey, modelDeploymentsPartition, versionKey } from './keys';
import { assertDeploymentTransition, assertTransition, canTransition } from './lifecycle';
import { eventExists, type NamedTransaction, unexpectedCancellation } from './requests';
import {
  beginDeploymentOptionsSchema,
  createDeploymentInputSchema,
  deploymentProgressSchema,
  idSchema,
  modelNameSchema,
  parseInput,
  parseItem,
  promoteDeploymentInputSchema,
  recordDeploymentFailureInputSchema,
  storedAliasSchema,
  storedDeploymentSchema,
  storedVersionSchema,
  toJsonObject,
} from './schemas';
import type { RegistryStore } from './store';
import { RegistryKeys } from './table-design';
import {
  type Alias,
  type AuditEvent,
  type BeginDeploymentOptions,
  type CreateDeploymentInput,
  type CreateDeploymentResult,
  type Deployment,
  type DeploymentFailureResult,
  type DeploymentKind,
  type DeploymentProgress,
  type JsonObject,
  type ModelVersion,
  type ModelVersionStatus,
  type Page,
  type PageRequest,
  type ProductionBaseline,
  type PromoteDeploymentInput,
  type PromotionResult,
  REGISTRY_EVENT_TYPES,
  type RecordDeploymentFailureInput,
} from './types';

const { gsi2 } = RegistryKeys;

export class RegistryDeployments {
  constructor(private readonly store: RegistryStore) {}

  // Deployments

  async createDeployment(input: CreateDeploymentInput): Promise<CreateDeploymentResult> {
    const { actor, reason, ...fields } = parseInput(createDeploymentInputSchema, input, 'deployment');
    return withRetry(`createDeployment ${fields.deploymentId}`, this.store.retry, async () => {
      const existing = await this.existingDeployment(fields);
      if (existing !== undefined) return { created: false, deployment: existing };
      const version = await this.store.getItem(versionKey(fields.model, fields.version), storedVersionSchema);
      if (version === undefined) throw new VersionNotFoundError(fields.model, fields.version);
      const kind = fields.kind ?? 'deploy';
      checkDeployable(version, kind);
      const at = this.store.now();
      const startedBy = actor ?? this.store.defaultActor;
      const deployment: Deployment = omitUndefined({
        deploymentId: fields.deploymentId,
        model: fields.model,
        version: fields.version,
        attempt: fields.attempt ?? 1,
        kind,
        status: 'Started' as const,
        stages: [],
        reasons: [],
        executionArn: fields.executionArn,
        startedBy,
        startedAt: at,
        updatedAt: at,
      });
      const event = this.store.newEvent({
        model: deployment.model,
        type: REGISTRY_EVENT_TYPES.deploymentStarted,
        at,
        actor: startedBy,
        reasons: reason === undefined ? [] : [reason],
        details: {
          deploymentId: deployment.deploymentId,
          kind,
          attempt: deployment.attempt,
          executionArn: deployment.executionArn,
        },
        runId: version.lineage.runId,
        version: deployment.version,
      });
      return this.tryCreateDeployment(deployment, event);
    });
  }

  async getDeployment(deploymentId: string): Promise<Deployment | undefined> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return this.store.getItem(deploymentKey(id), storedDeploymentSchema);
  }

  async listDeployments(model: string, page?: PageRequest): Promise<Page<Deployment>> {
    const partition = modelDeploymentsPartition(parseInput(modelNameSchema, model, 'model'));
    return this.store.queryPage(
      { index: gsi2, partition, forward: false, schema: storedDeploymentSchema },
      page,
    );
  }

  async recordDeploymentProgress(deploymentId: string, progress: DeploymentProgress): Promise<Deployment> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { stage, ...fields } = parseInput(deploymentProgressSchema, progress, 'progress');
    return withRetry(`recordDeploymentProgress ${id}`, this.store.retry, async () => {
      const current = await this.store.getItem(deploymentKey(id), storedDeploymentSchema);
      if (current === undefined) throw new DeploymentNotFoundError(id);
      if (current.status !== 'Started' && current.status !== 'Deploying') {
        throw new DeploymentEndedError(id, current.status);
      }
      const at = this.store.now();
      // The status moved under us: read again (an ended deployment then refuses).
      return this.updateDeployment(
        id,
        current.status,
        omitUndefined({ ...fields, updatedAt: at }),
        stage,
        at,
      );
    });
  }

  async recordDeploymentFollowUp(
    deploymentId: string,
    stage: NonNullable<DeploymentProgress['stage']>,
  ): Promise<Deployment> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { stage: parsed } = parseInput(deploymentProgressSchema, { stage }, 'stage');
    if (parsed === undefined) throw new ValidationError([{ field: 'stage', problem: 'is required' }]);
    return withRetry(`recordDeploymentFollowUp ${id}`, this.store.retry, async () => {
      const current = await this.store.getItem(deploymentKey(id), storedDeploymentSchema);
      if (current === undefined) throw new DeploymentNotFoundError(id);
      const at = this.store.now();
      // Whatever the status: a follow-up comes after the outcome and does not change it. If the status moved
      // under us (the outcome was being written), read again.
      return this.updateDeployment(id, current.status, { updatedAt: at }, parsed, at);
    });
  }

  /**
   * One conditional update of a deployment item (its status still `currentStatus`), with an optional stage
   * appended; answers the item as written. A failed condition retries the caller's read (RETRY).
   */
  private updateDeployment(
    id: string,
    currentStatus: Deployment['status'],
    changes: Parameters<typeof this.store.requests.deploymentUpdate>[0]['changes'],
    stage:
      | {
          readonly name: string;
          readonly at?: string | undefined;
          readonly details?: Record<string, unknown> | undefined;
        }
      | undefined,
    at: string,
  ): Promise<Deployment | typeof RETRY> {
    const update = this.store.requests.deploymentUpdate({
      deploymentId: id,
      currentStatus,
      changes,
      stage:
        stage === undefined
          ? undefined
          : {
              name: stage.name,
              at: stage.at ?? at,
              details: toJsonObject(stage.details ?? {}, 'stage.details'),
            },
    });
    return this.store.write(
      async () => {
        const output = await this.store.doc.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
        return parseItem(storedDeploymentSchema, output.Attributes ?? {}, describeKey(deploymentKey(id)));
      },
      () => RETRY,
    );
  }

  async beginDeployment(deploymentId: string, options: BeginDeploymentOptions = {}): Promise<Deployment> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { actor } = parseInput(beginDeploymentOptionsSchema, options, 'options');
    return withRetry(`beginDeployment ${id}`, this.store.retry, () =>
      this.tryBeginDeployment(id, actor ?? this.store.defaultActor),
    );
  }

  async promoteDeployment(deploymentId: string, input: PromoteDeploymentInput): Promise<PromotionResult> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const data = parseInput(promoteDeploymentInputSchema, input, 'input');
    return withRetry(`promoteDeployment ${id}`, this.store.retry, () => this.tryPromoteDeployment(id, data));
  }

  async recordDeploymentFailure(
    deploymentId: string,
    input: RecordDeploymentFailureInput,
  ): Promise<DeploymentFailureResult> {
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const data = parseInput(recordDeploymentFailureInputSchema, input, 'input');
    return withRetry(`recordDeploymentFailure ${id}`, this.store.retry, () =>
      this.tryRecordFailure(id, data),
    );
  }

  /** The stored deployment with this id, if any, checked to be the same request. */
  private async existingDeployment(fields: {
    deploymentId: string;
    model: string;
    version: number;
  }): Promise<Deployment | undefined> {
    const existing = await this.store.getItem(deploymentKey(fields.deploymentId), storedDeploymentSchema);
    if (existing === undefined) return undefined;
    if (existing.model !== fields.model || existing.version !== fields.version) {
      throw new DeploymentMismatchError(
        fields.deploymentId,
        `${existing.model} v${existing.version}`,
        `${fields.model} v${fields.version}`,
      );
    }
    return existing;
  }

  private async tryCreateDeployment(
    deployment: Deployment,
    event: AuditEvent,
  ): Promise<CreateDeploymentResult | typeof RETRY> {
    const transaction = this.store.requests.deploymentCreation(deployment, event);
    const reasons = await this.store.transact(transaction.items);
    if (reasons === undefined) return { created: true, deployment };
    // Created concurrently by a duplicate delivery: the next attempt returns it.
    return settle(transaction, reasons, event, {
      deployment: 'retry',
      version: () => new VersionNotFoundError(deployment.model, deployment.version),
      event: 'event',
    });
  }

  private async tryBeginDeployment(id: string, actor: string): Promise<Deployment | typeof RETRY> {
    const current = await this.store.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    if (current.status !== 'Started') return current;
    const { model } = current;
    const version = await this.store.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    const subject = `${model} v${current.version}`;
    assertTransition(version.status, 'Deploying', subject);
    const alias = await this.store.getItem(aliasKey(model, 'production'), storedAliasSchema);
    const baseline: ProductionBaseline = {
      version: alias?.version ?? null,
      revision: alias?.revision ?? null,
    };
    const at = this.store.now();
    const reason = `deployment ${id} (${current.kind}, attempt ${current.attempt}) began`;
    const event = this.store.newEvent({
      model,
      type: REGISTRY_EVENT_TYPES.statusChanged,
      at,
      actor,
      reasons: [reason],
      details: { from: version.status, to: 'Deploying', deploymentId: id, baseline },
      runId: version.lineage.runId,
      version: version.version,
    });
    const transaction = this.store.requests.deploymentBeginning({
      deployment: current,
      version,
      baseline,
      at,
      actor,
      reason,
      event,
    });
    const reasons = await this.store.transact(transaction.items);
    if (reasons === undefined) {
      const began = { name: 'Began', at, details: { baseline: { ...baseline } } };
      return { ...current, status: 'Deploying', baseline, updatedAt: at, stages: [...current.stages, began] };
    }
    // The deployment began concurrently, or the alias moved between our reads: read both again.
    return settle(transaction, reasons, event, {
      lease: leaseNotHeld(model, id),
      version: statusMoved(subject, version.status),
      deployment: 'retry',
      alias: 'retry',
      event: 'event',
    });
  }

  private async tryPromoteDeployment(
    id: string,
    input: z.output<typeof promoteDeploymentInputSchema>,
  ): Promise<PromotionResult | typeof RETRY> {
    const current = await this.store.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    if (current.status === 'Promoted') return this.promotedAlready(current);
    assertDeploymentTransition(current.status, 'Promoted', `deployment ${id}`);
    const { model, baseline } = current;
    if (baseline === undefined) {
      throw new CorruptItemError(
        describeKey(deploymentKey(id)),
        'Deploying without the baseline it began from',
      );
    }
    const alias = await this.store.getItem(aliasKey(model, 'production'), storedAliasSchema);
    const now = { version: alias?.version ?? null, revision: alias?.revision ?? null };
    if (now.revision !== baseline.revision) throw new AliasMovedError(model, 'production', baseline, now);
    const version = await this.store.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    const subject = `${model} v${version.version}`;
    assertTransition(version.status, 'Deployed', subject);
    const previous = await this.retiring(model, baseline, version.version);
    const at = this.store.now();
    const actor = input.actor ?? this.store.defaultActor;
    const reason = input.reason ?? `deployment ${id} promoted`;
    const served = {
      deploymentId: id,
      endpointName: input.endpointName,
      endpointConfigName: input.endpointConfigName,
      deployedAt: at,
    };
    const next: Alias = {
      model,
      alias: 'production',
      version: version.version,
      revision: (baseline.revision ?? 0) + 1,
      updatedAt: at,
      updatedBy: actor,
      reason,
    };
    const common = { model, at, actor, reasons: [reason], runId: version.lineage.runId };
    const events = {
      alias: this.store.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.aliasMoved,
        details: {
          alias: 'production',
          from: baseline.version,
          to: version.version,
          revision: next.revision,
          deploymentId: id,
        },
        version: version.version,
      }),
      version: this.store.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.statusChanged,
        details: { from: version.status, to: 'Deployed', ...served },
        version: version.version,
      }),
      previous:
        previous === undefined
          ? undefined
          : this.store.newEvent({
              ...common,
              type: REGISTRY_EVENT_TYPES.statusChanged,
              details: {
                from: previous.status,
                to: 'Retired',
                deploymentId: id,
                replacedBy: version.version,
              },
              runId: previous.lineage.runId,
              version: previous.version,
            }),
      deployed: this.store.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.modelDeployed,
        details: {
          ...toJsonObject(input.details ?? {}, 'input.details'),
          ...served,
          kind: current.kind,
          attempt: current.attempt,
          previousVersion: baseline.version,
          aliasRevision: next.revision,
        },
        version: version.version,
      }),
    };
    const transaction = this.store.requests.promotion({
      deployment: current,
      baseline,
      alias: next,
      version,
      served,
      previous,
      at,
      actor,
      reason,
      events,
    });
    const reasons = await this.store.transact(transaction.items);
    if (reasons === undefined) {
      const promoted = ended(
        { ...current, endpointName: served.endpointName, endpointConfigName: served.endpointConfigName },
        { name: 'Promoted', at, details: { alias: 'production', revision: next.revision } },
        [reason],
      );
      const deployed = { ...withStatus(version, 'Deployed', { reason, at, actor }), deployment: served };
      return omitUndefined({
        promoted: true,
        deployment: promoted,
        version: deployed,
        alias: next,
        retiredVersion: previous?.version,
      });
    }
    // Promoted by a concurrent re-run, or the previous version moved: read again and decide.
    return settle(transaction, reasons, events.deployed, {
      alias: (reason) => {
        const moved = {
          version: numberAttribute(reason?.Item, 'version') ?? null,
          revision: numberAttribute(reason?.Item, 'revision') ?? null,
        };
        return new AliasMovedError(model, 'production', baseline, moved);
      },
      lease: leaseNotHeld(model, id),
      version: statusMoved(subject, version.status),
      deployment: 'retry',
      previous: 'retry',
      aliasEvent: 'event',
      versionEvent: 'event',
      previousEvent: 'event',
      deployedEvent: 'event',
    });
  }

  /** The previous production version, when the promotion is to retire it (it exists, differs, may retire). */
  private async retiring(
    model: string,
    baseline: ProductionBaseline,
    version: number,
  ): Promise<ModelVersion | undefined> {
    if (baseline.version === null || baseline.version === version) return undefined;
    const previous = await this.store.getItem(versionKey(model, baseline.version), storedVersionSchema);
    return previous !== undefined && canTransition(previous.status, 'Retired') ? previous : undefined;
  }

  /** A re-run of a promotion that happened: what it wrote, read back. */
  private async promotedAlready(deployment: Deployment): Promise<PromotionResult> {
    const { model } = deployment;
    const [version, alias] = await Promise.all([
      this.store.getItem(versionKey(model, deployment.version), storedVersionSchema),
      this.store.getItem(aliasKey(model, 'production'), storedAliasSchema),
    ]);
    if (version === undefined) throw new VersionNotFoundError(model, deployment.version);
    if (alias === undefined) {
      throw new CorruptItemError(
        describeKey(aliasKey(model, 'production')),
        `missing although ${deployment.deploymentId} was promoted`,
      );
    }
    const before = deployment.baseline?.version ?? null;
    const previous =
      before === null || before === deployment.version
        ? undefined
        : await this.store.getItem(versionKey(model, before), storedVersionSchema);
    return omitUndefined({
      promoted: false,
      deployment,
      version,
      alias,
      retiredVersion: previous?.status === 'Retired' ? previous.version : undefined,
    });
  }

  private async tryRecordFailure(
    id: string,
    input: z.output<typeof recordDeploymentFailureInputSchema>,
  ): Promise<DeploymentFailureResult | typeof RETRY> {
    const current = await this.store.getItem(deploymentKey(id), storedDeploymentSchema);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    const { model } = current;
    const version = await this.store.getItem(versionKey(model, current.version), storedVersionSchema);
    if (version === undefined) throw new VersionNotFoundError(model, current.version);
    if (current.status === 'Failed' || current.status === 'RolledBack') {
      return { recorded: false, deployment: current, version };
    }
    const { outcome, reasons } = input;
    assertDeploymentTransition(current.status, outcome, `deployment ${id}`);
    // A deployment that never began (no lease) leaves its version as it found it.
    const moving = current.status === 'Deploying' && version.status === 'Deploying' ? version : undefined;
    const at = this.store.now();
    const actor = input.actor ?? this.store.defaultActor;
    const details = toJsonObject(input.details ?? {}, 'input.details');
    const common = { model, at, actor, reasons, runId: version.lineage.runId, version: version.version };
    const events = {
      failed: this.store.newEvent({
        ...common,
        type: REGISTRY_EVENT_TYPES.deploymentFailed,
        details: {
          ...details,
          deploymentId: id,
          outcome,
          kind: current.kind,
          attempt: current.attempt,
          endpointName: current.endpointName,
          endpointConfigName: current.endpointConfigName,
        },
      }),
      version:
        moving === undefined
          ? undefined
          : this.store.newEvent({
              ...common,
              type: REGISTRY_EVENT_TYPES.statusChanged,
              details: { from: 'Deploying', to: outcome, deploymentId: id },
            }),
    };
    const transaction = this.store.requests.deploymentFailure({
      deployment: current,
      outcome,
      reasons,
      version: moving,
      at,
      actor,
      details,
      events,
    });
    const cancelled = await this.store.transact(transaction.items);
    if (cancelled === undefined) {
      const after =
        moving === undefined
          ? version
          : withStatus(version, outcome, { reason: reasons.join('; '), at, actor });
      return {
        recorded: true,
        deployment: ended(current, { name: outcome, at, details }, reasons),
        version: after,
      };
    }
    return settle(transaction, cancelled, events.failed, {
      deployment: 'retry',
      version: 'retry',
      event: 'event',
      versionEvent: 'event',
    });
  }
}

/** Refuses a deployment its version cannot go through: the lifecycle, and rollbacks only to served versions. */
function checkDeployable(version: ModelVersion, kind: DeploymentKind): void {
  assertTransition(version.status, 'Deploying', `${version.model} v${version.version}`);
  if (kind === 'rollback' && version.deployment === undefined) {
    throw new ValidationError([
      {
        field: 'deployment.version',
        problem: `${version.model} v${version.version} never served: a rollback returns to a version that was Deployed`,
      },
    ]);
  }
}

/** The deployment as an ending transaction leaves it: in the stage's status, closed, with its reasons. */
function ended(
  current: Deployment,
  stage: { readonly name: Deployment['status']; readonly at: string; readonly details: JsonObject },
  reasons: readonly string[],
): Deployment {
  const { at } = stage;
  return {
    ...current,
    status: stage.name,
    reasons: [...reasons],
    updatedAt: at,
    endedAt: at,
    stages: [...current.stages, stage],
  };
}

/** The version as a transaction's status change leaves it. */
function withStatus(
  version: ModelVersion,
  to: ModelVersionStatus,
  change: { readonly reason: string; readonly at: string; readonly actor: string },
): ModelVersion {
  const { reason, at, actor } = change;
  return { ...version, status: to, statusReason: reason, statusChangedAt: at, statusChangedBy: actor };
}

/**
 * What a failed item of a cancelled transaction means: 'retry', read again and decide (so does a
 * transaction conflict); 'event', the audit event exists, so this write was made already; a function, the
 * verdict to throw, built from the item's cancellation reason (its old item, where the request asks for it).
 */
type Settlement = 'retry' | 'event' | ((reason: CancellationReason | undefined) => Error);

/**
 * Settles a cancelled transaction: its items are looked at in the order `settlements` names them and the
 * first that failed decides (a transaction conflict counts from the first 'retry' item on); `event` is the
 * audit event an 'event' failure names.
 * @returns RETRY, or throws the verdict
 */
function settle<Name extends string>(
  transaction: NamedTransaction<Name>,
  reasons: readonly CancellationReason[],
  event: AuditEvent,
  settlements: { readonly [K in Name]?: Settlement },
): typeof RETRY {
  for (const [name, settlement] of Object.entries(settlements) as [Name, Settlement][]) {
    if (settlement === 'retry') {
      if (transaction.failed(reasons, name) || transaction.conflicted(reasons)) return RETRY;
    } else if (transaction.failed(reasons, name)) {
      throw settlement === 'event' ? eventExists(event) : settlement(transaction.reason(reasons, name));
    }
  }
  if (transaction.conflicted(reasons)) return RETRY;
  throw unexpectedCancellation(reasons);
}

/** The lease item's check failed: another deployment holds it (its old item names the holder), or nobody. */
function leaseNotHeld(model: string, deploymentId: string): Settlement {
  return (reason) => new LeaseNotHeldError(model, deploymentId, stringAttribute(reason?.Item, 'holder'));
}

/** The version item's status condition failed: it moved from the status the decision was made from. */
function statusMoved(subject: string, expected: string): Settlement {
  return (reason) => {
    const actual = stringAttribute(reason?.Item, 'status');
    return new ConcurrentModificationError(subject, `status ${expected}`, actual && `status ${actual}`);
  };
}
