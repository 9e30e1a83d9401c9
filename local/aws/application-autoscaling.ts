/**
 * Application Auto Scaling, locally, for SageMaker endpoint variants: RegisterScalableTarget,
 * DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy, DescribeScalingPolicies and
 * DeleteScalingPolicy over the service's awsJson1_1 protocol (X-Amz-Target `AnyScaleFrontendService.<Op>`, as the
 * SDK's client sends it), on 127.0.0.1, so the SDK's ApplicationAutoScalingClient and the Step Functions
 * `aws-sdk:applicationautoscaling:*` tasks work against it. Nothing scales locally: targets and policies are
 * recorded (in `<workDir>/application-autoscaling.json`, across restarts) so the deployment's requests are checked
 * and what it registered can be seen.
 *
 * Shapes and limits follow the API reference (https://docs.aws.amazon.com/autoscaling/application/APIReference/)
 * and the SDK's model; constraint errors are worded as AWS's front door words them (see
 * local/sagemaker/constraints.ts). Error bodies carry `Message`, the member the model gives its errors.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  type Alarm,
  PolicyType,
  type PutScalingPolicyRequest,
  type RegisterScalableTargetRequest,
  ScalableDimension,
  ServiceNamespace,
  type StepScalingPolicyConfiguration,
  type SuspendedState,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import { closeServer, listenLocally } from '../http-server';
import { SageMakerApiError } from '../sagemaker/api-error';
import {
  enumMember,
  isAbsent,
  listLength,
  numberMember,
  stringMember,
  throwConstraintErrors,
} from '../sagemaker/constraints';
import {
  POLICY_NAME_PATTERN,
  POLICY_TYPES,
  SCALABLE_DIMENSIONS,
  SERVICE_NAMESPACES,
  tagConstraints,
  targetConstraints,
  targetTrackingConstraints,
  xmlString,
} from './application-autoscaling-constraints';
import { readBody, reply } from './json-protocol';

export interface LocalApplicationAutoScalingOptions {
  /** `application-autoscaling.json` lives here. */
  readonly workDir: string;
  /** Account and region in the ARNs. @default 000000000000, us-east-1 */
  readonly account?: string;
  readonly region?: string;
  /** @default 0 - a free port */
  readonly port?: number;
  /**
   * Whether an endpoint has a variant: when given, registering a variant that does not exist fails, as it does on
   * AWS (Application Auto Scaling validates the resource it is asked to scale). Without it, any variant registers.
   */
  readonly variantExists?: (endpointName: string, variantName: string) => boolean;
}

/** A registered scalable target, as DescribeScalableTargets answers it (times as Dates). */
export interface LocalScalableTarget {
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
  readonly MinCapacity: number;
  readonly MaxCapacity: number;
  readonly RoleARN: string;
  readonly CreationTime: Date;
  readonly SuspendedState: SuspendedState;
  readonly ScalableTargetARN: string;
}

/** A scaling policy, as DescribeScalingPolicies answers it (times as Dates). */
export interface LocalScalingPolicy {
  readonly PolicyARN: string;
  readonly PolicyName: string;
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
  readonly PolicyType: string;
  readonly StepScalingPolicyConfiguration?: StepScalingPolicyConfiguration;
  readonly TargetTrackingScalingPolicyConfiguration?: TargetTrackingScalingPolicyConfiguration;
  readonly Alarms: readonly Alarm[];
  readonly CreationTime: Date;
}

export interface LocalApplicationAutoScaling {
  readonly endpoint: string;
  /** The registered scalable targets. */
  targets(): readonly LocalScalableTarget[];
  /** The scaling policies. */
  policies(): readonly LocalScalingPolicy[];
  /** Whether a scalable target is registered for this SageMaker resource (`endpoint/<name>/variant/<variant>`). */
  isAutoscaled(resourceId: string): boolean;
  /**
   * An endpoint was deleted: its variants' targets and policies go, as Application Auto Scaling "deregisters those
   * models as scalable targets without notifying you" (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html).
   */
  endpointDeleted(endpointName: string): void;
  stop(): Promise<void>;
}

interface StoredTarget extends Omit<LocalScalableTarget, 'CreationTime'> {
  readonly CreationTime: number;
  readonly Tags?: Record<string, string>;
}

