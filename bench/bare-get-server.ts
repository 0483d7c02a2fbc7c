import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Pool } from 'undici';

/*
 * The P6 baseline: the SDK's own one-tool server doing the same work as our `projects_retrieve`,
 * written as a developer would write it: the low-level `Server` on `StdioServerTransport`, one tool
 * whose handler GETs the project from OPENAI_BASE_URL with undici on a keep-alive `Pool` and returns
 * the JSON as text. No validation, no policy, no result wrapping: the floor for the same GET over MCP.
 *
 * OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_ADMIN_KEY=sk-admin-… node dist/bench/bare-get-server.js
 */

const base = new URL(process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:9/v1');
const basePath = base.pathname.replace(/\/$/, '');
const headers = { authorization: `Bearer ${process.env.OPENAI_ADMIN_KEY ?? ''}`, accept: 'application/json' };
const pool = new Pool(base.origin, { keepAliveTimeout: 30_000 });

const server = new Server({ name: 'bare-get', version: '1.0.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'projects_retrieve',
      description: 'Retrieves a project.',
      inputSchema: { type: 'object', properties: { project_id: { type: 'string' } }, required: ['project_id'] },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const id = String((request.params.arguments as { project_id?: unknown } | undefined)?.project_id ?? '');
  const res = await pool.request({ method: 'GET', path: `${basePath}/organization/projects/${encodeURIComponent(id)}`, headers });
  const text = await res.body.text();
  return { content: [{ type: 'text', text: JSON.stringify(JSON.parse(text)) }], ...(res.statusCode >= 400 ? { isError: true } : {}) };
});

await server.connect(new StdioServerTransport());
process.stdin.once('end', () => {
  void server.close().then(() => pool.close()).then(() => process.exit(0));
});
