/**
 * Lifecycle events as short messages for people: what happened to which model version, why, and the `mlops`
 * command to look closer. Pure functions; the handler publishes the result to the stack's topic.
 *
 * Subjects are ASCII, at most 100 characters, no line breaks: SNS rejects anything else for email
 * ("Subject ... must be ASCII text that begins with a letter, number, or punctuation mark; must not include
 * line breaks or control characters; and must be less than 100 characters long" — API_Publish).
 */
import {
  DEPLOYMENT_FAILED,
  type DeploymentFailedDetail,
  DRIFT_DETECTED,
  type DriftDetectedDetail,
  MODEL_DEPLOYED,
  MODEL_QUALITY_DEGRADED,
  MODEL_REGISTERED,
  type ModelDeployedDetail,
  type ModelQualityDegradedDetail,
  type ModelRegisteredDetail,
  RETRAIN_NEEDS_LABELS,
  RETRAIN_STARTED,
  type RetrainDetail,
} from '../shared/events';

/** The event types that become notifications, in the order the lifecycle meets them. */
export const NOTIFIED_EVENT_TYPES = [
  MODEL_REGISTERED,
  MODEL_DEPLOYED,
  DEPLOYMENT_FAILED,
  DRIFT_DETECTED,
  MODEL_QUALITY_DEGRADED,
  RETRAIN_STARTED,
  RETRAIN_NEEDS_LABELS,
] as const;
export type NotifiedEventType = (typeof NOTIFIED_EVENT_TYPES)[number];

/** One notification: the email subject and the plain-text body. */
export interface Notification {
  readonly subject: string;
  readonly message: string;
}

/** SNS limits an email subject to fewer than 100 characters (API_Publish). */
export const SUBJECT_MAX_LENGTH = 99;

/** At most this many reasons are listed; the command shows the rest. */
const MAX_REASONS = 5;

/**
 * The message for one lifecycle event.
 *
 * @param detailType - the event's `detail-type` (one of {@link NOTIFIED_EVENT_TYPES})
 * @param detail - its `detail`, as the stack publishes it (shapes in lambdas/shared/events.ts)
 * @param stack - the stack's name, so a reader with several stacks knows which one speaks
 */
export function formatNotification(
  detailType: NotifiedEventType,
  detail: unknown,
  stack: string,
): Notification {
  const body = format(detailType, detail);
  return {
    subject: subject(`[${stack}] ${body.headline}`),
    message: [body.headline, '', ...body.lines, '', `Look closer: ${body.command}`].join('\n'),
  };
}

interface Body {
  readonly headline: string;
  readonly lines: readonly string[];
  readonly command: string;
}

function format(detailType: NotifiedEventType, detail: unknown): Body {
  switch (detailType) {
    case MODEL_REGISTERED:
      return registered(detail as ModelRegisteredDetail);
    case MODEL_DEPLOYED:
      return deployed(detail as ModelDeployedDetail);
    case DEPLOYMENT_FAILED:
      return deploymentFailed(detail as DeploymentFailedDetail);
    case DRIFT_DETECTED:
      return drift(detail as DriftDetectedDetail);
    case MODEL_QUALITY_DEGRADED:
      return quality(detail as ModelQualityDegradedDetail);
    case RETRAIN_STARTED:
      return retrainStarted(detail as RetrainDetail);
    case RETRAIN_NEEDS_LABELS:
      return needsLabels(detail as RetrainDetail);
  }
}

function registered(d: ModelRegisteredDetail): Body {
  const pending = d.status === 'PendingApproval';
  return {
    headline: `${d.model} v${d.version} registered (${d.status})`,
    lines: [
      `Run ${d.runId} trained ${d.model} version ${d.version}: ${d.metric} = ${number(d.value)}.`,
      pending
        ? `It waits for a decision: \`mlops approve ${d.model} ${d.version}\` or \`mlops reject ${d.model} ${d.version}\`.`
        : `Status ${d.status}.`,
    ],
    command: `mlops models show ${d.model} --version ${d.version}`,
  };
}

