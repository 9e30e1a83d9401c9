import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { readBody, reply } from '../aws/json-protocol';
import { closeServer, listenLocally } from '../http-server';
import { resourceNotFound, SageMakerApiError } from './api-error';
import {
  endpointDeploymentStateChangeEvent,
  endpointStateChangeEvent,
  type SageMakerEndpointEvent,
} from './endpoint-events';
import type { DeploymentStageChange, EndpointStatusChange } from './endpoint-lifecycle';
import { LocalHosting } from './hosting';
import type { MetricDefinition } from './metrics';
import { type TrainerMapping, TrainingJob, type TrainingJobEvent } from './training-job';
import { validateCreateTrainingJob } from './validation';

export type { SageMakerEndpointEvent } from './endpoint-events';
export type { DeploymentStageChange, EndpointStatusChange } from './endpoint-lifecycle';
export type { EndpointState, Fleet, FleetVariant, PendingDeployment } from './hosting-state';
export type { MetricDefinition } from './metrics';
export type { SecondaryStatus, TrainerMapping, TrainingJobEvent, TrainingJobStatus } from './training-job';

export interface LocalSageMakerOptions {
  /** Job directories (`<workDir>/<jobName>`, laid out like /opt/ml) and job logs go here. */
  readonly workDir: string;
  /**
   * How the local S3 is reached (input channels, model artifacts). s3rver's settings are the defaults:
   * `region` from below, path-style URLs, checksums only when required.
   */
  readonly s3: S3ClientConfig;
  /** The commands that stand in for training images; a job whose image matches none fails. */
  readonly trainers: readonly TrainerMapping[];
  /** The metric definitions SageMaker has built in for an image (e.g. XGBoost's), [] for custom images. */
  readonly builtInMetricDefinitions?: (image: string) => readonly MetricDefinition[];
  /** Account and region in the ARNs. @default 000000000000, us-east-1 */
  readonly account?: string;
  readonly region?: string;
  /** How long a stopped trainer has between SIGTERM and SIGKILL. @default 120000 - SageMaker's 120 s */
  readonly stopGracePeriodMs?: number;
  /** @default 0 - a free port */
  readonly port?: number;
  /**
   * Endpoint lifecycle waits (provisioning, deletion, and a blue/green update's traffic steps and baking) run
   * this many times faster than their nominal length: the runtime's --time-scale. @default 1
   */
  readonly timeScale?: number;
  /**
   * Nominal ms to provision an endpoint's fleet and to delete an endpoint (SageMaker takes minutes; nothing is
   * provisioned locally). @default { provisionMs: 2000, deleteMs: 500 }
   */
  readonly hostingDelays?: { readonly provisionMs?: number; readonly deleteMs?: number };
  /** Instances each type may use across endpoints ("<type> for endpoint usage"). @default no limit */
  readonly instanceQuotas?: Readonly<Record<string, number>>;
  /**
   * SageMaker's endpoint events, as full EventBridge events (`SageMaker Endpoint State Change`, `SageMaker Endpoint
   * Deployment State Change`: see endpoint-events.ts), for the runtime to route through the stack's rules.
   */
  readonly onEvent?: (event: SageMakerEndpointEvent) => void;
  /**
   * A CloudWatch alarm's state now: what an update's auto-rollback reads (see LocalHosting). Call
   * `hosting.alarmChanged(name)` on every alarm change. @default none - no update rolls back
   */
  readonly alarmState?: (alarmName: string) => string | undefined;
  /**
   * Whether a variant (`endpoint/<endpoint>/variant/<variant>`) is a scalable target of Application Auto Scaling:
   * UpdateEndpoint refuses to change its instance type or remove it (LocalApplicationAutoScaling.isAutoscaled).
   */
  readonly isAutoscaled?: (resourceId: string) => boolean;
}

export interface LocalSageMaker {
  readonly endpoint: string;
  /** Status transitions, log lines and metrics of every job, as they happen. Returns an unsubscribe. */
  onJobEvent(listener: (event: TrainingJobEvent) => void): () => void;
  /** Endpoint status changes (Creating, Updating, InService, Deleting, Deleted). Returns an unsubscribe. */
  onEndpointStatus(listener: (change: EndpointStatusChange) => void): () => void;
  /** The stages of updates as each starts, and their rollbacks. Returns an unsubscribe. */
  onDeploymentStage(listener: (change: DeploymentStageChange) => void): () => void;
  /** Models, endpoint configs and endpoints (kept in `<workDir>/hosting.json` across restarts). */
  readonly hosting: LocalHosting;
  /** A job's log lines so far (its full log is `<workDir>/<jobName>.log`). */
  logs(jobName: string): readonly string[];
  /** Kills running trainers (their jobs end Stopped), then closes the server. */
  stop(): Promise<void>;
}

type Operation = (body: unknown) => unknown;

/**
 * SageMaker's training API (CreateTrainingJob, DescribeTrainingJob, StopTrainingJob) and hosting control
 * plane (models, endpoint configs, endpoints: see LocalHosting) over its JSON 1.1 protocol on 127.0.0.1, so
 * the SDK's SageMakerClient works against it with only an `endpoint`. Jobs really train: each runs a local
 * command under SageMaker's training contract (see TrainingJob).
 */
