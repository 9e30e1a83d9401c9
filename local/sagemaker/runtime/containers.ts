/**
 * The containers behind a fleet's variants, started once per (model, image, artifact) and kept while a fleet
 * uses them. Each gets its model as SageMaker hosting gives it: ModelDataUrl's model.tar.gz extracted into a
 * directory that stands for /opt/ml/model. The built-in XGBoost image is served in-process
 * (built-in-xgboost.ts); an image mapped to a serving command runs that command under SageMaker's hosting
 * contract (the model in SM_MODEL_DIR / <SAGEMAKER_ML_ROOT>/model, a port in SAGEMAKER_BIND_TO_PORT,
 * GET /ping until 200, then POST /invocations) —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { x as extractTar } from 'tar';
import { loadModel } from '../../trainers/xgboost/gbdt';
import { MODEL_FILE } from '../../trainers/xgboost/training-job';
import type { FleetVariant } from '../hosting-state';
import { parseS3Uri } from '../s3-transfer';
import { startTrainer, type TrainerProcess } from '../trainer-process';
import { BuiltInXgboost, type ContainerResponse } from './built-in-xgboost';

export type { ContainerResponse } from './built-in-xgboost';

/** A serving command for the images it matches (`mlops.local.trainers[].serve`). */
export interface ServerMapping {
  /** A RegExp searched in the image URI, or the image itself (with or without tag). */
  readonly image: string | RegExp;
  readonly command: string;
  readonly args?: readonly string[];
}

/** What the runtime passes a container for one invocation. */
export interface ContainerRequest {
  readonly body: Buffer;
  readonly contentType?: string;
  readonly accept?: string;
  readonly customAttributes?: string;
}

export interface Container {
  invoke(request: ContainerRequest): Promise<ContainerResponse>;
  stop(): Promise<void>;
  /**
   * Set when the container runs but would never answer GET /ping with 200: what its log says (the built-in
   * XGBoost image exits when its model does not load, so SageMaker's ping health check fails).
   */
  readonly unhealthy?: string;
}

/**
 * The model artifact could not be downloaded or extracted: SageMaker fails the fleet with this message before
 * any container starts.
 */
export class ModelDataError extends Error {
  override readonly name = 'ModelDataError';
}

/** The image SageMaker's built-in XGBoost runs from (any region's registry, any 1.x tag). */
const BUILT_IN_XGBOOST = /\/sagemaker-xgboost:/;
/** How long a serving command has to answer GET /ping with 200 (SageMaker's default health check is longer). */
const DEFAULT_STARTUP_MS = 60_000;
/** SageMaker gives a container 60 s to answer an invocation (API_runtime_InvokeEndpoint). */
const INVOCATION_TIMEOUT_MS = 60_000;

/** The identity of a variant's container: what it runs and from which artifact. */
export function containerKey(variant: FleetVariant): string {
  const container = variant.containers[0];
  return JSON.stringify([variant.modelName, container?.Image ?? '', container?.ModelDataUrl ?? '']);
}

export interface ContainersOptions {
  readonly s3: S3Client;
  /** Models are extracted (and servers log) under `<workDir>/models/<id>/`. */
  readonly workDir: string;
  readonly servers: readonly ServerMapping[];
  /** @default 60000 */
  readonly startupTimeoutMs?: number;
}

/** Started containers by {@link containerKey}. */
export class Containers {
  private readonly started = new Map<string, Promise<Container>>();

  constructor(private readonly options: ContainersOptions) {}

  /** The variant's container, started on first use. A container that failed to start is retried next time. */
  get(variant: FleetVariant): Promise<Container> {
    const key = containerKey(variant);
    let container = this.started.get(key);
    if (!container) {
      container = this.start(key, variant);
      this.started.set(key, container);
      container.catch(() => this.started.delete(key));
    }
    return container;
  }

  /** Keys of the containers started (or starting). */
  keys(): string[] {
    return [...this.started.keys()];
  }

