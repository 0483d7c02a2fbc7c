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
 * `--calls review` starts with the organization review on a cold server (the first question an
 * admin asks), `--calls offboard` previews offboard_user for the user in the most projects;
 * `--cpu-prof DIR` writes the server's CPU profile there.
 *
 *   node dist/bench/p12-scale.js [--sizes small,large,huge] [--calls find,review,offboard] [--cli [LABEL=]dist/cli.js,…] [--repeats 40] [--timeout-s 120] [--rate-limit 600] [--cpu-prof DIR]
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
  /** When the organization's user list (a walk of one page after another) had its last page read, from the call's first request. */
  usersDoneMs: number | null;
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
  const userPages = made.filter((r) => r.path === '/organization/users');
  const usersDoneMs = userPages.length > 1 ? (userPages.at(-1) as (typeof made)[number]).receivedAt - (made[0] as (typeof made)[number]).receivedAt : null;
  const row = {
    size,
    call,
    requests: made.length,
    limited: made.filter((r) => r.rateLimited).length,
    ms: elapsed,
    floorMs: floorMs(made.length - made.filter((r) => r.rateLimited).length),
    outcome,
    rssMiB: rssMiB(session.transport.pid),
    usersDoneMs,
    partial,
  };
  // Each row as it is measured, so a long run at huge shows where it is.
  process.stderr.write(`${render([row]).split('\n').at(-1)}\n`);
  return row;
}

export type Call = 'find' | 'review' | 'offboard';

export interface P12Options {
  /** Servers to measure, each against its own sandbox of the same seed, one after the other per size. */
  clis?: Array<{ label: string; path: string }>;
  timeoutMs?: number;
  calls?: Call[];
  /** Calls of one question repeated while they answer partial. */
  repeats?: number;
  cpuProf?: string;
}

export async function p12(sizes: string[], options: P12Options = {}): Promise<Row[]> {
  const { clis = [{ label: '', path: CLI }], timeoutMs = 120_000, calls = ['find', 'review'], repeats = 40, cpuProf } = options;
  const rows: Row[] = [];
  for (const sized of sizes) for (const { label, path: cli } of clis) {
    const size = sized;
    const shown = label ? `${sized}, ${label}` : sized;
    const sandbox = await startSandbox({ size, latencyMs: LATENCY, rateLimitRpm: RPM > 0 ? RPM : undefined, seed: 1 });
    const traveller = calls.includes('offboard') ? joinProjects(sandbox, 50) : undefined;
    const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
    const session = await connectStdio(cli, [], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }, nodeArgs);
    const untilComplete = async (what: string, name: string, callArgs: Record<string, unknown>) => {
      for (let i = 1; i <= repeats; i++) {
        const row = await measure(shown, session, sandbox, `${what} #${i}`, name, callArgs, timeoutMs);
        rows.push(row);
        if (!row.partial) break;
      }
    };
    try {
      rows.push({ ...(await measure(shown, session, sandbox, 'idle server', 'find', { query: 'no-such-name', kinds: ['invite'] }, timeoutMs)), call: 'idle (find, invites only)' });
      for (const call of calls) {
        if (call === 'find') {
          // Cold: the first find fills the directory (repeated while it answers partial).
          await untilComplete('find "ci-deploy" cold', 'find', { query: 'ci-deploy' });
          rows.push(await measure(shown, session, sandbox, 'find "ci-deploy" warm', 'find', { query: 'ci-deploy' }, timeoutMs));
          rows.push(await measure(shown, session, sandbox, 'find "Atlas" warm', 'find', { query: 'Atlas' }, timeoutMs));
        } else if (call === 'review') {
          await untilComplete('access_review {} first page', 'access_review', {});
          rows.push(await measure(shown, session, sandbox, 'access_review {} first page, warm', 'access_review', {}, timeoutMs));
        } else if (traveller) {
          // The preview only: nothing is confirmed, so the organization stays as it was.
          rows.push(await measure(shown, session, sandbox, `offboard_user preview (${traveller.projects} projects, ${traveller.groups} groups)`, 'offboard_user', { user: traveller.email }, timeoutMs));
          rows.push(await measure(shown, session, sandbox, 'offboard_user preview, again', 'offboard_user', { user: traveller.email }, timeoutMs));
        }
      }
    } finally {
      await session.close();
      await sandbox.close();
    }
  }
  return rows;
}

/**
 * Puts one user (the first one added after the small organization's) into `n` active projects and
 * three groups, so the offboard preview has a person of the shape to plan for.
 */
function joinProjects(sandbox: Sandbox, n: number): { email: string; projects: number; groups: number } {
  const state = sandbox.state;
  const user = [...state.users.values()][30];
  if (!user) throw new Error('the sandbox has too few users for the offboard measure');
  const active = [...state.projects.values()].filter((p) => p.status === 'active');
  const step = Math.max(1, Math.floor(active.length / n));
  let projects = 0;
  for (let i = 0; i < active.length && projects < n; i += step) {
    const project = active[i] as (typeof active)[number];
    const members = state.scoped(state.projectUsers, project.id);
    if (!members.has(user.id)) members.set(user.id, { user_id: user.id, role: 'member', added_at: Math.max(project.created_at, user.added_at) });
    projects += 1;
  }
  const groups = [...state.groups.values()].slice(-3);
  for (const group of groups) state.scoped(state.groupUsers, group.id).set(user.id, state.anchor - 86_400);
  return { email: user.email, projects: [...state.projectUsers.values()].filter((m) => m.has(user.id)).length, groups: [...state.groupUsers.values()].filter((m) => m.has(user.id)).length };
}

export function render(rows: Row[]): string {
  return table(
    ['size', 'call', 'upstream requests', '429s', 'wall time', 'rate-limit floor', 'time / floor', 'user list read by', 'server RSS', 'outcome'],
    rows.map((r) => [r.size, r.call, r.requests, r.limited, ms(r.ms), ms(r.floorMs), r.requests > 10 ? `${(r.ms / r.floorMs).toFixed(2)}×` : '–', r.usersDoneMs === null ? '–' : ms(r.usersDoneMs), `${r.rssMiB.toFixed(0)} MiB`, r.outcome]),
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
  const calls = (arg('calls') ?? 'find,review').split(',') as Call[];
  // `--cli before=OLD/dist/cli.js,after=dist/cli.js` measures both, side by side, in one run.
  const clis = (arg('cli') ?? CLI).split(',').map((entry) => {
    const at = entry.indexOf('=');
    return at > 0 ? { label: entry.slice(0, at), path: entry.slice(at + 1) } : { label: '', path: entry };
  });
  const rows = await p12(sizes, { clis, timeoutMs: Number(arg('timeout-s') ?? 120) * 1000, calls, repeats: Number(arg('repeats') ?? 40), cpuProf: arg('cpu-prof') });
  process.stdout.write(`${render(rows)}\n`);
  process.exit(0);
}
