/**
 * What the `mlops` CLI talks to: the AWS clients and the stack's resource names. By default the local runtime,
 * found through its discovery file ({@link localTarget}); with `--target aws` a deployed stack, found from its
 * CloudFormation outputs (DescribeStacks) and reached with the SDK's default credential chain ({@link awsTarget}).
 */
import { join } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RunCosts } from '../lambdas/shared/cost/record';
import { ModelRegistryClient, MonitoringWindows } from '../lambdas/shared/registry';
import { localS3ClientConfig } from '../local/aws/s3-client';
import { DEFAULT_STATE_DIR, DISCOVERY_FILE, type RuntimeDiscovery, readDiscovery } from '../local/discovery';
import { CliError, describeError, NotFoundError, UsageError } from './errors';

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
  /** What runs cost (`mlops runs show`, `runs list --cost`), on the run items of the same table. */
  readonly costs: RunCosts;
  readonly events: EventBridgeClient;
  /**
   * InvokeEndpoint on the stack's endpoints (`mlops predict`); undefined for a local runtime that serves none
   * (its runtime.json, from a checkout older than local hosting, has no `endpoints.sagemakerRuntime`).
   */
  readonly sagemakerRuntime: SageMakerRuntimeClient | undefined;
  /** Releases the clients' connections; call once the command is done. */
  close(): void;
}

/** Where commands go: the local runtime (`npm start`) or a deployed stack. */
export const TARGET_KINDS = ['local', 'aws'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** The stack `npx cdk deploy` creates (bin/app.ts), and the one `--target aws` reads without `--stack`. */
export const DEFAULT_STACK_NAME = 'ServerlessMlops';

/** How the operator chose the target on the command line. */
export interface TargetOptions {
  /** The local runtime's state directory (local target only). @default the project folder's .mlops-local */
  readonly stateDir?: string | undefined;
  /** @default 'local' */
  readonly target?: TargetKind | undefined;
  /** The deployed stack's name or id (aws target only). @default {@link DEFAULT_STACK_NAME} */
  readonly stack?: string | undefined;
  /** The stack's region (aws target only). @default the SDK's: AWS_REGION, then the profile's `region` */
  readonly region?: string | undefined;
  /** The shared config/credentials profile (aws target only). @default the SDK's: AWS_PROFILE, then `default` */
  readonly profile?: string | undefined;
}

/** Builds the target a command runs against. Tests pass their own. */
export type TargetResolver = (options: TargetOptions) => Target | Promise<Target>;

/** The bus name the local runtime's rules listen on. */
export const LOCAL_EVENT_BUS = 'default';

/** Where `npm start` keeps its state by default: the project folder, wherever the CLI is run from. */
export const PROJECT_STATE_DIR = join(__dirname, '..', DEFAULT_STATE_DIR);

/**
 * The target for the options: the running local runtime of `stateDir`, or with `target: 'aws'` the deployed
 * stack's outputs read with DescribeStacks.
 *
 * @throws UsageError when an option of one target is given for the other
 * @throws CliError when no runtime is running there (the discovery file is missing, stale or unreadable), or
 *   for the aws target when no region or credentials are configured, the stack does not exist or lacks an
 *   output the CLI needs
 */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.target === 'aws') {
    if (options.stateDir !== undefined) {
      throw new UsageError('--state-dir is the local runtime’s; it does not apply to --target aws');
    }
    return awsTarget(await describeStack(options));
  }
  const awsOnly = (['stack', 'region', 'profile'] as const).filter((name) => options[name] !== undefined);
  if (awsOnly.length > 0) {
    const names = awsOnly.map((name) => `--${name}`).join(', ');
    const verb = awsOnly.length === 1 ? 'applies' : 'apply';
    throw new UsageError(`${names} ${verb} to a deployed stack: add --target aws (before the command)`);
  }
  return localTarget(discover(options.stateDir ?? PROJECT_STATE_DIR));
}

/**
 * Takes `--target <where>` (or `--target=<where>`) from the options before the command's name, leaving the
 * rest, in order, to the command line parser: after the name, `--target` is the command's (`init`, `drift
 * compare` name a label column with it).
 *
 * @param valueOptions - the global options that take a value (their value is not the command's name)
 */
