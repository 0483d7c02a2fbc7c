import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, ApiError, ConnectionError } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient, TEST_ADMIN_KEY } from '../helpers.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 3, retryAfterMs: 150 }));
});
afterAll(() => close());
afterEach(() => sandbox.setFaultRate(0));

const requestsTo = (method: string, path: string, since: number) =>
  sandbox.requests.filter((r) => r.seq > since && r.method === method && r.path === path);
const lastSeq = () => sandbox.requests.at(-1)?.seq ?? 0;

describe('retries on reads', () => {
  it.each(['429', '503', 'reset', '500'] as const)('a GET succeeds through a %s', async (kind) => {
    const since = lastSeq();
    sandbox.fault({ kind, method: 'GET', pathPrefix: '/organization/projects', times: 1 });
    const page = await client.get<{ data: unknown[] }>('/organization/projects');
    expect(page.data.length).toBeGreaterThan(0);
    const seen = requestsTo('GET', '/organization/projects', since);
    expect(seen.map((r) => r.status)).toEqual([kind === 'reset' ? 'reset' : Number(kind), 200]);
  });

  it('honours retry-after-ms, measured from the times the sandbox received each attempt', async () => {
    const since = lastSeq();
    sandbox.fault({ kind: '429', method: 'GET', pathPrefix: '/organization/users', times: 2 });
    await client.get('/organization/users');
    const [first, second, third] = requestsTo('GET', '/organization/users', since);
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(429);
    expect(third?.status).toBe(200);
    // The jittered backoff alone would wait at most 40 ms here; 150 ms comes only from the header.
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(145);
    expect((third?.receivedAt ?? 0) - (second?.receivedAt ?? 0)).toBeGreaterThanOrEqual(145);
  });

  it('gives up after the configured retries and reports how many were made', async () => {
    sandbox.fault({ kind: '503', method: 'GET', pathPrefix: '/organization/invites', times: 3 });
    const error = await client.get('/organization/invites').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).retries).toBe(2);
    expect((error as ApiError).requestId).toMatch(/^req_/);
  });

  it('retries a connection refused before anything was sent, even for a create', async () => {
    const dead = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1, backoff: { baseMs: 1, maxMs: 2 } });
    const error = await dead.post('/organization/projects', { name: 'x' }).catch((e: unknown) => e);
    await dead.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).causeCode).toBe('ECONNREFUSED');
    expect((error as ConnectionError).mayHaveReachedServer).toBe(false);
    expect((error as ConnectionError).retries).toBe(1);
  });
});

