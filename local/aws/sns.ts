/**
 * A local SNS for the template's topics: Publish over SNS's awsQuery protocol on 127.0.0.1 (the SDK's
 * SNSClient speaks it: a form-encoded POST `Action=Publish&Version=2010-03-31&TopicArn=…&Message=…`, answered
 * with XML — https://docs.aws.amazon.com/sns/latest/api/API_Publish.html), so the in-process Lambdas reach
 * it through AWS_ENDPOINT_URL_SNS; in-process publishing for the local CloudWatch's alarm actions. Each
 * message goes to the observer (`npm start` prints it) and to `<directory>/<topic name>.jsonl`; an email
 * subscription is shown as "would email <address>" (nothing is sent).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { closeServer, listenLocally } from '../http-server';
import { type CfnTemplate, resourcesOfType } from '../template/template';
import { readBody } from './json-protocol';

/** A subscription of a topic, as the template declares it. */
export interface LocalSubscription {
  readonly protocol: string;
  readonly endpoint: string;
}

/** A topic of the template, with its subscriptions. */
export interface LocalTopic {
  readonly arn: string;
  readonly subscriptions: readonly LocalSubscription[];
}

/** What Publish was given. */
export interface PublishInput {
  readonly TopicArn: string;
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
}

/** One published message and where it would have gone. */
export interface SnsMessage {
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
  /** ISO 8601. */
  readonly Timestamp: string;
  /** One line per subscription, e.g. `would email ops@example.com`. */
  readonly deliveries: readonly string[];
}

export interface LocalSnsOptions {
  readonly topics: readonly LocalTopic[];
  /** Where each topic's messages are appended as JSON Lines; none: memory only. */
  readonly directory?: string;
  /** Called with every message published. */
  readonly onMessage?: (message: SnsMessage) => void;
}

