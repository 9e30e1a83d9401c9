/**
 * The member constraints of SageMaker's API model (min/max length, pattern, range, enum, required), checked as
 * its front door (Coral) checks them and worded as it words them:
 * `2 validation errors detected: Value 'a_b' at 'modelName' failed to satisfy constraint: Member must satisfy
 * regular expression pattern: ^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?; Value null at 'endpointConfigName'
 * failed to satisfy constraint: Member must not be null` (the wording is quoted in aws-samples/
 * sagemaker-ml-workflow-with-apache-airflow#3 and aws/amazon-sagemaker-examples#2277). Paths are the members'
 * camelCase names, list items `<list>.<n>.member` (1-based), map entries `<map>.<key>` — as in those messages.
 */
import { SageMakerApiError } from './api-error';

/** A failed constraint's message, or undefined when the value satisfies it. */
export type ConstraintResult = string | undefined;

/** Throws the ValidationException that lists every failed constraint (none: returns). */
export function throwConstraintErrors(results: readonly ConstraintResult[]): void {
  const errors = results.filter((error): error is string => error !== undefined);
  if (errors.length === 0) return;
  const count = errors.length === 1 ? '1 validation error' : `${errors.length} validation errors`;
  throw new SageMakerApiError('ValidationException', `${count} detected: ${errors.join('; ')}`);
}

export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function notNull(path: string, value: unknown): ConstraintResult {
  return isAbsent(value)
    ? `Value null at '${path}' failed to satisfy constraint: Member must not be null`
    : undefined;
}

export function matches(path: string, value: unknown, pattern: string): ConstraintResult {
  // Coral matches the whole value (Java's String.matches), whatever anchors the model's pattern has. Unicode
  // mode only where a pattern needs it (the tag patterns' \p{L}): it refuses some escapes others use.
  return new RegExp(`^(?:${pattern})$`, pattern.includes('\\p{') ? 'u' : '').test(String(value))
    ? undefined
    : constraint(path, value, `Member must satisfy regular expression pattern: ${pattern}`);
}

export function maxLength(path: string, value: unknown, max: number): ConstraintResult {
  return String(value).length <= max
    ? undefined
    : constraint(path, value, `Member must have length less than or equal to ${max}`);
}

export function minLength(path: string, value: unknown, min: number): ConstraintResult {
  return String(value).length >= min
    ? undefined
    : constraint(path, value, `Member must have length greater than or equal to ${min}`);
}

export function atLeast(path: string, value: number, min: number): ConstraintResult {
  return value >= min
    ? undefined
    : constraint(path, value, `Member must have value greater than or equal to ${min}`);
}

export function atMost(path: string, value: number, max: number): ConstraintResult {
  return value <= max
    ? undefined
    : constraint(path, value, `Member must have value less than or equal to ${max}`);
}

export function oneOf(path: string, value: unknown, values: readonly string[]): ConstraintResult {
  return values.includes(String(value))
    ? undefined
    : constraint(path, value, `Member must satisfy enum value set: [${values.join(', ')}]`);
}

/** A list member's item count (`min`/`max` of a list shape). */
export function listLength(
  path: string,
  list: readonly unknown[],
  min: number,
  max?: number,
): ConstraintResult {
  // Coral shows a list by its items; a count is clearer for long lists and says the same.
  const shown = `a list of ${list.length}`;
  if (list.length < min)
    return `Value ${shown} at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`;
  if (max !== undefined && list.length > max)
    return `Value ${shown} at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`;
  return undefined;
}

/** A string member: required or not, then its length and pattern, as the model declares them. */
export function stringMember(
  path: string,
  value: unknown,
  rules: {
    readonly required?: boolean;
    readonly min?: number;
    readonly max?: number;
    readonly pattern?: string;
  },
): ConstraintResult[] {
  if (isAbsent(value)) return rules.required ? [notNull(path, value)] : [];
  return [
    rules.min === undefined ? undefined : minLength(path, value, rules.min),
    rules.max === undefined ? undefined : maxLength(path, value, rules.max),
    rules.pattern === undefined ? undefined : matches(path, value, rules.pattern),
  ];
}

/** A number member: required or not, then its range. */
export function numberMember(
  path: string,
  value: unknown,
  rules: { readonly required?: boolean; readonly min?: number; readonly max?: number },
): ConstraintResult[] {
  if (isAbsent(value)) return rules.required ? [notNull(path, value)] : [];
  const number = Number(value);
  return [
    rules.min === undefined ? undefined : atLeast(path, number, rules.min),
    rules.max === undefined ? undefined : atMost(path, number, rules.max),
  ];
}

/** An enum member: required or not, then its value set. */
export function enumMember(
  path: string,
  value: unknown,
  values: readonly string[],
  required = false,
): ConstraintResult[] {
  if (isAbsent(value)) return required ? [notNull(path, value)] : [];
  return [oneOf(path, value, values)];
}

export function constraint(path: string, value: unknown, rule: string): string {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return `Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`;
}
