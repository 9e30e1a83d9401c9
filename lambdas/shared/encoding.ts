/**
 * The schema of a run's encoding.json (DatasetEncoding in lambdas/validate-dataset/report.ts, which writes
 * it): how the training CSV was encoded, read by the drift and quality checks and the retrainer.
 */
import * as z from './zod';

const columnType = z.enum(['numeric', 'categorical']);

export const datasetEncodingSchema = z.looseObject({
  formatVersion: z.literal(1),
  format: z.literal('xgboost-csv'),
  label: z.looseObject({
    name: z.string(),
    problemType: z.enum(['binary', 'multiclass', 'regression']),
    classes: z.exactOptional(z.array(z.string())),
  }),
  features: z.array(
    z.looseObject({ name: z.string(), type: columnType, categories: z.exactOptional(z.array(z.string())) }),
  ),
});
