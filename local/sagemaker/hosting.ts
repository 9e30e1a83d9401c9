/**
 * SageMaker's hosting control plane, locally: models, endpoint configs and endpoints with SageMaker's shapes,
 * validation, errors and endpoint lifecycle (Creating → InService, Updating → InService on the new config,
 * Deleting → gone), kept in `<workDir>/hosting.json` so a restarted runtime still has its endpoints.
 *
 * Endpoint state (what serving and blue/green traffic shifting build on):
 * - `serving` is the blue fleet: the endpoint config (snapshotted at deployment, so deleting the config or
 *   its models later changes nothing, as on SageMaker) whose variants take the traffic. Absent while the
 *   first CreateEndpoint is still Creating.
 * - `pending` is the green fleet of a CreateEndpoint or UpdateEndpoint in progress, with its `stages`: the
 *   timeline SageMaker's deployment goes through (Creating the fleet, ActivatingTraffic steps of a canary or
 *   linear shift, Baking for TerminationWaitInSeconds), each with the share of traffic the green fleet has
 *   during it (`trafficPercent`), all at the runtime's time scale. When the last stage ends, green becomes
 *   `serving` and blue is dropped. A router for InvokeEndpoint picks the pending fleet with probability
 *   `currentStage.trafficPercent / 100`, then a variant by weight.
 * - Auto-rollback: while an update runs, an alarm of its AutoRollbackConfiguration in ALARM (read through the
 *   `alarmState` option when `alarmChanged` is called and at each stage start) drops `pending` at once: all
 *   traffic is blue's again and the endpoint is InService on its old config, with a FailureReason.
 * - Health check: with a `healthCheck` (the SageMaker Runtime starts the fleet's containers and pings them), a
 *   new fleet must pass it before its Creating stage ends. One that does not fails a CreateEndpoint (Failed, with
 *   the FailureReason) and ends an UpdateEndpoint with the endpoint InService on its old config, the FailureReason
 *   set and no alarm named: "If the container does not begin to pass health checks ... CreateEndpoint will fail,
 *   leaving the endpoint in a failed state, and the update requested by UpdateEndpoint will not be completed"
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html#your-algorithms-inference-algo-ping-requests).
 * - Changes are reported as they happen: `onEndpointStatus` (the endpoint's status) and `onDeploymentStage` (each
 *   stage of an update, and a rollback); endpoint-events.ts turns them into SageMaker's EventBridge events.
 * - Each fleet variant keeps its model's containers (image, ModelDataUrl, Environment), which is what a
 *   serving process needs to start.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CapacitySize,
  ContainerDefinition,
  DataCaptureConfig,
  DeploymentConfig,
  ListEndpointsInput,
  ProductionVariantServerlessConfig,
  Tag,
} from '@aws-sdk/client-sagemaker';
import { SageMakerApiError } from './api-error';
import {
  type EndpointConfigRequest,
  type EndpointRequest,
  invalid,
  type ModelRequest,
  type UpdateEndpointRequest,
  validateCreateEndpoint,
  validateCreateEndpointConfig,
  validateCreateModel,
  validateListEndpoints,
  validateModelName,
  validateResourceName,
  validateUpdateEndpoint,
} from './hosting-validation';

/** EndpointStatus values a local endpoint goes through. */
export type LocalEndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Deleting' | 'Failed';
/** ProductionVariantStatus.Status values of a deployment's stages. */
export type DeploymentStageStatus = 'Creating' | 'ActivatingTraffic' | 'Baking';

export interface HostingOptions {
  /** The state file `hosting.json` lives here. */
  readonly workDir: string;
  readonly account: string;
  readonly region: string;
  /**
   * Lifecycle waits run this many times faster than their nominal length (the runtime's --time-scale).
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * Nominal lengths, in ms, of provisioning a fleet (CreateEndpoint, the green fleet of UpdateEndpoint) and
   * of deleting an endpoint. SageMaker takes minutes; locally there is nothing to provision, so short.
   * @default { provisionMs: 2000, deleteMs: 500 }
   */
  readonly delays?: { readonly provisionMs?: number; readonly deleteMs?: number };
  /**
   * Per instance type, how many instances all endpoints may use together (SageMaker's "<type> for endpoint
   * usage" quotas); beyond it CreateEndpoint and UpdateEndpoint fail with ResourceLimitExceeded.
   * @default no limit
   */
  readonly instanceQuotas?: Readonly<Record<string, number>>;
  /** Endpoint status changes, as they happen (EventBridge events and progress displays hook here). */
  readonly onEndpointStatus?: (change: EndpointStatusChange) => void;
  /**
   * An update's deployment stages as each starts (the green fleet's Creating, ActivatingTraffic, Baking) and its
   * rollback (Deleting): what SageMaker reports as `SageMaker Endpoint Deployment State Change` events.
   */
  readonly onDeploymentStage?: (change: DeploymentStageChange) => void;
  /**
   * The state of a CloudWatch alarm now (OK, ALARM, INSUFFICIENT_DATA; undefined if there is no such alarm):
   * what the auto-rollback of an update reads for the alarms of its AutoRollbackConfiguration. Without it, no
   * update rolls back.
   */
  readonly alarmState?: (alarmName: string) => string | undefined;
  /**
   * Whether Application Auto Scaling has a scalable target for `endpoint/<endpoint>/variant/<variant>`: an
   * UpdateEndpoint that changes such a variant's instance type, or removes the variant, fails. @default none is
   */
  readonly isAutoscaled?: (resourceId: string) => boolean;
  /**
   * Whether a new fleet's containers start and pass SageMaker's ping health check: undefined when they do, else
   * the endpoint's FailureReason. Run while the fleet is Creating (CreateEndpoint, the green fleet of
   * UpdateEndpoint); the Creating stage lasts until it answers. Also settable later ({@link LocalHosting.setHealthCheck}),
   * since what runs the containers starts after the hosting. @default every fleet is healthy
   */
  readonly healthCheck?: HealthCheck;
}

/** See {@link HostingOptions.healthCheck}. */
export type HealthCheck = (fleet: Fleet) => Promise<string | undefined>;

export interface EndpointStatusChange {
  readonly endpointName: string;
  readonly endpointArn: string;
  readonly status: LocalEndpointStatus | 'Deleted';
  /** The config being deployed (Creating, Updating) or serving. */
  readonly endpointConfigName?: string | undefined;
  readonly time: Date;
  /** The endpoint as it is after the change (as it was before it went, for Deleted): a copy. */
  readonly endpoint?: Readonly<EndpointState>;
}

