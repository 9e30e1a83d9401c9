/**
 * The template's CloudWatch alarms, run locally: created in the local CloudWatch (metric alarms, then composite
 * alarms, which name them), and the actions of each new state run as CloudWatch runs them (SNS topics only).
 */
import type { LocalSns } from './aws/sns';
import type { LocalCloudWatch } from './cloudwatch';
import type { LocalResources } from './template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from './template/template';

/** Where alarm actions go, and who hears of those that cannot run. */
export interface AlarmActionTargets {
  readonly cloudwatch: LocalCloudWatch;
  readonly sns: LocalSns;
  readonly env: { readonly account: string; readonly region: string };
  readonly onError: (message: string) => void;
}

/**
 * Creates the template's alarms in the local CloudWatch. An alarm the local CloudWatch refuses is reported to
 * `onError` and left out; the rest still run.
 */
export function createTemplateAlarms(
  template: CfnTemplate,
  resources: LocalResources,
  cloudwatch: LocalCloudWatch,
  onError: (message: string) => void,
): void {
  const resolved = (properties: unknown) =>
    resolveIntrinsics(properties ?? {}, resources.resolve) as Record<string, unknown>;
  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'] as const) {
    for (const [logicalId, resource] of resourcesOfType(template, type)) {
      try {
        // The resolved properties are the API's input: CloudFormation names them as PutMetricAlarm does.
        const input = { AlarmName: resources.physicalName(logicalId), ...resolved(resource.Properties) };
        if (type === 'AWS::CloudWatch::Alarm') cloudwatch.putMetricAlarm(input);
        else cloudwatch.putCompositeAlarm(input as typeof input & { AlarmRule: string });
      } catch (error) {
        onError(`Alarm ${logicalId} is not evaluated locally: ${String(error)}`);
      }
    }
  }
}

/**
 * An alarm's actions for its new state, as CloudWatch runs them: an SNS action publishes CloudWatch's
 * notification (subject `ALARM: "<name>" in <region>`, the JSON message with the alarm's description,
 * states and reason — https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html).
 */
export function runAlarmActions(
  { cloudwatch, sns, env, onError }: AlarmActionTargets,
  alarmName: string,
  state: string,
  previous: string,
): void {
  const info = cloudwatch.alarmInfo(alarmName);
  if (!info?.actionsEnabled) return;
  const { account, region } = env;
  for (const action of info.actions[state as keyof typeof info.actions] ?? []) {
    if (!action.startsWith('arn:aws:sns:')) {
      onError(`${alarmName}: action ${action} is not served locally (only SNS topics)`);
      continue;
    }
    try {
      sns.publish({
        TopicArn: action,
        Subject: `${state}: "${alarmName}" in ${region}`.slice(0, 99),
        Message: JSON.stringify({
          AlarmName: alarmName,
          AlarmDescription: info.description ?? null,
          AWSAccountId: account,
          NewStateValue: state,
          NewStateReason: info.reason,
          StateChangeTime: new Date().toISOString(),
          Region: region,
          AlarmArn: info.arn,
          OldStateValue: previous,
        }),
      });
    } catch (error) {
      onError(`${alarmName}: publishing to ${action} failed: ${String(error)}`);
    }
  }
}
