/**
 * What the console learns from the local runtime as it happens (its observer), beside what it reads through
 * the AWS APIs: changes for the open pages, training rounds (SageMaker keeps them in CloudWatch Logs, which
 * the local runtime does not serve) and notifications (SNS has no API to read messages back).
 */
import {
  DEPLOYMENT_FAILED,
  DEPLOYMENT_REQUESTED,
  DRIFT_DETECTED,
  MODEL_APPROVED,
  MODEL_DEPLOYED,
  MODEL_QUALITY_DEGRADED,
  MODEL_REGISTERED,
  MODEL_REJECTED,
  RETRAIN_NEEDS_LABELS,
  RETRAIN_STARTED,
  RUN_RETRY_REQUESTED,
} from '../../../lambdas/shared/events';
import type { LocalAppObserver } from '../../app';
import type { SnsMessage } from '../../aws/sns';
import { type ChangeKind, changeObserver } from './changes';
import type { TrainingRound } from './runs';

/** Jobs whose rounds are kept (the newest); older ones show no learning curve. */
const KEPT_JOBS = 200;
/** Notifications kept (the newest). */
const KEPT_NOTIFICATIONS = 500;

/** The runtime's live facts for the console; its observer goes beside the progress display's. */
export class ConsoleFeed {
  private sink: ((kind: ChangeKind) => void) | undefined;
  private readonly rounds = new Map<string, Map<string, number[]>>();
  private readonly messages: SnsMessage[] = [];
  /** Observes the LocalApp: pass it with {@link observeBoth}. */
  readonly observer: LocalAppObserver;

  constructor() {
    const changes = changeObserver((kind) => this.sink?.(kind));
    this.observer = {
      executionStarted: (execution) => changes.executionStarted(execution),
      executionFinished: (executionId) => changes.executionFinished(executionId),
      trainingMetric: (jobName, metric) => {
        this.record(jobName, metric);
        changes.trainingMetric();
      },
      serviceEvent: (event) => changes.serviceEvent(event),
      notification: (message) => {
        this.messages.push(message);
        if (this.messages.length > KEPT_NOTIFICATIONS) this.messages.shift();
        changes.notification();
      },
    };
  }

  /** Where changes go once the console is up (none are kept before); undefined: nowhere (stopped). */
  connect(sink: ((kind: ChangeKind) => void) | undefined): void {
    this.sink = sink;
  }

  /**
   * An event on the local bus (the CLI's approvals and deployment requests, the pipeline's own events): what
   * the page shows of it changed, also when the change came from elsewhere than this console.
   */
  busEvent(event: { readonly 'detail-type'?: unknown }): void {
    const kinds = BUS_EVENT_KINDS[String(event['detail-type'] ?? '')];
    for (const kind of kinds ?? []) this.sink?.(kind);
  }

  /** The job's rounds: the n-th value of each metric is round n. */
  trainingRounds(jobName: string): TrainingRound[] | undefined {
    const metrics = this.rounds.get(jobName);
    if (metrics === undefined) return undefined;
    const count = Math.max(0, ...[...metrics.values()].map((values) => values.length));
    return Array.from({ length: count }, (_, round) => ({
      round,
      metrics: Object.fromEntries(
        [...metrics].flatMap(([name, values]) => {
          const value = values[round];
          return value === undefined ? [] : [[name, value]];
        }),
      ),
    }));
  }

  /** Messages published to the stack's topics, oldest first. */
  notifications(): readonly SnsMessage[] {
    return this.messages;
  }

  private record(jobName: string, metric: { readonly name: string; readonly value: number }): void {
    let metrics = this.rounds.get(jobName);
    if (metrics === undefined) {
      metrics = new Map();
      this.rounds.set(jobName, metrics);
      if (this.rounds.size > KEPT_JOBS) this.rounds.delete(this.rounds.keys().next().value ?? '');
    }
    const values = metrics.get(metric.name) ?? [];
    values.push(metric.value);
    metrics.set(metric.name, values);
  }
}

/** What each of the stack's events changes. */
const BUS_EVENT_KINDS: Readonly<Record<string, readonly ChangeKind[]>> = {
  [MODEL_REGISTERED]: ['models', 'runs'],
  [MODEL_APPROVED]: ['models'],
  [MODEL_REJECTED]: ['models'],
  [RUN_RETRY_REQUESTED]: ['runs'],
  [DEPLOYMENT_REQUESTED]: ['deployments', 'models'],
  [MODEL_DEPLOYED]: ['deployments', 'endpoints', 'models'],
  [DEPLOYMENT_FAILED]: ['deployments', 'endpoints', 'models'],
  [DRIFT_DETECTED]: ['drift'],
  [MODEL_QUALITY_DEGRADED]: ['drift'],
  [RETRAIN_STARTED]: ['runs', 'drift'],
  [RETRAIN_NEEDS_LABELS]: ['drift'],
};

/** The LocalApp observer's callbacks. */
const OBSERVER_METHODS = [
  'executionStarted',
  'executionEvent',
  'executionFinished',
  'trainingLog',
  'trainingMetric',
  'serviceEvent',
  'notification',
  'error',
] as const satisfies readonly (keyof LocalAppObserver)[];

/** One observer calling both: the progress display's, then the console's. */
export function observeBoth(first: LocalAppObserver, second: LocalAppObserver): LocalAppObserver {
  const both: Record<string, (...args: unknown[]) => void> = {};
  for (const key of OBSERVER_METHODS) {
    if (first[key] === undefined && second[key] === undefined) continue;
    both[key] = (...args: unknown[]) => {
      for (const observer of [first, second]) {
        const method = observer[key] as ((...values: unknown[]) => void) | undefined;
        method?.apply(observer, args);
      }
    };
  }
  return both as LocalAppObserver;
}
