import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { startSandbox } from '../src/sandbox/server.js';
import { allToolsArgs, BENCH_DIR, BENCH_KEY, CLI, connectStdio, interleave, median, ms, pairedRatio, ratio, spread, table, timed, type Section } from './lib.js';

const run = promisify(execFile);

/** CPU time of one start: the server process's, up to its tools/list answer, and the client's. */
interface CpuSample {
  server: number;
  client: number;
}

/**
 * One retry for a start that fails outright: a shared checkout can be mid-rebuild (dist/ rewritten)
 * when a process loads it. The failure is reported on stderr, never hidden in the figures.
 */
async function coldStart(script: string, args: string[], env: Record<string, string> = {}, cpu?: CpuSample[]): Promise<number> {
  try {
    return await coldStartOnce(script, args, env, cpu);
  } catch (error) {
    process.stderr.write(`bench: P1 start failed, retrying once: ${(error as Error).message}\n`);
    return coldStartOnce(script, args, env, cpu);
  }
}

async function listedCount(args: string[], env: Record<string, string>): Promise<number> {
  const session = await connectStdio(CLI, args, env);
  try {
    return (await session.client.listTools()).tools.length;
  } finally {
    await session.close();
  }
}

/**
 * CPU time of a process so far in ms, every thread (V8's compiler and GC threads too), from
 * /proc/PID/task/TID/schedstat in nanoseconds; NaN where there is no /proc.
 */
function processCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * Spawn → initialize → tools/list answered, through the MCP SDK Client over stdio; closing is not
 * timed. With `cpu`, also the CPU time each side spent: the server's read the moment its answer
 * arrives (before the client parses it, and before the load the server starts once it has answered),
 * the client's (this process: spawning, the handshake, parsing and validating the listing) up to the
 * answer. Unlike wall time, CPU time does not count waiting for a core on a busy machine.
 */
async function coldStartOnce(script: string, args: string[], env: Record<string, string> = {}, cpu?: CpuSample[]): Promise<number> {
  const clientCpu = process.cpuUsage();
  const started = performance.now();
  const session = await connectStdio(script, args, env);
  const pid = session.transport.pid;
  let serverCpu = Number.NaN;
  const deliver = session.transport.onmessage;
  session.transport.onmessage = (message: JSONRPCMessage) => {
    if (pid !== null && (message as { result?: { tools?: unknown } }).result?.tools !== undefined) serverCpu = processCpuMs(pid);
    deliver?.(message);
  };
  const { tools } = await session.client.listTools();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(clientCpu);
  if (tools.length === 0) throw new Error(`${script} listed no tools`);
  cpu?.push({ server: serverCpu, client: (used.user + used.system) / 1000 });
  await session.close();
  return elapsed;
}

