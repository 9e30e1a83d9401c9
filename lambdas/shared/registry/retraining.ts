/**
 * The retrain slot: at most one retrain per model in flight, and a cooldown between their starts. One item per
 * model (table-design.ts conventions):
 *
 * | item         | PK            | SK           |
 * |--------------|---------------|--------------|
 * | retrain slot | MODEL#<model> | RETRAIN#slot |
 *
 * Taking the slot is one transaction with its RetrainStarted audit event, conditioned on no retrain in flight and
 * the last start older than the cooldown, so of two retrainers deciding at once exactly one starts. The slot is
 * released when the retrain's run ends (the run of `inFlight.datasetKey`: the retrainer looks it up in the
 * registry's runs, and ModelRegistered releases it at once), with a RetrainEnded audit event.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod';
import { RETRY, withRetry } from './dynamo';
import { retrainSlotKey } from './keys';
import { unexpectedCancellation } from './requests';
import { modelNameSchema, parseInput } from './schemas';
import { type ModelRegistryClientOptions, RegistryStore } from './store';
import type { AuditEvent } from './types';

/** What started a retrain. */
export const RETRAIN_TRIGGERS = ['drift', 'quality'] as const;
export type RetrainTriggerKind = (typeof RETRAIN_TRIGGERS)[number];

/** Audit event types the retrainer records (every decision is one of these, with its reasons). */
export const RETRAINING_EVENT_TYPES = {
  /** The slot was taken and the retrain dataset written. */
  retrainStarted: 'RetrainStarted',
  /** No retrain: not held, in flight, cooling down, or no new labeled data (details.outcome says which). */
  retrainSkipped: 'RetrainSkipped',
  /** The retrain's run ended (details.outcome: Succeeded, Failed, or Abandoned when it never ran). */
  retrainEnded: 'RetrainEnded',
} as const;

/** A retrain in flight. */
export interface RetrainInFlight {
  readonly windowId: string;
  readonly trigger: RetrainTriggerKind;
  /** `datasets/<model>/retrain-<window>.csv`: the upload whose run is the retrain. */
  readonly datasetKey: string;
  readonly startedAt: string;
}

/** The model's retrain slot. */
export interface RetrainSlot {
  readonly model: string;
  readonly inFlight?: RetrainInFlight;
  /** When the last retrain started (ISO 8601 UTC); the cooldown counts from it. */
  readonly lastStartedAt?: string;
  /** How the last retrain ended, once it did. */
  readonly lastOutcome?: string;
  readonly lastEndedAt?: string;
  /** When people were last told that a retrain waits for labels (the notice is sent once per cooldown). */
  readonly lastNoticeAt?: string;
}

export interface TakeRetrainSlotInput {
  readonly model: string;
  readonly windowId: string;
  readonly trigger: RetrainTriggerKind;
  readonly datasetKey: string;
  /** Least time between two starts; the slot is refused while the last start is this recent. */
  readonly cooldownSeconds: number;
  readonly reasons: readonly string[];
  /** Recorded on the RetrainStarted event (e.g. labeled rows, the base dataset). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly version?: number | undefined;
  readonly actor?: string | undefined;
}

export type TakeRetrainSlotResult =
  | { readonly taken: true; readonly slot: RetrainSlot; readonly event: AuditEvent }
  /**
   * Held by this very window already (a redelivered event, or a retrainer that stopped before writing the
   * dataset): the caller may write the dataset again.
   */
  | { readonly taken: false; readonly resumed: true; readonly slot: RetrainSlot }
  /** Refused: another retrain is in flight or the cooldown has not passed. */
  | { readonly taken: false; readonly resumed: false; readonly slot: RetrainSlot | undefined };

export interface ReleaseRetrainSlotInput {
  readonly model: string;
  /** Only the retrain of this dataset is released (a stale release must not free a newer retrain). */
  readonly datasetKey: string;
  /** Succeeded | Failed | Abandoned */
  readonly outcome: string;
  readonly reasons: readonly string[];
  readonly runId?: string | undefined;
  readonly version?: number | undefined;
  readonly actor?: string | undefined;
}

export type ReleaseRetrainSlotResult =
  | { readonly released: true; readonly slot: RetrainSlot; readonly event: AuditEvent }
  | { readonly released: false; readonly slot: RetrainSlot | undefined };

const inFlightSchema = z.object({
  windowId: z.string(),
  trigger: z.enum(RETRAIN_TRIGGERS),
  datasetKey: z.string(),
  startedAt: z.string(),
});

const storedSlotSchema: z.ZodMiniType<RetrainSlot> = z.object({
  model: z.string(),
  inFlight: z.exactOptional(inFlightSchema),
  lastStartedAt: z.exactOptional(z.string()),
  lastOutcome: z.exactOptional(z.string()),
  lastEndedAt: z.exactOptional(z.string()),
  lastNoticeAt: z.exactOptional(z.string()),
});

/**
 * The registry's retrain slots (IAM: dynamodb:GetItem, and TransactWriteItems through PutItem/UpdateItem on the
 * table).
 */
export class RetrainSlots {
  private readonly store: RegistryStore;

