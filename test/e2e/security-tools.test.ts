import { effectiveHints } from '../../src/server/listing/annotations.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { pickProjectNamed } from '../helpers.js';
import { connectStdio, readEndpoints, structured, text, type Connected } from '../connect.js';

/*
 * The external key, external storage and decisions usage tools end to end: the built server on
 * stdio, driven by the MCP SDK's own Client, against the sandbox over HTTP. Deletes go through
 * the preview and the confirmation token; validations run on a --read-only server too.
 */

const NEW_TOOLS = {
  usage_decisions: { effect: 'read', toolset: 'usage', endpoint: 'GET /organization/usage/decisions' },
  external_keys_list: { effect: 'read', toolset: 'security', endpoint: 'GET /organization/external_keys' },
  external_keys_create: { effect: 'write', toolset: 'security', endpoint: 'POST /organization/external_keys' },
  external_keys_retrieve: { effect: 'read', toolset: 'security', endpoint: 'GET /organization/external_keys/{external_key_id}' },
  external_keys_delete: { effect: 'destructive', toolset: 'security', endpoint: 'DELETE /organization/external_keys/{external_key_id}' },
  external_keys_validate: { effect: 'read', toolset: 'security', endpoint: 'POST /organization/external_keys/{external_key_id}/validate' },
  external_storage_list: { effect: 'read', toolset: 'security', endpoint: 'GET /organization/external_storage' },
  external_storage_create: { effect: 'write', toolset: 'security', endpoint: 'POST /organization/external_storage' },
  external_storage_retrieve: { effect: 'read', toolset: 'security', endpoint: 'GET /organization/external_storage/{external_storage_id}' },
  external_storage_delete: { effect: 'destructive', toolset: 'security', endpoint: 'DELETE /organization/external_storage/{external_storage_id}' },
  external_storage_validate: { effect: 'read', toolset: 'security', endpoint: 'POST /organization/external_storage/{external_storage_id}/validate' },
} as const;

interface Preview {
  status: string;
  confirmation_token: string;
  target: Record<string, unknown>;
  request: { method: string; path: string };
}

let sandbox: Sandbox;
let server: Connected;
let readOnly: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 13 });
  const env = { OPENAI_ADMIN_KEY: 'sk-admin-e2e-security', OPENAI_BASE_URL: sandbox.url };
  [server, readOnly] = await Promise.all([connectStdio(['--toolsets', 'all'], env), connectStdio(['--read-only', '--toolsets', 'all'], env)]);
});
afterAll(async () => {
  await Promise.all([server?.close(), readOnly?.close()]);
  await sandbox?.close();
});

const call = (name: string, args: Record<string, unknown> = {}, on: Connected = server) => on.client.callTool({ name, arguments: args });
async function ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown> = {}, on: Connected = server): Promise<T> {
  const result = await call(name, args, on);
  expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
  return structured<T>(result);
}
const requestsTo = (method: string, path: string) => sandbox.requests.filter((r) => r.method === method && r.path === path).length;

describe('listing', () => {
  it('lists every new tool with its effect in the annotations and its endpoint in the endpoints resource', async () => {
    const { tools } = await server.client.listTools();
    const endpoints = await readEndpoints(server);
    for (const [name, facts] of Object.entries(NEW_TOOLS)) {
      const tool = tools.find((t) => t.name === name);
      expect(tool, name).toBeDefined();
      expect(endpoints[name], name).toBe(facts.endpoint);
      expect(effectiveHints(tool?.annotations), name).toMatchObject({ readOnlyHint: facts.effect === 'read', destructiveHint: facts.effect === 'destructive' });
      expect(Object.keys(tool?.inputSchema.properties ?? {}).includes('confirm'), name).toBe(facts.effect === 'destructive');
    }
  });

  it('a read-only server lists the reads and validations, and none of the writes', async () => {
    const names = (await readOnly.client.listTools()).tools.map((t) => t.name);
    for (const [name, facts] of Object.entries(NEW_TOOLS)) expect(names.includes(name), name).toBe(facts.effect === 'read');
  });
});

