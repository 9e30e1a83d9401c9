/**
 * EventBridge event-pattern matching, as EventBridge defines it, for the local runtime's rules: exact values,
 * prefix, suffix, wildcard, anything-but, numeric, exists, equals-ignore-case and $or. Hand-written: no
 * maintained npm package implements EventBridge's matching (its own engine, event-ruler, is Java).
 */
export type EventPattern = { readonly [key: string]: unknown };

/** True when the event matches the pattern. Throws for operators EventBridge has but this does not model. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as EventPattern[]).some((branch) => matchesPattern(branch, event));
    const actual = isObject(event) ? event[key] : undefined;
    if (Array.isArray(expected)) return matchesField(expected, actual);
    if (isObject(expected)) {
      // EventBridge flattens the event: an array of objects matches when one element does, and under an
      // absent parent only `exists: false` can match.
      return Array.isArray(actual)
        ? actual.some((item) => matchesPattern(expected, item))
        : matchesPattern(expected, actual);
    }
    throw new Error(`Event pattern field "${key}" must be an array of matchers or a nested object`);
  });
}

/** A leaf: the event value (or any element of an array value) must satisfy one of the matchers. */
function matchesField(matchers: readonly unknown[], actual: unknown): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return (actual !== undefined) === matcher.exists;
    if (actual === undefined) return false;
    return values.some((value) => matchesValue(matcher, value));
  });
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [operator, operand] = Object.entries(matcher)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return (
        typeof value === 'string' &&
        stringTest(
          operand,
          (p) => value.startsWith(p),
          (p) => value.toLowerCase().startsWith(p.toLowerCase()),
        )
      );
    case 'suffix':
      return (
        typeof value === 'string' &&
        stringTest(
          operand,
          (s) => value.endsWith(s),
          (s) => value.toLowerCase().endsWith(s.toLowerCase()),
        )
      );
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcardRegExp(operand).test(value);
    case 'anything-but':
      return !anythingBut(operand, value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand as unknown[], value);
    default:
      throw new Error(`Event pattern operator "${String(operator)}" is not supported by the local runtime`);
  }
}

/** prefix/suffix take a string, or `{ "equals-ignore-case": string }`. */
function stringTest(
  operand: unknown,
  exact: (s: string) => boolean,
  ignoreCase: (s: string) => boolean,
): boolean {
  if (typeof operand === 'string') return exact(operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string')
    return ignoreCase(operand['equals-ignore-case']);
  throw new Error(`Unsupported prefix/suffix operand ${JSON.stringify(operand)}`);
}

/** What anything-but excludes: a value, a list of values, or a prefix/suffix/wildcard matcher. */
function anythingBut(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return operand.includes(value);
  if (isObject(operand)) return matchesValue(operand, value);
  return operand === value;
}

function numeric(conditions: readonly unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === '='
        ? value === bound
        : operator === '<'
          ? value < bound
          : operator === '<='
            ? value <= bound
            : operator === '>'
              ? value > bound
              : operator === '>='
                ? value >= bound
                : undefined;
    if (ok === undefined) throw new Error(`Unsupported numeric operator ${JSON.stringify(operator)}`);
    if (!ok) return false;
  }
  return true;
}

/** `*` matches any run of characters (slashes included); `\*` is a literal star. */
function wildcardRegExp(pattern: string): RegExp {
  const parts = pattern
    .split(/(?<!\\)\*/)
    .map((part) => part.replace(/\\\*/g, '*').replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
