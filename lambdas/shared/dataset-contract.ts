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

/**
 * What a schema.json may declare instead of a full contract: the target, and optionally the problem type and
 * the labels. The columns (types, nullability) then come from the model's first accepted dataset, and the
 * completed contract is stored and used for later uploads.
 */
export interface PartialContract {
  readonly target: string;
  readonly problemType?: ProblemType;
  /** Allowed label values for classification, in encoding order. */
  readonly labels?: readonly string[];
  readonly description?: string;
}

/** One problem with a contract: the field's path (e.g. `columns[2].type`, `(root)`) and what is wrong. */
export interface ContractIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * The outcome of {@link parseDatasetContract}: a full contract (`columns` declared), a partial one (no
 * `columns`), or every problem, each naming its field. `errors[i]` is `issues[i]` as one line,
 * `<path>: <message>`.
 */
export type ContractParseResult =
  | { readonly ok: true; readonly contract: DatasetContract; readonly partial?: undefined }
  | { readonly ok: true; readonly partial: PartialContract; readonly contract?: undefined }
  | {
      readonly ok: false;
      readonly errors: readonly string[];
      readonly issues: readonly ContractIssue[];
      readonly contract?: undefined;
      readonly partial?: undefined;
    };

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
  nullable: z.exactOptional(z.boolean()),
  min: z.exactOptional(z.number()),
  max: z.exactOptional(z.number()),
  values: z.exactOptional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  description: z.exactOptional(z.string()),
});

/** A problem found by looking at several fields at once. */
interface CrossFieldProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const commonShape = {
  $schema: z.exactOptional(z.string()),
  description: z.exactOptional(z.string()),
  target: z.string().check(z.minLength(1)),
  labels: z.exactOptional(z.array(labelValue).check(z.minLength(2))),
};

const contractSchema = z
  .strictObject({
    ...commonShape,
    problemType: z.enum(PROBLEM_TYPE_VALUES),
    columns: z.array(columnSchema).check(z.minLength(1)),
  })
  .check(
    z.superRefine((contract, ctx) => {
      const problems = [...columnProblems(contract), ...labelProblems(contract)];
      for (const { path, message } of problems) ctx.addIssue({ code: 'custom', message, path: [...path] });
    }),
  );

const partialSchema = z
  .strictObject({ ...commonShape, problemType: z.exactOptional(z.enum(PROBLEM_TYPE_VALUES)) })
  .check(
    z.superRefine((partial, ctx) => {
      for (const { path, message } of labelProblems(partial)) {
        ctx.addIssue({ code: 'custom', message, path: [...path] });
      }
    }),
  );

/** Checks of the columns against each other and the target. */
function columnProblems(contract: z.output<typeof contractSchema>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const firstIndex = new Map<string, number>();
  contract.columns.forEach((column, i) => {
    const at = (field: string) => ['columns', i, field];
    const earlier = firstIndex.get(column.name);
    if (earlier === undefined) firstIndex.set(column.name, i);
    else
      problems.push({
        path: at('name'),
        message: `${show(column.name)} is a duplicate of columns[${earlier}].name`,
      });
    const isTarget = column.name === contract.target;
    if (column.type === 'categorical') {
      if (column.min !== undefined)
        problems.push({ path: at('min'), message: 'only allowed for numeric columns' });
      if (column.max !== undefined)
        problems.push({ path: at('max'), message: 'only allowed for numeric columns' });
    } else if (column.values !== undefined) {
      problems.push({ path: at('values'), message: 'only allowed for categorical columns' });
    }
    if (column.min !== undefined && column.max !== undefined && column.min > column.max) {
      problems.push({ path: at('min'), message: `${column.min} is greater than max ${column.max}` });
    }
    const duplicate = firstDuplicate(column.values ?? []);
    if (duplicate !== undefined)
      problems.push({ path: at('values'), message: `${show(duplicate)} is listed twice` });
    if (isTarget && column.nullable === true) {
      problems.push({ path: at('nullable'), message: 'the target column cannot be nullable' });
    }
    if (isTarget && column.values !== undefined) {
      problems.push({
        path: at('values'),
        message: 'declare the allowed labels in "labels", not on the target column',
      });
    }
    if (isTarget && contract.problemType === 'regression' && column.type !== 'numeric') {
      problems.push({ path: at('type'), message: 'the target of a regression must be "numeric"' });
    }
  });
  if (!firstIndex.has(contract.target)) {
    problems.push({ path: ['target'], message: `${show(contract.target)} is not one of the columns` });
  }
  return problems;
}

