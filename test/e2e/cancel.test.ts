import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { until } from '../wait.js';
import { connectStdio } from '../connect.js';
import { serveHttp } from '../serve-http.js';

/*
 * Issue 8, item 5: a cancelled usage_report over a year must start no upstream request after the
 * cancel, over every transport. The sandbox runs in this process, so its record of requests and
 * this test can count every request the report made, and which of them were answered.
 */

const TOKEN = 'cancel-test-token-9e2b';
let sandbox: Sandbox;

beforeAll(async () => {
  // Each upstream request is held a second, so a year of windows (twelve, four at a time) runs
  // for three seconds at least: the cancel lands while the report is still fetching.
  sandbox = await startSandbox({ seed: 88, latencyMs: 1000 });
});
afterAll(() => sandbox.close());

const apiEnv = () => ({ OPENAI_ADMIN_KEY: 'sk-admin-cancel-test', OPENAI_BASE_URL: sandbox.url });

interface Connection {
  client: Client;
  stderr: () => string;
  /** Resolves once the server has taken in the cancel notification the client sent. */
  cancelDelivered: () => Promise<void>;
  close: () => Promise<void>;
}

async function overStdio(): Promise<Connection> {
  const connected = await connectStdio(['--log-level', 'debug'], apiEnv());
  return {
    client: connected.client,
    stderr: connected.stderr,
    // stdin is read in order: when a ping sent after the cancel is answered, the cancel was handled.
    cancelDelivered: async () => {
      await connected.client.ping();
    },
    close: connected.close,
  };
}

async function overHttp(stateless: boolean): Promise<Connection> {
  const server = await serveHttp(['--log-level', 'debug', ...(stateless ? ['--stateless'] : [])], { ...apiEnv(), OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });
  let delivered!: () => void;
  const cancelAnswered = new Promise<void>((resolve) => (delivered = resolve));
  // The server answers the cancel's POST (202) only after it has applied it.
  const watching: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    if (typeof init?.body === 'string' && init.body.includes('"notifications/cancelled"')) delivered();
    return response;
  };
  const client = new Client({ name: 'cancel-test', version: '1.0.0' });
  client.onerror = () => {};
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } }, fetch: watching }));
  return {
    client,
    stderr: server.stderr,
    cancelDelivered: () => cancelAnswered,
    close: async () => {
      await client.close();
      await server.stop();
    },
  };
}

describe.each([
  ['stdio', () => overStdio()],
  ['HTTP with sessions', () => overHttp(false)],
  ['stateless HTTP', () => overHttp(true)],
])('a cancelled usage_report over %s', (_transport, connect) => {
  it('starts no upstream request after the cancel', async () => {
    const connection = await connect();
    try {
      // The report is the only upstream traffic from here on. (A record's path is filled in only
      // when the sandbox answers, after its latency, so requests are counted, not matched by path.)
      const first = sandbox.requests.length;
      const usage = () => sandbox.requests.slice(first);
      const controller = new AbortController();
      const call = connection.client.callTool({ name: 'usage_report', arguments: { period: 'last_365_days' } }, undefined, { signal: controller.signal });
      await until(() => usage().length > 0); // the report has started fetching
      controller.abort('the user changed their mind');
      await expect(call).rejects.toThrow(/the user changed their mind/);

      await connection.cancelDelivered();
      // Answers the sandbox had sent by now: each one may have freed a slot for a new window before
      // the server applied the cancel.
      const answeredBeforeCancel = usage().filter((r) => r.status !== 0).length;
      // The server logs each tool call when it ends; after that line it starts nothing for it.
      await until(() => /tool call tool=usage_report/.test(connection.stderr())); // the server has finished the call

      // Arrival times cannot tell when a request was sent: the sandbox shares this process's event
      // loop, so a request written before the cancel can be read after the test saw it land. Counting
      // can. The report fetches four windows at a time, and a new window starts only when one is
      // answered: a server that starts nothing after the cancel made at most four requests plus one
      // for each answer sent before the cancel.
      const made = usage();
      expect(made.length).toBeGreaterThan(0);
      expect(made.every((r) => r.target.startsWith('/v1/organization/usage/completions?'))).toBe(true);
      expect(made.length).toBeLessThanOrEqual(4 + answeredBeforeCancel);
      // A year is twelve 31-day windows; the cancel stopped it before it fetched them all.
      expect(made.length).toBeLessThan(12);
    } finally {
      await connection.close();
    }
  }, 60_000);
});
