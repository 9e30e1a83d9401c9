/// <reference lib="dom" />
/** Deployments, endpoints, drift, alarms and notifications: what serves and how it behaves. */
import { apiPath, get, type ModelSummary } from '../api';
import { lineChart, type Series } from '../charts';
import { badge, empty, facts, h, link, on, section, table } from '../dom';
import { between, when } from '../format';
import { actionButton, more, type Page } from '../page';
import { jsonView } from './generic';

interface DeploymentRow {
  deploymentId: string;
  model: string;
  version: number;
  kind?: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  reasons?: string[];
}

interface DeploymentDetail extends DeploymentRow {
  endpointName?: string;
  stages: { name: string; at: string; details?: Record<string, unknown> }[];
  trafficShifts: { at: string; stage?: string; details?: Record<string, unknown> }[];
  trafficRouting?: unknown;
  alarms: { name: string; fired?: boolean; state?: string }[];
  outcome?: string;
}

function deploymentRow(deployment: DeploymentRow): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, link(deployment.deploymentId, 'deployments', deployment.deploymentId)),
    h('td', {}, link(deployment.model, 'models', deployment.model)),
    h('td', {}, `v${deployment.version}`),
    h('td', {}, deployment.kind ?? ''),
    h('td', {}, badge(deployment.status)),
    h('td', {}, when(deployment.startedAt)),
    h('td', {}, between(deployment.startedAt, deployment.endedAt)),
    h('td', {}, (deployment.reasons ?? []).join('; ')),
  );
}

function pagedTable(
  title: string,
  headers: string[],
  rows: HTMLTableRowElement[],
  next: string | undefined,
  load: (cursor: string) => Promise<{ rows: Node[]; next?: string }>,
): HTMLElement {
  const body = h('tbody', {}, ...rows);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': title },
      h(
        'table',
        {},
        h('caption', {}, title),
        h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
        body,
      ),
    ),
    more(next, load, body),
  );
}

/** Deployments, newest first (one model's, or the newest of each model). */
export function deploymentsPage(model: string | undefined): Page {
  const title = model ? `Deployments of ${model}` : 'Deployments';
  return {
    title,
    kinds: ['deployments'],
    async render(signal) {
      type List = { deployments: DeploymentRow[]; next?: string };
      const first = await get<List>(apiPath(['deployments'], { model }), signal);
      if (first.deployments.length === 0) return section(title, empty('No deployments yet.'));
      const load = async (cursor: string) => {
        const page = await get<List>(apiPath(['deployments'], { model, cursor }));
        return { rows: page.deployments.map(deploymentRow), ...(page.next ? { next: page.next } : {}) };
      };
      return section(
        title,
        pagedTable(
          `${title}, newest first`,
          ['Deployment', 'Model', 'Version', 'Kind', 'Status', 'Started', 'Duration', 'Reasons'],
          first.deployments.map(deploymentRow),
          first.next,
          load,
        ),
      );
    },
  };
}

/** The share of traffic a stage's details give the new version, when they name one (0–100). */
function sharePercent(details: Record<string, unknown> | undefined): number | undefined {
  if (!details) return undefined;
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'number' && /percent|weight|share/i.test(key) && value >= 0 && value <= 100)
      return value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const nested = sharePercent(value as Record<string, unknown>);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}

/**
 * Traffic to the new version over time: none when the deployment starts, the share each shift names, and all
 * (or none, when it was rolled back or failed) at its end.
 */
function trafficSeries(deployment: DeploymentDetail): Series {
  const points: [number, number][] = [[Date.parse(deployment.startedAt), 0]];
  let last = 0;
  for (const shift of deployment.trafficShifts) {
    const share = sharePercent(shift.details);
    // Steps, not slopes: the share holds until the next shift.
    points.push([Date.parse(shift.at), last]);
    if (share !== undefined) last = share;
    points.push([Date.parse(shift.at), last]);
  }
  if (deployment.endedAt) {
    const end = Date.parse(deployment.endedAt);
    points.push([end, last], [end, /^(promoted|succeeded)$/i.test(deployment.status) ? 100 : 0]);
  }
  return { name: `v${deployment.version} traffic %`, points: points.filter(([t]) => Number.isFinite(t)) };
}