  /** Stops the containers whose key is not in `keep`. */
  async retain(keep: ReadonlySet<string>): Promise<void> {
    const gone = [...this.started.entries()].filter(([key]) => !keep.has(key));
    for (const [key] of gone) this.started.delete(key);
    await Promise.all(gone.map(([, container]) => container.then((c) => c.stop()).catch(() => undefined)));
  }

  async stopAll(): Promise<void> {
    await this.retain(new Set());
  }

  private async start(key: string, variant: FleetVariant): Promise<Container> {
    const spec = variant.containers[0];
    const image = spec?.Image ?? '';
    const environment = (spec?.Environment ?? {}) as Record<string, string>;
    const root = join(
      this.options.workDir,
      'models',
      createHash('sha256').update(key).digest('hex').slice(0, 16),
    );
    const modelDir = join(root, 'model');
    await extractModel(this.options.s3, spec?.ModelDataUrl, root, modelDir);
    const server = findServer(this.options.servers, image);
    if (server) {
      return startServerContainer(server, {
        root,
        modelDir,
        environment,
        startupTimeoutMs: this.options.startupTimeoutMs ?? DEFAULT_STARTUP_MS,
      });
    }
    if (BUILT_IN_XGBOOST.test(image)) return builtInContainer(modelDir, environment);
    const unmapped =
      `No local server for image ${image}: map it to a serving command in mlops.local.trainers[].serve ` +
      '(docs/local-serving.md).';
    // Nothing would answer GET /ping for it.
    return { ...failingContainer(500, unmapped), unhealthy: unmapped };
  }
}

/** The serving command an image maps to, matched as trainers are (local/sagemaker/training-job.ts). */
export function findServer(servers: readonly ServerMapping[], image: string): ServerMapping | undefined {
  return servers.find((server) =>
    typeof server.image === 'string'
      ? image === server.image || image.startsWith(`${server.image}:`)
      : image.search(server.image) !== -1,
  );
}

/** ModelDataUrl's archive extracted into `modelDir` (empty without one), as SageMaker does at start-up. */
async function extractModel(
  s3: S3Client,
  modelDataUrl: string | undefined,
  root: string,
  modelDir: string,
): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(modelDir, { recursive: true });
  if (!modelDataUrl) return;
  const location = parseS3Uri(modelDataUrl);
  if (!location) throw new ModelDataError(`ModelDataUrl ${modelDataUrl} is not an S3 URI`);
  let bytes: Uint8Array;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    // AWS does not publish this message; worded as the extraction one below, with S3's answer.
    throw new ModelDataError(
      `Failed to download model data from URL "${modelDataUrl}" (${(error as Error).name}: ` +
        `${(error as Error).message}). Please ensure that there is an object located at the URL and that the ` +
        'role passed to CreateModel has permissions to download the object.',
    );
  }
  const archive = join(root, 'model.tar.gz');
  await writeFile(archive, bytes);
  try {
    // strict: a damaged archive is an error, not a warning (node-tar only warns by default).
    await extractTar({ file: archive, cwd: modelDir, strict: true });
  } catch {
    // SageMaker's FailureReason for an archive it cannot extract, as endpoints report it (e.g. in
    // aws/deep-learning-containers#569; re:Post "sagemaker-endpoint-creation-fail").
    throw new ModelDataError(
      `Failed to extract model data archive from URL "${modelDataUrl}". Please ensure that the object ` +
        'located at the URL is a valid tar.gz archive.',
    );
  }
  await rm(archive, { force: true });
}

