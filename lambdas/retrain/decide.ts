/**
 * When to retrain, as pure functions: a retrain starts only when the trouble held for `consecutiveWindows`
 * windows, no other retrain of the model is in flight, the last one started more than `cooldownSeconds` ago,
 * and there are new labeled rows to learn from. Each "no" says why; the retrainer records every decision.
 */

/** What asked for the retrain. */
export type RetrainTrigger = 'drift' | 'quality';

/** One checked window, as the registry records it (drift: D2's windows; quality: the quality windows). */
export interface WindowVerdict {
  readonly windowId: string;
  /** ISO-8601: the window's end. */
  readonly end: string;
  /** Drift: Drift | NoDrift | InsufficientData; quality: Degraded | Healthy | InsufficientData | … */
  readonly verdict: string;
  /** Whether the verdict counts against the model (Drift, Degraded), as the check recorded it. */
  readonly alarming: boolean;
}

/** The model's retrain slot as the registry holds it (lambdas/shared/registry/retraining.ts). */
export interface RetrainSlotState {
  /** The retrain running now, if any. */
  readonly inFlight?: { readonly windowId: string; readonly datasetKey: string; readonly startedAt: string };
  /** When the last retrain started (ISO-8601). */
  readonly lastStartedAt?: string;
}

export interface RetrainGateInput {
  readonly trigger: RetrainTrigger;
  /** The window the event is about. */
  readonly windowId: string;
  /** The trigger's windows ending at or before that window's end, newest first (at least consecutiveWindows). */
  readonly windows: readonly WindowVerdict[];
  readonly consecutiveWindows: number;
  readonly cooldownSeconds: number;
  readonly slot: RetrainSlotState | undefined;
  readonly now: Date;
}

/** `proceed`: look for labeled data and retrain; the other outcomes are decisions not to. */
export type RetrainGateOutcome = 'proceed' | 'NotHeld' | 'InFlight' | 'CoolingDown';

export interface RetrainGateDecision {
  readonly outcome: RetrainGateOutcome;
  readonly reasons: readonly string[];
}

/**
 * Whether a retrain may go ahead, before looking for data (the cheap checks first).
 *
 * "Held" is strict: the `consecutiveWindows` newest windows up to the event's window all show the trouble; an
 * InsufficientData window breaks the run, because it is no evidence that the trouble holds.
 */
export function retrainGate(input: RetrainGateInput): RetrainGateDecision {
  const { trigger, windowId, consecutiveWindows, cooldownSeconds, slot, now } = input;
  const what = trigger === 'drift' ? 'drift' : 'quality loss';
  const start = input.windows.findIndex((window) => window.windowId === windowId);
  const recent = start < 0 ? [] : input.windows.slice(start, start + consecutiveWindows);
  const held = recent.length === consecutiveWindows && recent.every((window) => window.alarming);
  if (!held) {
    const seen = recent.map((window) => `${window.windowId}: ${window.verdict}`).join(', ');
    return {
      outcome: 'NotHeld',
      reasons: [
        `${what} has not held for ${consecutiveWindows} window(s) in a row up to ${windowId} (${seen === '' ? 'the window is not recorded' : seen})`,
      ],
    };
  }
  const heldReason = `${what} held for ${consecutiveWindows} window(s) in a row up to ${windowId}`;
  if (slot?.inFlight !== undefined) {
    return {
      outcome: 'InFlight',
      reasons: [
        heldReason,
        `a retrain is in flight already (from window ${slot.inFlight.windowId}, dataset ${slot.inFlight.datasetKey}, started ${slot.inFlight.startedAt})`,
      ],
    };
  }
  if (slot?.lastStartedAt !== undefined) {
    const elapsed = (now.getTime() - Date.parse(slot.lastStartedAt)) / 1000;
    if (elapsed <= cooldownSeconds) {
      const next = new Date(Date.parse(slot.lastStartedAt) + cooldownSeconds * 1000).toISOString();
      return {
        outcome: 'CoolingDown',
        reasons: [
          heldReason,
          `the last retrain started at ${slot.lastStartedAt}, within the cooldown of ${cooldownSeconds} s (next allowed after ${next})`,
        ],
      };
    }
  }
  return { outcome: 'proceed', reasons: [heldReason] };
}

/** The message of the notice sent when the trouble holds but there is nothing new to learn from. */
export function noLabelsMessage(trigger: RetrainTrigger): string {
  return `${trigger === 'drift' ? 'drift' : 'quality loss'} holds; no labeled data to retrain on`;
}
