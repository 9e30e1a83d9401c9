/**
 * What the `mlops` CLI talks to: the AWS clients and the stack's resource names. Today that is the local
 * runtime found through its discovery file; a deployed stack (found from its CloudFormation outputs:
 * DataBucketName, ArtifactsBucketName, RegistryTableName, TrainingStateMachineArn) fits the same interface
 * as a `stackTarget(outputs)` beside {@link localTarget}.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ModelRegistryClient, MonitoringWindows } from '../lambdas/shared/registry';
import { localS3ClientConfig } from '../local/aws/s3-client';
import { DEFAULT_STATE_DIR, DISCOVERY_FILE, type RuntimeDiscovery, readDiscovery } from '../local/discovery';
import { CliError } from './errors';

/** Physical names of the stack's resources the CLI uses. */
export interface TargetResources {
  readonly dataBucket: string;
  readonly artifactsBucket: string;
  readonly registryTable: string;
  /** The bus the stack's rules listen on (`mlops runs retry` sends there): a name or ARN; `default` locally. */
  readonly eventBus: string;
}

/** A stack to operate on: clients bound to its endpoints and credentials, and its resource names. */
export interface Target {
  /** For messages, e.g. `the local runtime (pid 4242)`. */
  readonly description: string;
  readonly resources: TargetResources;
  readonly s3: S3Client;
  readonly registry: ModelRegistryClient;
  /** The monitoring windows the scheduled checks record (`mlops drift show|report`), in the same table. */
  readonly windows: MonitoringWindows;
  readonly events: EventBridgeClient;
  /**
   * InvokeEndpoint on the stack's endpoints (`mlops predict`); undefined for a local runtime that serves none
   * (its runtime.json, from a checkout older than local hosting, has no `endpoints.sagemakerRuntime`).
   */
  readonly sagemakerRuntime: SageMakerRuntimeClient | undefined;
  /** Releases the clients' connections; call once the command is done. */
  close(): void;
}

/** How the operator chose the target on the command line. */
export interface TargetOptions {
  /** The local runtime's state directory. @default the project folder's .mlops-local */
  readonly stateDir?: string | undefined;
}

/** Builds the target a command runs against. Tests pass their own. */
export type TargetResolver = (options: TargetOptions) => Target;

/** The bus name the local runtime's rules listen on. */
export const LOCAL_EVENT_BUS = 'default';

/** Where `npm start` keeps its state by default: the project folder, wherever the CLI is run from. */
export const PROJECT_STATE_DIR = join(__dirname, '..', DEFAULT_STATE_DIR);

/**
 * The target for the options: the running local runtime of `stateDir`.
 *
 * @throws CliError when no runtime is running there (the discovery file is missing, stale or unreadable)
 */
export function resolveTarget(options: TargetOptions): Target {
  return localTarget(discover(options.stateDir ?? PROJECT_STATE_DIR));
}

/**
 * Clients for the local runtime described by `discovery`. s3rver needs path-style URLs and checksums only
 * when required (otherwise streamed uploads are stored with their aws-chunked framing).
 */
export function localTarget(discovery: RuntimeDiscovery): Target {
  const { region, credentials, endpoints, resources } = discovery;
  const s3 = new S3Client(localS3ClientConfig(endpoints.s3, region, credentials));
  const dynamodb = new DynamoDBClient({ region, credentials, endpoint: endpoints.dynamodb });
  const registryOptions = {
    client: DynamoDBDocumentClient.from(dynamodb),
    tableName: resources.registryTable,
  };
  const registry = new ModelRegistryClient(registryOptions);
  const windows = new MonitoringWindows(registryOptions);
  const events = new EventBridgeClient({ region, credentials, endpoint: endpoints.eventbridge });
  const sagemakerRuntime =
    endpoints.sagemakerRuntime === undefined
      ? undefined
      : new SageMakerRuntimeClient({ region, credentials, endpoint: endpoints.sagemakerRuntime });
  return {
    description: `the local runtime (pid ${discovery.pid})`,
    resources: {
      dataBucket: resources.dataBucket,
      artifactsBucket: resources.artifactsBucket,
      registryTable: resources.registryTable,
      // The local EventBridge routes PutEvents on the default bus to the template's rules.
      eventBus: LOCAL_EVENT_BUS,
    },
    s3,
    registry,
    windows,
    events,
    sagemakerRuntime,
    close: () => {
      s3.destroy();
      dynamodb.destroy();
      events.destroy();
      sagemakerRuntime?.destroy();
    },
  };
}

/** readDiscovery, with its failures (including a corrupt or foreign file) as one-line CLI errors. */
function discover(stateDir: string): RuntimeDiscovery {
  const file = join(stateDir, DISCOVERY_FILE);
  let discovery: RuntimeDiscovery;
  try {
    discovery = readDiscovery(stateDir);
  } catch (error) {
    const message = error instanceof SyntaxError ? `${file} is not valid JSON (${error.message})` : undefined;
    throw new CliError(message ?? (error instanceof Error ? error.message : String(error)));
  }
  if (discovery.formatVersion !== 1) {
    throw new CliError(
      `${file} has formatVersion ${String(discovery.formatVersion)}; this CLI reads version 1 (update the project)`,
    );
  }
  return discovery;
}
