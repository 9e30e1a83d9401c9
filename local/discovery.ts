/**
 * How the `mlops` CLI finds a running local runtime: `npm start` writes this file into its state directory
 * (.mlops-local/ by default) once everything is up, and removes it when it stops.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { LOCAL_CREDENTIALS } from './aws/s3-client';

export const DEFAULT_STATE_DIR = '.mlops-local';
export const DISCOVERY_FILE = 'runtime.json';

/** The project folder: where `npm start` and `npm run -s mlops` run, and what their `--state-dir` is relative to. */
const PROJECT = resolve(__dirname, '..');

/**
 * How `--state-dir` names a state directory in a command to copy (`npm start -- --state-dir X`, which npm runs
 * in the project folder): relative to the project folder when inside it, else absolute; undefined for the
 * default (no option needed).
 *
 * @param stateDir - absolute, or relative to the working directory
 */
export function stateDirOption(stateDir: string): string | undefined {
  const absolute = resolve(stateDir);
  if (absolute === join(PROJECT, DEFAULT_STATE_DIR)) return undefined;
  const inside = relative(PROJECT, absolute);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? absolute : inside;
}

/** `npm start`, with the `--state-dir` that serves `stateDir`. */
function startCommand(stateDir: string): string {
  const option = stateDirOption(stateDir);
  return option === undefined ? 'npm start' : `npm start -- --state-dir ${option}`;
}

/**
 * The content of `runtime.json`: these fields and no others (README "runtime.json" lists them for users).
 * Written once the runtime is up, removed when it stops; a reader checks `pid` to tell a stale file.
 */
export interface RuntimeDiscovery {
  /** The file's format; a reader that does not know the version refuses the file. Always 1. */
  readonly formatVersion: 1;
  /** The runtime's process id; a file whose process is gone is stale (the runtime crashed). */
  readonly pid: number;
  /** When the runtime came up, ISO 8601 in UTC. */
  readonly startedAt: string;
  /** The AWS region every local ARN and client uses (us-east-1). */
  readonly region: string;
  /** Credentials every local server accepts (s3rver checks them; they grant nothing elsewhere). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Base URLs on 127.0.0.1, for an SDK client's `endpoint` (S3 with `forcePathStyle: true`). */
  readonly endpoints: {
    /** s3rver: the data and artifacts buckets. */
    readonly s3: string;
    /** DynamoDB Local: the model registry table. */
    readonly dynamodb: string;
    /** EventBridge PutEvents, routed by the template's rules (any bus name). */
    readonly eventbridge: string;
    /** The local SageMaker: training jobs and the hosting control plane (models, endpoint configs, endpoints). */
    readonly sagemaker: string;
    // The five below are always written; a file from a checkout older than local hosting lacks them, so a
    // reader says what is missing (restart the runtime) instead of calling `undefined`.
    /** The local SageMaker Runtime: InvokeEndpoint on the endpoints the local SageMaker hosts. */
    readonly sagemakerRuntime?: string;
    /** The local CloudWatch: PutMetricData, GetMetricData/GetMetricStatistics, alarms. */
    readonly cloudwatch?: string;
    /** The local Step Functions API: StartExecution, DescribeExecution, SendTaskSuccess/Failure/Heartbeat. */
    readonly stepfunctions?: string;
    /** The local Application Auto Scaling: scalable targets and scaling policies of endpoint variants. */
    readonly applicationAutoScaling?: string;
    /** The local CloudFormation: DescribeStacks of the stack's outputs (`mlops --target aws` against it). */
    readonly cloudformation?: string;
  };
  /** Physical names of the stack's resources, as the stack outputs name them in the cloud. */
  readonly resources: {
    /** Uploads under `datasets/<model>/` start runs. */
    readonly dataBucket: string;
    /** Contracts and run artifacts (`runs/<runId>/`). */
    readonly artifactsBucket: string;
    /** The model registry (runs, versions, audit events). */
    readonly registryTable: string;
    /** The training state machine's ARN. */
    readonly trainingStateMachine: string;
  };
}

/** The fields of {@link RuntimeDiscovery}, as dotted paths, in the order the file has them (docs, tests). */
export const DISCOVERY_FIELDS = [
  'formatVersion',
  'pid',
  'startedAt',
  'region',
  'credentials.accessKeyId',
  'credentials.secretAccessKey',
  'endpoints.s3',
  'endpoints.dynamodb',
  'endpoints.eventbridge',
  'endpoints.sagemaker',
  'endpoints.sagemakerRuntime',
  'endpoints.cloudwatch',
  'endpoints.stepfunctions',
  'endpoints.applicationAutoScaling',
  'endpoints.cloudformation',
  'resources.dataBucket',
  'resources.artifactsBucket',
  'resources.registryTable',
  'resources.trainingStateMachine',
] as const;

/**
 * The discovery document of a runtime that is up now, built field by field: whatever else its inputs carry
 * (the app's resources may grow) stays out of the file.
 */
export function runtimeDiscovery(input: {
  readonly pid: number;
  readonly region: string;
  readonly endpoints: Required<RuntimeDiscovery['endpoints']>;
  readonly resources: RuntimeDiscovery['resources'];
  readonly startedAt?: Date;
}): RuntimeDiscovery {
  const { endpoints: e, resources: r } = input;
  return {
    formatVersion: 1,
    pid: input.pid,
    startedAt: (input.startedAt ?? new Date()).toISOString(),
    region: input.region,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
    },
    endpoints: {
      s3: e.s3,
      dynamodb: e.dynamodb,
      eventbridge: e.eventbridge,
      sagemaker: e.sagemaker,
      sagemakerRuntime: e.sagemakerRuntime,
      cloudwatch: e.cloudwatch,
      stepfunctions: e.stepfunctions,
      applicationAutoScaling: e.applicationAutoScaling,
      cloudformation: e.cloudformation,
    },
    resources: {
      dataBucket: r.dataBucket,
      artifactsBucket: r.artifactsBucket,
      registryTable: r.registryTable,
      trainingStateMachine: r.trainingStateMachine,
    },
  };
}

export function writeDiscovery(stateDir: string, discovery: RuntimeDiscovery): void {
  writeFileSync(join(stateDir, DISCOVERY_FILE), `${JSON.stringify(discovery, null, 2)}\n`);
}

export function removeDiscovery(stateDir: string): void {
  rmSync(join(stateDir, DISCOVERY_FILE), { force: true });
}

/** The running runtime's discovery, or an error saying how to start one. */
export function readDiscovery(stateDir: string = DEFAULT_STATE_DIR): RuntimeDiscovery {
  const file = join(stateDir, DISCOVERY_FILE);
  if (!existsSync(file)) {
    throw new Error(
      `No local runtime is running (no ${file}). Start one with \`${startCommand(stateDir)}\` in the project folder.`,
    );
  }
  const discovery = JSON.parse(readFileSync(file, 'utf8')) as RuntimeDiscovery;
  if (discovery.formatVersion !== 1) {
    throw new Error(
      `${file} has format version ${String(discovery.formatVersion)}; this checkout reads version 1. ` +
        `Stop that runtime and start it again from this checkout (\`${startCommand(stateDir)}\`).`,
    );
  }
  if (!isAlive(discovery.pid)) {
    throw new Error(
      `The local runtime recorded in ${file} (pid ${discovery.pid}) is not running. Start it with \`${startCommand(stateDir)}\`.`,
    );
  }
  return discovery;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
