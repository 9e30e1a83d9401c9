/**
 * Publishing one of the stack's events (source {@link EVENT_SOURCE}) on its bus. PutEvents can succeed as a
 * request yet refuse the entry (FailedEntryCount, and ErrorCode / ErrorMessage on the entry:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html); the SDK retries failed
 * requests only, so refused entries are retried here, with a doubling backoff from 200 ms.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from './events';

export interface PutEventOptions {
  /** How many times to send the entry before giving up. @default 1 */
  readonly attempts?: number;
  /** Told of each refusal that will be retried. */
  readonly onRetry?: (refusal: PutEventRefusal) => void;
}

export interface PutEventRefusal {
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  /** The attempts made so far. */
  readonly attempt: number;
}

/** What happened to the entry: published with its event id, or refused at every attempt (the last refusal). */
export type PutEventOutcome =
  | { readonly published: true; readonly eventId: string | undefined }
  | ({ readonly published: false } & PutEventRefusal);

/** Sends one event; `busName` 'default' is the account's default bus (PutEvents without a bus name). */
export async function putEvent(
  client: Pick<EventBridgeClient, 'send'>,
  busName: string,
  detailType: string,
  detail: object,
  options: PutEventOptions = {},
): Promise<PutEventOutcome> {
  const entry = {
    Source: EVENT_SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    ...(busName === 'default' ? {} : { EventBusName: busName }),
  };
  const attempts = options.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    const output = await client.send(new PutEventsCommand({ Entries: [entry] }));
    const result = output.Entries?.[0];
    if (!output.FailedEntryCount && !result?.ErrorCode) return { published: true, eventId: result?.EventId };
    const refusal = { errorCode: result?.ErrorCode, errorMessage: result?.ErrorMessage, attempt };
    if (attempt >= attempts) return { published: false, ...refusal };
    options.onRetry?.(refusal);
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
  }
}