/** A stage of an update's green fleet that started, or the rollback that ended the update. */
export interface DeploymentStageChange {
  readonly endpointName: string;
  readonly endpointArn: string;
  /**
   * The green fleet's stage: Creating, ActivatingTraffic or Baking as the update goes on; Deleting when an
   * alarm rolled the update back and the green fleet is terminated.
   */
  readonly status: DeploymentStageStatus | 'Deleting';
  /** Epoch ms when the stage started. */
  readonly startTime: number;
  /** ProductionVariantStatus.StatusMessage, worded as SageMaker's examples word it. */
  readonly message: string;
  /** The share of traffic the green fleet takes in this stage, 0–100. */
  readonly trafficPercent: number;
  /** The green fleet (the update's endpoint config). */
  readonly pending: Readonly<PendingDeployment>;
  /** The alarms (in ALARM) that rolled the update back, for Deleting after an alarm rollback. */
  readonly alarms?: readonly string[];
  /** Why the green fleet goes, for Deleting after it failed its health check (the endpoint's FailureReason). */
  readonly healthFailure?: string;
  /** The endpoint after the change: a copy (after a rollback: InService on the old config, FailureReason set). */
  readonly endpoint: Readonly<EndpointState>;
  readonly time: Date;
}

interface StoredModel {
  readonly arn: string;
  readonly creationTime: number;
  readonly request: ModelRequest;
}

interface StoredConfig {
  readonly arn: string;
  readonly creationTime: number;
  readonly request: EndpointConfigRequest;
}

/** One production variant of a fleet, with what serving it needs. */
export interface FleetVariant {
  readonly variantName: string;
  readonly modelName: string;
  /** The model's containers as they were when the fleet was deployed. */
  readonly containers: readonly ContainerDefinition[];
  readonly instanceType?: string;
  readonly serverlessConfig?: ProductionVariantServerlessConfig;
  readonly instanceCount: number;
  readonly weight: number;
}

/** The variants of one endpoint config, deployed. */
export interface Fleet {
  readonly endpointConfigName: string;
  readonly variants: readonly FleetVariant[];
  readonly dataCapture?: DataCaptureConfig;
  readonly kmsKeyId?: string;
  /** When this fleet's deployment started (epoch ms): its images' ResolutionTime. */
  readonly deployedAt?: number;
}

export interface DeploymentStage {
  readonly status: DeploymentStageStatus;
  /** Epoch ms when the stage starts (the previous one's end) and ends. */
  readonly startsAt: number;
  readonly endsAt: number;
  /** The share of the endpoint's traffic the pending fleet takes during this stage, 0–100. */
  readonly trafficPercent: number;
}

export interface PendingDeployment extends Fleet {
  readonly startTime: number;
  /** Shifted later when the health check outlasts the Creating stage. */
  stages: readonly DeploymentStage[];
  /**
   * `checking` while the fleet's health check has not answered: the deployment stays in its Creating stage (no
   * traffic) until it does. Absent once it passed, or without a health check.
   */
  health?: 'checking';
  /** The update's DeploymentConfig (its AutoRollbackConfiguration names the alarms that roll it back). */
  readonly deploymentConfig?: DeploymentConfig;
  /** Index of the last stage whose start was reported (and alarms checked); -1 before the first. */
  announcedStage?: number;
}

export interface EndpointState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastModifiedTime: number;
  status: LocalEndpointStatus;
  failureReason?: string;
  serving?: Fleet;
  pending?: PendingDeployment;
  /** When Deleting ends (epoch ms). */
  deletesAt?: number;
  lastDeploymentConfig?: DeploymentConfig;
  /** The config of a CreateEndpoint that failed (a Failed endpoint has no fleet, but DescribeEndpoint names it). */
  failedEndpointConfigName?: string;
  readonly tags?: Tag[];
}

interface HostingState {
  models: Record<string, StoredModel>;
  configs: Record<string, StoredConfig>;
  endpoints: Record<string, EndpointState>;
}

const STATE_FILE = 'hosting.json';
const DEFAULT_PROVISION_MS = 2000;
const DEFAULT_DELETE_MS = 500;

type Operation = (body: unknown) => unknown;

/**
 * The hosting API of one local SageMaker. Names are unique regardless of case ("The name is case-insensitive
 * in CreateEndpoint", API_CreateEndpoint) and ARNs carry them in lower case, as SageMaker's do.
 */
export class LocalHosting {
  private readonly state: HostingState;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly file: string;
  private readonly timeScale: number;
  private readonly provisionMs: number;
  private readonly deleteMs: number;
  private healthCheck: HealthCheck | undefined;
  private closed = false;
  /** Health checks under way, and their answers until the Creating stage ends, by endpoint key. */
  private readonly checks = new Map<
    string,
    { readonly deployment: string; result?: { readonly reason: string | undefined } }
  >();

