/**
 * The stack's own EventBridge events (source {@link EVENT_SOURCE}): what the pipeline announces and what
 * operators send it. The Lambdas, the rules (lib/) and the CLI read the names and shapes here.
 */
import { createHash } from 'node:crypto';
import { MODEL_NAME_PATTERN } from './registry/schemas';
import type { ModelVersionStatus } from './registry/types';
import * as z from './zod';

/** `Source` of every event the stack publishes or accepts from its operators. */
export const EVENT_SOURCE = 'serverless-mlops';

/** `DetailType` of the event RegisterModel publishes for every registered version. */
export const MODEL_REGISTERED = 'ModelRegistered';

/** `DetailType` of the event `mlops runs retry` sends; the RetryRequested rule starts a run for it. */
export const RUN_RETRY_REQUESTED = 'Run Retry Requested';

/** `DetailType` of the event `mlops approve` sends once a version is Approved in the registry. */
export const MODEL_APPROVED = 'ModelApproved';

/** `DetailType` of the event `mlops reject` sends once a version is Rejected in the registry. */
export const MODEL_REJECTED = 'ModelRejected';

/**
 * The `detail` of a {@link MODEL_APPROVED} or {@link MODEL_REJECTED} event. It announces a decision the
 * registry has already recorded (with its StatusChanged audit event). Anyone allowed to PutEvents on the bus
 * can send one, so a consumer acts on the version's status as the registry holds it, not on this detail.
 */
export const modelDecisionDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  version: z.int().check(z.gte(1)),
  status: z.enum(['Approved', 'Rejected']),
  /** The operator's reason, when one was given (`--reason`). */
  reason: z.exactOptional(z.string().check(z.minLength(1), z.maxLength(2_000))),
  /** Who decided, e.g. `<os user>@<host>`; also the actor of the StatusChanged audit event. */
  actor: z.string().check(z.minLength(1), z.maxLength(256)),
});
export type ModelDecisionDetail = z.output<typeof modelDecisionDetailSchema>;
/** The `detail` of a {@link MODEL_APPROVED} event. */
export type ModelApprovedDetail = ModelDecisionDetail & { readonly status: 'Approved' };
/** The `detail` of a {@link MODEL_REJECTED} event. */
export type ModelRejectedDetail = ModelDecisionDetail & { readonly status: 'Rejected' };

/** The `detail` of a {@link MODEL_REGISTERED} event. */
export interface ModelRegisteredDetail {
  readonly model: string;
  readonly version: number;
  readonly status: ModelVersionStatus;
  readonly metric: string;
  readonly value: number;
  readonly runId: string;
}

/** S3's EventBridge `detail-type` for uploads. */
export const OBJECT_CREATED = 'Object Created';

/**
 * The fields of an S3 `Object Created` event detail StartRun reads (S3 User Guide, "EventBridge event message
 * structure": `bucket.name`, `object.key`, `object.size`, `object.version-id`; no version id on an
 * unversioned bucket).
 */
export const objectCreatedDetailSchema = z.object({
  bucket: z.object({ name: z.string().check(z.minLength(1)) }),
  object: z.object({
    key: z.string().check(z.minLength(1)),
    size: z.exactOptional(z.number()),
    'version-id': z.exactOptional(z.nullable(z.string())),
  }),
});
export type ObjectCreatedDetail = z.output<typeof objectCreatedDetailSchema>;

/** The `detail` of a {@link RUN_RETRY_REQUESTED} event, as the CLI sends it. */
export const runRetryRequestedDetailSchema = z.object({
  /** The run to run again (it must have ended). */
  retryOf: z.string().check(z.minLength(1)),
  /** Unique per request (a UUID): names the new run, so a redelivered request lands on the same run. */
  requestId: z.string().check(z.minLength(1), z.maxLength(128)),
  /** Who asked, e.g. `<os user>@<host>`; recorded as the actor of the RunRetried audit event. */
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  reason: z.exactOptional(z.string().check(z.minLength(1), z.maxLength(2_000))),
});
export type RunRetryRequestedDetail = z.output<typeof runRetryRequestedDetailSchema>;

