import { readFileSync } from 'node:fs';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { BENCH_KEY, CLI, connectStdio, ms, resultText, table, type StdioSession } from './lib.js';

/*
 * P12: how the cost of an answer grows with the organization. The sandbox runs in this process at
 * each size with 50 ms of latency and --rate-limit 600, and counts every request it receives; the
 * server under test runs as its own process over stdio (so its RSS is its own), built from this
 * tree or from another (`--cli path/to/dist/cli.js`, for the "before" column). Each call is timed,
 * its upstream requests counted, and any 429 noted. A call answering `partial` is repeated, as the
 * answer says, until it is complete; each repeat is a row.
 *
 *   node dist/bench/p12-scale.js [--sizes small,large,huge] [--cli dist/cli.js] [--timeout-s 120] [--rate-limit 600]
 */

interface Row {
  size: string;
  call: string;
  requests: number;
  limited: number;
  ms: number;
  floorMs: number;
  outcome: string;
  rssMiB: number;
}

let RPM = 600;
const LATENCY = 50;

function rssMiB(pid: number | null | undefined): number {
  if (!pid) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** The least time `n` requests take at RPM, with one second of burst, plus one round trip. */
const floorMs = (n: number) => (RPM > 0 ? (Math.max(0, n - RPM / 60) / (RPM / 60)) * 1000 : 0) + LATENCY;

async function measure(size: string, session: StdioSession, sandbox: Sandbox, call: string, name: string, args: Record<string, unknown>, timeoutMs: number): Promise<Row & { partial: boolean }> {
  // A quiet second first, so the API's bucket is full, as the floor assumes.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const from = sandbox.requests.length;
  const started = performance.now();
  let outcome = 'ok';
  let partial = false;
  try {
    const result = await session.client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs });
    if (result.isError) outcome = `error: ${resultText(result).slice(0, 80)}`;
    partial = typeof (result.structuredContent as { partial?: unknown } | undefined)?.partial === 'string';
    if (partial) outcome = 'partial';
  } catch (error) {
    outcome = `failed: ${(error as Error).message.slice(0, 60)}`;
  }
  const elapsed = performance.now() - started;
  const made = sandbox.requests.slice(from);
  const row = {
    size,
    call,
    requests: made.length,
    limited: made.filter((r) => r.rateLimited).length,
    ms: elapsed,
    floorMs: floorMs(made.length - made.filter((r) => r.rateLimited).length),
    outcome,
    rssMiB: rssMiB(session.transport.pid),
    partial,
  };
  // Each row as it is measured, so a long run at huge shows where it is.
  process.stderr.write(`${render([row]).split('\n').at(-1)}\n`);
  return row;
}

export async function p12(sizes: string[], cli = CLI, timeoutMs = 120_000): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of sizes) {
    const sandbox = await startSandbox({ size, latencyMs: LATENCY, rateLimitRpm: RPM > 0 ? RPM : undefined, seed: 1 });
    const session = await connectStdio(cli, [], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' });
    try {
      rows.push({ ...(await measure(size, session, sandbox, 'idle server', 'find', { query: 'no-such-name', kinds: ['invite'] }, timeoutMs)), call: 'idle (find, invites only)' });
      // Cold: the first find fills the directory (repeated while it answers partial).
      for (let i = 1; i <= 40; i++) {
        const row = await measure(size, session, sandbox, `find "ci-deploy" cold #${i}`, 'find', { query: 'ci-deploy' }, timeoutMs);
        rows.push(row);
        if (!row.partial) break;
      }
      rows.push(await measure(size, session, sandbox, 'find "ci-deploy" warm', 'find', { query: 'ci-deploy' }, timeoutMs));
      rows.push(await measure(size, session, sandbox, 'find "Atlas" warm', 'find', { query: 'Atlas' }, timeoutMs));
      for (let i = 1; i <= 40; i++) {
        const row = await measure(size, session, sandbox, `access_review {} first page #${i}`, 'access_review', {}, timeoutMs);
        rows.push(row);
        if (!row.partial) break;
      }
      rows.push(await measure(size, session, sandbox, 'access_review {} first page, warm', 'access_review', {}, timeoutMs));
    } finally {
      await session.close();
      await sandbox.close();
    }
  }
  return rows;
}

export function render(rows: Row[]): string {
  return table(
    ['size', 'call', 'upstream requests', '429s', 'wall time', 'rate-limit floor', 'time / floor', 'server RSS', 'outcome'],
    rows.map((r) => [r.size, r.call, r.requests, r.limited, ms(r.ms), ms(r.floorMs), r.requests > 10 ? `${(r.ms / r.floorMs).toFixed(2)}×` : '–', `${r.rssMiB.toFixed(0)} MiB`, r.outcome]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const sizes = (arg('sizes') ?? 'small,large,huge').split(',');
  // `--rate-limit 0` counts the requests a call makes with no limit in the way.
  RPM = Number(arg('rate-limit') ?? 600);
  const rows = await p12(sizes, arg('cli') ?? CLI, Number(arg('timeout-s') ?? 120) * 1000);
  process.stdout.write(`${render(rows)}\n`);
  process.exit(0);
}
