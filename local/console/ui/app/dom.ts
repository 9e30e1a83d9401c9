/// <reference lib="dom" />
/**
 * DOM helpers for the console. Data only ever becomes text nodes or attribute values (never markup), so a
 * hostile column name, reason or file name shows as text.
 */

/** A child accepted by {@link h}: nodes, text (as a text node) or nothing. */
export type Child = Node | string | number | false | null | undefined;

/** Attributes accepted by {@link h}; `on*` handlers go through `on`, never as attributes. */
export interface Attrs {
  [name: string]: string | number | boolean | undefined;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function safeAttr(el: Element, name: string, value: string | number | boolean | undefined): void {
  if (value === undefined || value === false) return;
  // Event-handler attributes would run code; links only go to this console (no javascript: or other origins).
  if (/^on/i.test(name)) throw new Error(`refused attribute ${name}`);
  const text = value === true ? '' : String(value);
  if ((name === 'href' || name === 'src') && !/^(\/(?!\/)|#|\?)/.test(text)) {
    throw new Error(`refused ${name} ${text}`);
  }
  el.setAttribute(name, text);
}

function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    el.append(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
    );
  }
}

/** Creates an HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) safeAttr(el, name, value);
  append(el, children);
  return el;
}

/** Creates an SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) safeAttr(el, name, value);
  append(el, children);
  return el;
}

/** Adds an event listener and returns the element (for building trees inline). */
export function on<E extends Element>(el: E, type: string, listener: (event: Event) => void): E {
  el.addEventListener(type, listener);
  return el;
}

/** A hash link to a console route; each part is URI-encoded so names cannot change the route. */
export function link(text: Child, ...parts: string[]): HTMLAnchorElement {
  return h('a', { href: route(...parts) }, text);
}

/** A hash route from its parts, each URI-encoded. */
export function route(...parts: string[]): string {
  return `#/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
}

/** A table with a caption, a header row and rows; wrapped so narrow windows scroll it, not the page. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((header) => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell))))),
    ),
  );
}

/** A status badge: the status as text, its class derived from it for colour. */
export function badge(status: string | undefined): HTMLElement {
  const text = status ?? 'unknown';
  return h('span', { class: `badge badge-${text.toLowerCase().replace(/[^a-z]/g, '')}` }, text);
}

/** A definition list of label/value pairs, leaving out missing values. */
export function facts(pairs: [string, Child][]): HTMLElement {
  const dl = h('dl', { class: 'facts' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === false || value === '') continue;
    dl.append(h('dt', {}, label), h('dd', {}, value));
  }
  return dl;
}

/** A section with a heading. */
export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

/** A paragraph telling what is missing (empty lists are said, not left blank). */
export function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}
