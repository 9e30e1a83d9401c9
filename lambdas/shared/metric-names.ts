/**
 * The stack's custom CloudWatch metrics, named in one place so the Lambdas that publish them, the dashboard
 * (lib/constructs/dashboard.ts) and the alarms agree. Free of runtime imports: CDK code imports it too.
 *
 * Every metric is in {@link METRICS_NAMESPACE} with the {@link MetricDimensions.model} dimension; a few also
 * in a second dimension set with a Step, Reason or Feature. Ids (run, version, deployment, window) are EMF
 * properties (Powertools metadata), never dimensions: each distinct dimension value is a new metric, billed
 * as one — https://aws.amazon.com/cloudwatch/pricing/ ("each unique combination of metric name and
 * dimensions"). Units are EMF's (a subset of CloudWatch's StandardUnit) —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** CloudWatch namespace of every custom metric the stack emits. */
export const METRICS_NAMESPACE = 'ServerlessMlops';

/** Dimension names. `model` keeps its historical lowercase spelling: alarms and tests already name it. */
export const MetricDimensions = {
  /** The model (its S3 prefix): every metric carries it. */
  model: 'model',
  /** The pipeline step a run failed in (`RunFailed`), e.g. `TrainModel`. */
  step: 'Step',
  /** A rejection's reason class (`DatasetRejected`): see {@link RejectionReasons}. */
  reason: 'Reason',
  /** A tested feature, or a prediction output (`FeatureDriftScore`). */
  feature: 'Feature',
} as const;

/**
 * Metric names, by what publishes them. Unit in brackets; "+Step" etc. means the metric is also published
 * with that second dimension set ([model, Step]) beside [model], so alarms can watch the model's total and
 * the dashboard can break it down.
 */
export const MetricNames = {
  // Training runs.
  /** start-run: a run was recorded for an upload (Count). */
  runStarted: 'RunStarted',
  /** start-run: S3/EventBridge delivered an upload again (Count). */
  duplicateDelivery: 'DuplicateDelivery',
  /** register-model: the run registered a version and succeeded (Count). */
  runSucceeded: 'RunSucceeded',
  /**
   * record-failure, and reconcile-execution for a run its execution left Running (timed out, aborted):
   * the run failed (Count; +Step, the step it failed in).
   */
  runFailed: 'RunFailed',
  /** record-duplicate: the dataset's bytes were trained on already (Count). */
  duplicateDataset: 'DuplicateDataset',
  /** validate-dataset: the dataset was rejected (Count; +Reason, one per reason class found). */
  datasetRejected: 'DatasetRejected',
  /** validate-dataset: data rows read (Count). */
  rowsValidated: 'RowsValidated',
  /** validate-dataset: data rows read per second of validation (Count/Second). */
  validationThroughput: 'ValidationRowsPerSecond',
  /** The training job's billable seconds (Seconds): for run-cost (O3), which describes the job. */
  trainingSeconds: 'TrainingSeconds',
  /**
   * register-model: each registered version's objective metric, Approved, PendingApproval or Rejected alike
   * (None; metadata: metric, version).
   */
  objectiveValue: 'ObjectiveValue',
  /** register-model: a version was registered (Count; metadata: version, status). */
  modelRegistered: 'ModelRegistered',
  /** run-cost (O3): what the run cost, in USD (None). */
  runCost: 'RunCost',

  // Deployments.
  /** begin-deployment: a deployment began (Count; metadata: deploymentId, version, kind). */
  deploymentStarted: 'DeploymentStarted',
  /** promote-deployment: a version went to production, counted once per deployment (Count). */
  deploymentSucceeded: 'DeploymentSucceeded',
  /**
   * promote-deployment: an operator's rollback (`mlops rollback`, a deployment of kind rollback) went to
   * production, counted once; it also counts as DeploymentSucceeded (Count).
   */
  rollbackDeployed: 'RollbackDeployed',
  /** record-deployment-failure: a deployment failed before serving (Count). */
  deploymentFailed: 'DeploymentFailed',
  /** record-deployment-failure: a deployment was rolled back (alarm, smoke test, operator) (Count). */
  deploymentRolledBack: 'DeploymentRolledBack',
  /** smoke-test: latency of the smoke test's InvokeEndpoint (Milliseconds). */
  smokeTestLatency: 'SmokeTestLatency',
  /** smoke-test: 1 when the endpoint's answer failed the checks, else 0 (Count). */
  smokeTestFailed: 'SmokeTestFailed',

  // Monitoring.
  /** check-drift: captured rows in the window (Count). */
  rowsChecked: 'RowsChecked',
  /** check-drift: share of features that drifted, 0..1 (None). */
  driftShare: 'DriftShare',
  /** check-drift: how many features drifted (Count). */
  driftedFeatures: 'DriftedFeatures',
  /** check-drift: a feature's drift score (None; [model, Feature] only). */
  featureDriftScore: 'FeatureDriftScore',
  /** check-quality: labeled rows in the window (Count). */
  qualityLabeledRows: 'QualityLabeledRows',
  /** check-quality: 1 when the window's quality is degraded, else 0 (Count). */
  qualityDegraded: 'QualityDegraded',
  /** check-quality: the objective metric on labeled traffic (None; metadata: metric, version). */
  qualityMetricValue: 'QualityMetricValue',
  /** retrain: a retraining run was started (Count). */
  retrainStarted: 'RetrainStarted',
  /** retrain: a retrain was decided against (cooldown, no labels, one running) (Count). */
  retrainSkipped: 'RetrainSkipped',
} as const;

export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/**
 * The Reason classes of `DatasetRejected`, from the validator's problem kinds: whether the file could be
 * read at all, its size, its header against the contract, its rows and cells, or its label.
 */
export const RejectionReasons = {
  structure: 'Structure',
  size: 'Size',
  header: 'Header',
  values: 'Values',
  label: 'Label',
  /** ContractMissing: no target, an invalid or conflicting schema.json. */
  contract: 'Contract',
} as const;

export type RejectionReason = (typeof RejectionReasons)[keyof typeof RejectionReasons];
