import type { ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../../src/client/index.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { structured, text } from '../../connect.js';
import { serveHttp } from '../../serve-http.js';
import { startNginx, type Nginx } from '../../../bench/nginx.js';
import { startRedis, type RedisServer } from '../../../bench/redis-server.js';
import { describeNeeding } from '../../prerequisites.js';
import { newActiveCertificate } from '../../certificates.js';

const describe = describeNeeding('redis-server', 'nginx');

/*
 * Exactly-once across replicas: three built servers in --stateless HTTP mode, sharing the
 * confirmation secret and a real redis-server (--store), in front of one sandbox. The sandbox runs
 * in this process so that its request log counts what each confirmation actually sent.
 */

const SECRET = 'replicas-shared-secret-0123456789';
/**
 * How long a confirmation waits for a lock another replica holds (--store-lock-wait, default 30 s).
 * Short, so the retry behind a dead holder's lock is refused in seconds; still long beside the
 * lock of a live confirmation, which is held for one request to the local sandbox.
 */
const LOCK_WAIT_S = 5;
let sandbox: Sandbox;
let api: AdminClient;
let redis: RedisServer;
let replicas: Replica[] = [];
let nginx: Nginx;
let tripwire: Tripwire;

/**
 * Replica 2 reaches the sandbox through this proxy. Armed, it forwards the next archive POST, lets
 * the sandbox execute it, then SIGKILLs the replica before the answer gets back: a replica dying
 * with a confirmed write in flight.
 */
interface Tripwire {
  url: string;
  /** Trips on the archive POST of this project, whatever else replica 2 is sending meanwhile. */
  arm(projectId: string, kill: () => void): Promise<string>;
  close(): Promise<void>;
}

async function startTripwire(): Promise<Tripwire> {
  let armed: { path: string; kill: () => void; tripped: (path: string) => void } | undefined;
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', sandbox.url.replace(/\/v1\/?$/, '/'));
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const trap = armed;
        if (trap && req.method === 'POST' && target.pathname === trap.path) {
          armed = undefined;
          trap.kill();
          trap.tripped(target.pathname);
          res.destroy();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    arm: (projectId, kill) => new Promise<string>((tripped) => (armed = { path: `/v1/organization/projects/${projectId}/archive`, kill, tripped })),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Replica {
  url: string;
  child: ChildProcess;
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  stop: () => Promise<void>;
}

async function startReplica(store: string, baseUrl = sandbox.url): Promise<Replica> {
  const env = { OPENAI_ADMIN_KEY: 'sk-admin-replicas-test', OPENAI_BASE_URL: baseUrl, OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET, OPENAI_ADMIN_MCP_STORE: store, OPENAI_ADMIN_MCP_STORE_LOCK_WAIT: String(LOCK_WAIT_S) };
  const server = await serveHttp(['--stateless', '--no-auth'], env);
  const client = new Client({ name: 'replicas-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return {
    url: server.url,
    child: server.child,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    stop: async () => {
      await client.close().catch(() => undefined);
      await server.stop();
    },
  };
}

beforeAll(async () => {
  [sandbox, redis] = await Promise.all([startSandbox({ seed: 131 }), startRedis()]);
  api = new AdminClient({ apiKey: 'sk-admin-replicas-setup', baseUrl: sandbox.url });
  tripwire = await startTripwire();
  replicas = await Promise.all([startReplica(redis.url), startReplica(redis.url), startReplica(redis.url, tripwire.url)]);
  nginx = await startNginx(replicas.map((r) => r.url));
}, 60_000);
afterAll(async () => {
  await nginx?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await api?.close();
  await tripwire?.close();
  await sandbox?.close();
  await redis?.stop();
});

/** `count` independent rounds, a few at a time: each has its own project, so they may overlap. */
async function inRounds(count: number, round: (index: number) => Promise<void>, atOnce = 4): Promise<void> {
  for (let start = 0; start < count; start += atOnce) {
    await Promise.all(Array.from({ length: Math.min(atOnce, count - start) }, (_, i) => round(start + i)));
  }
}

let serial = 0;
const newProject = async () => (await api.post<{ id: string }>('/organization/projects', { name: `Replicas project ${++serial}` })).id;
const newCertificate = () => newActiveCertificate(api, `replicas-${++serial}`);
const sent = (method: string, path: string) => sandbox.requests.filter((r) => r.method === method && r.path === path).length;
const replica = (i: number) => replicas[i % replicas.length] as Replica;

async function preview(on: Replica, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await on.call(name, args);
  expect(result.isError, text(result)).toBeFalsy();
  return structured<{ confirmation_token: string }>(result).confirmation_token;
}

describe('three stateless replicas sharing a Redis store', () => {
  it('over 20 rounds, a token confirmed through all three at once executes exactly once, and replays are refused everywhere', { timeout: 180_000 }, async () => {
    const executions: number[] = [];
    await inRounds(20, async (round) => {
      const project_id = await newProject();
      const path = `/organization/projects/${project_id}/archive`;
      const token = await preview(replica(round), 'projects_archive', { project_id });
      const results = await Promise.all(replicas.map((r) => r.call('projects_archive', { project_id, confirm: token })));
      executions[round] = sent('POST', path);
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      for (const refused of results.filter((r) => r.isError)) expect(text(refused)).toMatch(/refused: the token has already been used|refused: the target has changed/);
      const replays = await Promise.all(replicas.map((r) => r.call('projects_archive', { project_id, confirm: token })));
      for (const replay of replays) {
        expect(replay.isError).toBe(true);
        expect(text(replay)).toMatch(/already been used/);
      }
      expect(sent('POST', path)).toBe(1);
    });
    expect(executions).toEqual(Array.from({ length: 20 }, () => 1));
  });

  it('a tool with no target to read again, which replicas without a store replay, executes once', async () => {
    const id = await newCertificate();
    const args = { certificate_ids: [id] };
    const before = sent('POST', '/organization/certificates/deactivate');
    const token = await preview(replica(0), 'certificates_deactivate', args);
    const results = await Promise.all(replicas.map((r) => r.call('certificates_deactivate', { ...args, confirm: token })));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    const replays = await Promise.all(replicas.map((r) => r.call('certificates_deactivate', { ...args, confirm: token })));
    for (const replay of replays) expect(text(replay)).toMatch(/already been used/);
    expect(sent('POST', '/organization/certificates/deactivate') - before).toBe(1);
  });

  it('with the store down, confirmations are refused clearly and nothing is sent, while reads and previews go on', async () => {
    const project_id = await newProject();
    const path = `/organization/projects/${project_id}/archive`;
    const token = await preview(replica(1), 'projects_archive', { project_id });
    await redis.stop();
    try {
      const results = await Promise.all(replicas.map((r) => r.call('projects_archive', { project_id, confirm: token })));
      for (const result of results) {
        expect(result.isError).toBe(true);
        expect(text(result)).toMatch(/projects_archive refused: the confirmation store redis:\/\/127\.0\.0\.1:\d+ cannot be reached .*Nothing was changed/s);
      }
      expect(sent('POST', path)).toBe(0);
      const read = await replica(2).call('projects_retrieve', { project_id });
      expect(read.isError, text(read)).toBeFalsy();
      expect(structured<{ status: string }>(read).status).toBe('active');
      await preview(replica(0), 'projects_archive', { project_id });
    } finally {
      await redis.start();
    }
    // Back: a fresh preview and confirm go through once the replicas have reconnected.
    let done: CallToolResult | undefined;
    for (;;) {
      const fresh = await preview(replica(0), 'projects_archive', { project_id });
      done = await replica(1).call('projects_archive', { project_id, confirm: fresh });
      if (!done.isError || !/(cannot|could not) be reached/.test(text(done))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(done.isError, text(done)).toBeFalsy();
    expect(sent('POST', path)).toBe(1);
  });
});

/**
 * One tools/call as a single stateless POST (no initialize is needed without sessions). Undefined
 * when no answer came back (the replica died, or nginx answered 502): unlike the SDK client, which
 * waits out its request timeout when an event stream is cut off, this sees the cut at once.
 */
async function rawCall(url: string, name: string, args: Record<string, unknown>): Promise<CallToolResult | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
    });
    const body = await response.text();
    if (!response.ok) return undefined;
    const data = body.split('\n').find((line) => line.startsWith('data: '));
    const message = JSON.parse(data ? data.slice(6) : body) as { result?: CallToolResult };
    return message.result;
  } catch {
    return undefined;
  }
}

describe('behind nginx, round-robin', () => {
  /** A stateless client per call: each POST goes wherever nginx sends it. */
  async function viaNginx(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const client = new Client({ name: 'via-nginx', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(nginx.url)));
    try {
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    } finally {
      await client.close();
    }
  }

  it('over 20 rounds, three concurrent confirms of one token through the balancer execute it once; replays are refused', { timeout: 180_000 }, async () => {
    const executions: number[] = [];
    await inRounds(20, async (round) => {
      const project_id = await newProject();
      const path = `/organization/projects/${project_id}/archive`;
      const preview = await viaNginx('projects_archive', { project_id });
      const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
      // Three stateless POSTs at once: nginx sends each to the next replica in turn.
      const results = await Promise.all([0, 1, 2].map(() => rawCall(nginx.url, 'projects_archive', { project_id, confirm: token })));
      expect(results.filter((r) => r !== undefined && !r.isError)).toHaveLength(1);
      for (const replay of await Promise.all([0, 1, 2].map(() => rawCall(nginx.url, 'projects_archive', { project_id, confirm: token })))) {
        expect(text(replay as CallToolResult)).toMatch(/already been used/);
      }
      executions[round] = sent('POST', path);
    });
    expect(executions).toEqual(Array.from({ length: 20 }, () => 1));
  });

  it('a replica killed mid-run (SIGKILL, its confirmed write in flight) loses no write and repeats none; the others keep serving', { timeout: 120_000 }, async () => {
    const victim = replicas[2] as Replica;
    const archived = (id: string) => sandbox.state.projects.get(id)?.status === 'archived';
    const posts = (id: string) => sent('POST', `/organization/projects/${id}/archive`);

    // Three workers keep previewing and confirming through nginx, each on its own projects, until
    // three rounds after the kill. A call that dies with the replica (its answer cut off) is retried:
    // a confirm with the same token, which can never execute twice, or a fresh preview once refused.
    let killed = false;
    const worker = async (): Promise<{ projects: string[]; afterKill: number }> => {
      const projects: string[] = [];
      let afterKill = 0;
      while (afterKill < 3) {
        const startedAfterKill = killed;
        const project_id = await newProject();
        let token: string | undefined;
        for (let attempt = 0; attempt < 20 && !archived(project_id); attempt++) {
          const answer = await rawCall(nginx.url, 'projects_archive', token ? { project_id, confirm: token } : { project_id });
          if (!answer) continue;
          if (!token) token = answer.isError ? undefined : structured<{ confirmation_token: string }>(answer).confirmation_token;
          else if (answer.isError) token = undefined; // refused (claimed by the replica that died): preview again
        }
        projects.push(project_id);
        if (startedAfterKill) afterKill++;
      }
      return { projects, afterKill };
    };
    const workers = Promise.all([worker(), worker(), worker()]);

    // Mid-run: a confirm on replica 2, killed after its write reached the API and before it answered.
    const project_id = await newProject();
    const token = await preview(replica(0), 'projects_archive', { project_id });
    const tripped = tripwire.arm(project_id, () => victim.child.kill('SIGKILL'));
    const lost = rawCall(victim.url, 'projects_archive', { project_id, confirm: token }).then((answer) => (answer ? 'answered' : 'no answer'));
    expect(await tripped).toBe(`/v1/organization/projects/${project_id}/archive`);
    expect(await lost).toBe('no answer');
    await new Promise<void>((resolve) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? resolve() : victim.child.once('exit', () => resolve())));
    killed = true;
    // The same token, tried again through the survivors while the workers run. The dead holder had
    // sent its request, so its lock lasts that request's whole deadline: the retry waits out its
    // lock wait (LOCK_WAIT_S) and is refused, sending nothing.
    const again = rawCall(nginx.url, 'projects_archive', { project_id, confirm: token });

    const rounds = await workers;
    // The survivors kept serving: every worker finished three rounds begun after the kill, and every
    // round, before or after, ended with its project archived by exactly one request.
    for (const r of rounds) expect(r.afterKill).toBe(3);
    const projects = rounds.flatMap((r) => r.projects);
    for (const id of projects) {
      expect(archived(id), id).toBe(true);
      expect(posts(id), id).toBe(1);
    }
    // The write in flight on the dead replica happened once; its token, tried again through the
    // survivors, is refused and sends nothing more.
    expect(archived(project_id)).toBe(true);
    const refused = await again;
    expect(refused?.isError).toBe(true);
    expect(text(refused as CallToolResult)).toMatch(new RegExp(`projects_archive refused: another confirmation of this target has held its lock for over ${LOCK_WAIT_S} s`));
    expect(posts(project_id)).toBe(1);
  });
});
