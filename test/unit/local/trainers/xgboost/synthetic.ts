/** Small seeded data sets for the trainer tests. */
import type { FeatureMatrix } from '../../../../../local/trainers/xgboost/gbdt';
import { seededRandom } from '../../../../../local/trainers/xgboost/sampling';

export interface Dataset {
  readonly features: FeatureMatrix;
  readonly labels: Float64Array;
}

/** `rows x columns` uniform values in [-1, 1) and a label computed from each row (which it may alter). */
export function dataset(
  rows: number,
  columns: number,
  seed: number,
  label: (row: Float64Array, random: () => number) => number,
): Dataset {
  const random = seededRandom(seed);
  const values = new Float64Array(rows * columns);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = values.subarray(r * columns, (r + 1) * columns);
    for (let c = 0; c < columns; c++) row[c] = random() * 2 - 1;
    labels[r] = label(row, random);
  }
  return { features: { rows, columns, layout: 'row-major', values }, labels };
}

const at = (row: Float64Array, c: number): number => row[c] as number;

/** Binary: a curved boundary in features 0 and 1; features 2.. are noise. */
export const binaryLabel = (row: Float64Array): number => (at(row, 0) + at(row, 1) ** 2 > 0.3 ? 1 : 0);

/** Three classes by angle around the origin in features 0 and 1. */
export const threeClassLabel = (row: Float64Array): number => {
  const angle = Math.atan2(at(row, 1), at(row, 0)) + Math.PI;
  return Math.min(2, Math.floor((angle / (2 * Math.PI)) * 3));
};

/** A smooth non-linear target with a little noise. */
export const regressionLabel = (row: Float64Array, random: () => number): number =>
  Math.sin(3 * at(row, 0)) + at(row, 1) ** 2 + 0.5 * at(row, 2) + (random() - 0.5) * 0.1;

/** Rows of a dataset as CSV lines in the SageMaker XGBoost format (label first; NaN as an empty field). */
export function toCsv(data: Dataset): string {
  const { rows, columns, values } = data.features;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const fields = Array.from(values.subarray(r * columns, (r + 1) * columns), (v) =>
      Number.isNaN(v) ? '' : String(v),
    );
    lines.push([String(data.labels[r]), ...fields].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The standard deviation of the values. */
export function standardDeviation(values: Float64Array): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
}