  constructor(private readonly options: HostingOptions) {
    this.healthCheck = options.healthCheck;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be positive, got ${this.timeScale}`);
    this.provisionMs = options.delays?.provisionMs ?? DEFAULT_PROVISION_MS;
    this.deleteMs = options.delays?.deleteMs ?? DEFAULT_DELETE_MS;
    mkdirSync(options.workDir, { recursive: true });
    this.file = join(options.workDir, STATE_FILE);
    this.state = this.load();
    // Transitions under way when the last runtime stopped carry on from where their timeline is now.
    for (const endpoint of Object.values(this.state.endpoints)) this.schedule(endpoint);
  }

  /** The operations this serves, by their X-Amz-Target name. */
  operations(): Record<string, Operation> {
    return {
      CreateModel: (body) => this.createModel(validateCreateModel(body)),
      DescribeModel: (body) => this.describeModel(validateModelName(body)),
      DeleteModel: (body) => this.deleteModel(validateModelName(body)),
      CreateEndpointConfig: (body) => this.createEndpointConfig(validateCreateEndpointConfig(body)),
      DescribeEndpointConfig: (body) =>
        this.describeEndpointConfig(validateResourceName(body, 'EndpointConfigName')),
      DeleteEndpointConfig: (body) =>
        this.deleteEndpointConfig(validateResourceName(body, 'EndpointConfigName')),
      CreateEndpoint: (body) => this.createEndpoint(validateCreateEndpoint(body)),
      DescribeEndpoint: (body) => this.describeEndpoint(validateResourceName(body, 'EndpointName')),
      UpdateEndpoint: (body) => this.updateEndpoint(validateUpdateEndpoint(body)),
      DeleteEndpoint: (body) => this.deleteEndpoint(validateResourceName(body, 'EndpointName')),
      ListEndpoints: (body) => this.listEndpoints(validateListEndpoints(body)),
    };
  }

  /** An endpoint's state (serving will read it), or undefined. */
  endpoint(name: string): Readonly<EndpointState> | undefined {
    return this.state.endpoints[name.toLowerCase()];
  }

  /**
   * A CloudWatch alarm changed state (the runtime calls this on every change). An update under way (any stage,
   * Baking included) whose AutoRollbackConfiguration names the alarm, now in ALARM, rolls back: all traffic
   * returns to the blue fleet, the green fleet goes and the endpoint is InService on its old config — "If any of
   * your alarms trip during the specified monitoring period, SageMaker initiates a complete rollback to the old
   * endpoint" (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
   */
  alarmChanged(alarmName: string): void {
    for (const endpoint of Object.values(this.state.endpoints)) {
      if (rollbackAlarms(endpoint.pending).includes(alarmName)) this.checkAlarms(endpoint);
    }
  }

  /** Sets (or with undefined removes) the health check of new fleets: see {@link HostingOptions.healthCheck}. */
  setHealthCheck(check: HealthCheck | undefined): void {
    this.healthCheck = check;
  }

  /** Stops the lifecycle timers; the state file keeps where each endpoint was. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // --- Models ---------------------------------------------------------------------------------------------

  private createModel(request: ModelRequest): unknown {
    const key = request.ModelName.toLowerCase();
    const arn = this.arn('model', key);
    // "Cannot create already existing model "arn:…"." — quoted by code that handles it, e.g.
    // aws/sagemaker-python-sdk src/sagemaker/session.py (create_model).
    if (this.state.models[key]) throw invalid(`Cannot create already existing model "${arn}".`);
    this.state.models[key] = { arn, creationTime: Date.now(), request };
    this.save();
    return { ModelArn: arn };
  }

  private describeModel(name: string): unknown {
    const model = this.model(name);
    const request = model.request;
    return {
      ModelName: request.ModelName,
      PrimaryContainer: request.PrimaryContainer,
      Containers: request.Containers,
      InferenceExecutionConfig: request.InferenceExecutionConfig,
      ExecutionRoleArn: request.ExecutionRoleArn,
      VpcConfig: request.VpcConfig,
      CreationTime: seconds(model.creationTime),
      ModelArn: model.arn,
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
    };
  }

  /** DeleteModel removes the record only: endpoints already deployed keep their snapshot, as on SageMaker. */
  private deleteModel(name: string): unknown {
    this.model(name);
    delete this.state.models[name.toLowerCase()];
    this.save();
    return {};
  }

  /**
   * "Could not find model "arn:…"." — the answer to DescribeModel/DeleteModel of an unknown model and to a
   * CreateEndpoint whose config names one (aws/sagemaker-python-sdk#2112; the not-found prefixes per operation
   * are listed in aws/amazon-sagemaker-operator-for-k8s controllers/sdkutil/clientwrapper).
   */
  private model(name: string): StoredModel {
    const model = this.state.models[name.toLowerCase()];
    if (!model) throw invalid(`Could not find model "${this.arn('model', name.toLowerCase())}".`);
    return model;
  }

  // --- Endpoint configs -----------------------------------------------------------------------------------

  private createEndpointConfig(request: EndpointConfigRequest): unknown {
    const key = request.EndpointConfigName.toLowerCase();
    const arn = this.arn('endpoint-config', key);
    // Quoted in awslabs/spot-tagging-bot-for-digital-assets#2.
    if (this.state.configs[key])
      throw invalid(`Cannot create already existing endpoint configuration "${arn}".`);
    // The variants' models must exist when the config is created.
    for (const variant of request.ProductionVariants) this.model(String(variant.ModelName));
    this.state.configs[key] = { arn, creationTime: Date.now(), request };
    this.save();
    return { EndpointConfigArn: arn };
  }

  private describeEndpointConfig(name: string): unknown {
    const config = this.config(name);
    const request = config.request;
    return {
      EndpointConfigName: request.EndpointConfigName,
      EndpointConfigArn: config.arn,
      // InitialVariantWeight "defaults to 1.0" — API_ProductionVariant.
      ProductionVariants: request.ProductionVariants.map((variant) => ({
        ...variant,
        ...(variant.ServerlessConfig ? {} : { InitialVariantWeight: variant.InitialVariantWeight ?? 1 }),
      })),
      DataCaptureConfig: request.DataCaptureConfig,
      KmsKeyId: request.KmsKeyId,
      CreationTime: seconds(config.creationTime),
      AsyncInferenceConfig: request.AsyncInferenceConfig,
      ExplainerConfig: request.ExplainerConfig,
      ShadowProductionVariants: request.ShadowProductionVariants,
      ExecutionRoleArn: request.ExecutionRoleArn,
      VpcConfig: request.VpcConfig,
      EnableNetworkIsolation: request.EnableNetworkIsolation,
    };
  }

  /** Deleting a config an endpoint uses is allowed (API_DeleteEndpointConfig warns against it, no more). */
  private deleteEndpointConfig(name: string): unknown {
    this.config(name);
    delete this.state.configs[name.toLowerCase()];
    this.save();
    return {};
  }

  /** "Could not find endpoint configuration "arn:…"." — aws/amazon-sagemaker-examples#2339. */
  private config(name: string): StoredConfig {
    const config = this.state.configs[name.toLowerCase()];
    if (!config) {
      throw invalid(
        `Could not find endpoint configuration "${this.arn('endpoint-config', name.toLowerCase())}".`,
      );
    }
    return config;
  }

  // --- Endpoints ------------------------------------------------------------------------------------------

  private createEndpoint(request: EndpointRequest): unknown {
    const key = request.EndpointName.toLowerCase();
    const arn = this.arn('endpoint', key);
    // Quoted in aws/sagemaker-python-sdk#101 and aws/amazon-sagemaker-examples#2491.
    if (this.state.endpoints[key]) throw invalid(`Cannot create already existing endpoint "${arn}".`);
    const fleet = this.fleet(request.EndpointConfigName);
    this.checkQuotas(fleet);
    const now = Date.now();
    const endpoint: EndpointState = {
      name: request.EndpointName,
      arn,
      creationTime: now,
      lastModifiedTime: now,
      status: 'Creating',
      pending: {
        ...fleet,
        startTime: now,
        stages: [
          {
            status: 'Creating',
            startsAt: now,
            endsAt: now + this.scaled(this.provisionMs),
            trafficPercent: 0,
          },
        ],
        ...(this.healthCheck ? { health: 'checking' as const } : {}),
      },
      ...(request.DeploymentConfig ? { lastDeploymentConfig: request.DeploymentConfig } : {}),
      ...(request.Tags ? { tags: request.Tags } : {}),
    };
    this.state.endpoints[key] = endpoint;
    this.save();
    this.changed(endpoint);
    this.startHealthCheck(endpoint);
    this.schedule(endpoint);
    return { EndpointArn: arn };
  }

  private updateEndpoint(request: UpdateEndpointRequest): unknown {
    const endpoint = this.existing(request.EndpointName);
    this.checkNotInProgress(endpoint);
    const serving = endpoint.serving;
    if (!serving || endpoint.status !== 'InService') {
      throw invalid(`Cannot update endpoint "${endpoint.arn}" in status ${endpoint.status}.`);
    }
    let fleet = this.fleet(request.EndpointConfigName);
    if (request.RetainAllVariantProperties) fleet = retainVariantProperties(fleet, serving, request);
    this.checkAutoscaledVariants(endpoint, serving, fleet);
    const deployment =
      request.DeploymentConfig ??
      (request.RetainDeploymentConfig ? endpoint.lastDeploymentConfig : undefined);
    if (deployment && (deployment.BlueGreenUpdatePolicy || deployment.RollingUpdatePolicy)) {
      checkSameVariants(endpoint, serving, fleet);
    }
    this.checkQuotas(fleet);
    const now = Date.now();
    endpoint.status = 'Updating';
    endpoint.lastModifiedTime = now;
    // A failed update's FailureReason stays on the InService endpoint until the next update (API_EndpointMetadata;
    // aws-controllers-k8s/sagemaker-controller#7: it "disappears as soon as a new update is applied").
    delete endpoint.failureReason;
    endpoint.pending = {
      ...fleet,
      startTime: now,
      stages: this.stages(now, deployment, fleet),
      ...(deployment ? { deploymentConfig: deployment } : {}),
      // The first stage is reported (and the alarms first checked) on the next tick, after this call answered.
      announcedStage: -1,
      ...(this.healthCheck ? { health: 'checking' as const } : {}),
    };
    if (deployment) endpoint.lastDeploymentConfig = deployment;
    this.save();
    this.changed(endpoint);
    this.startHealthCheck(endpoint);
    this.schedule(endpoint);
    return { EndpointArn: endpoint.arn };
  }

  /**
   * "If the update would change the instance type for any model that is a target for auto scaling, the update
   * fails" — and so does removing such a variant; the variant must be deregistered first
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html). AWS does not publish the
   * message; this one says which variant and what to do.
   */
  private checkAutoscaledVariants(endpoint: EndpointState, serving: Fleet, fleet: Fleet): void {
    const isAutoscaled = this.options.isAutoscaled;
    if (!isAutoscaled) return;
    for (const variant of serving.variants) {
      const resourceId = `endpoint/${endpoint.name}/variant/${variant.variantName}`;
      if (!isAutoscaled(resourceId)) continue;
      const next = fleet.variants.find(
        (candidate) => candidate.variantName.toLowerCase() === variant.variantName.toLowerCase(),
      );
      if (next && next.instanceType === variant.instanceType) continue;
      const change = next
        ? `changes its instance type from ${variant.instanceType ?? 'serverless'} to ${next.instanceType ?? 'serverless'}`
        : 'removes it';
      throw invalid(
        `Cannot update endpoint "${endpoint.arn}": endpoint configuration "${fleet.endpointConfigName}" ${change}, ` +
          `and variant ${variant.variantName} is a target for auto scaling (${resourceId}). Delete its scaling ` +
          'policies and deregister it with DeregisterScalableTarget before updating the endpoint.',
      );
    }
  }

  private deleteEndpoint(name: string): unknown {
    const endpoint = this.existing(name);
    // DeleteEndpoint of a Creating or Updating endpoint: "Cannot update in-progress endpoint" (the ACK
    // operator's clientwrapper, DeleteEndpointInProgressMessagePrefix).
    this.checkNotInProgress(endpoint);
    const now = Date.now();
    endpoint.status = 'Deleting';
    endpoint.lastModifiedTime = now;
    endpoint.deletesAt = now + this.scaled(this.deleteMs);
    this.save();
    this.changed(endpoint);
    this.schedule(endpoint);
    return {};
  }

  /**
   * DescribeEndpoint, as on SageMaker: while Creating, EndpointConfigName is the new config and its variants
   * are in PendingDeploymentSummary; while Updating, EndpointConfigName and ProductionVariants are still the
   * old fleet's and PendingDeploymentSummary describes the new one, stage by stage (VariantStatus).
   */
  private describeEndpoint(name: string): unknown {
    const endpoint = this.existing(name);
    const { serving, pending } = endpoint;
    const stage = pending && currentStage(pending);
    return {
      EndpointName: endpoint.name,
      EndpointArn: endpoint.arn,
      EndpointConfigName:
        serving?.endpointConfigName ?? pending?.endpointConfigName ?? endpoint.failedEndpointConfigName,
      ProductionVariants: serving?.variants.map((variant) =>
        variantSummary(variant, serving.deployedAt ?? endpoint.creationTime),
      ),
      DataCaptureConfig: serving ? captureSummary(serving) : undefined,
      EndpointStatus: endpoint.status,
      FailureReason: endpoint.failureReason,
      CreationTime: seconds(endpoint.creationTime),
      LastModifiedTime: seconds(endpoint.lastModifiedTime),
      LastDeploymentConfig: endpoint.lastDeploymentConfig,
      PendingDeploymentSummary: pending && {
        EndpointConfigName: pending.endpointConfigName,
        ProductionVariants: pending.variants.map((variant) => ({
          ...variantSummary(variant, pending.startTime),
          // The green fleet's instances exist once its Creating stage is over.
          ...(variant.serverlessConfig
            ? {}
            : { CurrentInstanceCount: stage?.status === 'Creating' ? 0 : variant.instanceCount }),
          CurrentWeight: ((stage?.trafficPercent ?? 0) / 100) * variant.weight,
          InstanceType: variant.instanceType,
          VariantStatus: stage && [{ Status: stage.status, StartTime: seconds(stage.startsAt) }],
        })),
        StartTime: seconds(pending.startTime),
      },
    };
  }

  /**
   * ListEndpoints: filters, SortBy (default CreationTime), SortOrder (default Descending), MaxResults
   * (default 10, 1–100) and NextToken, as API_ListEndpoints documents them. CreationTimeAfter is "greater
   * than or equal to"; the other time filters are strict.
   */
  private listEndpoints(request: ListEndpointsInput): unknown {
    const sortBy = request.SortBy ?? 'CreationTime';
    const order = request.SortOrder ?? 'Descending';
    const query = JSON.stringify([
      sortBy,
      order,
      request.NameContains,
      request.StatusEquals,
      request.CreationTimeBefore,
      request.CreationTimeAfter,
      request.LastModifiedTimeBefore,
      request.LastModifiedTimeAfter,
    ]);
    const offset = request.NextToken === undefined ? 0 : readToken(request.NextToken, query);
    const ms = (time: unknown) => (time === undefined || time === null ? undefined : Number(time) * 1000);
    const [createdBefore, createdAfter, modifiedBefore, modifiedAfter] = [
      ms(request.CreationTimeBefore),
      ms(request.CreationTimeAfter),
      ms(request.LastModifiedTimeBefore),
      ms(request.LastModifiedTimeAfter),
    ];
    const contains = request.NameContains?.toLowerCase();
    const matching = Object.values(this.state.endpoints).filter(
      (endpoint) =>
        (contains === undefined || endpoint.name.toLowerCase().includes(contains)) &&
        (request.StatusEquals === undefined || endpoint.status === request.StatusEquals) &&
        (createdBefore === undefined || endpoint.creationTime < createdBefore) &&
        (createdAfter === undefined || endpoint.creationTime >= createdAfter) &&
        (modifiedBefore === undefined || endpoint.lastModifiedTime < modifiedBefore) &&
        (modifiedAfter === undefined || endpoint.lastModifiedTime > modifiedAfter),
    );
    const key = (endpoint: EndpointState): string | number =>
      sortBy === 'Name'
        ? endpoint.name.toLowerCase()
        : sortBy === 'Status'
          ? endpoint.status
          : endpoint.creationTime;
    const sign = order === 'Ascending' ? 1 : -1;
    matching.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const byKey = x < y ? -1 : x > y ? 1 : 0;
      // Ties (same status, same millisecond) in name order, so pages never overlap.
      return sign * (byKey || (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
    });
    const max = request.MaxResults ?? 10;
    const page = matching.slice(offset, offset + max);
    const next = offset + max < matching.length ? writeToken(offset + max, query) : undefined;
    return {
      Endpoints: page.map((endpoint) => ({
        EndpointName: endpoint.name,
        EndpointArn: endpoint.arn,
        CreationTime: seconds(endpoint.creationTime),
        LastModifiedTime: seconds(endpoint.lastModifiedTime),
        EndpointStatus: endpoint.status,
      })),
      NextToken: next,
    };
  }

  /** "Could not find endpoint "arn:…"." — aws/sagemaker-python-sdk tests, DescribeEndpoint and DeleteEndpoint. */
  private existing(name: string): EndpointState {
    const endpoint = this.state.endpoints[name.toLowerCase()];
    if (!endpoint) throw invalid(`Could not find endpoint "${this.arn('endpoint', name.toLowerCase())}".`);
    return endpoint;
  }

  /**
   * UpdateEndpoint or DeleteEndpoint while the endpoint is Creating, Updating or Deleting:
   * `Cannot update in-progress endpoint "arn:…".` (the wording stubbed in aws-samples' SageMaker hosting tests
   * and matched by the ACK operator's clientwrapper).
   */
  private checkNotInProgress(endpoint: EndpointState): void {
    if (endpoint.status === 'Creating' || endpoint.status === 'Updating' || endpoint.status === 'Deleting') {
      throw invalid(`Cannot update in-progress endpoint "${endpoint.arn}".`);
    }
  }

  /** The fleet an endpoint config deploys: its variants with their models' containers, as of now. */
  private fleet(configName: string): Fleet {
    const config = this.config(configName).request;
    return {
      endpointConfigName: config.EndpointConfigName,
      variants: config.ProductionVariants.map((variant) => {
        const model = this.model(String(variant.ModelName)).request;
        const containers = model.PrimaryContainer ? [model.PrimaryContainer] : (model.Containers ?? []);
        return {
          variantName: String(variant.VariantName),
          modelName: String(variant.ModelName),
          containers,
          ...(variant.InstanceType ? { instanceType: variant.InstanceType } : {}),
          ...(variant.ServerlessConfig ? { serverlessConfig: variant.ServerlessConfig } : {}),
          instanceCount: variant.InitialInstanceCount ?? 0,
          weight: variant.InitialVariantWeight ?? 1,
        };
      }),
      ...(config.DataCaptureConfig ? { dataCapture: config.DataCaptureConfig } : {}),
      ...(config.KmsKeyId ? { kmsKeyId: config.KmsKeyId } : {}),
    };
  }

  /**
   * ResourceLimitExceeded when the new fleet would take an instance type past its quota. Blue/green runs both
   * fleets at once, so the old fleet's instances still count during an update. Worded as SageMaker words it
   * (quoted in hashicorp/terraform-provider-aws#40080 and many deployment guides).
   */
  private checkQuotas(fleet: Fleet): void {
    const quotas = this.options.instanceQuotas;
    if (!quotas) return;
    for (const type of new Set(fleet.variants.map((variant) => variant.instanceType))) {
      if (type === undefined || quotas[type] === undefined) continue;
      const limit = quotas[type];
      const used = Object.values(this.state.endpoints)
        .flatMap((endpoint) => [endpoint.serving, endpoint.pending])
        .flatMap((deployed) => deployed?.variants ?? [])
        .filter((variant) => variant.instanceType === type)
        .reduce((sum, variant) => sum + variant.instanceCount, 0);
      const delta = fleet.variants
        .filter((variant) => variant.instanceType === type)
        .reduce((sum, variant) => sum + variant.instanceCount, 0);
      if (used + delta > limit) {
        throw new SageMakerApiError(
          'ResourceLimitExceeded',
          `The account-level service limit '${type} for endpoint usage' is ${limit} Instances, with current ` +
            `utilization of ${used} Instances and a request delta of ${delta} Instances. Please use AWS Service ` +
            'Quotas to request an increase for this quota. If AWS Service Quotas is not available, contact AWS ' +
            'support to request an increase for this quota.',
        );
      }
    }
  }

  /**
   * The timeline of an update: the green fleet is provisioned (Creating), traffic moves to it as the
   * TrafficRoutingConfiguration says (a canary step, linear steps, or all at once), each step followed by
   * WaitIntervalInSeconds, then Baking for TerminationWaitInSeconds before blue goes — API_TrafficRoutingConfig,
   * API_BlueGreenUpdatePolicy. Without a DeploymentConfig SageMaker still replaces the fleet all at once.
   * Rolling updates run as one step of WaitIntervalInSeconds.
   */
  private stages(now: number, deployment: DeploymentConfig | undefined, fleet: Fleet): DeploymentStage[] {
    const stages: DeploymentStage[] = [];
    let at = now;
    const add = (status: DeploymentStageStatus, ms: number, trafficPercent: number) => {
      const endsAt = at + this.scaled(ms);
      stages.push({ status, startsAt: at, endsAt, trafficPercent });
      at = endsAt;
    };
    add('Creating', this.provisionMs, 0);
    const blueGreen = deployment?.BlueGreenUpdatePolicy;
    const routing = blueGreen?.TrafficRoutingConfiguration;
    const wait = routing?.WaitIntervalInSeconds ?? 0;
    const instances = fleet.variants.reduce((sum, variant) => sum + variant.instanceCount, 0) || 1;
    const percent = (size: CapacitySize | undefined) =>
      Math.min(
        100,
        size?.Type === 'INSTANCE_COUNT' ? ((size.Value ?? 0) / instances) * 100 : (size?.Value ?? 100),
      );
    if (routing?.Type === 'CANARY') {
      add('ActivatingTraffic', wait * 1000, percent(routing.CanarySize));
    } else if (routing?.Type === 'LINEAR') {
      const step = Math.max(1, percent(routing.LinearStepSize));
      for (let share = step; share < 100; share += step) add('ActivatingTraffic', wait * 1000, share);
    } else if (deployment?.RollingUpdatePolicy) {
      add('ActivatingTraffic', (deployment.RollingUpdatePolicy.WaitIntervalInSeconds ?? 0) * 1000, 100);
    }
    add('Baking', (blueGreen?.TerminationWaitInSeconds ?? 0) * 1000, 100);
    return stages;
  }

  /** Arms the timer that ends the endpoint's current transition (or stage). */
  private schedule(endpoint: EndpointState): void {
    const key = endpoint.name.toLowerCase();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    let at: number | undefined;
    if (endpoint.status === 'Deleting') at = endpoint.deletesAt ?? Date.now();
    else if (endpoint.pending && awaitingHealth(endpoint.pending, Date.now())) {
      // The Creating stage is over and the health check has not answered: its answer advances the endpoint.
      const check = this.checks.get(endpoint.name.toLowerCase());
      at = check?.deployment === deploymentKey(endpoint.pending) ? undefined : Date.now();
    } else if (endpoint.pending) {
      const pending = endpoint.pending;
      at =
        (pending.announcedStage ?? Number.POSITIVE_INFINITY) < stageIndex(pending, Date.now())
          ? Date.now()
          : (currentStage(pending)?.endsAt ?? Date.now());
    }
    if (at === undefined) return;
    const timer = setTimeout(() => this.advance(key), Math.max(0, at - Date.now()));
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private advance(key: string): void {
    this.timers.delete(key);
    const endpoint = this.state.endpoints[key];
    if (!endpoint) return;
    const now = Date.now();
    if (endpoint.status === 'Deleting') {
      if ((endpoint.deletesAt ?? now) > now) {
        this.schedule(endpoint);
        return;
      }
      delete this.state.endpoints[key];
      this.save();
      try {
        this.options.onEndpointStatus?.({
          endpointName: endpoint.name,
          endpointArn: endpoint.arn,
          status: 'Deleted',
          time: new Date(now),
          endpoint: structuredClone(endpoint),
        });
      } catch {
        // A broken listener must not break the timers.
      }
      return;
    }
    const pending = endpoint.pending;
    if (!pending) return;
    if (this.settleHealth(endpoint, pending, now)) return;
    const last = pending.stages.at(-1);
    if (last && last.endsAt > now) {
      // A stage started: report it, then check the rollback alarms ("also at each stage start").
      const index = stageIndex(pending, now);
      if (pending.announcedStage !== undefined && pending.announcedStage < index) {
        pending.announcedStage = index;
        this.save();
        this.announce(endpoint, pending, index);
        if (this.checkAlarms(endpoint)) return;
      }
      this.schedule(endpoint); // the next stage: a stage's state is derived from the clock
      return;
    }
    // The update's last stage is over; a last look at the alarms before blue goes.
    if (this.checkAlarms(endpoint)) return;
    const { startTime, stages: _stages, ...fleet } = pending;
    endpoint.serving = { ...fleet, deployedAt: startTime };
    delete endpoint.pending;
    endpoint.status = 'InService';
    endpoint.lastModifiedTime = now;
    this.save();
    this.changed(endpoint);
  }

  /** Starts the health check of the endpoint's new fleet, if there is one to check and none runs. */
  private startHealthCheck(endpoint: EndpointState): void {
    const key = endpoint.name.toLowerCase();
    const pending = endpoint.pending;
    if (pending?.health !== 'checking' || this.checks.get(key)?.deployment === deploymentKey(pending)) return;
    const check = this.healthCheck;
    const entry: { deployment: string; result?: { reason: string | undefined } } = {
      deployment: deploymentKey(pending),
    };
    this.checks.set(key, entry);
    const answer = check
      ? check(structuredClone(pending)).catch((error: unknown) => String((error as Error)?.message ?? error))
      : Promise.resolve(undefined);
    void answer.then((reason) => {
      if (this.closed || this.checks.get(key) !== entry) return;
      entry.result = { reason: reason === undefined ? undefined : reason.slice(0, MAX_FAILURE_REASON) };
      const current = this.state.endpoints[key]?.pending;
      if (current && deploymentKey(current) === entry.deployment && awaitingHealth(current, Date.now())) {
        this.advance(key);
      }
    });
  }

  /**
   * At the end of the Creating stage, the health check decides: true when the endpoint must wait (no answer
   * yet) or the fleet failed; false to go on (the later stages shifted by how long the check outlasted Creating).
   */
  private settleHealth(endpoint: EndpointState, pending: PendingDeployment, now: number): boolean {
    if (!awaitingHealth(pending, now)) return false;
    const key = endpoint.name.toLowerCase();
    const check = this.checks.get(key);
    if (!check || check.deployment !== deploymentKey(pending)) {
      // A runtime restarted mid-check: check again.
      this.checks.delete(key);
      this.startHealthCheck(endpoint);
      return true;
    }
    if (!check.result) return true;
    this.checks.delete(key);
    // An update's Creating stage is reported before its end.
    if (pending.announcedStage !== undefined && pending.announcedStage < 0) {
      pending.announcedStage = 0;
      this.announce(endpoint, pending, 0);
    }
    if (check.result.reason !== undefined) {
      this.failHealth(endpoint, pending, check.result.reason);
      return true;
    }
    delete pending.health;
    const creatingEnd = pending.stages[0]?.endsAt ?? now;
    const delay = now - creatingEnd;
    if (delay > 0) {
      pending.stages = pending.stages.map((stage, index) => ({
        ...stage,
        startsAt: index === 0 ? stage.startsAt : stage.startsAt + delay,
        endsAt: stage.endsAt + delay,
      }));
    }
    this.save();
    return false;
  }

  /**
   * The new fleet failed its health check. A CreateEndpoint ends Failed ("leaving the endpoint in a failed
   * state"); an update is not completed: the green fleet is terminated and the endpoint is InService on its old
   * config with the FailureReason, which DescribeEndpoint gives "if ... the status is InService but update
   * operation fails" (API_EndpointMetadata). No alarm is named: this is the rollback a deployment only sees by
   * comparing EndpointConfigName with the config it deployed. Events: the green fleet Deleting (a deployment
   * state change, "Terminating X instance(s).") then the endpoint's IN_SERVICE state change; a failed
   * CreateEndpoint sends its FAILED state change.
   */
  private failHealth(endpoint: EndpointState, pending: PendingDeployment, reason: string): void {
    const now = Date.now();
    delete endpoint.pending;
    endpoint.failureReason = reason;
    endpoint.lastModifiedTime = now;
    if (!endpoint.serving) {
      endpoint.status = 'Failed';
      endpoint.failedEndpointConfigName = pending.endpointConfigName;
      this.save();
      this.schedule(endpoint);
      this.changed(endpoint);
      return;
    }
    endpoint.status = 'InService';
    this.save();
    this.schedule(endpoint);
    const instances = pending.variants.reduce((sum, variant) => sum + variant.instanceCount, 0);
    this.deploymentStage({
      endpointName: endpoint.name,
      endpointArn: endpoint.arn,
      status: 'Deleting',
      startTime: now,
      message: `Terminating ${instances} instance(s).`,
      trafficPercent: 0,
      pending: structuredClone(pending),
      healthFailure: reason,
      endpoint: structuredClone(endpoint),
      time: new Date(now),
    });
    this.changed(endpoint);
  }

  private changed(endpoint: EndpointState): void {
    try {
      this.options.onEndpointStatus?.({
        endpointName: endpoint.name,
        endpointArn: endpoint.arn,
        status: endpoint.status,
        endpointConfigName:
          (endpoint.pending ?? endpoint.serving)?.endpointConfigName ?? endpoint.failedEndpointConfigName,
        time: new Date(endpoint.lastModifiedTime),
        endpoint: structuredClone(endpoint),
      });
    } catch {
      // A broken listener must not break the endpoint.
    }
  }

  /** Reports the start of stage `index` of an update (a CreateEndpoint's own Creating is an endpoint status). */
  private announce(endpoint: EndpointState, pending: PendingDeployment, index: number): void {
    const stage = pending.stages[index];
    if (!stage || !endpoint.serving) return;
    this.deploymentStage({
      endpointName: endpoint.name,
      endpointArn: endpoint.arn,
      status: stage.status,
      startTime: stage.startsAt,
      message: stageMessage(stage, pending),
      trafficPercent: stage.trafficPercent,
      pending: structuredClone(pending),
      endpoint: structuredClone(endpoint),
      time: new Date(Math.max(stage.startsAt, Date.now())),
    });
  }

  private deploymentStage(change: DeploymentStageChange): void {
    try {
      this.options.onDeploymentStage?.(change);
    } catch {
      // A broken listener must not break the endpoint.
    }
  }

  /**
   * Rolls an update back if one of its AutoRollbackConfiguration alarms is in ALARM now; true if it did. Only
   * updates roll back (a CreateEndpoint has no blue fleet to return to).
   */
  private checkAlarms(endpoint: EndpointState): boolean {
    const { pending, serving } = endpoint;
    const alarmState = this.options.alarmState;
    if (!pending || !serving || endpoint.status !== 'Updating' || !alarmState) return false;
    const tripped = rollbackAlarms(pending).filter((name) => alarmState(name) === 'ALARM');
    if (tripped.length === 0) return false;
    this.rollBack(endpoint, pending, tripped);
    return true;
  }

  /**
   * Ends an update as SageMaker's auto-rollback does: all traffic back on the blue fleet at once, the green fleet
   * terminated, the endpoint InService on its old config with a FailureReason — DescribeEndpoint's FailureReason is
   * set when "the status is InService but update operation fails" (API_EndpointMetadata). AWS does not publish the
   * reason's wording for a rollback; this one names the alarms, as the deployment's failure record looks for.
   * Two events follow: a deployment state change (the green fleet Deleting, the endpoint as it now is), then the
   * endpoint's IN_SERVICE state change.
   */
  private rollBack(endpoint: EndpointState, pending: PendingDeployment, alarms: readonly string[]): void {
    const now = Date.now();
    const stage = currentStage(pending, now);
    delete endpoint.pending;
    endpoint.status = 'InService';
    endpoint.lastModifiedTime = now;
    endpoint.failureReason =
      `Deployment of endpoint configuration "${pending.endpointConfigName}" was rolled back: CloudWatch ` +
      `alarm(s) ${alarms.join(', ')} in ALARM state during the ${stage?.status ?? 'Creating'} stage. All ` +
      `traffic is served by endpoint configuration "${endpoint.serving?.endpointConfigName ?? ''}".`;
    this.save();
    this.schedule(endpoint);
    const instances = pending.variants.reduce((sum, variant) => sum + variant.instanceCount, 0);
    this.deploymentStage({
      endpointName: endpoint.name,
      endpointArn: endpoint.arn,
      status: 'Deleting',
      startTime: now,
      message: `Terminating ${instances} instance(s).`,
      trafficPercent: 0,
      pending: structuredClone(pending),
      alarms: [...alarms],
      endpoint: structuredClone(endpoint),
      time: new Date(now),
    });
    this.changed(endpoint);
  }

  private scaled(ms: number): number {
    return ms / this.timeScale;
  }

  private arn(type: 'model' | 'endpoint-config' | 'endpoint', key: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${this.options.account}:${type}/${key}`;
  }

