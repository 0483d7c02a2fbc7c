import { invalid } from './errors.js';
import type { QueryParams } from './params.js';

export interface LimitRule {
  default: number;
  min?: number;
  /** Omit where the API documents no maximum. */
  max?: number;
}

interface CursorOptions<T> {
  limit: LimitRule;
  /** Whether the endpoint takes `order` (asc|desc, default asc). */
  order?: boolean;
  idOf?: (item: T) => string;
}

/**
 * The `after` + `last_id` style: {object:"list", data, first_id, last_id, has_more}.
 * `items` must be in ascending creation order.
 */
export function cursorIdPage<T>(items: readonly T[], q: QueryParams, opts: CursorOptions<T>) {
  const { page, hasMore, idOf } = slice(items, q, opts);
  return {
    object: 'list' as const,
    data: page,
    first_id: page.length > 0 ? idOf(page[0] as T) : null,
    last_id: page.length > 0 ? idOf(page[page.length - 1] as T) : null,
    has_more: hasMore,
  };
}

/** The `after` + `next` style: {object:"list", data, has_more, next}. */
export function cursorNextPage<T>(items: readonly T[], q: QueryParams, opts: CursorOptions<T>) {
  const { page, hasMore, idOf } = slice(items, q, opts);
  return {
    object: 'list' as const,
    data: page,
    has_more: hasMore,
    next: hasMore && page.length > 0 ? idOf(page[page.length - 1] as T) : null,
  };
}

function slice<T>(items: readonly T[], q: QueryParams, opts: CursorOptions<T>) {
  const idOf = opts.idOf ?? ((item: T) => (item as { id: string }).id);
  const limit = q.int('limit', { min: opts.limit.min ?? 1, max: opts.limit.max, default: opts.limit.default }) as number;
  const order = opts.order ? q.enum('order', ['asc', 'desc'] as const, 'asc') : 'asc';
  const ordered = order === 'desc' ? [...items].reverse() : items;
  const after = q.string('after');
  let start = 0;
  if (after !== undefined) {
    const index = ordered.findIndex((item) => idOf(item) === after);
    if (index < 0) throw invalid('after', `Invalid 'after': no object with id '${after}' in this list.`);
    start = index + 1;
  }
  const page = ordered.slice(start, start + limit);
  return { page, hasMore: start + limit < ordered.length, idOf };
}
