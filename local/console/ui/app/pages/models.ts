/// <reference lib="dom" />
/** Models: the list, and a model's versions, metric chart, aliases, audit trail and actions. */
import {
  apiPath,
  get,
  type HistoryEntry,
  type ModelDetail,
  type ModelSummary,
  type ModelVersion,
} from '../api';
import { lineChart } from '../charts';
import { badge, type Child, empty, facts, h, link, section, table } from '../dom';
import { num, when } from '../format';
import { actionButton, more, type Page } from '../page';

function modelRow(model: ModelSummary): HTMLTableRowElement {
  const metric = model.latest?.metricName
    ? `${model.latest.metricName} ${num(model.latest.metricValue)}`
    : num(model.latest?.metricValue);
  return h(
    'tr',
    {},
    h('td', {}, link(model.name, 'models', model.name)),
    h('td', {}, model.production ? `v${model.production.version}` : '—'),
    h('td', {}, model.latest ? `v${model.latest.version}` : '—'),
    h('td', {}, model.latest ? badge(model.latest.status) : ''),
    h('td', {}, metric),
  );
}

/** The models list, one registry page at a time. */
export function modelsPage(): Page {
  return {
    title: 'Models',
    kinds: ['models'],
    async render(signal) {
      const first = await get<{ models: ModelSummary[]; next?: string }>(apiPath(['models']), signal);
      if (first.models.length === 0) {
        return section('Models', empty('No models yet: upload a dataset (npm start prints how).'));
      }
      const body = h('tbody', {}, ...first.models.map(modelRow));
      const load = async (cursor: string) => {
        const page = await get<{ models: ModelSummary[]; next?: string }>(apiPath(['models'], { cursor }));
        return { rows: page.models.map(modelRow), ...(page.next ? { next: page.next } : {}) };
      };
      return section(
        'Models',
        h(
          'div',
          { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Models' },
          h(
            'table',
            {},
            h('caption', {}, 'Models, their production version and latest version'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Model', 'Production', 'Latest', 'Status', 'Metric'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            body,
          ),
        ),
        more(first.next, load, body),
      );
    },
  };
}

function timeline(history: HistoryEntry[]): HTMLElement {
  if (history.length === 0) return h('span', {}, '');
  return h(
    'ol',
    { class: 'timeline' },
    ...history.map((entry) =>
      h(
        'li',
        {},
        badge(entry.status ?? entry.type),
        ' ',
        h('time', { datetime: entry.at }, when(entry.at)),
        entry.actor ? ` by ${entry.actor}` : '',
        entry.reason ? h('span', { class: 'reason' }, ` — ${entry.reason}`) : '',
      ),
    ),
  );
}

function versionActions(model: string, version: ModelVersion): HTMLElement | string {
  if (version.status !== 'PendingApproval') return '';
  const reasonId = `reason-${version.version}`;
  const reason = h('input', { id: reasonId, type: 'text', name: 'reason', autocomplete: 'off' });
  const body = () => (reason.value.trim() ? { reason: reason.value.trim() } : {});
  return h(
    'div',
    { class: 'actions' },
    h('label', { for: reasonId }, `Reason for v${version.version} (optional)`),
    reason,
    actionButton(
      'Approve',
      apiPath(['models', model, 'versions', version.version, 'approve']),
      body,
      undefined,
      `Approved ${model} v${version.version}.`,
    ),
    actionButton(
      'Reject',
      apiPath(['models', model, 'versions', version.version, 'reject']),
      body,
      undefined,
      `Rejected ${model} v${version.version}.`,
    ),
  );
}

function rollbackForm(model: string, versions: ModelVersion[], production: number | undefined): HTMLElement {
  const toId = 'rollback-to';
  const reasonId = 'rollback-reason';
  const to = h(
    'select',
    { id: toId, name: 'to' },
    h('option', { value: '' }, 'the previous production version'),
  );
  for (const version of versions) {
    if (version.version !== production)
      to.append(h('option', { value: String(version.version) }, `v${version.version}`));
  }
  const reason = h('input', {
    id: reasonId,
    type: 'text',
    name: 'reason',
    required: true,
    autocomplete: 'off',
  });
  const error = h('span', { class: 'error', role: 'alert' });
  const body = () => {
    const why = reason.value.trim();
    if (!why) {
      error.textContent = 'A rollback needs a reason.';
      reason.focus();
      return undefined;
    }
    error.textContent = '';
    return to.value ? { to: Number(to.value), reason: why } : { reason: why };
  };
  return section(
    'Roll back',
    h(
      'div',
      { class: 'actions' },
      h('label', { for: toId }, 'To'),
      to,
      h('label', { for: reasonId }, 'Reason'),
      reason,
      actionButton(
        'Roll back…',
        apiPath(['models', model, 'rollback']),
        body,
        `Roll back ${model}?`,
        `Rolled back ${model}.`,
      ),
      error,
    ),
  );
}

/** A model's detail. */
export function modelPage(name: string): Page {
  return {
    title: `Model ${name}`,
    kinds: ['models', 'deployments'],
    async render(signal) {
      const detail = await get<ModelDetail>(apiPath(['models', name]), signal);
      const byMetric = new Map<string, [number, number][]>();
      for (const version of detail.versions) {
        if (version.metricValue === undefined) continue;
        const key = version.metricName ?? 'metric';
        byMetric.set(key, [...(byMetric.get(key) ?? []), [version.version, version.metricValue]]);
      }
      const production = detail.aliases.production;
      const versionCells = (version: ModelVersion): Child[] => [
        `v${version.version}`,
        badge(version.status),
        versionActions(detail.name, version),
        version.metricName ? `${version.metricName} ${num(version.metricValue)}` : num(version.metricValue),
        h('time', { datetime: version.createdAt }, when(version.createdAt)),
        link(version.runId, 'runs', version.runId),
        timeline(version.history),
      ];
      const auditCells = (entry: HistoryEntry): Child[] => [
        h('time', { datetime: entry.at }, when(entry.at)),
        entry.type ?? entry.status ?? '',
        entry.version === undefined ? '' : `v${entry.version}`,
        entry.actor ?? '',
        entry.reason ?? '',
      ];
      const row = (cells: Child[]) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell)));
      const versionsTable = table(
        `Versions of ${detail.name}, newest first`,
        ['Version', 'Status', 'Actions', 'Metric', 'Created', 'Run', 'Timeline'],
        detail.versions.map(versionCells),
      );
      const auditTable = table(
        `Audit trail of ${detail.name}, newest first`,
        ['When', 'Event', 'Version', 'Actor', 'Reason'],
        detail.audit.map(auditCells),
      );
      const versionsBody = versionsTable.querySelector('tbody');
      const auditBody = auditTable.querySelector('tbody');
      // One cursor pages both the versions and the audit trail (the API reads them a page at a time).
      const older =
        versionsBody && auditBody
          ? more(
              detail.next,
              async (cursor) => {
                const page = await get<ModelDetail>(apiPath(['models', name], { cursor }));
                auditBody.append(...page.audit.map((entry) => row(auditCells(entry))));
                return {
                  rows: page.versions.map((version) => row(versionCells(version))),
                  ...(page.next ? { next: page.next } : {}),
                };
              },
              versionsBody,
            )
          : undefined;
      return h(
        'div',
        {},
        h('h2', {}, detail.name),
        facts(
          Object.entries(detail.aliases).map(
            ([alias, version]) => [`Alias ${alias}`, `v${version}`] as [string, string],
          ),
        ),
        h(
          'ul',
          { class: 'related' },
          h('li', {}, h('a', { href: `#/runs?model=${encodeURIComponent(detail.name)}` }, 'Runs')),
          h(
            'li',
            {},
            h('a', { href: `#/deployments?model=${encodeURIComponent(detail.name)}` }, 'Deployments'),
          ),
          production === undefined
            ? undefined
            : h('li', {}, link('Endpoint metrics', 'endpoints', detail.name)),
          h('li', {}, link('Drift', 'drift', detail.name)),
        ),
        section(
          'Metric per version',
          lineChart(
            [...byMetric].map(([metric, points]) => ({ name: metric, points })),
            {
              title: `${detail.name}: metric per version`,
              xLabel: 'version',
              yLabel: [...byMetric.keys()].join(', '),
              integerX: true,
            },
          ),
        ),
        section('Versions', detail.versions.length === 0 ? empty('No versions yet.') : versionsTable, older),
        section('Audit trail', detail.audit.length === 0 ? empty('Nothing recorded yet.') : auditTable),
        detail.versions.length > 1 ? rollbackForm(detail.name, detail.versions, production) : undefined,
      );
    },
  };
}
