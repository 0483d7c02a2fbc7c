import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { structured, text } from '../../connect.js';
import { serveHttp, type RunningCli } from '../../serve-http.js';

/*
 * GET /metrics on the built server (sessions mode) in front of a sandbox in this process, so faults
 * can be scripted: after a scripted mix of calls every counter equals the calls made.
 */

const TOKEN = 'metrics-test-bearer-token-7d2a';
let sandbox: Sandbox;
let server: RunningCli;
let clients: Client[] = [];

async function connect(): Promise<Client> {
  const client = new Client({ name: 'metrics-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  clients.push(client);
  return client;
}

const metricsUrl = () => server.url.replace(/\/mcp$/, '/metrics');

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1] as string, Number(match[2]));
  }
  return samples;
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 17, retryAfterMs: 5 });
  server = await serveHttp([], { OPENAI_ADMIN_KEY: 'sk-admin-metrics-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN, OPENAI_ADMIN_MCP_MAX_RETRIES: '3' });
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  await sandbox?.close();
});

describe('GET /metrics', () => {
  it('is protected like /mcp', async () => {
    expect((await fetch(metricsUrl())).status).toBe(401);
    expect((await fetch(metricsUrl(), { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await fetch(metricsUrl(), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('after a scripted mix of calls, the counters equal the calls made', async () => {
    const a = await connect();
    const b = await connect();
    const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
    const before = sandbox.requests.length;

    for (let i = 0; i < 3; i++) expect((await call(a, 'projects_list', { limit: 2 })).isError).toBeFalsy(); // 3 × GET 200
    for (let i = 0; i < 2; i++) expect((await call(b, 'projects_retrieve', { project_id: 'proj_doesnotexist' })).isError).toBe(true); // 2 × GET 404
    expect((await call(a, 'projects_retrieve', {})).isError).toBe(true); // invalid arguments: nothing sent
    expect((await call(a, 'no_such_tool', {})).isError).toBe(true);
    sandbox.fault({ kind: '429', method: 'GET', pathPrefix: '/organization/users', times: 2 });
    expect((await call(b, 'users_list', { limit: 1 })).isError).toBeFalsy(); // GET 429, 429, 200: two retries

    const { id: project_id } = structured<{ id: string }>(await call(a, 'projects_create', { name: 'Metrics project' })); // POST 200
    const preview = await call(a, 'projects_archive', { project_id }); // GET 200 (target), token issued
    const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
    expect((await call(b, 'projects_archive', { project_id, confirm: token })).isError, 'confirm').toBeFalsy(); // GET 200 + POST 200, used
    const replay = await call(a, 'projects_archive', { project_id, confirm: token }); // GET 200, refused
    expect(text(replay)).toMatch(/already been used/);

    const m = await scrape();
    const value = (name: string) => m.get(`openai_admin_mcp_${name}`) ?? 0;
    expect(value('tool_calls_total{tool="projects_list",outcome="ok"}')).toBe(3);
    expect(value('tool_calls_total{tool="projects_retrieve",outcome="error"}')).toBe(3);
    expect(value('tool_calls_total{tool="no_such_tool",outcome="error"}')).toBe(1);
    expect(value('tool_calls_total{tool="users_list",outcome="ok"}')).toBe(1);
    expect(value('tool_calls_total{tool="projects_create",outcome="ok"}')).toBe(1);
    expect(value('tool_calls_total{tool="projects_archive",outcome="ok"}')).toBe(2);
    expect(value('tool_calls_total{tool="projects_archive",outcome="error"}')).toBe(1);

    // Upstream counters equal what the sandbox saw, answer by answer (previews also read what a change affects).
    const seen = sandbox.requests.slice(before);
    const answered = (method: string, status: number) => seen.filter((r) => r.method === method && r.status === status).length;
    expect(answered('GET', 200)).toBeGreaterThanOrEqual(3 + 1 + 3);
    expect(value('upstream_requests_total{method="GET",status="200"}')).toBe(answered('GET', 200));
    expect(value('upstream_requests_total{method="GET",status="404"}')).toBe(answered('GET', 404));
    expect(value('upstream_requests_total{method="GET",status="429"}')).toBe(2);
    expect(value('upstream_requests_total{method="POST",status="200"}')).toBe(2);
    expect(answered('POST', 200)).toBe(2);
    expect(value('upstream_retries_total{method="GET"}')).toBe(2);
    // Every attempt the sandbox saw is one observation of the latency histogram, and no more.
    expect(value('upstream_request_duration_seconds_count{method="GET"}') + value('upstream_request_duration_seconds_count{method="POST"}')).toBe(seen.length);

    expect(value('confirmations_total{event="issued"}')).toBe(1);
    expect(value('confirmations_total{event="used"}')).toBe(1);
    expect(value('confirmations_total{event="refused"}')).toBe(1);
    expect(value('open_sessions')).toBe(2);
  });
});