function deployed(d: ModelDeployedDetail): Body {
  const what = d.kind === 'rollback' ? 'rolled back to' : 'deployed';
  return {
    headline: `${d.model} v${d.version} ${what} ${d.endpointName}`,
    lines: [
      `Deployment ${d.deploymentId} promoted version ${d.version} of ${d.model}: it now serves as production on ${d.endpointName}.`,
      d.previousVersion === null
        ? 'This is the endpoint’s first version.'
        : `Version ${d.previousVersion} served before and is now Retired.`,
      `Smoke test latency: ${number(d.smokeTestLatencyMs)} ms.`,
    ],
    command: `mlops deployments show ${d.deploymentId}`,
  };
}

function deploymentFailed(d: DeploymentFailedDetail): Body {
  const rolledBack = d.outcome === 'RolledBack';
  return {
    headline: rolledBack
      ? `${d.model} v${d.version} rolled back: the previous version serves`
      : `${d.model} v${d.version} deployment failed`,
    lines: [
      rolledBack
        ? `Deployment ${d.deploymentId} (${d.kind}) was rolled back; the version that served before still serves.`
        : `Deployment ${d.deploymentId} (${d.kind}) ended without promotion.`,
      ...reasons(d.reasons),
    ],
    command: `mlops deployments show ${d.deploymentId}`,
  };
}

function drift(d: DriftDetectedDetail): Body {
  const features = d.driftedFeatures.slice(0, MAX_REASONS).join(', ');
  const more =
    d.driftedFeatures.length > MAX_REASONS ? ` and ${d.driftedFeatures.length - MAX_REASONS} more` : '';
  return {
    headline: `${d.model} v${d.version} drift detected (${percent(d.driftShare)} of features)`,
    lines: [
      `The traffic of ${d.model} (version ${d.version}) from ${d.from} to ${d.until} (${d.rows} rows) drifted from the training data.`,
      d.driftedFeatures.length > 0 ? `Drifted features: ${features}${more}.` : 'No input feature drifted.',
      d.predictionDrift ? 'The predictions drifted too.' : 'The predictions did not drift.',
      ...reasons(d.reasons),
    ],
    command: `mlops drift show ${d.model} --window ${d.windowId}`,
  };
}

function quality(d: ModelQualityDegradedDetail): Body {
  return {
    headline: `${d.model} v${d.version} quality degraded (${d.metric} ${number(d.value)})`,
    lines: [
      `On ${d.rows} labeled rows, ${d.metric} is ${number(d.value)}; version ${d.version} was registered with ${number(d.baseline)} and the tolerance allows ${number(d.limit)}.`,
      ...reasons(d.reasons),
    ],
    command: `mlops models show ${d.model} --version ${d.version}`,
  };
}

function retrainStarted(d: RetrainDetail): Body {
  return {
    headline: `${d.model} retraining started (${d.trigger})`,
    lines: [
      `${d.trigger === 'drift' ? 'Drift' : 'Quality loss'} in window ${d.windowId} started a retrain of ${d.model}${d.version === undefined ? '' : ` (serving version ${d.version})`}.`,
      ...(d.labeledRows === undefined ? [] : [`New labeled rows: ${d.labeledRows}.`]),
      ...(d.datasetKey === undefined ? [] : [`Dataset: ${d.datasetKey}.`]),
      d.message,
    ],
    command: `mlops runs list --model ${d.model}`,
  };
}

function needsLabels(d: RetrainDetail): Body {
  return {
    headline: `${d.model} needs labeled data to retrain`,
    lines: [
      `${d.trigger === 'drift' ? 'Drift' : 'Quality loss'} holds for ${d.model} (window ${d.windowId}), but there are no new labeled rows to retrain on.`,
      'Label recent traffic and upload it under ground-truth/<model>/ in the data bucket.',
      d.message,
    ],
    command:
      d.trigger === 'drift'
        ? `mlops drift show ${d.model} --window ${d.windowId}`
        : `mlops models show ${d.model}`,
  };
}

function reasons(list: readonly string[]): string[] {
  if (list.length === 0) return [];
  const shown = list.slice(0, MAX_REASONS).map((reason) => `- ${reason}`);
  const more = list.length > MAX_REASONS ? [`- … and ${list.length - MAX_REASONS} more`] : [];
  return ['Why:', ...shown, ...more];
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** ASCII only (non-ASCII replaced), one line, under {@link SUBJECT_MAX_LENGTH} characters. */
export function subject(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SNS refuses.
  const ascii = text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX_LENGTH ? ascii : `${ascii.slice(0, SUBJECT_MAX_LENGTH - 3)}...`;
}
