/**
 * The lifecycle of local SageMaker endpoints: each CreateEndpoint, UpdateEndpoint and DeleteEndpoint runs on a
 * timeline (Creating → InService, Updating → InService on the new config, Deleting → gone) at the runtime's time
 * scale, armed again from the state file when a runtime restarts.
 *
 * - Blue/green: a deployment's `stages` are the timeline SageMaker's deployment goes through (Creating the
 *   fleet, ActivatingTraffic steps of a canary or linear shift, Baking for TerminationWaitInSeconds), each with
 *   the share of traffic the green fleet has during it (`trafficPercent`). When the last stage ends, green
 *   becomes `serving` and blue is dropped.
 * - Auto-rollback: while an update runs, an alarm of its AutoRollbackConfiguration in ALARM (read through the
 *   `alarmState` option when `alarmChanged` is called and at each stage start) drops `pending` at once: all
 *   traffic is blue's again and the endpoint is InService on its old config, with a FailureReason.
 * - Health check: with a `healthCheck` (the SageMaker Runtime starts the fleet's containers and pings them), a
 *   new fleet must pass it before its Creating stage ends. One that does not fails a CreateEndpoint (Failed, with
 *   the FailureReason) and ends an UpdateEndpoint with the endpoint InService on its old config, the FailureReason
 *   set and no alarm named: "If the container does not begin to pass health checks ... CreateEndpoint will fail,
 *   leaving the endpoint in a failed state, and the update requested by UpdateEndpoint will not be completed"
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html#your-algorithms-inference-algo-ping-requests).
 * - Changes are reported as they happen: `onEndpointStatus` (the endpoint's status) and `onDeploymentStage` (each
 *   stage of an update, and a rollback); endpoint-events.ts turns them into SageMaker's EventBridge events.
 */
import type { CapacitySize, DeploymentConfig } from '@aws-sdk/client-sagemaker';
import type {
  DeploymentStage,
  DeploymentStageStatus,
  EndpointState,
  Fleet,
  HostingState,
  HostingStore,
  LocalEndpointStatus,
  PendingDeployment,
} from './hosting-state';

/** How endpoints move through their lifecycle, and who hears of it. */
export interface EndpointLifecycleOptions {
  /**
   * Lifecycle waits run this many times faster than their nominal length (the runtime's --time-scale).
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * Nominal lengths, in ms, of provisioning a fleet (CreateEndpoint, the green fleet of UpdateEndpoint) and
   * of deleting an endpoint. SageMaker takes minutes; locally there is nothing to provision, so short.
   * @default { provisionMs: 2000, deleteMs: 500 }
   */
  readonly delays?: { readonly provisionMs?: number; readonly deleteMs?: number };
  /** Endpoint status changes, as they happen (EventBridge events and progress displays hook here). */
  readonly onEndpointStatus?: (change: EndpointStatusChange) => void;
  /**
   * An update's deployment stages as each starts (the green fleet's Creating, ActivatingTraffic, Baking) and its
   * rollback (Deleting): what SageMaker reports as `SageMaker Endpoint Deployment State Change` events.
   */
  readonly onDeploymentStage?: (change: DeploymentStageChange) => void;
  /**
   * The state of a CloudWatch alarm now (OK, ALARM, INSUFFICIENT_DATA; undefined if there is no such alarm):
   * what the auto-rollback of an update reads for the alarms of its AutoRollbackConfiguration. Without it, no
   * update rolls back.
   */
  readonly alarmState?: (alarmName: string) => string | undefined;
  /**
   * Whether a new fleet's containers start and pass SageMaker's ping health check: undefined when they do, else
   * the endpoint's FailureReason. Run while the fleet is Creating (CreateEndpoint, the green fleet of
   * UpdateEndpoint); the Creating stage lasts until it answers. Also settable later (LocalHosting.setHealthCheck),
   * since what runs the containers starts after the hosting. @default every fleet is healthy
   */
  readonly healthCheck?: HealthCheck;
}

