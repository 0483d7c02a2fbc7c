import { describe, expect, it } from 'vitest';
import { AdminClient, CancelledError, mapLimited } from '../../src/client/index.js';
import { RequestGate } from '../../src/client/gate.js';
import { RateLimiter } from '../../src/sandbox/rate-limit.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY } from '../helpers.js';

describe('sandbox --rate-limit', () => {
  it('allows one second of requests at once, then answers with the wait until the next', () => {
    let now = 0;
    const limiter = new RateLimiter(600, () => now);
    for (let i = 0; i < 10; i++) expect(limiter.take().allowed).toBe(true);
    const refused = limiter.take();
    expect(refused).toMatchObject({ allowed: false, waitMs: 100 });
    expect(refused.headers).toMatchObject({ 'retry-after': '1', 'retry-after-ms': '100', 'x-ratelimit-limit-requests': '600' });
    now += 100;
    expect(limiter.take().allowed).toBe(true);
    expect(limiter.stats.limited).toBe(1);
  });

  it('answers over the limit with 429, Retry-After and the API error envelope, before processing', async () => {
    const sandbox = await startSandbox({ rateLimitRpm: 1 });
    try {
      const post = () =>
        fetch(`${sandbox.url}/organization/projects`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Rate test' }) });
      expect((await post()).status).toBe(200);
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('1');
      expect(await refused.json()).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded' } });
      expect([...sandbox.state.projects.values()].filter((p) => p.name === 'Rate test')).toHaveLength(1);
      expect(sandbox.rateLimit).toMatchObject({ limited: 1 });
    } finally {
      await sandbox.close();
    }
  });
});

describe('the client under a rate limit', () => {
  it('paces a fan-out to the announced limit: every request succeeds, none comes back before its Retry-After', async () => {
    const sandbox = await startSandbox({ rateLimitRpm: 6_000 });
    const client = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, maxRetries: 2 });
    try {
      const ids = [...sandbox.state.projects.keys()];
      const results = await mapLimited(Array.from({ length: 120 }, (_, i) => ids[i % ids.length] as string), 16, (id) => client.get<{ id: string }>(`/organization/projects/${id}`));
      expect(results).toHaveLength(120);
      // The first burst may meet the limit before the client has heard it; after that it paces itself.
      const limited = sandbox.requests.filter((r) => r.rateLimited).length;
      expect(limited).toBeLessThanOrEqual(16);
      expect(client.gate.stats.announcedRpm).toBe(6_000);
      expect(sandbox.rateLimit?.early).toBe(0);
    } finally {
      await client.close();
      await sandbox.close();
    }
  });

  it('halves its window on a 429 and holds every request until Retry-After has passed', async () => {
    let now = 0;
    const gate = new RequestGate({ maxConcurrency: 8, now: () => now });
    await Promise.all(Array.from({ length: 8 }, () => gate.acquire()));
    gate.release(429, 500, null);
    expect(gate.stats.concurrency).toBe(4);
    // The other seven come back fine: slots are free, but the Retry-After still holds.
    for (let i = 0; i < 7; i++) gate.release(200, null, null);
    let sent = false;
    const next = gate.acquire().then(() => (sent = true));
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(false);
    now = 500;
    await next;
    expect(sent).toBe(true);
  });

  it("lets a page walk's next page pass the requests queued behind it", async () => {
    let now = 0;
    const gate = new RequestGate({ maxConcurrency: 2, now: () => now });
    await Promise.all([gate.acquire(), gate.acquire()]);
    const order: string[] = [];
    const fanOut = Array.from({ length: 4 }, (_, i) => gate.acquire().then(() => order.push(`project ${i}`)));
    const nextPage = gate.acquire(undefined, true).then(() => order.push('next page'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    // One slot back: the page walk, queued last, goes first; then the fan-out in its order.
    gate.release(200, null, null);
    await nextPage;
    expect(order).toEqual(['next page']);
    for (let i = 0; i < 4; i++) gate.release(200, null, null);
    await Promise.all(fanOut);
    expect(order).toEqual(['next page', 'project 0', 'project 1', 'project 2', 'project 3']);
  });

  it('never sends a request whose caller cancelled just as the gate let it through', async () => {
    const sandbox = await startSandbox();
    const gate = new RequestGate({ maxConcurrency: 1 });
    const client = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, gate });
    try {
      // Warm the pool, so the waiter's only await after the gate is the pool's settled promise.
      await client.get('/organization/projects/' + [...sandbox.state.projects.keys()][0]);
      await gate.acquire();
      const controller = new AbortController();
      const waiting = client.get('/organization/users', undefined, controller.signal).then(
        () => 'sent',
        (error: unknown) => error,
      );
      await new Promise((r) => setImmediate(r));
      const from = sandbox.requests.length;
      // In one tick: the slot comes back (resolving the waiter), then the caller cancels.
      gate.release(200, null, null);
      controller.abort();
      const outcome = await waiting;
      expect(outcome).toBeInstanceOf(CancelledError);
      expect((outcome as CancelledError).mayHaveReachedServer).toBe(false);
      expect(sandbox.requests.slice(from)).toHaveLength(0);
      // Its slot was given back: the next request goes straight through.
      expect(await client.get<{ data: unknown[] }>('/organization/users', { limit: 1 })).toMatchObject({ data: [expect.anything()] });
      expect(gate.stats.waited).toBe(1);
    } finally {
      await client.close();
      await sandbox.close();
    }
  });
});
