/**
 * The alarms of a local CloudWatch: kept in `<workDir>/alarms.json`, evaluated on a timer at the runtime's
 * time scale, state changes told to listeners and as EventBridge events.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  DeleteAlarmsInput,
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  PutMetricAlarmInput,
  SetAlarmStateInput,
} from '@aws-sdk/client-cloudwatch';
import {
  type AlarmState,
  type AlarmStateValue,
  alarmPeriod,
  alarmQueries,
  describeAlarms,
  evaluateAlarm,
  type StoredAlarm,
  scaledPeriodMs,
  validateDeleteAlarms,
  validatePutMetricAlarm,
  validateSetAlarmState,
} from './alarms';
import { alarmStateChangeEvent } from './events';
import type { CheckedQuery } from './metric-data';
import type { MetricStore } from './store';

export interface AlarmBookOptions {
  readonly region: string;
  readonly account: string;
  readonly timeScale: number;
  /** The shortest real length of an alarm period. @default 0 */
  readonly minAlarmPeriodMs?: number;
  readonly store: MetricStore;
  readonly workDir?: string;
  readonly onEvent?: (event: Record<string, unknown>) => void;
  /** Real ms; tests pass a fixed clock. @default Date.now */
  readonly now?: () => number;
}

/** The shortest and longest real time between two evaluation passes. */
const MIN_TICK_MS = 20;
const MAX_TICK_MS = 10_000;

export class AlarmBook {
  readonly #alarms = new Map<string, StoredAlarm>();
  readonly #queries = new Map<string, CheckedQuery[]>();
  readonly #listeners = new Set<(alarmName: string, state: string, previous: string) => void>();
  readonly #options: AlarmBookOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(options: AlarmBookOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get #file(): string | undefined {
    return this.#options.workDir ? join(this.#options.workDir, 'alarms.json') : undefined;
  }

  async load(): Promise<void> {
    const file = this.#file;
    if (!file || !this.#options.workDir) return;
    await mkdir(this.#options.workDir, { recursive: true });
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    let saved: { alarms?: StoredAlarm[] };
    try {
      saved = JSON.parse(text) as { alarms?: StoredAlarm[] };
    } catch (error) {
      throw new Error(
        `${file} is not valid JSON (${String(error)}): fix or delete it to start without alarms`,
      );
    }
    for (const alarm of saved.alarms ?? []) {
      this.#alarms.set(alarm.config.AlarmName, alarm);
      this.#queries.set(alarm.config.AlarmName, alarmQueries(alarm.config));
    }
  }

  put(input: PutMetricAlarmInput): void {
    validatePutMetricAlarm(input);
    const name = input.AlarmName as string;
    const now = this.#now();
    const existing = this.#alarms.get(name);
    const config = { ...input, AlarmName: name };
    // Tags are resource metadata, not configuration (TagResource serves them); they are not kept.
    delete (config as { Tags?: unknown }).Tags;
    // "When this operation creates an alarm, the alarm state is immediately set to INSUFFICIENT_DATA ...
    // When you update an existing alarm, its state is left unchanged" (API_PutMetricAlarm).
    const alarm: StoredAlarm = {
      config,
      arn: `arn:aws:cloudwatch:${this.#options.region}:${this.#options.account}:alarm:${name}`,
      metricId: existing?.metricId ?? randomUUID(),
      configUpdated: now,
      state: existing?.state ?? {
        value: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        timestamp: now,
      },
      stateTransitioned: existing?.stateTransitioned ?? now,
    };
    this.#alarms.set(name, alarm);
    this.#queries.set(name, alarmQueries(config));
    this.#save();
    this.#evaluate(alarm);
    this.#schedule();
  }

  describe(input: DescribeAlarmsInput): DescribeAlarmsOutput {
    return describeAlarms(this.#alarms, input);
  }

  delete(input: DeleteAlarmsInput): void {
    for (const name of validateDeleteAlarms(input, this.#alarms)) {
      this.#alarms.delete(name);
      this.#queries.delete(name);
    }
    this.#save();
  }

  /** SetAlarmState: the state holds until the next evaluation says otherwise (API_SetAlarmState). */
  setState(input: SetAlarmStateInput): void {
    const alarm = validateSetAlarmState(input, this.#alarms);
    this.#transition(alarm, {
      value: input.StateValue as AlarmStateValue,
      reason: input.StateReason as string,
      ...(input.StateReasonData !== undefined ? { reasonData: input.StateReasonData } : {}),
      timestamp: this.#now(),
    });
  }

  state(name: string): AlarmStateValue | undefined {
    return this.#alarms.get(name)?.state.value;
  }

  onChange(listener: (alarmName: string, state: string, previous: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Evaluates every alarm now (the timer does this on its own; tests call it with a fixed clock). */
  evaluateAll(): void {
    for (const alarm of [...this.#alarms.values()]) this.#evaluate(alarm);
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Waits for pending writes of alarms.json. */
  async flush(): Promise<void> {
    await this.#writing;
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#alarms.size === 0) return;
    // Several passes per (scaled) period, so a state changes soon after the period that decides it ends.
    const shortest = Math.min(
      ...[...this.#alarms.values()].map((a) =>
        scaledPeriodMs(alarmPeriod(a.config), this.#options.timeScale, this.#options.minAlarmPeriodMs),
      ),
    );
    const tick = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, shortest / 4));
    this.#timer = setTimeout(() => {
      this.evaluateAll();
      this.#schedule();
    }, tick);
    this.#timer.unref();
  }

  #evaluate(alarm: StoredAlarm): void {
    const queries = this.#queries.get(alarm.config.AlarmName);
    if (!queries) return;
    const now = this.#now();
    const verdict = evaluateAlarm(
      this.#options.store,
      alarm,
      queries,
      now,
      this.#options.timeScale,
      this.#options.minAlarmPeriodMs,
    );
    if (!verdict || verdict.value === alarm.state.value) return;
    this.#transition(alarm, { ...verdict, timestamp: now });
  }

  #transition(alarm: StoredAlarm, state: AlarmState): void {
    const previous = alarm.state;
    alarm.state = state;
    if (previous.value === state.value) {
      this.#save();
      return;
    }
    alarm.stateTransitioned = state.timestamp;
    this.#save();
    const event = alarmStateChangeEvent(alarm, previous, this.#options.account, this.#options.region);
    this.#options.onEvent?.(event);
    for (const listener of this.#listeners) listener(alarm.config.AlarmName, state.value, previous.value);
  }

  #save(): void {
    const file = this.#file;
    if (!file) return;
    if (this.#dirty) return;
    this.#dirty = true;
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ alarms: [...this.#alarms.values()] }, null, 2)}\n`);
      await rename(tmp, file);
    });
  }
}
