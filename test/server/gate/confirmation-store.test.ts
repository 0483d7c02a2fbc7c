import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/client/index.js';
import { MEMORY_EPOCH, MemoryConfirmationStore, type ConfirmationStore } from '../../../src/server/gate/confirmation-store.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { TEST_ADMIN_KEY, sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { structured, text } from '../../connect.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 94 }));
});
afterAll(() => close());

const hostWith = (store: ConfirmationStore) =>
  testHost(client, { confirmSecret: 'store-test-secret-0123456789', confirmationStore: store });
let serial = 0;
const newProject = async () => (await client.post<{ id: string }>('/organization/projects', { name: `Store project ${++serial}` })).id;
const archives = (id: string) => sandbox.requests.filter((r) => r.method === 'POST' && r.path === `/organization/projects/${id}/archive`).length;

describe('the in-memory confirmation store', () => {
  it('lets exactly one of many concurrent claims of a nonce through', async () => {
    const store = new MemoryConfirmationStore();
    const claims = await Promise.all(Array.from({ length: 50 }, () => store.claim('nonce-1', 60_000, MEMORY_EPOCH)));
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(await store.claim('nonce-1', 60_000, MEMORY_EPOCH)).toBe('used');
    expect(await store.claim('nonce-2', 60_000, MEMORY_EPOCH)).toBe('claimed');
    expect(await store.claim('nonce-3', 60_000, 'another-epoch')).toBe('stale_epoch');
  });

  it('forgets a nonce only after its time is up', async () => {
    let now = 1_000;
    const store = new MemoryConfirmationStore(() => now);
    expect(await store.claim('n', 500, MEMORY_EPOCH)).toBe('claimed');
    now = 1_500;
    expect(await store.claim('n', 500, MEMORY_EPOCH)).toBe('used');
    now = 1_501;
    expect(await store.claim('n', 500, MEMORY_EPOCH)).toBe('claimed');
  });

  it('holds one key at a time, in arrival order, and keys do not block each other', async () => {
    const store = new MemoryConfirmationStore();
    const order: string[] = [];
    const first = await store.lock('a');
    const second = store.lock('a').then((held) => {
      order.push('second');
      held.release();
    });
    const third = store.lock('a').then((held) => {
      order.push('third');
      held.release();
    });
    const other = await store.lock('b'); // not blocked by 'a'
    order.push('other');
    other.release();
    await Promise.resolve();
    expect(order).toEqual(['other']);
    expect(await first.keepFor(60_000)).toBe(true); // in one process a held lock cannot lapse
    first.release();
    first.release(); // a second release changes nothing
    expect(await first.keepFor(60_000)).toBe(false);
    await Promise.all([second, third]);
    expect(order).toEqual(['other', 'second', 'third']);
    expect(store.heldKeys).toBe(0);
  });

  it('stops waiting for a key when the call is cancelled, without taking it', async () => {
    const store = new MemoryConfirmationStore();
    const held = await store.lock('k');
    const controller = new AbortController();
    const waiting = store.lock('k', controller.signal);
    controller.abort(new Error('cancelled by the client'));
    await expect(waiting).rejects.toThrow('cancelled by the client');
    held.release();
    expect(store.heldKeys).toBe(0);
    (await store.lock('k')).release();
  });
});

describe('confirmations release the target lock however they end', () => {
  it('after a success, a refusal, a failed target read and a failed request', async () => {
    const store = new MemoryConfirmationStore();
    const host = hostWith(store);
    const project_id = await newProject();
    const token = structured<{ confirmation_token: string }>(await host.call('projects_archive', { project_id })).confirmation_token;
    expect((await host.call('projects_archive', { project_id: 'proj_missing_x', confirm: token })).isError).toBe(true); // wrong arguments
    sandbox.fault({ kind: '503', method: 'GET', pathPrefix: `/organization/projects/${project_id}`, times: 3 });
    expect(text(await host.call('projects_archive', { project_id, confirm: token }))).toMatch(/503/); // target read failed
    sandbox.fault({ kind: '503', method: 'POST', pathPrefix: `/organization/projects/${project_id}/archive`, times: 3 });
    expect(text(await host.call('projects_archive', { project_id, confirm: token }))).toMatch(/may have happened/); // request failed
    expect(store.heldKeys).toBe(0);
    const again = structured<{ confirmation_token: string }>(await host.call('projects_archive', { project_id })).confirmation_token;
    expect((await host.call('projects_archive', { project_id, confirm: again })).isError).toBeFalsy();
    expect(store.heldKeys).toBe(0);
  });

  it('a confirm cancelled while it waits for the lock sends nothing', async () => {
    const store = new MemoryConfirmationStore();
    const host = hostWith(store);
    const project_id = await newProject();
    const token = structured<{ confirmation_token: string }>(await host.call('projects_archive', { project_id })).confirmation_token;
    const held = await store.lock(`GET /organization/projects/${project_id}`);
    const controller = new AbortController();
    const call = host.call('projects_archive', { project_id, confirm: token }, { signal: controller.signal });
    controller.abort();
    const result = await call;
    held.release();
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/cancelled before it finished/);
    expect(archives(project_id)).toBe(0);
    expect(store.heldKeys).toBe(0);
  });
});

