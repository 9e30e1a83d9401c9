/** Formatting of times, durations and amounts for the console's pages. */

/** A timestamp (ISO string or epoch ms) as a local date and time; '' when missing. */
export function when(at: string | number | undefined): string {
  if (at === undefined || at === '') return '';
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** A duration in ms as `1 h 2 min`, `3 min 4 s`, `5.6 s` or `78 ms`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The duration between two timestamps, when both are known. */
export function between(start: string | number | undefined, end: string | number | undefined): string {
  if (start === undefined || end === undefined) return '';
  return duration(new Date(end).getTime() - new Date(start).getTime());
}

/** A cost in US dollars, with enough digits for the fractions of a cent local runs cost. */
export function usd(amount: number | undefined): string {
  if (amount === undefined || !Number.isFinite(amount)) return '';
  return amount >= 0.01 ? `$${amount.toFixed(2)}` : `$${amount.toPrecision(2)}`;
}

/** A metric value with four significant digits at most. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