  private load(): HostingState {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as HostingState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`The local SageMaker's hosting state ${this.file} cannot be read: ${String(error)}`);
      }
      return { models: {}, configs: {}, endpoints: {} };
    }
  }

  /** Written whole after every change, through a rename so a crash never leaves half a file. */
  private save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

/**
 * The stage a pending deployment is in now (the last one once all have ended). A fleet whose health check has
 * not answered is still Creating, whatever the clock says.
 */
export function currentStage(pending: PendingDeployment, now = Date.now()): DeploymentStage | undefined {
  if (pending.health === 'checking') return pending.stages[0];
  return pending.stages.find((stage) => stage.endsAt > now) ?? pending.stages.at(-1);
}

/** DescribeEndpoint's FailureReason: "Maximum length of 1024" (API_DescribeEndpoint). */
const MAX_FAILURE_REASON = 1024;

/** True when the Creating stage is over and the fleet's health check has not been settled. */
function awaitingHealth(pending: PendingDeployment, now: number): boolean {
  return pending.health === 'checking' && (pending.stages[0]?.endsAt ?? 0) <= now;
}

/** One deployment of an endpoint: its config and when it started. */
function deploymentKey(pending: PendingDeployment): string {
  return `${pending.endpointConfigName}@${pending.startTime}`;
}