describe('creates are never duplicated', () => {
  it('does not retry a create answered 500: the sandbox counts exactly one creation', async () => {
    const before = sandbox.state.projects.size;
    const since = lastSeq();
    sandbox.fault({ kind: '500', method: 'POST', pathPrefix: '/organization/projects', times: 1 });
    const error = await client.post('/organization/projects', { name: 'Created once (500)' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(500);
    expect((error as ApiError).retries).toBe(0);
    expect(requestsTo('POST', '/organization/projects', since)).toHaveLength(1);
    expect(sandbox.state.projects.size).toBe(before + 1);
    expect([...sandbox.state.projects.values()].filter((p) => p.name === 'Created once (500)')).toHaveLength(1);
  });

  it('retries a create answered 429 and creates exactly once', async () => {
    const before = sandbox.state.projects.size;
    const since = lastSeq();
    sandbox.fault({ kind: '429', method: 'POST', pathPrefix: '/organization/projects', times: 1 });
    const project = await client.post<{ id: string; name: string }>('/organization/projects', { name: 'Created once (429)' });
    expect(project.name).toBe('Created once (429)');
    expect(requestsTo('POST', '/organization/projects', since).map((r) => r.status)).toEqual([429, 200]);
    expect(sandbox.state.projects.size).toBe(before + 1);
  });

  it('does not retry a create whose connection was reset, and says it may have happened', async () => {
    const since = lastSeq();
    sandbox.fault({ kind: 'reset', method: 'POST', pathPrefix: '/organization/projects', times: 1 });
    const error = await client.post('/organization/projects', { name: 'Maybe created (reset)' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveReachedServer).toBe(true);
    expect(requestsTo('POST', '/organization/projects', since)).toHaveLength(1);
  });

  it('retries an idempotent update through a 500', async () => {
    const [project] = [...sandbox.state.projects.values()].filter((p) => p.status === 'active' && p.name !== 'Default project');
    const since = lastSeq();
    const path = `/organization/projects/${project?.id}`;
    sandbox.fault({ kind: '500', method: 'POST', pathPrefix: path, times: 1 });
    const updated = await client.post<{ name: string }>(path, { name: 'Renamed through a fault' }, { idempotent: true });
    expect(updated.name).toBe('Renamed through a fault');
    expect(requestsTo('POST', path, since).map((r) => r.status)).toEqual([500, 200]);
  });
});

describe('an attempt that may have been processed is remembered through the retries', () => {
  const newGroup = async (name: string) => (await client.post<{ id: string }>('/organization/groups', { name })).id;

  it('a DELETE answered 500 after processing, then 404, says an earlier attempt may have been processed', async () => {
    const path = `/organization/groups/${await newGroup('Deleted behind a lost answer')}`;
    const since = lastSeq();
    sandbox.fault({ kind: '500', method: 'DELETE', pathPrefix: path, times: 1 });
    const error = await client.delete(path).catch((e: unknown) => e);
    expect(requestsTo('DELETE', path, since).map((r) => [r.status, r.processed])).toEqual([
      [500, true],
      [404, false],
    ]);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).earlierAttemptMayHaveBeenProcessed).toBe(true);
  });

  it('a 404 with no lost answer before it says no earlier attempt was processed', async () => {
    const path = `/organization/groups/${await newGroup('Deleted behind a 429')}`;
    await client.delete(path);
    sandbox.fault({ kind: '429', method: 'DELETE', pathPrefix: path, times: 1 });
    const error = await client.delete(path).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).earlierAttemptMayHaveBeenProcessed).toBe(false);
  });

  it.each([
    ['500', true],
    ['reset', true],
    ['503', false],
    ['429', false],
  ] as const)('a success after a %s before it says whether an earlier attempt may have been processed', async (kind, afterProcessing) => {
    const path = `/organization/groups/${await newGroup(`Renamed after a ${kind}`)}`;
    sandbox.fault({ kind, method: 'POST', pathPrefix: path, times: 1, afterProcessing });
    const response = await client.send<{ name: string }>({ method: 'POST', path, body: { name: `Renamed through a ${kind}` }, idempotent: true });
    expect(response.data.name).toBe(`Renamed through a ${kind}`);
    expect(response.retries).toBe(1);
    // A 503 may be processed in the real API even though the sandbox answers it before: only a 429 is a sure refusal.
    expect(response.earlierAttemptMayHaveBeenProcessed).toBe(kind !== '429');
  });

  it('a connection error after a processed attempt says the write may have happened', async () => {
    const path = `/organization/groups/${await newGroup('Reset twice')}`;
    const once = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, maxRetries: 1, backoff: { baseMs: 1, maxMs: 2 } });
    sandbox.fault({ kind: 'reset', method: 'DELETE', pathPrefix: path, times: 2, afterProcessing: true });
    const error = await once.delete(path).catch((e: unknown) => e);
    await once.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveReachedServer).toBe(true);
    expect((error as ConnectionError).earlierAttemptMayHaveBeenProcessed).toBe(true);
  });
});

describe('under a random fault rate', () => {
  it('every read converges to the same answer as without faults', async () => {
    const clean = await client.get<{ data: Array<{ id: string }> }>('/organization/users', { limit: 100 });
    sandbox.setFaultRate(0.3);
    const patient = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, maxRetries: 8, backoff: { baseMs: 1, maxMs: 5 } });
    for (let i = 0; i < 20; i++) {
      const page = await patient.get<{ data: Array<{ id: string }> }>('/organization/users', { limit: 100 });
      expect(page.data.map((u) => u.id)).toEqual(clean.data.map((u) => u.id));
    }
    await patient.close();
  });
});
