/**
 * What the commands that ask the stack to act (runs retry, approve/reject, deploy/rollback) share: who the
 * operator is, the --reason check, and sending the one EventBridge event the stack's rules react to.
 */
import { hostname, userInfo } from 'node:os';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../lambdas/shared/events';
import { UsageError } from './errors';

/** The longest reason a request carries (the audit event's limit). */
export const MAX_REASON_CHARS = 2_000;

/** `<os user>@<host>`, the actor recorded for what the operator asks. */
export function currentOperator(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/**
 * --reason, trimmed; absent stays absent.
 *
 * @throws UsageError when it is empty or longer than {@link MAX_REASON_CHARS}
 */
export function checkReason(value: string | undefined): string | undefined {
  const reason = value?.trim();
  if (reason !== undefined && (reason === '' || reason.length > MAX_REASON_CHARS)) {
    throw new UsageError(`Invalid --reason: expected 1 to ${MAX_REASON_CHARS} characters`);
  }
  return reason;
}

/** Where the stack's events go. */
export interface EventTarget {
  readonly events: Pick<EventBridgeClient, 'send'>;
  /** The stack's bus (name or ARN). */
  readonly eventBus: string;
}

/**
 * Puts one event (source {@link EVENT_SOURCE}) on the stack's bus: its id, or why EventBridge refused it.
 * PutEvents reports a refused entry in the response, not as an error: FailedEntryCount, and ErrorCode /
 * ErrorMessage on the entry (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html).
 * A failed call (network, credentials) throws as the SDK throws it.
 */
export async function putEvent(
  target: EventTarget,
  detailType: string,
  detail: unknown,
): Promise<{ readonly eventId: string } | { readonly refused: string }> {
  const response = await target.events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: EVENT_SOURCE,
          DetailType: detailType,
          Detail: JSON.stringify(detail),
          EventBusName: target.eventBus,
        },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) === 0 && entry?.EventId !== undefined)
    return { eventId: entry.EventId };
  return {
    refused:
      entry?.ErrorCode === undefined
        ? 'no event id returned'
        : `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`.trim(),
  };
}

/** A failed PutEvents call, in words. */
export function describeSendFailure(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
