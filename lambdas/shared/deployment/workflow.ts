/**
 * The payloads the deployment workflow passes between its states (lib/workflows/deployment.ts), as schemas:
 * each function parses what it is given, so a wiring mistake fails loudly instead of deploying something else.
 */

import type {
  DeregisterScalableTargetRequest,
  PutScalingPolicyRequest,
  RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateModelInput,
  UpdateEndpointInput,
} from '@aws-sdk/client-sagemaker';
import { DEPLOYMENT_REQUEST_KINDS } from '../events';
import { MODEL_NAME_PATTERN } from '../registry/schemas';
import * as z from '../zod';

/** The execution's input, as the start function builds it from the event. */
export const deploymentExecutionInputSchema = z.object({
  deploymentId: z.string().check(z.minLength(1), z.maxLength(80)),
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  version: z.int().check(z.gte(1)),
  kind: z.enum(DEPLOYMENT_REQUEST_KINDS),
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  reason: z.exactOptional(z.string().check(z.minLength(1), z.maxLength(2_000))),
});
export type DeploymentExecutionInput = z.output<typeof deploymentExecutionInputSchema>;

/** `$.deployment`: the recorded deployment the later states act for. */
export const deploymentContextSchema = z.object({
  deploymentId: z.string(),
  model: z.string(),
  version: z.int(),
  attempt: z.int(),
  kind: z.enum(DEPLOYMENT_REQUEST_KINDS),
  actor: z.string(),
});
export type DeploymentContext = z.output<typeof deploymentContextSchema>;

/** What the smoke test needs to judge predictions: the objective the version was trained with. */
export const smokeTestPlanSchema = z.object({
  /** `s3://<artifacts>/runs/<runId>/splits/validation/validation.csv` (no header, label first). */
  validationUri: z.string(),
  /** XGBoost objective, e.g. `binary:logistic`, `multi:softprob`, `reg:squarederror`. */
  objective: z.string(),
  /** Classes of a multiclass objective (XGBoost's num_class). */
  numClass: z.exactOptional(z.int()),
});
export type SmokeTestPlan = z.output<typeof smokeTestPlanSchema>;

/** `$.plan`: what BeginDeployment decided, and the exact requests the SageMaker/CloudWatch tasks send. */
export interface DeploymentPlan {
  readonly names: {
    readonly endpointName: string;
    readonly endpointConfigName: string;
    readonly modelName: string;
    readonly variantName: string;
  };
  /** Which CreateEndpointConfig state sends {@link createEndpointConfig}: a serverless one has no capture or KMS. */
  readonly endpointType: 'realtime' | 'serverless';
  /** create: the model has no endpoint yet; update: blue/green from {@link previousConfigName}. */
  readonly action: 'create' | 'update';
  /** The config serving before this deployment; null for a first deployment. */
  readonly previousConfigName: string | null;
  readonly createModel: CreateModelInput;
  readonly createEndpointConfig: CreateEndpointConfigInput;
  /** The endpoint's alarms, in ALARM_KINDS order (three). */
  readonly alarms: readonly PutMetricAlarmInput[];
  readonly createEndpoint: CreateEndpointInput;
  readonly updateEndpoint: UpdateEndpointInput;
  /** How long the workflow waits on the endpoint before it reads DescribeEndpoint once and decides. */
  readonly waitTimeoutSeconds: number;
  /**
   * The variant's scalable target and target-tracking policy, registered once the new config serves; null when
   * the model has no autoscaling (or is serverless).
   */
  readonly autoscaling: {
    readonly register: RegisterScalableTargetRequest;
    readonly policy: PutScalingPolicyRequest;
  } | null;
  /**
   * Set when the update changes the variant's instance type: UpdateEndpoint fails on an autoscaled variant whose
   * instance type changes, so the scalable target is deregistered first (and registered again after).
   */
  readonly deregisterScalableTarget: DeregisterScalableTargetRequest | null;
  readonly smokeTest: SmokeTestPlan;
}

export const deploymentPlanNamesSchema = z.object({
  endpointName: z.string(),
  endpointConfigName: z.string(),
  modelName: z.string(),
  variantName: z.string(),
});

/**
 * `$.endpoint`: the endpoint once it stopped changing, in DescribeEndpoint's own field names, whether the
 * event function, the waiter's own check or the timeout's DescribeEndpoint found it.
 */
export const endpointOutcomeSchema = z.object({
  EndpointStatus: z.string(),
  EndpointConfigName: z.exactOptional(z.string()),
  FailureReason: z.exactOptional(z.string()),
  /** What the deployment state change event said, when one was seen (stage, rollback, alarms). */
  deploymentEvent: z.exactOptional(z.record(z.string(), z.unknown())),
});
export type EndpointOutcome = z.output<typeof endpointOutcomeSchema>;

/** `$.smoke`: the smoke test's verdict. */
export const smokeTestResultSchema = z.object({
  passed: z.boolean(),
  rows: z.int(),
  latencyMs: z.number(),
  reasons: z.array(z.string()),
});
export type SmokeTestResult = z.output<typeof smokeTestResultSchema>;

/** Errors the deployment functions throw on purpose; the state machine catches them by name. */
export const DeploymentErrors = {
  /** The endpoint cannot take a deployment now (it is changing, or it failed); not retried. */
  endpointNotReady: 'EndpointNotReady',
  /** The version cannot be smoke-tested (no validation split). */
  smokeTestUnavailable: 'SmokeTestUnavailable',
} as const;

/** A deployment verdict with a stable name (the Catch contract) and a message for people. */
export class DeploymentError extends Error {
  override readonly name: (typeof DeploymentErrors)[keyof typeof DeploymentErrors];
  constructor(name: (typeof DeploymentErrors)[keyof typeof DeploymentErrors], message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Endpoint statuses after which nothing changes until someone calls SageMaker again: InService, Failed ("DeleteEndpoint
 * is the only operation that can be performed"), OutOfService, and UpdateRollbackFailed ("both the rolling deployment
 * and auto-rollback failed") — EndpointStatus in
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
 */
export const SETTLED_ENDPOINT_STATUSES: ReadonlySet<string> = new Set([
  'InService',
  'Failed',
  'OutOfService',
  'UpdateRollbackFailed',
]);

/** Seconds a deployment may wait on its endpoint beyond SageMaker's own blue/green timeout: provisioning. */
export const ENDPOINT_WAIT_ALLOWANCE_SECONDS = 1800;
