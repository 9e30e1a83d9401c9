/**
 * BeginDeployment: under the lease, begins the deployment in the registry (which reads the `production`
 * baseline the promotion will be conditioned on), looks at the model's endpoint once, and builds every request
 * the workflow's SageMaker and CloudWatch tasks send (lambdas/shared/endpoints). Logic here; the calls are the
 * state machine's service integrations.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  DeregisterScalableTargetRequest,
  PutScalingPolicyRequest,
  RegisterScalableTargetRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointConfigCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { describeEndpoint } from '../shared/deployment/endpoint';
import {
  type DeploymentContext,
  DeploymentError,
  DeploymentErrors,
  type DeploymentPlan,
  ENDPOINT_WAIT_ALLOWANCE_SECONDS,
} from '../shared/deployment/workflow';
import { endpointAlarms } from '../shared/endpoints/alarms';
import {
  INVOCATIONS_TARGET_TRACKING,
  VARIANT_SCALING,
  variantResourceId,
} from '../shared/endpoints/autoscaling';
import { alarmNames, versionedNames } from '../shared/endpoints/naming';
import {
  createEndpointConfigInput,
  createEndpointInput,
  createModelInput,
  type DeploymentRequestParameters,
  effectiveTrafficRouting,
  updateEndpointInput,
} from '../shared/endpoints/requests';
import { MetricNames } from '../shared/metric-names';
import {
  deploymentSettingsFor,
  MODEL_SETTINGS_DEFAULTS_KEY,
  type RuntimeDeploymentSettings,
  type RuntimeDeploymentSettingsMap,
} from '../shared/model-settings';
import type { ModelRegistryClient } from '../shared/registry';
import { VersionNotFoundError } from '../shared/registry';
import { publishMetric } from '../shared/runtime/metrics';
import { runArtifactKey, s3Uri, splitFile } from '../shared/s3-layout';

export interface BeginDeploymentDependencies {
  readonly registry: Pick<ModelRegistryClient, 'beginDeployment' | 'getVersion' | 'recordDeploymentProgress'>;
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly settings: RuntimeDeploymentSettingsMap;
  /** The stack's SageMaker name prefix (naming.ts namePrefix). */
  readonly namePrefix: string;
  readonly artifactsBucket: string;
  readonly kmsKeyArn: string;
  /**
   * The roles SageMaker hosts models with, by model, plus `defaults` for models not named in the config: each
   * reads only its models' artifacts and writes only their capture (lib/constructs/deployment-pipeline.ts).
   */
  readonly executionRoles: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /**
   * Where the step's business metric is published (lambdas/shared/metric-names.ts).
   * @default - none published
   */
  readonly metrics?: Metrics;
}

/**
 * @throws LeaseNotHeldError, InvalidStatusTransitionError (registry); EndpointNotReady when the endpoint is
 *   changing or failed; DeploymentSettingsError for settings SageMaker would reject
 */
export async function beginDeployment(
  deployment: DeploymentContext,
  deps: BeginDeploymentDependencies,
): Promise<DeploymentPlan> {
  const { registry, logger } = deps;
  const { deploymentId, model, version, attempt } = deployment;
  logger.appendKeys({ deploymentId, model, version });
  await registry.beginDeployment(deploymentId, { actor: deployment.actor });
  if (deps.metrics !== undefined) {
    publishMetric(deps.metrics, MetricNames.deploymentStarted, 1, {
      model,
      metadata: { deploymentId, version, kind: deployment.kind },
    });
  }
  const stored = await registry.getVersion(model, version);
  if (stored === undefined) throw new VersionNotFoundError(model, version);
  const settings = deploymentSettingsFor(deps.settings, model);
  const names = versionedNames(deps.namePrefix, model, version, attempt);
  const alarms = alarmNames(names.endpointName);
  const parameters: DeploymentRequestParameters = {
    model,
    version,
    attempt,
    artifactUri: stored.lineage.artifactUri,
    // The training image serves too: built-in XGBoost's image is its inference image.
    image: stored.lineage.image,
    executionRoleArn: executionRoleFor(deps.executionRoles, model),
    kmsKeyArn: deps.kmsKeyArn,
    artifactsBucket: deps.artifactsBucket,
    names,
    alarmNames: alarms,
    settings,
  };
  const current = await describeEndpoint(deps.sagemaker, names.endpointName);
  if (current !== undefined && current.status !== 'InService') {
    // A changing endpoint refuses another UpdateEndpoint; on a Failed one "DeleteEndpoint is the only operation
    // that can be performed" (EndpointStatus, API_DescribeEndpoint).
    const remedy =
      current.status === 'Failed'
        ? `delete it (aws sagemaker delete-endpoint --endpoint-name ${names.endpointName}) and deploy again`
        : 'deploy again once it is InService';
    throw new DeploymentError(
      DeploymentErrors.endpointNotReady,
      `endpoint ${names.endpointName} is ${current.status}, not InService: it cannot take a deployment now; ${remedy}`,
    );
  }
  const routing = effectiveTrafficRouting(settings);
  const hyperparameters = stored.lineage.hyperparameters;
  const numClass = Number(hyperparameters.num_class);
  const plan: DeploymentPlan = {
    names,
    endpointType: settings.endpoint.type,
    action: current === undefined ? 'create' : 'update',
    previousConfigName: current?.configName ?? null,
    createModel: createModelInput(parameters),
    createEndpointConfig: createEndpointConfigInput(parameters),
    alarms: endpointAlarms({
      model,
      endpointName: names.endpointName,
      variantName: names.variantName,
      alarmNames: alarms,
      alarms: settings.alarms,
    }),
    createEndpoint: createEndpointInput(names),
    updateEndpoint: updateEndpointInput(parameters),
    waitTimeoutSeconds: settings.maxExecutionTimeoutSeconds + ENDPOINT_WAIT_ALLOWANCE_SECONDS,
    autoscaling: autoscalingRequests(names.endpointName, names.variantName, settings),
    deregisterScalableTarget:
      current === undefined || settings.endpoint.type !== 'realtime'
        ? null
        : await deregistrationBeforeUpdate(deps.sagemaker, current.configName, settings, names),
    smokeTest: {
      validationUri: s3Uri(
        deps.artifactsBucket,
        runArtifactKey(stored.lineage.runId, splitFile('validation')),
      ),
      objective: hyperparameters.objective ?? '',
      ...(Number.isInteger(numClass) && numClass > 1 ? { numClass } : {}),
    },
  };
  await registry.recordDeploymentProgress(deploymentId, {
    endpointName: names.endpointName,
    endpointConfigName: names.endpointConfigName,
    stage: {
      name: 'Planned',
      details: {
        action: plan.action,
        previousConfigName: plan.previousConfigName,
        trafficRouting: routing.routing.type,
        trafficRoutingAdjusted: routing.adjustedBecause, // left out of the stored details when undefined
        endpointType: settings.endpoint.type,
      },
    },
  });
  logger.info('Deployment planned', { action: plan.action, previousConfigName: plan.previousConfigName });
  return plan;
}

