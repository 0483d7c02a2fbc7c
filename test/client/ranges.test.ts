import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_SECONDS, RangeMergeError, bucketsPerPage, mapLimited, splitRange, type AdminClient, type Bucket, type BucketWidth, type Query } from '../../src/client/index.js';
import { checkContiguous, fetchRange } from '../../src/client/ranges.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient } from '../helpers.js';
import { testHost } from '../host.js';
import { compact } from '../../src/server/results/budget.js';
import { ToolHost } from '../../src/server/hosts/tool-host.js';
import { ok } from '../reports/support.js';

/** These tests are about max_items and range splitting, so the result budget must not cut first. */
function uncutHost(client: AdminClient): ToolHost {
  return testHost(client, { readOnly: true, maxResultTokens: 100_000_000 });
}

const DAY = 86_400;
const HOUR = 3_600;
/** A fixed clock: Monday 2026-11-23 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 23, 12) / 1000;
const TODAY = Math.floor(NOW / DAY) * DAY;
const COSTS = '/organization/costs';
const COMPLETIONS = '/organization/usage/completions';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  // Retries on (the default 2), quick backoff: the fault tests rely on them.
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 3, now: () => NOW }));
});
afterAll(() => close());

/** Buckets each window holds: from the aligned start of its first bucket to its end. */
const bucketsIn = (w: { start: number; end: number }, width: BucketWidth) =>
  Math.ceil((w.end - Math.floor(w.start / BUCKET_SECONDS[width]) * BUCKET_SECONDS[width]) / BUCKET_SECONDS[width]);

function expectTiling(windows: Array<{ start: number; end: number }>, start: number, end: number, path: string, width: BucketWidth): void {
  expect(windows[0]?.start).toBe(start);
  expect(windows.at(-1)?.end).toBe(end);
  for (let i = 1; i < windows.length; i++) {
    expect(windows[i]?.start).toBe(windows[i - 1]?.end);
    // Inner edges fall on bucket boundaries, so no bucket is split between two windows.
    expect((windows[i]?.start ?? 1) % BUCKET_SECONDS[width]).toBe(0);
  }
  for (const w of windows) {
    expect(w.end).toBeGreaterThan(w.start);
    expect(bucketsIn(w, width)).toBeLessThanOrEqual(bucketsPerPage(path, width));
  }
}

/** Query values of the recorded requests to `path` since `from`. */
function requestsTo(path: string, from: number) {
  return sandbox.requests.slice(from).filter((r) => r.path === path);
}
const startOf = (query: string) => Number(new URLSearchParams(query).get('start_time'));

/** The same range walked the plain way: one query, small pages, one after the other. */
async function sequential(path: string, start: number, end: number, width: BucketWidth, query: Query = {}): Promise<Bucket[]> {
  const result = await client.collect<Bucket>({
    path,
    query: { ...query, start_time: start, end_time: end, bucket_width: width, limit: 7 },
    style: 'page_token',
    maxPages: 1_000,
  });
  expect(result.truncated).toBe(false);
  return result.items;
}

/** Buckets as the tools return them: nulls and zero counters left out of the rows. */
function asTools(buckets: Bucket[]): Bucket[] {
  return compact({ data: buckets }, { zeroCountersInRows: true }).data as Bucket[];
}

function expectContiguous(buckets: Bucket[], start: number, count: number, width: BucketWidth): void {
  const span = BUCKET_SECONDS[width];
  expect(buckets).toHaveLength(count);
  expect(buckets[0]?.start_time).toBe(Math.floor(start / span) * span);
  for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.start_time).toBe(buckets[i - 1]?.end_time);
  for (const b of buckets) expect(b.end_time - b.start_time).toBe(span);
  expect(new Set(buckets.map((b) => b.start_time)).size).toBe(buckets.length);
}

