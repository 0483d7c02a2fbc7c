import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, text } from '../connect.js';
import { serveHttp } from '../serve-http.js';

/*
 * Long reports send notifications/progress (range windows done of total) when the request carries
 * a progress token, over stdio and over Streamable HTTP, through the MCP SDK's own Client.
 */

const TOKEN = 'progress-test-token-51c2';
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 2 });
});
afterAll(() => sandbox.close());

const env = () => ({ OPENAI_ADMIN_KEY: 'sk-admin-progress-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });
// Every family over 365 days: 11 families of 12 windows of ≤31 days.
const ARGS = { family: 'all', period: 'last_365_days' };

async function callWithProgress(client: Client): Promise<Progress[]> {
  const seen: Progress[] = [];
  const result = await client.callTool({ name: 'usage_report', arguments: ARGS }, undefined, { onprogress: (p) => seen.push(p), timeout: 60_000 });
  expect(result.isError, text(result)).toBeFalsy();
  return seen;
}

function expectCounted(seen: Progress[]): void {
  expect(seen.length).toBeGreaterThanOrEqual(100);
  const total = seen[0]?.total as number;
  expect(total).toBe(seen.length);
  expect(seen.map((p) => p.progress)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  for (const p of seen) expect(p.total).toBe(total);
}

describe('progress notifications', () => {
  it('find filling the directory counts the projects read, and a warm find sends none', async () => {
    const server = await connectStdio([], env());
    try {
      const seen: Progress[] = [];
      const cold = await server.client.callTool({ name: 'find', arguments: { query: 'ci-deploy' } }, undefined, { onprogress: (p) => seen.push(p), timeout: 60_000 });
      expect(cold.isError, text(cold)).toBeFalsy();
      // Keys, service accounts (active projects only) and custom roles of each project.
      const projects = [...sandbox.state.projects.values()];
      const total = projects.length * 2 + projects.filter((p) => p.status === 'active').length;
      expect(seen.map((p) => p.progress)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(seen.at(-1)?.total).toBe(total);
      const warm: Progress[] = [];
      await server.client.callTool({ name: 'find', arguments: { query: 'ci-deploy' } }, undefined, { onprogress: (p) => warm.push(p) });
      expect(warm).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('over stdio: windows done of total, ending at the total', async () => {
    const server = await connectStdio([], env());
    try {
      expectCounted(await callWithProgress(server.client));
      // Without a progress token nothing is sent, and the answer is the same.
      const plain = await server.client.callTool({ name: 'usage_report', arguments: ARGS });
      expect(plain.isError).toBeFalsy();
    } finally {
      await server.close();
    }
  });

  it('over Streamable HTTP', async () => {
    const server = await serveHttp([], env());
    try {
      const url = server.url;
      const client = new Client({ name: 'progress-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
      expectCounted(await callWithProgress(client));
      await client.close();
    } finally {
      await server.stop();
    }
  });
});
