import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { endpointTools } from '../../tools/index.js';
import { allComposites } from '../../src/reports/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { CLI, structured, text } from '../connect.js';
import { serveHttp, type RunningCli } from '../serve-http.js';

const TOKEN = 'http-test-token-7f3a';
let sandbox: Sandbox;

async function connect(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'http-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 81 });
});
afterAll(() => sandbox.close());

const apiEnv = () => ({ OPENAI_ADMIN_KEY: 'sk-admin-http-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });

describe('Streamable HTTP with sessions', () => {
  let server: RunningCli;
  beforeAll(async () => {
    server = await serveHttp(['--toolsets', 'all'], apiEnv());
  });
  afterAll(() => server.stop());

  it('serves every tool to the SDK client and runs reads and writes', async () => {
    const client = await connect(server.url, { authorization: `Bearer ${TOKEN}` });
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(endpointTools.length + allComposites.length + allWorkflows.length);
      const list = await client.callTool({ name: 'projects_list', arguments: {} });
      expect(list.isError).toBeFalsy();
      const created = await client.callTool({ name: 'groups_create', arguments: { name: 'Made over HTTP' } });
      expect(created.isError, text(created)).toBeFalsy();
      expect(sandbox.state.groups.get(structured<{ id: string }>(created).id)?.name).toBe('Made over HTTP');
      const spend = await client.callTool({ name: 'spend_report', arguments: { project: 'Atlas', period: 'last_month' } });
      expect(structured<{ total_usd: number }>(spend).total_usd).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('answers /healthz without auth', async () => {
    const res = await fetch(server.url.replace(/\/mcp$/, '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses a missing or wrong bearer token', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(server.url, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(server.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong' }, body })).status).toBe(401);
    await expect(connect(server.url, { authorization: 'Bearer nope' })).rejects.toThrow(/Unauthorized: the bearer token does not match OPENAI_ADMIN_MCP_HTTP_TOKEN/);
  });

  it('refuses a foreign Origin (DNS rebinding) and accepts a loopback one', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    const evil = await fetch(server.url, { method: 'POST', headers: { ...headers, origin: 'http://evil.example' }, body });
    expect(evil.status).toBe(403);
    const local = await fetch(server.url, { method: 'POST', headers: { ...headers, origin: 'http://localhost:5173' }, body });
    expect(local.status).toBe(200);
  });

  it('answers a body that is not JSON with a parse error', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('answers a body over 4 MiB with 413', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(5 << 20) } }),
    });
    expect(res.status).toBe(413);
  });

  it('rejects an unknown session id', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, 'mcp-session-id': 'not-a-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
  });
});

describe('stateless Streamable HTTP', () => {
  it('answers each request on its own, so replicas need no shared state', async () => {
    const a = await serveHttp(['--stateless', '--toolsets', 'all'], apiEnv());
    const b = await serveHttp(['--stateless', '--toolsets', 'all'], { ...apiEnv(), OPENAI_ADMIN_MCP_CONFIRM_SECRET: 'shared-secret-for-replicas' });
    try {
      const client = await connect(a.url, { authorization: `Bearer ${TOKEN}` });
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(100);
      const result = await client.callTool({ name: 'users_list', arguments: { limit: 2 } });
      expect(structured<{ data: unknown[] }>(result).data).toHaveLength(2);
      await client.close();
      const other = await connect(b.url, { authorization: `Bearer ${TOKEN}` });
      expect((await other.callTool({ name: 'projects_list', arguments: {} })).isError).toBeFalsy();
      await other.close();
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('--key-from-header', () => {
  it('uses the admin key sent with each request and never needs one at start-up', async () => {
    const server = await serveHttp(['--key-from-header', 'x-openai-admin-key'], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });
    try {
      const client = await connect(server.url, { authorization: `Bearer ${TOKEN}`, 'x-openai-admin-key': 'sk-admin-from-header-1' });
      const before = sandbox.requests.length;
      await client.callTool({ name: 'projects_list', arguments: {} });
      const seen = sandbox.requests.slice(before);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((r) => r.headers.authorization === 'Bearer sk-admin-from-header-1')).toBe(true);
      await client.close();
      const keyless = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
      expect(keyless.status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});

describe('start-up refusals', () => {
  it.each([
    [['--sandbox'], {}, /needs OPENAI_ADMIN_MCP_HTTP_TOKEN/],
    [['--sandbox', '--no-auth', '--host', '0.0.0.0'], {}, /--no-auth is allowed only on loopback/],
  ])('%j exits 2 and says why', async (args, env, message) => {
    const child = spawn(process.execPath, [CLI, '--http', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('settings sent with a request narrow the session, never widen it', () => {
  it('X-MCP-Readonly and X-MCP-Toolsets narrow; a tool the operator did not expose cannot be asked for', async () => {
    const server = await serveHttp(['--toolsets', 'projects,members'], apiEnv());
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const narrowed = await connect(server.url, { ...auth, 'x-mcp-readonly': '1', 'x-mcp-toolsets': 'projects' });
      const { tools } = await narrowed.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['projects_list', 'projects_retrieve']);
      expect(narrowed.getInstructions()).toMatch(/narrowed by its request to read-only/);
      const write = await narrowed.callTool({ name: 'projects_create', arguments: { name: 'nope' } });
      expect(text(write)).toMatch(/not available in this session/);
      const other = await narrowed.callTool({ name: 'users_list', arguments: {} });
      expect(text(other)).toMatch(/not available in this session/);
      await narrowed.close();

      // Asking for a toolset the operator left out widens nothing: the session gets no certificates tools.
      const greedy = await connect(server.url, { ...auth, 'x-mcp-toolsets': 'certificates,members' });
      const greedyTools = (await greedy.listTools()).tools.map((t) => t.name);
      expect(greedyTools.some((n) => n.startsWith('certificates'))).toBe(false);
      expect(greedyTools).toContain('users_list');
      await greedy.close();

      const bad = await fetch(server.url, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-mcp-tools': 'certificates_delete' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toMatch(/X-MCP-Tools names 'certificates_delete', which this server does not expose/);
    } finally {
      await server.stop();
    }
  });
});
