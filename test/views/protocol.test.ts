import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { ENDPOINTS_URI } from '../../src/server/hosts/endpoints-resource.js';
import { VIEW_MIME, VIEW_URI } from '../../src/views/resource.js';
import { connectStdio, structured, type Connected } from '../connect.js';

/* The MCP Apps surface over the real stdio server: the tools that declare the view, and the view itself. */

const VIEW_TOOLS = ['access_review', 'spend_anomalies', 'spend_report', 'usage_report'];
let sandbox: Sandbox;
let server: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5 });
  server = await connectStdio([], { OPENAI_ADMIN_KEY: 'sk-admin-views-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_LOG_LEVEL: 'error' });
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

describe('the report view over MCP', () => {
  it('uses the MIME type ext-apps hosts look for', () => {
    expect(VIEW_MIME).toBe(RESOURCE_MIME_TYPE);
    expect(VIEW_URI.startsWith('ui://')).toBe(true);
  });

  it('advertises resources, and resources/list names the view with its MIME type', async () => {
    expect(server.client.getServerCapabilities()?.resources).toBeDefined();
    const { resources } = await server.client.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: VIEW_URI, mimeType: RESOURCE_MIME_TYPE }), expect.objectContaining({ uri: ENDPOINTS_URI, mimeType: 'application/json' })]);
  });

  it('resources/read returns one self-contained HTML page', async () => {
    const { contents } = await server.client.readResource({ uri: VIEW_URI });
    expect(contents).toHaveLength(1);
    const page = contents[0] as { uri: string; mimeType: string; text: string };
    expect(page.uri).toBe(VIEW_URI);
    expect(page.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(page.text).toMatch(/^<!doctype html>/);
    // Nothing to fetch: no external script, stylesheet, image or font.
    expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^\s"'<>]*\.(?:js|css|woff2?)\b/i);
    expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(500 * 1024);
  });

  it('refuses an unknown resource with an error naming the one it serves', async () => {
    const error = await server.client.readResource({ uri: 'ui://openai-admin-mcp/other.html' }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/Unknown resource 'ui:\/\/openai-admin-mcp\/other\.html'.*report\.html/);
    // The client adds the "MCP error -32602:" prefix to the message it receives; the server must not send one too.
    expect((error as Error).message).toMatch(/^MCP error -32602: Unknown resource/);
    expect((error as Error).message.match(/MCP error/g)).toHaveLength(1);
  });

  it('tools/list carries _meta.ui.resourceUri on exactly the four reports', async () => {
    const { tools } = await server.client.listTools();
    const withView = tools.filter((t) => (t._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri !== undefined);
    expect(withView.map((t) => t.name).sort()).toEqual(VIEW_TOOLS);
    for (const tool of withView) expect(tool._meta).toEqual({ ui: { resourceUri: VIEW_URI } });
    // Endpoint tools carry none: their endpoints are one resource (see the endpoints tests).
    expect(tools.find((t) => t.name === 'projects_list')?._meta).toBeUndefined();
  });

  it('results are unchanged: structuredContent and text carry no view data', async () => {
    const result = await server.client.callTool({ name: 'spend_report', arguments: { period: 'last_month' } });
    expect(result._meta).toBeUndefined();
    expect(Object.keys(structured(result))).not.toContain('ui');
    expect(typeof structured(result).total_usd).toBe('number');
  });

  it('lists no view when none of the four reports is exposed', async () => {
    const keysOnly = await connectStdio(['--toolsets', 'keys'], { OPENAI_ADMIN_KEY: 'sk-admin-views-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_LOG_LEVEL: 'error' });
    try {
      expect((await keysOnly.client.listResources()).resources.map((r) => r.uri)).toEqual([ENDPOINTS_URI]);
      await expect(keysOnly.client.readResource({ uri: VIEW_URI })).rejects.toThrow(/Unknown resource.*serves openai-admin:\/\/endpoints\./);
    } finally {
      await keysOnly.close();
    }
  });
});
