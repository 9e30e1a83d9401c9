/** The problems a dataset can have, and how they are collected and worded. */

/** Every kind of problem the validator reports (the keys of `countsByKind`). */
export type ProblemKind =
  // Structural: reading stops at the first one.
  | 'too-large'
  | 'invalid-utf8'
  | 'binary-content'
  | 'unterminated-quote'
  | 'malformed-quote'
  | 'line-too-long'
  // The file as a whole.
  | 'empty-file'
  | 'no-data-rows'
  | 'too-few-rows'
  // The header against the contract.
  | 'empty-column-name'
  | 'duplicate-column'
  | 'not-comma-separated'
  | 'missing-target'
  | 'missing-column'
  | 'unexpected-column'
  | 'contract-conflict'
  // Rows and cells.
  | 'field-count'
  | 'blank-line'
  | 'null-value'
  | 'not-a-number'
  | 'non-finite'
  | 'out-of-range'
  | 'unknown-category'
  | 'too-many-categories'
  // The label.
  | 'missing-label'
  | 'unknown-label'
  | 'single-class'
  | 'too-many-classes';

/** Kinds after which the rest of the file is not read. */
export const FATAL_KINDS: ReadonlySet<ProblemKind> = new Set<ProblemKind>([
  'too-large',
  'invalid-utf8',
  'binary-content',
  'unterminated-quote',
  'malformed-quote',
  'line-too-long',
]);

/** One problem, JSON-serialisable. `message` is complete on its own; the other fields are for tools. */
export interface DatasetProblem {
  readonly kind: ProblemKind;
  readonly message: string;
  /** 1-based data row (the header is not counted). */
  readonly row?: number;
  /** 1-based physical line in the file. */
  readonly line?: number;
  readonly column?: string;
  /** The offending value, truncated. */
  readonly value?: string;
  /** What was expected instead. */
  readonly expected?: string;
  /** Absolute byte offset (BOM included), for encoding problems. */
  readonly byteOffset?: number;
}

/** Longest value quoted in a message. */
const MAX_VALUE_CHARS = 40;

/** Shortens a value for a message, marking the cut. */
export function truncateValue(value: string): string {
  return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
}

/**
 * Keeps the first `cap` problems in detail and counts all of them by kind, so a file with a million bad
 * cells yields a bounded report that still says how many there were.
 */
export class ProblemCollector {
  readonly problems: DatasetProblem[] = [];
  readonly countsByKind: Partial<Record<ProblemKind, number>> = {};
  total = 0;

  constructor(readonly cap: number) {}

  /** Counts one problem of `kind`; returns whether its details should be added (under the cap). */
  count(kind: ProblemKind): boolean {
    this.total++;
    this.countsByKind[kind] = (this.countsByKind[kind] ?? 0) + 1;
    return this.problems.length < this.cap;
  }

  /** Keeps the details of a problem already counted with {@link ProblemCollector.count}. */
  keep(problem: DatasetProblem): void {
    this.problems.push(problem);
  }

  /** Counts and (under the cap) keeps a problem. Fatal problems are always kept. */
  add(problem: DatasetProblem): void {
    if (this.count(problem.kind) || FATAL_KINDS.has(problem.kind)) this.problems.push(problem);
  }

  /** Forgets everything (a pass is re-run). */
  clear(): void {
    this.problems.length = 0;
    this.total = 0;
    for (const kind of Object.keys(this.countsByKind) as ProblemKind[]) delete this.countsByKind[kind];
  }
}

/** Where a cell is, for messages: `row 12 (line 13), column "age"`. */
export function cellPlace(row: number, line: number, column: string): string {
  return `row ${row} (line ${line}), column ${JSON.stringify(column)}`;
}

/** A problem with one cell: `row 3 (line 4), column "age": "abc" is not a number (expected ...)`. */
export function cellProblem(
  kind: ProblemKind,
  place: { readonly row: number; readonly line: number; readonly column: string },
  value: string,
  what: string,
  expected: string,
): DatasetProblem {
  const shown = truncateValue(value);
  return {
    kind,
    message: `${cellPlace(place.row, place.line, place.column)}: ${JSON.stringify(shown)} ${what} (expected ${expected})`,
    row: place.row,
    line: place.line,
    column: place.column,
    value: shown,
    expected,
  };
}
