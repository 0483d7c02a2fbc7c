import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR, BENCH_KEY, CLI, connectStdio, externalSandbox, median, mib, projectIdByName, ratio, resultText, table, type Section } from './lib.js';

const run = promisify(execFile);

/*
 * P6: resident memory of the server under steady load, against the SDK's own one-tool server doing
 * the same GET (bench/bare-get-server.ts). Both are spawned as users spawn them and driven over stdio
 * by the MCP SDK Client, 10 calls in flight, against one sandbox process at 0 ms latency; the RSS of
 * the server process is read from outside (/proc) every `SAMPLE_EVERY` calls, with no forced GC, so
 * the figure is what the machine sees.
 */

const SAMPLE_EVERY = 500;

interface Sample {
  calls: number;
  rss: number;
}

interface LoadRun {
  samples: Sample[];
  /** Peak RSS of the process over its life (VmHWM). */
  peak: number;
  seconds: number;
}

/** RSS of a process in bytes: /proc on Linux, `ps` elsewhere. */
function rssOf(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  if (field === 'VmHWM') return Number.NaN;
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

async function loadRun(script: string, args: string[], env: Record<string, string>, projectId: string, calls: number, concurrency: number): Promise<LoadRun> {
  const session = await connectStdio(script, args, env);
  try {
    const pid = session.transport.pid;
    if (pid === null) throw new Error(`${script}: no pid`);
    // A client lists the tools first (and compiles validators for their output schemas).
    await session.client.listTools();
    const samples: Sample[] = [];
    let started = 0;
    let done = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (started < calls) {
        started++;
        const result = await session.client.callTool({ name: 'projects_retrieve', arguments: { project_id: projectId } });
        if (result.isError || !resultText(result).includes(projectId)) throw new Error(`${script}: call failed: ${resultText(result).slice(0, 300)}`);
        done++;
        if (done % SAMPLE_EVERY === 0) samples.push({ calls: done, rss: rssOf(pid) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    return { samples, peak: rssOf(pid, 'VmHWM'), seconds };
  } finally {
    await session.close();
  }
}

/** Median RSS of the samples taken in (from, to]. */
function window(samples: readonly Sample[], from: number, to: number): number {
  return median(samples.filter((s) => s.calls > from && s.calls <= to).map((s) => s.rss));
}

/** Whether this build knows `--toolsets all` (the flag that lists every tool once the default is curated). */
async function allToolsArgs(): Promise<string[]> {
  try {
    await run(process.execPath, [CLI, 'tools', '--toolsets', 'all'], { env: { PATH: process.env.PATH ?? '' } });
    return ['--toolsets', 'all'];
  } catch {
    return [];
  }
}

export async function p6(rounds = 3, calls = 50_000, concurrency = 10): Promise<Section> {
  const sandbox = await externalSandbox(0);
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const env = { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' };
    const ours = { script: CLI, args: await allToolsArgs() };
    const bare = { script: join(BENCH_DIR, 'bare-get-server.js'), args: [] as string[] };
    const runs = { ours: [] as LoadRun[], bare: [] as LoadRun[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
      for (const key of order) {
        const v = key === 'ours' ? ours : bare;
        process.stderr.write(`bench: P6 round ${round + 1}/${rounds}, ${key}…\n`);
        runs[key].push(await loadRun(v.script, v.args, env, projectId, calls, concurrency));
      }
    }
    const steady = (r: LoadRun) => window(r.samples, 10_000, calls);
    const at = (r: LoadRun, n: number) => window(r.samples, n - 2_000, n);
    const med = (list: LoadRun[], f: (r: LoadRun) => number) => median(list.map(f));
    const oursSteady = med(runs.ours, steady);
    const bareSteady = med(runs.bare, steady);
    const r = oursSteady / bareSteady;
    const growth = med(runs.ours, (x) => at(x, calls) / at(x, 10_000));
    const bareGrowth = med(runs.bare, (x) => at(x, calls) / at(x, 10_000));
    const checkpoints = [2_000, 10_000, 20_000, 30_000, 40_000, calls];
    const row = (name: string, list: LoadRun[]) => [
      name,
      ...checkpoints.map((n) => mib(med(list, (x) => at(x, n)))),
      mib(med(list, steady)),
      mib(med(list, (x) => x.peak)),
      `${(calls / med(list, (x) => x.seconds)).toFixed(0)}/s`,
    ];
    return {
      id: 'P6',
      title: `Memory under steady load: ${calls.toLocaleString('en-US')} tool calls, ${concurrency} at a time`,
      method:
        `A sandbox runs in its own process at 0 ms latency. Two servers are spawned in turn, each driven over stdio by the MCP SDK \`Client\` (tools listed first), ` +
        `${calls.toLocaleString('en-US')} \`projects_retrieve\` calls with ${concurrency} in flight: \`node dist/cli.js ${ours.args.join(' ')}\` (every tool) against the sandbox, and ` +
        '`bench/bare-get-server.ts`, the SDK\'s low-level `Server` with one tool whose handler GETs the same project with undici on a keep-alive `Pool` and returns the JSON as text. ' +
        `The resident set (RSS, /proc/PID/status VmRSS) of the server process is read from outside every ${SAMPLE_EVERY} calls; nothing forces a GC, and neither process gets V8 flags from the benchmark. ` +
        `"at N" is the median of the samples over the 2,000 calls up to N; "steady" is the median of every sample from 10,000 calls on; peak is VmHWM. ${rounds} rounds, the order alternating; every figure is the median over the rounds.`,
      body: [
        table(['server', ...checkpoints.map((n) => `at ${n.toLocaleString('en-US')}`), 'steady (10k–end)', 'peak', 'calls/s'], [row('openai-admin-mcp', runs.ours), row('bare SDK server, 1 tool, undici GET', runs.bare)]),
        `Ratio of the steady medians ${ratio(r)}; per round: ${runs.ours.map((o, i) => ratio(steady(o) / steady(runs.bare[i] as LoadRun))).join(', ')}. ` +
          `Growth from 10,000 to ${calls.toLocaleString('en-US')} calls: ours ${ratio(growth)}, bare ${ratio(bareGrowth)}.`,
      ],
      checks: [
        { id: 'P6', what: `RSS under load (10k–${calls / 1000}k calls, 10 at a time) / bare SDK server with the same GET`, measured: `${ratio(r)} (${mib(oursSteady)} vs ${mib(bareSteady)})`, target: '≤ 1.2×', pass: r <= 1.2 },
        { id: 'P6', what: `RSS growth from 10,000 to ${calls.toLocaleString('en-US')} calls`, measured: `${ratio(growth)}`, target: '≤ 1.05×', pass: growth <= 1.05 },
      ],
    };
  } finally {
    await sandbox.close();
  }
}
