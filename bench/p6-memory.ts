import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR, externalSandbox, mib, projectIdByName, ratio, table, type Section } from './lib.js';

const run = promisify(execFile);

interface Reading {
  calls: number;
  rss: number;
  heapUsed: number;
  external: number;
  ms: number;
}

export async function p6(calls = 10_000): Promise<Section> {
  const sandbox = await externalSandbox(0);
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const { stdout } = await run(process.execPath, ['--expose-gc', join(BENCH_DIR, 'p6-child.js'), sandbox.url, projectId, String(calls)], { env: { PATH: process.env.PATH ?? '' }, maxBuffer: 1 << 20 });
    const { before, readings } = JSON.parse(stdout.trim()) as { before: { rss: number; heapUsed: number }; readings: Reading[] };
    const first = readings[0] as Reading;
    const last = readings[readings.length - 1] as Reading;
    const r = last.rss / first.rss;
    return {
      id: 'P6',
      title: `Memory over ${calls.toLocaleString('en-US')} tool calls`,
      method:
        'A child process (`node --expose-gc dist/bench/p6-child.js`) builds the server runtime with `openRuntime` and calls `projects_retrieve` through its `ToolHost`, one call at a time, ' +
        `${calls.toLocaleString('en-US')} times, against a sandbox at 0 ms latency in a separate process (so the sandbox's own request log is not counted). At each checkpoint it runs a full GC twice and reads \`process.memoryUsage()\`. ` +
        `Before the first call: RSS ${mib(before.rss)}, heap used ${mib(before.heapUsed)}.`,
      body: [
        table(
          ['after calls', 'RSS', 'RSS / at 100', 'heap used', 'external', 'elapsed'],
          readings.map((x) => [x.calls.toLocaleString('en-US'), mib(x.rss), ratio(x.rss / first.rss), mib(x.heapUsed), mib(x.external), `${(x.ms / 1000).toFixed(1)} s`]),
        ),
        `Mean time per call over the run: ${(last.ms / last.calls).toFixed(2)} ms.`,
      ],
      checks: [{ id: 'P6', what: `RSS after ${calls.toLocaleString('en-US')} calls / after 100`, measured: `${ratio(r)} (${mib(last.rss)} vs ${mib(first.rss)})`, target: '≤ 1.2×', pass: r <= 1.2 }],
    };
  } finally {
    await sandbox.close();
  }
}
