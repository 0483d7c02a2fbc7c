import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, splitRange, type Bucket } from '../../src/client/index.js';
import { connectStdio, structured, text } from '../connect.js';
import { TEST_ADMIN_KEY } from '../helpers.js';
import { testHost } from '../host.js';
import { DAY, hostFor, ok, TODAY } from '../reports/support.js';

/*
 * A range walk whose window cannot finish paging (the API repeats a page cursor) behaves like a list
 * walk: what was read comes back, contiguous from the start, marked partial, with a warning and where
 * to continue. A loopback server stands in for the API: it answers usage and cost windows three
 * buckets a page, and for one window repeats its page cursor forever.
 */

const COSTS = '/organization/costs';
const COMPLETIONS = '/organization/usage/completions';
const START = TODAY - 400 * DAY;

let server: Server;
let client: AdminClient;
/** The start_time of the window whose cursor repeats; 0 for none. */
let stuckStart = 0;
let requests = 0;

function bucketsOf(path: string, start: number, end: number): Bucket[] {
  const out: Bucket[] = [];
  for (let at = Math.floor(start / DAY) * DAY; at < end; at += DAY) {
    const result = path === COSTS ? { object: 'organization.costs.result', amount: { value: 1, currency: 'usd' }, line_item: null, project_id: null } : { object: 'organization.usage.completions.result', input_tokens: 10, num_model_requests: 1 };
    out.push({ start_time: at, end_time: at + DAY, results: [result] });
  }
  return out;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/v1/, '');
    const start = Number(url.searchParams.get('start_time'));
    const end = Number(url.searchParams.get('end_time'));
    const offset = Number((url.searchParams.get('page') ?? 'o0').slice(1));
    const all = bucketsOf(path, start, end);
    const data = all.slice(offset, offset + 3);
    const more = offset + 3 < all.length;
    // The stuck window answers its second page with the same cursor it gave on the first.
    const next = more ? (start === stuckStart && offset > 0 ? `o${offset}` : `o${offset + 3}`) : null;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ object: 'page', data, has_more: more, next_page: next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('a range whose window repeats a cursor', () => {
  it('returns the buckets up to where the window stopped, marked partial, with where to continue', async () => {
    const windows = splitRange(COSTS, START, TODAY, '1d');
    expect(windows).toHaveLength(3);
    stuckStart = windows[1]?.start ?? -1;
    const { buckets, partial } = await client.range({ path: COSTS, start: START, end: TODAY });
    // The whole first window, then the two pages the second gave before its cursor repeated.
    expect(buckets).toHaveLength(180 + 6);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.start_time).toBe(buckets[i - 1]?.end_time);
    expect(partial).toMatchObject({ reason: 'repeated_cursor', next_start_time: stuckStart + 6 * DAY, window: windows[1], next_page: 'o3' });
    expect(partial?.warning).toMatch(/repeated a page cursor.*ask again from start_time \d+/);
  });

  it('without a stuck window the same range is complete and not partial', async () => {
    stuckStart = 0;
    const { buckets, partial } = await client.range({ path: COSTS, start: START, end: TODAY });
    expect(buckets).toHaveLength(400);
    expect(partial).toBeUndefined();
  });

  it('usage and costs tools with max_items return the partial page with next_start_time and a warning', async () => {
    const windows = splitRange(COMPLETIONS, START, TODAY, '1d');
    stuckStart = windows[2]?.start ?? -1;
    // This is about the range walk, so the result budget (issue 11) must not cut first.
    const host = testHost(client, { readOnly: true, maxResultTokens: 100_000_000 });
    const page = await ok<{ data: Bucket[]; has_more: boolean; partial: boolean; next_start_time: number; warning: string; note: string }>(host, 'usage_completions', {
      start_time: START,
      end_time: TODAY,
      max_items: 1000,
    });
    expect(page.data).toHaveLength(62 + 6);
    expect(page).toMatchObject({ has_more: true, partial: true, next_start_time: stuckStart + 6 * DAY });
    expect(page.warning).toMatch(/repeated a page cursor/);
    expect(page.note).toMatch(new RegExp(`start_time: ${stuckStart + 6 * DAY}`));

    // Continuing from next_start_time (the cursor fixed) gives the rest, with nothing missing or twice.
    stuckStart = 0;
    const rest = await ok<{ data: Bucket[]; has_more: boolean }>(host, 'usage_completions', { start_time: page.next_start_time, end_time: TODAY, max_items: 1000 });
    expect(rest.has_more).toBe(false);
    expect([...page.data, ...rest.data].map((b) => b.start_time)).toEqual(bucketsOf(COMPLETIONS, START, TODAY).map((b) => b.start_time));
  });

  it('spend_report and usage_report total what they read and say they are partial, and from when to continue', async () => {
    // spend_report reads costs in month-sized windows (31 buckets), fetched all at once.
    const windows = splitRange(COSTS, START, TODAY, '1d', 31);
    stuckStart = windows[1]?.start ?? -1;
    const host = hostFor(client);
    const spend = await ok<{ total_usd: number; partial: { warning: string; complete_until: string; next_start_time: number } }>(host, 'spend_report', { start: START, end: TODAY });
    expect(spend.total_usd).toBe(31 + 6);
    expect(spend.partial.next_start_time).toBe(stuckStart + 6 * DAY);
    expect(spend.partial.complete_until).toBe(`${new Date((stuckStart + 6 * DAY) * 1000).toISOString().slice(0, 16)}Z`);
    expect(spend.partial.warning).toMatch(/repeated a page cursor/);

    stuckStart = splitRange(COMPLETIONS, START, TODAY, '1d')[5]?.start ?? -1;
    const usage = await ok<{ totals: Record<string, number>; partial: { next_start_time: number } }>(host, 'usage_report', { start: START, end: TODAY });
    expect(usage.totals.num_model_requests).toBe(5 * 31 + 6);
    expect(usage.partial.next_start_time).toBe(stuckStart + 6 * DAY);

    stuckStart = 0;
    const whole = await ok<Record<string, unknown>>(host, 'spend_report', { start: START, end: TODAY });
    expect(whole.total_usd).toBe(400);
    expect(whole).not.toHaveProperty('partial');
  });

  it('over stdio, the SDK client accepts the partial report against its output schema', async () => {
    stuckStart = splitRange(COSTS, START, TODAY, '1d', 31)[1]?.start ?? -1;
    const server = await connectStdio(['--toolsets', 'reports', '--log-level', 'silent'], { OPENAI_ADMIN_KEY: TEST_ADMIN_KEY, OPENAI_BASE_URL: client.baseUrl });
    try {
      await server.client.listTools();
      // The Client validates structuredContent against the listed outputSchema and throws on a mismatch.
      const result = await server.client.callTool({ name: 'spend_report', arguments: { start: START, end: TODAY, daily: true } });
      expect(result.isError, text(result)).toBeFalsy();
      expect(structured<{ partial: { next_start_time: number } }>(result).partial.next_start_time).toBe(stuckStart + 6 * DAY);
    } finally {
      await server.close();
      stuckStart = 0;
    }
  });

  it('the loopback server was really asked (no test passes without requests)', () => {
    expect(requests).toBeGreaterThan(20);
  });
});