/** The index of {@link currentStage}. */
function stageIndex(pending: PendingDeployment, now: number): number {
  if (pending.health === 'checking') return 0;
  const index = pending.stages.findIndex((stage) => stage.endsAt > now);
  return index === -1 ? pending.stages.length - 1 : index;
}

/** The alarms an update's AutoRollbackConfiguration names. */
function rollbackAlarms(pending: PendingDeployment | undefined): string[] {
  return (pending?.deploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).flatMap((alarm) =>
    alarm.AlarmName ? [alarm.AlarmName] : [],
  );
}

/**
 * ProductionVariantStatus.StatusMessage of a stage, in the words of the examples in "SageMaker endpoint
 * deployment state change" (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
 * "Launching X instance(s).", "Activating traffic on canary capacity of X instance(s).", "Baking for X seconds
 * (TerminationWaitInSeconds) with traffic enabled on full capacity of Y instance(s).".
 */
function stageMessage(stage: DeploymentStage, pending: PendingDeployment): string {
  const instances = pending.variants.reduce((sum, variant) => sum + variant.instanceCount, 0);
  if (stage.status === 'Creating') return `Launching ${instances} instance(s).`;
  if (stage.status === 'ActivatingTraffic') {
    const active = Math.max(1, Math.round((instances * stage.trafficPercent) / 100));
    return stage.trafficPercent < 100
      ? `Activating traffic on canary capacity of ${active} instance(s).`
      : `Activating traffic on full capacity of ${instances} instance(s).`;
  }
  const seconds = pending.deploymentConfig?.BlueGreenUpdatePolicy?.TerminationWaitInSeconds ?? 0;
  return `Baking for ${seconds} seconds (TerminationWaitInSeconds) with traffic enabled on full capacity of ${instances} instance(s).`;
}

