/**
 * The stack's SQS queues, locally: messages sent to a queue ARN (Lambda's on-failure records, for one) are
 * kept in order, in memory for tests and as JSON Lines in `<directory>/<queue name>.jsonl` for people
 * (`tail -f .mlops-local/sqs/*.jsonl`). Nothing consumes them: the stack's queues are dead-letter queues.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A message as SQS's ReceiveMessage would give it (the fields that matter here). */
export interface QueueMessage {
  readonly MessageId: string;
  readonly Body: string;
  /** When it was sent, ISO 8601. */
  readonly SentTimestamp: string;
}

export class LocalQueues {
  private readonly queues = new Map<string, QueueMessage[]>();

  /** @param directory where each queue's messages are appended, one JSON line each; none: memory only */
  constructor(private readonly directory?: string) {
    if (directory) mkdirSync(directory, { recursive: true });
  }

  /** SendMessage to the queue with this ARN. */
  send(queueArn: string, body: string): QueueMessage {
    const message: QueueMessage = {
      MessageId: randomUUID(),
      Body: body,
      SentTimestamp: new Date().toISOString(),
    };
    const messages = this.queues.get(queueArn) ?? [];
    messages.push(message);
    this.queues.set(queueArn, messages);
    if (this.directory) appendFileSync(this.file(queueArn), `${JSON.stringify(message)}\n`);
    return message;
  }

  /** Every message sent to the queue since the runtime started, oldest first. */
  messages(queueArn: string): readonly QueueMessage[] {
    return this.queues.get(queueArn) ?? [];
  }

  /** `<directory>/<queue name>.jsonl` */
  file(queueArn: string): string {
    return join(this.directory ?? '.', `${queueArn.split(':').at(-1)}.jsonl`);
  }
}
