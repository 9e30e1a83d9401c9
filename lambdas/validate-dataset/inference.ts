/** The contract a dataset implies when none is declared: what the first accepted dataset stores. */
import type { DatasetContract, ProblemType } from '../shared/dataset-contract';
import type { ColumnState, PassResult } from './validate';

/** The contract inferred from this dataset: observed types, nullability and classes; no ranges. */
export function inferContract(
  result: PassResult,
  target: ColumnState,
  problemType: ProblemType,
  classes: readonly { value: string }[] | undefined,
): DatasetContract {
  return {
    target: target.name,
    problemType,
    columns: result.columns.map((column) => ({
      name: column.name,
      type: column.type,
      ...(column.nulls > 0 && !column.isTarget ? { nullable: true } : {}),
    })),
    ...(classes === undefined ? {} : { labels: classes.map((c) => c.value) }),
  };
}
