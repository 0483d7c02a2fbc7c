import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@redis/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../../src/client/index.js';
import { LOCK_TTL_MS } from '../../../src/server/gate/redis-store.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { structured, text } from '../../connect.js';
import { serveHttp } from '../../serve-http.js';
import { startRedis, type RedisServer } from '../../../bench/redis-server.js';
import { newActiveCertificate } from '../../certificates.js';
import { until } from '../../wait.js';

/*
 * Exactly-once when the shared store misbehaves mid-call (issue 17, items 1 and 2): two --stateless
 * replicas on one real redis-server, which the tests restart (empty: no persistence) or freeze with
 * SIGSTOP while a confirmed write is in flight. The replicas reach the sandbox through a proxy that
 * holds chosen requests until the test lets them go: a slow upstream whose slowness the test
 * controls, so nothing here depends on how fast anything runs. Executions are counted as the POSTs
 * the sandbox received.
 */

const SECRET = 'store-faults-shared-secret-0123456789';
let sandbox: Sandbox;
let api: AdminClient;
let redis: RedisServer;
let proxy: HoldingProxy;
let replicas: Replica[] = [];
let auditDir: string;
let raw: ReturnType<typeof createClient>;

/** Forwards to the sandbox; a request matching a hold waits until the test releases it. */
interface HoldingProxy {
  url: string;
  /** Holds the next `count` requests with this method and path; resolves once each has arrived. */
  hold(method: string, path: string): { arrived: Promise<void>; release: () => void };
  close(): Promise<void>;
}