/**
 * RetainAllVariantProperties: the new config's variants keep the serving variant's instance count and weight
 * (matched by name) and the endpoint keeps its data capture, except what ExcludeRetainedVariantProperties
 * names — API_UpdateEndpoint.
 */
function retainVariantProperties(fleet: Fleet, serving: Fleet, request: UpdateEndpointRequest): Fleet {
  const excluded = new Set(
    (request.ExcludeRetainedVariantProperties ?? []).map((p) => p.VariantPropertyType),
  );
  const variants = fleet.variants.map((variant) => {
    const old = serving.variants.find(
      (v) => v.variantName.toLowerCase() === variant.variantName.toLowerCase(),
    );
    if (!old) return variant;
    return {
      ...variant,
      instanceCount: excluded.has('DesiredInstanceCount') ? variant.instanceCount : old.instanceCount,
      weight: excluded.has('DesiredWeight') ? variant.weight : old.weight,
    };
  });
  const { dataCapture: _dropped, ...rest } = fleet;
  const dataCapture = excluded.has('DataCaptureConfig') ? fleet.dataCapture : serving.dataCapture;
  return { ...rest, variants, ...(dataCapture ? { dataCapture } : {}) };
}

/**
 * Blue/green and rolling updates need "the same variant name as the old endpoint configuration"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html). AWS does not
 * publish the message it answers with; this one names both sets of names.
 */
