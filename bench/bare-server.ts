import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/*
 * The P1 baseline: the smallest useful MCP server the SDK allows, with one tool, on stdio. It uses
 * the same low-level `Server` class and transport as openai-admin-mcp, so the difference between
 * the two cold starts is what our own code costs.
 */

const server = new Server({ name: 'bare', version: '1.0.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'echo',
      description: 'Echoes its input.',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, async (request) => ({
  content: [{ type: 'text', text: String((request.params.arguments as { text?: unknown } | undefined)?.text ?? '') }],
}));

await server.connect(new StdioServerTransport());
process.stdin.once('end', () => {
  void server.close().then(() => process.exit(0));
});
