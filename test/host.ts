import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AdminClient } from '../src/client/index.js';
import { createMcpServer } from '../src/server/hosts/mcp-server.js';
import { createLogger } from '../src/log.js';
import { ToolHost, type ServerDeps } from '../src/server/hosts/tool-host.js';

/**
 * A ToolHost for in-process tests on the sandbox: a silent logger, writes allowed, a static listing,
 * secrets shown as the sandbox's; `options` override any of it.
 */
export function testHost(client: AdminClient, options: Partial<ServerDeps> = {}): ToolHost {
  return new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, ...options });
}

/** The MCP SDK's own Client connected in-process to a server for `host`. */
export async function connectInProcess(host: ToolHost, name = 'test-client'): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(host).connect(serverSide);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}
