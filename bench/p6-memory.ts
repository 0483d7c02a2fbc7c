import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allToolsArgs, BENCH_DIR, BENCH_KEY, CLI, connectStdio, externalSandbox, median, mib, projectIdByName, quantile, ratio, resultText, table, type Section } from './lib.js';

const run = promisify(execFile);

/*
 * P6: resident memory of the server under steady load, against the SDK's own one-tool server doing
 * the same GET (bench/bare-get-server.ts). Both are spawned as users spawn them, with no V8 flags,
 * and driven over stdio by the MCP SDK Client with 10 calls in flight, against one sandbox process
 * at 0 ms latency. The RSS of the server process is read from outside (/proc) every SAMPLE_EVERY
 * calls, with no forced GC, so the figure is what the machine sees. A separate, instrumented run
 * (bench/p6-probe.ts) and a layer-by-layer heap count (bench/p6-layers.ts) say where it goes.
 */

const SAMPLE_EVERY = 250;
const WINDOW = 10_000;

interface Sample {
  calls: number;
  rss: number;
}

interface LoadRun {
  /** RSS after the listing, before the first call. */
  idle: number;
  samples: Sample[];
  /** Peak RSS over the life of the process (VmHWM). */
  peak: number;
  seconds: number;
  probe?: Probe;
}

interface Probe {
  scavenges: number;
  allocated: number;
  promoted: number;
  majors: Array<[number, number]>;
  rss: number;
  liveHeap: number;
}

