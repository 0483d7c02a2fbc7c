import { afterEach, describe, expect, it } from 'vitest';
import { InFlightCalls } from '../../../src/server/http/in-flight.js';
import { headersFor, POST_HEADERS, startTestServer, type TestServer } from './http-support.js';
import { until } from '../../wait.js';

/*
 * Issue 8, item 5: with --stateless, `notifications/cancelled` arrives in a POST of its own, handled
 * by a fresh MCP server that never saw the call. Raw HTTP here, so the test chooses the request ids.
 */

let server: TestServer | undefined;

afterEach(async () => {
  for (const held of server?.host.held ?? []) held.release();
  await server?.close();
  server = undefined;
});

function post(url: string, adminKey: string, message: object): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...POST_HEADERS, ...headersFor(adminKey), 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify(message) });
}

const call = (id: string | number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold', arguments: { id } } });
const cancel = (requestId: string | number) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the user changed their mind' } });

describe('cancellation on a stateless server', () => {
  it('a cancel in a separate POST aborts the call in flight, whose stream then ends without an answer', async () => {
    server = await startTestServer({ stateless: true });
    const { url } = server.http;
    const running = await post(url, 'sk-admin-alpha', call(7));
    expect(running.status).toBe(200);
    await until(() => server?.host.held.length === 1); // the call is held

    const cancelled = await post(url, 'sk-admin-alpha', cancel(7));
    expect(cancelled.status).toBe(202);
    // The cancel is applied before its POST is answered, so no waiting is needed here.
    expect(server.host.held[0]?.signal?.aborted).toBe(true);
    // A receiver of a cancellation sends no response to the cancelled request.
    expect(await running.text()).not.toMatch(/"result"|"error"/);
  });

  it("another credential's cancel does not reach the call: ids are only unique per client", async () => {
    server = await startTestServer({ stateless: true });
    const { url } = server.http;
    const running = await post(url, 'sk-admin-alpha', call(7));
    await until(() => server?.host.held.length === 1); // the call is held

    expect((await post(url, 'sk-admin-bravo', cancel(7))).status).toBe(202);
    expect(server.host.held[0]?.signal?.aborted).toBe(false);
    // 7 and "7" are different JSON-RPC ids.
    expect((await post(url, 'sk-admin-alpha', cancel('7'))).status).toBe(202);
    expect(server.host.held[0]?.signal?.aborted).toBe(false);

    server.host.held[0]?.release();
    expect(await running.text()).toMatch(/"released"/);
  });

  it('when two calls in flight share the credential and the id, neither is cancelled, since which one was meant is unknown', async () => {
    server = await startTestServer({ stateless: true });
    const { url } = server.http;
    const first = await post(url, 'sk-admin-alpha', call(3));
    const second = await post(url, 'sk-admin-alpha', call(3));
    await until(() => server?.host.held.length === 2); // both calls are held

    expect((await post(url, 'sk-admin-alpha', cancel(3))).status).toBe(202);
    expect(server.host.held.map((h) => h.signal?.aborted)).toEqual([false, false]);
    for (const held of server.host.held) held.release();
    expect(await first.text()).toMatch(/"released"/);
    expect(await second.text()).toMatch(/"released"/);
  });

  it('forgets a call once it has been answered', async () => {
    server = await startTestServer({ stateless: true });
    const running = await post(server.http.url, 'sk-admin-alpha', call(9));
    await until(() => server?.host.held.length === 1); // the call is held
    server.host.held[0]?.release();
    await running.text();
    // The next call with the same id is not mistaken for two calls in flight.
    const again = await post(server.http.url, 'sk-admin-alpha', call(9));
    await until(() => server?.host.held.length === 2); // the second call is held
    expect((await post(server.http.url, 'sk-admin-alpha', cancel(9))).status).toBe(202);
    expect(server.host.held[1]?.signal?.aborted).toBe(true);
    expect(await again.text()).not.toMatch(/"result"/);
  });
});

describe('InFlightCalls', () => {
  it('says what became of a cancellation', () => {
    const calls = new InFlightCalls();
    let stopped = 0;
    const forget = calls.track('credential-a', 1, () => (stopped += 1));
    expect(calls.cancel('credential-b', 1)).toBe('unknown');
    expect(calls.cancel('credential-a', '1')).toBe('unknown');
    expect(calls.cancel('credential-a', 1)).toBe('cancelled');
    expect(stopped).toBe(1);
    forget();
    expect(calls.size).toBe(0);
    expect(calls.cancel('credential-a', 1)).toBe('unknown');
  });
});