async function startProxy(): Promise<HoldingProxy> {
  const holds: Array<{ method: string; path: string; arrive: () => void; gate: Promise<void> }> = [];
  const forward = (req: IncomingMessage, res: import('node:http').ServerResponse, body: Buffer) => {
    const target = new URL(req.url ?? '/', sandbox.url.replace(/\/v1\/?$/, '/'));
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const at = holds.findIndex((h) => h.method === req.method && `/v1${h.path}` === path);
      if (at < 0) return forward(req, res, Buffer.concat(chunks));
      const [held] = holds.splice(at, 1);
      held?.arrive();
      void held?.gate.then(() => forward(req, res, Buffer.concat(chunks)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hold(method, path) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      holds.push({ method, path, arrive, gate });
      return { arrived, release };
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Replica {
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  stop: () => Promise<void>;
}

async function startReplica(auditLog: string): Promise<Replica> {
  const env = {
    OPENAI_ADMIN_KEY: 'sk-admin-store-faults-test',
    OPENAI_BASE_URL: proxy.url,
    OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET,
    OPENAI_ADMIN_MCP_STORE: redis.url,
    OPENAI_ADMIN_MCP_AUDIT_LOG: auditLog,
  };
  const server = await serveHttp(['--stateless', '--no-auth'], env);
  const client = new Client({ name: 'store-faults-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return {
    // A call held at the proxy longer than the SDK's default 60 s would otherwise time out on its own.
    call: async (name, args) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 })) as CallToolResult,
    stop: async () => {
      await client.close().catch(() => undefined);
      await server.stop();
    },
  };
}

beforeAll(async () => {
  [sandbox, redis] = await Promise.all([startSandbox({ seed: 171 }), startRedis()]);
  api = new AdminClient({ apiKey: 'sk-admin-store-faults-setup', baseUrl: sandbox.url });
  proxy = await startProxy();
  auditDir = mkdtempSync(join(tmpdir(), 'store-faults-'));
  replicas = await Promise.all([startReplica(join(auditDir, 'r0.jsonl')), startReplica(join(auditDir, 'r1.jsonl'))]);
  raw = createClient({ url: redis.url, socket: { reconnectStrategy: 50 } });
  raw.on('error', () => undefined);
  await raw.connect();
}, 60_000);
afterAll(async () => {
  await raw?.close().catch(() => undefined);
  await Promise.all(replicas.map((r) => r.stop()));
  await api?.close();
  await proxy?.close();
  await sandbox?.close();
  await redis?.stop();
  if (auditDir) rmSync(auditDir, { recursive: true, force: true });
});

let serial = 0;
const newProject = async () => (await api.post<{ id: string }>('/organization/projects', { name: `Store faults project ${++serial}` })).id;
const posts = (path: string) => sandbox.requests.filter((r) => r.method === 'POST' && r.path === path).length;
const r = (i: number) => replicas[i] as Replica;

/** A preview's token and warnings, as the model sees them. */
interface Preview {
  confirmation_token: string;
  warnings?: string[];
}

/** The warning of a preview whose token the store could not record: it will be refused at confirm. */
const UNCONFIRMABLE = /cannot be reached.*will be refused at confirm: preview again once the store is back/s;

/**
 * A token that can be confirmed. A replica still reconnecting to a Redis that a test restarted
 * previews all the same, but says its token will be refused: preview again, as a person would, until
 * the replica is back, so that no test starts on a token the previous test's restart spoiled.
 */
async function preview(on: Replica, name: string, args: Record<string, unknown>): Promise<string> {
  for (;;) {
    const result = await on.call(name, args);
    expect(result.isError, text(result)).toBeFalsy();
    const shown = structured<Preview>(result);
    if (!shown.warnings?.some((w) => UNCONFIRMABLE.test(w))) return shown.confirmation_token;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A confirm sent again while its replica has not yet reconnected to a restarted Redis (that refusal
 * claims nothing, so the token is still unused). Stops early if the call's POST reaches the proxy
 * (`sent`): on a build that lets it through, the call would otherwise wait on the held POST.
 */
async function confirmOnceReachable(on: Replica, name: string, args: Record<string, unknown>, sent?: Promise<void>): Promise<CallToolResult | 'sent'> {
  const giveUp = Date.now() + STUCK_MS;
  for (;;) {
    const call = on.call(name, args);
    const answer = sent ? await Promise.race([call, sent.then(() => 'sent' as const)]) : await call;
    if (answer === 'sent' || !answer.isError || !/cannot be reached/.test(text(answer))) return answer;
    if (Date.now() > giveUp) throw new Error(`the replica still could not reach Redis after ${STUCK_MS / 1000} s: ${text(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Far past the longest a replica takes to reconnect (a 2 s backoff and a 2 s command deadline): a
 * wait on Redis that lasts this long fails with what it waited for, not with the test's timeout.
 */
const STUCK_MS = 20_000;

async function waitForRedis(): Promise<void> {
  const giveUp = Date.now() + STUCK_MS;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), STUCK_MS)));
  try {
    for (;;) {
      const answer = await Promise.race([raw.ping().catch(() => 'down'), stuck]);
      if (answer === 'PONG') return;
      if (answer === 'stuck' || Date.now() > giveUp) throw new Error(`redis-server did not answer PING within ${STUCK_MS / 1000} s of being resumed or restarted`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The Redis key of a project's confirmation lock, as the store names it. */
const lockKey = (projectId: string) => `openai-admin-mcp:lock:${createHash('sha256').update(`GET /organization/projects/${projectId}`).digest('base64url')}`;


/**
 * One project previewed on both replicas (tokens T1 and T2), and T1 confirmed on replica 0 with its
 * archive POST held at the proxy: a write on its way to a slow API. T2's POST, if one ever goes
 * out, is held too (`second.arrived` says it did).
 */
async function firstInFlight() {
  const project_id = await newProject();
  const path = `/organization/projects/${project_id}/archive`;
  const [t1, t2] = await Promise.all([preview(r(0), 'projects_archive', { project_id }), preview(r(1), 'projects_archive', { project_id })]);
  const first = proxy.hold('POST', path);
  const second = proxy.hold('POST', path);
  const onR0 = r(0).call('projects_archive', { project_id, confirm: t1 });
  // A confirm that ends without sending (refused) must end the test with its reason, not leave it
  // waiting for a POST that never comes.
  const ended = await Promise.race([first.arrived.then(() => undefined), onR0]);
  if (ended) throw new Error(`T1's confirm ended before its POST went out: ${text(ended)}`);
  return { project_id, path, t2, first, second, onR0 };
}

/** T1 let through and done; T2 refused for `reason` without sending; one archive reached the API. */
async function oneExecution(flight: Awaited<ReturnType<typeof firstInFlight>>, onR2: Promise<CallToolResult | 'sent'>, reason: RegExp): Promise<void> {
  flight.first.release();
  const done = await flight.onR0;
  expect(done.isError, text(done)).toBeFalsy();
  const answer = await onR2;
  flight.second.release();
  expect(answer).not.toBe('sent');
  expect((answer as CallToolResult).isError).toBe(true);
  expect(text(answer as CallToolResult)).toMatch(reason);
  expect(posts(flight.path)).toBe(1);
}

describe('a confirmed write in flight when the store fails', () => {
  it('Redis restarted empty mid-call: the other replica’s token for the same target is refused; one POST', { timeout: 60_000 }, async () => {
    const flight = await firstInFlight();
    const { project_id, t2, second } = flight;
    const owner = await raw.get(lockKey(project_id));
    expect(owner).not.toBeNull();
    await redis.stop();
    await redis.start(); // empty: T1's lock and the record of T1's use are gone
    // T2 is refused at once, or, if T1's holder has put its lock back first, waits for T1 to end.
    let settled = false;
    const onR1 = confirmOnceReachable(r(1), 'projects_archive', { project_id, confirm: t2 }, second.arrived).finally(() => (settled = true));
    await until(async () => (await raw.get(lockKey(project_id))) === owner, () => settled);
    await oneExecution(flight, onR1, /projects_archive refused: the confirmation store lost its data since this token was issued.*preview again/s);
  });

  it('Redis frozen (SIGSTOP) longer than a lock lasts mid-call: the lock still holds and the other token waits; one POST', { timeout: 60_000 }, async () => {
    const flight = await firstInFlight();
    const { project_id, t2, second } = flight;
    redis.pause();
    // Longer than a lock lasts without renewal: a lock that only lived by renewals has expired.
    await new Promise((resolve) => setTimeout(resolve, LOCK_TTL_MS + 300));
    redis.resume();
    await waitForRedis();
    expect(await raw.exists(lockKey(project_id))).toBe(1); // T1's lock, still held: it covers T1's whole call
    const onR1 = confirmOnceReachable(r(1), 'projects_archive', { project_id, confirm: t2 }, second.arrived);
    await oneExecution(flight, onR1, /projects_archive refused: the target has changed since the preview/);
  });

  it('a holder whose lock lapsed before sending does not send: "not executed", audited', { timeout: 60_000 }, async () => {
    const project_id = await newProject();
    const path = `/organization/projects/${project_id}/archive`;
    const token = await preview(r(0), 'projects_archive', { project_id });
    // The target read under the lock is held, and meanwhile the lock lapses (deleted, as expiry would).
    const read = proxy.hold('GET', `/organization/projects/${project_id}`);
    const call = r(0).call('projects_archive', { project_id, confirm: token });
    await read.arrived;
    expect(await raw.del(lockKey(project_id))).toBe(1);
    read.release();
    const result = await call;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/projects_archive not executed: .*lock.*Nothing was sent/s);
    expect(posts(path)).toBe(0);
    const audit = readFileSync(join(auditDir, 'r0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { tool: string; arguments: Record<string, unknown>; outcome: string; decision?: string });
    const last = audit.filter((e) => e.tool === 'projects_archive' && e.arguments.project_id === project_id).at(-1);
    expect(last).toMatchObject({ outcome: 'refused', decision: 'lock_lost' });
  });
});

describe('a preview made while Redis is down', () => {
  it('says its token will be refused at confirm; that confirm sends nothing, and a preview once Redis is back executes once', { timeout: 60_000 }, async () => {
    const project_id = await newProject();
    const path = `/organization/projects/${project_id}/archive`;
    await redis.stop();
    let up = false;
    try {
      const shown = await r(0).call('projects_archive', { project_id });
      expect(shown.isError, text(shown)).toBeFalsy();
      const { confirmation_token: spoiled, warnings } = structured<Preview>(shown);
      expect(warnings?.join('\n')).toMatch(new RegExp(`the confirmation store redis://127\\.0\\.0\\.1:${redis.port} ${UNCONFIRMABLE.source}`, 's'));
      await redis.start();
      up = true;
      const refused = (await confirmOnceReachable(r(0), 'projects_archive', { project_id, confirm: spoiled })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/projects_archive refused: the token was issued while the confirmation store could not be reached.*preview again/s);
    } finally {
      if (!up) await redis.start();
    }
    expect(posts(path)).toBe(0);
    const token = await preview(r(0), 'projects_archive', { project_id });
    const done = await r(0).call('projects_archive', { project_id, confirm: token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(posts(path)).toBe(1);
  });
});

describe('a step of a confirmed plan', () => {
  it('sends only while it provably holds its target\'s lock: a lapsed lock stops the plan, "not executed", audited with the plan', { timeout: 60_000 }, async () => {
    let key: { projectId: string; id: string } | undefined;
    for (const [projectId, keys] of sandbox.state.projectApiKeys) {
      if (sandbox.state.projects.get(projectId)?.status !== 'active') continue;
      for (const k of keys.values()) key ??= { projectId, id: k.id };
    }
    if (!key) throw new Error('no project key in an active project');
    const target = `/organization/projects/${key.projectId}/api_keys/${key.id}`;
    const deletes = () => sandbox.requests.filter((q) => q.method === 'DELETE' && q.path === target).length;
    const token = await preview(r(0), 'revoke_key', { key: key.id });
    // The confirm reads the target twice: once to re-plan under the plan's lock, once as the step's
    // own read under the target's lock. While the second is held, that lock lapses.
    const replan = proxy.hold('GET', target);
    const stepRead = proxy.hold('GET', target);
    const call = r(0).call('revoke_key', { key: key.id, confirm: token });
    await replan.arrived;
    replan.release();
    await stepRead.arrived;
    const stepLock = `openai-admin-mcp:lock:${createHash('sha256').update(`GET ${target}`).digest('base64url')}`;
    expect(await raw.del(stepLock)).toBe(1);
    stepRead.release();
    const result = await call;
    const report = structured<{ status: string; plan_id: string; failed: Array<{ tool: string; why: string; may_have_happened: boolean }> }>(result);
    expect(report.status, text(result)).toBe('stopped');
    expect(report.failed[0]).toMatchObject({ tool: 'projects_api_keys_delete', may_have_happened: false });
    expect(report.failed[0]?.why).toMatch(/projects_api_keys_delete not executed: .*lock.*Nothing was sent/s);
    expect(deletes()).toBe(0);
    const audit = readFileSync(join(auditDir, 'r0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { tool: string; plan?: string; step?: number; outcome: string; decision?: string });
    expect(audit.filter((e) => e.tool === 'projects_api_keys_delete' && e.plan === report.plan_id).at(-1)).toMatchObject({ step: 1, outcome: 'refused', decision: 'lock_lost' });
  });
});

describe('a used token after Redis lost its data', () => {
  it('is refused on every replica (fails closed), and a fresh preview works again', { timeout: 60_000 }, async () => {
    const id = await newActiveCertificate(api, `store-faults-${++serial}`);
    const args = { certificate_ids: [id] };
    const path = '/organization/certificates/deactivate';
    const before = posts(path);
    const token = await preview(r(0), 'certificates_deactivate', args);
    const used = await r(0).call('certificates_deactivate', { ...args, confirm: token });
    expect(used.isError, text(used)).toBeFalsy();
    expect(text(await r(1).call('certificates_deactivate', { ...args, confirm: token }))).toMatch(/already been used/);
    await redis.stop();
    await redis.start(); // empty: the record of the token's use is gone
    for (const replica of replicas) {
      const replay = (await confirmOnceReachable(replica, 'certificates_deactivate', { ...args, confirm: token })) as CallToolResult;
      expect(replay.isError).toBe(true);
      expect(text(replay)).toMatch(/certificates_deactivate refused: the confirmation store lost its data since this token was issued/);
    }
    expect(posts(path) - before).toBe(1);
    // A token issued now carries the store's new epoch and executes, once.
    await api.post('/organization/certificates/activate', { certificate_ids: [id] });
    const fresh = await preview(r(1), 'certificates_deactivate', args);
    const again = await r(0).call('certificates_deactivate', { ...args, confirm: fresh });
    expect(again.isError, text(again)).toBeFalsy();
    expect(text(await r(1).call('certificates_deactivate', { ...args, confirm: fresh }))).toMatch(/already been used/);
    expect(posts(path) - before).toBe(2);
  });
});
