/**
 * Maps CSV fields to {@link DriftAccumulator.addRow}'s values, for offline comparisons (`mlops drift compare`).
 */
import type { BaselineStatistics } from './baseline-statistics';

/**
 * Maps a CSV record with `header` to the baseline's feature values, in baseline order: empty fields are
 * null, numeric fields stay text for {@link DriftAccumulator.addRow} to parse (text that is not a number
 * counts as a null there). Throws when the header lacks a feature.
 */
export function featureRowMapper(
  baseline: BaselineStatistics,
  header: readonly string[],
): (fields: readonly string[]) => (string | null)[] {
  const positions = baseline.features.map((feature) => {
    const index = header.indexOf(feature.name);
    if (index < 0) throw new Error(`the header has no column ${JSON.stringify(feature.name)}`);
    return index;
  });
  return (fields) =>
    positions.map((index) => {
      const field = fields[index];
      return field === undefined || field === '' ? null : field;
    });
}
