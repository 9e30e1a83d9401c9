import { type ZodType, z } from 'zod';
import { CorruptItemError, ValidationError } from './errors';
import { INITIAL_STATUSES } from './lifecycle';
import {
  ALIAS_NAMES,
  type Alias,
  type AuditEvent,
  type JsonObject,
  type JsonValue,
  type Lineage,
  MODEL_VERSION_STATUSES,
  type ModelSummary,
  type ModelVersion,
  RUN_STATUSES,
  type Run,
} from './types';

/** Model names become S3 prefixes, metric dimensions and resource names, hence the tight pattern. */
export const MODEL_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** '#' is the key separator, so ids must not contain it. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Version numbers are stored zero-padded to 10 digits. */
export const MAX_VERSION = 9_999_999_999;

export const modelNameSchema = z
  .string()
  .regex(MODEL_NAME_PATTERN, 'expected 1-32 of a-z, 0-9 and "-", starting and ending with a letter or digit');
export const versionSchema = z
  .int('expected a positive integer')
  .min(1, 'expected a positive integer')
  .max(MAX_VERSION, `expected at most ${MAX_VERSION}`);
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'expected 1-128 of A-Z, a-z, 0-9, ".", "_", ":", "-", starting with a letter or digit');
export const aliasNameSchema = z.enum(ALIAS_NAMES, `expected one of ${ALIAS_NAMES.join(', ')}`);
export const versionStatusSchema = z.enum(
  MODEL_VERSION_STATUSES,
  `expected one of ${MODEL_VERSION_STATUSES.join(', ')}`,
);
export const runStatusSchema = z.enum(RUN_STATUSES, `expected one of ${RUN_STATUSES.join(', ')}`);
export const eventTypeSchema = z
  .string()
  .regex(/^[A-Z][A-Za-z0-9]{1,63}$/, 'expected a PascalCase name of 2-64 letters and digits');

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `expected at most ${max} characters`);
export const actorSchema = text(256);
export const reasonSchema = text(2_000);
const timestamp = z
  .union([z.date(), z.iso.datetime({ offset: true })], 'expected an ISO-8601 date-time or a Date')
  .transform((value) => new Date(value).toISOString());

export const pageRequestSchema = z.strictObject({
  limit: z.int('expected an integer').min(1, 'expected 1..1000').max(1000, 'expected 1..1000').optional(),
  nextToken: z.string().optional(),
});

const datasetObjectShape = {
  bucket: text(63),
  key: text(1024),
  versionId: text(1024),
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters'),
  rowCount: z.int('expected a non-negative integer').min(0, 'expected a non-negative integer'),
};
const lineageShape = {
  trainingJobName: text(63),
  image: text(2048),
  hyperparameters: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  artifactUri: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'expected an s3://bucket/key URI'),
  executionArn: text(2048),
  runId: idSchema,
};

export const registerVersionInputSchema = z.strictObject({
  lineage: z.strictObject({ ...lineageShape, dataset: z.strictObject(datasetObjectShape) }),
  status: z.enum(INITIAL_STATUSES, `expected one of ${INITIAL_STATUSES.join(', ')}`).optional(),
  reason: reasonSchema.optional(),
  actor: actorSchema.optional(),
});

export const changeStatusOptionsSchema = z.strictObject({ reason: reasonSchema, actor: actorSchema });

export const setAliasOptionsSchema = z.strictObject({
  expectedVersion: versionSchema.nullable(),
  reason: reasonSchema.optional(),
  actor: actorSchema.optional(),
});

const datasetPointerShape = { bucket: text(63), key: text(1024), versionId: text(1024).optional() };
const runFieldsShape = {
  executionArn: text(2048).optional(),
  step: text(256).optional(),
  error: text(2_000).optional(),
  cause: text(32_000).optional(),
  version: versionSchema.optional(),
};

export const createRunInputSchema = z.strictObject({
  ...runFieldsShape,
  runId: idSchema,
  model: modelNameSchema,
  status: runStatusSchema.optional(),
  dataset: z.strictObject(datasetPointerShape),
  startedAt: timestamp.optional(),
  endedAt: timestamp.optional(),
  actor: actorSchema.optional(),
});

