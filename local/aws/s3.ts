import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly endpoint: string;
  readonly port: number;
  /** Emits S3-notification-shaped records for every object created or removed. */
  onEvent(listener: (record: S3EventRecord) => void): void;
  stop(): Promise<void>;
}

/** The part of s3rver's notification record the runtime reads. */
export interface S3EventRecord {
  readonly eventName: string;
  readonly eventTime: string;
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: {
      readonly key: string;
      readonly size?: number;
      readonly eTag?: string;
      readonly sequencer?: string;
    };
  };
}

export interface LocalS3Options {
  /** Where objects are kept; a restart with the same directory keeps them. */
  readonly directory: string;
  readonly buckets: readonly string[];
  /** @default 0 - a free port */
  readonly port?: number;
}

/**
 * s3rver on 127.0.0.1 (the only offline S3 server). Clients must sign with S3RVER/S3RVER, use an IP endpoint
 * (the SDK then uses path-style URLs) and set AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED, or streamed
 * uploads are stored with their aws-chunked framing: see s3-client.ts.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    onEvent: (listener) =>
      server.on('event', (event: { Records: S3EventRecord[] }) => {
        for (const record of event.Records) listener(record);
      }),
    stop: async () => {
      await server.close();
    },
  };
}
