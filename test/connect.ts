import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { ENDPOINTS_URI } from '../src/server/hosts/endpoints-resource.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface Connected {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

/** Spawns the built server on stdio and connects the MCP SDK's own Client to it. */
export async function connectStdio(args: string[], env: Record<string, string> = {}, prepare?: (client: Client) => void, capabilities: ClientCapabilities = {}): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'e2e-test', version: '1.0.0' }, { capabilities });
  prepare?.(client);
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** The endpoints resource as a client reads it: `{tool: "METHOD path"}`. */
export async function readEndpoints(server: Connected): Promise<Record<string, string>> {
  const { contents } = await server.client.readResource({ uri: ENDPOINTS_URI });
  expect(contents).toHaveLength(1);
  expect(contents[0]?.mimeType).toBe('application/json');
  return JSON.parse((contents[0] as { text: string }).text) as Record<string, string>;
}

export function text(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  return (result as CallToolResult).structuredContent as T;
}
