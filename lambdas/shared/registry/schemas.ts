import * as z from '../zod';
import { CorruptItemError, ValidationError } from './errors';
import { INITIAL_STATUSES } from './lifecycle';
import {
  ALIAS_NAMES,
  type Alias,
  type AuditEvent,
  DEPLOYMENT_KINDS,
  DEPLOYMENT_STATUSES,
  type Deployment,
  type DeploymentLease,
  type DeploymentStage,
  type EndpointWaiter,
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
/** {@link MODEL_NAME_PATTERN} in words, for error messages. */
export const MODEL_NAME_RULE =
  '1-32 lowercase letters, digits or hyphens, starting and ending with a letter or digit';
/** '#' is the key separator, so ids must not contain it. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Version numbers are stored zero-padded to 10 digits. */
export const MAX_VERSION = 9_999_999_999;

export const modelNameSchema = z
  .string()
  .check(
    z.regex(
      MODEL_NAME_PATTERN,
      'expected 1-32 of a-z, 0-9 and "-", starting and ending with a letter or digit',
    ),
  );
export const versionSchema = z
  .int('expected a positive integer')
  .check(z.gte(1, 'expected a positive integer'), z.lte(MAX_VERSION, `expected at most ${MAX_VERSION}`));
export const idSchema = z
  .string()
  .check(
    z.regex(
      ID_PATTERN,
      'expected 1-128 of A-Z, a-z, 0-9, ".", "_", ":", "-", starting with a letter or digit',
    ),
  );
export const aliasNameSchema = z.enum(ALIAS_NAMES, `expected one of ${ALIAS_NAMES.join(', ')}`);
export const versionStatusSchema = z.enum(
  MODEL_VERSION_STATUSES,
  `expected one of ${MODEL_VERSION_STATUSES.join(', ')}`,
);
export const runStatusSchema = z.enum(RUN_STATUSES, `expected one of ${RUN_STATUSES.join(', ')}`);
export const eventTypeSchema = z
  .string()
  .check(z.regex(/^[A-Z][A-Za-z0-9]{1,63}$/, 'expected a PascalCase name of 2-64 letters and digits'));

const text = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `expected at most ${max} characters`));
export const actorSchema = text(256);
export const reasonSchema = text(2_000);
const timestamp = z.pipe(
  z.union([z.date(), z.iso.datetime({ offset: true })], 'expected an ISO-8601 date-time or a Date'),
  z.transform((value: Date | string) => new Date(value).toISOString()),
);

// Caller input: an optional field given as undefined means the same as one left out (z.optional accepts
// both); the client drops undefined fields before it stores or returns anything.
export const pageRequestSchema = z.strictObject({
  limit: z.optional(
    z.int('expected an integer').check(z.gte(1, 'expected 1..1000'), z.lte(1000, 'expected 1..1000')),
  ),
  nextToken: z.optional(z.string()),
});

