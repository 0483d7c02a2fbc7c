import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../src/client/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { CLI, structured, text } from '../e2e/connect.js';
import { startNginx, type Nginx } from './nginx.js';
import { startRedis, type RedisServer } from './redis-server.js';

/*
 * Exactly-once across replicas: three built servers in --stateless HTTP mode, sharing the
 * confirmation secret and a real redis-server (--store), in front of one sandbox. The sandbox runs
 * in this process so that its request log counts what each confirmation actually sent.
 */

const SECRET = 'replicas-shared-secret-0123456789';
let sandbox: Sandbox;
let api: AdminClient;
let redis: RedisServer;
let replicas: Replica[] = [];
let nginx: Nginx;

interface Replica {
  url: string;
  child: ChildProcess;
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  stop: () => Promise<void>;
}

async function startReplica(store: string): Promise<Replica> {
  const env = { PATH: process.env.PATH ?? '', OPENAI_ADMIN_KEY: 'sk-admin-replicas-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET, OPENAI_ADMIN_MCP_STORE: store };
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
  const client = new Client({ name: 'replicas-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    url,
    child,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    stop: async () => {
      await client.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

beforeAll(async () => {
  [sandbox, redis] = await Promise.all([startSandbox({ seed: 131 }), startRedis()]);
  api = new AdminClient({ apiKey: 'sk-admin-replicas-setup', baseUrl: sandbox.url });
  replicas = await Promise.all([startReplica(redis.url), startReplica(redis.url), startReplica(redis.url)]);
  nginx = await startNginx(replicas.map((r) => r.url));
}, 60_000);
afterAll(async () => {
  await nginx?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await api?.close();
  await sandbox?.close();
  await redis?.stop();
});

let serial = 0;
const newProject = async () => (await api.post<{ id: string }>('/organization/projects', { name: `Replicas project ${++serial}` })).id;
async function newActiveCertificate(): Promise<string> {
  const body = Buffer.from(`replicas certificate ${++serial} `.repeat(12)).toString('base64');
  const content = ['-----BEGIN CERTIFICATE-----', ...(body.match(/.{1,64}/g) ?? []), '-----END CERTIFICATE-----'].join('\n');
  const { id } = await api.post<{ id: string }>('/organization/certificates', { name: `replicas-${serial}`, certificate: content });
  await api.post('/organization/certificates/activate', { certificate_ids: [id] });
  return id;
}
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
    for (let round = 0; round < 20; round++) {
      const project_id = await newProject();
      const path = `/organization/projects/${project_id}/archive`;
      const token = await preview(replica(round), 'projects_archive', { project_id });
      const results = await Promise.all(replicas.map((r) => r.call('projects_archive', { project_id, confirm: token })));
      executions.push(sent('POST', path));
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      for (const refused of results.filter((r) => r.isError)) expect(text(refused)).toMatch(/refused: the token has already been used|refused: the target has changed/);
      const replays = await Promise.all(replicas.map((r) => r.call('projects_archive', { project_id, confirm: token })));
      for (const replay of replays) {
        expect(replay.isError).toBe(true);
        expect(text(replay)).toMatch(/already been used/);
      }
      expect(sent('POST', path)).toBe(1);
    }
    expect(executions).toEqual(Array.from({ length: 20 }, () => 1));
  });

  it('a tool with no target to read again, which replicas without a store replay, executes once', async () => {
    const id = await newActiveCertificate();
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
      if (!done.isError || !/cannot be reached/.test(text(done))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(done.isError, text(done)).toBeFalsy();
    expect(sent('POST', path)).toBe(1);
  });
});

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
    for (let round = 0; round < 20; round++) {
      const project_id = await newProject();
      const path = `/organization/projects/${project_id}/archive`;
      const preview = await viaNginx('projects_archive', { project_id });
      const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
      const results = await Promise.all([0, 1, 2].map(() => viaNginx('projects_archive', { project_id, confirm: token })));
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      for (const replay of await Promise.all([0, 1, 2].map(() => viaNginx('projects_archive', { project_id, confirm: token })))) {
        expect(text(replay)).toMatch(/already been used/);
      }
      executions.push(sent('POST', path));
    }
    expect(executions).toEqual(Array.from({ length: 20 }, () => 1));
  });

  it('a replica killed mid-run loses no confirmed write, and the others keep serving', { timeout: 180_000 }, async () => {
    const confirmed: string[] = [];
    for (let round = 0; round < 9; round++) {
      if (round === 4) await (replicas[2] as Replica).stop(); // killed between rounds, while the others run
      const project_id = await newProject();
      let token: string | undefined;
      // A request nginx sent to the dead replica fails once (a POST is never resent); the client retries.
      for (let attempt = 0; attempt < 3 && token === undefined; attempt++) {
        const preview = await viaNginx('projects_archive', { project_id }).catch(() => undefined);
        token = preview && !preview.isError ? structured<{ confirmation_token: string }>(preview).confirmation_token : undefined;
      }
      expect(token, `preview in round ${round}`).toBeDefined();
      const results = await Promise.all([0, 1, 2].map(() => viaNginx('projects_archive', { project_id, confirm: token }).catch(() => undefined)));
      const done = results.filter((r) => r !== undefined && !r.isError);
      expect(done.length, `round ${round}`).toBeLessThanOrEqual(1);
      if (done.length === 1) confirmed.push(project_id);
      expect(sent('POST', `/organization/projects/${project_id}/archive`)).toBe(done.length);
    }
    // Every confirmation that answered success is in the organization; after the kill, the
    // surviving replicas still confirm.
    for (const id of confirmed) expect(sandbox.state.projects.get(id)?.status).toBe('archived');
    expect(confirmed.length).toBeGreaterThanOrEqual(5);
  });
});
