import * as z from '../shared/zod';

const MIB = 1024 * 1024;

const optionsSchema = z.strictObject({
  /** Share of each class (all rows for regression) that goes to the validation split. */
  validationFraction: z._default(z.number().check(z.gt(0), z.lt(1)), 0.2),
  /** Seed of the split and of the reservoir samples: same seed and bytes, same output bytes. */
  seed: z._default(z.number().check(z.int()), 42),
  /** Problems kept in detail in the report (all are counted). */
  maxProblems: z._default(z.number().check(z.int(), z.gte(1)), 100),
  /** Longest record in bytes (line end included); also bounds the memory for one record. */
  maxLineBytes: z._default(z.number().check(z.int(), z.gte(16)), MIB),
  /** Fewest data rows accepted. Each class also needs at least 2 rows (one per split). */
  minRows: z._default(z.number().check(z.int(), z.gte(2)), 10),
  /** Largest file in bytes, checked against the declared length and while streaming. */
  maxBytes: z._default(z.number().check(z.int(), z.gte(1)), 10 * 1024 * MIB),
  /** Most distinct values of a categorical feature (bounds memory; more looks like an identifier). */
  maxCategories: z._default(z.number().check(z.int(), z.gte(2)), 10_000),
  /** Most classes of a classification label. */
  maxClasses: z._default(z.number().check(z.int(), z.gte(2)), 1_000),
  /** Inference only: an integer label with at most this many distinct values is multiclass, not regression. */
  maxInferredClasses: z._default(z.number().check(z.int(), z.gte(3)), 20),
  /**
   * Rows in the reservoir sample the quantile bin edges and the numeric columns' drift reference samples
   * come from (issue 10 §1: up to 10,000 values; exact tests below that many rows).
   */
  sampleSize: z._default(z.number().check(z.int(), z.gte(10)), 10_000),
  /** Quantile bins per numeric column in the baseline statistics. */
  bins: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 10),
  /** Size of the chunks handed to the split sinks. */
  outputChunkBytes: z._default(z.number().check(z.int(), z.gte(1024)), MIB),
});

/** Tunables of {@link validateDataset}; every one has a default. */
export type ValidateDatasetOptions = z.output<typeof optionsSchema>;

/** Fills in defaults; throws a RangeError naming the option for invalid values (a configuration bug). */
export function resolveOptions(options: Partial<ValidateDatasetOptions> = {}): ValidateDatasetOptions {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
  );
  throw new RangeError(`invalid validateDataset options: ${details.join('; ')}`);
}
