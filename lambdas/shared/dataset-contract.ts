/**
 * The data contract of a model: what `datasets/<model>/schema.json` declares, and what the validator infers
 * from the first accepted dataset when no schema.json exists (the inferred contract is stored and later
 * uploads must conform to it). Documented in docs/data-contract.md.
 */
import type { ProblemType } from './metrics';
import * as z from './zod';

export type { ProblemType } from './metrics';

/** The column types a contract can declare. */
export type ColumnType = 'numeric' | 'categorical';

/** One column of the CSV file (features and the target alike). */
export interface ColumnContract {
  /** Header name, matched exactly (case and spaces count). */
  readonly name: string;
  readonly type: ColumnType;
  /** Whether an empty field (null) is allowed. Never true for the target. @default false */
  readonly nullable?: boolean;
  /** Smallest allowed value (numeric columns only). */
  readonly min?: number;
  /** Largest allowed value (numeric columns only). */
  readonly max?: number;
  /** Allowed categories, in encoding order (categorical feature columns only). */
  readonly values?: readonly string[];
  readonly description?: string;
}

/** The data contract of one model. */
export interface DatasetContract {
  /** Name of the label column; it must be one of `columns`. */
  readonly target: string;
  readonly problemType: ProblemType;
  /** Every column of the file, the target included. Feature order here is the training column order. */
  readonly columns: readonly ColumnContract[];
  /** Allowed label values for classification, in encoding order (label i is encoded as i). */
  readonly labels?: readonly string[];
  readonly description?: string;
}

/** The outcome of {@link parseDatasetContract}: a contract, or one message per problem naming the field. */
export type ContractParseResult =
  | { readonly ok: true; readonly contract: DatasetContract }
  | { readonly ok: false; readonly errors: readonly string[] };

const PROBLEM_TYPE_VALUES = ['binary', 'multiclass', 'regression'] as const;
const COLUMN_TYPE_VALUES = ['numeric', 'categorical'] as const satisfies readonly ColumnType[];

// Compile-time guard: the enum above must list exactly the shared ProblemType.
const problemTypesMatch: [ProblemType] extends [(typeof PROBLEM_TYPE_VALUES)[number]]
  ? [(typeof PROBLEM_TYPE_VALUES)[number]] extends [ProblemType]
    ? true
    : false
  : false = true;
void problemTypesMatch;

/** JSON labels may be written as numbers (`[0, 1]`); they are compared with the CSV text as strings. */
const labelValue = z.pipe(
  z.union([z.string().check(z.minLength(1)), z.number()]),
  z.transform((value) => String(value)),
);

const columnSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  type: z.enum(COLUMN_TYPE_VALUES),
  nullable: z.optional(z.boolean()),
  min: z.optional(z.number()),
  max: z.optional(z.number()),
  values: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  description: z.optional(z.string()),
});

const contractSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    description: z.optional(z.string()),
    target: z.string().check(z.minLength(1)),
    problemType: z.enum(PROBLEM_TYPE_VALUES),
    columns: z.array(columnSchema).check(z.minLength(1)),
    labels: z.optional(z.array(labelValue).check(z.minLength(2))),
  })
  .check(
    z.superRefine((contract, ctx) => {
      for (const message of crossFieldProblems(contract)) ctx.addIssue({ code: 'custom', message });
    }),
  );

