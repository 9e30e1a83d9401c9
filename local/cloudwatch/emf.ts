import type { MetricStore } from './store';

export function ingestEmf(_store: MetricStore, _line: string): boolean {
  return false;
}