export async function p1(rounds = 25, stageRuns = 3): Promise<Section> {
  const bare = join(BENCH_DIR, 'bare-server.js');
  // The external sandbox is never called during start-up; it is only there so the server has a target.
  const sandbox = await startSandbox({ seed: 1 });
  const external = { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY };
  const all = await allToolsArgs();
  try {
    // One unmeasured start of each warms the OS file cache.
    await coldStart(bare, []);
    await coldStart(CLI, ['--sandbox', ...all]);
    await coldStart(CLI, all, external);
    const tools = await listedCount(all, external);

    // What our listing costs the client and the pipe apart from our server: the bare server listing it.
    const listingServer = join(BENCH_DIR, 'bare-listing-server.js');
    const builtListing = { P1_LISTING: fileURLToPath(new URL('../tool-listing.json', import.meta.url)) };
    const withoutOutput = { ...builtListing, P1_DROP: 'outputSchema' };
    await coldStart(listingServer, [], builtListing);

    const cpu = { bare: [] as CpuSample[], bareListing: [] as CpuSample[], bareListingNoOutput: [] as CpuSample[], sandbox: [] as CpuSample[], external: [] as CpuSample[] };
    const samples = await interleave(rounds, {
      bare: () => coldStart(bare, [], {}, cpu.bare),
      bareListing: () => coldStart(listingServer, [], builtListing, cpu.bareListing),
      bareListingNoOutput: () => coldStart(listingServer, [], withoutOutput, cpu.bareListingNoOutput),
      sandbox: () => coldStart(CLI, ['--sandbox', ...all], {}, cpu.sandbox),
      external: () => coldStart(CLI, all, external, cpu.external),
      node: () => timed(() => run(process.execPath, ['-e', ''])),
    });

    // The listing's own cost on a connection that is already up: the server serializing it, the pipe,
    // and the client parsing and validating it (the SDK Client compiles a validator per output schema).
    const warmOurs = await connectStdio(CLI, all, external);
    const warmBare = await connectStdio(bare, []);
    let listing: Record<'ours' | 'bare', number[]>;
    try {
      listing = await interleave(rounds, {
        ours: () => timed(() => warmOurs.client.listTools()),
        bare: () => timed(() => warmBare.client.listTools()),
      });
    } finally {
      await warmOurs.close();
      await warmBare.close();
    }

    // Where the time goes: the CLI's own path with a clock between stages, in fresh processes.
    const stageSamples: Array<Array<[string, number]>> = [];
    for (let i = 0; i < stageRuns; i++) {
      for (const args of [['--sandbox', ...all], all]) {
        const { stdout } = await run(process.execPath, [join(BENCH_DIR, 'p1-stages.js'), ...args], { env: { PATH: process.env.PATH ?? '' } });
        stageSamples.push(JSON.parse(stdout.trim()) as Array<[string, number]>);
      }
    }
    const names: string[] = [];
    for (const sample of stageSamples) for (const [name] of sample) if (!names.includes(name)) names.push(name);
    const stageRows = names.map((name) => {
      const values = stageSamples.flatMap((s) => s.filter(([n]) => n === name).map(([, v]) => v));
      return [name, ms(median(values)), values.length];
    });

    const flags = all.length > 0 ? ` ${all.join(' ')}` : '';
    const bareMedian = median(samples.bare);
    const sandboxRatio = median(samples.sandbox) / bareMedian;
    const externalRatio = median(samples.external) / bareMedian;
    // CPU time, server + client, per sample; ratios as for wall time.
    const cpuTotal = (list: CpuSample[]) => list.map((c) => c.server + c.client);
    const bareCpu = median(cpuTotal(cpu.bare));
    const cpuRatio = (list: CpuSample[]) => median(cpuTotal(list)) / bareCpu;
    const cpuRow = (name: string, list: CpuSample[]) => [
      name,
      ms(median(list.map((c) => c.server))),
      ms(median(list.map((c) => c.client))),
      spread(cpuTotal(list)),
      ratio(cpuRatio(list)),
      ratio(pairedRatio(cpuTotal(list), cpuTotal(cpu.bare))),
    ];
    const cpuNote = (list: CpuSample[]) => `; CPU time ${ratio(cpuRatio(list))} (${ms(median(cpuTotal(list)))} vs ${ms(bareCpu)})`;
    return {
      id: 'P1',
      title: 'Cold start: spawn to the tools/list answer',
      method:
        `Each sample spawns \`node <entry>\`, connects the MCP SDK \`Client\` over stdio (initialize) and waits for the \`tools/list\` answer; ` +
        `the clock starts before the spawn and stops at the answer (closing is not timed). Our server lists every tool (${tools}${flags ? `, with \`${flags.trim()}\`` : ', the default listing'}). ${rounds} rounds; each round runs every variant once, in an order rotated each round. ` +
        'The bare server is bench/bare-server.ts: the SDK\'s low-level `Server` with one tool on `StdioServerTransport`. ' +
        '"external" runs `node dist/cli.js` with OPENAI_BASE_URL pointing at a sandbox in the benchmark process, so no seeding happens in the server. ' +
        'The what-if rows are bench/bare-listing-server.ts: the same bare server listing our tools from dist/tool-listing.json (as built, and without `outputSchema`), so their difference from the bare server is what our listing costs the pipe and the client, apart from anything our server does at start-up.',
      body: [
        table(
          ['variant', 'median (p25–p75)', 'ratio of medians to bare', 'median of per-round ratios'],
          [
            ['bare MCP SDK server, 1 tool', spread(samples.bare), '1.00×', '1.00×'],
            [`what-if: the bare server listing our ${tools} tools (dist/tool-listing.json)`, spread(samples.bareListing), ratio(median(samples.bareListing) / bareMedian), ratio(pairedRatio(samples.bareListing, samples.bare))],
            ['what-if: the same without `outputSchema`', spread(samples.bareListingNoOutput), ratio(median(samples.bareListingNoOutput) / bareMedian), ratio(pairedRatio(samples.bareListingNoOutput, samples.bare))],
            [`\`node dist/cli.js --sandbox${flags}\` (${tools} tools, in-process sandbox)`, spread(samples.sandbox), ratio(sandboxRatio), ratio(pairedRatio(samples.sandbox, samples.bare))],
            [`\`node dist/cli.js${flags}\` (${tools} tools, external sandbox)`, spread(samples.external), ratio(externalRatio), ratio(pairedRatio(samples.external, samples.bare))],
            ['`node -e ""` spawn to exit (Node alone)', spread(samples.node), ratio(median(samples.node) / bareMedian), ratio(pairedRatio(samples.node, samples.bare))],
          ],
        ),
        'CPU time of the same starts, which waiting for a core on a busy machine does not inflate: the server process (every thread, from /proc/PID/task/TID/schedstat) up to the moment its answer arrives, and the client (this process: spawning, initialize, parsing and validating the listing) up to the answer:',
        table(
          ['variant', 'server CPU', 'client CPU', 'server + client, median (p25–p75)', 'ratio of medians to bare', 'median of per-round ratios'],
          [
            cpuRow('bare MCP SDK server, 1 tool', cpu.bare),
            cpuRow(`what-if: the bare server listing our ${tools} tools`, cpu.bareListing),
            cpuRow('what-if: the same without `outputSchema`', cpu.bareListingNoOutput),
            cpuRow(`\`node dist/cli.js --sandbox${flags}\``, cpu.sandbox),
            cpuRow(`\`node dist/cli.js${flags}\` (external sandbox)`, cpu.external),
          ],
        ),
        `The listing itself, on connections already initialized (${rounds} interleaved \`tools/list\` calls each; the server serializes it, the pipe carries it, the SDK Client parses and validates it and compiles a validator per output schema): ` +
          `ours ${spread(listing.ours)}, bare ${spread(listing.bare)}, a difference of ${ms(median(listing.ours) - median(listing.bare))} that every cold start of ours pays.`,
        `Where the time goes (bench/p1-stages.ts: the CLI's start-up path up to reading stdin, with a clock between stages, then what the server loads after its first listing is answered, which P1 does not time; median of ${stageRuns} fresh processes per mode, stages in the order they run; the openRuntime stage differs between the two modes):`,
        table(['stage', 'median', 'samples'], stageRows),
      ],
      checks: [
        { id: 'P1', what: `cold start, all ${tools} tools, \`--sandbox\` / bare SDK server`, measured: `${ratio(sandboxRatio)} (${ms(median(samples.sandbox))} vs ${ms(bareMedian)}; per-round ${ratio(pairedRatio(samples.sandbox, samples.bare))})${cpuNote(cpu.sandbox)}`, target: '≤ 1.15×', pass: sandboxRatio <= 1.15 },
        { id: 'P1', what: `cold start, all ${tools} tools, external sandbox / bare SDK server`, measured: `${ratio(externalRatio)} (${ms(median(samples.external))} vs ${ms(bareMedian)}; per-round ${ratio(pairedRatio(samples.external, samples.bare))})${cpuNote(cpu.external)}`, target: '≤ 1.15×', pass: externalRatio <= 1.15 },
      ],
    };
  } finally {
    await sandbox.close();
  }
}