export const sha256Schema = z
  .string()
  .check(z.regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters'));

const datasetObjectShape = {
  bucket: text(63),
  key: text(1024),
  versionId: text(1024),
  sha256: sha256Schema,
  rowCount: z.int('expected a non-negative integer').check(z.gte(0, 'expected a non-negative integer')),
};
const lineageShape = {
  trainingJobName: text(63),
  image: text(2048),
  hyperparameters: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  artifactUri: z.string().check(z.regex(/^s3:\/\/[^/]+\/.+/, 'expected an s3://bucket/key URI')),
  executionArn: text(2048),
  runId: idSchema,
};

export const registerVersionInputSchema = z.strictObject({
  lineage: z.strictObject({ ...lineageShape, dataset: z.strictObject(datasetObjectShape) }),
  status: z.optional(z.enum(INITIAL_STATUSES, `expected one of ${INITIAL_STATUSES.join(', ')}`)),
  reason: z.optional(reasonSchema),
  actor: z.optional(actorSchema),
});

export const changeStatusOptionsSchema = z.strictObject({ reason: reasonSchema, actor: actorSchema });

export const setAliasOptionsSchema = z.strictObject({
  expectedVersion: z.nullable(versionSchema),
  reason: z.optional(reasonSchema),
  actor: z.optional(actorSchema),
});

const datasetPointerShape = { bucket: text(63), key: text(1024), versionId: z.optional(text(1024)) };
const runFieldsShape = {
  executionArn: z.optional(text(2048)),
  step: z.optional(text(256)),
  error: z.optional(text(2_000)),
  cause: z.optional(text(32_000)),
  version: z.optional(versionSchema),
  duplicateOf: z.optional(idSchema),
};

export const createRunInputSchema = z.strictObject({
  ...runFieldsShape,
  retryOf: z.optional(idSchema),
  forced: z.optional(z.boolean()),
  reasons: z.optional(z.array(reasonSchema).check(z.maxLength(50, 'expected at most 50 reasons'))),
  runId: idSchema,
  model: modelNameSchema,
  status: z.optional(runStatusSchema),
  dataset: z.strictObject(datasetPointerShape),
  startedAt: z.optional(timestamp),
  endedAt: z.optional(timestamp),
  actor: z.optional(actorSchema),
});

export const runPatchSchema = z
  .strictObject({ ...runFieldsShape, status: z.optional(runStatusSchema), endedAt: z.optional(timestamp) })
  .check(
    z.refine(
      (patch) => Object.values(patch).some((value) => value !== undefined),
      'expected at least one field',
    ),
  );

export const updateRunOptionsSchema = z.strictObject({
  expectedStatus: z.optional(runStatusSchema),
  actor: z.optional(actorSchema),
  eventType: z.optional(eventTypeSchema),
  reasons: z.optional(z.array(reasonSchema).check(z.maxLength(50, 'expected at most 50 reasons'))),
});

export const appendEventInputSchema = z.strictObject({
  model: modelNameSchema,
  type: eventTypeSchema,
  at: z.optional(timestamp),
  actor: actorSchema,
  reasons: z.optional(z.array(reasonSchema).check(z.maxLength(50, 'expected at most 50 reasons'))),
  details: z.record(z.string(), z.unknown()),
  runId: z.optional(idSchema),
  version: z.optional(versionSchema),
  id: z.optional(idSchema),
});

// Stored items are read leniently (unknown attributes such as the keys are dropped) so that a newer writer
// adding a field does not break older readers. An item never holds an undefined attribute: an optional field
// is absent or set (exactOptional), as the types say.
const storedLineage = z.object({ ...lineageShape, dataset: z.object(datasetObjectShape) });

export const storedVersionSchema: z.ZodMiniType<ModelVersion> = z.object({
  model: z.string(),
  version: z.int(),
  status: versionStatusSchema,
  statusReason: z.exactOptional(z.string()),
  statusChangedAt: z.string(),
  deployment: z.exactOptional(
    z.object({
      deploymentId: z.string(),
      endpointName: z.string(),
      endpointConfigName: z.string(),
      deployedAt: z.string(),
    }),
  ),
  statusChangedBy: z.string(),
  createdAt: z.string(),
  lineage: storedLineage satisfies z.ZodMiniType<Lineage>,
});

export const storedModelSchema: z.ZodMiniType<ModelSummary> = z.object({
  model: z.string(),
  latestVersion: z.int().check(z.gte(0)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const storedAliasSchema: z.ZodMiniType<Alias> = z.object({
  model: z.string(),
  alias: aliasNameSchema,
  version: z.int(),
  revision: z.int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  reason: z.exactOptional(z.string()),
});

export const storedRunSchema: z.ZodMiniType<Run> = z.object({
  runId: z.string(),
  model: z.string(),
  status: runStatusSchema,
  dataset: z.object({ bucket: z.string(), key: z.string(), versionId: z.exactOptional(z.string()) }),
  executionArn: z.exactOptional(z.string()),
  startedAt: z.string(),
  endedAt: z.exactOptional(z.string()),
  step: z.exactOptional(z.string()),
  error: z.exactOptional(z.string()),
  cause: z.exactOptional(z.string()),
  version: z.exactOptional(z.int()),
  duplicateOf: z.exactOptional(z.string()),
  retryOf: z.exactOptional(z.string()),
  forced: z.exactOptional(z.boolean()),
});

export const storedEventSchema: z.ZodMiniType<AuditEvent> = z.object({
  id: z.string(),
  model: z.string(),
  type: z.string(),
  at: z.string(),
  actor: z.string(),
  reasons: z.array(z.string()),
  details: z.pipe(
    z.record(z.string(), z.unknown()),
    z.transform((details: Record<string, unknown>) => toJsonObject(details, 'details')),
  ),
  runId: z.exactOptional(z.string()),
  version: z.exactOptional(z.int()),
});

// Deployments

/**
 * SageMaker's pattern and length for endpoint and endpoint config names: at most 63 characters,
 * `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EndpointInfo.html).
 */
export const sageMakerNameSchema = z
  .string()
  .check(
    z.regex(
      /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
      'expected a SageMaker name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
    ),
  );
/** Stage names key a map in the item, so they keep to a plain alphabet. */
export const stageNameSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z][A-Za-z0-9:_-]{0,63}$/,
      'expected 1-64 of A-Z, a-z, 0-9, ":", "_", "-", starting with a letter',
    ),
  );
const reasonsSchema = z.array(reasonSchema).check(z.maxLength(50, 'expected at most 50 reasons'));
const detailsSchema = z.record(z.string(), z.unknown());
/**
 * Step Functions task tokens: the published API models cap SendTaskSuccess's taskToken at 1,024 characters
 * (https://pub.dev/documentation/aws_sfn_api/latest/states-2016-11-23/SFN/sendTaskSuccess.html); 8 KiB here
 * so that a longer token is never refused by the registry.
 */
export const taskTokenSchema = text(8_192);

export const createDeploymentInputSchema = z.strictObject({
  deploymentId: idSchema,
  model: modelNameSchema,
  version: versionSchema,
  attempt: z.optional(
    z
      .int('expected a positive integer')
      .check(z.gte(1, 'expected 1..9999'), z.lte(9_999, 'expected 1..9999')),
  ),
  kind: z.optional(z.enum(DEPLOYMENT_KINDS, `expected one of ${DEPLOYMENT_KINDS.join(', ')}`)),
  executionArn: z.optional(text(2048)),
  actor: z.optional(actorSchema),
  reason: z.optional(reasonSchema),
});

export const deploymentProgressSchema = z
  .strictObject({
    stage: z.optional(
      z.strictObject({
        name: stageNameSchema,
        at: z.optional(timestamp),
        details: z.optional(detailsSchema),
      }),
    ),
    endpointName: z.optional(sageMakerNameSchema),
    endpointConfigName: z.optional(sageMakerNameSchema),
    executionArn: z.optional(text(2048)),
  })
  .check(
    z.refine(
      (progress) => Object.values(progress).some((value) => value !== undefined),
      'expected at least one field',
    ),
  );

export const beginDeploymentOptionsSchema = z.strictObject({ actor: z.optional(actorSchema) });

export const promoteDeploymentInputSchema = z.strictObject({
  endpointName: sageMakerNameSchema,
  endpointConfigName: sageMakerNameSchema,
  reason: z.optional(reasonSchema),
  actor: z.optional(actorSchema),
  details: z.optional(detailsSchema),
});

export const recordDeploymentFailureInputSchema = z.strictObject({
  outcome: z.enum(['Failed', 'RolledBack'], 'expected Failed or RolledBack'),
  reasons: reasonsSchema.check(z.minLength(1, 'expected at least one reason')),
  actor: z.optional(actorSchema),
  details: z.optional(detailsSchema),
});

/** A lease lasts 1 s to a day; the workflow renews it while it waits on the endpoint. */
export const takeLeaseOptionsSchema = z.strictObject({
  ttlSeconds: z
    .int('expected an integer number of seconds')
    .check(z.gte(1, 'expected 1..86400 seconds'), z.lte(86_400, 'expected 1..86400 seconds')),
});

export const waiterTtlSchema = z
  .int('expected an integer number of seconds')
  .check(z.gte(60, 'expected 60..604800 seconds'), z.lte(604_800, 'expected 60..604800 seconds'));

export const deploymentStatusSchema = z.enum(
  DEPLOYMENT_STATUSES,
  `expected one of ${DEPLOYMENT_STATUSES.join(', ')}`,
);

/** Stages are stored as a map by name (a redelivered stage is a no-op) and read back in time order. */
const storedStagesSchema = z.pipe(
  z.record(z.string(), z.object({ at: z.string(), details: detailsSchema })),
  z.transform((stages: Record<string, { at: string; details: Record<string, unknown> }>) =>
    Object.entries(stages)
      .map(
        ([name, { at, details }]): DeploymentStage => ({
          name,
          at,
          details: toJsonObject(details, `stages.${name}.details`),
        }),
      )
      .sort((a, b) => (a.at === b.at ? a.name.localeCompare(b.name) : a.at.localeCompare(b.at))),
  ),
);

export const storedDeploymentSchema: z.ZodMiniType<Deployment> = z.object({
  deploymentId: z.string(),
  model: z.string(),
  version: z.int(),
  attempt: z.int(),
  kind: z.enum(DEPLOYMENT_KINDS),
  status: deploymentStatusSchema,
  stages: storedStagesSchema,
  reasons: z.array(z.string()),
  endpointName: z.exactOptional(z.string()),
  endpointConfigName: z.exactOptional(z.string()),
  executionArn: z.exactOptional(z.string()),
  baseline: z.exactOptional(z.object({ version: z.nullable(z.int()), revision: z.nullable(z.int()) })),
  startedBy: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.exactOptional(z.string()),
});

/** The lease's own expiry is `leaseExpiresAt` (epoch ms); `expiresAt` is the table's TTL (epoch s). */
export const storedLeaseSchema: z.ZodMiniType<DeploymentLease> = z.pipe(
  z.object({ model: z.string(), holder: z.string(), acquiredAt: z.string(), leaseExpiresAt: z.number() }),
  z.transform(({ model, holder, acquiredAt, leaseExpiresAt }) => ({
    model,
    holder,
    acquiredAt,
    expiresAt: new Date(leaseExpiresAt).toISOString(),
  })),
);

export const storedWaiterSchema: z.ZodMiniType<EndpointWaiter> = z.object({
  endpointName: z.string(),
  taskToken: z.string(),
  deploymentId: z.string(),
  createdAt: z.string(),
});

/** Missing fields say so plainly instead of zod's "expected string, received undefined". */
const requiredMessage = (issue: { code?: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

/**
 * Parses caller input.
 * @throws ValidationError naming every offending field, e.g. `lineage.dataset.sha256: expected 64 ...`
 */
export function parseInput<T>(schema: z.ZodMiniType<T>, value: unknown, field: string): T {
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
export function parseItem<T>(schema: z.ZodMiniType<T>, item: Record<string, unknown>, key: string): T {
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
