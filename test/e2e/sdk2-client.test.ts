import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../connect.js';
import { serveHttp, type RunningCli } from '../serve-http.js';

/*
 * The next generation of the official SDK: a 2.x Client (@modelcontextprotocol/client) against the
 * built server over stdio, HTTP with sessions and stateless HTTP. It lists the tools, answers a
 * report and gets a destructive tool's preview, the three things every host does first.
 */

interface CallResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

let sessions: RunningCli;
let stateless: RunningCli;
beforeAll(async () => {
  [sessions, stateless] = await Promise.all([serveHttp(['--sandbox', '--no-auth'], {}), serveHttp(['--sandbox', '--no-auth', '--stateless'], {})]);
});
afterAll(async () => {
  await Promise.all([sessions?.stop(), stateless?.stop()]);
});

const transports = {
  stdio: () => new StdioClientTransport({ command: process.execPath, args: [CLI, '--sandbox'], env: { PATH: process.env.PATH ?? '' }, stderr: 'ignore' }),
  'HTTP with sessions': () => new StreamableHTTPClientTransport(new URL(sessions.url)),
  'stateless HTTP': () => new StreamableHTTPClientTransport(new URL(stateless.url)),
};

describe('an MCP SDK 2.x client', { timeout: 90_000 }, () => {
  it.concurrent.each(Object.keys(transports) as (keyof typeof transports)[])('over %s: lists the tools, answers a report and gets a preview', async (name) => {
    const client = new Client({ name: 'sdk2-test', version: '1.0.0' });
    await client.connect(transports[name]());
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['spend_report', 'access_review', 'projects_list', 'call_tool']));

      const report = (await client.callTool({ name: 'spend_report', arguments: { period: 'last_month' } })) as CallResult;
      expect(report.isError, JSON.stringify(report.content)).toBeFalsy();
      expect(report.structuredContent?.total_usd).toEqual(expect.any(Number));

      const projects = (await client.callTool({ name: 'projects_list', arguments: { limit: 20 } })) as CallResult;
      const active = (projects.structuredContent?.data as { id: string; name: string; status: string }[]).find((p) => p.status === 'active' && p.name !== 'Default project');
      expect(active).toBeDefined();
      // projects_archive is one call_tool away from the default listing.
      const preview = (await client.callTool({ name: 'call_tool', arguments: { name: 'projects_archive', arguments: { project_id: active!.id } } })) as CallResult;
      expect(preview.isError, JSON.stringify(preview.content)).toBeFalsy();
      expect(preview.structuredContent?.confirmation_token).toEqual(expect.any(String));
    } finally {
      await client.close();
    }
  });
});