/** A deployment's stages, traffic shift chart, alarms, outcome and a rollback (with confirmation). */
export function deploymentPage(deploymentId: string): Page {
  return {
    title: `Deployment ${deploymentId}`,
    kinds: ['deployments'],
    async render(signal) {
      const d = await get<DeploymentDetail>(apiPath(['deployments', deploymentId]), signal);
      const reasonId = 'rollback-reason';
      const reason = h('input', { id: reasonId, type: 'text', name: 'reason', autocomplete: 'off' });
      const error = h('span', { class: 'error', role: 'alert' });
      const body = () => {
        const why = reason.value.trim();
        if (!why) {
          error.textContent = 'A rollback needs a reason.';
          reason.focus();
          return undefined;
        }
        error.textContent = '';
        return { reason: why };
      };
      return h(
        'div',
        {},
        h('h2', {}, `Deployment ${d.deploymentId}`),
        facts([
          ['Model', link(d.model, 'models', d.model)],
          ['Version', `v${d.version}`],
          ['Kind', d.kind],
          ['Endpoint', d.endpointName],
          ['Status', badge(d.status)],
          ['Outcome', d.outcome ? badge(d.outcome) : undefined],
          ['Started', when(d.startedAt)],
          ['Ended', when(d.endedAt)],
          [
            'Traffic routing',
            d.trafficRouting === undefined || d.trafficRouting === null
              ? undefined
              : jsonView(d.trafficRouting),
          ],
        ]),
        (d.reasons ?? []).length > 0
          ? section('Reasons', h('ul', {}, ...(d.reasons ?? []).map((r) => h('li', {}, r))))
          : undefined,
        section(
          'Traffic shift',
          lineChart([trafficSeries(d)], {
            title: `Traffic to v${d.version} over time`,
            time: true,
            xLabel: 'time',
            yLabel: '% of traffic',
          }),
        ),
        section(
          'Stages',
          d.stages.length === 0
            ? empty('No stages yet.')
            : table(
                `Stages of ${d.deploymentId}`,
                ['Stage', 'At', 'Details'],
                d.stages.map((stage) => [stage.name, when(stage.at), jsonView(stage.details)]),
              ),
        ),
        section(
          'Alarms',
          d.alarms.length === 0
            ? empty('No alarms watch this deployment.')
            : table(
                `Alarms of ${d.deploymentId}`,
                ['Alarm', 'Fired'],
                d.alarms.map((alarm) => [
                  alarm.name,
                  alarm.state ? badge(alarm.state) : alarm.fired ? badge('ALARM') : badge('OK'),
                ]),
              ),
        ),
        section(
          'Roll back',
          h(
            'div',
            { class: 'actions' },
            h('label', { for: reasonId }, `Reason to roll ${d.model} back`),
            reason,
            actionButton(
              'Roll back…',
              apiPath(['models', d.model, 'rollback']),
              body,
              `Roll ${d.model} back to its previous production version?`,
              `Rolled back ${d.model}.`,
            ),
            error,
          ),
        ),
      );
    },
  };
}

interface EndpointRow {
  model: string;
  endpointName: string;
  status: string;
  version: number;
}

/** Each model's production endpoint. */
export function endpointsPage(): Page {
  return {
    title: 'Endpoints',
    kinds: ['endpoints', 'deployments'],
    async render(signal) {
      const answer = await get<EndpointRow[] | { endpoints: EndpointRow[] }>(apiPath(['endpoints']), signal);
      const rows = Array.isArray(answer) ? answer : answer.endpoints;
      if (rows.length === 0)
        return section('Endpoints', empty('No endpoints serve yet: a model serves once deployed.'));
      return section(
        'Endpoints',
        table(
          'Production endpoints',
          ['Model', 'Endpoint', 'Status', 'Version', 'Metrics'],
          rows.map((row) => [
            link(row.model, 'models', row.model),
            row.endpointName,
            badge(row.status),
            `v${row.version}`,
            link(`Metrics of ${row.model}`, 'endpoints', row.model),
          ]),
        ),
      );
    },
  };
}

type MetricSeries = Record<
  'invocations' | 'latencyP50' | 'latencyP99' | 'errors5xx' | 'errors4xx',
  [number, number][]
>;