/** Checks that need several fields at once; each message already names its field. */
function crossFieldProblems(contract: z.output<typeof contractSchema>): string[] {
  const problems: string[] = [];
  const firstIndex = new Map<string, number>();
  contract.columns.forEach((column, i) => {
    const at = `columns[${i}]`;
    const earlier = firstIndex.get(column.name);
    if (earlier === undefined) firstIndex.set(column.name, i);
    else problems.push(`${at}.name: ${show(column.name)} is a duplicate of columns[${earlier}].name`);
    const isTarget = column.name === contract.target;
    if (column.type === 'categorical') {
      if (column.min !== undefined) problems.push(`${at}.min: only allowed for numeric columns`);
      if (column.max !== undefined) problems.push(`${at}.max: only allowed for numeric columns`);
    } else if (column.values !== undefined) {
      problems.push(`${at}.values: only allowed for categorical columns`);
    }
    if (column.min !== undefined && column.max !== undefined && column.min > column.max) {
      problems.push(`${at}.min: ${column.min} is greater than max ${column.max}`);
    }
    const duplicate = firstDuplicate(column.values ?? []);
    if (duplicate !== undefined) problems.push(`${at}.values: ${show(duplicate)} is listed twice`);
    if (isTarget && column.nullable === true)
      problems.push(`${at}.nullable: the target column cannot be nullable`);
    if (isTarget && column.values !== undefined) {
      problems.push(`${at}.values: declare the allowed labels in "labels", not on the target column`);
    }
    if (isTarget && contract.problemType === 'regression' && column.type !== 'numeric') {
      problems.push(`${at}.type: the target of a regression must be "numeric"`);
    }
  });
  if (!firstIndex.has(contract.target)) {
    problems.push(`target: ${show(contract.target)} is not one of the columns`);
  }
  if (contract.labels !== undefined) {
    if (contract.problemType === 'regression') {
      problems.push('labels: only allowed when problemType is "binary" or "multiclass"');
    } else if (contract.problemType === 'binary' && contract.labels.length !== 2) {
      problems.push(`labels: a binary problem needs exactly 2 labels, got ${contract.labels.length}`);
    }
    const duplicate = firstDuplicate(contract.labels);
    if (duplicate !== undefined) problems.push(`labels: ${show(duplicate)} is listed twice`);
  }
  return problems;
}

/**
 * Parses a contract (the already JSON-decoded content of schema.json).
 * Errors name the field and say what was expected, e.g.
 * `columns[2].type: "float" is not allowed (expected "numeric" or "categorical")`.
 */
export function parseDatasetContract(input: unknown): ContractParseResult {
  const parsed = contractSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.flatMap((issue) => formatIssue(issue, input)) };
  }
  const { $schema: _ignored, ...contract } = parsed.data;
  return { ok: true, contract };
}

/** Parses the text of schema.json; a JSON syntax error is reported like any other contract error. */
export function parseDatasetContractJson(text: string): ContractParseResult {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`schema.json is not valid JSON: ${(error as Error).message}`] };
  }
  return parseDatasetContract(input);
}

/** The feature columns in training order (the contract's column order without the target). */
export function featureColumns(contract: DatasetContract): ColumnContract[] {
  return contract.columns.filter((column) => column.name !== contract.target);
}

/** Whether the problem type predicts classes (labels are encoded 0..k-1). */
export function isClassification(problemType: ProblemType): boolean {
  return problemType !== 'regression';
}

type Issue = z.core.$ZodIssue;

function formatIssue(issue: Issue, input: unknown): string[] {
  const at = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_value':
      return value === undefined
        ? [`${at}: is required (expected ${oneOf(issue.values.map(show))})`]
        : [`${at}: ${show(value)} is not allowed (expected ${oneOf(issue.values.map(show))})`];
    case 'invalid_type':
      return value === undefined
        ? [`${at}: is required (expected ${article(issue.expected)})`]
        : [`${at}: expected ${article(issue.expected)}, got ${show(value)}`];
    case 'invalid_union':
      return [`${at}: expected a string or a number, got ${show(value)}`];
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${joinPath(at, key)}: unknown field`);
    case 'too_small':
      if (issue.origin === 'string') return [`${at}: must not be empty`];
      return [`${at}: needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`];
    case 'custom':
      return [issue.message];
    default:
      return [`${at}: ${issue.message}`];
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text = typeof key === 'number' ? `${text}[${key}]` : joinPath(text, String(key));
  return text === '' ? '(root)' : text;
}

function joinPath(prefix: string, key: string): string {
  return prefix === '' || prefix === '(root)' ? key : `${prefix}.${key}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function article(expected: string): string {
  return expected === 'object' || expected === 'array' ? `an ${expected}` : `a ${expected}`;
}

function oneOf(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}
