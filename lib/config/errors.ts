import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** One problem in the configuration, at a dotted key path such as `models.churn.training.instanceType`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown at synth time when the configuration is invalid; lists every problem found, not just the first. */
export class ConfigError extends Error {
  public readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source = 'the "mlops" context') {
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`);
    super(`Invalid serverless-mlops configuration in ${source}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Renders a key path the way a user would write it in cdk.json: `models.churn.training`, `alarmEmails[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// zod's names for some types read oddly in a sentence.
const TYPE_NAMES: Readonly<Record<string, string>> = { int: 'whole number', record: 'object', array: 'list' };
const typeName = (expected: string) => TYPE_NAMES[expected] ?? expected;

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** Turns zod issues into `<value> <what is wrong> (expected ...)` sentences under their key paths. */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    const path = [...prefix, ...issue.path];
    const value = describeValue(issue.input);
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({
          path: formatPath([...path, key]),
          message: unknownKeyMessage(key, knownKeysAt(schema, issue.path)),
        }));
      case 'invalid_type':
        return [
          {
            path: formatPath(path),
            message:
              issue.input === undefined
                ? `is required (expected ${article(typeName(issue.expected))})`
                : `${value} is not ${article(typeName(issue.expected))}`,
          },
        ];
      case 'invalid_value':
        return [
          {
            path: formatPath(path),
            message: `${value} is not allowed (expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')})`,
          },
        ];
      // `inclusive: false` is a strict bound (`.positive()`): "at least 0" would wrongly allow 0.
      case 'too_small':
        return [
          {
            path: formatPath(path),
            message: `${value} is too small (expected ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum})`,
          },
        ];
      case 'too_big':
        return [
          {
            path: formatPath(path),
            message: `${value} is too large (expected ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum})`,
          },
        ];
      default:
        return [{ path: formatPath(path), message: `${value} ${issue.message}` }];
    }
  });
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = known.find((candidate) => distance(candidate.toLowerCase(), key.toLowerCase()) <= 2);
  const hint = near ? `did you mean "${near}"? ` : '';
  return `is not a known setting (${hint}expected one of ${known.map((k) => `"${k}"`).join(', ')})`;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
}

/** The keys an object schema accepts at a path, walking through optional/default/array/record wrappers. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = schema._zod.def as unknown as SchemaDef;
  const inner = def.innerType ?? def.in;
  if (inner) return knownKeysAt(inner, path);
  if (path.length === 0) return def.shape ? Object.keys(def.shape) : [];
  const [head, ...rest] = path;
  const next =
    def.shape?.[String(head)] ?? (typeof head === 'number' ? def.element : undefined) ?? def.valueType;
  return next ? knownKeysAt(next, rest) : [];
}