describe('external keys through the MCP server', () => {
  it('create, retrieve, list, validate, then delete with preview and confirmation', async () => {
    const body = {
      type: 'azure',
      name: 'E2E Key Vault key',
      key_name: 'e2e',
      tenant_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      vault_uri: 'https://e2e.vault.azure.net/',
    };
    const created = await ok<{ id: string; type: string; api_project_ids: string[] }>('external_keys_create', body);
    expect(created).toMatchObject({ type: 'azure', name: body.name, api_project_ids: [] });
    expect(sandbox.state.externalKeys.has(created.id)).toBe(true);

    expect(await ok('external_keys_retrieve', { external_key_id: created.id })).toEqual(created);
    const list = await ok<{ data: Array<{ id: string }> }>('external_keys_list', { max_items: 50 });
    expect(list.data.map((k) => k.id)).toContain(created.id);
    expect(await ok('external_keys_validate', { external_key_id: created.id })).toEqual({ status: 'valid' });

    const preview = await ok<Preview>('external_keys_delete', { external_key_id: created.id });
    expect(preview).toMatchObject({ status: 'confirmation_required', target: { id: created.id, name: body.name }, request: { method: 'DELETE' } });
    expect(sandbox.state.externalKeys.has(created.id)).toBe(true);
    const done = await ok('external_keys_delete', { external_key_id: created.id, confirm: preview.confirmation_token });
    expect(done).toMatchObject({ id: created.id });
    expect(sandbox.state.externalKeys.has(created.id)).toBe(false);
    expect(requestsTo('DELETE', `/organization/external_keys/${created.id}`)).toBe(1);
  });

  it('the preview of a key in use shows the projects using it, and the API refuses the removal', async () => {
    const billing = pickProjectNamed(sandbox.state, 'Billing');
    const keyId = billing.external_key_id as string;
    const preview = await ok<Preview>('external_keys_delete', { external_key_id: keyId });
    expect(preview.target.api_project_ids).toEqual([billing.id]);
    const refused = await call('external_keys_delete', { external_key_id: keyId, confirm: preview.confirmation_token });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain(billing.id);
    expect(sandbox.state.externalKeys.has(keyId)).toBe(true);
  });

  it('a field of another provider comes back as an error naming it', async () => {
    const result = await call('external_keys_create', { type: 'aws', name: 'x', external_id: sandbox.state.organizationId, kms_arn: 'a', role_arn: 'r', vault_uri: 'https://v' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/vault_uri/);
  });
});

describe('external storage through the MCP server', () => {
  it('create, retrieve, list, validate, then delete with preview and confirmation', async () => {
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const provider = { type: 'aws', bucket: 'e2e-bucket', role_arn: 'arn:aws:iam::111122223333:role/openai-e2e' };
    const created = await ok<{ id: string; status: string; provider: Record<string, string> }>('external_storage_create', { project_id: atlas.id, provider });
    expect(created).toMatchObject({ status: 'pending', provider: { ...provider, account_id: '111122223333' } });

    const current = await ok<{ status: string }>('external_storage_retrieve', { external_storage_id: created.id });
    expect(current.status).toBe('validated');
    const list = await ok<{ data: Array<{ id: string; project_id: string }> }>('external_storage_list', { project_id: atlas.id });
    expect(list.data.map((r) => r.id)).toContain(created.id);
    expect(list.data.every((r) => r.project_id === atlas.id)).toBe(true);
    expect(await ok('external_storage_validate', { external_storage_id: created.id })).toEqual(current);

    const preview = await ok<Preview>('external_storage_delete', { external_storage_id: created.id });
    expect(preview).toMatchObject({ status: 'confirmation_required', target: { id: created.id, status: 'validated' } });
    expect(sandbox.state.externalStorage.has(created.id)).toBe(true);
    const done = await ok('external_storage_delete', { external_storage_id: created.id, confirm: preview.confirmation_token });
    expect(done).toEqual({ object: 'organization.external_storage.deleted', id: created.id, deleted: true });
    expect(sandbox.state.externalStorage.has(created.id)).toBe(false);
    // Deleted, it is no longer there to delete: the tool says so without sending a DELETE.
    const again = await call('external_storage_delete', { external_storage_id: created.id });
    expect(text(again)).toMatch(/nothing to delete/);
    expect(requestsTo('DELETE', `/organization/external_storage/${created.id}`)).toBe(1);
  });

  it('the tool checks the provider shape before sending, naming the field', async () => {
    const before = sandbox.requests.length;
    const result = await call('external_storage_create', { project_id: 'proj_x', provider: { type: 'aws', bucket: 'b' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/provider\.role_arn: required/);
    const stray = await call('external_storage_create', { project_id: 'proj_x', provider: { type: 'aws', bucket: 'b', role_arn: 'r', container: 'c' } });
    expect(text(stray)).toMatch(/'provider\.container': not a field of provider/);
    expect(sandbox.requests.length).toBe(before);
  });
});

describe('decisions usage through the MCP server', () => {
  it('usage_decisions answers buckets grouped by api_source', async () => {
    const page = await ok<{ data: Array<{ results: Array<{ api_source: string | null; input_tokens: number }> }> }>('usage_decisions', {
      start_time: '14d',
      group_by: ['api_source'],
      limit: 14,
    });
    const sources = new Set(page.data.flatMap((b) => b.results.map((r) => r.api_source)));
    expect(sources).toEqual(new Set(['agents_api', 'unlabeled']));
  });

  it('usage_report covers the decisions family, alone and in all', async () => {
    const report = await ok<{ family: string; totals: Record<string, number>; groups: Array<{ model: string }> }>('usage_report', { family: 'decisions', period: 'last_30_days' });
    expect(report.totals.input_tokens).toBeGreaterThan(0);
    expect(report.groups.map((g) => g.model)).toContain('gpt-4.1-mini-2025-04-14');
    const all = await ok<{ by_family: Array<{ family: string; input_tokens?: number }> }>('usage_report', { family: 'all', period: 'last_30_days' });
    expect(all.by_family.find((f) => f.family === 'decisions')?.input_tokens).toBe(report.totals.input_tokens);
  });
});

describe('validations under --read-only', () => {
  it('run, send only their POST /validate, and change nothing', async () => {
    const before = JSON.stringify([[...sandbox.state.externalKeys.values()], [...sandbox.state.externalStorage.values()]]);
    const writesBefore = sandbox.requests.filter((r) => r.method !== 'GET').length;
    const key = [...sandbox.state.externalKeys.values()].find((k) => !k.reachable)!;
    expect(await ok('external_keys_validate', { external_key_id: key.id }, readOnly)).toEqual({ status: 'invalid' });
    const storage = [...sandbox.state.externalStorage.values()][0]!;
    expect(await ok('external_storage_validate', { external_storage_id: storage.id }, readOnly)).toMatchObject({ id: storage.id, status: storage.status });

    const writes = sandbox.requests.filter((r) => r.method !== 'GET').slice(writesBefore);
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /organization/external_keys/${key.id}/validate`,
      `POST /organization/external_storage/${storage.id}/validate`,
    ]);
    expect(JSON.stringify([[...sandbox.state.externalKeys.values()], [...sandbox.state.externalStorage.values()]])).toBe(before);
  });

  it('refuse the writes and deletes of the same families by name', async () => {
    const key = [...sandbox.state.externalKeys.keys()][0]!;
    for (const [name, args] of [
      ['external_keys_create', { type: 'oci', name: 'x', key_ocid: 'k', region: 'us-ashburn-1', vault_ocid: 'v' }],
      ['external_keys_delete', { external_key_id: key }],
      ['external_storage_delete', { external_storage_id: [...sandbox.state.externalStorage.keys()][0] }],
    ] as const) {
      const result = await call(name, args, readOnly);
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/refused: the server is read-only/);
    }
  });
});
