import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLocally } from '../http-server';
import { readBody, reply } from './json-protocol';

/** An event as PutEvents receives it, plus what EventBridge adds. */
export interface LocalEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: unknown;
  readonly time: string;
  readonly resources: readonly string[];
  readonly account: string;
  readonly region: string;
  readonly eventBusName: string;
}

export interface LocalEventBridge {
  readonly endpoint: string;
  /** Every event put so far, oldest first. */
  readonly events: readonly LocalEvent[];
  onEvent(listener: (event: LocalEvent) => void): void;
  /** PutEvents in-process (Step Functions' events:putEvents integration): same checks, same answer. */
  put(entries: readonly PutEventsEntry[]): PutEventsResult;
  stop(): Promise<void>;
}

/** A PutEvents request entry (PutEventsRequestEntry). */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
  readonly Time?: string;
}

/** PutEvents' response: one result per entry, in order; failed ones carry ErrorCode and ErrorMessage. */
export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

interface PutEventsRequest {
  readonly Entries?: readonly PutEventsEntry[];
}

/**
 * The PutEvents operation of EventBridge's JSON 1.1 protocol on 127.0.0.1, enough for the SDK's
 * EventBridgeClient with its defaults. Hand-written: no npm package serves EventBridge offline.
 */
export async function startLocalEventBridge(env: {
  account: string;
  region: string;
}): Promise<LocalEventBridge> {
  const events: LocalEvent[] = [];
  const listeners: ((event: LocalEvent) => void)[] = [];
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      reply(response, 500, { __type: 'InternalFailure', message: String(error) }),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = await readBody(request);
    if (target !== 'AWSEvents.PutEvents') {
      reply(response, 400, {
        __type: 'UnknownOperationException',
        message: `${target || 'This operation'} is not served locally`,
      });
      return;
    }
    const { Entries = [] } = JSON.parse(body || '{}') as PutEventsRequest;
    reply(response, 200, put(Entries));
  }

  function put(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results = entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      const event: LocalEvent = {
        id: randomUUID(),
        source: entry.Source,
        'detail-type': entry.DetailType,
        detail,
        time: entry.Time ?? new Date().toISOString(),
        resources: entry.Resources ?? [],
        account: env.account,
        region: env.region,
        eventBusName: entry.EventBusName ?? 'default',
      };
      events.push(event);
      for (const listener of listeners) listener(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  const port = await listenLocally(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    onEvent: (listener) => listeners.push(listener),
    put,
    stop: () => closeServer(server),
  };
}
