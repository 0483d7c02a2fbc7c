import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';

/*
 * A P1 what-if: the bare SDK server of bench/bare-server.ts, but listing our tools, read from the
 * listing built with the package (P1_LISTING, dist/tool-listing.json), optionally without one field
 * (P1_DROP, e.g. outputSchema). Its cold start against the bare server's is what our listing costs
 * the client and the pipe, apart from anything our server does.
 */

const entries = JSON.parse(readFileSync(process.env.P1_LISTING ?? '', 'utf8')) as Array<{ tool: Tool }>;
const drop = process.env.P1_DROP;
const tools = entries.map((e) => (drop ? (Object.fromEntries(Object.entries(e.tool).filter(([k]) => k !== drop)) as Tool) : e.tool));

const server = new Server({ name: 'bare-listing', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));

await server.connect(new StdioServerTransport());
process.stdin.once('end', () => {
  void server.close().then(() => process.exit(0));
});