/** RSS (or its peak) of a process in bytes: /proc on Linux, `ps` elsewhere (no peak there). */
function rssOf(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  if (field === 'VmHWM') return Number.NaN;
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

interface Server {
  name: string;
  script: string;
  args: string[];
}

async function loadRun(server: Server, env: Record<string, string>, projectId: string, calls: number, concurrency: number, probeFile?: string): Promise<LoadRun> {
  const probeEnv: Record<string, string> = probeFile ? { NODE_OPTIONS: `--expose-gc --import ${join(BENCH_DIR, 'p6-probe.js')}`, P6_PROBE_OUT: probeFile } : {};
  const session = await connectStdio(server.script, server.args, { ...env, ...probeEnv });
  try {
    const pid = session.transport.pid;
    if (pid === null) throw new Error(`${server.name}: no pid`);
    // A client lists the tools first (and compiles validators for their output schemas).
    await session.client.listTools();
    const idle = rssOf(pid);
    const samples: Sample[] = [];
    let started = 0;
    let done = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (started < calls) {
        started++;
        const result = await session.client.callTool({ name: 'projects_retrieve', arguments: { project_id: projectId } });
        if (result.isError || !resultText(result).includes(projectId)) throw new Error(`${server.name}: call failed: ${resultText(result).slice(0, 300)}`);
        done++;
        if (done % SAMPLE_EVERY === 0) samples.push({ calls: done, rss: rssOf(pid) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const peak = rssOf(pid, 'VmHWM');
    let probe: Probe | undefined;
    if (probeFile) {
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 600 && !existsSync(probeFile); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      probe = JSON.parse(readFileSync(probeFile, 'utf8')) as Probe;
    }
    return { idle, samples, peak, seconds, probe };
  } finally {
    await session.close();
  }
}

/** Median RSS of the samples taken in (from, to]. */
function windowMedian(samples: readonly Sample[], from: number, to: number): number {
  return median(samples.filter((s) => s.calls > from && s.calls <= to).map((s) => s.rss));
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function p6(rounds = 3, calls = 50_000, concurrency = 10, probeCalls = 10_000): Promise<Section> {
  const sandbox = await externalSandbox(0);
  const scratch = mkdtempSync(join(os.tmpdir(), 'oam-p6-'));
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const env = { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' };
    const all = await allToolsArgs();
    const ours: Server = { name: 'openai-admin-mcp', script: CLI, args: all };
    const bare: Server = { name: 'bare', script: join(BENCH_DIR, 'bare-get-server.js'), args: [] };
    const runs = { ours: [] as LoadRun[], bare: [] as LoadRun[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
      for (const key of order) {
        process.stderr.write(`bench: P6 round ${round + 1}/${rounds}, ${key}…\n`);
        runs[key].push(await loadRun(key === 'ours' ? ours : bare, env, projectId, calls, concurrency));
      }
    }
    process.stderr.write('bench: P6 instrumented runs and layers…\n');
    const probes = {
      ours: await loadRun(ours, env, projectId, probeCalls, concurrency, join(scratch, 'ours.json')),
      bare: await loadRun(bare, env, projectId, probeCalls, concurrency, join(scratch, 'bare.json')),
    };
    const { stdout } = await run(process.execPath, ['--expose-gc', join(BENCH_DIR, 'p6-layers.js')], { env: { PATH: process.env.PATH ?? '' } });
    const layers = JSON.parse(stdout.trim()) as { layers: Array<[string, number]>; total: number };

    const steady = (r: LoadRun) => windowMedian(r.samples, WINDOW, calls);
    const med = (list: LoadRun[], f: (r: LoadRun) => number) => median(list.map(f));
    const oursSteady = med(runs.ours, steady);
    const bareSteady = med(runs.bare, steady);
    const r = oursSteady / bareSteady;
    const windows: Array<[number, number]> = [];
    for (let from = 0; from < calls; from += WINDOW) windows.push([from, Math.min(from + WINDOW, calls)]);
    // Growth compares the two halves of the steady span by their lower envelope (10th percentile):
    // the level RSS falls back to after full GCs, which is what rises if something is retained. A
    // window's median also depends on where in the GC sawtooth its samples fall, which moves it by
    // ±10 % between runs of the same build (it is shown too).
    const middle = WINDOW + Math.round((calls - WINDOW) / 2 / SAMPLE_EVERY) * SAMPLE_EVERY;
    const firstSteady: [number, number] = [WINDOW, middle];
    const lastWindow: [number, number] = [middle, calls];
    const low = (x: LoadRun, [from, to]: [number, number]) => quantile(x.samples.filter((q) => q.calls > from && q.calls <= to).map((q) => q.rss), 0.1);
    const growthOf = (x: LoadRun) => low(x, lastWindow) / low(x, firstSteady);
    const medianGrowthOf = (x: LoadRun) => windowMedian(x.samples, lastWindow[0], lastWindow[1]) / windowMedian(x.samples, firstSteady[0], firstSteady[1]);
    const growth = med(runs.ours, growthOf);
    const k = (n: number) => `${n / 1000}k`;
    const row = (name: string, list: LoadRun[]) => [
      name,
      mib(med(list, (x) => x.idle)),
      ...windows.map(([from, to]) => mib(med(list, (x) => windowMedian(x.samples, from, to)))),
      `**${mib(med(list, steady))}**`,
      mib(med(list, (x) => x.peak)),
      `${(calls / med(list, (x) => x.seconds)).toFixed(0)}/s`,
    ];
    const probeRow = (name: string, p: Probe | undefined) => {
      if (!p) return [name, '—', '—', '—', '—', '—', '—'];
      const lastMajor = p.majors[p.majors.length - 1];
      return [
        name,
        mib(p.liveHeap),
        kib(p.allocated / probeCalls),
        kib(p.promoted / probeCalls),
        String(p.scavenges),
        String(p.majors.length),
        lastMajor ? `${mib(lastMajor[0])} → ${mib(lastMajor[1])}` : '—',
      ];
    };
    return {
      id: 'P6',
      title: `Memory under steady load: ${calls.toLocaleString('en-US')} tool calls, ${concurrency} at a time, against the SDK's own one-tool server`,
      method:
        `A sandbox runs in its own process at 0 ms latency. Two servers are spawned in turn and driven over stdio by the MCP SDK \`Client\` (tools listed first), ` +
        `${calls.toLocaleString('en-US')} \`projects_retrieve\` calls each with ${concurrency} in flight: \`node dist/cli.js${all.length > 0 ? ` ${all.join(' ')}` : ''}\` (every tool) against the sandbox, and ` +
        "`bench/bare-get-server.ts`, the SDK's low-level `Server` with one tool whose handler GETs the same project with undici on a keep-alive `Pool` and returns the JSON as text. " +
        `The resident set of the server process (VmRSS in /proc/PID/status) is read from outside every ${SAMPLE_EVERY} calls. Nothing forces a GC and neither process gets V8 flags or any other setting from the benchmark. ` +
        `Each ${k(WINDOW)}-call column is the median of the samples in that window; "steady" is the median of every sample from ${k(WINDOW)} calls on (what the target is judged on); peak is VmHWM. ` +
        `${rounds} rounds, the order alternating; every figure is the median over the rounds.`,
      body: [
        table(['server', 'idle, after tools/list', ...windows.map(([from, to]) => `${k(from)}–${k(to)}`), `steady (${k(WINDOW)}–${k(calls)})`, 'peak', 'calls/s'], [row('openai-admin-mcp', runs.ours), row('bare SDK server, 1 tool, same undici GET', runs.bare)]),
        `Ratio of the steady medians ${ratio(r)}; per round ${runs.ours.map((o, i) => ratio(steady(o) / steady(runs.bare[i] as LoadRun))).join(', ')}. ` +
          `Growth, the 10th percentile of the samples over ${k(lastWindow[0])}–${k(lastWindow[1])} calls divided by that over ${k(firstSteady[0])}–${k(firstSteady[1])} (the level RSS returns to after full GCs): ours ${ratio(growth)} (per round ${runs.ours.map((x) => ratio(growthOf(x))).join(', ')}), bare ${ratio(med(runs.bare, growthOf))}; ` +
          `the same with medians: ours ${ratio(med(runs.ours, medianGrowthOf))}, bare ${ratio(med(runs.bare, medianGrowthOf))}. ` +
          'RSS under load is a sawtooth: V8 lets the old generation grow to a limit set from the live heap after each full GC and the rate at which objects survive the young generation, then collects it.',
        `Where it goes: one more run of each server, ${probeCalls.toLocaleString('en-US')} calls, with \`NODE_OPTIONS="--expose-gc --import dist/bench/p6-probe.js"\` (diagnostic only, not in the figures above). ` +
          'The probe records every GC with `v8.GCProfiler`; at the end it forces two full GCs and reads the live heap.',
        table(
          ['server', 'live heap after full GC', 'young-generation allocation per call', 'promoted to the old generation per call', 'scavenges', 'full GCs', 'old generation at the last full GC'],
          [probeRow('openai-admin-mcp', probes.ours.probe), probeRow('bare SDK server', probes.bare.probe)],
        ),
        'What each layer adds to the live heap, loaded in order in one process after full GCs (`node --expose-gc dist/bench/p6-layers.js`):',
        table(['layer', 'live heap added'], [...layers.layers.map(([name, bytes]) => [name, mib(bytes)]), ['total heap used', mib(layers.total)]]),
      ],
      checks: [
        { id: 'P6', what: `RSS under load (${k(WINDOW)}–${k(calls)} calls, ${concurrency} at a time) / SDK one-tool server with the same GET`, measured: `${ratio(r)} (${mib(oursSteady)} vs ${mib(bareSteady)})`, target: '≤ 1.2×', pass: r <= 1.2 },
        { id: 'P6', what: `RSS growth after warm-up (lower envelope, ${k(lastWindow[0])}–${k(lastWindow[1])} vs ${k(firstSteady[0])}–${k(firstSteady[1])} calls)`, measured: ratio(growth), target: '≤ 1.05×', pass: growth <= 1.05 },
      ],
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await sandbox.close();
  }
}
