/**
 * A local CloudWatch: metrics (PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics), metric alarms
 * evaluated as CloudWatch evaluates them (PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState),
 * composite alarms over them (PutCompositeAlarm; kept in memory, re-evaluated on every child's change) and
 * alarm state changes as EventBridge events, over CloudWatch's awsJson1_0 protocol on 127.0.0.1 (the SDK's
 * CloudWatchClient speaks it: X-Amz-Target `GraniteServiceVersion20100801.<Operation>`), so the SDK works
 * against it with only an `endpoint`. Metrics live in memory; alarms persist in `<workDir>/alarms.json`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type {
  DeleteAlarmsInput,
  GetMetricDataInput,
  GetMetricStatisticsInput,
  MetricDatum,
  PutCompositeAlarmInput,
  PutMetricAlarmInput,
  SetAlarmStateInput,
} from '@aws-sdk/client-cloudwatch';
import { readBody } from '../aws/json-protocol';
import { closeServer, listenLocally } from '../http-server';
import { AlarmBook } from './alarm-book';
import type { AlarmStateValue } from './alarms';
import { evaluateAlarmRule, parseAlarmRule, type RuleNode } from './composite';
import { ingestEmf } from './emf';
import { CloudWatchError } from './errors';
import { getMetricData } from './metric-data';
import { getMetricStatistics, listMetrics } from './queries';
import { MetricStore } from './store';

export type { MetricDatum } from '@aws-sdk/client-cloudwatch';
export type { AlarmStateValue } from './alarms';
export { CloudWatchError } from './errors';
export { ALARM_STATE_CHANGE } from './events';

export interface LocalCloudWatchOptions {
  /** Region and account in alarm ARNs and events. */
  region: string;
  account: string;
  /** Alarm periods last `Period / timeScale` real seconds: the runtime's --time-scale. @default 1 */
  timeScale?: number;
  /**
   * The shortest real length of an alarm period, whatever the time scale. The local SageMaker Runtime
   * publishes its metrics once a second (SageMaker: once a minute), so shorter periods would mostly be
   * empty. @default 1000
   */
  minAlarmPeriodMs?: number;
  /** Alarm state changes as EventBridge events (full event objects: version, id, detail-type, source, ...). */
  onEvent?: (event: Record<string, unknown>) => void;
  /** Alarms persist in `<workDir>/alarms.json` (metrics stay in memory). @default none: alarms in memory only */
  workDir?: string;
}

