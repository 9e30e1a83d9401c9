/**
 * Alarms and notifications on the local runtime (issue 11 §6): the template's alarms run on local metrics and
 * publish to the local SNS, lifecycle events become readable messages, and both reach the observer and
 * `<stateDir>/sns/<topic>.jsonl` with "would email" for the subscription.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/shared/events';
import { LocalApp } from '../../local/app';
import type { SnsMessage } from '../../local/aws/sns';
import { ProgressPrinter } from '../../local/progress';
import type { CfnTemplate } from '../../local/template/template';
import { synthStack } from '../support/cdk';

const CONFIG = {
  alarmEmails: ['ops@example.com'],
  models: { defaults: {}, churn: { problemType: 'binary', targetColumn: 'churned' } },
};
const DLQ_ALARM = 'ServerlessMlops-dead-letters-Notifications-DeadLetters';

describe('local alarms and notifications', () => {
  let app: LocalApp;
  let stateDir: string;
  const messages: SnsMessage[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const template = synthStack({ config: CONFIG }).template.toJSON() as CfnTemplate;
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-notifications-'));
    app = await LocalApp.start({
      template,
      stateDir,
      // A 5-minute alarm period lasts a second; Lambda's async retries come at once.
      timeScale: 300,
      asyncRetryDelaysMs: [0, 0],
      observer: {
        notification: (message) => messages.push(message),
        error: (message) => errors.push(message),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const waitFor = async (find: () => SnsMessage | undefined, what: string): Promise<SnsMessage> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${what}; got ${messages.map((m) => m.Subject).join(' | ')}; errors ${errors.join(' | ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('creates every alarm of the template, composite too, and none is refused', () => {
    expect(app.cloudwatch.alarmState(DLQ_ALARM)).toBeDefined();
    expect(app.cloudwatch.alarmState('ServerlessMlops-a-model-is-unhealthy')).toBeDefined();
    expect(app.cloudwatch.alarmState('ServerlessMlops-drift-churn')).toBeDefined();
    // A Metrics Insights alarm (models without settings of their own).
    expect(app.cloudwatch.alarmState('ServerlessMlops-drift-other-models')).toBeDefined();
    expect(errors.filter((e) => e.includes('not evaluated locally'))).toEqual([]);
  });

  it('a lifecycle event becomes a readable message on the topic, with "would email"', async () => {
    await app.deliver({
      version: '0',
      id: 'e1',
      'detail-type': 'ModelRegistered',
      source: EVENT_SOURCE,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        model: 'churn',
        version: 4,
        status: 'PendingApproval',
        metric: 'validation:auc',
        value: 0.93,
        runId: 'churn-0123456789abcdef',
      },
    });
    await app.idle();
    const message = await waitFor(
      () => messages.find((m) => m.Subject === '[ServerlessMlops] churn v4 registered (PendingApproval)'),
      'ModelRegistered message',
    );
    expect(message.Message).toContain('It waits for a decision: `mlops approve churn 4`');
    expect(message.Message).toContain('Look closer: mlops models show churn --version 4');
    expect(message.deliveries).toEqual(['would email ops@example.com']);
    const file = app.sns.file(message.TopicArn);
    expect(readFileSync(file, 'utf8')).toContain('churn v4 registered (PendingApproval)');
  });

  it('a failed deployment execution puts the deployment alarm and the composite in ALARM, each notifying', async () => {
    const machine = Object.entries(app.runtime.template.Resources).find(
      ([id, resource]) =>
        id.startsWith('DeploymentStateMachine') && resource.Type === 'AWS::StepFunctions::StateMachine',
    )?.[0];
    const arn = app.runtime.resources.arn(machine ?? '');
    // No such version: the workflow records why and ends in its Fail state.
    const { result } = app.runtime.executions.start(
      arn,
      undefined,
      JSON.stringify({ model: 'churn', version: 99, kind: 'deploy', requestId: 'r1', requestedBy: 'test' }),
    );
    expect((await result).status).toBe('FAILED');
    const alarm = await waitFor(
      () =>
        messages.find(
          (m) => m.Subject === 'ALARM: "ServerlessMlops-deployment-executions-failed" in us-east-1',
        ),
      'deployment alarm',
    );
    expect(JSON.parse(alarm.Message).AlarmDescription).toContain('`mlops deployments list <model>`');
    await waitFor(
      () => messages.find((m) => m.Subject === 'ALARM: "ServerlessMlops-a-model-is-unhealthy" in us-east-1'),
      'composite alarm',
    );
  }, 60_000);

  it('a dead letter puts its queue’s alarm in ALARM, which notifies the topic with what to do', async () => {
    // A DriftDetected without its fields: notify fails it three times, Lambda sends it to the dead letters.
    await app.deliver({
      version: '0',
      id: 'e2',
      'detail-type': 'DriftDetected',
      source: EVENT_SOURCE,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: { model: 'churn' },
    });
    await app.idle();
    const alarm = await waitFor(
      () => messages.find((m) => m.Subject === `ALARM: "${DLQ_ALARM}" in us-east-1`),
      'dead-letter alarm',
    );
    const body = JSON.parse(alarm.Message) as Record<string, string>;
    expect(body.NewStateValue).toBe('ALARM');
    expect(body.AlarmDescription).toContain('What to do: Read the messages');
    expect(body.AlarmDescription).toContain('Runbook: docs/operations.md#dead-letters');
    expect(alarm.deliveries).toEqual(['would email ops@example.com']);

    // npm start prints it for people: subject, what it means, what to do, the runbook.
    const lines: string[] = [];
    new ProgressPrinter((line) => lines.push(line)).notification(alarm);
    expect(lines[0]).toBe(`✉ ALARM: "${DLQ_ALARM}" in us-east-1 → would email ops@example.com`);
    expect(lines).toContain('    Runbook: docs/operations.md#dead-letters');
    expect(lines.some((line) => line.startsWith('    What to do: Read the messages'))).toBe(true);
  }, 60_000);
});
