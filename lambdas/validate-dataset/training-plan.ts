/**
 * Turns a model's settings and its accepted dataset into the run's plan: the training job's per-model
 * parameters (the security settings stay fixed in the state machine) and how the result will be judged.
 */
import type { DatasetContract } from '../shared/dataset-contract';
import { DEFAULT_OBJECTIVE, findXgboostMetric, type ProblemType } from '../shared/metrics';
import type { RuntimeModelSettings } from '../shared/model-settings';
import type { EvaluationPlan, RunContext, TrainingPlan } from '../shared/pipeline';
import { contractMissing } from '../shared/runtime/errors';
import { RunArtifacts, runArtifactKey, s3Uri, splitFolder } from '../shared/s3-layout';

/** SageMaker's TrainingJobName pattern and length. */
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export interface TrainingPlanInput {
  readonly run: RunContext;
  readonly settings: RuntimeModelSettings;
  readonly contract: DatasetContract;
  /** Classes seen in the data (classification), in encoding order. */
  readonly classes?: readonly string[] | undefined;
  readonly artifactsBucket: string;
  readonly kmsKeyArn: string;
}

export function buildTrainingPlan(input: TrainingPlanInput): TrainingPlan {
  const { run, settings, artifactsBucket } = input;
  const { training } = settings;
  if (!JOB_NAME.test(run.runId)) {
    throw new Error(`Run id ${JSON.stringify(run.runId)} is not a valid SageMaker training job name`);
  }
  const uri = (artifact: string) => s3Uri(artifactsBucket, runArtifactKey(run.runId, artifact));
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
    trainUri: uri(splitFolder('train')),
    validationUri: uri(splitFolder('validation')),
    outputUri: uri(RunArtifacts.output),
    checkpointUri: uri(RunArtifacts.checkpoints),
  };
}

/**
 * Instance types whose storage is local NVMe (encrypted by a hardware module on the instance): SageMaker
 * refuses a VolumeKmsKeyId for them (API Reference, ResourceConfig.VolumeKmsKeyId: "Certain Nitro-based
 * instances include local storage ... You can't request a VolumeKmsKeyId when using an instance type with
 * local storage"; VolumeSizeInGB: "ML instance families with the NVMe-type instance storage include ml.p4d,
 * ml.g4dn, and ml.g5"). Decided by family, so that newer generations are covered without a list:
 * - a `d` in the family's suffix (m5d, c6id, r7gd, g4dn, g4ad, p3dn, p4d, p4de);
 * - GPU families from p4 and g5 on (p5, p5e, p5en, p6-b200, p6e-gb200, g6, g6e, ...), except the Graviton
 *   g5g (a `g` in the suffix), which is EBS only;
 * - Trainium (trn1, trn1n, trn2, ...).
 * Inferentia (inf1, inf2) is EBS only. Checked against EC2's instance store list of the accelerated computing
 * families (https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html#ac_instance-store): g5g and inf2
 * are not in it, g4dn, g5, g6, g6e, p4d, p5, p5en, p6, trn1 and trn2 are.
 */
export function hasInstanceStorage(instanceType: string): boolean {
  const family = instanceType.replace(/^ml\./, '').split('.')[0] ?? '';
  const parts = /^([a-z]+)(\d+)([a-z]*)(?:-[a-z0-9]+)?$/.exec(family);
  if (parts === null) return false;
  const [, series = '', digits = '', suffix = ''] = parts;
  const generation = Number(digits);
  if (suffix.includes('d')) return true;
  switch (series) {
    case 'p':
      return generation >= 4;
    case 'g':
      return generation >= 5 && !suffix.includes('g');
    case 'trn':
      return true;
    default:
      return false;
  }
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
