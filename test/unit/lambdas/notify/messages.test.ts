import { describe, expect, it } from 'vitest';
import {
  formatNotification,
  NOTIFIED_EVENT_TYPES,
  SUBJECT_MAX_LENGTH,
  subject,
} from '../../../../lambdas/notify/messages';
import { DETAIL_SCHEMAS } from '../../../../lambdas/notify/notify';
import { parseInput } from '../../../../lambdas/shared/runtime/errors';

const STACK = 'ServerlessMlops';

/** A detail of each notified event type, as the stack publishes it. */
const DETAILS = {
  ModelRegistered: {
    model: 'churn',
    version: 3,
    status: 'PendingApproval',
    metric: 'validation:auc',
    value: 0.912345,
    runId: 'churn-1a2b3c4d5e6f7a8b',
  },
  ModelDeployed: {
    deploymentId: 'churn-v3-0123456789abcdef',
    model: 'churn',
    version: 3,
    kind: 'deploy',
    endpointName: 'serverlessmlops-churn',
    endpointConfigName: 'serverlessmlops-churn-v3-0123',
    previousVersion: 2,
    smokeTestLatencyMs: 42,
  },
  DeploymentFailed: {
    deploymentId: 'churn-v3-0123456789abcdef',
    model: 'churn',
    version: 3,
    kind: 'deploy',
    outcome: 'RolledBack',
    reasons: ['alarm serverlessmlops-churn-invocation-5xx-errors went to ALARM during the canary'],
    recorded: true,
  },
  DriftDetected: {
    model: 'churn',
    version: 3,
    windowId: '2026-11-30T14:00:00Z',
    from: '2026-11-30T13:00:00Z',
    until: '2026-11-30T14:00:00Z',
    driftShare: 0.5,
    driftedFeatures: ['tenure', 'monthly_charges'],
    predictionDrift: true,
    rows: 1200,
    reasons: ['2 of 4 features drifted (share 0.5 >= 0.3)'],
    reportKey: 'monitoring/churn/w/report.json',
    htmlReportKey: 'monitoring/churn/w/report.html',
  },
  ModelQualityDegraded: {
    model: 'churn',
    version: 3,
    windowId: 'q-2026-11-30T14',
    metric: 'validation:auc',
    value: 0.81,
    baseline: 0.91,
    limit: 0.86,
    rows: 500,
    reasons: ['auc 0.81 is below the limit 0.86'],
  },
  RetrainStarted: {
    model: 'churn',
    version: 3,
    trigger: 'drift',
    windowId: '2026-11-30T14:00:00Z',
    message: 'Retraining churn on 1,700 rows.',
    reasons: [],
    datasetKey: 'datasets/churn/retrain-2026-11-30.csv',
    labeledRows: 500,
  },
  RetrainNeedsLabels: {
    model: 'churn',
    version: 3,
    trigger: 'drift',
    windowId: '2026-11-30T14:00:00Z',
    message: 'Drift holds; no labeled data to retrain on.',
    reasons: [],
  },
} as const satisfies Record<(typeof NOTIFIED_EVENT_TYPES)[number], unknown>;

