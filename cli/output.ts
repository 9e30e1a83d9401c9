/**
 * Rendering for the `mlops` CLI: plain-text tables and key/value blocks for people, JSON for scripts.
 * Nothing here writes to the process directly, so commands can be run and checked in tests.
 */

/** Where a command writes: `out` is the result (stdout), `err` is progress and errors (stderr). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The real process streams. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Shown for an absent value in text output. */
export const NONE = '-';

/** Writes one line (a newline is added). */
export function line(write: (text: string) => void, text = ''): void {
  write(`${text}\n`);
}

/** Machine-readable output: one pretty-printed JSON document. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A left-aligned table with a header row; columns are as wide as their widest cell, two spaces apart.
 * Trailing spaces are trimmed so the output diffs cleanly.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (cells: readonly string[]) =>
    widths
      .map((width, column) => (cells[column] ?? '').padEnd(width))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].map((text) => `${text}\n`).join('');
}

/** `Label  value` lines with the values aligned; undefined values are shown as {@link NONE}. */
export function renderFields(fields: readonly (readonly [string, string | number | undefined])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields
    .map(([label, value]) => `${label.padEnd(width)}  ${value === undefined ? NONE : String(value)}\n`)
    .join('');
}

/** One line of text: newlines and runs of spaces collapsed, so a cause fits a table cell or an error line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, '; ').trim();
}

/** An ISO-8601 time to the second (`2025-03-01T12:00:00Z`); the milliseconds are noise in a table. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return NONE;
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** `42s`, `3m 05s`, `1h 02m`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Metric values at four decimals (as the evaluation step reports them), significant digits near 0. */
export function formatMetricValue(value: number): string {
  const fixed = value.toFixed(4);
  return value !== 0 && Number(fixed) === 0 ? value.toPrecision(4) : fixed;
}
