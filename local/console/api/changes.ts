/**
 * GET /api/events: Server-Sent Events telling open pages that something changed, so they refetch what they
 * show instead of polling. Changes of one kind within {@link COALESCE_MS} are sent once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What changed; a page refetches when it shows data of that kind. */
export const CHANGE_KINDS = ['runs', 'models', 'deployments', 'endpoints', 'drift', 'alarms'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** A run that trains for minutes emits many events: one message per kind this often at most. */
export const COALESCE_MS = 250;
/** A comment line this often keeps proxies and the browser from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/** The open event streams and the changes waiting to be sent to them. */
export class ChangeStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly pending = new Set<ChangeKind>();
  private timer: NodeJS.Timeout | undefined;
  private readonly keepAlive: NodeJS.Timeout;

  constructor() {
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** Keeps the response open as an event stream until the browser goes away. */
  subscribe(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    response.write(': connected\n\n');
    this.clients.add(response);
    request.on('close', () => this.clients.delete(response));
  }

  /** Queues a change; sent after {@link COALESCE_MS} with the others of that moment. */
  emit(kind: ChangeKind): void {
    this.pending.add(kind);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  close(): void {
    clearInterval(this.keepAlive);
    if (this.timer) clearTimeout(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const kinds = [...this.pending];
    this.pending.clear();
    for (const kind of kinds) this.write(`event: change\ndata: ${JSON.stringify({ kind })}\n\n`);
  }

  private write(text: string): void {
    for (const client of this.clients) client.write(text);
  }
}

/** The LocalApp observer's callbacks this stream listens to (a subset of LocalAppObserver). */
export interface ChangeObserver {
  executionStarted(execution: { readonly id: string; readonly stateMachine: string }): void;
  executionFinished(executionId: string): void;
  trainingMetric(): void;
  serviceEvent(event: Readonly<Record<string, unknown>>): void;
  notification(): void;
}

/**
 * Turns what the local runtime reports as it happens into changes: executions (runs, deployments, drift
 * checks), the services' events (endpoints, deployment stages, alarms) and notifications.
 */
export function changeObserver(changed: (kind: ChangeKind) => void): ChangeObserver {
  const byMachine = (stateMachine: string): ChangeKind[] => {
    const name = stateMachine.toLowerCase();
    if (name.includes('deploy')) return ['deployments', 'endpoints', 'models'];
    if (name.includes('drift') || name.includes('monitor') || name.includes('quality')) return ['drift'];
    return ['runs', 'models'];
  };
  const machines = new Map<string, string>();
  return {
    executionStarted: (execution) => {
      machines.set(execution.id, execution.stateMachine);
      for (const kind of byMachine(execution.stateMachine)) changed(kind);
    },
    executionFinished: (executionId) => {
      for (const kind of byMachine(machines.get(executionId) ?? executionId)) changed(kind);
      machines.delete(executionId);
    },
    trainingMetric: () => changed('runs'),
    serviceEvent: (event) => {
      const type = String(event['detail-type'] ?? '').toLowerCase();
      if (type.includes('alarm')) changed('alarms');
      else if (type.includes('endpoint')) changed('endpoints');
      else changed('deployments');
    },
    notification: () => changed('alarms'),
  };
}