/** The model's own execution role, or the default one for a model not named in the config. */
export function executionRoleFor(roles: Readonly<Record<string, string>>, model: string): string {
  const role = roles[model] ?? roles[MODEL_SETTINGS_DEFAULTS_KEY];
  if (role === undefined) {
    throw new Error(`MODEL_EXECUTION_ROLES has neither "${model}" nor "${MODEL_SETTINGS_DEFAULTS_KEY}"`);
  }
  return role;
}

/**
 * Application Auto Scaling for a real-time variant: the scalable target (DesiredInstanceCount between the
 * configured bounds) and a target-tracking policy on SageMakerVariantInvocationsPerInstance —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html
 */
export function autoscalingRequests(
  endpointName: string,
  variantName: string,
  settings: RuntimeDeploymentSettings,
): { register: RegisterScalableTargetRequest; policy: PutScalingPolicyRequest } | null {
  const { endpoint } = settings;
  if (endpoint.type !== 'realtime' || endpoint.autoscaling === undefined) return null;
  const target = scalableTarget(endpointName, variantName);
  return {
    register: {
      ...target,
      MinCapacity: endpoint.autoscaling.minCapacity,
      MaxCapacity: endpoint.autoscaling.maxCapacity,
    } satisfies RegisterScalableTargetRequest,
    policy: {
      ...target,
      PolicyName: `${endpointName}-invocations-per-instance`,
      PolicyType: INVOCATIONS_TARGET_TRACKING.PolicyType,
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: endpoint.autoscaling.targetInvocationsPerInstance,
        PredefinedMetricSpecification: {
          PredefinedMetricType: INVOCATIONS_TARGET_TRACKING.PredefinedMetricType,
        },
      },
    } satisfies PutScalingPolicyRequest,
  };
}

/** The variant as Application Auto Scaling names it (`endpoint/<endpoint>/variant/<variant>`). */
function scalableTarget(endpointName: string, variantName: string) {
  return { ...VARIANT_SCALING, ResourceId: variantResourceId(endpointName, variantName) } as const;
}

/**
 * The deregistration an instance-type change needs: SageMaker refuses to update an autoscaled variant to
 * another instance type until its scalable target is deregistered
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html, "update an endpoint that
 * uses automatic scaling"). Null when the instance type stays.
 */
async function deregistrationBeforeUpdate(
  sagemaker: Pick<SageMakerClient, 'send'>,
  currentConfigName: string,
  settings: RuntimeDeploymentSettings,
  names: { readonly endpointName: string; readonly variantName: string },
): Promise<DeregisterScalableTargetRequest | null> {
  if (settings.endpoint.type !== 'realtime') return null;
  let current: Awaited<ReturnType<typeof describeConfig>>;
  try {
    current = await describeConfig(sagemaker, currentConfigName);
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    // A serving config deleted by hand: nothing says the instance type changes, so nothing is deregistered.
    if (name === 'ValidationException' && /could not find/i.test(message ?? '')) return null;
    throw error;
  }
  const variant = current.ProductionVariants?.find((v) => v.VariantName === names.variantName);
  if (variant?.InstanceType === undefined || variant.InstanceType === settings.endpoint.instanceType)
    return null;
  return scalableTarget(names.endpointName, names.variantName) satisfies DeregisterScalableTargetRequest;
}

function describeConfig(sagemaker: Pick<SageMakerClient, 'send'>, name: string) {
  return sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
}
