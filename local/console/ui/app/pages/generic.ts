/// <reference lib="dom" />
/** Rendering of free-form JSON (stage details, window summaries, notifications) as text in nested lists. */
import { h } from '../dom';

/** A JSON value as nodes: primitives as text, arrays and objects as nested lists (depth-limited). */
export function jsonView(value: unknown, depth = 0): Node {
  if (value === null || value === undefined) return document.createTextNode('');
  if (typeof value !== 'object') return document.createTextNode(String(value));
  if (depth >= 3) return document.createTextNode(JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return document.createTextNode(value.map((item) => String(item)).join(', '));
    }
    return h('ol', { class: 'json' }, ...value.map((item) => h('li', {}, jsonView(item, depth + 1))));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return document.createTextNode('');
  const dl = h('dl', { class: 'facts json' });
  for (const [key, item] of entries) dl.append(h('dt', {}, key), h('dd', {}, jsonView(item, depth + 1)));
  return dl;
}
