/**
 * Schemas of the payloads in pipeline.ts, for the handlers to parse their input with (the state machine's
 * payloads are a contract; a handler does not cast them). Each schema checks what its readers use and keeps
 * the rest of the object as it came (looseObject), so a field added upstream passes through.
 */
import type {
  CaughtError,
  DatasetPointer,
  DuplicateRunPlan,
  EvaluationDecision,
  EvaluationPlan,
  RunContext,
  TrainingPlan,
  TrainingResult,
  TrainingRunPlan,
} from './pipeline';
import * as z from './zod';

const text = z.string().check(z.minLength(1));

export const datasetPointerSchema = z.object({
  bucket: text,
  key: text,
  versionId: z.exactOptional(text),
}) satisfies z.ZodMiniType<DatasetPointer>;

export const runContextSchema = z.object({
  runId: text,
  model: text,
  dataset: datasetPointerSchema,
  duplicate: z.boolean(),
  forced: z.exactOptional(z.boolean()),
  retryOf: z.exactOptional(text),
}) satisfies z.ZodMiniType<RunContext>;

const lineageSchema = z.object({
  sha256: z.string().check(z.regex(/^[a-f0-9]{64}$/)),
  rowCount: z.number(),
  sizeBytes: z.number(),
});

export const evaluationPlanSchema = z.looseObject({
  problemType: z.enum(['binary', 'multiclass', 'regression']),
  metric: text,
  higherIsBetter: z.boolean(),
  threshold: z.exactOptional(z.number()),
  minImprovement: z.number(),
  approval: z.enum(['auto', 'manual']),
}) satisfies z.ZodMiniType<EvaluationPlan>;

const positiveInt = z.int().check(z.gte(1));

export const trainingPlanSchema = z.looseObject({
  jobName: text,
  algorithmSpecification: z.looseObject({
    TrainingImage: text,
    TrainingInputMode: z.literal('File'),
    MetricDefinitions: z.exactOptional(z.array(z.looseObject({ Name: text, Regex: text }))),
  }),
  hyperParameters: z.record(z.string(), z.string()),
  resourceConfig: z.looseObject({
    InstanceType: text,
    InstanceCount: positiveInt,
    VolumeSizeInGB: positiveInt,
    VolumeKmsKeyId: z.exactOptional(text),
  }),
  stoppingCondition: z.looseObject({
    MaxRuntimeInSeconds: positiveInt,
    MaxWaitTimeInSeconds: z.exactOptional(positiveInt),
  }),
  enableManagedSpotTraining: z.boolean(),
  trainUri: text,
  validationUri: text,
  outputUri: text,
  checkpointUri: text,
}) satisfies z.ZodMiniType<TrainingPlan>;

export const trainingRunPlanSchema = z.looseObject({
  reportUri: text,
  baselineUri: text,
  lineage: lineageSchema,
  training: trainingPlanSchema,
  evaluation: evaluationPlanSchema,
  duplicateOf: z.exactOptional(z.undefined()),
}) satisfies z.ZodMiniType<TrainingRunPlan>;

export const duplicateRunPlanSchema = z.object({
  reportUri: text,
  lineage: lineageSchema,
  duplicateOf: z.object({ runId: text, version: z.int().check(z.gte(1)) }),
}) satisfies z.ZodMiniType<DuplicateRunPlan>;

export const trainingResultSchema = z.object({
  jobName: text,
  status: z.string(),
  artifactUri: text,
  metrics: z._default(
    z.array(z.object({ MetricName: z.string(), Value: z.number() })),
    [] as { MetricName: string; Value: number }[],
  ),
}) satisfies z.ZodMiniType<TrainingResult>;

export const evaluationDecisionSchema = z.object({
  status: z.enum(['Approved', 'PendingApproval', 'Rejected']),
  metric: text,
  value: z.number(),
  champion: z.exactOptional(z.object({ version: z.number(), value: z.number() })),
  reasons: z.array(z.string()),
}) satisfies z.ZodMiniType<EvaluationDecision>;

/** What a Step Functions Catch leaves at its ResultPath: `Error` and `Cause` (both strings). */
export const caughtErrorSchema = z.object({
  Error: z.string(),
  Cause: z.exactOptional(z.string()),
}) satisfies z.ZodMiniType<CaughtError>;