export interface LocalCloudWatch {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` or AWS_ENDPOINT_URL_CLOUDWATCH. */
  readonly endpoint: string;
  /**
   * Publishes metric data in-process as an AWS service does (AWS/ namespaces allowed), with PutMetricData's
   * validation otherwise: throws the {@link CloudWatchError} the API would answer with.
   */
  putMetricData(namespace: string, data: readonly MetricDatum[]): void;
  /** Takes one log line; when it is an embedded-metric-format document, stores its metrics and returns true. */
  ingestEmf(line: string): boolean;
  /** PutMetricAlarm in-process (the local runtime creates the template's alarms with it). */
  putMetricAlarm(input: PutMetricAlarmInput): void;
  /** PutCompositeAlarm in-process: evaluated at once and whenever an alarm it names changes state. */
  putCompositeAlarm(input: PutCompositeAlarmInput): void;
  /** An alarm's current state (metric or composite), undefined when there is no such alarm. */
  alarmState(name: string): AlarmStateValue | undefined;
  /** What an alarm does on a state change and why it is in its state (metric or composite). */
  alarmInfo(name: string): AlarmInfo | undefined;
  /** Called on every alarm state change, composite alarms' too. Returns an unsubscribe. */
  onAlarmChange(listener: (alarmName: string, state: string, previous: string) => void): () => void;
  /** Stops evaluating and closes the server. */
  stop(): Promise<void>;
}

/** An alarm's actions, description and state, for its notifications. */
export interface AlarmInfo {
  readonly arn: string;
  readonly description?: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** The actions of each state (AlarmActions, OKActions, InsufficientDataActions). */
  readonly actions: Readonly<Record<AlarmStateValue, readonly string[]>>;
  readonly actionsEnabled: boolean;
}

interface CompositeAlarm {
  readonly config: PutCompositeAlarmInput & { AlarmName: string; AlarmRule: string };
  readonly rule: RuleNode;
  state: AlarmStateValue;
  reason: string;
}

type Operation = (body: Record<string, unknown>) => unknown;

/** Starts the local CloudWatch on 127.0.0.1 (a free port); alarms from `<workDir>/alarms.json` resume. */
export async function startLocalCloudWatch(options: LocalCloudWatchOptions): Promise<LocalCloudWatch> {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
  const store = new MetricStore();
  const alarms = new AlarmBook({
    ...options,
    timeScale,
    minAlarmPeriodMs: options.minAlarmPeriodMs ?? 1000,
    store,
  });
  await alarms.load();
  const listeners = new Set<(alarmName: string, state: string, previous: string) => void>();
  const composites = new Map<string, CompositeAlarm>();
  const stateOf = (alarm: string): AlarmStateValue | undefined => {
    const name = alarm.includes(':alarm:') ? (alarm.split(':alarm:')[1] ?? '') : alarm;
    return composites.get(name)?.state ?? alarms.state(name);
  };
  const evaluateComposite = (composite: CompositeAlarm): void => {
    const value: AlarmStateValue = evaluateAlarmRule(composite.rule, stateOf) ? 'ALARM' : 'OK';
    if (value === composite.state) return;
    const previous = composite.state;
    composite.state = value;
    composite.reason = `Alarm rule ${value === 'ALARM' ? 'holds' : 'does not hold'}: ${composite.config.AlarmRule}`;
    for (const listener of listeners) listener(composite.config.AlarmName, value, previous);
  };
  const changed = (alarmName: string, state: string, previous: string) => {
    for (const listener of listeners) listener(alarmName, state, previous);
    // A composite may name another composite: evaluate until nothing changes (each change notifies).
    for (const composite of composites.values()) {
      if (composite.config.AlarmName !== alarmName) evaluateComposite(composite);
    }
  };
  alarms.onChange(changed);
  const putCompositeAlarm = (input: PutCompositeAlarmInput): void => {
    if (!input.AlarmName) throw new CloudWatchError('ValidationError', 'AlarmName is required');
    if (!input.AlarmRule) throw new CloudWatchError('ValidationError', 'AlarmRule is required');
    const rule = parseAlarmRule(input.AlarmRule);
    const existing = composites.get(input.AlarmName);
    const composite: CompositeAlarm = {
      config: { ...input, AlarmName: input.AlarmName, AlarmRule: input.AlarmRule },
      rule,
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      reason: existing?.reason ?? 'Unchecked: Initial alarm creation',
    };
    composites.set(input.AlarmName, composite);
    evaluateComposite(composite);
  };
  const alarmInfo = (name: string): AlarmInfo | undefined => {
    const composite = composites.get(name);
    const metric = composite ? undefined : alarms.describe({ AlarmNames: [name] }).MetricAlarms?.[0];
    const c = composite?.config ?? metric;
    if (!c) return undefined;
    return {
      arn: `arn:aws:cloudwatch:${options.region}:${options.account}:alarm:${name}`,
      ...(c.AlarmDescription === undefined ? {} : { description: c.AlarmDescription }),
      state: composite?.state ?? (metric?.StateValue as AlarmStateValue),
      reason: composite?.reason ?? metric?.StateReason ?? '',
      actions: {
        ALARM: c.AlarmActions ?? [],
        OK: c.OKActions ?? [],
        INSUFFICIENT_DATA: c.InsufficientDataActions ?? [],
      },
      actionsEnabled: c.ActionsEnabled ?? true,
    };
  };
  const operations: Record<string, Operation> = {
    PutMetricData: (body) => {
      store.put(body.Namespace, body.MetricData, Date.now());
      return {};
    },
    GetMetricStatistics: (body) => getMetricStatistics(store, body as unknown as GetMetricStatisticsInput),
    GetMetricData: (body) => getMetricData(store, body as unknown as GetMetricDataInput),
    ListMetrics: (body) => listMetrics(store, body),
    PutMetricAlarm: (body) => {
      alarms.put(body as unknown as PutMetricAlarmInput);
      return {};
    },
    DescribeAlarms: (body) => alarms.describe(body),
    DeleteAlarms: (body) => {
      alarms.delete(body as unknown as DeleteAlarmsInput);
      return {};
    },
    PutCompositeAlarm: (body) => {
      putCompositeAlarm(body as unknown as PutCompositeAlarmInput);
      return {};
    },
    SetAlarmState: (body) => {
      alarms.setState(body as unknown as SetAlarmStateInput);
      return {};
    },
  };

  const server = createServer((request, response) => {
    void handle(operations, request, response).catch((error: unknown) =>
      send(response, new CloudWatchError('InternalServiceError', String(error))),
    );
  });
  const port = await listenLocally(server);
  alarms.start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    putMetricData: (namespace, data) => store.put(namespace, data, Date.now(), true),
    ingestEmf: (line) => ingestEmf(store, line),
    putMetricAlarm: (input) => alarms.put(input),
    putCompositeAlarm,
    alarmState: (name) => composites.get(name)?.state ?? alarms.state(name),
    alarmInfo,
    onAlarmChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      alarms.stop();
      await closeServer(server);
      await alarms.flush();
    },
  };
}

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';

async function handle(
  operations: Record<string, Operation>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const body = await readRequestBody(request);
  const operation = target.startsWith(TARGET_PREFIX)
    ? operations[target.slice(TARGET_PREFIX.length)]
    : undefined;
  if (!operation) {
    // Not a modeled error of CloudWatch's: the generic one AWS's front door answers for an unknown target.
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(
      JSON.stringify({
        __type: 'UnknownOperationException',
        message: `${target || 'This operation'} is not served locally`,
      }),
    );
    return;
  }
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body || '{}') as Record<string, unknown>;
  } catch {
    send(response, new CloudWatchError('InvalidParameterValue', 'The request body is not valid JSON.'));
    return;
  }
  try {
    const output = operation(input);
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(toWire(output)));
  } catch (error) {
    if (error instanceof CloudWatchError) send(response, error);
    else throw error;
  }
}

/**
 * The request's JSON text. PutMetricData carries Smithy's requestCompression trait: the SDK gzips bodies
 * over 10 KiB (Content-Encoding: gzip), as the API reference allows ("You can send a payload compressed by gzip").
 */
async function readRequestBody(request: IncomingMessage): Promise<string> {
  if (!/\bgzip\b/.test(String(request.headers['content-encoding'] ?? ''))) return readBody(request);
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return gunzipSync(Buffer.concat(chunks)).toString('utf8');
}

function send(response: ServerResponse, error: CloudWatchError): void {
  response.writeHead(error.status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': error.queryError,
  });
  response.end(JSON.stringify(error.body()));
}

/** awsJson carries timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, toWire(v)]])),
    );
  }
  return value;
}
