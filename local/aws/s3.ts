import { AsyncLocalStorage } from 'node:async_hooks';
import { createCipheriv, randomUUID } from 'node:crypto';
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
      /** The version id the uploader was given (x-amz-version-id), as a versioned bucket's event has it. */
      readonly versionId?: string;
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
  requireDes();
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  // s3rver keeps no versions; the buckets of the stack are versioned. Every object write gets a version id,
  // returned as x-amz-version-id (as S3 does for a versioned bucket) and put in its event, so an uploader can
  // name the run its upload starts (lambdas/shared/runs.ts).
  const request = new AsyncLocalStorage<{ versionId: string }>();
  (server as unknown as { middleware: unknown[] }).middleware.unshift(
    async (
      ctx: { method: string; path: string; set(name: string, value: string): void },
      next: () => Promise<void>,
    ) => {
      const write = (ctx.method === 'PUT' || ctx.method === 'POST') && ctx.path.split('/').length > 2;
      if (!write) return next();
      const store = { versionId: randomUUID().replaceAll('-', '') };
      await request.run(store, next);
      ctx.set('x-amz-version-id', store.versionId);
    },
  );
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    onEvent: (listener) =>
      server.on('event', (event: { Records: S3EventRecord[] }) => {
        const versionId = request.getStore()?.versionId;
        for (const record of event.Records) {
          const object = versionId === undefined ? record.s3.object : { ...record.s3.object, versionId };
          listener({ ...record, s3: { ...record.s3, object } });
        }
      }),
    stop: async () => {
      await server.close();
    },
  };
}

/**
 * s3rver ciphers ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) only offers through
 * its legacy provider: without it every truncated listing (more than max-keys objects) answers 500. Refused
 * at start rather than on the first long listing. npm start, npm test and npm run bench pass the flag.
 */
function requireDes(): void {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new Error(
      "The local S3 (s3rver) needs OpenSSL's legacy provider for paginated listings: start Node with " +
        '--openssl-legacy-provider (or NODE_OPTIONS=--openssl-legacy-provider), as npm start and npm test do.',
    );
  }
}