interface StoredPolicy extends Omit<LocalScalingPolicy, 'CreationTime'> {
  readonly CreationTime: number;
}

interface State {
  targets: StoredTarget[];
  policies: StoredPolicy[];
}

type Operation = (body: Record<string, unknown>) => unknown;

const STATE_FILE = 'application-autoscaling.json';
/** The SageMaker resources this serves: `endpoint/<endpoint>/variant/<variant>` (API_RegisterScalableTarget). */
const VARIANT_RESOURCE = /^endpoint\/([^/]+)\/variant\/([^/]+)$/;
const VARIANT_DIMENSIONS: readonly string[] = [
  ScalableDimension.SageMakerVariantDesiredInstanceCount,
  ScalableDimension.SageMakerVariantDesiredProvisionedConcurrency,
];

/**
 * Starts the local Application Auto Scaling on 127.0.0.1.
 */
export async function startLocalApplicationAutoScaling(
  options: LocalApplicationAutoScalingOptions,
): Promise<LocalApplicationAutoScaling> {
  const service = new ApplicationAutoScalingService(options);
  const server = createServer((request, response) => {
    void handle(service.operations(), request, response).catch((error: unknown) =>
      reply(response, 500, { __type: 'InternalServiceException', Message: String(error) }),
    );
  });
  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    targets: () => service.targets(),
    policies: () => service.policies(),
    isAutoscaled: (resourceId) => service.isAutoscaled(resourceId),
    endpointDeleted: (endpointName) => service.endpointDeleted(endpointName),
    stop: () => closeServer(server),
  };
}

/** An error as the service answers it: `__type` is the SDK error's name, `Message` its message. */
class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string) => new ApiError('ValidationException', message);

class ApplicationAutoScalingService {
  private readonly state: State;
  private readonly file: string;
  private readonly account: string;
  private readonly region: string;

  constructor(private readonly options: LocalApplicationAutoScalingOptions) {
    mkdirSync(options.workDir, { recursive: true });
    this.file = join(options.workDir, STATE_FILE);
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.state = this.load();
  }

  operations(): Record<string, Operation> {
    return {
      RegisterScalableTarget: (body) => this.register(body),
      DeregisterScalableTarget: (body) => this.deregister(body),
      DescribeScalableTargets: (body) => this.describeTargets(body),
      PutScalingPolicy: (body) => this.putPolicy(body),
      DescribeScalingPolicies: (body) => this.describePolicies(body),
      DeleteScalingPolicy: (body) => this.deletePolicy(body),
    };
  }

  targets(): LocalScalableTarget[] {
    return this.state.targets.map(({ Tags: _tags, ...target }) => ({
      ...target,
      CreationTime: new Date(target.CreationTime),
    }));
  }

  policies(): LocalScalingPolicy[] {
    return this.state.policies.map((policy) => ({ ...policy, CreationTime: new Date(policy.CreationTime) }));
  }

  isAutoscaled(resourceId: string): boolean {
    return this.state.targets.some(
      (target) => target.ServiceNamespace === ServiceNamespace.SAGEMAKER && target.ResourceId === resourceId,
    );
  }

  endpointDeleted(endpointName: string): void {
    const gone = (key: TargetKey) =>
      key.ServiceNamespace === ServiceNamespace.SAGEMAKER &&
      VARIANT_RESOURCE.exec(key.ResourceId)?.[1]?.toLowerCase() === endpointName.toLowerCase();
    const before = this.state.targets.length + this.state.policies.length;
    this.state.targets = this.state.targets.filter((target) => !gone(target));
    this.state.policies = this.state.policies.filter((policy) => !gone(policy));
    if (this.state.targets.length + this.state.policies.length !== before) this.save();
  }

