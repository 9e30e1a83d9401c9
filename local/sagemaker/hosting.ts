/**
 * SageMaker's hosting control plane, locally: the API operations on models, endpoint configs and endpoints,
 * with SageMaker's shapes, validation (hosting-validation.ts) and errors. What they change is kept by
 * hosting-state.ts; the transitions they start (Creating, Updating with blue/green stages, health checks and
 * alarm rollback, Deleting) are run by endpoint-lifecycle.ts.
 */
import { createHash } from 'node:crypto';
import type { ListEndpointsInput } from '@aws-sdk/client-sagemaker';
import { SageMakerApiError } from './api-error';
import {
  currentStage,
  EndpointLifecycle,
  type EndpointLifecycleOptions,
  type HealthCheck,
} from './endpoint-lifecycle';
import {
  type EndpointState,
  type Fleet,
  type FleetVariant,
  type HostingState,
  HostingStore,
  type StoredConfig,
  type StoredModel,
} from './hosting-state';
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

export interface HostingOptions extends EndpointLifecycleOptions {
  /** The state file `hosting.json` lives here. */
  readonly workDir: string;
  readonly account: string;
  readonly region: string;
  /**
   * Per instance type, how many instances all endpoints may use together (SageMaker's "<type> for endpoint
   * usage" quotas); beyond it CreateEndpoint and UpdateEndpoint fail with ResourceLimitExceeded.
   * @default no limit
   */
  readonly instanceQuotas?: Readonly<Record<string, number>>;
  /**
   * Whether Application Auto Scaling has a scalable target for `endpoint/<endpoint>/variant/<variant>`: an
   * UpdateEndpoint that changes such a variant's instance type, or removes the variant, fails. @default none is
   */
  readonly isAutoscaled?: (resourceId: string) => boolean;
}

type Operation = (body: unknown) => unknown;

/**
 * The hosting API of one local SageMaker. Names are unique regardless of case ("The name is case-insensitive
 * in CreateEndpoint", API_CreateEndpoint) and ARNs carry them in lower case, as SageMaker's do.
 */
export class LocalHosting {
  private readonly store: HostingStore;
  private readonly state: HostingState;
  private readonly lifecycle: EndpointLifecycle;

  constructor(private readonly options: HostingOptions) {
    this.store = new HostingStore(options.workDir);
    this.state = this.store.state;
    this.lifecycle = new EndpointLifecycle(this.store, options);
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
    this.lifecycle.alarmChanged(alarmName);
  }

  /** Sets (or with undefined removes) the health check of new fleets: see {@link HostingOptions.healthCheck}. */
  setHealthCheck(check: HealthCheck | undefined): void {
    this.lifecycle.setHealthCheck(check);
  }

  /** Stops the lifecycle timers; the state file keeps where each endpoint was. */
  close(): void {
    this.lifecycle.close();
  }

  // --- Models ---------------------------------------------------------------------------------------------

  private createModel(request: ModelRequest): unknown {
    const key = request.ModelName.toLowerCase();
    const arn = this.arn('model', key);
    // "Cannot create already existing model "arn:…"." — quoted by code that handles it, e.g.
    // aws/sagemaker-python-sdk src/sagemaker/session.py (create_model).
    if (this.state.models[key]) throw invalid(`Cannot create already existing model "${arn}".`);
    this.state.models[key] = { arn, creationTime: Date.now(), request };
    this.store.save();
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
    this.store.save();
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
    this.store.save();
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
    this.store.save();
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
            endsAt: now + this.lifecycle.scaled(this.lifecycle.provisionMs),
            trafficPercent: 0,
          },
        ],
        ...(this.lifecycle.checksHealth ? { health: 'checking' as const } : {}),
      },
      ...(request.DeploymentConfig ? { lastDeploymentConfig: request.DeploymentConfig } : {}),
      ...(request.Tags ? { tags: request.Tags } : {}),
    };
    this.state.endpoints[key] = endpoint;
    this.store.save();
    this.lifecycle.changed(endpoint);
    this.lifecycle.startHealthCheck(endpoint);
    this.lifecycle.schedule(endpoint);
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
      stages: this.lifecycle.stages(now, deployment, fleet),
      ...(deployment ? { deploymentConfig: deployment } : {}),
      // The first stage is reported (and the alarms first checked) on the next tick, after this call answered.
      announcedStage: -1,
      ...(this.lifecycle.checksHealth ? { health: 'checking' as const } : {}),
    };
    if (deployment) endpoint.lastDeploymentConfig = deployment;
    this.store.save();
    this.lifecycle.changed(endpoint);
    this.lifecycle.startHealthCheck(endpoint);
    this.lifecycle.schedule(endpoint);
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
    endpoint.deletesAt = now + this.lifecycle.scaled(this.lifecycle.deleteMs);
    this.store.save();
    this.lifecycle.changed(endpoint);
    this.lifecycle.schedule(endpoint);
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

  private arn(type: 'model' | 'endpoint-config' | 'endpoint', key: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${this.options.account}:${type}/${key}`;
  }
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
