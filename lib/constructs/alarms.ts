import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, MetricDimensions, MetricNames } from '../../lambdas/shared/metric-names';
import {
  MODEL_SETTINGS_DEFAULTS_KEY,
  type RuntimeMonitoringSettingsMap,
} from '../../lambdas/shared/model-settings';

/** The runbook every alarm description points to. */
export const RUNBOOK_FILE = 'docs/operations.md';

/** The runbook section (heading anchor in {@link RUNBOOK_FILE}) of each alarm kind. */
export const RUNBOOK_ANCHORS = {
  trainingFailed: 'training-runs-failed',
  deploymentFailed: 'deployments-failed',
  deadLetters: 'dead-letters',
  lambdaErrors: 'lambda-errors',
  drift: 'model-drift',
  quality: 'model-quality',
  retrainFailed: 'retraining-failed',
  unhealthy: 'a-model-is-unhealthy',
} as const;
export type AlarmKind = keyof typeof RUNBOOK_ANCHORS;

/** Alarm descriptions hold at most 1024 characters — API_PutMetricAlarm. */
const DESCRIPTION_MAX_LENGTH = 1024;

/**
 * An alarm description: what it means, what to do, and the runbook section.
 *
 * @param kind - selects the runbook anchor
 */
export function alarmDescription(kind: AlarmKind, meaning: string, action: string): string {
  const text = `${meaning} What to do: ${action} Runbook: ${RUNBOOK_FILE}#${RUNBOOK_ANCHORS[kind]}`;
  if (text.length > DESCRIPTION_MAX_LENGTH) {
    throw new Error(`The ${kind} alarm's description is ${text.length} characters; CloudWatch allows 1024`);
  }
  return text;
}

export interface AlarmsProps {
  /** Every alarm notifies it on ALARM and on OK again. */
  readonly topic: sns.ITopic;
  readonly trainingStateMachine: sfn.IStateMachine;
  readonly deploymentStateMachine: sfn.IStateMachine;
  /** The stack's dead-letter queues, by a readable name (it ends the alarm's name). */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** The stack's functions, by a readable name (it ends the alarm's name). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The retrainer (lambdas/retrain): its failures have an alarm of their own. */
  readonly retrainFunction: lambda.IFunction;
  /**
   * Every listed model's monitoring settings plus `defaults`: each listed model gets drift and quality alarms
   * at its own drift share; every other model (first seen in an upload, after the deploy too) is watched by
   * one Metrics Insights alarm of each kind at the `defaults` drift share.
   */
  readonly monitoringSettings: RuntimeMonitoringSettingsMap;
}

/** Five minutes: the shortest period the AWS/States, AWS/Lambda and AWS/SQS metrics are summed over here. */
const SERVICE_PERIOD = Duration.minutes(5);
/** "The rule expression of a composite alarm can include as many as 100 underlying alarms" — API_PutCompositeAlarm. */
export const MAX_COMPOSITE_CHILDREN = 100;
/** Drift and quality checks run on schedules of an hour or more; one period holds one check's datapoint. */
const CHECK_PERIOD = Duration.hours(1);

/**
 * The stack's CloudWatch alarms, each notifying the topic on ALARM and on OK, each description saying what it
 * means and what to do with a link to its runbook section; and one composite alarm, "a model is unhealthy",
 * to page on. The endpoints' alarms are made by each deployment (lambdas/shared/endpoints/alarms.ts).
 *
 * Metrics: AWS/States ExecutionsFailed and ExecutionsTimedOut per StateMachineArn
 * (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html), AWS/Lambda Errors per
 * FunctionName (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), AWS/SQS
 * ApproximateNumberOfMessagesVisible per QueueName
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
 * and the stack's own DriftShare and QualityDegraded (lambdas/shared/metric-names.ts). Composite alarm rules:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
 */
