import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { connectAs, headersFor, INITIALIZE, POST_HEADERS, startTestServer, type TestServer } from './http-support.js';
import { until } from '../../wait.js';

/*
 * Issue 8, item 4: one client could lock everyone out of HTTP sessions. Each behaviour of the
 * session limits over real HTTP with the SDK client, on a clock the test moves.
 */

const MINUTE = 60_000;
let server: TestServer | undefined;
const clients: Client[] = [];

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

async function open(adminKey: string): Promise<Client> {
  if (!server) throw new Error('no server');
  const client = await connectAs(server.http.url, adminKey);
  clients.push(client);
  return client;
}

/** A request on the session: it makes the session used and most recently used. */
async function use(client: Client): Promise<void> {
  await client.listTools();
}

/** The session is gone: the server answers its next request with 404 "Session not found". */
async function expectClosed(client: Client): Promise<void> {
  await expect(client.listTools()).rejects.toThrow(/Session not found/);
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await server?.close();
  server = undefined;
});

describe('a quota of sessions per credential', () => {
  it('at the quota, the credential\'s least recently used idle session is closed and the newcomer served', async () => {
    const { clock } = await start({ sessionLimits: { perCredential: 3 } });
    const [a1, a2, a3] = [await open('sk-admin-alpha'), await open('sk-admin-alpha'), await open('sk-admin-alpha')] as [Client, Client, Client];
    const other = await open('sk-admin-bravo');
    for (const client of [a1, a2, a3, other]) {
      clock.now += 1000;
      await use(client);
    }
    clock.now += 1000;
    await use(a1); // a2 is now the credential's least recently used session

    const a4 = await open('sk-admin-alpha');
    await use(a4);
    await expectClosed(a2);
    for (const client of [a1, a3, other]) await use(client);
  });

  it('an admin key is one credential, whatever the number of clients; another key has its own quota', async () => {
    await start({ sessionLimits: { perCredential: 2 } });
    const alpha = [await open('sk-admin-alpha'), await open('sk-admin-alpha')];
    const bravo = [await open('sk-admin-bravo'), await open('sk-admin-bravo')];
    for (const client of [...alpha, ...bravo]) await use(client);
    // Bravo's third session makes room among bravo's, never alpha's.
    await use(await open('sk-admin-bravo'));
    for (const client of alpha) await use(client);
    await expectClosed(bravo[0] as Client);
  });

  it('a busy session is never closed to make room: with every session busy the newcomer gets 503 with the reason', async () => {
    const { host, http } = await start({ sessionLimits: { perCredential: 2 } });
    const busy = [await open('sk-admin-alpha'), await open('sk-admin-alpha')];
    const calls = busy.map((c) => c.callTool({ name: 'hold', arguments: {} }));
    await until(() => host.held.length === 2); // both calls are held

    const refused = await fetch(http.url, { method: 'POST', headers: { ...POST_HEADERS, ...headersFor('sk-admin-alpha') }, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(JSON.stringify(await refused.json())).toMatch(/open sessions, all busy answering requests/);

    for (const held of host.held) held.release();
    for (const result of await Promise.all(calls)) expect(result.content).toEqual([{ type: 'text', text: 'released' }]);
    // Once a call is answered its session is idle again, and gives way to the newcomer.
    await use(await open('sk-admin-alpha'));
  });
});

describe('a global cap', () => {
  it('at the cap, the least recently used idle session of any credential is closed', async () => {
    const { clock } = await start({ sessionLimits: { total: 3, perCredential: 10 } });
    const sessions = [await open('sk-admin-one'), await open('sk-admin-two'), await open('sk-admin-three')];
    for (const client of sessions) {
      clock.now += 1000;
      await use(client);
    }
    await use(await open('sk-admin-four'));
    await expectClosed(sessions[0] as Client);
    await use(sessions[1] as Client);
    await use(sessions[2] as Client);
  });

  it('sessions that never made a request give way first, so a flood of bare initializes evicts itself', async () => {
    const { clock } = await start({ sessionLimits: { total: 3, perCredential: 10 } });
    const worker = await open('sk-admin-worker');
    await use(worker);
    clock.now += 1000;
    const idle = await open('sk-admin-idle'); // newer than worker's last request, but never used
    clock.now += 1000;
    const other = await open('sk-admin-other');
    await use(other);

    await open('sk-admin-new');
    await expectClosed(idle);
    await use(worker);
    await use(other);
  });

  it('1,000 initialize requests without a DELETE no longer lock out the next client', async () => {
    const { http } = await start();
    const headers = { ...POST_HEADERS, ...headersFor('sk-admin-flood') };
    for (let batch = 0; batch < 20; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(http.url, { method: 'POST', headers, body: JSON.stringify(INITIALIZE) }).then(async (r) => (await r.text(), r.status))),
      );
      expect(answers.every((status) => status === 200)).toBe(true);
    }
    // The same credential and a different one are both served.
    await use(await open('sk-admin-flood'));
    await use(await open('sk-admin-someone-else'));
  }, 120_000);
});

describe('expiry', () => {
  it('a session that made no request after initialize closes after 5 minutes; a used one stays', async () => {
    const { clock } = await start();
    const [early, late, used] = [await open('sk-admin-alpha'), await open('sk-admin-alpha'), await open('sk-admin-alpha')] as [Client, Client, Client];
    await use(used);
    clock.now += 5 * MINUTE - 1;
    await use(early); // still open one millisecond before the deadline
    clock.now += 1;
    await expectClosed(late);
    await use(used);
  });

  it('the idle timeout is configurable, and a used session closes after it', async () => {
    const { clock } = await start({ sessionIdleMs: MINUTE });
    const client = await open('sk-admin-alpha');
    await use(client);
    clock.now += MINUTE - 1;
    await use(client);
    clock.now += MINUTE;
    await expectClosed(client);
  });

  it('a call longer than the idle timeout is not cut off, and its idle time starts when it is answered', async () => {
    const { clock, host } = await start({ sessionIdleMs: MINUTE });
    const client = await open('sk-admin-alpha');
    const call = client.callTool({ name: 'hold', arguments: {} });
    await until(() => host.held.length === 1); // the call is held
    clock.now += 10 * MINUTE;
    await use(await open('sk-admin-bravo')); // a request runs the sweep while the call is in flight
    host.held[0]?.release();
    expect((await call).content).toEqual([{ type: 'text', text: 'released' }]);
    clock.now += MINUTE - 1;
    await use(client);
  });
});

describe('--session-idle-timeout', () => {
  it('takes seconds from the flag or OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT, default 1800', () => {
    expect(parseConfig([], {}).sessionIdleTimeout).toBe(1800);
    expect(parseConfig(['--session-idle-timeout', '120'], {}).sessionIdleTimeout).toBe(120);
    expect(parseConfig([], { OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT: '90' }).sessionIdleTimeout).toBe(90);
    expect(parseConfig(['--session-idle-timeout', '60'], { OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT: '90' }).sessionIdleTimeout).toBe(60);
  });

  it.each(['0', 'ten', '86401', '1.5'])('refuses %j and says what it expects', (value) => {
    expect(() => parseConfig(['--session-idle-timeout', value], {})).toThrow(/--session-idle-timeout expects a whole number from 1 to 86400/);
    expect(() => parseConfig([], { OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT: value })).toThrow(/--session-idle-timeout expects a whole number/);
  });
});
