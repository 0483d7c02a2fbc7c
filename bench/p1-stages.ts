/*
 * P1 diagnostic child: walks the path of `openai-admin-mcp [--sandbox]` (src/cli.ts →
 * src/commands/serve.ts) up to the moment the server reads stdin, with a clock between the stages,
 * then, off that path, the load a QuickHost starts once its first listing is answered. Prints the
 * durations as one JSON line. Every import is dynamic so each stage pays its own module loading, in
 * the order the CLI pays it.
 *
 * node dist/bench/p1-stages.js [--sandbox] [more CLI flags]
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

const argv = process.argv.slice(2);
const sandboxMode = argv.includes('--sandbox');

await import('@modelcontextprotocol/sdk/server/index.js');
await import('@modelcontextprotocol/sdk/server/stdio.js');
mark('import MCP SDK Server + StdioServerTransport (the bare server pays this too)');
const { parseConfig } = await import('../src/config.js');
mark('import src/config (with src/client, src/log, src/version)');
const config = parseConfig(argv, { OPENAI_ADMIN_KEY: 'sk-admin-bench-0123456789abcdef', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' });
mark('parse the configuration');
const { openRuntime } = await import('../src/runtime.js');
const { createMcpServer } = await import('../src/server/hosts/mcp-server.js');
mark('import src/runtime, the quick host and src/server/mcp-server');
const runtime = await openRuntime(config, { quick: true });
mark(sandboxMode ? 'openRuntime --sandbox: bind the sandbox port (the simulator loads on its first request), client, read dist/tool-listing.json' : 'openRuntime: client, read dist/tool-listing.json, select the tools');
createMcpServer(runtime.host);
mark('createMcpServer (handlers; the server then connects stdio and answers)');

// Off the start-up path: what the QuickHost loads after the first listing is answered.
await import('undici');
mark('after the listing, not timed by P1: import undici (on the first request)');
await import('../tools/index.js');
mark('after the listing, not timed by P1: import tools/ (every endpoint definition as zod schemas)');
if (runtime.sandbox) {
  await runtime.sandbox.load();
  mark('after the listing, not timed by P1, --sandbox only: import the simulator (node:http, routes, seed tables)');
}
await runtime.toolHost();
mark('after the listing, not timed by P1: src/server + src/reports, build the ToolHost');

process.stdout.write(`${JSON.stringify(stages)}\n`);
await runtime.close();