describe('splitRange', () => {
  const start = TODAY - 365 * DAY;

  it('365 days of costs: three windows of at most 180 days', () => {
    const windows = splitRange(COSTS, start, TODAY, '1d');
    expect(windows).toHaveLength(3);
    expect(windows.map((w) => (w.end - w.start) / DAY)).toEqual([180, 180, 5]);
    expectTiling(windows, start, TODAY, COSTS, '1d');
  });

  it('365 days of costs in month-sized windows: smaller windows on request, never above a page', () => {
    const windows = splitRange(COSTS, start, TODAY, '1d', 31);
    expect(windows).toHaveLength(12);
    expect(windows.map((w) => (w.end - w.start) / DAY)).toEqual([31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 24]);
    expectTiling(windows, start, TODAY, COSTS, '1d');
    expect(splitRange(COSTS, start, TODAY, '1d', 1_000)).toHaveLength(3);
  });

  it('365 days of daily usage: twelve windows of at most 31 days', () => {
    const windows = splitRange(COMPLETIONS, start, TODAY, '1d');
    expect(windows).toHaveLength(12);
    expect(windows.map((w) => (w.end - w.start) / DAY)).toEqual([...Array<number>(11).fill(31), 24]);
    expectTiling(windows, start, TODAY, COMPLETIONS, '1d');
  });

  it('10 days hourly: two windows of at most 168 buckets', () => {
    const from = TODAY - 10 * DAY;
    const windows = splitRange(COMPLETIONS, from, TODAY, '1h');
    expect(windows).toHaveLength(2);
    expect(windows.map((w) => bucketsIn(w, '1h'))).toEqual([168, 72]);
    expectTiling(windows, from, TODAY, COMPLETIONS, '1h');
  });

  it('minute windows hold at most 1,440 buckets', () => {
    const from = TODAY - 3 * DAY - 17 * 60;
    const windows = splitRange(COMPLETIONS, from, TODAY, '1m');
    expect(windows).toHaveLength(4);
    expect(windows.map((w) => bucketsIn(w, '1m'))).toEqual([1440, 1440, 1440, 17]);
    expectTiling(windows, from, TODAY, COMPLETIONS, '1m');
  });

  it('an unaligned start and end: the first window keeps the start, inner edges stay aligned', () => {
    const from = TODAY - 40 * DAY + 5 * HOUR + 123;
    const to = TODAY - 2 * HOUR;
    const windows = splitRange(COMPLETIONS, from, to, '1d');
    expect(windows).toHaveLength(2);
    expect(windows.map((w) => bucketsIn(w, '1d'))).toEqual([31, 9]);
    expectTiling(windows, from, to, COMPLETIONS, '1d');
    const hourly = splitRange(COMPLETIONS, from, to, '1h');
    expectTiling(hourly, from, to, COMPLETIONS, '1h');
    expect(hourly.reduce((s, w) => s + bucketsIn(w, '1h'), 0)).toBe(Math.ceil((to - Math.floor(from / HOUR) * HOUR) / HOUR));
  });

  it('a short range is one window; an empty one is refused', () => {
    expect(splitRange(COSTS, TODAY - DAY, TODAY, '1d')).toEqual([{ start: TODAY - DAY, end: TODAY }]);
    expect(() => splitRange(COSTS, TODAY, TODAY, '1d')).toThrow(RangeError);
    expect(() => splitRange(COSTS, TODAY, TODAY - DAY, '1d')).toThrow(RangeError);
  });
});