/** Hex characters of the hash in a run id; 64 bits keep collisions out of reach. */
export const RUN_ID_HASH_CHARS = 16;

/**
 * The run id of a retry: `<model>-<16 hex chars of sha256("retry:<originalRunId>#<requestId>")>`.
 * Deterministic, so every delivery of the same request names the same run; a new request is a new run.
 * At most 49 characters, valid as a SageMaker training job name (as {@link runIdFor} in ./runs.ts).
 *
 * @param original - the run retried (its id and model)
 * @param requestId - the request's {@link RunRetryRequestedDetail.requestId}
 */
export function retryRunId(
  original: { readonly runId: string; readonly model: string },
  requestId: string,
): string {
  const digest = createHash('sha256').update(`retry:${original.runId}#${requestId}`).digest('hex');
  return `${original.model}-${digest.slice(0, RUN_ID_HASH_CHARS)}`;
}

/**
 * `DetailType` of the event `mlops deploy` and `mlops rollback` send; the DeploymentRequested rule hands it to
 * the deployment workflow's start function. Models in manual mode deploy only on this event.
 */
export const DEPLOYMENT_REQUESTED = 'Deployment Requested';

/** `DetailType` of the event the deployment workflow publishes once a version serves as `production`. */
export const MODEL_DEPLOYED = 'ModelDeployed';

/** `DetailType` of the event the deployment workflow publishes when a deployment ends without promotion. */
export const DEPLOYMENT_FAILED = 'DeploymentFailed';

/** What a deployment does: put a new version on the endpoint, or put back one that served before. */
export const DEPLOYMENT_REQUEST_KINDS = ['deploy', 'rollback'] as const;

/** The `detail` of a {@link MODEL_DEPLOYED} event. */
export interface ModelDeployedDetail {
  readonly deploymentId: string;
  readonly model: string;
  readonly version: number;
  readonly kind: (typeof DEPLOYMENT_REQUEST_KINDS)[number];
  readonly endpointName: string;
  readonly endpointConfigName: string;
  /** The version that served before and is now Retired; null for a first deployment. */
  readonly previousVersion: number | null;
  readonly smokeTestLatencyMs: number;
}

/** The `detail` of a {@link DEPLOYMENT_FAILED} event. */
export interface DeploymentFailedDetail {
  readonly deploymentId: string;
  readonly model: string;
  readonly version: number;
  readonly kind: (typeof DEPLOYMENT_REQUEST_KINDS)[number];
  readonly outcome: 'Failed' | 'RolledBack';
  readonly reasons: readonly string[];
  /** false when there was no deployment record to close (it failed before one was written). */
  readonly recorded: boolean;
}

/** The `detail` of a {@link DEPLOYMENT_REQUESTED} event, as the CLI sends it. */
export const deploymentRequestedDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  version: z.int().check(z.gte(1)),
  kind: z.enum(DEPLOYMENT_REQUEST_KINDS),
  /**
   * Unique per request (a UUID): names the deployment, so a redelivered request lands on the same one and a
   * new request for the same version is a new deployment. Letters, digits, "-", "_", ":" and "." only, because
   * it may become part of an execution name.
   */
  requestId: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/)),
  /** Who asked, e.g. `<os user>@<host>`; the actor of the deployment's audit events. */
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  reason: z.exactOptional(z.string().check(z.minLength(1), z.maxLength(2_000))),
});
export type DeploymentRequestedDetail = z.output<typeof deploymentRequestedDetailSchema>;

/**
 * The deployment id of a request, also its Step Functions execution name:
 * `<model>-v<version>-<16 hex chars of sha256("deploy:<model>#<version>#<kind>#<requestId>")>`.
 * Deterministic, so every delivery of one request starts at most one execution (StartExecution refuses a
 * running or recent name with ExecutionAlreadyExists). At most 61 characters of `[a-z0-9-]`: within the
 * 80-character execution-name limit and the registry's id pattern.
 *
 * @param detail - the request (an approval event's start function builds one with a fixed `requestId`)
 */
