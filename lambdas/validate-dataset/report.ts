/** The JSON documents the validator produces besides the splits. */
import type { ColumnType, ProblemType } from '../shared/dataset-contract';
import { omitUndefined } from '../shared/omit-undefined';
import type { DatasetProblem, ProblemCollector, ProblemKind } from './problems';
import type { SplitSummary } from './split';

/** The validation report (`report.json`), written for accepted and rejected datasets alike. */
export interface ValidationReport {
  readonly status: 'accepted' | 'rejected';
  /** Data rows read (the header and trailing blank lines not counted). */
  readonly rows: number;
  /** Header names, in file order. */
  readonly columns: readonly string[];
  readonly target?: string;
  readonly problemType?: ProblemType;
  /** Whether the contract came from schema.json (declared) or from this dataset (inferred). */
  readonly contractSource: 'declared' | 'inferred';
  /** Bytes read (the whole file unless reading stopped early). */
  readonly bytes: number;
  /** sha256 (hex) of the whole file; absent when reading stopped early. */
  readonly sha256?: string;
  readonly durationMs: number;
  /** All problems found, including those beyond the detail cap. */
  readonly problemCount: number;
  /** Details of the first problems (up to the cap; a fatal one is always included). */
  readonly problems: readonly DatasetProblem[];
  readonly countsByKind: Partial<Record<ProblemKind, number>>;
  /** Reading stopped before the end of the file (a structural problem or an unusable header). */
  readonly stoppedEarly: boolean;
  /** Accepted only: rows per split. */
  readonly split?: SplitSummary;
}

/** Where the training data came from; the handler adds the S3 bucket, key and version id. */
export interface DatasetLineage {
  readonly sha256: string;
  readonly bytes: number;
  readonly rows: number;
}

/** How the training CSV was encoded (`encoding.json`), so predictions can be encoded the same way. */
export interface DatasetEncoding {
  readonly formatVersion: 1;
  /** SageMaker built-in XGBoost CSV: no header, label first, then the features in this order. */
  readonly format: 'xgboost-csv';
  readonly label: {
    readonly name: string;
    readonly problemType: ProblemType;
    /** Classification: class i is written as i. */
    readonly classes?: readonly string[];
  };
  readonly features: readonly {
    readonly name: string;
    readonly type: ColumnType;
    /** Categorical: category i is written as i; an empty field is a missing value. */
    readonly categories?: readonly string[];
  }[];
}

/** The parts of a report known once reading ended; what is undefined was not learned (and is left out). */
export interface ReportFacts {
  readonly status: 'accepted' | 'rejected';
  readonly rows: number;
  readonly columns: readonly string[];
  readonly target?: string | undefined;
  readonly problemType?: ProblemType | undefined;
  readonly contractSource: 'declared' | 'inferred';
  readonly bytes: number;
  readonly sha256?: string | undefined;
  readonly startedAt: number;
  readonly stoppedEarly: boolean;
  readonly split?: SplitSummary | undefined;
}

/** Assembles the report from what was learned and the collected problems. */
export function buildReport(facts: ReportFacts, problems: ProblemCollector): ValidationReport {
  const { startedAt, ...rest } = facts;
  return {
    ...omitUndefined(rest),
    durationMs: Math.round(performance.now() - startedAt),
    problemCount: problems.total,
    problems: [...problems.problems],
    countsByKind: { ...problems.countsByKind },
  };
}