/** An endpoint's invocations, latency and errors over the last minutes (local CloudWatch). */
export function endpointPage(model: string, minutes: number): Page {
  return {
    title: `Endpoint of ${model}`,
    kinds: ['endpoints', 'deployments'],
    pollMs: 30_000,
    async render(signal) {
      const { series, endpointName } = await get<{ series: Partial<MetricSeries>; endpointName?: string }>(
        apiPath(['endpoints', model, 'metrics'], { minutes }),
        signal,
      );
      const ms = (points: [number, number][] | undefined): [number, number][] =>
        (points ?? []).map(([t, v]) => [t, v / 1000]);
      const select = h(
        'select',
        { id: 'minutes', name: 'minutes' },
        ...[15, 60, 180, 720, 1440].map((m) => {
          const option = h(
            'option',
            { value: String(m) },
            m < 60 ? `${m} minutes` : m === 60 ? '1 hour' : `${m / 60} hours`,
          );
          option.selected = m === minutes;
          return option;
        }),
      );
      on(select, 'change', () => {
        location.hash = `#/endpoints/${encodeURIComponent(model)}?minutes=${select.value}`;
      });
      return h(
        'div',
        {},
        h('h2', {}, `Endpoint of ${model}`),
        facts([['Endpoint', endpointName]]),
        h('p', {}, h('label', { for: 'minutes' }, 'Over the last '), select),
        h(
          'div',
          { class: 'grid-2' },
          lineChart([{ name: 'invocations', points: series.invocations ?? [] }], {
            title: 'Invocations per minute',
            time: true,
            yLabel: 'invocations',
          }),
          lineChart(
            [
              { name: 'p50', points: ms(series.latencyP50) },
              { name: 'p99', points: ms(series.latencyP99) },
            ],
            { title: 'Model latency (ms)', time: true, yLabel: 'ms' },
          ),
          lineChart(
            [
              { name: '5xx', points: series.errors5xx ?? [] },
              { name: '4xx', points: series.errors4xx ?? [] },
            ],
            { title: 'Errors per minute', time: true, yLabel: 'errors' },
          ),
        ),
      );
    },
  };
}

/** Models to pick one's drift from (a registry page at a time). */
export function driftModelsPage(): Page {
  return {
    title: 'Drift',
    kinds: ['models', 'drift'],
    async render(signal) {
      type List = { models: ModelSummary[]; next?: string };
      const row = (model: ModelSummary) =>
        h(
          'tr',
          {},
          h('td', {}, link(model.name, 'drift', model.name)),
          h('td', {}, link('Model', 'models', model.name)),
        );
      const first = await get<List>(apiPath(['models']), signal);
      if (first.models.length === 0) return section('Drift', empty('No models yet.'));
      const load = async (cursor: string) => {
        const page = await get<List>(apiPath(['models'], { cursor }));
        return { rows: page.models.map(row), ...(page.next ? { next: page.next } : {}) };
      };
      return section(
        'Drift',
        pagedTable(
          'Models: pick one to see its drift windows',
          ['Drift of', 'Model'],
          first.models.map(row),
          first.next,
          load,
        ),
      );
    },
  };
}

interface DriftWindow {
  windowId: string;
  from?: string;
  until?: string;
  checkedAt?: string;
  verdict: string;
  alarming?: boolean;
  version?: number;
  rows?: number;
  reasons?: string[];
  summary?: unknown;
  hasReport?: boolean;
}

function windowRow(model: string, window: DriftWindow): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, window.windowId),
    h('td', {}, `${when(window.from)} – ${when(window.until)}`),
    h('td', {}, badge(window.verdict)),
    h('td', {}, window.version === undefined ? '' : `v${window.version}`),
    h('td', {}, window.rows === undefined ? '' : String(window.rows)),
    h(
      'td',
      {},
      (window.reasons ?? []).join('; '),
      window.summary === undefined
        ? undefined
        : h('details', {}, h('summary', {}, 'Summary'), jsonView(window.summary)),
    ),
    h('td', {}, window.hasReport === false ? '' : link('Report', 'drift', model, window.windowId)),
  );
}

/** A model's drift windows with their verdicts, newest first. */
export function driftPage(model: string): Page {
  return {
    title: `Drift of ${model}`,
    kinds: ['drift'],
    async render(signal) {
      type List = { windows: DriftWindow[]; next?: string };
      const first = await get<List>(apiPath(['drift', model]), signal);
      const title = `Drift of ${model}`;
      if (first.windows.length === 0) return section(title, empty('No drift checks yet for this model.'));
      const load = async (cursor: string) => {
        const page = await get<List>(apiPath(['drift', model], { cursor }));
        return {
          rows: page.windows.map((w) => windowRow(model, w)),
          ...(page.next ? { next: page.next } : {}),
        };
      };
      return section(
        title,
        pagedTable(
          `Drift windows of ${model}, newest first`,
          ['Window', 'Data from – until', 'Verdict', 'Version', 'Rows', 'Reasons', 'Report'],
          first.windows.map((w) => windowRow(model, w)),
          first.next,
          load,
        ),
      );
    },
  };
}

