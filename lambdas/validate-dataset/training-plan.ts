/**
 * Turns a model's settings and its accepted dataset into the run's plan: the training job's per-model
 * parameters (the security settings stay fixed in the state machine) and how the result will be judged.
 */
import type { DatasetContract } from '../shared/dataset-contract';
import { DEFAULT_OBJECTIVE, findXgboostMetric, type ProblemType } from '../shared/metrics';
import type { RuntimeModelSettings } from '../shared/model-settings';
import type { EvaluationPlan, RunContext, TrainingPlan } from '../shared/pipeline';
import { contractMissing } from '../shared/runtime/errors';

/** SageMaker's TrainingJobName pattern and length. */
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Run artifacts live under this prefix of the artifacts bucket. */
export function runPrefix(runId: string): string {
  return `runs/${runId}/`;
}

export interface TrainingPlanInput {
  readonly run: RunContext;
  readonly settings: RuntimeModelSettings;
  readonly contract: DatasetContract;
  /** Classes seen in the data (classification), in encoding order. */
  readonly classes?: readonly string[];
  readonly artifactsBucket: string;
  readonly kmsKeyArn: string;
}

export function buildTrainingPlan(input: TrainingPlanInput): TrainingPlan {
  const { run, settings, artifactsBucket } = input;
  const { training } = settings;
  if (!JOB_NAME.test(run.runId)) {
    throw new Error(`Run id ${JSON.stringify(run.runId)} is not a valid SageMaker training job name`);
  }
  const base = `s3://${artifactsBucket}/${runPrefix(run.runId)}`;
  const spot = training.managedSpot;
  return {
    jobName: run.runId,
    algorithmSpecification: {
      TrainingImage: training.image,
      TrainingInputMode: 'File',
      ...(training.metricDefinitions.length > 0
        ? { MetricDefinitions: training.metricDefinitions.map((d) => ({ Name: d.name, Regex: d.regex })) }
        : {}),
    },
    hyperParameters: hyperParameters(settings, input.contract.problemType, input.classes?.length),
    resourceConfig: {
      InstanceType: training.instanceType,
      InstanceCount: training.instanceCount,
      VolumeSizeInGB: training.volumeSizeGb,
      ...(hasInstanceStorage(training.instanceType) ? {} : { VolumeKmsKeyId: input.kmsKeyArn }),
    },
    stoppingCondition: {
      MaxRuntimeInSeconds: training.maxRuntimeSeconds,
      ...(spot && training.maxWaitSeconds !== undefined
        ? { MaxWaitTimeInSeconds: training.maxWaitSeconds }
        : {}),
    },
    enableManagedSpotTraining: spot,
    trainUri: `${base}splits/train/`,
    validationUri: `${base}splits/validation/`,
    outputUri: `${base}output/`,
    checkpointUri: `${base}checkpoints/`,
  };
}

/**
 * Instance types whose storage is local NVMe (always encrypted by the hardware): SageMaker refuses a
 * VolumeKmsKeyId for them. Families with a `d` suffix (m5d, c6id, g4dn, p3dn) and the GPU/accelerator
 * families that only come with instance storage.
 */
export function hasInstanceStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return (
    /^[a-z]+\d+[a-z]*d[n]?$/.test(family) || /^(g5|g6|g6e|p4d|p4de|p5|p5e|trn1|trn1n|trn2|inf2)$/.test(family)
  );
}

/** The built-in XGBoost needs its objective (and num_class) from the problem type; the user's values win. */
function hyperParameters(
  settings: RuntimeModelSettings,
  problemType: ProblemType,
  classCount: number | undefined,
): Record<string, string> {
  const { training } = settings;
  if (!training.builtInAlgorithm) return { ...training.hyperparameters };
  const metric = evaluationMetric(settings, problemType);
  const derived: Record<string, string> = {
    objective: { binary: 'binary:logistic', multiclass: 'multi:softprob', regression: 'reg:squarederror' }[
      problemType
    ],
    eval_metric: metric.slice(metric.indexOf(':') + 1),
  };
  if (problemType === 'multiclass' && classCount !== undefined) derived.num_class = String(classCount);
  return { ...derived, ...training.hyperparameters };
}

function evaluationMetric(settings: RuntimeModelSettings, problemType: ProblemType): string {
  return settings.evaluation.metric ?? DEFAULT_OBJECTIVE[problemType];
}

/** How the trained model will be judged; refuses a configured metric that cannot judge this problem type. */
export function buildEvaluationPlan(
  model: string,
  settings: RuntimeModelSettings,
  problemType: ProblemType,
): EvaluationPlan {
  const metric = evaluationMetric(settings, problemType);
  let higherIsBetter = settings.evaluation.higherIsBetter;
  if (settings.training.builtInAlgorithm) {
    const known = findXgboostMetric(metric);
    if (!known?.problemTypes.includes(problemType)) {
      throw contractMissing(
        `Model "${model}" is configured with evaluation.metric "${metric}", which does not apply to its ${problemType} data (set models.${model}.evaluation.metric to a ${problemType} metric, e.g. "${DEFAULT_OBJECTIVE[problemType]}")`,
      );
    }
    higherIsBetter = known.higherIsBetter;
  }
  if (higherIsBetter === undefined) {
    throw contractMissing(
      `Model "${model}" has no direction for metric "${metric}" (set models.${model}.evaluation.higherIsBetter)`,
    );
  }
  return {
    problemType,
    metric,
    higherIsBetter,
    ...(settings.evaluation.threshold === undefined ? {} : { threshold: settings.evaluation.threshold }),
    minImprovement: settings.evaluation.minImprovement,
    approval: settings.approval,
  };
}