  /**
   * Registers a target, or updates the capacity range / suspended state of a registered one (API_RegisterScalableTarget:
   * "After you register a scalable target, you can use this operation to update the minimum and maximum values").
   */
  private register(body: Record<string, unknown>): unknown {
    const request = body as unknown as RegisterScalableTargetRequest;
    throwConstraintErrors([
      ...targetConstraints(body),
      ...numberMember('minCapacity', body.MinCapacity, {}),
      ...numberMember('maxCapacity', body.MaxCapacity, {}),
      ...xmlString('roleARN', body.RoleARN, { min: 1, max: 1600 }),
      ...tagConstraints(body.Tags),
    ]);
    const key = this.checkTarget(body);
    const existing = this.findTarget(key);
    const min = request.MinCapacity ?? existing?.MinCapacity;
    const max = request.MaxCapacity ?? existing?.MaxCapacity;
    if (min === undefined || max === undefined) {
      // "This property is required when registering a new scalable target." (MinCapacity, MaxCapacity)
      throw validation(
        `MinCapacity and MaxCapacity are required when registering a new scalable target: ${describeKey(key)}`,
      );
    }
    if (min > max) {
      // AWS refuses a minimum above the maximum with a ValidationException; its wording is not published.
      throw validation(`Minimum capacity ${min} cannot be greater than maximum capacity ${max}`);
    }
    if (existing) {
      if (request.Tags !== undefined) {
        // Quoted in terraform-aws-modules/terraform-aws-rds-aurora#420.
        throw validation(
          'The scalable target that you tried to tag already exists. To update tags on an existing scalable ' +
            'target, use the TagResource API.',
        );
      }
      const updated: StoredTarget = {
        ...existing,
        MinCapacity: min,
        MaxCapacity: max,
        SuspendedState: { ...existing.SuspendedState, ...request.SuspendedState },
      };
      this.state.targets = this.state.targets.map((target) => (target === existing ? updated : target));
      this.save();
      return { ScalableTargetARN: existing.ScalableTargetARN };
    }
    const target: StoredTarget = {
      ...key,
      MinCapacity: min,
      MaxCapacity: max,
      // SageMaker has a service-linked role for Application Auto Scaling, which it uses when none is given
      // (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html).
      RoleARN:
        request.RoleARN ??
        `arn:aws:iam::${this.account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/` +
          'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      CreationTime: Date.now(),
      SuspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
        ...request.SuspendedState,
      },
      ScalableTargetARN: this.targetArn(key),
      ...(request.Tags ? { Tags: { ...request.Tags } } : {}),
    };
    this.state.targets.push(target);
    this.save();
    return { ScalableTargetARN: target.ScalableTargetARN };
  }

  /** "Deregistering a scalable target deletes the scaling policies ... associated with it." — API_DeregisterScalableTarget */
  private deregister(body: Record<string, unknown>): unknown {
    throwConstraintErrors(targetConstraints(body));
    const key = targetKey(body);
    const existing = this.findTarget(key);
    if (!existing) {
      // As AWS answers it (quoted in the FlociLab Application Auto Scaling lab, and by moto).
      throw new ApiError('ObjectNotFoundException', `No scalable target found for ${describeKey(key)}`);
    }
    this.state.targets = this.state.targets.filter((target) => target !== existing);
    this.state.policies = this.state.policies.filter((policy) => !sameTarget(policy, key));
    this.save();
    return {};
  }

  private describeTargets(body: Record<string, unknown>): unknown {
    const ids = body.ResourceIds;
    throwConstraintErrors([
      ...enumMember('serviceNamespace', body.ServiceNamespace, SERVICE_NAMESPACES, true),
      ...(Array.isArray(ids)
        ? [
            listLength('resourceIds', ids, 0, 50),
            ...ids.flatMap((id, i) => xmlString(`resourceIds.${i + 1}.member`, id, { min: 1, max: 1600 })),
          ]
        : []),
      ...enumMember('scalableDimension', body.ScalableDimension, SCALABLE_DIMENSIONS),
      ...numberMember('maxResults', body.MaxResults, {}),
      ...xmlString('nextToken', body.NextToken, { max: 2048 }),
    ]);
    const wanted = Array.isArray(ids) && ids.length > 0 ? new Set(ids.map(String)) : undefined;
    const matching = this.state.targets.filter(
      (target) =>
        target.ServiceNamespace === body.ServiceNamespace &&
        (wanted === undefined || wanted.has(target.ResourceId)) &&
        (body.ScalableDimension === undefined || target.ScalableDimension === body.ScalableDimension),
    );
    // "This value can be between 1 and 50. The default value is 50."
    const { page, next } = paginate(matching, body, 50);
    return {
      ScalableTargets: page.map(({ Tags: _tags, CreationTime, ...target }) => ({
        ...target,
        CreationTime: seconds(CreationTime),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /**
   * Creates or updates (same name, same target) a scaling policy of a registered target. A target tracking policy
   * gets the two CloudWatch alarms Application Auto Scaling creates for it, named `TargetTracking-<resource>-AlarmHigh-
   * <uuid>` / `-AlarmLow-<uuid>` (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html:
   * "do not edit or delete the CloudWatch alarms ... named TargetTracking-"; a real response with them is quoted in
   * boto/boto3#2839); locally nothing evaluates them.
   */
  private putPolicy(body: Record<string, unknown>): unknown {
    const request = body as unknown as PutScalingPolicyRequest;
    throwConstraintErrors([
      ...stringMember('policyName', body.PolicyName, {
        required: true,
        min: 1,
        max: 256,
        pattern: POLICY_NAME_PATTERN,
      }),
      ...targetConstraints(body),
      ...enumMember('policyType', body.PolicyType, POLICY_TYPES),
      ...targetTrackingConstraints(body.TargetTrackingScalingPolicyConfiguration),
    ]);
    const key = this.checkTarget(body);
    if (!this.findTarget(key)) {
      // Quoted in ansible/ansible#35632 and cloudposse/terraform-aws-ecs-cloudwatch-autoscaling#36.
      throw new ApiError('ObjectNotFoundException', `No scalable target registered for ${describeKey(key)}`);
    }
    const existing = this.state.policies.find(
      (policy) => policy.PolicyName === request.PolicyName && sameTarget(policy, key),
    );
    // PolicyType "is required if you are creating a scaling policy"; PredictiveScaling is "Only supported for
    // Amazon ECS" (API_PutScalingPolicy).
    const type = request.PolicyType ?? existing?.PolicyType;
    if (type === undefined) {
      throw validation(`PolicyType is required when creating scaling policy ${String(request.PolicyName)}`);
    }
    if (type === PolicyType.TargetTrackingScaling) {
      const config = request.TargetTrackingScalingPolicyConfiguration;
      if (!config) {
        throw validation(
          'TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy',
        );
      }
      const predefined = config.PredefinedMetricSpecification;
      if (!predefined === !config.CustomizedMetricSpecification) {
        throw validation(
          'Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified',
        );
      }
      if (predefined && !predefined.PredefinedMetricType?.startsWith('SageMakerVariant')) {
        throw validation(
          `The predefined metric type ${String(predefined.PredefinedMetricType)} is not valid for a SageMaker ` +
            'endpoint variant: use SageMakerVariantInvocationsPerInstance, ' +
            'SageMakerVariantProvisionedConcurrencyUtilization or SageMakerVariantConcurrentRequestsPerModelHighResolution',
        );
      }
    } else if (type === PolicyType.StepScaling) {
      if (!request.StepScalingPolicyConfiguration) {
        throw validation('StepScalingPolicyConfiguration is required for a StepScaling policy');
      }
    } else {
      throw validation(`${type} policies are only supported for Amazon ECS, not ${describeKey(key)}`);
    }
    const uuid = existing ? policyUuid(existing.PolicyARN) : randomUUID();
    // An updated target tracking policy keeps its alarms (Application Auto Scaling updates them in place).
    const alarms: Alarm[] =
      type !== PolicyType.TargetTrackingScaling
        ? []
        : existing?.PolicyType === type && existing.Alarms.length > 0
          ? [...existing.Alarms]
          : ['AlarmHigh', 'AlarmLow'].map((kind) => {
              const name = `TargetTracking-${key.ResourceId}-${kind}-${randomUUID()}`;
              return {
                AlarmName: name,
                AlarmARN: `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`,
              };
            });
    const policy: StoredPolicy = {
      PolicyARN:
        `arn:aws:autoscaling:${this.region}:${this.account}:scalingPolicy:${uuid}:resource/` +
        `${key.ServiceNamespace}/${key.ResourceId}:policyName/${request.PolicyName}`,
      PolicyName: String(request.PolicyName),
      ...key,
      PolicyType: type,
      ...(request.StepScalingPolicyConfiguration && type === PolicyType.StepScaling
        ? { StepScalingPolicyConfiguration: request.StepScalingPolicyConfiguration }
        : {}),
      ...(request.TargetTrackingScalingPolicyConfiguration && type === PolicyType.TargetTrackingScaling
        ? { TargetTrackingScalingPolicyConfiguration: request.TargetTrackingScalingPolicyConfiguration }
        : {}),
      Alarms: alarms,
      CreationTime: existing?.CreationTime ?? Date.now(),
    };
    this.state.policies = existing
      ? this.state.policies.map((stored) => (stored === existing ? policy : stored))
      : [...this.state.policies, policy];
    this.save();
    return { PolicyARN: policy.PolicyARN, Alarms: policy.Alarms };
  }

  private describePolicies(body: Record<string, unknown>): unknown {
    const names = body.PolicyNames;
    throwConstraintErrors([
      ...(Array.isArray(names)
        ? [
            listLength('policyNames', names, 0, 50),
            ...names.flatMap((name, i) =>
              xmlString(`policyNames.${i + 1}.member`, name, { min: 1, max: 1600 }),
            ),
          ]
        : []),
      ...enumMember('serviceNamespace', body.ServiceNamespace, SERVICE_NAMESPACES, true),
      ...xmlString('resourceId', body.ResourceId, { min: 1, max: 1600 }),
      ...enumMember('scalableDimension', body.ScalableDimension, SCALABLE_DIMENSIONS),
      ...numberMember('maxResults', body.MaxResults, {}),
      ...xmlString('nextToken', body.NextToken, { max: 2048 }),
    ]);
    const wanted = Array.isArray(names) && names.length > 0 ? new Set(names.map(String)) : undefined;
    const matching = this.state.policies.filter(
      (policy) =>
        policy.ServiceNamespace === body.ServiceNamespace &&
        (wanted === undefined || wanted.has(policy.PolicyName)) &&
        (body.ResourceId === undefined || policy.ResourceId === body.ResourceId) &&
        (body.ScalableDimension === undefined || policy.ScalableDimension === body.ScalableDimension),
    );
    // "This value can be between 1 and 10. The default value is 10."
    const { page, next } = paginate(matching, body, 10);
    return {
      ScalingPolicies: page.map((policy) => ({ ...policy, CreationTime: seconds(policy.CreationTime) })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private deletePolicy(body: Record<string, unknown>): unknown {
    throwConstraintErrors([
      ...stringMember('policyName', body.PolicyName, {
        required: true,
        min: 1,
        max: 256,
        pattern: POLICY_NAME_PATTERN,
      }),
      ...targetConstraints(body),
    ]);
    const key = targetKey(body);
    const existing = this.state.policies.find(
      (policy) => policy.PolicyName === body.PolicyName && sameTarget(policy, key),
    );
    if (!existing) {
      throw new ApiError(
        'ObjectNotFoundException',
        `No scaling policy found for ${describeKey(key)}, policy name: ${String(body.PolicyName)}`,
      );
    }
    this.state.policies = this.state.policies.filter((policy) => policy !== existing);
    this.save();
    return {};
  }

  /**
   * The namespace, resource and dimension must fit together, and this local service scales SageMaker endpoint
   * variants only (`endpoint/<endpoint>/variant/<variant>`, `sagemaker:variant:*`).
   */
  private checkTarget(body: Record<string, unknown>): TargetKey {
    const key = targetKey(body);
    const variant = VARIANT_RESOURCE.exec(key.ResourceId);
    if (
      key.ServiceNamespace !== ServiceNamespace.SAGEMAKER ||
      !VARIANT_DIMENSIONS.includes(key.ScalableDimension)
    ) {
      throw validation(
        `Unsupported service namespace, resource type or scalable dimension: the local Application Auto Scaling ` +
          `scales SageMaker endpoint variants (sagemaker, endpoint/<endpoint>/variant/<variant>, ` +
          `${VARIANT_DIMENSIONS.join(' or ')}), not ${describeKey(key)}`,
      );
    }
    if (!variant) {
      throw validation(
        `Unsupported service namespace, resource type or scalable dimension: resource ID ${key.ResourceId} is not ` +
          'endpoint/<endpoint>/variant/<variant>',
      );
    }
    const [, endpointName = '', variantName = ''] = variant;
    if (this.options.variantExists && !this.options.variantExists(endpointName, variantName)) {
      // AWS validates the resource (a ValidationException); its wording for SageMaker is not published.
      throw validation(
        `The endpoint variant ${variantName} of endpoint ${endpointName} does not exist (resource ID ${key.ResourceId})`,
      );
    }
    return key;
  }

  private findTarget(key: TargetKey): StoredTarget | undefined {
    return this.state.targets.find((target) => sameTarget(target, key));
  }

  /** `arn:aws:application-autoscaling:<region>:<account>:scalable-target/<id>` — API_ScalableTarget. */
  private targetArn(key: TargetKey): string {
    const id = createHash('sha256')
      .update(`${key.ServiceNamespace}|${key.ResourceId}|${key.ScalableDimension}|${Date.now()}`)
      .digest('hex')
      .slice(0, 36);
    return `arn:aws:application-autoscaling:${this.region}:${this.account}:scalable-target/${id}`;
  }

  private load(): State {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as State;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `The local Application Auto Scaling state ${this.file} cannot be read: ${String(error)}`,
        );
      }
      return { targets: [], policies: [] };
    }
  }

  /** Written whole after every change, through a rename so a crash never leaves half a file. */
  private save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

interface TargetKey {
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
}

function targetKey(body: Record<string, unknown>): TargetKey {
  return {
    ServiceNamespace: String(body.ServiceNamespace),
    ResourceId: String(body.ResourceId),
    ScalableDimension: String(body.ScalableDimension),
  };
}

function sameTarget(a: TargetKey, b: TargetKey): boolean {
  return (
    a.ServiceNamespace === b.ServiceNamespace &&
    a.ResourceId === b.ResourceId &&
    a.ScalableDimension === b.ScalableDimension
  );
}

/** "service namespace: sagemaker, resource ID: endpoint/…, scalable dimension: sagemaker:variant:…" as AWS's messages say. */
function describeKey(key: TargetKey): string {
  return (
    `service namespace: ${key.ServiceNamespace}, resource ID: ${key.ResourceId}, ` +
    `scalable dimension: ${key.ScalableDimension}`
  );
}

/**
 * A page of `items` and the token of the next one. MaxResults outside 1–`max` and tokens this service did not
 * give out are refused (ValidationException, InvalidNextTokenException — the operations' documented errors).
 */
function paginate<T>(
  items: readonly T[],
  body: Record<string, unknown>,
  max: number,
): { page: readonly T[]; next?: string } {
  const size = isAbsent(body.MaxResults) ? max : Number(body.MaxResults);
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw validation(`MaxResults must be between 1 and ${max}, got ${String(body.MaxResults)}`);
  }
  let offset = 0;
  if (!isAbsent(body.NextToken)) {
    const parsed = Number(
      Buffer.from(String(body.NextToken), 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!String(body.NextToken) || !Number.isInteger(parsed) || parsed < 0) {
      throw new ApiError('InvalidNextTokenException', 'The next token supplied was invalid.');
    }
    offset = parsed;
  }
  const page = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { page, next: Buffer.from(`offset:${offset + size}`).toString('base64url') }
    : { page };
}

/** The uuid part of a policy ARN (kept when a policy is updated). */
function policyUuid(arn: string): string {
  return /:scalingPolicy:([^:]+):/.exec(arn)?.[1] ?? randomUUID();
}

/** Timestamps go on the wire as epoch seconds (awsJson1_1); the SDK turns them into Dates. */
function seconds(ms: number): number {
  return ms / 1000;
}

async function handle(
  operations: Record<string, Operation>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const text = await readBody(request);
  try {
    const name = target.replace(/^AnyScaleFrontendService\./, '');
    const operation = operations[name];
    if (!target.startsWith('AnyScaleFrontendService.') || !operation) {
      throw new ApiError(
        'UnknownOperationException',
        `${target || 'This operation'} is not served locally: the local Application Auto Scaling serves ` +
          Object.keys(operations).join(', '),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text || '{}');
    } catch {
      throw new ApiError('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError('SerializationException', 'The request body must be a JSON object');
    }
    reply(response, 200, operation(body as Record<string, unknown>));
  } catch (error) {
    if (error instanceof ApiError) {
      reply(response, 400, { __type: error.type, Message: error.message });
    } else if (error instanceof SageMakerApiError) {
      // The shared constraint checks throw SageMaker's error type; the wording is the same front door's.
      reply(response, 400, { __type: error.type, Message: error.message });
    } else {
      throw error;
    }
  }
}
