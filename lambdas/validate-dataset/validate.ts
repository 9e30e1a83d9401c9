/**
 * Pass 1: checks every record against the contract (or infers one), counts classes and collects the
 * running statistics, in constant memory. It writes nothing; pass 2 (split.ts) only runs when it accepts.
 */
import type { ColumnType, DatasetContract, ProblemType } from '../shared/dataset-contract';
import {
  type CsvRecord,
  type CsvRecordVisitor,
  type CsvScanner,
  decodeField,
  FIELD_PARSED,
  FIELD_PLAIN,
} from './csv-scanner';
import { NUMBER_INVALID, NUMBER_NON_FINITE, NumberParser } from './numbers';
import type { ValidateDatasetOptions } from './options';
import { cellPlace, cellProblem, type ProblemCollector, type ProblemKind, truncateValue } from './problems';
import { NumericAccumulator, RowSampler } from './statistics';
import { ValueIndex } from './value-index';

// Local copies: imported bindings are property reads in the CommonJS output, and these are read per cell.
const PARSED = FIELD_PARSED;
const PLAIN = FIELD_PLAIN;

/**
 * Grid histogram cells per numeric column: fewer for wide files (memory stays under ~8 MB), and few enough
 * that the cells of all columns stay in the CPU cache, which the random increments need to be cheap.
 */
const MAX_GRID_CELLS = 4096;
const TOTAL_GRID_CELLS = 2 ** 20;

function gridCellsPerColumn(numericColumns: number): number {
  return Math.max(1024, Math.min(MAX_GRID_CELLS, Math.floor(TOTAL_GRID_CELLS / Math.max(numericColumns, 1))));
}

/** What one validation pass is told. */
export interface PassSettings {
  /** The declared contract, if any: columns, types and constraints are checked against it. */
  readonly contract?: DatasetContract | undefined;
  /** Inference re-run: column types decided by the previous pass (no more type changes). */
  readonly fixedTypes?: ReadonlyMap<string, ColumnType>;
  /** Target column when there is no contract. */
  readonly target?: string | undefined;
  /** Problem type when there is no contract; inferred from the label when absent. */
  readonly problemType?: ProblemType | undefined;
  /** Allowed labels in encoding order when there is no contract (a partial schema.json declares them). */
  readonly labels?: readonly string[] | undefined;
  readonly options: ValidateDatasetOptions;
}

/** What pass 1 learned about one column of the file. */
export class ColumnState {
  /** Nulls (empty fields). */
  nulls = 0;
  /** Non-empty fields, valid or not. */
  nonNull = 0;
  /** Numeric columns: running statistics and sample. */
  numeric: NumericAccumulator | null = null;
  /** Every value was unquoted plain decimal text (FIELD_PLAIN), so pass 2 may copy the bytes verbatim. */
  allPlain = true;
  /** Categorical columns and classification targets: distinct values (first-seen or declared order). */
  categories: ValueIndex | null = null;
  /** Occurrences of each entry of `categories`. */
  counts: number[] = [];
  /** More distinct values than allowed were seen (and no longer counted). */
  overflow = false;

  constructor(
    readonly name: string,
    readonly fileIndex: number,
    readonly isTarget: boolean,
    /** Current type; a flexible column starts numeric and may become categorical. */
    public type: ColumnType,
    /** Inference: the type is not decided yet. */
    public flexible: boolean,
    readonly nullable: boolean,
    readonly min: number,
    readonly max: number,
    /** Declared categories (or labels): anything else is a problem. */
    readonly allowed: boolean,
  ) {}
}

/** Outcome of pass 1 (also when problems were found; the collector says whether to go on). */
export interface PassResult {
  readonly header: readonly string[];
  readonly rows: number;
  /** Columns checked, in file order (columns outside a declared contract are not included). */
  readonly columns: readonly ColumnState[];
  readonly target: ColumnState | undefined;
  /** Declared, given, or inferred at the end of the pass; undefined when it could not be. */
  readonly problemType: ProblemType | undefined;
  /** Inference changed a column's type after it had values: the pass must be re-run with fixed types. */
  readonly needsRerun: boolean;
  /** Byte offset of the first data record (just after the header). */
  readonly dataOffset: number;
  /** Whether any data field was quoted. */
  readonly quotedData: boolean;
}

