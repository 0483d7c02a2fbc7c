import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from '../connect.js';
import { serveHttp, type RunningCli } from '../serve-http.js';

/* Issue 8, item 6: protocol details an attacker or a strict client notices. */

const TOKEN = 'protocol-test-token-41d0';
const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });

let server: RunningCli;
beforeAll(async () => {
  server = await serveHttp(['--sandbox', '--toolsets', 'all'], { OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });
});
afterAll(() => server.stop());

async function listWithCursor(client: Client, cursor: string): Promise<unknown> {
  try {
    await client.listTools({ cursor });
  } catch (error) {
    return error;
  }
  throw new Error('tools/list with a cursor the server never issued succeeded');
}

describe('tools/list with a cursor', () => {
  it('answers a cursor the server never issued with -32602 over HTTP, and lists everything without one', async () => {
    const client = new Client({ name: 'protocol-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    try {
      const { tools, nextCursor } = await client.listTools();
      expect(tools.length).toBeGreaterThan(100);
      expect(nextCursor).toBeUndefined();
      for (const cursor of ['bogus', '', 'eyJvZmZzZXQiOjEwfQ==']) {
        const error = await listWithCursor(client, cursor);
        expect(error).toBeInstanceOf(McpError);
        expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
        expect((error as McpError).message).toMatch(/Invalid cursor .*issues no cursors/);
        expect((error as McpError).message.match(/MCP error/g)).toHaveLength(1);
      }
    } finally {
      await client.close();
    }
  });

  it('does the same over stdio', async () => {
    const { client, close } = await connectStdio(['--sandbox', '--read-only']);
    try {
      expect(((await listWithCursor(client, 'page-2')) as McpError).code).toBe(ErrorCode.InvalidParams);
    } finally {
      await close();
    }
  });
});

describe('401 answers', () => {
  const challenge = /^Bearer realm="openai-admin-mcp", error="invalid_token", error_description="[^"\\]+"$/;

  it('carry an invalid_token challenge with a realm, not a bare Bearer that reads as an OAuth server', async () => {
    const missing = await fetch(server.url, { method: 'POST', headers: POST_HEADERS, body: INITIALIZE });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(challenge);
    expect(missing.headers.get('www-authenticate')).toMatch(/no bearer token was sent/);
    expect(JSON.stringify(await missing.json())).toMatch(/Authorization: Bearer <OPENAI_ADMIN_MCP_HTTP_TOKEN>/);

    const wrong = await fetch(server.url, { method: 'POST', headers: { ...POST_HEADERS, authorization: 'Bearer not-the-token' }, body: INITIALIZE });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(challenge);
    expect(wrong.headers.get('www-authenticate')).toMatch(/does not match/);
    // The token the server expects never appears in a refusal.
    expect(`${wrong.headers.get('www-authenticate')} ${await wrong.text()}`).not.toContain(TOKEN);

    for (const method of ['GET', 'DELETE']) {
      const other = await fetch(server.url, { method, headers: { accept: 'text/event-stream' } });
      expect(other.status).toBe(401);
      expect(other.headers.get('www-authenticate')).toMatch(challenge);
    }
  });

  it('a request without the --key-from-header header is told which header, in the challenge too', async () => {
    const gateway = await serveHttp(['--key-from-header', 'x-openai-admin-key'], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN });
    try {
      const keyless = await fetch(gateway.url, { method: 'POST', headers: { ...POST_HEADERS, authorization: `Bearer ${TOKEN}` }, body: INITIALIZE });
      expect(keyless.status).toBe(401);
      expect(keyless.headers.get('www-authenticate')).toMatch(/^Bearer realm="openai-admin-mcp", error="invalid_request", error_description="[^"]*x-openai-admin-key header[^"]*"$/);
    } finally {
      await gateway.stop();
    }
  });
});
