import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AdminClient } from '../../../src/client/index.js';
import { createLogger } from '../../../src/log.js';
import type { CallSession, Host } from '../../../src/server/hosts/host.js';
import { startHttpServer, type HttpOptions, type RunningHttp } from '../../../src/server/http/http.js';

/*
 * An in-process HTTP server over a host whose one tool, `hold`, runs until the test releases it or
 * its call is cancelled: what these tests need to know is whether a call is in flight and whether
 * its signal fired, without waiting on any clock.
 */

export const TOKEN = 'http-support-token-5c1e';
export const KEY_HEADER = 'x-admin-key';

export interface HeldCall {
  args: unknown;
  signal: AbortSignal | undefined;
  release: () => void;
}

export class HoldingHost implements Host {
  readonly instructions = 'A test host.';
  readonly mode = 'selected' as const;
  readonly held: HeldCall[] = [];

  instructionsFor() {
    return this.instructions;
  }

  listTools() {
    return [{ name: 'hold', description: 'Runs until released or cancelled.', inputSchema: { type: 'object' as const } }];
  }

  entries() {
    return [];
  }

  async call(_name: string, args: unknown, session: CallSession = {}) {
    await new Promise<void>((resolve) => {
      this.held.push({ args, signal: session.signal, release: resolve });
      session.signal?.addEventListener('abort', () => resolve());
    });
    return { content: [{ type: 'text' as const, text: session.signal?.aborted ? 'cancelled' : 'released' }] };
  }
}

export interface TestServer {
  http: RunningHttp;
  host: HoldingHost;
  clock: { now: number };
  /** Every admin-key client the server built, closed with the server. */
  close(): Promise<void>;
}

/** Starts the server with bearer auth and `--key-from-header x-admin-key`, and a clock the test moves. */
export async function startTestServer(options: Partial<HttpOptions> = {}): Promise<TestServer> {
  const host = new HoldingHost();
  const clock = { now: 1_000_000 };
  const clients: AdminClient[] = [];
  const http = await startHttpServer(host, {
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    noAuth: false,
    stateless: false,
    keyFromHeader: KEY_HEADER,
    // The holding host never calls the API; the client exists because the wiring builds one.
    clientForKey: (key) => {
      const client = new AdminClient({ apiKey: key, baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 0 });
      clients.push(client);
      return client;
    },
    logger: createLogger({ level: 'silent' }),
    now: () => clock.now,
    ...options,
  });
  return {
    http,
    host,
    clock,
    async close() {
      await http.close();
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

export function headersFor(adminKey: string): Record<string, string> {
  return { authorization: `Bearer ${TOKEN}`, [KEY_HEADER]: adminKey };
}

/** The MCP SDK's own client, connected with this admin key. */
export async function connectAs(url: string, adminKey: string, fetch?: FetchLike): Promise<Client> {
  const client = new Client({ name: 'http-limits-test', version: '1.0.0' });
  // The SDK reports a closed session's dropped standalone stream here; the tests look at results.
  client.onerror = () => {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: headersFor(adminKey) }, fetch }));
  return client;
}

export const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
export const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
