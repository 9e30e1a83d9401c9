/**
 * Monitoring windows in the registry: each scheduled check (drift, quality) covers the capture written in a
 * window (from, until] and records the window with its verdict once. Items (table-design.ts conventions):
 *
 * | item            | PK            | SK                          |
 * |-----------------|---------------|-----------------------------|
 * | window          | MODEL#<model> | WINDOW#<kind>#<until ISO>   |
 * | monitor cursor  | MODEL#<model> | MONITOR#<kind>              |
 *
 * A window is written in one transaction with its audit event and the cursor move: the window must not
 * exist (a window checked twice keeps its first verdict) and the cursor must still be where the check read it
 * (two checks racing over overlapping windows cannot both record). Windows sort by their end, so the newest
 * are a descending query away (retraining reads the last `consecutiveWindows` of them).
 */
import * as z from '../zod';
import { RETRY, withRetry } from './dynamo';
import { RegistryError } from './errors';
import { modelPartition, monitoringCursorKey, monitoringWindowKey, WINDOW_PREFIX } from './keys';
import { unexpectedCancellation } from './requests';
import { modelNameSchema, parseInput, toJsonObject } from './schemas';
import { type ModelRegistryClientOptions, RegistryStore } from './store';
import type { AuditEvent, JsonObject, Page, PageRequest } from './types';

/** Audit event types of recorded windows, per check. */
export const MONITORING_EVENT_TYPES = { drift: 'DriftChecked', quality: 'QualityChecked' } as const;

/** The checks that record windows. */
export const MONITORING_KINDS = ['drift', 'quality'] as const;
export type MonitoringKind = (typeof MONITORING_KINDS)[number];

/** A checked window, as recorded. */
export interface MonitoringWindow {
  readonly model: string;
  readonly kind: MonitoringKind;
  /** Derived from the bounds ({@link windowIdFor}); names the report folder `monitoring/<model>/<windowId>/`. */
  readonly windowId: string;
  /** Exclusive start (ISO 8601 UTC). */
  readonly from: string;
  /** Inclusive end (ISO 8601 UTC): capture files whose S3 LastModified is in (from, until] belong here. */
  readonly until: string;
  readonly checkedAt: string;
  /** The check's verdict, e.g. Drift | NoDrift | InsufficientData (drift), Degraded | Ok | InsufficientData. */
  readonly verdict: string;
  /** True when the verdict counts against the model (drift, quality loss): what retraining counts in a row. */
  readonly alarming: boolean;
  /** The version serving when the window was checked. */
  readonly version?: number;
  /** Rows the verdict rests on. */
  readonly rows: number;
  readonly reasons: readonly string[];
  /** Keys of the reports in the artifacts bucket. */
  readonly reports: Readonly<Record<string, string>>;
  /** The check's figures (e.g. driftShare, drifted features, problem counts). */
  readonly summary: JsonObject;
}

/** What a check records (`checkedAt` is the registry clock's). */
export interface RecordWindowInput {
  readonly model: string;
  readonly kind: MonitoringKind;
  readonly from: string;
  readonly until: string;
  /** The end of the model's last recorded window of this kind as the check read it (undefined: none yet). */
  readonly previousUntil: string | undefined;
  readonly verdict: string;
  readonly alarming: boolean;
  readonly version?: number | undefined;
  readonly rows: number;
  readonly reasons: readonly string[];
  readonly reports: Readonly<Record<string, string>>;
  readonly summary: Readonly<Record<string, unknown>>;
  /** The audit event's type, e.g. DriftChecked. */
  readonly eventType: string;
  readonly actor?: string | undefined;
}

/** The outcome of {@link MonitoringWindows.recordWindow}. */
export type RecordWindowResult =
  | { readonly recorded: true; readonly window: MonitoringWindow; readonly event: AuditEvent }
  /** The window was recorded before (by an earlier delivery of the same check): its first verdict stands. */
  | { readonly recorded: false; readonly window: MonitoringWindow };

/** Another check recorded a window since this one read the cursor: this window's bounds are stale. */
export class WindowSupersededError extends RegistryError {
  public readonly code = 'WindowSupersededError';
  public override readonly name = 'WindowSupersededError';

  constructor(
    public readonly model: string,
    public readonly kind: MonitoringKind,
    public readonly expectedUntil: string | undefined,
  ) {
    super(
      `${model}: another ${kind} check recorded a window after ${expectedUntil ?? 'the start'} while this one ran`,
    );
  }
}

const isoSchema = z.iso.datetime();

const storedWindowSchema: z.ZodMiniType<MonitoringWindow> = z.object({
  model: z.string(),
  kind: z.enum(MONITORING_KINDS),
  windowId: z.string(),
  from: z.string(),
  until: z.string(),
  checkedAt: z.string(),
  verdict: z.string(),
  alarming: z.boolean(),
  version: z.exactOptional(z.int()),
  rows: z.number(),
  reasons: z.array(z.string()),
  reports: z.record(z.string(), z.string()),
  summary: z.pipe(
    z.record(z.string(), z.unknown()),
    z.transform((summary: Record<string, unknown>) => toJsonObject(summary, 'summary')),
  ),
});

/** `2026-11-30T14:00:00.000Z` → `20261130T140000.000Z` (sorts as the time does, no `:` in keys or URLs). */
function compactTime(iso: string): string {
  return new Date(iso).toISOString().replaceAll('-', '').replaceAll(':', '');
}

/**
 * The id of the window (from, until]: `<from>_<until>` in compact UTC, e.g.
 * `20261130T140000.000Z_20261130T150000.000Z`. The same bounds always give the same id.
 */
export function windowIdFor(from: string, until: string): string {
  return `${compactTime(from)}_${compactTime(until)}`;
}

