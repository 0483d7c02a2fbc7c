import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { StoreUnavailableError } from '../../src/server/gate/confirmation-store.js';
import { LOCK_TTL_MS, RedisConfirmationStore } from '../../src/server/gate/redis-store.js';
import { startRedis, type RedisServer } from '../../bench/redis-server.js';
import { describeNeeding } from '../prerequisites.js';

const describe = describeNeeding('redis-server');

/*
 * The Redis confirmation store against a real redis-server. Three store instances stand for three
 * replicas: each has its own connection, so only Redis can make them agree.
 */

let redis: RedisServer;
const stores: RedisConfirmationStore[] = [];
const logger = createLogger({ level: 'silent' });

async function openStore(): Promise<RedisConfirmationStore> {
  const store = new RedisConfirmationStore({ url: redis.url, logger });
  stores.push(store);
  await until(async () => (await store.epoch().catch(() => undefined)) !== undefined);
  return store;
}

/** Polls a condition; the test's own timeout bounds it, so no fixed wait is assumed. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis?.stop();
});

describe('the Redis confirmation store', () => {
  it('lets exactly one of many concurrent claims through, across separate connections', async () => {
    const replicas = await Promise.all([openStore(), openStore(), openStore()]);
    const epochs = await Promise.all(replicas.map((r) => r.epoch()));
    expect(new Set(epochs).size).toBe(1); // written once, by whichever came first
    const epoch = epochs[0] as string;
    for (let round = 0; round < 20; round++) {
      const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => (replicas[i % 3] as RedisConfirmationStore).claim(`nonce-${round}`, 60_000, epoch)));
      expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    }
    expect(await replicas[1]?.claim('nonce-0', 60_000, epoch)).toBe('used');
  });

  it('holds a key for one holder at a time across connections, and keys do not block each other', async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    if (!a || !b) throw new Error('stores');
    const heldA = await a.lock('GET /organization/projects/proj_1');
    let bHolds = false;
    const waitingB = b.lock('GET /organization/projects/proj_1').then((held) => {
      bHolds = true;
      return held;
    });
    const other = await b.lock('GET /organization/projects/proj_2'); // not blocked
    other.release();
    // B cannot have the lock while A holds it: A's SET NX is in Redis.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bHolds).toBe(false);
    heldA.release();
    const heldB = await waitingB;
    expect(bHolds).toBe(true);
    heldB.release();
  });

  it('a waiter whose call is cancelled stops waiting and takes nothing', async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    if (!a || !b) throw new Error('stores');
    const held = await a.lock('key-abort');
    const controller = new AbortController();
    const waiting = b.lock('key-abort', controller.signal);
    controller.abort(new Error('cancelled by the client'));
    await expect(waiting).rejects.toThrow(/cancelled by the client/);
    held.release();
    // Free again: the aborted waiter never took it.
    const again = await a.lock('key-abort');
    again.release();
  });

  it('a release deletes only its own lock (compare-and-delete), never the next holder’s', async () => {
    const a = await openStore();
    const held = await a.lock('key-owned');
    // Another holder's value, as after A's lock had expired and B taken it.
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const keys = await raw.keys('openai-admin-mcp:lock:*');
    expect(keys).toHaveLength(1);
    await raw.set(keys[0] as string, 'someone-else', { PX: 60_000 });
    expect(await held.keepFor(60_000)).toBe(false); // not A's any more: A must not send
    held.release();
    // The release went out on A's connection; a later command on that connection runs after it.
    await a.epoch();
    expect(await raw.get(keys[0] as string)).toBe('someone-else');
    await raw.del(keys[0] as string);
    await raw.close();
  });

  it('fails closed while Redis is down, with a clear error, and recovers when it is back', async () => {
    const store = await openStore();
    await redis.stop();
    const started = performance.now();
    const error = await store.claim('nonce-down', 60_000, 'any').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`the confirmation store redis://127\\.0\\.0\\.1:${redis.port} cannot be reached`));
    await expect(store.lock('key-down')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(10_000); // refused, not hung
    await redis.start();
    await until(async () => (await store.epoch().catch(() => undefined)) !== undefined);
  });

  it('a store that lost its data has a new epoch, and refuses claims under the old one', async () => {
    const store = await openStore();
    const before = await store.epoch();
    expect(await store.claim('nonce-epoch', 60_000, before)).toBe('claimed');
    await redis.stop();
    await redis.start(); // empty
    await until(async () => (await store.epoch().catch(() => undefined)) !== undefined);
    const after = await store.epoch();
    expect(after).not.toBe(before);
    expect(await store.claim('nonce-epoch', 60_000, before)).toBe('stale_epoch'); // would replay without the epoch
    expect(await store.claim('nonce-epoch', 60_000, after)).toBe('claimed');
  });

  it('keepFor proves ownership and keeps the lock past its usual lifetime; a lock gone mid-request is taken again', async () => {
    const store = await openStore();
    const held = await store.lock('key-keep');
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const [key] = await raw.keys('openai-admin-mcp:lock:*');
    expect(await raw.pTTL(key as string)).toBeLessThanOrEqual(LOCK_TTL_MS);
    expect(await held.keepFor(600_000)).toBe(true);
    expect(await raw.pTTL(key as string)).toBeGreaterThan(LOCK_TTL_MS * 10);
    // The store loses the key while the request it guards is in flight: the holder puts it back.
    await raw.del(key as string);
    await until(async () => (await raw.exists(key as string)) === 1);
    expect(await raw.pTTL(key as string)).toBeGreaterThan(LOCK_TTL_MS * 10);
    held.release();
    await until(async () => (await raw.exists(key as string)) === 0);
    await raw.close();
  });
});
