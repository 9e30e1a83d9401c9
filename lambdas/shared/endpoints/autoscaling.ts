/**
 * How Application Auto Scaling names an endpoint variant and the policy the deployment gives it: the parts
 * of the requests that never change, shared by BeginDeployment (which builds the whole requests) and the
 * deployment workflow's typed Task Parameters (which take the rest from the plan) —
 * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html
 */

/** A SageMaker variant's scalable target: namespace and dimension (its ResourceId names the variant). */
export const VARIANT_SCALING = {
  ServiceNamespace: 'sagemaker',
  ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
} as const;

/** Target tracking on invocations per instance, the deployment's scaling policy. */
export const INVOCATIONS_TARGET_TRACKING = {
  PolicyType: 'TargetTrackingScaling',
  PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
} as const;

/** `endpoint/<endpoint>/variant/<variant>`: the variant's ResourceId. */
export function variantResourceId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}