export function deploymentIdFor(
  detail: Pick<DeploymentRequestedDetail, 'model' | 'version' | 'kind' | 'requestId'>,
): string {
  const digest = createHash('sha256')
    .update(`deploy:${detail.model}#${detail.version}#${detail.kind}#${detail.requestId}`)
    .digest('hex');
  return `${detail.model}-v${detail.version}-${digest.slice(0, RUN_ID_HASH_CHARS)}`;
}

/**
 * `DetailType` of the event the drift check publishes when a window's verdict is Drift (at least once per
 * window: a redelivered check publishes it again, so consumers de-duplicate on `windowId`).
 */
export const DRIFT_DETECTED = 'DriftDetected';

/** The `detail` of a {@link DRIFT_DETECTED} event. */
export const driftDetectedDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  /** The version serving when the window was checked. */
  version: z.int().check(z.gte(1)),
  /** The drift window (registry monitoring windows, kind `drift`): `(from, until]`. */
  windowId: z.string().check(z.minLength(1)),
  from: z.string(),
  until: z.string(),
  /** Drifted features / tested features. */
  driftShare: z.number().check(z.gte(0), z.lte(1)),
  /** Drifted features, most drifted first. */
  driftedFeatures: z.array(z.string()),
  /** Whether the predictions drifted too (or only). */
  predictionDrift: z.boolean(),
  /** Rows in the window. */
  rows: z.int().check(z.gte(0)),
  reasons: z.array(z.string()),
  /** The artifacts bucket keys of the window's report.json and report.html. */
  reportKey: z.string(),
  htmlReportKey: z.string(),
});
export type DriftDetectedDetail = z.output<typeof driftDetectedDetailSchema>;

/**
 * `DetailType` of the event the quality check publishes when a window's objective metric is worse than the
 * serving version's registered validation value by more than the model's `monitoring.qualityTolerance`.
 */
export const MODEL_QUALITY_DEGRADED = 'ModelQualityDegraded';

/** The `detail` of a {@link MODEL_QUALITY_DEGRADED} event. */
export const modelQualityDegradedDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  version: z.int().check(z.gte(1)),
  /** The quality window (registry monitoring windows, kind `quality`). */
  windowId: z.string().check(z.minLength(1)),
  /** The objective, e.g. `validation:auc`. */
  metric: z.string().check(z.minLength(1)),
  value: z.number(),
  /** The version's registered validation value. */
  baseline: z.number(),
  /** The worst value still within the tolerance. */
  limit: z.number(),
  /** Labeled rows the value rests on. */
  rows: z.int().check(z.gte(0)),
  reasons: z.array(z.string()),
});
export type ModelQualityDegradedDetail = z.output<typeof modelQualityDegradedDetailSchema>;

/** `DetailType` of the event the retrainer publishes when it writes a retrain dataset (the run follows). */
export const RETRAIN_STARTED = 'RetrainStarted';

/**
 * `DetailType` of the notice the retrainer publishes when drift or quality loss holds but there are no new
 * labeled rows to retrain on ("drift holds; no labeled data to retrain on"): people must label traffic.
 */
export const RETRAIN_NEEDS_LABELS = 'RetrainNeedsLabels';

/** The `detail` of a {@link RETRAIN_STARTED} or {@link RETRAIN_NEEDS_LABELS} event. */
export const retrainDetailSchema = z.object({
  model: z.string().check(z.regex(MODEL_NAME_PATTERN)),
  /** The serving version the retrain would replace. */
  version: z.exactOptional(z.int().check(z.gte(1))),
  trigger: z.enum(['drift', 'quality']),
  windowId: z.string().check(z.minLength(1)),
  message: z.string(),
  reasons: z.array(z.string()),
  /** RetrainStarted: the data bucket key of the retrain dataset. */
  datasetKey: z.exactOptional(z.string()),
  /** RetrainStarted: the new labeled rows it adds to the last training dataset. */
  labeledRows: z.exactOptional(z.int().check(z.gte(0))),
});
export type RetrainDetail = z.output<typeof retrainDetailSchema>;