export function splitTargetOption(
  argv: readonly string[],
  valueOptions: readonly string[],
): { readonly target: string | undefined; readonly rest: string[] } {
  let target: string | undefined;
  const rest: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? '';
    if (arg === '--' || !arg.startsWith('-')) break;
    i += 1;
    if (arg === '--target') {
      target = argv[i];
      if (target === undefined) throw new UsageError("option '--target <where>' argument missing");
      i += 1;
    } else if (arg.startsWith('--target=')) {
      target = arg.slice('--target='.length);
    } else {
      rest.push(arg);
      const value = argv[i];
      if (valueOptions.includes(arg) && value !== undefined) {
        rest.push(value);
        i += 1;
      }
    }
  }
  rest.push(...argv.slice(i));
  return { target, rest };
}

/** Parses `--target`'s value. */
export function parseTargetKind(value: string): TargetKind {
  const kind = TARGET_KINDS.find((known) => known === value.trim().toLowerCase());
  if (kind === undefined) {
    throw new UsageError(`Invalid --target "${value}": expected ${TARGET_KINDS.join(' or ')}`);
  }
  return kind;
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
    costs: new RunCosts(registryOptions.client, registryOptions.tableName),
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

/** The outputs of the stack (lib/serverless-mlops-stack.ts) the CLI reads, by the resource they name. */
export const STACK_OUTPUTS = {
  dataBucket: 'DataBucketName',
  artifactsBucket: 'ArtifactsBucketName',
  registryTable: 'RegistryTableName',
} as const;

/**
 * The bus the deployed stack's rules listen on: the account's default bus (the stack passes no other bus to
 * its constructs, and Step Functions and SageMaker send their events to the default bus only).
 */
export const STACK_EVENT_BUS = 'default';

/** Credentials as the SDK's default chain resolves them (memoized: one resolution per CLI invocation). */
export type CredentialsProvider = ReturnType<typeof fromNodeProviderChain>;

/** A deployed stack, as DescribeStacks gave it, and how to reach it. */
export interface DeployedStack {
  readonly name: string;
  readonly id: string;
  readonly status: string;
  readonly region: string;
  /** The profile the operator chose; undefined when the SDK's default chain chose (AWS_PROFILE, `default`). */
  readonly profile: string | undefined;
  readonly credentials: CredentialsProvider;
  /** OutputKey → OutputValue. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** A stack name (CloudFormation's pattern `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters) or a stack id (ARN). */
const STACK_NAME =
  /^(?:[a-zA-Z][-a-zA-Z0-9]{0,127}|arn:aws[-a-z]*:cloudformation:[-a-z0-9]+:\d{12}:stack\/.+)$/;

/** Error names of credentials AWS does not accept (signature, unknown key, expired session). */
const REFUSED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
]);

/**
 * Reads the stack's outputs with DescribeStacks, with the SDK's default credential chain (environment, SSO,
 * shared config and credentials files, process, web identity, container or instance metadata) for `profile`,
 * and its region resolution (AWS_REGION, then the profile's `region`) unless `region` is given. Endpoints
 * follow the SDK's configuration too (AWS_ENDPOINT_URL_CLOUDFORMATION, a profile's `services` section).
 *
 * @throws UsageError for a malformed stack name
 * @throws CliError naming what to do when no region or no credentials are configured, AWS refuses the
 *   credentials, the stack does not exist (NotFoundError) or lacks one of {@link STACK_OUTPUTS}
 */
export async function describeStack(options: TargetOptions): Promise<DeployedStack> {
  const name = options.stack ?? DEFAULT_STACK_NAME;
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `Invalid --stack "${name}": expected a stack name (a letter, then letters, digits or hyphens) or a stack ARN`,
    );
  }
  const { profile } = options;
  const credentials = fromNodeProviderChain(profile === undefined ? {} : { profile });
  const cloudformation = new CloudFormationClient({
    credentials,
    ...(profile === undefined ? {} : { profile }),
    ...(options.region === undefined ? {} : { region: options.region }),
  });
  try {
    const region = await resolveRegion(cloudformation, profile);
    const where = { name, region, profile };
    let stack: Stack | undefined;
    try {
      stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    } catch (error) {
      throw stackError(error, where);
    }
    if (stack === undefined) throw notFound(where);
    const outputs = outputMap(stack.Outputs);
    const status = stack.StackStatus ?? 'UNKNOWN';
    const missing = Object.values(STACK_OUTPUTS).filter((key) => outputs[key] === undefined);
    if (missing.length > 0) {
      throw new CliError(
        `Stack ${stack.StackName ?? name} in ${region} (${status}) has no output ${missing.join(', ')}: ` +
          'it is not this project’s stack, or not completely deployed; deploy it with `npx cdk deploy`, or name yours with --stack',
      );
    }
    return {
      name: stack.StackName ?? name,
      id: stack.StackId ?? name,
      status,
      region,
      profile,
      credentials,
      outputs,
    };
  } finally {
    cloudformation.destroy();
  }
}

