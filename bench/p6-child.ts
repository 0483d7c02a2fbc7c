import { parseConfig } from '../src/config.js';
import { openRuntime } from '../src/runtime.js';

/*
 * P6 child: one server runtime (openRuntime → ToolHost), many sequential `projects_retrieve` calls
 * against a sandbox in another process, memory read after a full GC at checkpoints. Prints one JSON line.
 *
 * node --expose-gc dist/bench/p6-child.js <sandbox url> <project id> <calls>
 */

const [url, projectId, callsArg] = process.argv.slice(2);
if (!url || !projectId) throw new Error('usage: p6-child.js <sandbox url> <project id> [calls]');
const calls = Number(callsArg ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const runtime = await openRuntime(parseConfig([], { OPENAI_BASE_URL: url, OPENAI_ADMIN_KEY: 'sk-admin-bench-0123456789abcdef', OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }));
const checkpoints = new Set([100, 1_000, 2_500, 5_000, 7_500, calls]);
const readings: Array<{ calls: number; rss: number; heapUsed: number; external: number; ms: number }> = [];
const before = process.memoryUsage();
const started = performance.now();
for (let i = 1; i <= calls; i++) {
  const result = await runtime.host.call('projects_retrieve', { project_id: projectId });
  if (result.isError) throw new Error(`call ${i} failed`);
  if (checkpoints.has(i)) {
    gc();
    gc();
    const m = process.memoryUsage();
    readings.push({ calls: i, rss: m.rss, heapUsed: m.heapUsed, external: m.external, ms: performance.now() - started });
  }
}
await runtime.close();
process.stdout.write(`${JSON.stringify({ before: { rss: before.rss, heapUsed: before.heapUsed }, readings })}\n`);