function checkSameVariants(endpoint: EndpointState, serving: Fleet, fleet: Fleet): void {
  const names = (of: Fleet) => of.variants.map((variant) => variant.variantName);
  const key = (of: Fleet) =>
    names(of)
      .map((name) => name.toLowerCase())
      .sort()
      .join(',');
  if (key(serving) !== key(fleet)) {
    throw invalid(
      `Cannot update endpoint "${endpoint.arn}" with a DeploymentConfig: the variant names of endpoint ` +
        `configuration "${fleet.endpointConfigName}" (${names(fleet).join(', ')}) differ from those of the current ` +
        `configuration "${serving.endpointConfigName}" (${names(serving).join(', ')}); blue/green and rolling ` +
        'updates need the same variant names.',
    );
  }
}

/** ProductionVariantSummary — API_ProductionVariantSummary. */
function variantSummary(variant: FleetVariant, deployedAt: number): Record<string, unknown> {
  return {
    VariantName: variant.variantName,
    DeployedImages: variant.containers
      .filter((container) => container.Image)
      .map((container) => ({
        SpecifiedImage: container.Image,
        ResolvedImage: resolvedImage(String(container.Image)),
        ResolutionTime: seconds(deployedAt),
      })),
    CurrentWeight: variant.weight,
    DesiredWeight: variant.weight,
    ...(variant.serverlessConfig
      ? {
          CurrentServerlessConfig: variant.serverlessConfig,
          DesiredServerlessConfig: variant.serverlessConfig,
        }
      : { CurrentInstanceCount: variant.instanceCount, DesiredInstanceCount: variant.instanceCount }),
  };
}

