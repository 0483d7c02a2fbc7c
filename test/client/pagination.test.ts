import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient, TEST_ADMIN_KEY } from '../helpers.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 5 }));
});
afterAll(() => close());

describe('walking every page returns every object exactly once', () => {
  it('cursor style after + last_id (users)', async () => {
    const result = await client.collect<{ id: string }>({ path: '/organization/users', query: { limit: 4 }, style: 'cursor_id' });
    const ids = result.items.map((u) => u.id);
    expect(ids).toEqual([...sandbox.state.users.keys()]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(result.pages).toBe(Math.ceil(ids.length / 4));
    expect(result.truncated).toBe(false);
  });

  it('cursor style after + next (groups)', async () => {
    const all: string[] = [];
    for await (const group of client.paginate<{ id: string }>({ path: '/organization/groups', query: { limit: 2 }, style: 'cursor_next' })) {
      all.push(group.id);
    }
    expect(all).toEqual([...sandbox.state.groups.keys()]);
    expect(all.length).toBeGreaterThan(2);
  });

  it('page tokens page + next_page (costs buckets)', async () => {
    const end = sandbox.state.anchor;
    const start = end - 20 * 86_400;
    const result = await client.collect<{ start_time: number; end_time: number }>({
      path: '/organization/costs',
      query: { start_time: start, end_time: end, limit: 3 },
      style: 'page_token',
    });
    expect(result.items.map((b) => b.start_time)).toEqual(Array.from({ length: 20 }, (_, i) => start + i * 86_400));
    expect(result.pages).toBe(7);
  });
});

describe('caps', () => {
  it('max_items cuts mid-page and gives the cursor to resume from', async () => {
    const first = await client.collect<{ id: string }>({ path: '/organization/users', query: { limit: 4 }, style: 'cursor_id', maxItems: 6 });
    expect(first.items).toHaveLength(6);
    expect(first.truncated).toBe(true);
    expect(first.stoppedBy).toBe('max_items');
    const rest = await client.collect<{ id: string }>({ path: '/organization/users', query: { limit: 4, after: first.nextCursor ?? undefined }, style: 'cursor_id' });
    expect([...first.items, ...rest.items].map((u) => u.id)).toEqual([...sandbox.state.users.keys()]);
  });

  it('max_pages stops a has_more that never ends', async () => {
    let served = 0;
    const endless: Server = createServer((_req, res) => {
      served += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data: [{ id: `obj_${served}` }], has_more: true, last_id: `obj_${served}` }));
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}/v1`;
    const endlessClient = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: url });
    const result = await endlessClient.collect({ path: '/organization/users', style: 'cursor_id', maxPages: 5 });
    expect(result.pages).toBe(5);
    expect(served).toBe(5);
    expect(result.truncated).toBe(true);
    expect(result.stoppedBy).toBe('max_pages');
    let streamed = 0;
    for await (const _ of endlessClient.paginate({ path: '/organization/users', style: 'cursor_id', maxPages: 3 })) streamed += 1;
    expect(streamed).toBe(3);
    await endlessClient.close();
    await new Promise((resolve) => endless.close(resolve));
  });

  it('a cursor that repeats stops the walk', async () => {
    const stuck: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'same' }], has_more: true, next: 'same' }));
    });
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/v1`;
    const stuckClient = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: url });
    const result = await stuckClient.collect({ path: '/organization/groups', style: 'cursor_next' });
    expect(result.stoppedBy).toBe('repeated_cursor');
    expect(result.pages).toBe(2);
    await stuckClient.close();
    await new Promise((resolve) => stuck.close(resolve));
  });
});

describe('a page that says has_more but gives no cursor', () => {
  it('is reported as cut short, not complete', async () => {
    const odd: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data: [], has_more: true, last_id: null }));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const oddClient = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: `http://127.0.0.1:${(odd.address() as AddressInfo).port}/v1` });
    const result = await oddClient.collect({ path: '/organization/users', style: 'cursor_id' });
    expect(result.truncated).toBe(true);
    expect(result.stoppedBy).toBe('missing_cursor');
    await oddClient.close();
    await new Promise((resolve) => odd.close(resolve));
  });
});
