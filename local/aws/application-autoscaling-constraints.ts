/**
 * The member constraints of Application Auto Scaling's API model that the local service checks (enums, lengths,
 * patterns), worded as AWS's ValidationException lists them ("Value … at '…' failed to satisfy constraint: …").
 */
import {
  MetricType,
  PolicyType,
  ScalableDimension,
  ServiceNamespace,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type ConstraintResult,
  constraint,
  enumMember,
  isAbsent,
  listLength,
  numberMember,
  stringMember,
} from '../sagemaker/constraints';

export const SERVICE_NAMESPACES = Object.values(ServiceNamespace);
export const SCALABLE_DIMENSIONS = Object.values(ScalableDimension);
export const POLICY_TYPES = Object.values(PolicyType);
const METRIC_TYPES = Object.values(MetricType);
/** ResourceId and RoleARN: "Length Constraints: Minimum length of 1. Maximum length of 1600." and this pattern. */
const XML_STRING = '[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*';
/** PolicyName: 1–256 characters, `\p{Print}+` (API_PutScalingPolicy). */
export const POLICY_NAME_PATTERN = '[\\x20-\\x7E]+';

/**
 * A string of the model's XmlString shapes: length rules, then its pattern. JavaScript cannot compile the pattern as
 * written (a surrogate-pair range), so an equivalent one checks and the model's is quoted in the message.
 */
export function xmlString(
  path: string,
  value: unknown,
  rules: { readonly required?: boolean; readonly min?: number; readonly max?: number },
): ConstraintResult[] {
  const results = stringMember(path, value, rules);
  if (isAbsent(value) || XML_STRING_EQUIVALENT.test(String(value))) return results;
  return [
    ...results,
    constraint(path, value, `Member must satisfy regular expression pattern: ${XML_STRING}`),
  ];
}

const XML_STRING_EQUIVALENT = /^(?:[\u0020-\uD7FF\uE000-\uFFFD\r\n\t]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/** The three members every target operation requires (API_RegisterScalableTarget and the others). */
export function targetConstraints(body: Record<string, unknown>): ConstraintResult[] {
  return [
    ...enumMember('serviceNamespace', body.ServiceNamespace, SERVICE_NAMESPACES, true),
    ...xmlString('resourceId', body.ResourceId, { required: true, min: 1, max: 1600 }),
    ...enumMember('scalableDimension', body.ScalableDimension, SCALABLE_DIMENSIONS, true),
  ];
}

/** Tags: 1–200 entries, keys 1–128, values 0–256 (API_RegisterScalableTarget, API_TagResource). */
export function tagConstraints(tags: unknown): ConstraintResult[] {
  if (isAbsent(tags) || typeof tags !== 'object') return [];
  const entries = Object.entries(tags as Record<string, unknown>);
  return [
    listLength('tags', entries, 1, 200),
    ...entries.flatMap(([key, value]) => [
      ...stringMember(`tags.${key}.member.key`, key, { min: 1, max: 128 }),
      ...stringMember(`tags.${key}.member.value`, value, { required: true, max: 256 }),
    ]),
  ];
}

export function targetTrackingConstraints(config: unknown): ConstraintResult[] {
  if (isAbsent(config) || typeof config !== 'object') return [];
  const c = config as Record<string, unknown>;
  const predefined = c.PredefinedMetricSpecification as Record<string, unknown> | undefined;
  return [
    ...numberMember('targetTrackingScalingPolicyConfiguration.targetValue', c.TargetValue, {
      required: true,
    }),
    ...(predefined
      ? enumMember(
          'targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType',
          predefined.PredefinedMetricType,
          METRIC_TYPES,
          true,
        )
      : []),
    ...numberMember('targetTrackingScalingPolicyConfiguration.scaleOutCooldown', c.ScaleOutCooldown, {}),
    ...numberMember('targetTrackingScalingPolicyConfiguration.scaleInCooldown', c.ScaleInCooldown, {}),
  ];
}