/**
 * A registry/repository[:tag] path resolves to registry/repository@sha256:<digest> (API_DeployedImage). There
 * is no registry locally: the digest is the sha256 of the specified path, stable for the same image.
 */
function resolvedImage(image: string): string {
  const digest = createHash('sha256').update(image).digest('hex');
  const repository = image.includes('@') ? image.slice(0, image.indexOf('@')) : image.replace(/:[^/:]*$/, '');
  return `${repository}@sha256:${digest}`;
}

/** DataCaptureConfigSummary — API_DataCaptureConfigSummary. */
function captureSummary(fleet: Fleet): Record<string, unknown> | undefined {
  const capture = fleet.dataCapture;
  if (!capture) return undefined;
  const enabled = capture.EnableCapture ?? true;
  return {
    EnableCapture: enabled,
    CaptureStatus: enabled ? 'Started' : 'Stopped',
    CurrentSamplingPercentage: capture.InitialSamplingPercentage,
    DestinationS3Uri: capture.DestinationS3Uri,
    KmsKeyId: capture.KmsKeyId ?? fleet.kmsKeyId,
  };
}

/** NextToken: where the next page starts, bound to the query it came from. */
function writeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString('base64url');
}

function readToken(token: string, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset?: unknown;
      query?: unknown;
    };
    if (typeof parsed.offset === 'number' && parsed.offset >= 0 && parsed.query === query)
      return parsed.offset;
  } catch {
    // not one of ours
  }
  throw invalid(
    'Invalid pagination token: NextToken must come from the previous ListEndpoints response with the same filters and sort.',
  );
}

/** Timestamps go on the wire as epoch seconds (awsJson1_1); the SDK turns them into Dates. */
function seconds(ms: number): number {
  return ms / 1000;
}