export interface LocalSns {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` or AWS_ENDPOINT_URL_SNS. */
  readonly endpoint: string;
  /** Publishes in-process (as CloudWatch does for an alarm action); throws {@link SnsError} as the API would. */
  publish(input: PublishInput): SnsMessage;
  /** Every message published to the topic since the start, oldest first. */
  messages(topicArn: string): readonly SnsMessage[];
  /** `<directory>/<topic name>.jsonl` */
  file(topicArn: string): string;
  stop(): Promise<void>;
}

/** An SNS error as the awsQuery protocol carries it: Code, Type (Sender: the caller's fault) and HTTP status. */
export class SnsError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** Publish limits: a message of at most 256 KiB (262,144 bytes); a subject under 100 ASCII characters — API_Publish. */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_SUBJECT_LENGTH = 99;

const XMLNS = 'https://sns.amazonaws.com/doc/2010-03-31/';

/** The template's AWS::SNS::Topic resources with their AWS::SNS::Subscription and inline Subscription entries. */
export function topicsFromTemplate(
  template: CfnTemplate,
  resolve: (value: unknown) => unknown,
  arnOf: (logicalId: string) => string,
): LocalTopic[] {
  const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription').map(([, resource]) => {
    const p = resolve(resource.Properties ?? {}) as Record<string, unknown>;
    return { topic: String(p.TopicArn), protocol: String(p.Protocol), endpoint: String(p.Endpoint) };
  });
  return resourcesOfType(template, 'AWS::SNS::Topic').map(([logicalId, resource]) => {
    const arn = arnOf(logicalId);
    const inline = (
      (resolve(resource.Properties ?? {}) as { Subscription?: { Protocol: string; Endpoint: string }[] })
        .Subscription ?? []
    ).map((s) => ({ protocol: s.Protocol, endpoint: s.Endpoint }));
    const declared = subscriptions
      .filter((s) => s.topic === arn)
      .map(({ protocol, endpoint }) => ({ protocol, endpoint }));
    return { arn, subscriptions: [...inline, ...declared] };
  });
}

/** Starts the local SNS on 127.0.0.1 (a free port). */
export async function startLocalSns(options: LocalSnsOptions): Promise<LocalSns> {
  const topics = new Map(options.topics.map((topic) => [topic.arn, topic]));
  const published = new Map<string, SnsMessage[]>();
  if (options.directory) mkdirSync(options.directory, { recursive: true });
  const file = (topicArn: string) => join(options.directory ?? '.', `${topicArn.split(':').at(-1)}.jsonl`);

  const publish = (input: PublishInput): SnsMessage => {
    const topic = topics.get(input.TopicArn);
    if (!topic) throw new SnsError('NotFound', 'Topic does not exist', 404);
    validate(input);
    const message: SnsMessage = {
      MessageId: randomUUID(),
      TopicArn: input.TopicArn,
      ...(input.Subject === undefined ? {} : { Subject: input.Subject }),
      Message: input.Message,
      MessageAttributes: input.MessageAttributes ?? {},
      Timestamp: new Date().toISOString(),
      deliveries: topic.subscriptions.map(delivery),
    };
    const list = published.get(topic.arn) ?? [];
    list.push(message);
    published.set(topic.arn, list);
    if (options.directory) appendFileSync(file(topic.arn), `${JSON.stringify(message)}\n`);
    options.onMessage?.(message);
    return message;
  };

  const server = createServer((request, response) => {
    void handle(request, response, publish).catch((error: unknown) =>
      sendError(response, new SnsError('InternalError', String(error), 500)),
    );
  });
  const port = await listenLocally(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    publish,
    messages: (topicArn) => published.get(topicArn) ?? [],
    file,
    stop: () => closeServer(server),
  };
}

function delivery(subscription: LocalSubscription): string {
  if (subscription.protocol === 'email' || subscription.protocol === 'email-json') {
    return `would email ${subscription.endpoint}`;
  }
  return `would deliver to ${subscription.protocol} ${subscription.endpoint}`;
}

function validate(input: PublishInput): void {
  if (input.Message === undefined || input.Message === '') {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message', 400);
  }
  if (Buffer.byteLength(input.Message, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long', 400);
  }
  const subject = input.Subject;
  if (subject !== undefined && (subject.length > MAX_SUBJECT_LENGTH || !/^[\x20-\x7e]+$/.test(subject))) {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Subject', 400);
  }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  publish: (input: PublishInput) => SnsMessage,
): Promise<void> {
  const form = new URLSearchParams(await readBody(request));
  const action = form.get('Action');
  try {
    if (action !== 'Publish') {
      throw new SnsError(
        'InvalidAction',
        `SNS ${action ?? 'this action'} is not served by the local runtime.`,
        400,
      );
    }
    const message = publish({
      TopicArn: form.get('TopicArn') ?? '',
      Message: form.get('Message') ?? '',
      ...(form.has('Subject') ? { Subject: form.get('Subject') ?? '' } : {}),
      MessageAttributes: messageAttributes(form),
    });
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${message.MessageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  } catch (error) {
    if (error instanceof SnsError) sendError(response, error);
    else throw error;
  }
}

/** `MessageAttributes.entry.N.Name`, `.Value.DataType`, `.Value.StringValue` (awsQuery's map serialization). */
function messageAttributes(
  form: URLSearchParams,
): Record<string, { DataType: string; StringValue?: string }> {
  const attributes: Record<string, { DataType: string; StringValue?: string }> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n += 1) {
    const prefix = `MessageAttributes.entry.${n}`;
    const value = form.get(`${prefix}.Value.StringValue`);
    attributes[form.get(`${prefix}.Name`) ?? ''] = {
      DataType: form.get(`${prefix}.Value.DataType`) ?? 'String',
      ...(value === null ? {} : { StringValue: value }),
    };
  }
  return attributes;
}

function sendError(response: ServerResponse, error: SnsError): void {
  response.writeHead(error.status, { 'content-type': 'text/xml' });
  response.end(
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
