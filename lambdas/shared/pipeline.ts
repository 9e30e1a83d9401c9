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

/** StartRun input (from the S3 "Object Created" EventBridge event and the execution context). */
export interface StartRunInput extends DatasetPointer {
  readonly sizeBytes?: number;
  readonly executionArn: string;
}

/** StartRun result, at `$.run`. `duplicate` is true when this object version already has a run. */
export interface RunContext {
  readonly runId: string;
  readonly model: string;
  readonly dataset: DatasetPointer;
  readonly duplicate: boolean;
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

/** ValidateDataset result, at `$.plan`. A rejected dataset is an error (DatasetRejected), not a result. */
export interface RunPlan {
  readonly reportUri: string;
  readonly baselineUri: string;
  readonly lineage: {
    readonly sha256: string;
    readonly rowCount: number;
    readonly sizeBytes: number;
  };
  readonly training: TrainingPlan;
  readonly evaluation: EvaluationPlan;
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
} as const;
