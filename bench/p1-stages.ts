/*
 * P1 diagnostic child: walks the same path as `openai-admin-mcp [--sandbox]` (src/commands/serve.ts)
 * with a clock between the stages and prints the durations as one JSON line. Every import is
 * dynamic so each stage pays its own module loading, in the order the CLI pays it.
 *
 * node dist/bench/p1-stages.js [--sandbox]
 */

const stages: Array<[string, number]> = [];
let last = performance.now();
// performance.now() counts from the process's time origin: this first mark is Node's own start-up.
stages.push(['node start-up until the entry script runs', last]);
const mark = (name: string) => {
  const now = performance.now();
  stages.push([name, now - last]);
  last = now;
};

const sandboxMode = process.argv.includes('--sandbox');

await import('@modelcontextprotocol/sdk/server/index.js');
await import('@modelcontextprotocol/sdk/server/stdio.js');
mark('import MCP SDK Server + StdioServerTransport (the bare server pays this too)');
await import('undici');
mark('import undici');
await import('zod');
await import('zod-to-json-schema');
mark('import zod + zod-to-json-schema');
await import('../tools/index.js');
mark('import tools/ (the endpoint definitions, built as zod schemas)');
const { parseConfig } = await import('../src/config.js');
const { AdminClient } = await import('../src/client/index.js');
const { createLogger } = await import('../src/log.js');
mark('import src/config + src/client (undici already loaded)');
const { ToolHost } = await import('../src/server/mcp.js');
const { createMcpServer } = await import('../src/server/mcp-server.js');
const { selectTools } = await import('../src/server/registry.js');
const { allComposites } = await import('../src/reports/index.js');
mark('import src/server + src/reports');
const { startSandbox } = await import('../src/sandbox/server.js');
mark('import src/sandbox (runtime.ts imports it statically, so this is paid with or without --sandbox)');
await import('../src/runtime.js');
await import('../src/commands/serve.js');
mark('import src/runtime + src/commands/serve');
const config = parseConfig(sandboxMode ? ['--sandbox', '--toolsets', 'all'] : ['--toolsets', 'all'], { OPENAI_ADMIN_KEY: 'sk-admin-bench', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
mark('parse the configuration');
let baseUrl = config.baseUrl;
let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
if (sandboxMode) {
  sandbox = await startSandbox({ seed: config.seed });
  baseUrl = sandbox.url;
  mark('start the in-process sandbox (seed the organization, listen)');
}
const selection = { readOnly: config.readOnly, toolsets: config.toolsets, tools: config.tools, project: config.project };
selectTools(selection, allComposites);
mark('selectTools, 1st call: zod objects + zod-to-json-schema for every tool (ToolHost.exposed)');
selectTools({ readOnly: false }, allComposites);
mark('selectTools, 2nd call (ToolHost.every, the refusal map)');
const client = new AdminClient({ apiKey: 'sk-admin-bench', baseUrl, logger: createLogger({ level: 'silent' }) });
const host = new ToolHost({ ...config, client, logger: createLogger({ level: 'silent' }), composites: allComposites });
mark('new AdminClient + new ToolHost, JIT now warm (calls selectTools twice more)');
createMcpServer(host);
mark('createMcpServer (listTools once, handlers)');
JSON.parse(JSON.stringify(host.listTools()));
mark('for comparison, not part of start-up: JSON round trip of the whole listing (what a listing prebuilt at build time would cost to load)');

process.stdout.write(`${JSON.stringify(stages)}\n`);
await client.close();
await sandbox?.close();
