import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../src/client/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { structured, text } from '../connect.js';
import { serveHttp } from '../serve-http.js';
import { newActiveCertificate } from '../certificates.js';

/*
 * Confirmation tokens over the real server path: the built server in --stateless HTTP mode, driven
 * by the MCP SDK's Client, against the sandbox. Within one process a token executes once however
 * many confirms arrive together, and two tokens for one target cannot both execute. Two replicas
 * that share only the confirmation secret are measured too: what the README says about them is
 * what these tests see.
 */

const TOKEN = 'confirm-once-http-token-5c1e';
const SECRET = 'confirm-once-shared-secret-0123';
let sandbox: Sandbox;
let api: AdminClient;
let replicaA: Replica;
let replicaB: Replica;

interface Replica {
  client: Client;
  call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  stop: () => Promise<void>;
}

/** Starts the built server as a stateless HTTP replica and connects the SDK client to it. */
async function startReplica(): Promise<Replica> {
  const env = { PATH: process.env.PATH ?? '', OPENAI_ADMIN_KEY: 'sk-admin-confirm-once', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN, OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET };
  const server = await serveHttp(['--stateless'], env);
  const url = server.url;
  const client = new Client({ name: 'confirm-once', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return {
    client,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    stop: async () => {
      await client.close();
      await server.stop();
    },
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 93 });
  api = new AdminClient({ apiKey: 'sk-admin-confirm-once-setup', baseUrl: sandbox.url });
  [replicaA, replicaB] = await Promise.all([startReplica(), startReplica()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([replicaA?.stop(), replicaB?.stop()]);
  await api.close();
  await sandbox.close();
});

let serial = 0;
const newProject = async () => (await api.post<{ id: string }>('/organization/projects', { name: `Confirm-once project ${++serial}` })).id;
const newAdminKey = async () => (await api.post<{ id: string }>('/organization/admin_api_keys', { name: `confirm-once-key-${++serial}` })).id;
const newCertificate = () => newActiveCertificate(api, `confirm-once-${++serial}`);

/** Requests the sandbox received with this method and path, i.e. how often the change was sent. */
const sent = (method: string, path: string) => sandbox.requests.filter((r) => r.method === method && r.path === path).length;

async function preview(replica: Replica, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await replica.call(name, args);
  expect(result.isError, text(result)).toBeFalsy();
  return structured<{ confirmation_token: string }>(result).confirmation_token;
}

const succeeded = (results: CallToolResult[]) => results.filter((r) => !r.isError).length;

describe('within one process a token executes exactly once', () => {
  it.each([
    ['projects_archive', async () => ({ project_id: await newProject() }), (a: Record<string, unknown>) => ['POST', `/organization/projects/${a.project_id}/archive`]],
    ['admin_api_keys_delete', async () => ({ key_id: await newAdminKey() }), (a: Record<string, unknown>) => ['DELETE', `/organization/admin_api_keys/${a.key_id}`]],
    // No target to read again: only the used-token record stands between a token and a replay.
    ['certificates_deactivate', async () => ({ certificate_ids: [await newCertificate()] }), () => ['POST', '/organization/certificates/deactivate']],
  ] as const)('%s: 20 concurrent confirms of one token send the change once', async (name, setup, request) => {
    const args = await setup();
    const [method, path] = request(args);
    const before = sent(method, path);
    const token = await preview(replicaA, name, args);
    const results = await Promise.all(Array.from({ length: 20 }, () => replicaA.call(name, { ...args, confirm: token })));
    expect(sent(method, path) - before).toBe(1);
    expect(succeeded(results)).toBe(1);
    for (const refused of results.filter((r) => r.isError)) expect(text(refused)).toMatch(/refused: the token has already been used|refused: the target has changed|nothing to delete/);
  });

  it.each([
    ['projects_archive', async () => ({ project_id: await newProject() }), () => ({}), (a: Record<string, unknown>) => ['POST', `/organization/projects/${a.project_id}/archive`]],
    ['admin_api_keys_delete', async () => ({ key_id: await newAdminKey() }), () => ({}), (a: Record<string, unknown>) => ['DELETE', `/organization/admin_api_keys/${a.key_id}`]],
    // Different amounts: ten tokens for ten different requests to one target.
    ['projects_spend_limit_update', async () => ({ project_id: await newProject() }), (i: number) => ({ threshold_amount: 1_000 + i, currency: 'USD', interval: 'month' }), (a: Record<string, unknown>) => ['POST', `/organization/projects/${a.project_id}/spend_limit`]],
  ] as const)('%s: ten tokens previewed for one target and confirmed at once, only one executes', async (name, setup, body, request) => {
    const target = await setup();
    const [method, path] = request(target);
    const calls = Array.from({ length: 10 }, (_, i) => ({ ...target, ...body(i) }));
    const tokens = await Promise.all(calls.map((args) => preview(replicaA, name, args)));
    const before = sent(method, path);
    const results = await Promise.all(calls.map((args, i) => replicaA.call(name, { ...args, confirm: tokens[i] })));
    expect(sent(method, path) - before).toBe(1);
    expect(succeeded(results)).toBe(1);
    // The others waited for the first, read the target it had changed, and were refused.
    for (const refused of results.filter((r) => r.isError)) expect(text(refused)).toMatch(/refused: the target has changed|nothing to delete/);
  });
});

describe('replicas that share the confirmation secret but no store', () => {
  it('a token previewed on one replica executes on another', async () => {
    const project_id = await newProject();
    const token = await preview(replicaA, 'projects_archive', { project_id });
    const done = await replicaB.call('projects_archive', { project_id, confirm: token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(sandbox.state.projects.get(project_id)?.status).toBe('archived');
  });

  it('once it has executed, the other replica refuses it because the target changed', async () => {
    const project_id = await newProject();
    const token = await preview(replicaA, 'projects_archive', { project_id });
    expect((await replicaA.call('projects_archive', { project_id, confirm: token })).isError).toBeFalsy();
    const replay = await replicaB.call('projects_archive', { project_id, confirm: token });
    expect(replay.isError).toBe(true);
    expect(text(replay)).toMatch(/changed since the preview/);
    expect(sent('POST', `/organization/projects/${project_id}/archive`)).toBe(1);
  });

  it('a tool with no target to read replays on the other replica (what the README warns of)', async () => {
    const id = await newCertificate();
    const args = { certificate_ids: [id] };
    const token = await preview(replicaA, 'certificates_deactivate', args);
    const before = sent('POST', '/organization/certificates/deactivate');
    expect((await replicaA.call('certificates_deactivate', { ...args, confirm: token })).isError).toBeFalsy();
    expect(text(await replicaA.call('certificates_deactivate', { ...args, confirm: token }))).toMatch(/already been used/);
    const replay = await replicaB.call('certificates_deactivate', { ...args, confirm: token });
    expect(replay.isError, text(replay)).toBeFalsy();
    expect(sent('POST', '/organization/certificates/deactivate') - before).toBe(2);
  });

  it('a target changed and changed back lets the token execute again on the other replica (what the README warns of)', async () => {
    const project_id = await newProject();
    const path = `/organization/projects/${project_id}/model_permissions`;
    await api.post(path, { mode: 'deny_list', model_ids: ['o3'] }, { idempotent: true });
    const args = { project_id, mode: 'allow_list', model_ids: ['gpt-4o-mini'] };
    const token = await preview(replicaA, 'projects_model_permissions_update', args);
    expect((await replicaA.call('projects_model_permissions_update', { ...args, confirm: token })).isError).toBeFalsy();
    await api.post(path, { mode: 'deny_list', model_ids: ['o3'] }, { idempotent: true }); // back to the previewed state
    expect(text(await replicaA.call('projects_model_permissions_update', { ...args, confirm: token }))).toMatch(/already been used/);
    const replay = await replicaB.call('projects_model_permissions_update', { ...args, confirm: token });
    expect(replay.isError, text(replay)).toBeFalsy();
    expect(sandbox.requests.filter((r) => r.method === 'POST' && r.path === path).length).toBe(4); // 2 by the test, 2 by the token
  });
});
