/**
 * docs/operations.md is the runbook the endpoint alarms point to (alarms.ts RUNBOOK): it must have the section
 * they link to and describe each alarm as alarms.ts builds it (name, metric, threshold, M of N), so a change to
 * an alarm that the runbook does not follow fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointAlarmsByKind, FIXED_ALARM_FIELDS, RUNBOOK } from '../../lambdas/shared/endpoints/alarms';
import { ALARM_KINDS, alarmNames } from '../../lambdas/shared/endpoints/naming';
import { DEPLOYMENT_DEFAULTS } from '../../lib/config/deployment';

const ROOT = join(__dirname, '..', '..');
const [file = '', anchor = ''] = RUNBOOK.split('#');
const markdown = readFileSync(join(ROOT, file), 'utf8');

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-');

describe('docs/operations.md (the runbook)', () => {
  it('has the section the alarm descriptions link to, first', () => {
    const headings = [...markdown.matchAll(/^## (.+)$/gm)].map((match) => anchorOf(match[1] ?? ''));
    expect(headings[0]).toBe(anchor);
  });

  it('describes every endpoint alarm as alarms.ts builds it', () => {
    const names = alarmNames('endpoint');
    const alarms = endpointAlarmsByKind({
      model: 'm',
      endpointName: 'endpoint',
      variantName: 'AllTraffic',
      alarmNames: names,
      alarms: {
        latencyP99Ms: DEPLOYMENT_DEFAULTS.latencyP99Ms,
        errorRatePercent: DEPLOYMENT_DEFAULTS.errorRatePercent,
      },
    });
    const section = markdown.slice(0, markdown.indexOf('\n## ', markdown.indexOf('## Endpoint alarms') + 3));
    for (const kind of ALARM_KINDS) {
      const name = names[kind].replace(/^endpoint/, '<endpoint>');
      const alarm = alarms[kind];
      // A section per alarm, saying what it means and what to do.
      const heading = `### \`${name}\``;
      expect(section).toContain(heading);
      const body = section.slice(
        section.indexOf(heading),
        section.indexOf('\n### ', section.indexOf(heading) + 4),
      );
      expect(body).toContain('**What it means.**');
      expect(body).toContain('**What to do.**');
      // A table row with its metric(s) and its M of N.
      const row = section.split('\n').find((line) => line.startsWith(`| \`${name}\``)) ?? '';
      const metrics = alarm.MetricName
        ? [alarm.MetricName]
        : (alarm.Metrics ?? []).flatMap((q) => (q.MetricStat ? [q.MetricStat.Metric?.MetricName ?? ''] : []));
      for (const metric of metrics) expect(row).toContain(metric);
      const fixed = FIXED_ALARM_FIELDS[kind];
      expect(row).toContain(`in ${fixed.DatapointsToAlarm} of the last ${fixed.EvaluationPeriods} minute`);
    }
    expect(section).toContain(`(default ${DEPLOYMENT_DEFAULTS.latencyP99Ms} ms)`);
    expect(section).toContain(`(default ${DEPLOYMENT_DEFAULTS.errorRatePercent}) %`);
    expect(alarms.invocation5xxErrors.Threshold).toBe(0);
    expect(section).toContain('more than 0 in 1 of the last 1 minutes');
  });
});
