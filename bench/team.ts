import { spawn, type ChildProcess } from 'node:child_process';
import { Pool } from 'undici';
import { createLogger } from '../src/log.js';
import { RedisConfirmationStore } from '../src/server/gate/redis-store.js';
import { BENCH_KEY, CLI, externalSandbox, int, interleave, median, ms, pairedRatio, projectIdByName, ratio, spread, stop, table, type Section } from './lib.js';
import { startNginx } from './nginx.js';
import { startRedis } from './redis-server.js';

/*
 * What the team path costs (issue 13): these machines have 2 cores, so throughput cannot grow with
 * replicas here. Instead, side by side in one run, with 20 ms of upstream latency:
 * - a read through nginx to three --stateless replicas, against the same read sent to one replica;
 * - a confirmed destructive call with the Redis store, against the same call on a replica without one.
 * Throughput at concurrency 32 is printed for information. Needs redis-server and nginx (`.ci/run`
 * installs them); run with `node dist/bench/run.js TEAM`.
 */

const SECRET = 'bench-team-shared-secret-0123456789';

interface Replica {
  url: string;
  pool: Pool;
  child: ChildProcess;
}

async function startReplica(sandboxUrl: string, store: string | undefined): Promise<Replica> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OPENAI_ADMIN_KEY: BENCH_KEY,
    OPENAI_BASE_URL: sandboxUrl,
    OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET,
    OPENAI_ADMIN_MCP_LOG_LEVEL: 'info',
    ...(store ? { OPENAI_ADMIN_MCP_STORE: store } : {}),
  };
  const child = spawn(process.execPath, [CLI, '--http', '--stateless', '--no-auth', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`replica exited ${code}: ${stderr}`)));
  });
  return { url, child, pool: poolFor(url) };
}

/** The same keep-alive pool for every target, so the client side costs the same on each path. */
function poolFor(url: string): Pool {
  return new Pool(new URL(url).origin, { connections: 64, keepAliveTimeout: 30_000 });
}

interface Answer {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content?: Array<{ text?: string }>;
}

