/// <reference lib="dom" />
/**
 * The console's entry: the layout (header, navigation, token, main), the hash router, and the live refresh
 * from /api/events.
 */
import { get, setToken, token } from './api';
import { h, on } from './dom';
import { type ChangeKind, errorText, flash, type Page } from './page';
import { modelPage, modelsPage } from './pages/models';
import {
  alarmsPage,
  deploymentPage,
  deploymentsPage,
  driftModelsPage,
  driftPage,
  driftReportPage,
  endpointPage,
  endpointsPage,
} from './pages/operations';
import { runPage, runsPage } from './pages/runs';

/** A route's parts (decoded) and query. */
interface Route {
  parts: string[];
  query: URLSearchParams;
}

type Router = (route: Route) => Page | undefined;

const routes: Record<string, Router> = {
  models: ({ parts: [, name] }) => (name === undefined ? modelsPage() : modelPage(name)),
  runs: ({ parts: [, runId], query }) =>
    runId === undefined ? runsPage(query.get('model') ?? undefined) : runPage(runId),
  deployments: ({ parts: [, id], query }) =>
    id === undefined ? deploymentsPage(query.get('model') ?? undefined) : deploymentPage(id),
  endpoints: ({ parts: [, model], query }) =>
    model === undefined ? endpointsPage() : endpointPage(model, Number(query.get('minutes') ?? 60) || 60),
  drift: ({ parts: [, model, windowId] }) =>
    model === undefined
      ? driftModelsPage()
      : windowId === undefined
        ? driftPage(model)
        : driftReportPage(model, windowId),
  alarms: () => alarmsPage(),
};

const NAV: [string, string][] = [
  ['models', 'Models'],
  ['runs', 'Runs'],
  ['deployments', 'Deployments'],
  ['endpoints', 'Endpoints'],
  ['drift', 'Drift'],
  ['alarms', 'Alarms & notifications'],
];

function parseRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?', 2);
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { parts: parts.length === 0 ? ['models'] : parts, query: new URLSearchParams(search) };
}

function tokenForm(): HTMLElement {
  const input = h('input', { id: 'token', type: 'password', name: 'token', autocomplete: 'off', size: 20 });
  const state = h('span', { class: 'token-state', role: 'status' }, token() ? 'Token set for this tab.' : '');
  const form = h(
    'form',
    { class: 'token-form', 'aria-label': 'Action token' },
    h('label', { for: 'token' }, 'Action token'),
    input,
    h('button', { type: 'submit' }, 'Use'),
    h('button', { type: 'button', class: 'forget' }, 'Forget'),
    state,
  );
  on(form, 'submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim() || undefined);
    input.value = '';
    state.textContent = token() ? 'Token set for this tab.' : 'No token.';
  });
  const forget = form.querySelector('button.forget');
  if (forget) {
    on(forget, 'click', () => {
      setToken(undefined);
      state.textContent = 'Token forgotten.';
    });
  }
  return form;
}

const main = h('main', { id: 'main', tabindex: -1 });
const live = h('p', { class: 'live', role: 'status', 'aria-live': 'polite' });
const navLinks = new Map<string, HTMLAnchorElement>();
const FOCUSABLE = 'a[href], button, summary, [tabindex="0"]';
let current: { page: Page; controller: AbortController; key: string } | undefined;

async function show(focus: boolean): Promise<void> {
  const route = parseRoute();
  const key = location.hash;
  const section = route.parts[0] ?? 'models';
  for (const [name, anchor] of navLinks) {
    if (name === section) anchor.setAttribute('aria-current', 'page');
    else anchor.removeAttribute('aria-current');
  }
  // A refresh re-renders the page already shown (keeping its state); a route change builds a new one.
  const page = !focus && current?.key === key ? current.page : routes[section]?.(route);
  current?.controller.abort();
  if (!page) {
    main.replaceChildren(h('h2', {}, 'Not found'), h('p', {}, 'No page here. Use the navigation above.'));
    current = undefined;
    return;
  }
  const controller = new AbortController();
  current = { page, controller, key };
  document.title = `${page.title} — mlops console`;
  if (focus) main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const content = await page.render(controller.signal);
    if (controller.signal.aborted) return;
    if (focus) {
      main.replaceChildren(content);
      main.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    } else {
      // A live refresh keeps what the reader opened (details), the focused control and the scroll position.
      const scroll = window.scrollY;
      const opened = [...main.querySelectorAll('details')].map((details) => details.open);
      const focusables = () => [...main.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const active = document.activeElement;
      const focused = active instanceof HTMLElement ? focusables().indexOf(active) : -1;
      main.replaceChildren(content);
      const details = [...main.querySelectorAll('details')];
      if (details.length === opened.length) {
        details.forEach((each, i) => {
          each.open = opened[i] ?? false;
        });
      }
      if (focused >= 0) focusables()[focused]?.focus({ preventScroll: true });
      window.scrollTo(0, scroll);
    }
  } catch (error) {
    if (controller.signal.aborted) return;
    main.replaceChildren(
      h('h2', {}, page.title),
      h('p', { role: 'alert', class: 'error' }, errorText(error)),
    );
  } finally {
    // Metrics arrive without a change event: such a page re-reads them on a timer while it is shown.
    if (page.pollMs !== undefined && !controller.signal.aborted) {
      const timer = window.setTimeout(() => {
        if (current?.controller === controller) void show(false);
      }, page.pollMs);
      controller.signal.addEventListener('abort', () => window.clearTimeout(timer));
    }
  }
}

let pending: number | undefined;
function changed(kind: ChangeKind): void {
  if (!current?.page.kinds.includes(kind)) return;
  // Bursts of changes (a run's steps) rebuild the page once.
  if (pending !== undefined) return;
  pending = window.setTimeout(() => {
    pending = undefined;
    // Not while the reader is typing in a field of this page (a reason, a rollback target).
    const active = document.activeElement;
    if (active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return;
    live.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    void show(false);
  }, 300);
}

function subscribe(): void {
  const events = new EventSource('/api/events');
  events.addEventListener('change', (event) => {
    try {
      const data = JSON.parse((event as MessageEvent<string>).data) as { kind?: ChangeKind };
      if (data.kind) changed(data.kind);
    } catch {
      // A malformed event changes nothing.
    }
  });
}

/** Builds the layout and starts routing. */
export function start(): void {
  const nav = h('nav', { 'aria-label': 'Sections' }, h('ul', {}));
  const list = nav.querySelector('ul');
  for (const [name, label] of NAV) {
    const anchor = h('a', { href: `#/${name}` }, label);
    navLinks.set(name, anchor);
    list?.append(h('li', {}, anchor));
  }
  const stack = h('span', { class: 'stack' });
  document.body.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', {}, h('h1', {}, 'mlops console ', stack), nav, tokenForm()),
    h('div', { id: 'flash', class: 'flash', role: 'status', 'aria-live': 'polite' }),
    main,
    h('footer', {}, live),
  );
  // The skip link focuses main without changing the route.
  const skip = document.querySelector('a.skip');
  if (skip) {
    on(skip, 'click', (event) => {
      event.preventDefault();
      main.focus();
    });
  }
  window.addEventListener('hashchange', () => {
    flash('');
    void show(true);
  });
  window.addEventListener('console-refresh', () => void show(false));
  get<{ stackName?: string }>('/api/session')
    .then((session) => {
      if (session.stackName) stack.textContent = `— ${session.stackName}`;
    })
    .catch(() => undefined);
  subscribe();
  void show(true);
}
