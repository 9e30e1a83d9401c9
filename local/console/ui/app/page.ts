/// <reference lib="dom" />
/** What a route renders, and the pieces pages share (paging, actions). */
import { ApiError, act } from './api';
import { type Child, h, on } from './dom';

/** Kinds of change the server announces on /api/events. */
export type ChangeKind = 'runs' | 'models' | 'deployments' | 'endpoints' | 'drift' | 'alarms';

/** A rendered route: its title, the changes that refresh it, and how to build it. */
export interface Page {
  title: string;
  /** The changes after which the page is rebuilt from fresh data. */
  kinds: ChangeKind[];
  render(signal: AbortSignal): Promise<Node>;
  /** Re-read every this many ms while shown (data that changes without a change event). */
  pollMs?: number;
}

/** Says the outcome of an action above the page (it stays through the refresh the action causes). */
export function flash(text: string, error = false): void {
  const box = document.getElementById('flash');
  if (!box) return;
  box.className = error ? 'flash flash-error' : 'flash';
  box.textContent = text;
}

/** Asks the console to re-render the current page (after an action changed what it shows). */
export function refresh(): void {
  window.dispatchEvent(new CustomEvent('console-refresh'));
}

/**
 * A "More" button that loads the next page of a list (the registry's cursor) and appends its rows, so no
 * list ever loads everything.
 */
export function more(
  next: string | undefined,
  load: (cursor: string) => Promise<{ rows: Node[]; next?: string }>,
  into: Element,
): Child {
  if (!next) return undefined;
  let cursor = next;
  const button = h('button', { type: 'button', class: 'more' }, 'More');
  return on(button, 'click', async () => {
    button.disabled = true;
    try {
      const page = await load(cursor);
      into.append(...page.rows);
      if (page.next) {
        cursor = page.next;
        button.disabled = false;
      } else button.remove();
    } catch (error) {
      button.replaceWith(h('p', { role: 'alert', class: 'error' }, errorText(error)));
    }
  });
}

/** An error's message for people (the API's message when it sent one). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError && error.status === 403) {
    return `${error.message} — enter the action token printed by npm start (Action token, at the top).`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A button that POSTs an action (token-guarded), reporting the outcome in a live region and refreshing the
 * page on success. `confirmText`, when given, asks for a second click on a confirmation button first.
 */
export function actionButton(
  label: string,
  path: string,
  body: () => Record<string, unknown> | undefined,
  confirmText?: string,
  doneText = `${label}: done.`,
): HTMLElement {
  const status = h('span', { class: 'action-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'action' }, label);
  const wrap = h('span', { class: 'action-wrap' }, button, status);
  const perform = async () => {
    const payload = body();
    if (payload === undefined) return;
    button.disabled = true;
    status.className = 'action-status';
    status.textContent = 'Working…';
    try {
      await act(path, payload);
      status.textContent = doneText;
      flash(doneText);
      refresh();
    } catch (error) {
      status.className = 'action-status error';
      status.textContent = errorText(error);
      flash(`${label} failed: ${errorText(error)}`, true);
      if (error instanceof ApiError && error.status === 403) document.getElementById('token')?.focus();
    } finally {
      button.disabled = false;
    }
  };
  on(button, 'click', () => {
    if (!confirmText) {
      void perform();
      return;
    }
    const yes = h('button', { type: 'button', class: 'action danger' }, 'Confirm');
    const no = h('button', { type: 'button' }, 'Cancel');
    const ask = h(
      'span',
      { class: 'confirm', role: 'group', 'aria-label': 'Confirmation' },
      h('span', {}, confirmText),
      yes,
      no,
    );
    button.hidden = true;
    wrap.insertBefore(ask, status);
    const close = () => {
      ask.remove();
      button.hidden = false;
      button.focus();
    };
    on(no, 'click', close);
    on(yes, 'click', () => {
      close();
      void perform();
    });
    yes.focus();
  });
  return wrap;
}
