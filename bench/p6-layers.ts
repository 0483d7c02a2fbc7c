/*
 * P6 diagnostic child: the live heap each layer of the server adds, in the order a server under load
 * has them loaded, after full GCs. Prints one JSON line of [layer, bytes].
 *
 * node --expose-gc dist/bench/p6-layers.js
 */

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const layers: Array<[string, number]> = [];
let last = heap();
const mark = (name: string) => {
  const now = heap();
  layers.push([name, now - last]);
  last = now;
};
// Kept reachable to the end, as a running server keeps them.
const keep: unknown[] = [];

keep.push(await import('@modelcontextprotocol/sdk/server/index.js'), await import('@modelcontextprotocol/sdk/server/stdio.js'));
mark('MCP SDK Server + StdioServerTransport (the bare server has them too)');
keep.push(await import('undici'));
mark('undici (the bare server has it too)');
keep.push(await import('zod'), await import('zod-to-json-schema'));
mark('zod 3 and zod-to-json-schema (modules only)');
const { endpointTools } = await import('../tools/index.js');
keep.push(endpointTools);
mark(`tools/: ${endpointTools.length} endpoint definitions as zod schemas`);
const { prebuiltListing } = await import('../src/server/listing/prebuilt.js');
keep.push(prebuiltListing());
mark('dist/tool-listing.json, parsed (tools/list is answered from it)');
const { allComposites } = await import('../src/reports/index.js');
keep.push(allComposites);
mark(`src/reports: ${allComposites.length} reports`);
const { parseConfig } = await import('../src/config.js');
const { openRuntime } = await import('../src/runtime.js');
const runtime = await openRuntime(parseConfig([], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_ADMIN_KEY: 'sk-admin-bench-0123456789abcdef', OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }), { quick: true });
keep.push(runtime, await runtime.toolHost());
mark('src/server, src/client, the executor, the ToolHost with every tool registered');

process.stdout.write(`${JSON.stringify({ layers, total: last })}\n`);
await runtime.close();
