/**
 * The retrain dataset: the last training dataset plus the labeled captured rows since, as one CSV in the
 * training dataset's own columns. Labeled rows are decoded back to the contract's terms (category names, the
 * label's class name), checked against the contract, and de-duplicated by identity (a request row — its id and
 * row — once, however often its capture record or its label was written) before they are appended.
 *
 * Rows are not de-duplicated by content: two requests with the same features and label are two observations, and
 * dropping one would skew the class balance the model learns from. Rows already trained on are kept out by
 * time instead: only rows captured after the serving version's training run started are new.
 */
import type { DatasetContract } from '../shared/dataset-contract';
import type { FeatureValue, LabeledRow } from '../shared/ground-truth';

/** The run's encoding.json fields the retrainer reads (DatasetEncoding in validate-dataset/report.ts). */
export interface RetrainEncoding {
  readonly label: {
    readonly name: string;
    readonly problemType: string;
    readonly classes?: readonly string[];
  };
  readonly features: readonly {
    readonly name: string;
    readonly type: 'numeric' | 'categorical';
    readonly categories?: readonly string[];
  }[];
}

/** Why labeled rows were left out, by reason. */
export interface RowRejections {
  /** The label is not a class of the model (classification) or not a number (regression). */
  badLabel: number;
  /** A value breaks the contract (a null where none is allowed, out of [min, max], an unknown category). */
  contract: number;
  /** The same request row again (its capture record written twice). */
  duplicateId: number;
  /** Examples of contract breaks, at most a few. */
  examples: string[];
}

export function noRejections(): RowRejections {
  return { badLabel: 0, contract: 0, duplicateId: 0, examples: [] };
}

const MAX_EXAMPLES = 10;

/**
 * A CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break, quotes doubled
 * (https://www.rfc-editor.org/rfc/rfc4180#section-2).
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A CSV line (no line break) of the fields. */
export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/** Collects the new rows for a header (the base dataset's columns), checked and de-duplicated. */
export class RetrainRows {
  readonly rejections = noRejections();
  /** New rows as CSV lines, in the order they came. */
  private readonly rows: string[] = [];
  private readonly ids = new Set<string>();
  private readonly featureIndex: Map<string, number>;
  private readonly columns: readonly (ColumnPlan | undefined)[];

  /**
   * @param header - the base dataset's header (the contract's columns, the label included)
   * @param encoding - the serving version's encoding.json (feature order of the captured rows, the classes)
   * @param contract - the model's contract, when stored; its rules are checked on each new row
   */
  constructor(
    private readonly header: readonly string[],
    private readonly encoding: RetrainEncoding,
    contract: DatasetContract | undefined,
  ) {
    this.featureIndex = new Map(encoding.features.map((feature, index) => [feature.name, index]));
    const byName = new Map((contract?.columns ?? []).map((column) => [column.name, column]));
    this.columns = header.map((name) => {
      const column = byName.get(name);
      const feature = encoding.features[this.featureIndex.get(name) ?? -1];
      const type = column?.type ?? feature?.type;
      if (type === undefined && name !== encoding.label.name) return undefined;
      return {
        name,
        type: type ?? (encoding.label.problemType === 'regression' ? 'numeric' : 'categorical'),
        nullable: column?.nullable ?? false,
        ...(column?.min === undefined ? {} : { min: column.min }),
        ...(column?.max === undefined ? {} : { max: column.max }),
        ...(column?.values === undefined ? {} : { values: new Set(column.values) }),
      };
    });
    this.labels = contract?.labels === undefined ? undefined : new Set(contract.labels);
  }

  private readonly labels: Set<string> | undefined;

  /** New rows kept so far. */
  get size(): number {
    return this.rows.length;
  }

  /** The label's text in the dataset's terms: a class name (from a name or an index) or a number. */
  labelText(label: string): string | undefined {
    const { classes, problemType } = this.encoding.label;
    if (problemType === 'regression') {
      const value = label.trim() === '' ? Number.NaN : Number(label);
      return Number.isFinite(value) ? String(value) : undefined;
    }
    if (classes === undefined) return label;
    if (classes.includes(label)) return label;
    const index = Number(label);
    return Number.isInteger(index) && index >= 0 && index < classes.length ? classes[index] : undefined;
  }

  /** Adds a labeled row if it passes the checks; counts why when it does not. */
  add(row: LabeledRow): void {
    const idKey = `${row.id}#${row.row}`;
    if (this.ids.has(idKey)) {
      this.rejections.duplicateId++;
      return;
    }
    const label = this.labelText(row.label);
    if (label === undefined || (this.labels !== undefined && !this.labels.has(label))) {
      this.rejections.badLabel++;
      return;
    }
    const fields: string[] = [];
    for (let c = 0; c < this.header.length; c++) {
      const name = this.header[c] as string;
      if (name === this.encoding.label.name) {
        fields.push(label);
        continue;
      }
      const index = this.featureIndex.get(name);
      const value: FeatureValue = index === undefined ? null : (row.features[index] ?? null);
      const problem = this.check(this.columns[c], value);
      if (problem !== undefined) {
        this.rejections.contract++;
        if (this.rejections.examples.length < MAX_EXAMPLES) {
          this.rejections.examples.push(`request ${row.id} row ${row.row}, column ${name}: ${problem}`);
        }
        return;
      }
      fields.push(value === null ? '' : String(value));
    }
    this.ids.add(idKey);
    this.rows.push(csvLine(fields));
  }

  private check(column: ColumnPlan | undefined, value: FeatureValue): string | undefined {
    if (column === undefined) return value === null ? undefined : 'is not a column of the contract';
    if (value === null) return column.nullable ? undefined : 'is empty, and the column is not nullable';
    if (column.type === 'numeric') {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `"${String(value)}" is not a number`;
      if (column.min !== undefined && value < column.min)
        return `${value} is below the minimum ${column.min}`;
      if (column.max !== undefined && value > column.max)
        return `${value} is above the maximum ${column.max}`;
      return undefined;
    }
    const text = String(value);
    if (column.values !== undefined && !column.values.has(text))
      return `"${text}" is not an allowed category`;
    return undefined;
  }

  /** The kept rows as CSV lines, in arrival order. */
  lines(): readonly string[] {
    return this.rows;
  }
}

interface ColumnPlan {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  readonly nullable: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: ReadonlySet<string>;
}
