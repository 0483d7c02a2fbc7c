import type { Query } from './query.js';

/**
 * - `cursor_id`: pass the response's `last_id` as `after`.
 * - `cursor_next`: pass the response's `next` as `after`.
 * - `page_token`: pass the response's `next_page` as `page`.
 */
export type PaginationStyle = 'cursor_id' | 'cursor_next' | 'page_token';

export interface PageRequest {
  path: string;
  query?: Query;
  style: PaginationStyle;
  /** Stop after this many items. Default: no item cap. */
  maxItems?: number;
  /** Stop after this many pages, so a `has_more` that never ends cannot loop forever. Default 100. */
  maxPages?: number;
  signal?: AbortSignal;
}

export interface CollectResult<T> {
  items: T[];
  pages: number;
  /** True when more items exist than were returned. */
  truncated: boolean;
  /** Pass as `after` (cursor styles) or `page` (page tokens) to continue; null when complete. */
  nextCursor: string | null;
  /** Why the walk stopped early, when it did. */
  stoppedBy: 'max_items' | 'max_pages' | 'repeated_cursor' | 'missing_cursor' | null;
}

interface Page<T> {
  data?: T[];
  has_more?: boolean;
  last_id?: string | null;
  next?: string | null;
  next_page?: string | null;
}

interface Getter {
  get<T>(path: string, query?: Query, signal?: AbortSignal, nextPage?: boolean): Promise<T>;
}

const DEFAULT_MAX_PAGES = 100;

/**
 * Walks pages and keeps the items. Cursor styles can stop mid-page, resuming from the last item
 * returned; page tokens (usage buckets) stop only at page boundaries, since a token cannot point
 * inside a page.
 */
export async function collectPages<T>(client: Getter, request: PageRequest): Promise<CollectResult<T>> {
  const maxItems = request.maxItems ?? Number.POSITIVE_INFINITY;
  const maxPages = request.maxPages ?? DEFAULT_MAX_PAGES;
  const cursorParam = request.style === 'page_token' ? 'page' : 'after';
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor = request.query?.[cursorParam] as string | undefined;
  let pages = 0;

  for (;;) {
    const page = await client.get<Page<T>>(request.path, { ...request.query, [cursorParam]: cursor }, request.signal, pages > 0);
    pages += 1;
    const data = page.data ?? [];
    const next = nextCursor(page, request.style, data);

    const room = maxItems - items.length;
    // Cutting mid-page needs the last kept item's ID to resume from; items without one keep the whole page.
    const resumeId = request.style !== 'page_token' && data.length > room ? idOf(data[room - 1]) : undefined;
    if (resumeId !== undefined) {
      items.push(...data.slice(0, room));
      return { items, pages, truncated: true, nextCursor: resumeId, stoppedBy: 'max_items' };
    }
    items.push(...data);

    if (!page.has_more) return { items, pages, truncated: false, nextCursor: null, stoppedBy: null };
    // More exists but the page gave nothing to continue from: say so rather than look complete.
    if (next === null) return { items, pages, truncated: true, nextCursor: null, stoppedBy: 'missing_cursor' };
    if (items.length >= maxItems) return { items, pages, truncated: true, nextCursor: next, stoppedBy: 'max_items' };
    if (pages >= maxPages) return { items, pages, truncated: true, nextCursor: next, stoppedBy: 'max_pages' };
    if (seen.has(next)) return { items, pages, truncated: true, nextCursor: next, stoppedBy: 'repeated_cursor' };
    seen.add(next);
    cursor = next;
  }
}

/** Items one at a time, fetching pages as the consumer asks for them. */
export async function* paginate<T>(client: Getter, request: PageRequest): AsyncGenerator<T> {
  const maxItems = request.maxItems ?? Number.POSITIVE_INFINITY;
  const maxPages = request.maxPages ?? DEFAULT_MAX_PAGES;
  const cursorParam = request.style === 'page_token' ? 'page' : 'after';
  const seen = new Set<string>();
  let cursor = request.query?.[cursorParam] as string | undefined;
  let count = 0;
  for (let pages = 1; ; pages++) {
    const page = await client.get<Page<T>>(request.path, { ...request.query, [cursorParam]: cursor }, request.signal, pages > 1);
    const data = page.data ?? [];
    for (const item of data) {
      if (count >= maxItems) return;
      count += 1;
      yield item;
    }
    const next = nextCursor(page, request.style, data);
    if (!page.has_more || next === null || pages >= maxPages || seen.has(next)) return;
    seen.add(next);
    cursor = next;
  }
}

function nextCursor<T>(page: Page<T>, style: PaginationStyle, data: T[]): string | null {
  switch (style) {
    case 'page_token':
      return page.next_page ?? null;
    case 'cursor_next':
      return page.next ?? idOf(data[data.length - 1]) ?? null;
    case 'cursor_id':
      return page.last_id ?? idOf(data[data.length - 1]) ?? null;
  }
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