export async function startLocalSageMaker(options: LocalSageMakerOptions): Promise<LocalSageMaker> {
  await mkdir(options.workDir, { recursive: true });
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  const s3 = new S3Client({
    region,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...options.s3,
  });
  const jobs = new Map<string, TrainingJob>();
  const listeners = new Set<(event: TrainingJobEvent) => void>();
  const context = {
    s3,
    workDir: options.workDir,
    trainers: options.trainers,
    builtInMetricDefinitions: options.builtInMetricDefinitions ?? (() => []),
    stopGracePeriodMs: options.stopGracePeriodMs ?? 120_000,
    emit: (event: TrainingJobEvent) => notify(listeners, event),
  };
  // SageMaker names are unique regardless of case; its ARNs carry the name in lower case.
  const find = (body: unknown): TrainingJob => {
    const name = (body as { TrainingJobName?: unknown } | null)?.TrainingJobName;
    const job = typeof name === 'string' ? jobs.get(name.toLowerCase()) : undefined;
    if (!job) throw resourceNotFound();
    return job;
  };
  const endpointListeners = new Set<(change: EndpointStatusChange) => void>();
  const stageListeners = new Set<(change: DeploymentStageChange) => void>();
  const onEvent = options.onEvent;
  if (onEvent) {
    const context = { account, region };
    endpointListeners.add((change) => {
      const event = endpointStateChangeEvent(change, context);
      if (event) onEvent(event);
    });
    stageListeners.add((change) => onEvent(endpointDeploymentStateChangeEvent(change, context)));
  }
  const hosting = new LocalHosting({
    workDir: options.workDir,
    account,
    region,
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    ...(options.hostingDelays ? { delays: options.hostingDelays } : {}),
    ...(options.instanceQuotas ? { instanceQuotas: options.instanceQuotas } : {}),
    ...(options.alarmState ? { alarmState: options.alarmState } : {}),
    ...(options.isAutoscaled ? { isAutoscaled: options.isAutoscaled } : {}),
    onEndpointStatus: (change) => notify(endpointListeners, change),
    onDeploymentStage: (change) => notify(stageListeners, change),
  });
  const operations: Record<string, Operation> = {
    ...hosting.operations(),
    CreateTrainingJob: (body) => {
      const request = validateCreateTrainingJob(body);
      const key = request.TrainingJobName.toLowerCase();
      const arn = `arn:aws:sagemaker:${region}:${account}:training-job/${key}`;
      if (jobs.has(key)) throw duplicateName(arn);
      jobs.set(key, new TrainingJob(request, arn, context));
      return { TrainingJobArn: arn };
    },
    DescribeTrainingJob: (body) => find(body).describe(),
    StopTrainingJob: (body) => {
      find(body).stop();
      return {};
    },
  };

  const server = createServer((request, response) => {
    void handle(operations, request, response).catch((error: unknown) =>
      reply(response, 500, { __type: 'InternalFailure', message: String(error) }),
    );
  });
  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    onJobEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onEndpointStatus: (listener) => {
      endpointListeners.add(listener);
      return () => endpointListeners.delete(listener);
    },
    onDeploymentStage: (listener) => {
      stageListeners.add(listener);
      return () => stageListeners.delete(listener);
    },
    hosting,
    logs: (jobName) => jobs.get(jobName.toLowerCase())?.log ?? [],
    stop: async () => {
      hosting.close();
      for (const job of jobs.values()) job.stop('shutdown');
      await Promise.all([...jobs.values()].map((job) => job.done));
      s3.destroy();
      await closeServer(server);
    },
  };
}

async function handle(
  operations: Record<string, Operation>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const body = await readBody(request);
  try {
    const operation = operations[target.replace(/^SageMaker\./, '')];
    if (!target.startsWith('SageMaker.') || !operation)
      throw unknownOperation(target, Object.keys(operations));
    reply(response, 200, operation(parseJson(body)));
  } catch (error) {
    if (!(error instanceof SageMakerApiError)) throw error;
    reply(response, error.status, error.body());
  }
}

/**
 * SageMaker's answer to a CreateTrainingJob whose name exists (whatever that job's status), as AWS gives it:
 * `ResourceInUse: ... Training job names must be unique within an AWS account and region, and a training job
 * with this name already exists (arn:aws:sagemaker:us-west-2:…:training-job/<name>)` (quoted in
 * aws/amazon-sagemaker-examples#3108). Through `createTrainingJob.sync` it is `SageMaker.ResourceInUseException`.
 */
function duplicateName(arn: string): SageMakerApiError {
  return new SageMakerApiError(
    'ResourceInUse',
    'Training job names must be unique within an AWS account and region, and a training job with this name ' +
      `already exists (${arn})`,
  );
}

function unknownOperation(target: string, served: readonly string[]): SageMakerApiError {
  return new SageMakerApiError(
    'UnknownOperationException',
    `${target || 'This operation'} is not served locally: the local SageMaker serves ${served.join(', ')}`,
  );
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new SageMakerApiError('SerializationException', 'The request body is not valid JSON');
  }
}

function notify<T>(listeners: ReadonlySet<(event: T) => void>, event: T): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A broken progress display must not break the job.
    }
  }
}