/** See {@link EndpointLifecycleOptions.healthCheck}. */
export type HealthCheck = (fleet: Fleet) => Promise<string | undefined>;

export interface EndpointStatusChange {
  readonly endpointName: string;
  readonly endpointArn: string;
  readonly status: LocalEndpointStatus | 'Deleted';
  /** The config being deployed (Creating, Updating) or serving. */
  readonly endpointConfigName?: string | undefined;
  readonly time: Date;
  /** The endpoint as it is after the change (as it was before it went, for Deleted): a copy. */
  readonly endpoint?: Readonly<EndpointState>;
}

/** A stage of an update's green fleet that started, or the rollback that ended the update. */
export interface DeploymentStageChange {
  readonly endpointName: string;
  readonly endpointArn: string;
  /**
   * The green fleet's stage: Creating, ActivatingTraffic or Baking as the update goes on; Deleting when an
   * alarm rolled the update back and the green fleet is terminated.
   */
  readonly status: DeploymentStageStatus | 'Deleting';
  /** Epoch ms when the stage started. */
  readonly startTime: number;
  /** ProductionVariantStatus.StatusMessage, worded as SageMaker's examples word it. */
  readonly message: string;
  /** The share of traffic the green fleet takes in this stage, 0–100. */
  readonly trafficPercent: number;
  /** The green fleet (the update's endpoint config). */
  readonly pending: Readonly<PendingDeployment>;
  /** The alarms (in ALARM) that rolled the update back, for Deleting after an alarm rollback. */
  readonly alarms?: readonly string[];
  /** Why the green fleet goes, for Deleting after it failed its health check (the endpoint's FailureReason). */
  readonly healthFailure?: string;
  /** The endpoint after the change: a copy (after a rollback: InService on the old config, FailureReason set). */
  readonly endpoint: Readonly<EndpointState>;
  readonly time: Date;
}

const DEFAULT_PROVISION_MS = 2000;
const DEFAULT_DELETE_MS = 500;

/**
 * Runs the timelines of the endpoints of one {@link HostingStore}: the hosting API starts a transition (and
 * reports it with {@link EndpointLifecycle.changed}); this ends it, stage by stage, with its health check and alarm rollback.
 */
export class EndpointLifecycle {
  readonly provisionMs: number;
  readonly deleteMs: number;
  private readonly state: HostingState;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly timeScale: number;
  private healthCheck: HealthCheck | undefined;
  private closed = false;
  /** Health checks under way, and their answers until the Creating stage ends, by endpoint key. */
  private readonly checks = new Map<
    string,
    { readonly deployment: string; result?: { readonly reason: string | undefined } }
  >();