describe('formatNotification (issue 11 §3: lifecycle events as readable messages)', () => {
  it('has an example for every notified event type, each a detail the handler accepts', () => {
    expect(Object.keys(DETAILS).sort()).toEqual([...NOTIFIED_EVENT_TYPES].sort());
    for (const type of NOTIFIED_EVENT_TYPES) {
      expect(() => parseInput(DETAIL_SCHEMAS[type], DETAILS[type], type)).not.toThrow();
    }
  });

  it('ModelRegistered: version, metric, and the decision to take', () => {
    const n = formatNotification('ModelRegistered', DETAILS.ModelRegistered, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn v3 registered (PendingApproval)');
    expect(n.message).toBe(
      [
        'churn v3 registered (PendingApproval)',
        '',
        'Run churn-1a2b3c4d5e6f7a8b trained churn version 3: validation:auc = 0.9123.',
        'It waits for a decision: `mlops approve churn 3` or `mlops reject churn 3`.',
        '',
        'Look closer: mlops models show churn --version 3',
      ].join('\n'),
    );
  });

  it('ModelDeployed: the endpoint, the version it replaced, the command', () => {
    const n = formatNotification('ModelDeployed', DETAILS.ModelDeployed, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn v3 deployed serverlessmlops-churn');
    expect(n.message).toContain('Version 2 served before and is now Retired.');
    expect(n.message).toContain('Smoke test latency: 42 ms.');
    expect(n.message.endsWith('Look closer: mlops deployments show churn-v3-0123456789abcdef')).toBe(true);
  });

  it('DeploymentFailed rolled back: says the previous version serves, and why', () => {
    const n = formatNotification('DeploymentFailed', DETAILS.DeploymentFailed, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn v3 rolled back: the previous version serves');
    expect(n.message).toContain('Why:\n- alarm serverlessmlops-churn-invocation-5xx-errors went to ALARM');
    expect(n.message).toContain('Look closer: mlops deployments show churn-v3-0123456789abcdef');
  });

  it('DeploymentFailed without promotion reads as a failure', () => {
    const n = formatNotification(
      'DeploymentFailed',
      { ...DETAILS.DeploymentFailed, outcome: 'Failed', reasons: ['the endpoint went to Failed'] },
      STACK,
    );
    expect(n.subject).toBe('[ServerlessMlops] churn v3 deployment failed');
    expect(n.message).toContain('ended without promotion');
  });

  it('DriftDetected: share, drifted features, predictions, the window to show', () => {
    const n = formatNotification('DriftDetected', DETAILS.DriftDetected, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn v3 drift detected (50% of features)');
    expect(n.message).toContain('Drifted features: tenure, monthly_charges.');
    expect(n.message).toContain('The predictions drifted too.');
    expect(n.message).toContain('Look closer: mlops drift show churn --window 2026-11-30T14:00:00Z');
  });

  it('ModelQualityDegraded: value against the registered baseline and the limit', () => {
    const n = formatNotification('ModelQualityDegraded', DETAILS.ModelQualityDegraded, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn v3 quality degraded (validation:auc 0.81)');
    expect(n.message).toContain(
      'On 500 labeled rows, validation:auc is 0.81; version 3 was registered with 0.91 and the tolerance allows 0.86.',
    );
  });

  it('RetrainStarted: trigger, rows, dataset, and the runs to follow', () => {
    const n = formatNotification('RetrainStarted', DETAILS.RetrainStarted, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn retraining started (drift)');
    expect(n.message).toContain('New labeled rows: 500.');
    expect(n.message).toContain('Look closer: mlops runs list --model churn');
  });

  it('RetrainNeedsLabels: what people must do', () => {
    const n = formatNotification('RetrainNeedsLabels', DETAILS.RetrainNeedsLabels, STACK);
    expect(n.subject).toBe('[ServerlessMlops] churn needs labeled data to retrain');
    expect(n.message).toContain('upload it under ground-truth/<model>/');
  });

  it('no message is JSON, and every subject is one ASCII line under 100 characters', () => {
    for (const type of NOTIFIED_EVENT_TYPES) {
      const n = formatNotification(type, DETAILS[type], STACK);
      expect(() => JSON.parse(n.message)).toThrow();
      expect(n.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    }
  });

  it('long reason lists are cut at five, saying how many more', () => {
    const reasons = Array.from({ length: 8 }, (_, i) => `reason ${i + 1}`);
    const n = formatNotification('DeploymentFailed', { ...DETAILS.DeploymentFailed, reasons }, STACK);
    expect(n.message).toContain('- reason 5\n- … and 3 more');
    expect(n.message).not.toContain('reason 6');
  });
});

describe('subject', () => {
  it('replaces non-ASCII and control characters and keeps under the limit', () => {
    expect(subject('café\nbar')).toBe('caf? bar');
    const long = subject('x'.repeat(200));
    expect(long).toHaveLength(SUBJECT_MAX_LENGTH);
    expect(long.endsWith('...')).toBe(true);
  });
});