/** The bounds of a window id from {@link windowIdFor}; undefined when it is not one. */
export function parseWindowId(windowId: string): { from: string; until: string } | undefined {
  const match = /^(\d{8}T\d{6}\.\d{3}Z)_(\d{8}T\d{6}\.\d{3}Z)$/.exec(windowId);
  if (!match) return undefined;
  const expand = (t: string) =>
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13)}`;
  const from = expand(match[1] as string);
  const until = expand(match[2] as string);
  return Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(until)) ? undefined : { from, until };
}

/** Normalises an ISO time to `toISOString()` form, so keys compare as times. */
function canonicalTime(value: string, field: string): string {
  parseInput(isoSchema, value, field);
  return new Date(value).toISOString();
}

/**
 * The registry's monitoring windows (IAM: dynamodb:GetItem, Query, PutItem on the table; TransactWriteItems
 * through PutItem/UpdateItem/ConditionCheck).
 */
export class MonitoringWindows {
  private readonly store: RegistryStore;

  constructor(options: ModelRegistryClientOptions) {
    this.store = new RegistryStore(options);
  }

  /** The window of `kind` ending at `until`, if recorded. */
  async getWindow(model: string, kind: MonitoringKind, until: string): Promise<MonitoringWindow | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.store.getItem(
      monitoringWindowKey(name, kind, canonicalTime(until, 'until')),
      storedWindowSchema,
    );
  }

  /** The window with this id, if recorded. */
  async findWindow(
    model: string,
    kind: MonitoringKind,
    windowId: string,
  ): Promise<MonitoringWindow | undefined> {
    const bounds = parseWindowId(windowId);
    if (bounds === undefined) return undefined;
    const window = await this.getWindow(model, kind, bounds.until);
    return window?.windowId === windowId ? window : undefined;
  }

  /** The model's newest window of `kind`, if any. */
  async lastWindow(model: string, kind: MonitoringKind): Promise<MonitoringWindow | undefined> {
    return (await this.listWindows(model, kind, { limit: 1 })).items[0];
  }

  /** The model's windows of `kind`, newest first. */
  async listWindows(
    model: string,
    kind: MonitoringKind,
    page?: PageRequest,
  ): Promise<Page<MonitoringWindow>> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.store.queryPage(
      {
        partition: modelPartition(name),
        sortPrefix: `${WINDOW_PREFIX}${kind}#`,
        forward: false,
        schema: storedWindowSchema,
      },
      page,
    );
  }

  /**
   * The newest `count` windows of `kind`, newest first (fewer when fewer were recorded): what a retrain
   * decision reads to see whether drift or quality loss held for `consecutiveWindows`.
   */
  async recentWindows(model: string, kind: MonitoringKind, count: number): Promise<MonitoringWindow[]> {
    const windows: MonitoringWindow[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.listWindows(model, kind, {
        limit: Math.min(100, count - windows.length),
        nextToken,
      });
      windows.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken !== undefined && windows.length < count);
    return windows.slice(0, count);
  }

  /**
   * Records a checked window with its audit event, once.
   *
   * @returns `recorded: true` with the window and event; `recorded: false` with the stored window when this
   *   window was recorded before (its first verdict stands)
   * @throws WindowSupersededError when another check moved the cursor past `previousUntil` meanwhile
   */
  async recordWindow(input: RecordWindowInput): Promise<RecordWindowResult> {
    const model = parseInput(modelNameSchema, input.model, 'model');
    const from = canonicalTime(input.from, 'from');
    const until = canonicalTime(input.until, 'until');
    const previousUntil =
      input.previousUntil === undefined ? undefined : canonicalTime(input.previousUntil, 'previousUntil');
    if (Date.parse(from) >= Date.parse(until)) {
      throw new Error(`recordWindow: the window (${from}, ${until}] is empty or reversed`);
    }
    const windowId = windowIdFor(from, until);
    const checkedAt = this.store.now();
    const window: MonitoringWindow = {
      model,
      kind: input.kind,
      windowId,
      from,
      until,
      checkedAt,
      verdict: input.verdict,
      alarming: input.alarming,
      ...(input.version === undefined ? {} : { version: input.version }),
      rows: input.rows,
      reasons: [...input.reasons],
      reports: { ...input.reports },
      summary: toJsonObject(input.summary, 'summary'),
    };
    const event = this.store.newEvent({
      model,
      type: input.eventType,
      actor: input.actor ?? this.store.defaultActor,
      at: checkedAt,
      reasons: input.reasons,
      version: input.version,
      details: {
        kind: input.kind,
        windowId,
        from,
        until,
        verdict: input.verdict,
        rows: input.rows,
        reports: input.reports,
        ...input.summary,
      },
    });
    const transaction = this.store.requests.windowRecording({ window, previousUntil, event });
    return withRetry(`recordWindow ${model} ${windowId}`, this.store.retry, async () => {
      const reasons = await this.store.transact(transaction.items);
      if (reasons === undefined) return { recorded: true as const, window, event };
      if (transaction.conflicted(reasons)) return RETRY;
      if (transaction.failed(reasons, 'window')) {
        const stored = await this.getWindow(model, input.kind, until);
        if (stored !== undefined) return { recorded: false as const, window: stored };
        return RETRY;
      }
      if (transaction.failed(reasons, 'cursor'))
        throw new WindowSupersededError(model, input.kind, previousUntil);
      throw unexpectedCancellation(reasons);
    });
  }

  /** Where the cursor of `kind` stands: the end of the last recorded window, if any. */
  async cursor(model: string, kind: MonitoringKind): Promise<string | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    const item = await this.store.getItem(
      monitoringCursorKey(name, kind),
      z.looseObject({ lastUntil: z.string() }),
    );
    return item?.lastUntil;
  }
}