  constructor(options: ModelRegistryClientOptions) {
    this.store = new RegistryStore(options);
  }

  /** The model's slot, or undefined before its first retrain. */
  async getSlot(model: string): Promise<RetrainSlot | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.store.getItem(retrainSlotKey(name), storedSlotSchema);
  }

  /**
   * Takes the slot for a retrain, with its RetrainStarted event, if no retrain is in flight and the last one
   * started more than `cooldownSeconds` ago (by the registry's clock).
   */
  async takeSlot(input: TakeRetrainSlotInput): Promise<TakeRetrainSlotResult> {
    const model = parseInput(modelNameSchema, input.model, 'model');
    const now = this.store.now();
    const cutoff = new Date(Date.parse(now) - input.cooldownSeconds * 1000).toISOString();
    const inFlight: RetrainInFlight = {
      windowId: input.windowId,
      trigger: input.trigger,
      datasetKey: input.datasetKey,
      startedAt: now,
    };
    const event = this.store.newEvent({
      model,
      type: RETRAINING_EVENT_TYPES.retrainStarted,
      actor: input.actor ?? this.store.defaultActor,
      at: now,
      reasons: input.reasons,
      version: input.version,
      details: {
        ...input.details,
        windowId: input.windowId,
        trigger: input.trigger,
        datasetKey: input.datasetKey,
      },
    });
    const transaction = this.store.requests.retrainSlotTake({ model, inFlight, now, cutoff, event });
    return withRetry(`takeRetrainSlot ${model}`, this.store.retry, async () => {
      const reasons = await this.store.transact(transaction.items);
      if (reasons === undefined) {
        const slot = await this.getSlot(model);
        return { taken: true as const, slot: slot ?? { model, inFlight, lastStartedAt: now }, event };
      }
      if (transaction.conflicted(reasons)) return RETRY;
      if (transaction.failed(reasons, 'slot')) {
        const slot = await this.getSlot(model);
        const same =
          slot?.inFlight?.windowId === input.windowId && slot.inFlight.datasetKey === input.datasetKey;
        return same
          ? { taken: false as const, resumed: true as const, slot: slot as RetrainSlot }
          : { taken: false as const, resumed: false as const, slot };
      }
      throw unexpectedCancellation(reasons);
    });
  }

  /**
   * Whether to send the "no labeled data to retrain on" notice now: true at most once per `cooldownSeconds` per
   * model (a conditional write of the time), so trouble that holds for days does not page people every window.
   */
  async claimNotice(model: string, cooldownSeconds: number): Promise<boolean> {
    const name = parseInput(modelNameSchema, model, 'model');
    const now = this.store.now();
    const cutoff = new Date(Date.parse(now) - cooldownSeconds * 1000).toISOString();
    const result = await withRetry(`claimRetrainNotice ${name}`, this.store.retry, () =>
      this.store.write(
        async () => {
          await this.store.doc.send(
            new UpdateCommand(this.store.requests.retrainNoticeClaim({ model: name, now, cutoff })),
          );
          return true;
        },
        () => false,
      ),
    );
    return result;
  }

  /** Releases the slot held for `datasetKey`, with a RetrainEnded event; does nothing when it is not held for it. */
  async releaseSlot(input: ReleaseRetrainSlotInput): Promise<ReleaseRetrainSlotResult> {
    const model = parseInput(modelNameSchema, input.model, 'model');
    const now = this.store.now();
    const event = this.store.newEvent({
      model,
      type: RETRAINING_EVENT_TYPES.retrainEnded,
      actor: input.actor ?? this.store.defaultActor,
      at: now,
      reasons: input.reasons,
      runId: input.runId,
      version: input.version,
      details: { datasetKey: input.datasetKey, outcome: input.outcome },
    });
    const transaction = this.store.requests.retrainSlotRelease({
      model,
      datasetKey: input.datasetKey,
      outcome: input.outcome,
      now,
      event,
    });
    return withRetry(`releaseRetrainSlot ${model}`, this.store.retry, async () => {
      const reasons = await this.store.transact(transaction.items);
      if (reasons === undefined) {
        const slot = await this.getSlot(model);
        return { released: true as const, slot: slot ?? { model }, event };
      }
      if (transaction.conflicted(reasons)) return RETRY;
      if (transaction.failed(reasons, 'slot'))
        return { released: false as const, slot: await this.getSlot(model) };
      throw unexpectedCancellation(reasons);
    });
  }
}