/** The pass-1 record visitor. Call {@link ValidationPass.finish} after the last chunk. */
export class ValidationPass implements CsvRecordVisitor {
  private header: string[] = [];
  private columns: ColumnState[] = [];
  private target: ColumnState | undefined;
  private width = 0;
  private rows = 0;
  private headerSeen = false;
  private needsRerun = false;
  /** Blank lines not (yet) followed by data: trailing ones are allowed. */
  private blankLines: { row: number; line: number }[] = [];
  private pendingBlank = 0;
  private readonly parser = new NumberParser();
  private readonly options: ValidateDatasetOptions;
  private scanner: CsvScanner | undefined;
  private gridCells = MAX_GRID_CELLS;
  private readonly sampler: RowSampler;
  private dataOffset = 0;
  private headerQuotes = 0;

  constructor(
    private readonly settings: PassSettings,
    private readonly problems: ProblemCollector,
  ) {
    this.options = settings.options;
    this.sampler = new RowSampler(settings.options.sampleSize, settings.options.seed);
  }

  /** Connects the scanner, so the header can declare numeric columns and header errors can stop it. */
  attach(scanner: CsvScanner): void {
    this.scanner = scanner;
  }

  onRecord(record: CsvRecord): void {
    if (record.index === 0) {
      this.onHeader(record);
      return;
    }
    if (record.blank) {
      // Blank lines count as rows (and problems) only when data follows them.
      if (this.blankLines.length < this.options.maxProblems) {
        this.blankLines.push({ row: record.index, line: record.line });
      }
      this.pendingBlank++;
      return;
    }
    if (this.pendingBlank > 0) this.flushBlankLines();
    this.rows = record.index;
    if (record.count !== this.width) {
      this.fieldCountProblem(record);
      return;
    }
    const slot = this.sampler.offer();
    const columns = this.columns;
    const flags = record.flags;
    const values = record.values;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c] as ColumnState;
      const j = column.fileIndex;
      // The common case first: a plain decimal the scanner already parsed, within range.
      if (((flags[j] as number) & PARSED) !== 0 && column.categories === null) {
        const x = values[j] as number;
        if (x >= column.min && x <= column.max) {
          column.nonNull++;
          (column.numeric as NumericAccumulator).add(x);
          continue;
        }
      }
      const start = record.starts[j] as number;
      const end = record.ends[j] as number;
      if (start === end) this.onNull(column, record);
      else {
        column.nonNull++;
        if (column.type === 'numeric') this.onNumber(column, record, j, start, end);
        else this.onCategory(column, record, start, end, record.flags[j] as number);
      }
    }
    if (slot >= 0) this.storeSample(record, slot);
  }

  /** Puts every numeric column's value of a sampled row into its slot (NaN for nulls and bad values). */
  private storeSample(record: CsvRecord, slot: number): void {
    for (const column of this.columns) {
      if (column.numeric === null) continue;
      const j = column.fileIndex;
      const start = record.starts[j] as number;
      const end = record.ends[j] as number;
      let x = Number.NaN;
      if (((record.flags[j] as number) & PARSED) !== 0) x = record.values[j] as number;
      else if (start < end) {
        const value = this.parser.parse(record.bytes, start, end);
        if (this.parser.status === 0 && value >= column.min && value <= column.max) x = value;
      }
      column.numeric.store(slot, x);
    }
  }

  private flushBlankLines(): void {
    for (const blank of this.blankLines) {
      this.problems.add({
        kind: 'blank-line',
        message: `row ${blank.row} (line ${blank.line}): the line is blank (expected ${this.width} fields; only trailing blank lines are ignored)`,
        row: blank.row,
        line: blank.line,
      });
    }
    for (let k = this.blankLines.length; k < this.pendingBlank; k++) this.problems.count('blank-line');
    this.blankLines = [];
    this.pendingBlank = 0;
  }

  private fieldCountProblem(record: CsvRecord): void {
    if (!this.problems.count('field-count')) return;
    const few = record.count < this.width;
    this.problems.keep({
      kind: 'field-count',
      message:
        `row ${record.index} (line ${record.line}): ${record.count} field${record.count === 1 ? '' : 's'} ` +
        `(expected ${this.width}, as in the header; too ${few ? 'few' : 'many'} fields)`,
      row: record.index,
      line: record.line,
      expected: `${this.width} fields`,
    });
  }

  private onNull(column: ColumnState, record: CsvRecord): void {
    column.nulls++;
    if (column.isTarget) {
      this.cellIssue('missing-label', column, record, '', 'is an empty label', 'a label on every row');
    } else if (!column.nullable) {
      this.cellIssue('null-value', column, record, '', 'is empty', 'a value; the column is not nullable');
    }
  }

  private onNumber(column: ColumnState, record: CsvRecord, j: number, start: number, end: number): void {
    let x: number;
    const flags = record.flags[j] as number;
    if ((flags & PARSED) !== 0) x = record.values[j] as number;
    else {
      if ((flags & PLAIN) === 0) column.allPlain = false;
      const parser = this.parser;
      x = parser.parse(record.bytes, start, end);
      if (parser.status !== 0) {
        if (parser.status === NUMBER_INVALID && column.flexible) {
          this.becomeCategorical(column);
          this.onCategory(column, record, start, end, record.flags[j] as number);
          return;
        }
        const text = decodeField(record.bytes, start, end, record.flags[j] as number);
        const what = column.isTarget
          ? `a number for ${this.settings.problemType ?? 'regression'}`
          : 'a finite number';
        if (parser.status === NUMBER_NON_FINITE) {
          this.cellIssue('non-finite', column, record, text, 'is not a finite number', what);
        } else this.cellIssue('not-a-number', column, record, text, 'is not a number', what);
        return;
      }
    }
    if (x < column.min || x > column.max) {
      const text = decodeField(record.bytes, start, end, record.flags[j] as number);
      this.cellIssue('out-of-range', column, record, text, 'is out of range', rangeText(column));
      return;
    }
    (column.numeric as NumericAccumulator).add(x);
    if (column.categories !== null) this.onCategory(column, record, start, end, record.flags[j] as number);
  }

  private onCategory(
    column: ColumnState,
    record: CsvRecord,
    start: number,
    end: number,
    flags: number,
  ): void {
    const categories = column.categories as ValueIndex;
    const code = categories.find(record.bytes, start, end, flags);
    if (code >= 0) {
      column.counts[code] = (column.counts[code] as number) + 1;
      return;
    }
    const text = decodeField(record.bytes, start, end, flags);
    if (column.allowed) {
      const kind = column.isTarget ? 'unknown-label' : 'unknown-category';
      const list = categories.values.map((value) => JSON.stringify(value)).join(', ');
      this.cellIssue(
        kind,
        column,
        record,
        text,
        `is not one of the allowed ${column.isTarget ? 'labels' : 'values'}`,
        truncateValue(list),
      );
      return;
    }
    const limit = column.isTarget ? this.options.maxClasses : this.options.maxCategories;
    if (categories.size >= limit) {
      if (!column.overflow && (!column.isTarget || this.classificationKnown()))
        this.overflowProblem(column, record);
      column.overflow = true;
      return;
    }
    categories.add(text);
    column.counts.push(1);
  }

  private classificationKnown(): boolean {
    const problemType = this.settings.contract?.problemType ?? this.settings.problemType;
    return problemType !== undefined && problemType !== 'regression';
  }

  private overflowProblem(column: ColumnState, record: CsvRecord): void {
    const limit = column.isTarget ? this.options.maxClasses : this.options.maxCategories;
    const what = column.isTarget ? 'classes' : 'distinct values';
    this.problems.add({
      kind: column.isTarget ? 'too-many-classes' : 'too-many-categories',
      message:
        `${cellPlace(record.index, record.line, column.name)}: more than ${limit} ${what} ` +
        `(expected at most ${limit}${column.isTarget ? '' : '; an identifier-like column is not a useful feature'})`,
      row: record.index,
      line: record.line,
      column: column.name,
      expected: `at most ${limit} ${what}`,
    });
  }

  /** Inference: a text value in a column that looked numeric so far. */
  private becomeCategorical(column: ColumnState): void {
    // Values before this one were only counted as numbers: their categories need another pass.
    if (column.nonNull > 1) this.needsRerun = true;
    column.type = 'categorical';
    column.flexible = false;
    column.numeric = null;
    if (column.categories === null) column.categories = new ValueIndex();
    this.scanner?.setNumericColumns(this.numericMask());
  }

  private cellIssue(
    kind: ProblemKind,
    column: ColumnState,
    record: CsvRecord,
    value: string,
    what: string,
    expected: string,
  ): void {
    if (!this.problems.count(kind)) return;
    const place = { row: record.index, line: record.line, column: column.name };
    this.problems.keep(cellProblem(kind, place, value, what, expected));
  }

  private onHeader(record: CsvRecord): void {
    this.headerSeen = true;
    this.dataOffset = record.offset + record.byteLength;
    this.headerQuotes = this.scanner?.quotedFields ?? 0;
    if (record.blank) {
      this.problems.add({
        kind: 'empty-column-name',
        message: 'header (line 1): the header row is blank (expected column names)',
        line: 1,
      });
      this.scanner?.stop();
      return;
    }
    const names: string[] = [];
    for (let j = 0; j < record.count; j++) {
      names.push(
        decodeField(
          record.bytes,
          record.starts[j] as number,
          record.ends[j] as number,
          record.flags[j] as number,
        ),
      );
    }
    this.header = names;
    this.width = names.length;
    if (!this.checkNames(names) || !this.mapColumns(names)) {
      this.scanner?.stop();
      return;
    }
    this.scanner?.setNumericColumns(this.numericMask());
  }

  private checkNames(names: readonly string[]): boolean {
    let ok = true;
    const seen = new Map<string, number>();
    names.forEach((name, j) => {
      if (name.trim() === '') {
        ok = false;
        this.problems.add({
          kind: 'empty-column-name',
          message: `header (line 1), column ${j + 1}: the column name is empty (expected a name)`,
          line: 1,
        });
        return;
      }
      const first = seen.get(name);
      if (first !== undefined) {
        ok = false;
        this.problems.add({
          kind: 'duplicate-column',
          message: `header (line 1), column ${j + 1}: ${JSON.stringify(truncateValue(name))} repeats column ${first + 1} (expected unique names)`,
          line: 1,
          column: name,
        });
      } else seen.set(name, j);
    });
    return ok;
  }

  /**
   * A header of one column holding `;` or a tab is a file separated by something else than commas (as
   * spreadsheets export in locales with a decimal comma): said before the missing target it causes.
   */
  private addSeparatorHint(names: readonly string[]): void {
    const [only] = names;
    if (names.length !== 1 || only === undefined) return;
    const separator = only.includes(';') ? ';' : only.includes('\t') ? 'tab' : undefined;
    if (separator === undefined) return;
    this.problems.add({
      kind: 'not-comma-separated',
      message: `header (line 1): the header has one column ${JSON.stringify(truncateValue(only))}; this looks ${separator}-separated: expected comma-separated values (RFC 4180)`,
      line: 1,
      expected: 'comma-separated values (RFC 4180)',
    });
  }

  /** Builds the column states; false when reading on would be pointless (no target). */
  private mapColumns(names: readonly string[]): boolean {
    const { contract } = this.settings;
    const targetName = contract?.target ?? this.settings.target;
    if (targetName === undefined || !names.includes(targetName)) this.addSeparatorHint(names);
    if (targetName === undefined) {
      this.problems.add({
        kind: 'missing-target',
        message:
          'no target column is configured (expected targetColumn in the configuration or "target" in schema.json)',
      });
      return false;
    }
    const index = new Map(names.map((name, j) => [name, j]));
    if (!index.has(targetName)) {
      this.problems.add({
        kind: 'missing-target',
        message: `header (line 1): the target column ${JSON.stringify(targetName)} is missing (expected it among ${truncateValue(names.join(', '))})`,
        line: 1,
        column: targetName,
      });
      return false;
    }
    const numericColumns =
      contract === undefined ? names.length : contract.columns.filter((c) => c.type === 'numeric').length;
    this.gridCells = gridCellsPerColumn(numericColumns);
    if (contract === undefined) {
      this.columns = names.map((name, j) => this.inferredColumn(name, j, name === targetName));
    } else {
      this.columns = this.declaredColumns(contract, names, index);
    }
    this.target = this.columns.find((column) => column.isTarget);
    return true;
  }

  private declaredColumns(
    contract: DatasetContract,
    names: readonly string[],
    index: ReadonlyMap<string, number>,
  ): ColumnState[] {
    const declared = new Set(contract.columns.map((column) => column.name));
    for (const column of contract.columns) {
      if (index.has(column.name)) continue;
      this.problems.add({
        kind: 'missing-column',
        message: `header (line 1): the contract column ${JSON.stringify(column.name)} is missing from the file (expected every declared column)`,
        line: 1,
        column: column.name,
      });
    }
    names.forEach((name, j) => {
      if (declared.has(name)) return;
      this.problems.add({
        kind: 'unexpected-column',
        message: `header (line 1), column ${j + 1}: ${JSON.stringify(truncateValue(name))} is not in the contract (expected only declared columns)`,
        line: 1,
        column: name,
      });
    });
    const states: ColumnState[] = [];
    for (const spec of contract.columns) {
      const j = index.get(spec.name);
      if (j === undefined) continue;
      const isTarget = spec.name === contract.target;
      const labels = isTarget ? contract.labels : spec.values;
      const state = new ColumnState(
        spec.name,
        j,
        isTarget,
        spec.type,
        false,
        spec.nullable === true && !isTarget,
        spec.min ?? Number.NEGATIVE_INFINITY,
        spec.max ?? Number.POSITIVE_INFINITY,
        labels !== undefined,
      );
      this.initAccumulators(state, isTarget && contract.problemType !== 'regression', labels);
      states.push(state);
    }
    return states.sort((a, b) => a.fileIndex - b.fileIndex);
  }

  private inferredColumn(name: string, j: number, isTarget: boolean): ColumnState {
    const fixed = this.settings.fixedTypes?.get(name);
    const problemType = this.settings.problemType;
    // Declared labels make the target a classification label with exactly those classes.
    const labels = isTarget ? this.settings.labels : undefined;
    const classification =
      labels !== undefined || (problemType !== undefined && problemType !== 'regression');
    const type =
      labels !== undefined
        ? 'categorical'
        : (fixed ?? (isTarget && classification ? 'categorical' : 'numeric'));
    const flexible = fixed === undefined && !(isTarget && problemType === 'regression') && type === 'numeric';
    const state = new ColumnState(
      name,
      j,
      isTarget,
      type,
      flexible,
      !isTarget,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      labels !== undefined,
    );
    this.initAccumulators(state, isTarget && problemType !== 'regression', labels);
    return state;
  }

  private initAccumulators(
    state: ColumnState,
    tracksClasses: boolean,
    values: readonly string[] | undefined,
  ): void {
    if (state.type === 'numeric') {
      state.numeric = new NumericAccumulator(this.options.sampleSize, this.gridCells);
    }
    if (state.type === 'categorical' || tracksClasses) {
      state.categories = values === undefined ? new ValueIndex() : ValueIndex.of(values);
      state.counts = state.categories.values.map(() => 0);
    }
  }

  private numericMask(): boolean[] {
    const mask = new Array<boolean>(this.width).fill(false);
    for (const column of this.columns) mask[column.fileIndex] = column.type === 'numeric';
    return mask;
  }

  /** Ends the pass; with `complete` (the whole file was read) also runs the whole-file checks. */
  finish(complete: boolean): PassResult {
    if (!complete) {
      return {
        header: this.header,
        rows: this.rows,
        columns: this.columns,
        target: this.target,
        problemType: undefined,
        needsRerun: false,
        dataOffset: this.dataOffset,
        quotedData: true,
      };
    }
    if (!this.headerSeen) {
      this.problems.add({
        kind: 'empty-file',
        message: 'the file is empty (expected a header row and data rows)',
      });
    } else if (this.rows === 0 && this.columns.length > 0) {
      this.problems.add({
        kind: 'no-data-rows',
        message: 'the file has a header but no data rows (expected at least one data row)',
        line: 2,
      });
    }
    const problemType =
      this.target === undefined || this.rows === 0 ? undefined : this.decideProblemType(this.target);
    return {
      header: this.header,
      rows: this.rows,
      columns: this.columns,
      target: this.target,
      problemType,
      needsRerun: this.needsRerun,
      dataOffset: this.dataOffset,
      quotedData: (this.scanner?.quotedFields ?? 1) > this.headerQuotes,
    };
  }

  private decideProblemType(target: ColumnState): ProblemType | undefined {
    const given = this.settings.contract?.problemType ?? this.settings.problemType;
    if (given !== undefined) return given;
    const classes = target.categories;
    if (target.type === 'categorical') {
      if (target.overflow || classes === null) {
        this.problems.add({
          kind: 'too-many-classes',
          message: `column ${JSON.stringify(target.name)}: the text label has more than ${this.options.maxClasses} classes (expected at most ${this.options.maxClasses}; set problemType to say what to train)`,
          column: target.name,
        });
        return undefined;
      }
      return classes.size <= 2 ? 'binary' : 'multiclass';
    }
    if (classes === null || target.overflow) return 'regression';
    if (classes.size <= 2) return 'binary';
    const integers = classes.values.every((value) => /^[+-]?\d+$/.test(value.trim()));
    return integers && classes.size <= this.options.maxInferredClasses ? 'multiclass' : 'regression';
  }
}

function rangeText(column: ColumnState): string {
  const low = Number.isFinite(column.min);
  const high = Number.isFinite(column.max);
  if (low && high) return `a number from ${column.min} to ${column.max}`;
  return low ? `a number >= ${column.min}` : `a number <= ${column.max}`;
}