/**
 * A store whose first claim waits until the test opens the gate, so another replica can run a whole
 * confirmation in that window: the moment two replicas confirm at once, made exact.
 */
function gated(inner: ConfirmationStore) {
  let open!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const waiting = new Promise<void>((resolve) => (reached = resolve));
  let first = true;
  const store: ConfirmationStore = {
    epoch: () => inner.epoch(),
    async claim(nonce, ttl, epoch) {
      if (first) {
        first = false;
        reached();
        await gate;
      }
      return inner.claim(nonce, ttl, epoch);
    },
    lock: (key, signal) => inner.lock(key, signal),
  };
  return { store, open, waiting };
}

describe('two replicas confirming one token at the same moment', () => {
  it('without a shared store both can execute: only the state digest protects, and both read the same state', async () => {
    const project_id = await newProject();
    const a = gated(new MemoryConfirmationStore());
    const replicaA = hostWith(a.store);
    const replicaB = hostWith(new MemoryConfirmationStore());
    const token = structured<{ confirmation_token: string }>(await replicaA.call('projects_archive', { project_id })).confirmation_token;
    const onA = replicaA.call('projects_archive', { project_id, confirm: token });
    await a.waiting; // A has read the target and is about to use the token
    const onB = await replicaB.call('projects_archive', { project_id, confirm: token });
    a.open();
    const resultA = await onA;
    expect(onB.isError, text(onB)).toBeFalsy();
    expect(resultA.isError, text(resultA)).toBeFalsy();
    expect(archives(project_id)).toBe(2);
  });

  it('with a shared store (what a Redis store will give replicas) it executes once', async () => {
    const project_id = await newProject();
    const shared = new MemoryConfirmationStore();
    const a = gated(shared);
    const replicaA = hostWith(a.store);
    const replicaB = hostWith(shared);
    const token = structured<{ confirmation_token: string }>(await replicaA.call('projects_archive', { project_id })).confirmation_token;
    const onA = replicaA.call('projects_archive', { project_id, confirm: token });
    await a.waiting;
    const onB = replicaB.call('projects_archive', { project_id, confirm: token }); // waits for A's lock on the target
    a.open();
    const results = await Promise.all([onA, onB]);
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(archives(project_id)).toBe(1);
  });
});

describe('a confirmed write held to its deadline', () => {
  it('is cut off at the deadline its lock covers, even by an upstream that trickles its answer forever', async () => {
    // Everything goes to the sandbox except the archive POST, which gets headers and then a byte
    // every 20 ms: never idle long enough for the client's own timeout, never done.
    const trickles = new Set<NodeJS.Timeout>();
    const upstream = createServer((req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/archive')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"object":"organization.project",');
        const timer = setInterval(() => res.write(' '), 20);
        trickles.add(timer);
        res.on('close', () => clearInterval(timer));
        return;
      }
      const target = new URL(req.url ?? '/', sandbox.url.replace(/\/v1\/?$/, '/'));
      const forward = request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const slow = new AdminClient({
      apiKey: TEST_ADMIN_KEY,
      baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
      timeoutMs: 300,
      maxRetries: 0,
      backoff: { maxMs: 1, maxRetryAfterMs: 1 },
    });
    try {
      expect(slow.requestDeadlineMs).toBe(300);
      const host = testHost(slow, { confirmSecret: 'store-test-secret-0123456789', confirmationStore: new MemoryConfirmationStore() });
      const project_id = await newProject();
      const token = structured<{ confirmation_token: string }>(await host.call('projects_archive', { project_id })).confirmation_token;
      const result = await host.call('projects_archive', { project_id, confirm: token });
      expect(result.isError).toBe(true);
      // Two clocks end it at the same 0.3 s: the client's own per-attempt deadline (met on the body, or
      // met while the trickle still counts as no complete answer), or the executor's cut-off at the
      // deadline its lock covers; whichever fires first, the write is ended and said to be uncertain.
      expect(text(result)).toMatch(/POST \/organization\/projects\/\S+\/archive(?: did not finish within its deadline of 0.3 s .*cut off|: deadline passed while the body was arriving| timed out: no complete answer within 0.3 s)/s);
      expect(text(result)).toMatch(/may have happened|cut off/);
    } finally {
      for (const timer of trickles) clearInterval(timer);
      await slow.close();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
