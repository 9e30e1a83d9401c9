/**
 * The payloads the training pipeline's states pass to each other. States carry ids, settings and S3
 * pointers, never data. The state machine (lib/workflows/training-pipeline.ts) places each task's result
 * at the path named here.
 */
import type { ProblemType } from './metrics';

/** The S3 object a run trains on. */
export interface DatasetPointer {
  readonly bucket: string;
  readonly key: string;
  /** The object version the event named; absent only for unversioned buckets. */
  readonly versionId?: string;
}

/**
 * StartRun input, as the state machine passes it: the triggering EventBridge event's `detail` and
 * `detail-type`, and the execution (`$$.Execution.Id`). Two events start a run: S3's `Object Created` (an
 * upload) and the stack's `Run Retry Requested` (`mlops runs retry`, see events.ts). StartRun parses
 * `detail` with a schema for the detail type; nothing is picked out of it by JSONPath, so an absent field
 * is StartRun's clear error, not a States.Runtime failure.
 */
export interface StartRunInput {
  readonly detail: unknown;
  readonly detailType: string;
  readonly executionArn: string;
}

/** StartRun result, at `$.run`. `duplicate` is true when this object version (or request) already has a run. */
export interface RunContext {
  readonly runId: string;
  readonly model: string;
  readonly dataset: DatasetPointer;
  readonly duplicate: boolean;
  /** Train even if these bytes were trained before (retries): ValidateDataset skips the duplicate check. */
  readonly forced?: boolean;
  /** The run this one retries. */
  readonly retryOf?: string;
}

/** How the run's model is trained, built by ValidateDataset from config, schema.json and the data. */
export interface TrainingPlan {
  /** Deterministic per run, at most 63 characters, SageMaker's pattern. */
  readonly jobName: string;
  readonly algorithmSpecification: {
    readonly TrainingImage: string;
    readonly TrainingInputMode: 'File';
    readonly MetricDefinitions?: readonly { readonly Name: string; readonly Regex: string }[];
  };
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly resourceConfig: {
    readonly InstanceType: string;
    readonly InstanceCount: number;
    readonly VolumeSizeInGB: number;
    /** Only for instance types whose storage is an EBS volume (NVMe instance storage is always encrypted). */
    readonly VolumeKmsKeyId?: string;
  };
  readonly stoppingCondition: {
    readonly MaxRuntimeInSeconds: number;
    readonly MaxWaitTimeInSeconds?: number;
  };
  readonly enableManagedSpotTraining: boolean;
  /** s3:// URIs under the run's prefix in the artifacts bucket. */
  readonly trainUri: string;
  readonly validationUri: string;
  readonly outputUri: string;
  readonly checkpointUri: string;
}

export interface EvaluationPlan {
  readonly problemType: ProblemType;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly threshold?: number;
  readonly minImprovement: number;
  readonly approval: 'auto' | 'manual';
}

/** What ValidateDataset learned about the bytes. */
export interface PlanLineage {
  readonly sha256: string;
  readonly rowCount: number;
  readonly sizeBytes: number;
}

/** ValidateDataset's plan for a dataset to train on. */
export interface TrainingRunPlan {
  readonly reportUri: string;
  readonly baselineUri: string;
  readonly lineage: PlanLineage;
  readonly training: TrainingPlan;
  readonly evaluation: EvaluationPlan;
  readonly duplicateOf?: undefined;
}

/**
 * ValidateDataset's plan for bytes the model already trained on (same sha256 as a run that registered a
 * version; not for forced runs): no training. The workflow's IsTrainedDataset Choice tests
 * `$.plan.duplicateOf` (IsPresent) and RecordDuplicateRun closes the run.
 */
export interface DuplicateRunPlan {
  readonly reportUri: string;
  readonly lineage: PlanLineage;
  /** The run that trained these bytes and the version it registered. */
  readonly duplicateOf: { readonly runId: string; readonly version: number };
  readonly training?: undefined;
  readonly evaluation?: undefined;
}

/** ValidateDataset result, at `$.plan`. A rejected dataset is an error (DatasetRejected), not a result. */
export type RunPlan = TrainingRunPlan | DuplicateRunPlan;

/** RecordDuplicate's input: the run and ValidateDataset's duplicate plan. */
export interface RecordDuplicateInput {
  readonly run: RunContext;
  readonly plan: DuplicateRunPlan;
}

/** RecordDuplicate's result. */
export interface RecordDuplicateResult {
  readonly runId: string;
  readonly status: 'Succeeded';
  readonly duplicateOf: string;
  readonly version: number;
}

/** The training task's ResultSelector output, at `$.training`. */
export interface TrainingResult {
  readonly jobName: string;
  readonly status: string;
  readonly artifactUri: string;
  readonly metrics: readonly { readonly MetricName: string; readonly Value: number }[];
}

/** EvaluateModel result, at `$.evaluation`. */
export interface EvaluationDecision {
  readonly status: 'Approved' | 'PendingApproval' | 'Rejected';
  readonly metric: string;
  readonly value: number;
  readonly champion?: { readonly version: number; readonly value: number };
  /** Human-readable, one sentence each: why this decision. */
  readonly reasons: readonly string[];
}

/** What a Catch leaves at `$.error` for RecordFailure. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** Error names the pipeline's Lambdas throw on purpose; Step Functions matches Catch/Retry on them. */
export const PipelineErrors = {
  /** The dataset broke its contract; the cause lists the problems. Not retried. */
  datasetRejected: 'DatasetRejected',
  /** The model has no usable contract or settings (e.g. no target column anywhere). Not retried. */
  contractMissing: 'ContractMissing',
  /** The training job reported no value for the objective metric. Not retried. */
  metricMissing: 'MetricMissing',
  /** A retry request names a run that does not exist or has not ended. Not retried. */
  retryRejected: 'RetryRejected',
} as const;

/**
 * The steps a run records in `Run.step` while Running (and keeps when it fails there). StartRun and the
 * Lambdas set theirs; the workflow records TrainModel and EvaluateModel with DynamoDB tasks.
 */
export const RunSteps = {
  validateDataset: 'ValidateDataset',
  trainModel: 'TrainModel',
  evaluateModel: 'EvaluateModel',
  registerModel: 'RegisterModel',
} as const;