describe('client.range', () => {
  const start = TODAY - 365 * DAY;

  it('365 days of costs: 365 contiguous buckets, one request per window, identical to a sequential walk', async () => {
    const windows = splitRange(COSTS, start, TODAY, '1d');
    const before = sandbox.requests.length;
    const { buckets, partial } = await client.range({ path: COSTS, query: { group_by: ['line_item'] }, start, end: TODAY });
    expect(partial).toBeUndefined();
    const sent = requestsTo(COSTS, before);
    expect(sent).toHaveLength(windows.length);
    expect(sent.map((r) => startOf(r.query)).sort((a, b) => a - b)).toEqual(windows.map((w) => w.start));
    expectContiguous(buckets, start, 365, '1d');
    expect(buckets.some((b) => b.results.length > 0)).toBe(true);
    expect(buckets).toEqual(await sequential(COSTS, start, TODAY, '1d', { group_by: ['line_item'] }));
  });

  it('365 days of daily usage: 365 contiguous buckets over twelve windows, identical to a sequential walk', async () => {
    const windows = splitRange(COMPLETIONS, start, TODAY, '1d');
    const before = sandbox.requests.length;
    const { buckets } = await client.range({ path: COMPLETIONS, query: { group_by: ['model'] }, start, end: TODAY });
    const sent = requestsTo(COMPLETIONS, before);
    expect(sent).toHaveLength(12);
    expect(sent.map((r) => startOf(r.query)).sort((a, b) => a - b)).toEqual(windows.map((w) => w.start));
    expectContiguous(buckets, start, 365, '1d');
    expect(buckets).toEqual(await sequential(COMPLETIONS, start, TODAY, '1d', { group_by: ['model'] }));
  });

  it('hourly and unaligned ranges merge without duplicates at the window edges', async () => {
    const from = TODAY - 9 * DAY + 30 * 60;
    const { buckets } = await client.range({ path: COMPLETIONS, start: from, end: TODAY, width: '1h' });
    expectContiguous(buckets, from, 9 * 24, '1h');
    expect(buckets).toEqual(await sequential(COMPLETIONS, from, TODAY, '1h'));
  });

  it('windows are fetched concurrently, never more than the limit at once', async () => {
    let inFlight = 0;
    let most = 0;
    const counting = {
      get: async <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          return await client.get<T>(path, query, signal);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const { buckets } = await fetchRange(counting, { path: COMPLETIONS, start, end: TODAY, concurrency: 4 });
    expect(most).toBe(4);
    expect(inFlight).toBe(0);
    expectContiguous(buckets, start, 365, '1d');

    most = 0;
    await fetchRange(counting, { path: COMPLETIONS, start, end: TODAY, concurrency: 2 });
    expect(most).toBe(2);
  });

  it.each(['503', '429', 'reset'] as const)('a %s in the windows is retried and the merged result is unchanged', async (kind) => {
    const clean = await client.range({ path: COSTS, query: { group_by: ['project_id'] }, start, end: TODAY });
    const windows = splitRange(COSTS, start, TODAY, '1d').length;
    const before = sandbox.requests.length;
    sandbox.fault({ kind, method: 'GET', pathPrefix: COSTS, times: 2 });
    const faulty = await client.range({ path: COSTS, query: { group_by: ['project_id'] }, start, end: TODAY });
    const sent = requestsTo(COSTS, before);
    expect(sent.filter((r) => r.fault === kind)).toHaveLength(2);
    expect(sent).toHaveLength(windows + 2);
    expect(faulty).toEqual(clean);
  });

  it('a window that keeps failing fails the whole range rather than leaving a gap', async () => {
    sandbox.fault({ kind: '503', method: 'GET', pathPrefix: COSTS, times: 3 });
    await expect(client.range({ path: COSTS, start: TODAY - 30 * DAY, end: TODAY })).rejects.toMatchObject({ status: 503 });
  });
});

describe('checkContiguous', () => {
  const b = (start: number, end = start + DAY): Bucket => ({ start_time: start, end_time: end, results: [] });

  it('accepts buckets that follow one another', () => {
    expect(() => checkContiguous([b(0), b(DAY), b(2 * DAY)], DAY)).not.toThrow();
    expect(() => checkContiguous([], DAY)).not.toThrow();
  });

  it('throws RangeMergeError on a gap', () => {
    expect(() => checkContiguous([b(0), b(2 * DAY)], DAY)).toThrow(RangeMergeError);
    expect(() => checkContiguous([b(0), b(2 * DAY)], DAY)).toThrow(/gap/);
  });

  it('throws RangeMergeError on an overlap and on a duplicate at a window edge', () => {
    expect(() => checkContiguous([b(0), b(DAY / 2)], DAY)).toThrow(/overlap/);
    expect(() => checkContiguous([b(0), b(DAY), b(DAY)], DAY)).toThrow(RangeMergeError);
  });

  it('throws on a bucket wider than the width', () => {
    expect(() => checkContiguous([b(0), b(DAY, 3 * DAY)], DAY)).toThrow(RangeMergeError);
  });
});

describe('mapLimited', () => {
  /** Yields to the event loop `n` times. */
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it.each([1, 3, 4, 10])('never runs more than %i at once and keeps the input order', async (limit) => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 12 }, (_, i) => i);
    const out = await mapLimited(items, limit, async (item, index) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await ticks(((index * 7) % 5) + 1);
      inFlight -= 1;
      return item * 10;
    });
    expect(out).toEqual(items.map((i) => i * 10));
    expect(most).toBe(Math.min(limit, items.length));
  });

  it('runs every item once, handles an empty list, and treats a limit below 1 as 1', async () => {
    const seen: number[] = [];
    await mapLimited([1, 2, 3], 0, async (i) => {
      seen.push(i);
      return i;
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(await mapLimited([], 4, async () => 1)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The endpoint tools with max_items use range splitting

interface BucketPage {
  data: Bucket[];
  has_more: boolean;
  next_start_time?: number;
}

describe('usage tools with max_items', () => {
  const end = TODAY;

  it('100 daily buckets of completions come back complete and contiguous, one request per window', async () => {
    const host = uncutHost(client);
    const start = end - 100 * DAY;
    const before = sandbox.requests.length;
    const page = await ok<BucketPage>(host, 'usage_completions', { start_time: start, end_time: end, group_by: ['model'], max_items: 100 });
    const sent = requestsTo(COMPLETIONS, before);
    const windows = splitRange(COMPLETIONS, start, end, '1d');
    expect(windows).toHaveLength(4);
    expect(sent).toHaveLength(windows.length);
    expect(sent.map((r) => startOf(r.query)).sort((a, b) => a - b)).toEqual(windows.map((w) => w.start));
    expect(page.has_more).toBe(false);
    expect(page.next_start_time).toBeUndefined();
    expectContiguous(page.data, start, 100, '1d');
    expect(page.data).toEqual(asTools(await sequential(COMPLETIONS, start, end, '1d', { group_by: ['model'] })));
  });

  it('365 days of costs in one call: three windows', async () => {
    const host = uncutHost(client);
    const start = end - 365 * DAY;
    const before = sandbox.requests.length;
    const page = await ok<BucketPage>(host, 'usage_costs', { start_time: start, end_time: end, max_items: 1000 });
    expect(requestsTo(COSTS, before)).toHaveLength(3);
    expectContiguous(page.data, start, 365, '1d');
    expect(page.data).toEqual(asTools(await sequential(COSTS, start, end, '1d')));
  });

  it.each([
    ['aligned', 0],
    ['unaligned', 5 * HOUR + 17],
  ])('a cut-short result (%s start) gives next_start_time that continues exactly', async (_label, offset) => {
    const host = uncutHost(client);
    const start = end - 100 * DAY + offset;
    const full = await sequential(COMPLETIONS, start, end, '1d', { group_by: ['project_id'] });
    expect(full).toHaveLength(100);

    const before = sandbox.requests.length;
    const first = await ok<BucketPage>(host, 'usage_completions', { start_time: start, end_time: end, group_by: ['project_id'], max_items: 40 });
    expect(requestsTo(COMPLETIONS, before)).toHaveLength(2);
    expect(first.data).toHaveLength(40);
    expect(first.has_more).toBe(true);
    expect(first.next_start_time).toBe(first.data.at(-1)?.end_time);

    const second = await ok<BucketPage>(host, 'usage_completions', { start_time: first.next_start_time, end_time: end, group_by: ['project_id'], max_items: 40 });
    expect(second.data).toHaveLength(40);
    expect(second.has_more).toBe(true);
    const third = await ok<BucketPage>(host, 'usage_completions', { start_time: second.next_start_time, end_time: end, group_by: ['project_id'], max_items: 40 });
    expect(third.data).toHaveLength(20);
    expect(third.has_more).toBe(false);
    expect(third.next_start_time).toBeUndefined();

    const joined = [...first.data, ...second.data, ...third.data];
    expectContiguous(joined, start, 100, '1d');
    expect(joined).toEqual(asTools(full));
  });

  it('hourly buckets with max_items: windows of 168, cut exactly', async () => {
    const host = uncutHost(client);
    const start = end - 10 * DAY;
    const before = sandbox.requests.length;
    const page = await ok<BucketPage>(host, 'usage_completions', { start_time: start, end_time: end, bucket_width: '1h', max_items: 200 });
    expect(requestsTo(COMPLETIONS, before)).toHaveLength(2);
    expectContiguous(page.data, start, 200, '1h');
    expect(page.next_start_time).toBe(start + 200 * HOUR);
    const rest = await ok<BucketPage>(host, 'usage_completions', { start_time: page.next_start_time, end_time: end, bucket_width: '1h', max_items: 200 });
    expect([...page.data, ...rest.data]).toEqual(asTools(await sequential(COMPLETIONS, start, end, '1h')));
  });
});
