import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ServerConfig } from '../config.js';
import { openRuntime } from '../runtime.js';
import { createMcpServer } from '../server/mcp.js';

/** The MCP server on stdio: protocol on stdout, logs on stderr. */
export async function runServe(config: ServerConfig): Promise<number> {
  const runtime = await openRuntime(config);
  const server = createMcpServer(runtime.host);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  runtime.logger.info(`serving ${runtime.host.listTools().length} tools on stdio${config.sandbox ? ' against the sandbox' : ''}${config.readOnly ? ' (read-only)' : ''}`);
  await closed;
  await server.close();
  await runtime.close();
  return 0;
}