/** A drift window's HTML report, in a sandboxed frame (no script runs in it, it reaches nothing). */
export function driftReportPage(model: string, windowId: string): Page {
  return {
    title: `Drift report ${windowId}`,
    kinds: [],
    async render() {
      return h(
        'div',
        {},
        h('h2', {}, `Drift report of ${model}, window ${windowId}`),
        h('p', {}, link(`All windows of ${model}`, 'drift', model)),
        h('iframe', {
          class: 'report-frame',
          title: `Drift report of ${model}, window ${windowId}`,
          sandbox: true,
          referrerpolicy: 'no-referrer',
          src: apiPath(['drift', model, windowId, 'report.html']),
        }),
      );
    },
  };
}

interface Alarm {
  name: string;
  state: string;
  reason: string;
  updatedAt: string;
  description: string;
}

interface SnsNotification {
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  deliveries?: string[];
}

/** Long text folded behind a summary, so a table of alarms stays scannable. */
function folded(summary: string, text: string): HTMLElement | string {
  if (!text) return '';
  return h('details', {}, h('summary', {}, summary), h('p', { class: 'folded' }, text));
}

/** A message body: JSON pretty-printed, anything else as it is (always as text). */
function messageBody(message: string): HTMLElement {
  let text = message;
  try {
    text = JSON.stringify(JSON.parse(message), null, 2);
  } catch {
    // Not JSON: shown as sent.
  }
  return h('pre', { class: 'message' }, text);
}

function notificationRow(item: unknown): HTMLTableRowElement {
  const note = (item && typeof item === 'object' ? item : {}) as SnsNotification;
  if (typeof note.Message !== 'string') {
    return h('tr', {}, h('td', { colspan: 4 }, jsonView(item)));
  }
  return h(
    'tr',
    {},
    h('td', {}, when(note.Timestamp)),
    h('td', {}, note.Subject ?? ''),
    h('td', {}, note.TopicArn?.split(':').pop() ?? ''),
    h(
      'td',
      {},
      h('details', {}, h('summary', {}, 'Message'), messageBody(note.Message)),
      (note.deliveries ?? []).length > 0
        ? h('ul', { class: 'deliveries' }, ...(note.deliveries ?? []).map((d) => h('li', {}, d)))
        : undefined,
    ),
  );
}

/** The stack's alarms (ALARM first) and the newest notifications. */
export function alarmsPage(): Page {
  return {
    title: 'Alarms & notifications',
    kinds: ['alarms'],
    async render(signal) {
      const [{ alarms }, { notifications }] = await Promise.all([
        get<{ alarms: Alarm[] }>(apiPath(['alarms']), signal),
        get<{ notifications: unknown[] }>(apiPath(['notifications']), signal),
      ]);
      const counts = new Map<string, number>();
      for (const alarm of alarms) counts.set(alarm.state, (counts.get(alarm.state) ?? 0) + 1);
      return h(
        'div',
        {},
        section(
          'Alarms',
          alarms.length === 0
            ? empty('No alarms.')
            : h(
                'div',
                {},
                h(
                  'p',
                  { class: 'counts' },
                  ...[...counts].flatMap(([state, count]) => [badge(state), ` ${count} `]),
                ),
                table(
                  'Alarms, those in ALARM first',
                  ['Alarm', 'State', 'Since', 'Reason'],
                  alarms.map((alarm) => [
                    h('div', {}, alarm.name, folded('What it means, what to do', alarm.description)),
                    badge(alarm.state),
                    when(alarm.updatedAt),
                    alarm.reason,
                  ]),
                ),
              ),
        ),
        section(
          'Notifications',
          notifications.length === 0
            ? empty('No notifications yet.')
            : h(
                'div',
                { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Notifications' },
                h(
                  'table',
                  {},
                  h('caption', {}, 'Notifications published to the stack’s topics, newest first'),
                  h(
                    'thead',
                    {},
                    h(
                      'tr',
                      {},
                      ...['When', 'Subject', 'Topic', 'Message'].map((t) => h('th', { scope: 'col' }, t)),
                    ),
                  ),
                  h('tbody', {}, ...notifications.map(notificationRow)),
                ),
              ),
        ),
      );
    },
  };
}