/** One stateless tools/call POST; the answer parsed from the event stream or JSON. */
async function call(pool: Pool, url: string, name: string, args: Record<string, unknown>): Promise<Answer> {
  const res = await pool.request({
    method: 'POST',
    path: new URL(url).pathname,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${name}: HTTP ${res.statusCode} ${body.slice(0, 200)}`);
  const data = body.split('\n').find((line) => line.startsWith('data: '));
  const message = JSON.parse(data ? data.slice(6) : body) as { result?: Answer; error?: { message: string } };
  if (!message.result) throw new Error(`${name}: ${message.error?.message ?? 'no result'}`);
  return message.result;
}

async function timedCall(pool: Pool, url: string, name: string, args: Record<string, unknown>, check: (a: Answer) => boolean): Promise<number> {
  const started = performance.now();
  const answer = await call(pool, url, name, args);
  const elapsed = performance.now() - started;
  if (!check(answer)) throw new Error(`${name} failed: ${answer.content?.[0]?.text ?? JSON.stringify(answer)}`);
  return elapsed;
}

/** Requests per second with `concurrency` callers each sending `perCaller` requests back to back. */
async function throughput(concurrency: number, perCaller: number, one: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < perCaller; i++) await one();
  }));
  return (concurrency * perCaller) / ((performance.now() - started) / 1000);
}

export async function team(rounds = 100, latencyMs = 20): Promise<Section> {
  const sandbox = await externalSandbox(latencyMs);
  const redis = await startRedis();
  const replicas = await Promise.all([0, 1, 2].map(() => startReplica(sandbox.url, redis.url)));
  // The confirmation pair: two fresh replicas that serve nothing else, one with the store, one without.
  const [stored, bare] = await Promise.all([startReplica(sandbox.url, redis.url), startReplica(sandbox.url, undefined)]) as [Replica, Replica];
  const nginx = await startNginx(replicas.map((r) => r.url));
  const viaNginx = poolFor(nginx.url);
  const api = new Pool(new URL(sandbox.url).origin, { connections: 8 });
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const direct = replicas[0] as Replica;
    const readCheck = (a: Answer) => !a.isError && a.structuredContent?.id === projectId;
    const readDirect = () => timedCall(direct.pool, direct.url, 'projects_retrieve', { project_id: projectId }, readCheck);
    const readNginx = () => timedCall(viaNginx, nginx.url, 'projects_retrieve', { project_id: projectId }, readCheck);

    // A confirmed destructive call: a fresh project and its preview (not timed), then the confirm (timed).
    let serial = 0;
    const newProject = async () => {
      const res = await api.request({
        method: 'POST',
        path: `${new URL(sandbox.url).pathname}/organization/projects`,
        headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench team ${++serial}` }),
      });
      return ((await res.body.json()) as { id: string }).id;
    };
    const confirmOn = (target: Replica) => async () => {
      const project_id = await newProject();
      const preview = await call(target.pool, target.url, 'projects_archive', { project_id });
      const token = preview.structuredContent?.confirmation_token;
      if (typeof token !== 'string') throw new Error(`preview failed: ${preview.content?.[0]?.text}`);
      return timedCall(target.pool, target.url, 'projects_archive', { project_id, confirm: token }, (a) => !a.isError);
    };
    const confirmStore = confirmOn(stored);
    const confirmBare = confirmOn(bare);

    try {
      for (let i = 0; i < 30; i++) for (const f of [readDirect, readNginx, confirmStore, confirmBare]) await f();
    } catch (e) {
      console.error(nginx.errorLog());
      throw e;
    }
    const reads = await interleave(rounds, { direct: readDirect, nginx: readNginx });
    const confirms = await interleave(rounds, { store: confirmStore, bare: confirmBare });

    // What the store's own round trips cost, from this process: a lock, a claim, the proof before sending, the release.
    const store = new RedisConfirmationStore({ url: redis.url, logger: createLogger({ level: 'silent' }) });
    const storeOps: number[] = [];
    try {
      while (storeOps.length === 0) {
        try {
          await store.epoch();
          storeOps.push(0);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // still connecting
        }
      }
      storeOps.length = 0;
      const epoch = await store.epoch();
      for (let i = 0; i < rounds * 5; i++) {
        const started = performance.now();
        const held = await store.lock(`bench-lock-${i}`);
        await store.claim(`bench-nonce-${i}`, 60_000, epoch);
        await held.keepFor(60_000);
        held.release();
        storeOps.push(performance.now() - started);
      }
    } finally {
      await store.close();
    }

    const perCaller = 15;
    const tpDirect = await throughput(32, perCaller, readDirect);
    const tpNginx = await throughput(32, perCaller, readNginx);

    const readRatio = median(reads.nginx) / median(reads.direct);
    const storeCost = median(confirms.store) - median(confirms.bare);
    return {
      id: 'TEAM',
      title: 'The team path: nginx to three replicas, and confirmations on Redis',
      method:
        `A sandbox runs in its own process with ${latencyMs} ms of latency per request. Three \`--http --stateless\` replicas share a real redis-server (\`--store\`) and the confirmation secret; ` +
        'a real nginx balances them round-robin (keep-alive upstreams); two more replicas serve only the confirmations, one with the store and one without. Each sample is one `tools/call` as a stateless POST on a keep-alive undici pool, ' +
        'from the request to the parsed answer. Reads: `projects_retrieve` through nginx vs sent directly to replica 1. Confirmations: `projects_archive` of a fresh project, previewed first (not timed), ' +
        `then confirmed (timed: target read, token claimed with SET NX, per-target lock, the archive), on the replica with the Redis store vs the one without. 30 warm-up calls each (every replica behind nginx warm), then ${rounds} interleaved rounds per pair. ` +
        `Throughput: 32 concurrent callers, ${perCaller} reads each, for information (2 cores: replicas share them, so more replicas cannot mean more throughput here).`,
      body: [
        table(
          ['path', 'median (p25–p75)'],
          [
            ['read, directly to one replica', spread(reads.direct)],
            ['read, through nginx to three replicas', spread(reads.nginx)],
            ['confirmed `projects_archive`, no store (in-memory claims and locks)', spread(confirms.bare)],
            ['confirmed `projects_archive`, Redis store', spread(confirms.store)],
            ['the store alone, in this process: lock, claim, release', spread(storeOps)],
          ],
        ),
        `Read: nginx / direct ${ratio(readRatio)} (median of per-round ratios ${ratio(pairedRatio(reads.nginx, reads.direct))}), ${ms(median(reads.nginx) - median(reads.direct))} more through the balancer. ` +
          `Confirm: the Redis store adds ${ms(storeCost)} at p50 (median of per-round differences ${ms(median(confirms.store.map((v, i) => v - (confirms.bare[i] as number))))}). ` +
          `Its own work is two awaited round trips to Redis on loopback (the lock, then the claim; the release is not awaited): ${ms(median(storeOps))} at p50 measured alone from this process.`,
        table(
          ['throughput at concurrency 32 (reads)', 'requests/s'],
          [
            ['directly to one replica', int(tpDirect)],
            ['through nginx to three replicas', int(tpNginx)],
          ],
        ),
      ],
      checks: [
        { id: 'TEAM', what: `read through nginx (3 replicas) / direct to one, ${latencyMs} ms latency`, measured: `${ratio(readRatio)} (${ms(median(reads.nginx))} vs ${ms(median(reads.direct))})`, target: '≤ 1.15×', pass: readRatio <= 1.15 },
        { id: 'TEAM', what: 'confirmed destructive call, Redis store minus no store, p50', measured: `${ms(storeCost)} (${ms(median(confirms.store))} vs ${ms(median(confirms.bare))})`, target: '≤ 2 ms', pass: storeCost <= 2 },
      ],
    };
  } finally {
    await viaNginx.close();
    await api.close();
    await nginx.stop();
    for (const r of [...replicas, stored, bare]) {
      await r.pool.close();
      await stop(r.child);
    }
    await redis.stop();
    await sandbox.close();
  }
}