export const runPatchSchema = z
  .strictObject({ ...runFieldsShape, status: runStatusSchema.optional(), endedAt: timestamp.optional() })
  .refine(
    (patch) => Object.values(patch).some((value) => value !== undefined),
    'expected at least one field',
  );

export const updateRunOptionsSchema = z.strictObject({
  expectedStatus: runStatusSchema.optional(),
  actor: actorSchema.optional(),
});

export const appendEventInputSchema = z.strictObject({
  model: modelNameSchema,
  type: eventTypeSchema,
  at: timestamp.optional(),
  actor: actorSchema,
  reasons: z.array(reasonSchema).max(50, 'expected at most 50 reasons').optional(),
  details: z.record(z.string(), z.unknown()),
  runId: idSchema.optional(),
  version: versionSchema.optional(),
  id: idSchema.optional(),
});

// Stored items are read leniently (unknown attributes such as the keys are dropped) so that a newer writer
// adding a field does not break older readers.
const storedLineage = z.object({ ...lineageShape, dataset: z.object(datasetObjectShape) });

export const storedVersionSchema: ZodType<ModelVersion> = z.object({
  model: z.string(),
  version: z.int(),
  status: versionStatusSchema,
  statusReason: z.string().optional(),
  statusChangedAt: z.string(),
  statusChangedBy: z.string(),
  createdAt: z.string(),
  lineage: storedLineage satisfies ZodType<Lineage>,
});

export const storedModelSchema: ZodType<ModelSummary> = z.object({
  model: z.string(),
  latestVersion: z.int().min(0),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const storedAliasSchema: ZodType<Alias> = z.object({
  model: z.string(),
  alias: aliasNameSchema,
  version: z.int(),
  revision: z.int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  reason: z.string().optional(),
});

export const storedRunSchema: ZodType<Run> = z.object({
  runId: z.string(),
  model: z.string(),
  status: runStatusSchema,
  dataset: z.object({ bucket: z.string(), key: z.string(), versionId: z.string().optional() }),
  executionArn: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  step: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  version: z.int().optional(),
});

export const storedEventSchema: ZodType<AuditEvent> = z.object({
  id: z.string(),
  model: z.string(),
  type: z.string(),
  at: z.string(),
  actor: z.string(),
  reasons: z.array(z.string()),
  details: z.record(z.string(), z.unknown()).transform((details) => toJsonObject(details, 'details')),
  runId: z.string().optional(),
  version: z.int().optional(),
});

/** Missing fields say so plainly instead of zod's "expected string, received undefined". */
const requiredMessage = (issue: { code?: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

/**
 * Parses caller input.
 * @throws ValidationError naming every offending field, e.g. `lineage.dataset.sha256: expected 64 ...`
 */
export function parseInput<T>(schema: ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value, { error: requiredMessage });
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues.map((issue) => ({
    field: [field, ...issue.path.map(String)].filter((part) => part !== '').join('.') || 'input',
    problem: issue.message,
  }));
  throw new ValidationError(first === undefined ? [{ field, problem: 'is invalid' }] : [first, ...rest]);
}

/**
 * Parses an item read from the table.
 * @throws CorruptItemError naming the item's key and what is wrong
 */
export function parseItem<T>(schema: ZodType<T>, item: Record<string, unknown>, key: string): T {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
  );
  throw new CorruptItemError(key, problems.join('; '));
}

/**
 * Copies a value into plain JSON (what an audit event may hold), dropping undefined properties.
 * @throws ValidationError naming the path of a value JSON cannot represent (NaN, functions, Dates, ...)
 */
export function toJsonObject(value: Readonly<Record<string, unknown>>, field: string): JsonObject {
  const result: JsonObject = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) result[key] = toJsonValue(entry, `${field}.${key}`);
  }
  return result;
}

function toJsonValue(value: unknown, field: string): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new ValidationError([{ field, problem: `expected a finite number, got ${value}` }]);
  }
  if (Array.isArray(value)) return value.map((entry, i) => toJsonValue(entry ?? null, `${field}[${i}]`));
  if (isPlainObject(value)) return toJsonObject(value, field);
  throw new ValidationError([{ field, problem: `expected JSON data, got ${describe(value)}` }]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  return typeof value === 'object' ? (value?.constructor.name ?? 'object') : typeof value;
}