/**
 * Clients for the deployed stack: every one with the stack's region and the same credentials (resolved once),
 * and the endpoints the SDK's configuration names (AWS_ENDPOINT_URL_<SERVICE>, else AWS's).
 */
export function awsTarget(stack: DeployedStack): Target {
  const config = {
    region: stack.region,
    credentials: stack.credentials,
    ...(stack.profile === undefined ? {} : { profile: stack.profile }),
  };
  const s3 = new S3Client(config);
  const dynamodb = new DynamoDBClient(config);
  const registryOptions = {
    client: DynamoDBDocumentClient.from(dynamodb),
    tableName: output(stack, STACK_OUTPUTS.registryTable),
  };
  const events = new EventBridgeClient(config);
  const sagemakerRuntime = new SageMakerRuntimeClient(config);
  const profile = stack.profile === undefined ? '' : `, profile ${stack.profile}`;
  return {
    description: `stack ${stack.name} (${stack.region}${profile})`,
    resources: {
      dataBucket: output(stack, STACK_OUTPUTS.dataBucket),
      artifactsBucket: output(stack, STACK_OUTPUTS.artifactsBucket),
      registryTable: registryOptions.tableName,
      eventBus: STACK_EVENT_BUS,
    },
    s3,
    registry: new ModelRegistryClient(registryOptions),
    costs: new RunCosts(registryOptions.client, registryOptions.tableName),
    windows: new MonitoringWindows(registryOptions),
    events,
    sagemakerRuntime,
    close: () => {
      s3.destroy();
      dynamodb.destroy();
      events.destroy();
      sagemakerRuntime.destroy();
    },
  };
}

function output(stack: DeployedStack, key: string): string {
  const value = stack.outputs[key];
  if (value === undefined) throw new CliError(`Stack ${stack.name} has no output ${key}`);
  return value;
}

function outputMap(outputs: readonly Output[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { OutputKey, OutputValue } of outputs ?? []) {
    if (OutputKey !== undefined && OutputValue !== undefined) map[OutputKey] = OutputValue;
  }
  return map;
}

/** The region the client will use; the SDK's "Region is missing" as what to do about it. */
async function resolveRegion(client: CloudFormationClient, profile: string | undefined): Promise<string> {
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch {
    region = undefined;
  }
  if (!region) {
    const inProfile = profile === undefined ? 'the profile' : `profile ${profile}`;
    throw new CliError(
      `No AWS region for --target aws: pass --region, set AWS_REGION, or give ${inProfile} a region in ~/.aws/config`,
    );
  }
  return region;
}

interface StackLookup {
  readonly name: string;
  readonly region: string;
  readonly profile: string | undefined;
}

function notFound(where: StackLookup): CliError {
  return new NotFoundError(
    `No stack ${where.name} in ${where.region}${withProfile(where.profile)}: deploy it with \`npx cdk deploy\`, ` +
      'or name yours with --stack (and its --region / --profile)',
  );
}

/** DescribeStacks' failures as what the operator can do about them. */
function stackError(error: unknown, where: StackLookup): CliError {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return new CliError(
      `No AWS credentials for --target aws${withProfile(where.profile)}: ${firstLine(message)}. ` +
        'Configure them (`aws configure`, `aws sso login`), or choose a profile with --profile or AWS_PROFILE',
    );
  }
  // CloudFormation says a stack does not exist with a ValidationError.
  if (name === 'ValidationError' && /does not exist/i.test(message)) return notFound(where);
  if (REFUSED_CREDENTIALS.has(name)) {
    return new CliError(
      `AWS refused the credentials${withProfile(where.profile)}: ${name}: ${firstLine(message)}`,
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new CliError(
      `Not allowed to read stack ${where.name} (cloudformation:DescribeStacks)${withProfile(where.profile)}: ${firstLine(message)}`,
    );
  }
  const report = describeError(error, `CloudFormation in ${where.region}`);
  // describeError asks whether a local runtime still runs; AWS's endpoint is reached over the network or not.
  const text = report.message.replace(
    / \(is it still running\?\)$/,
    ' (check the network, and AWS_ENDPOINT_URL_CLOUDFORMATION if set)',
  );
  return new CliError(`Reading stack ${where.name}: ${text}`, report.exitCode);
}

function withProfile(profile: string | undefined): string {
  return profile === undefined ? '' : ` (profile ${profile})`;
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? '').trim().replace(/\.$/, '');
}
