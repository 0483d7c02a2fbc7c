import { collectPages } from './pagination.js';
import type { Query } from './query.js';

/*
 * Range splitting (README, "Reports"). A usage or costs query over a long range is cut into windows that
 * each fit one page, the windows are fetched concurrently, and the buckets are merged in time order
 * and checked for gaps and overlaps. One page of costs holds 180 daily buckets; usage holds 31 daily,
 * 168 hourly or 1,440 minute buckets.
 */

export type BucketWidth = '1d' | '1h' | '1m';

export interface Bucket {
  start_time: number;
  end_time: number;
  results: unknown[];
}

export const BUCKET_SECONDS: Record<BucketWidth, number> = { '1d': 86_400, '1h': 3_600, '1m': 60 };

/** The most buckets one page can hold for this endpoint and width. */
export function bucketsPerPage(path: string, width: BucketWidth): number {
  if (path.endsWith('/costs')) return 180;
  return { '1d': 31, '1h': 168, '1m': 1_440 }[width];
}

export interface RangeRequest {
  path: string;
  /** Filters and group_by; start, end, width and paging are set here. */
  query?: Query;
  start: number;
  end: number;
  width?: BucketWidth;
  /** Windows fetched at once. Default 4. */
  concurrency?: number;
  /** Buckets per window, at most one page's worth. Default a full page. */
  windowBuckets?: number;
  signal?: AbortSignal;
  /** Told how many windows are planned, then of each one fetched (progress notifications). */
  progress?: WindowProgress;
}

export interface WindowProgress {
  plan(windows: number): void;
  done(): void;
}

export interface Window {
  start: number;
  end: number;
}

interface Getter {
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
}

/** Window edges on bucket boundaries, each window no more than one page of buckets. */
export function splitRange(path: string, start: number, end: number, width: BucketWidth, windowBuckets?: number): Window[] {
  if (!(end > start)) throw new RangeError(`the range is empty: end (${end}) must be after start (${start})`);
  const span = BUCKET_SECONDS[width];
  const first = Math.floor(start / span) * span;
  const step = span * Math.max(1, Math.min(windowBuckets ?? Number.POSITIVE_INFINITY, bucketsPerPage(path, width)));
  const windows: Window[] = [];
  for (let at = first; at < end; at += step) windows.push({ start: at === first ? start : at, end: Math.min(at + step, end) });
  return windows;
}

export class RangeMergeError extends Error {
  override readonly name = 'RangeMergeError';
}

/** Why a range walk stopped early, and where to continue: what a list walk's cursor is to a list. */
export interface RangePartial {
  reason: 'repeated_cursor' | 'max_pages' | 'missing_cursor';
  /** The buckets returned cover [start, next_start_time): ask again from here for the rest. */
  next_start_time: number;
  /** The window whose paging stopped early. */
  window: Window;
  /** The API's page token for the rest of that window (valid only with the window's own start and end). */
  next_page: string | null;
  /** One sentence for a person: what happened and how to continue. */
  warning: string;
}

export interface RangeResult {
  /** Contiguous buckets from the start: all of [start, end), or up to `partial.next_start_time`. */
  buckets: Bucket[];
  /** Present when a window did not finish paging: the buckets stop where it stopped. */
  partial?: RangePartial;
}

const STOPPED: Record<RangePartial['reason'], string> = {
  repeated_cursor: 'the API repeated a page cursor',
  max_pages: 'the window needed more pages than the cap',
  missing_cursor: 'the API said more pages exist but gave no cursor',
};

/**
 * Every bucket in [start, end), fetched window by window in parallel and merged in order. A window
 * that cannot finish paging (a repeated cursor, say) does not fail the call, as it does not fail a
 * list walk: the result keeps every bucket up to where that window stopped, contiguous from the
 * start, and says where to continue. Buckets of later windows are left out, since they would leave
 * a gap. Errors from the API still fail the call.
 */
export async function fetchRange(client: Getter, request: RangeRequest): Promise<RangeResult> {
  const width = request.width ?? '1d';
  const span = BUCKET_SECONDS[width];
  const windows = splitRange(request.path, request.start, request.end, width, request.windowBuckets);
  request.progress?.plan(windows.length);
  const perWindow = await mapLimited(windows, request.concurrency ?? 4, async (window) => {
    const page = await collectPages<Bucket>(client, {
      path: request.path,
      query: { ...request.query, start_time: window.start, end_time: window.end, bucket_width: width, limit: bucketsPerPage(request.path, width) },
      style: 'page_token',
      // A window is sized to one page; more pages mean the API answered smaller pages, which is fine.
      maxPages: 64,
      signal: request.signal,
    });
    request.progress?.done();
    return page;
  });
  const buckets: Bucket[] = [];
  for (const [index, page] of perWindow.entries()) {
    buckets.push(...page.items);
    if (!page.truncated) continue;
    checkContiguous(buckets, span);
    const window = windows[index] as Window;
    const reason = (page.stoppedBy ?? 'missing_cursor') as RangePartial['reason'];
    const next = buckets.at(-1)?.end_time ?? window.start;
    const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
    return {
      buckets,
      partial: {
        reason,
        next_start_time: next,
        window,
        next_page: page.nextCursor,
        warning: `Incomplete: ${STOPPED[reason]} while reading ${iso(window.start)} to ${iso(window.end)}, so the results stop at ${iso(next)}; ask again from start_time ${next} for the rest.`,
      },
    };
  }
  checkContiguous(buckets, span);
  return { buckets };
}

/** Buckets must follow one another exactly: no gap, no overlap, no duplicate at a window edge. */
export function checkContiguous(buckets: readonly Bucket[], span: number): void {
  for (let i = 1; i < buckets.length; i++) {
    const previous = buckets[i - 1] as Bucket;
    const current = buckets[i] as Bucket;
    if (current.start_time !== previous.end_time) {
      const kind = current.start_time > previous.end_time ? 'gap' : 'overlap';
      throw new RangeMergeError(`merged buckets have a ${kind} between ${previous.end_time} and ${current.start_time}`);
    }
    if (current.end_time - current.start_time > span) throw new RangeMergeError(`a bucket at ${current.start_time} is wider than ${span} s`);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the input order in the output. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  // Once one item fails the whole call fails: the other workers start nothing new.
  let failed = false;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        out[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return out;
}