export class Alarms extends Construct {
  /** Every metric alarm, by name. */
  public readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** "A model is unhealthy": any training, deployment, drift, quality or retraining alarm. */
  public readonly unhealthy: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    const action = new actions.SnsAction(props.topic);
    const alarms = new Map<string, cloudwatch.Alarm>();
    const add = (constructId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, constructId, alarmProps);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.set(alarmProps.alarmName ?? constructId, alarm);
      return alarm;
    };

    const executionsEnded = (machine: sfn.IStateMachine) =>
      new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: machine.metricFailed({ period: SERVICE_PERIOD, statistic: 'Sum' }),
          timedOut: machine.metricTimedOut({ period: SERVICE_PERIOD, statistic: 'Sum' }),
        },
        label: 'Executions failed or timed out',
        period: SERVICE_PERIOD,
      });
    const anyInPeriod = {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No executions, no invocations, no messages: nothing failed.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;

    const modelAlarms: cloudwatch.IAlarm[] = [];
    modelAlarms.push(
      add('TrainingFailed', {
        alarmName: `${prefix}-training-executions-failed`,
        alarmDescription: alarmDescription(
          'trainingFailed',
          'A training pipeline execution failed or timed out in the last 5 minutes: a run ended Failed (rejected dataset, training job or evaluation error) or never recorded its end.',
          '`mlops runs list --status Failed` and `mlops runs show <runId>` for the step, error and cause; fix the data or the settings and `mlops runs retry <runId>`.',
        ),
        metric: executionsEnded(props.trainingStateMachine),
        ...anyInPeriod,
      }),
      add('DeploymentFailed', {
        alarmName: `${prefix}-deployment-executions-failed`,
        alarmDescription: alarmDescription(
          'deploymentFailed',
          'A deployment workflow execution failed or timed out in the last 5 minutes: a version was not promoted (failed or rolled back); the version that served before still serves.',
          '`mlops deployments list <model>` and `mlops deployments show <deploymentId>` for the reasons and alarms; fix, then `mlops deploy <model> <version>` again.',
        ),
        metric: executionsEnded(props.deploymentStateMachine),
        ...anyInPeriod,
      }),
    );

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(`DeadLetters-${name}`, {
        alarmName: `${prefix}-dead-letters-${name}`,
        alarmDescription: alarmDescription(
          'deadLetters',
          `The dead-letter queue ${name} holds messages: an event EventBridge could not deliver, or an asynchronous invocation that failed all its retries. The work it stood for did not happen.`,
          'Read the messages (the SQS console, or .mlops-local/sqs/*.jsonl locally) for the event and the error, fix the cause, replay the event, then purge the queue.',
        ),
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: SERVICE_PERIOD,
          statistic: 'Maximum',
        }),
        ...anyInPeriod,
      });
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      add(`LambdaErrors-${name}`, {
        alarmName: `${prefix}-lambda-errors-${name}`,
        alarmDescription: alarmDescription(
          'lambdaErrors',
          `The function ${name} failed invocations in each of the last 3 five-minute periods (one rejected dataset fails one invocation; errors that persist are a fault).`,
          "Read the function's log group (ERROR lines, with the stack) in CloudWatch Logs Insights; a missing permission or setting names itself there. Redeploy the fix; replay what reached a dead-letter queue.",
        ),
        metric: fn.metricErrors({ period: SERVICE_PERIOD, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    modelAlarms.push(
      add('RetrainFailed', {
        alarmName: `${prefix}-retraining-failed`,
        alarmDescription: alarmDescription(
          'retrainFailed',
          'The retrainer failed in the last 5 minutes: drift or quality loss that should start a retrain did not (Lambda retries it twice, then the event goes to the monitoring dead-letter queue).',
          "Read the retrain function's log; `mlops drift show <model>` for the window it was acting on. Once fixed, replay the DriftDetected or ModelQualityDegraded event from the dead-letter queue.",
        ),
        metric: props.retrainFunction.metricErrors({ period: SERVICE_PERIOD, statistic: 'Sum' }),
        ...anyInPeriod,
      }),
    );

    const models = Object.entries(props.monitoringSettings)
      .filter(([model]) => model !== MODEL_SETTINGS_DEFAULTS_KEY)
      .sort(([a], [b]) => a.localeCompare(b));
    for (const [model, settings] of models) {
      const modelMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { [MetricDimensions.model]: model },
          statistic: 'Maximum',
          period: CHECK_PERIOD,
        });
      // Between checks there is no data: the alarm keeps its state until the next check says otherwise.
      const checked = {
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      } as const;
      modelAlarms.push(
        add(`Drift-${model}`, {
          alarmName: `${prefix}-drift-${model}`,
          alarmDescription: alarmDescription(
            'drift',
            `Model ${model}: the last drift check found at least ${percent(settings.driftShare)} of its features drifted (DriftShare >= ${settings.driftShare}): its traffic no longer looks like its training data.`,
            `\`mlops drift show ${model} --window latest\` for the features and tests, \`mlops drift report ${model} --out report.html\` for the histograms; label recent traffic so the retrainer can retrain.`,
          ),
          metric: modelMetric(MetricNames.driftShare),
          threshold: settings.driftShare,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...checked,
        }),
        add(`Quality-${model}`, {
          alarmName: `${prefix}-quality-${model}`,
          alarmDescription: alarmDescription(
            'quality',
            `Model ${model}: on labeled traffic, the serving version's objective metric is worse than its registered validation value by more than monitoring.qualityTolerance (${settings.qualityTolerance}).`,
            `\`mlops models show ${model}\` for the serving version; check the labels just uploaded, then let the retrainer retrain or \`mlops rollback ${model}\` to a better version.`,
          ),
          metric: modelMetric(MetricNames.qualityDegraded),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...checked,
        }),
      );
    }

    // Every model not listed, including those first uploaded after the deploy: a Metrics Insights query
    // over the `model` dimension, minus the listed ones (their own alarms use their own thresholds) —
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html
    const defaults = props.monitoringSettings[MODEL_SETTINGS_DEFAULTS_KEY];
    if (defaults) {
      const listed = models.map(([model]) => `'${model}'`).join(', ');
      const others = (metricName: string) =>
        new cloudwatch.MathExpression({
          expression:
            `SELECT MAX(${metricName}) FROM SCHEMA("${METRICS_NAMESPACE}", ${MetricDimensions.model})` +
            (listed === '' ? '' : ` WHERE ${MetricDimensions.model} NOT IN (${listed})`),
          usingMetrics: {},
          label: `${metricName} of the models without settings of their own`,
          period: CHECK_PERIOD,
        });
      const checked = {
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      } as const;
      modelAlarms.push(
        add('Drift-OtherModels', {
          alarmName: `${prefix}-drift-other-models`,
          alarmDescription: alarmDescription(
            'drift',
            `A model without monitoring settings of its own (the defaults apply) had at least ${percent(defaults.driftShare)} of its features drifted in its last check; the DriftDetected message names it.`,
            '`mlops models list`, then `mlops drift show <model> --window latest` for the model the DriftDetected message names; label recent traffic so the retrainer can retrain.',
          ),
          metric: others(MetricNames.driftShare),
          threshold: defaults.driftShare,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...checked,
        }),
        add('Quality-OtherModels', {
          alarmName: `${prefix}-quality-other-models`,
          alarmDescription: alarmDescription(
            'quality',
            'A model without monitoring settings of its own lost quality on labeled traffic (its last quality check judged the window Degraded); the ModelQualityDegraded message names it.',
            '`mlops models show <model>` for the model the message names; check the labels just uploaded, then let the retrainer retrain or `mlops rollback <model>`.',
          ),
          metric: others(MetricNames.qualityDegraded),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...checked,
        }),
      );
    }
    this.alarms = alarms;

    if (modelAlarms.length > MAX_COMPOSITE_CHILDREN) {
      throw new Error(
        `"A model is unhealthy" would watch ${modelAlarms.length} alarms; a composite alarm's rule can include as many as ${MAX_COMPOSITE_CHILDREN} (API_PutCompositeAlarm). Each model listed in the config adds two (drift, quality): list fewer models, and let the defaults and the other-models alarms cover the rest.`,
      );
    }
    this.unhealthy = new cloudwatch.CompositeAlarm(this, 'Unhealthy', {
      compositeAlarmName: `${prefix}-a-model-is-unhealthy`,
      alarmDescription: alarmDescription(
        'unhealthy',
        `A model of ${prefix} is unhealthy: a training or deployment execution failed, a model drifted or lost quality, or retraining failed. Page on this one; the alarm in ALARM under it says which.`,
        'Open the alarm in ALARM among its children and follow its runbook section.',
      ),
      alarmRule: cloudwatch.AlarmRule.anyOf(...modelAlarms),
    });
    this.unhealthy.addAlarmAction(action);
    this.unhealthy.addOkAction(action);
  }
}

/** A share as a percentage for people (0.3 -> "30%", not 30.000000000000004%). */
function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}