async function builtInContainer(
  modelDir: string,
  environment: Readonly<Record<string, string>>,
): Promise<Container> {
  const file = join(modelDir, MODEL_FILE);
  let scorer: BuiltInXgboost;
  try {
    scorer = new BuiltInXgboost(loadModel(await readFile(file, 'utf8')), environment);
  } catch (error) {
    // serve.py answers every invocation this way when the model cannot be loaded; its gunicorn workers load
    // the model at start (post_worker_init) and exit when they cannot, so /ping never answers either.
    const reason = existsSync(file) ? (error as Error).message : `no ${MODEL_FILE} in the model archive`;
    return {
      ...failingContainer(500, `Unable to load model: ${reason}`),
      unhealthy: `Unable to load model: ${reason}`,
    };
  }
  return {
    invoke: async (request) => scorer.invoke(request.body, request.contentType, request.accept),
    stop: async () => undefined,
  };
}

function failingContainer(status: number, message: string): Container {
  return {
    invoke: async () => ({ status, body: Buffer.from(message), contentType: 'text/plain' }),
    stop: async () => undefined,
  };
}

interface ServerStart {
  readonly root: string;
  readonly modelDir: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly startupTimeoutMs: number;
}

/** Lines of a server's output kept for error messages (all of them go to `<root>/server.log`). */
const TAIL_LINES = 20;

async function startServerContainer(server: ServerMapping, start: ServerStart): Promise<Container> {
  const port = await freePort();
  const log: WriteStream = createWriteStream(join(start.root, 'server.log'), { flags: 'a' });
  const tail: string[] = [];
  const processHandle: TrainerProcess = startTrainer([server.command, ...(server.args ?? [])], {
    cwd: start.root,
    env: {
      ...(process.env.PATH === undefined ? {} : { PATH: process.env.PATH }),
      SAGEMAKER_ML_ROOT: start.root,
      SM_MODEL_DIR: start.modelDir,
      SAGEMAKER_BIND_TO_PORT: String(port),
      ...start.environment,
    },
    onLine: (stream, line) => {
      log.write(`${stream}: ${line}\n`);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    },
  });
  let exit: string | undefined;
  void processHandle.exited.then((e) => {
    exit = e.spawnError
      ? `could not start (${e.spawnError.message})`
      : `exited (code ${e.code}, signal ${e.signal})`;
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const stop = async (): Promise<void> => {
    agent.destroy();
    processHandle.terminate(2000);
    await processHandle.exited;
    log.end();
  };
  const state = (): string => `the serving command ${server.command} ${exit ?? 'is not answering'}`;
  const lastLines = (): string => (tail.length ? `; its last lines: ${tail.join(' | ')}` : '');

  const deadline = Date.now() + start.startupTimeoutMs;
  for (;;) {
    if (exit !== undefined) {
      await stop();
      throw new Error(`${state()} before GET /ping answered 200${lastLines()}`);
    }
    const status = await ping(port).catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `GET /ping did not answer 200 within ${start.startupTimeoutMs} ms: ${state()}${lastLines()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    invoke: async (request) => {
      if (exit !== undefined)
        return { status: 500, body: Buffer.from(`${state()}${lastLines()}`), contentType: 'text/plain' };
      return post(port, agent, request);
    },
    stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/ping', method: 'GET', timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function post(port: number, agent: Agent, request: ContainerRequest): Promise<ContainerResponse> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'content-length': request.body.length };
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    if (request.accept !== undefined) headers.accept = request.accept;
    if (request.customAttributes !== undefined)
      headers['x-amzn-sagemaker-custom-attributes'] = request.customAttributes;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/invocations',
        method: 'POST',
        agent,
        headers,
        timeout: INVOCATION_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const attributes = res.headers['x-amzn-sagemaker-custom-attributes'];
          resolve({
            status: res.statusCode ?? 500,
            body: Buffer.concat(chunks),
            contentType: res.headers['content-type'] ?? 'application/octet-stream',
            ...(typeof attributes === 'string' ? { customAttributes: attributes } : {}),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${INVOCATION_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) =>
      resolve({
        status: 500,
        body: Buffer.from(`POST /invocations failed: ${error.message}`),
        contentType: 'text/plain',
      }),
    );
    req.end(request.body);
  });
}
