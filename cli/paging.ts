import type { Page, PageRequest } from '../lambdas/shared/registry';

/** The registry's largest page. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Reads pages until `limit` items passed `keep` or the listing ends.
 *
 * @param list - one registry listing, e.g. `(page) => registry.listRunsByModel(model, page)`
 * @param limit - how many items to return at most. @default all
 * @param keep - which items count. @default all
 */
export async function collect<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  limit = Number.POSITIVE_INFINITY,
  keep?: (item: T) => boolean,
): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const size = pageSize(limit - items.length, keep !== undefined);
    const page = await list({ limit: size, nextToken });
    items.push(...(keep ? page.items.filter(keep) : page.items));
    nextToken = page.nextToken;
  } while (nextToken !== undefined && items.length < limit);
  return items.slice(0, limit);
}

function pageSize(wanted: number, filtered: boolean): number {
  // A filter may drop items, so a filtered listing never asks for tiny pages.
  const size = Number.isFinite(wanted) ? wanted : MAX_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, filtered ? Math.max(100, size) : size);
}
