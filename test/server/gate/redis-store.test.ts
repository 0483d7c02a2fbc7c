import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createClient } from '@redis/client';
import { parseConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { LockBusyError, StoreUnavailableError } from '../../../src/server/gate/confirmation-store.js';
import { COMMAND_TIMEOUT_MS, LOCK_TTL_MS, LOCK_WAIT_MS, RedisConfirmationStore } from '../../../src/server/gate/redis-store.js';
import { startRedis, type RedisServer } from '../../../bench/redis-server.js';
import { describeNeeding } from '../../prerequisites.js';
import { until } from '../../wait.js';

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

/** The Redis key of a lock, as the store names it. */
const lockKey = (key: string) => `openai-admin-mcp:lock:${createHash('sha256').update(key).digest('base64url')}`;

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

  it('a waiter gives up after its lock wait (lockWaitMs), saying how long the lock has left', async () => {
    const a = await openStore();
    const b = new RedisConfirmationStore({ url: redis.url, logger, lockWaitMs: 1_000 });
    stores.push(b);
    await until(async () => (await b.epoch().catch(() => undefined)) !== undefined);
    const held = await a.lock('key-busy');
    const error = await b.lock('key-busy').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockBusyError);
    expect((error as Error).message).toMatch(/^another confirmation of this target has held its lock for over 1 s \(it frees itself within [1-6] s at most\)/);
    held.release();
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
    const error = await store.claim('nonce-down', 60_000, 'any').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`the confirmation store redis://127\\.0\\.0\\.1:${redis.port} cannot be reached`));
    // Refused at once, from the connection's state: no command was sent to wait out a deadline.
    expect((error as Error).message).not.toMatch(/no answer within/);
    await expect(store.lock('key-down')).rejects.toThrow(/cannot be reached/);
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

  it('a command Redis takes but never answers (paused) is refused at its 2 s deadline; the late answer is dropped', async () => {
    const store = await openStore();
    const epoch = await store.epoch();
    redis.pause(); // the socket still takes the bytes: only a deadline of our own can end the wait
    // Controlled time: only the deadline's timer is faked, the socket and Redis run for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const outcome = store.claim('nonce-paused', 60_000, epoch).then(
        (claim) => claim,
        (e: unknown) => e,
      );
      void outcome.finally(() => (settled = true));
      await vi.advanceTimersByTimeAsync(COMMAND_TIMEOUT_MS - 1);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toBe(`the confirmation store redis://127.0.0.1:${redis.port} cannot be reached (no answer within 2 s)`);
    } finally {
      vi.useRealTimers();
      redis.resume();
    }
    // Redis ran the claim once thawed: the token is used up (fails closed), and each later command
    // still gets its own answer, not the dropped one.
    expect(await store.claim('nonce-paused', 60_000, epoch)).toBe('used');
    expect(await store.epoch()).toBe(epoch);
    expect(await store.claim('nonce-after-pause', 60_000, epoch)).toBe('claimed');
  });

  it('a lock whose holder process dies (SIGKILL) is renewed no more and frees itself within 6 s', async () => {
    // The holder: the built store in a process of its own, killed while it holds the lock.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { RedisConfirmationStore } = await import('./dist/src/server/gate/redis-store.js');
         const { createLogger } = await import('./dist/src/log.js');
         const store = new RedisConfirmationStore({ url: process.argv[1], logger: createLogger({ level: 'silent' }) });
         while (!(await store.epoch().catch(() => undefined))) await new Promise((r) => setTimeout(r, 10));
         await store.lock('key-dies');
         process.stdout.write('held\\n');
         setInterval(() => {}, 60_000);`,
        redis.url,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(holder.stdout, 'data');
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const key = lockKey('key-dies');
      // Alive, the holder renews it: its time left goes back up, and never past LOCK_TTL_MS.
      const first = await raw.pTTL(key);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(LOCK_TTL_MS);
      let renewed = first;
      await until(async () => (renewed = await raw.pTTL(key)) > first);
      expect(renewed).toBeLessThanOrEqual(LOCK_TTL_MS);

      const deadToken = await raw.get(key);
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      // Dead, nobody renews it: Redis counts it down from at most LOCK_TTL_MS and deletes it at 0.
      const look = async () => (await raw.sendCommand(['EVAL', "return {redis.call('get', KEYS[1]), redis.call('pttl', KEYS[1])}", '1', key])) as [string | null, number];
      const [, atDeath] = await look();
      expect(atDeath).toBeGreaterThan(0);
      expect(atDeath).toBeLessThanOrEqual(LOCK_TTL_MS);
      const waiter = await openStore();
      let taken = false;
      const waiting = waiter.lock('key-dies').then((held) => {
        taken = true;
        return held;
      });
      const left: number[] = [];
      let takenWhileHeld = false;
      await until(async () => {
        const [value, ttl] = await look();
        if (value !== deadToken) return taken;
        left.push(ttl);
        // While the dead holder's key lives the waiter cannot have the lock.
        if (taken) takenWhileHeld = true;
        return false;
      });
      expect(takenWhileHeld).toBe(false);
      // Only ever counting down: no renewal after the death.
      expect(left.length).toBeGreaterThan(0);
      expect(left).toEqual([...left].sort((a, b) => b - a));
      expect(left.every((ttl) => ttl <= atDeath)).toBe(true);
      const held = await waiting;
      const [now] = await look();
      expect(now).not.toBeNull();
      expect(now).not.toBe(deadToken); // the waiter's own lock now
      held.release();
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
      await raw.close();
    }
  });
});

it('--store-lock-wait (OPENAI_ADMIN_MCP_STORE_LOCK_WAIT) sets the lock wait in seconds, 30 by default, 1 to 600, with --store only', () => {
  const store = ['--store', 'redis://127.0.0.1:6379'];
  expect(parseConfig(store, {}).storeLockWaitMs).toBe(LOCK_WAIT_MS);
  expect(LOCK_WAIT_MS).toBe(30_000);
  expect(parseConfig([...store, '--store-lock-wait', '5'], {}).storeLockWaitMs).toBe(5_000);
  expect(parseConfig(store, { OPENAI_ADMIN_MCP_STORE_LOCK_WAIT: '7' }).storeLockWaitMs).toBe(7_000);
  expect(parseConfig([...store, '--store-lock-wait', '9'], { OPENAI_ADMIN_MCP_STORE_LOCK_WAIT: '7' }).storeLockWaitMs).toBe(9_000);
  for (const value of ['0', '601', '2.5', 'soon']) {
    expect(() => parseConfig([...store, '--store-lock-wait', value], {})).toThrow(/--store-lock-wait expects a whole number from 1 to 600/);
  }
  expect(() => parseConfig(['--store-lock-wait', '5'], {})).toThrow('--store-lock-wait (OPENAI_ADMIN_MCP_STORE_LOCK_WAIT) applies only with --store (OPENAI_ADMIN_MCP_STORE).');
});