  constructor(
    private readonly store: HostingStore,
    private readonly options: EndpointLifecycleOptions,
  ) {
    this.state = store.state;
    this.healthCheck = options.healthCheck;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be positive, got ${this.timeScale}`);
    this.provisionMs = options.delays?.provisionMs ?? DEFAULT_PROVISION_MS;
    this.deleteMs = options.delays?.deleteMs ?? DEFAULT_DELETE_MS;
    // Transitions under way when the last runtime stopped carry on from where their timeline is now.
    for (const endpoint of Object.values(this.state.endpoints)) this.schedule(endpoint);
  }

  /** Whether new fleets are health-checked (they start in `health: 'checking'`). */
  get checksHealth(): boolean {
    return this.healthCheck !== undefined;
  }

  /** Rolls back the updates whose AutoRollbackConfiguration names the alarm, if it is in ALARM now. */
  alarmChanged(alarmName: string): void {
    for (const endpoint of Object.values(this.state.endpoints)) {
      if (rollbackAlarms(endpoint.pending).includes(alarmName)) this.checkAlarms(endpoint);
    }
  }

  /** Sets (or with undefined removes) the health check of new fleets: see {@link EndpointLifecycleOptions.healthCheck}. */
  setHealthCheck(check: HealthCheck | undefined): void {
    this.healthCheck = check;
  }

  /** Stops the lifecycle timers; the state file keeps where each endpoint was. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * The timeline of an update: the green fleet is provisioned (Creating), traffic moves to it as the
   * TrafficRoutingConfiguration says (a canary step, linear steps, or all at once), each step followed by
   * WaitIntervalInSeconds, then Baking for TerminationWaitInSeconds before blue goes — API_TrafficRoutingConfig,
   * API_BlueGreenUpdatePolicy. Without a DeploymentConfig SageMaker still replaces the fleet all at once.
   * Rolling updates run as one step of WaitIntervalInSeconds.
   */
  stages(now: number, deployment: DeploymentConfig | undefined, fleet: Fleet): DeploymentStage[] {
    const stages: DeploymentStage[] = [];
    let at = now;
    const add = (status: DeploymentStageStatus, ms: number, trafficPercent: number) => {
      const endsAt = at + this.scaled(ms);
      stages.push({ status, startsAt: at, endsAt, trafficPercent });
      at = endsAt;
    };
    add('Creating', this.provisionMs, 0);
    const blueGreen = deployment?.BlueGreenUpdatePolicy;
    const routing = blueGreen?.TrafficRoutingConfiguration;
    const wait = routing?.WaitIntervalInSeconds ?? 0;
    const instances = fleet.variants.reduce((sum, variant) => sum + variant.instanceCount, 0) || 1;
    const percent = (size: CapacitySize | undefined) =>
      Math.min(
        100,
        size?.Type === 'INSTANCE_COUNT' ? ((size.Value ?? 0) / instances) * 100 : (size?.Value ?? 100),
      );
    if (routing?.Type === 'CANARY') {
      add('ActivatingTraffic', wait * 1000, percent(routing.CanarySize));
    } else if (routing?.Type === 'LINEAR') {
      const step = Math.max(1, percent(routing.LinearStepSize));
      for (let share = step; share < 100; share += step) add('ActivatingTraffic', wait * 1000, share);
    } else if (deployment?.RollingUpdatePolicy) {
      add('ActivatingTraffic', (deployment.RollingUpdatePolicy.WaitIntervalInSeconds ?? 0) * 1000, 100);
    }
    add('Baking', (blueGreen?.TerminationWaitInSeconds ?? 0) * 1000, 100);
    return stages;
  }

  /** Arms the timer that ends the endpoint's current transition (or stage). */
  schedule(endpoint: EndpointState): void {
    const key = endpoint.name.toLowerCase();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    let at: number | undefined;
    if (endpoint.status === 'Deleting') at = endpoint.deletesAt ?? Date.now();
    else if (endpoint.pending && awaitingHealth(endpoint.pending, Date.now())) {
      // The Creating stage is over and the health check has not answered: its answer advances the endpoint.
      const check = this.checks.get(endpoint.name.toLowerCase());
      at = check?.deployment === deploymentKey(endpoint.pending) ? undefined : Date.now();
    } else if (endpoint.pending) {
      const pending = endpoint.pending;
      at =
        (pending.announcedStage ?? Number.POSITIVE_INFINITY) < stageIndex(pending, Date.now())
          ? Date.now()
          : (currentStage(pending)?.endsAt ?? Date.now());
    }
    if (at === undefined) return;
    const timer = setTimeout(() => this.advance(key), Math.max(0, at - Date.now()));
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private advance(key: string): void {
    this.timers.delete(key);
    const endpoint = this.state.endpoints[key];
    if (!endpoint) return;
    const now = Date.now();
    if (endpoint.status === 'Deleting') {
      if ((endpoint.deletesAt ?? now) > now) {
        this.schedule(endpoint);
        return;
      }
      delete this.state.endpoints[key];
      this.store.save();
      try {
        this.options.onEndpointStatus?.({
          endpointName: endpoint.name,
          endpointArn: endpoint.arn,
          status: 'Deleted',
          time: new Date(now),
          endpoint: structuredClone(endpoint),
        });
      } catch {
        // A broken listener must not break the timers.
      }
      return;
    }
    const pending = endpoint.pending;
    if (!pending) return;
    if (this.settleHealth(endpoint, pending, now)) return;
    const last = pending.stages.at(-1);
    if (last && last.endsAt > now) {
      // A stage started: report it, then check the rollback alarms ("also at each stage start").
      const index = stageIndex(pending, now);
      if (pending.announcedStage !== undefined && pending.announcedStage < index) {
        pending.announcedStage = index;
        this.store.save();
        this.announce(endpoint, pending, index);
        if (this.checkAlarms(endpoint)) return;
      }
      this.schedule(endpoint); // the next stage: a stage's state is derived from the clock
      return;
    }
    // The update's last stage is over; a last look at the alarms before blue goes.
    if (this.checkAlarms(endpoint)) return;
    const { startTime, stages: _stages, ...fleet } = pending;
    endpoint.serving = { ...fleet, deployedAt: startTime };
    delete endpoint.pending;
    endpoint.status = 'InService';
    endpoint.lastModifiedTime = now;
    this.store.save();
    this.changed(endpoint);
  }

  /** Starts the health check of the endpoint's new fleet, if there is one to check and none runs. */
  startHealthCheck(endpoint: EndpointState): void {
    const key = endpoint.name.toLowerCase();
    const pending = endpoint.pending;
    if (pending?.health !== 'checking' || this.checks.get(key)?.deployment === deploymentKey(pending)) return;
    const check = this.healthCheck;
    const entry: { deployment: string; result?: { reason: string | undefined } } = {
      deployment: deploymentKey(pending),
    };
    this.checks.set(key, entry);
    const answer = check
      ? check(structuredClone(pending)).catch((error: unknown) => String((error as Error)?.message ?? error))
      : Promise.resolve(undefined);
    void answer.then((reason) => {
      if (this.closed || this.checks.get(key) !== entry) return;
      entry.result = { reason: reason === undefined ? undefined : reason.slice(0, MAX_FAILURE_REASON) };
      const current = this.state.endpoints[key]?.pending;
      if (current && deploymentKey(current) === entry.deployment && awaitingHealth(current, Date.now())) {
        this.advance(key);
      }
    });
  }

  /**
   * At the end of the Creating stage, the health check decides: true when the endpoint must wait (no answer
   * yet) or the fleet failed; false to go on (the later stages shifted by how long the check outlasted Creating).
   */
  private settleHealth(endpoint: EndpointState, pending: PendingDeployment, now: number): boolean {
    if (!awaitingHealth(pending, now)) return false;
    const key = endpoint.name.toLowerCase();
    const check = this.checks.get(key);
    if (!check || check.deployment !== deploymentKey(pending)) {
      // A runtime restarted mid-check: check again.
      this.checks.delete(key);
      this.startHealthCheck(endpoint);
      return true;
    }
    if (!check.result) return true;
    this.checks.delete(key);
    // An update's Creating stage is reported before its end.
    if (pending.announcedStage !== undefined && pending.announcedStage < 0) {
      pending.announcedStage = 0;
      this.announce(endpoint, pending, 0);
    }
    if (check.result.reason !== undefined) {
      this.failHealth(endpoint, pending, check.result.reason);
      return true;
    }
    delete pending.health;
    const creatingEnd = pending.stages[0]?.endsAt ?? now;
    const delay = now - creatingEnd;
    if (delay > 0) {
      pending.stages = pending.stages.map((stage, index) => ({
        ...stage,
        startsAt: index === 0 ? stage.startsAt : stage.startsAt + delay,
        endsAt: stage.endsAt + delay,
      }));
    }
    this.store.save();
    return false;
  }

  /**
   * The new fleet failed its health check. A CreateEndpoint ends Failed ("leaving the endpoint in a failed
   * state"); an update is not completed: the green fleet is terminated and the endpoint is InService on its old
   * config with the FailureReason, which DescribeEndpoint gives "if ... the status is InService but update
   * operation fails" (API_EndpointMetadata). No alarm is named: this is the rollback a deployment only sees by
   * comparing EndpointConfigName with the config it deployed. Events: the green fleet Deleting (a deployment
   * state change, "Terminating X instance(s).") then the endpoint's IN_SERVICE state change; a failed
   * CreateEndpoint sends its FAILED state change.
   */
  private failHealth(endpoint: EndpointState, pending: PendingDeployment, reason: string): void {
    const now = Date.now();
    delete endpoint.pending;
    endpoint.failureReason = reason;
    endpoint.lastModifiedTime = now;
    if (!endpoint.serving) {
      endpoint.status = 'Failed';
      endpoint.failedEndpointConfigName = pending.endpointConfigName;
      this.store.save();
      this.schedule(endpoint);
      this.changed(endpoint);
      return;
    }
    endpoint.status = 'InService';
    this.terminateGreen(endpoint, pending, now, { healthFailure: reason });
  }

  /** Reports the endpoint's status as it is now to `onEndpointStatus`. */
  changed(endpoint: EndpointState): void {
    try {
      this.options.onEndpointStatus?.({
        endpointName: endpoint.name,
        endpointArn: endpoint.arn,
        status: endpoint.status,
        endpointConfigName:
          (endpoint.pending ?? endpoint.serving)?.endpointConfigName ?? endpoint.failedEndpointConfigName,
        time: new Date(endpoint.lastModifiedTime),
        endpoint: structuredClone(endpoint),
      });
    } catch {
      // A broken listener must not break the endpoint.
    }
  }

  /** Reports the start of stage `index` of an update (a CreateEndpoint's own Creating is an endpoint status). */
  private announce(endpoint: EndpointState, pending: PendingDeployment, index: number): void {
    const stage = pending.stages[index];
    if (!stage || !endpoint.serving) return;
    this.deploymentStage({
      endpointName: endpoint.name,
      endpointArn: endpoint.arn,
      status: stage.status,
      startTime: stage.startsAt,
      message: stageMessage(stage, pending),
      trafficPercent: stage.trafficPercent,
      pending: structuredClone(pending),
      endpoint: structuredClone(endpoint),
      time: new Date(Math.max(stage.startsAt, Date.now())),
    });
  }

  private deploymentStage(change: DeploymentStageChange): void {
    try {
      this.options.onDeploymentStage?.(change);
    } catch {
      // A broken listener must not break the endpoint.
    }
  }

  /**
   * Rolls an update back if one of its AutoRollbackConfiguration alarms is in ALARM now; true if it did. Only
   * updates roll back (a CreateEndpoint has no blue fleet to return to).
   */
  private checkAlarms(endpoint: EndpointState): boolean {
    const { pending, serving } = endpoint;
    const alarmState = this.options.alarmState;
    if (!pending || !serving || endpoint.status !== 'Updating' || !alarmState) return false;
    const tripped = rollbackAlarms(pending).filter((name) => alarmState(name) === 'ALARM');
    if (tripped.length === 0) return false;
    this.rollBack(endpoint, pending, tripped);
    return true;
  }

  /**
   * Ends an update as SageMaker's auto-rollback does: all traffic back on the blue fleet at once, the green fleet
   * terminated, the endpoint InService on its old config with a FailureReason — DescribeEndpoint's FailureReason is
   * set when "the status is InService but update operation fails" (API_EndpointMetadata). AWS does not publish the
   * reason's wording for a rollback; this one names the alarms, as the deployment's failure record looks for.
   * Two events follow: a deployment state change (the green fleet Deleting, the endpoint as it now is), then the
   * endpoint's IN_SERVICE state change.
   */
  private rollBack(endpoint: EndpointState, pending: PendingDeployment, alarms: readonly string[]): void {
    const now = Date.now();
    const stage = currentStage(pending, now);
    delete endpoint.pending;
    endpoint.status = 'InService';
    endpoint.lastModifiedTime = now;
    endpoint.failureReason =
      `Deployment of endpoint configuration "${pending.endpointConfigName}" was rolled back: CloudWatch ` +
      `alarm(s) ${alarms.join(', ')} in ALARM state during the ${stage?.status ?? 'Creating'} stage. All ` +
      `traffic is served by endpoint configuration "${endpoint.serving?.endpointConfigName ?? ''}".`;
    this.terminateGreen(endpoint, pending, now, { alarms: [...alarms] });
  }

  /**
   * An update that did not complete, its endpoint already back on blue: saved and rescheduled, then the two
   * events SageMaker sends — the green fleet Deleting ("Terminating X instance(s).") and the endpoint's state.
   */
  private terminateGreen(
    endpoint: EndpointState,
    pending: PendingDeployment,
    now: number,
    why: Pick<DeploymentStageChange, 'alarms' | 'healthFailure'>,
  ): void {
    this.store.save();
    this.schedule(endpoint);
    const instances = pending.variants.reduce((sum, variant) => sum + variant.instanceCount, 0);
    this.deploymentStage({
      endpointName: endpoint.name,
      endpointArn: endpoint.arn,
      status: 'Deleting',
      startTime: now,
      message: `Terminating ${instances} instance(s).`,
      trafficPercent: 0,
      pending: structuredClone(pending),
      ...why,
      endpoint: structuredClone(endpoint),
      time: new Date(now),
    });
    this.changed(endpoint);
  }

  /** A nominal wait, at the runtime's time scale. */
  scaled(ms: number): number {
    return ms / this.timeScale;
  }
}

/**
 * The stage a pending deployment is in now (the last one once all have ended). A fleet whose health check has
 * not answered is still Creating, whatever the clock says.
 */
export function currentStage(pending: PendingDeployment, now = Date.now()): DeploymentStage | undefined {
  if (pending.health === 'checking') return pending.stages[0];
  return pending.stages.find((stage) => stage.endsAt > now) ?? pending.stages.at(-1);
}

/** DescribeEndpoint's FailureReason: "Maximum length of 1024" (API_DescribeEndpoint). */
const MAX_FAILURE_REASON = 1024;

/** True when the Creating stage is over and the fleet's health check has not been settled. */
function awaitingHealth(pending: PendingDeployment, now: number): boolean {
  return pending.health === 'checking' && (pending.stages[0]?.endsAt ?? 0) <= now;
}

/** One deployment of an endpoint: its config and when it started. */
function deploymentKey(pending: PendingDeployment): string {
  return `${pending.endpointConfigName}@${pending.startTime}`;
}

/** The index of {@link currentStage}. */
function stageIndex(pending: PendingDeployment, now: number): number {
  if (pending.health === 'checking') return 0;
  const index = pending.stages.findIndex((stage) => stage.endsAt > now);
  return index === -1 ? pending.stages.length - 1 : index;
}

/** The alarms an update's AutoRollbackConfiguration names. */
function rollbackAlarms(pending: PendingDeployment | undefined): string[] {
  return (pending?.deploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).flatMap((alarm) =>
    alarm.AlarmName ? [alarm.AlarmName] : [],
  );
}

/**
 * ProductionVariantStatus.StatusMessage of a stage, in the words of the examples in "SageMaker endpoint
 * deployment state change" (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
 * "Launching X instance(s).", "Activating traffic on canary capacity of X instance(s).", "Baking for X seconds
 * (TerminationWaitInSeconds) with traffic enabled on full capacity of Y instance(s).".
 */
function stageMessage(stage: DeploymentStage, pending: PendingDeployment): string {
  const instances = pending.variants.reduce((sum, variant) => sum + variant.instanceCount, 0);
  if (stage.status === 'Creating') return `Launching ${instances} instance(s).`;
  if (stage.status === 'ActivatingTraffic') {
    const active = Math.max(1, Math.round((instances * stage.trafficPercent) / 100));
    return stage.trafficPercent < 100
      ? `Activating traffic on canary capacity of ${active} instance(s).`
      : `Activating traffic on full capacity of ${instances} instance(s).`;
  }
  const seconds = pending.deploymentConfig?.BlueGreenUpdatePolicy?.TerminationWaitInSeconds ?? 0;
  return `Baking for ${seconds} seconds (TerminationWaitInSeconds) with traffic enabled on full capacity of ${instances} instance(s).`;
}