/** Checks of the labels against the problem type. */
function labelProblems(contract: {
  readonly problemType?: ProblemType | undefined;
  readonly labels?: readonly string[] | undefined;
}): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (contract.labels === undefined) return problems;
  if (contract.problemType === 'regression') {
    problems.push({ path: ['labels'], message: 'only allowed when problemType is "binary" or "multiclass"' });
  } else if (contract.problemType === 'binary' && contract.labels.length !== 2) {
    problems.push({
      path: ['labels'],
      message: `a binary problem needs exactly 2 labels, got ${contract.labels.length}`,
    });
  }
  const duplicate = firstDuplicate(contract.labels);
  if (duplicate !== undefined)
    problems.push({ path: ['labels'], message: `${show(duplicate)} is listed twice` });
  return problems;
}

/**
 * Parses a contract (the already JSON-decoded content of schema.json): a full contract when it declares
 * `columns`, else a {@link PartialContract}. Problems name the field and say what was expected, e.g.
 * `columns[2].type: "float" is not allowed (expected "numeric" or "categorical")`.
 */
export function parseDatasetContract(input: unknown): ContractParseResult {
  const full = typeof input !== 'object' || input === null || Array.isArray(input) || 'columns' in input;
  if (full) {
    const parsed = contractSchema.safeParse(input);
    if (!parsed.success) return failure(parsed.error.issues, input);
    const { $schema: _ignored, ...contract } = parsed.data;
    return { ok: true, contract };
  }
  const parsed = partialSchema.safeParse(input);
  if (!parsed.success) return failure(parsed.error.issues, input);
  const { $schema: _ignored, ...partial } = parsed.data;
  return { ok: true, partial };
}

/** Parses the text of schema.json; a JSON syntax error is reported like any other contract error. */
export function parseDatasetContractJson(text: string): ContractParseResult {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return failure([], undefined, {
      path: '(root)',
      message: `is not valid JSON: ${(error as Error).message}`,
    });
  }
  return parseDatasetContract(input);
}

/**
 * Completes a partial declaration with the columns of a contract (inferred from the first accepted
 * dataset), or lists where the two disagree (`target`, `problemType`, `labels`).
 */
export function conflictsWithPartial(partial: PartialContract, contract: DatasetContract): string[] {
  const conflicts: string[] = [];
  if (partial.target !== contract.target) {
    conflicts.push(`target: declared ${show(partial.target)}, the contract has ${show(contract.target)}`);
  }
  if (partial.problemType !== undefined && partial.problemType !== contract.problemType) {
    conflicts.push(
      `problemType: declared ${show(partial.problemType)}, the contract has ${show(contract.problemType)}`,
    );
  }
  if (
    partial.labels !== undefined &&
    JSON.stringify(partial.labels) !== JSON.stringify(contract.labels ?? null)
  ) {
    conflicts.push(
      `labels: declared ${show(partial.labels)}, the contract has ${show(contract.labels ?? null)}`,
    );
  }
  return conflicts;
}

function failure(issues: readonly Issue[], input: unknown, extra?: ContractIssue): ContractParseResult {
  const all = [...issues.flatMap((issue) => formatIssue(issue, input)), ...(extra ? [extra] : [])];
  return { ok: false, issues: all, errors: all.map((issue) => `${issue.path}: ${issue.message}`) };
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

function formatIssue(issue: Issue, input: unknown): ContractIssue[] {
  const path = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  const at = (message: string): ContractIssue[] => [{ path, message }];
  switch (issue.code) {
    case 'invalid_value':
      return value === undefined
        ? at(`is required (expected ${oneOf(issue.values.map(show))})`)
        : at(`${show(value)} is not allowed (expected ${oneOf(issue.values.map(show))})`);
    case 'invalid_type':
      return value === undefined
        ? at(`is required (expected ${article(issue.expected)})`)
        : at(`expected ${article(issue.expected)}, got ${show(value)}`);
    case 'invalid_union':
      return at(`expected a string or a number, got ${show(value)}`);
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: joinPath(path, key), message: 'unknown field' }));
    case 'too_small':
      if (issue.origin === 'string') return at('must not be empty');
      return at(`needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`);
    default:
      return at(issue.message);
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
