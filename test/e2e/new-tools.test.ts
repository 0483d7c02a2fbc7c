import { effectiveHints } from '../../src/server/listing/annotations.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, readEndpoints, structured, text, type Connected } from '../connect.js';

/*
 * The workload identity, federation rule, service tier and key update tools, called end to end:
 * the MCP SDK's own Client over stdio to the built server, which talks to the sandbox over HTTP.
 * Every destructive call goes through preview (nothing changes, the target is shown) and confirm.
 */

let sandbox: Sandbox;
let server: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 13, retryAfterMs: 10 });
  server = await connectStdio(['--toolsets', 'security,limits,keys'], { OPENAI_ADMIN_KEY: 'sk-admin-e2e-new-tools-0123', OPENAI_BASE_URL: sandbox.url });
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

const state = () => sandbox.state;
const writes = () => sandbox.requests.filter((r) => r.method !== 'GET').length;

async function ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
  const result = await server.client.callTool({ name, arguments: args });
  expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
  return structured<T>(result);
}

interface Preview {
  status: string;
  target: Record<string, unknown>;
  request: { method: string; path: string; body?: unknown };
  confirmation_token: string;
}

/** Calls a destructive tool twice: the preview must change nothing and show the target; the confirm executes. */
async function previewThenConfirm<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<{ preview: Preview; done: T }> {
  const before = writes();
  const preview = await ok<Preview>(name, args);
  expect(preview.status).toBe('confirmation_required');
  expect(preview.confirmation_token).toBeTruthy();
  expect(writes()).toBe(before);
  const done = await ok<T>(name, { ...args, confirm: preview.confirmation_token });
  expect(writes()).toBe(before + 1);
  return { preview, done };
}

const NEW_TOOLS = {
  workload_identity_providers_list: ['GET /organization/workload_identity_providers', 'read'],
  workload_identity_providers_create: ['POST /organization/workload_identity_providers', 'write'],
  workload_identity_providers_retrieve: ['GET /organization/workload_identity_providers/{workload_identity_provider_id}', 'read'],
  workload_identity_providers_update: ['POST /organization/workload_identity_providers/{workload_identity_provider_id}', 'destructive'],
  workload_identity_providers_delete: ['DELETE /organization/workload_identity_providers/{workload_identity_provider_id}', 'destructive'],
  workload_identity_providers_federation_rules_list: ['GET /organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules', 'read'],
  workload_identity_providers_federation_rules_create: ['POST /organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules', 'write'],
  workload_identity_providers_federation_rules_retrieve: [
    'GET /organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules/{workload_identity_federation_rule_id}',
    'read',
  ],
  workload_identity_providers_federation_rules_update: [
    'POST /organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules/{workload_identity_federation_rule_id}',
    'destructive',
  ],
  workload_identity_providers_federation_rules_delete: [
    'DELETE /organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules/{workload_identity_federation_rule_id}',
    'destructive',
  ],
  projects_service_tier_settings_retrieve: ['GET /organization/projects/{project_id}/service_tier_settings', 'read'],
  projects_service_tier_settings_update: ['POST /organization/projects/{project_id}/service_tier_settings', 'destructive'],
  projects_api_keys_update: ['POST /organization/projects/{project_id}/api_keys/{api_key_id}', 'destructive'],
} as const;

describe('the new tools over stdio', () => {
  it('are listed with honest annotations, and their endpoints in the endpoints resource', async () => {
    const { tools } = await server.client.listTools();
    const endpoints = await readEndpoints(server);
    for (const [name, [endpoint, effect]] of Object.entries(NEW_TOOLS)) {
      const tool = tools.find((t) => t.name === name);
      expect(tool, name).toBeDefined();
      expect(endpoints[name], name).toBe(endpoint);
      expect(effectiveHints(tool?.annotations).readOnlyHint, name).toBe(effect === 'read');
      expect(effectiveHints(tool?.annotations).destructiveHint, name).toBe(effect === 'destructive');
      expect('confirm' in ((tool?.inputSchema.properties as object | undefined) ?? {}), name).toBe(effect === 'destructive');
    }
  });

  it('workload identity providers and federation rules: list, create, retrieve, update, delete', async () => {
    const seeded = await ok<{ data: Array<{ id: string }> }>('workload_identity_providers_list', {});
    expect(seeded.data.map((p) => p.id)).toEqual([...state().workloadIdentityProviders.keys()]);

    const provider = await ok<{ id: string; enabled: boolean }>('workload_identity_providers_create', {
      name: 'E2E CI',
      type: 'oidc',
      issuer: 'https://ci.example.test',
      audience: 'openai',
      verification: { type: 'uploaded_jwks', jwks: { keys: [{ kty: 'RSA', e: 'AQAB', n: 'abc' }] } },
    });
    expect(state().workloadIdentityProviders.get(provider.id)?.name).toBe('E2E CI');
    expect(await ok('workload_identity_providers_retrieve', { workload_identity_provider_id: provider.id })).toMatchObject({ id: provider.id, enabled: true });

    const disable = await previewThenConfirm<{ enabled: boolean }>('workload_identity_providers_update', { workload_identity_provider_id: provider.id, enabled: false });
    expect(disable.preview.target).toMatchObject({ id: provider.id, enabled: true });
    expect(disable.preview.request).toEqual({ method: 'POST', path: `/organization/workload_identity_providers/${provider.id}`, body: { enabled: false } });
    expect(disable.done.enabled).toBe(false);
    expect(state().workloadIdentityProviders.get(provider.id)?.enabled).toBe(false);

    const [projectId, accounts] = [...state().serviceAccounts].find(([id, m]) => m.size > 0 && state().projects.get(id)?.status === 'active')!;
    const account = [...accounts.values()][0]!;
    const rule = await ok<{ id: string }>('workload_identity_providers_federation_rules_create', {
      workload_identity_provider_id: provider.id,
      project_id: projectId,
      service_account_id: account.id,
      attribute_matchers: { sub: 'pipeline:e2e', attempt: 1 },
      permissions: { type: 'restricted', scopes: ['api.all.read'] },
    });
    const ruleArgs = { workload_identity_provider_id: provider.id, workload_identity_federation_rule_id: rule.id };
    const listed = await ok<{ data: Array<{ id: string }> }>('workload_identity_providers_federation_rules_list', { workload_identity_provider_id: provider.id, service_account_id: account.id });
    expect(listed.data.map((r) => r.id)).toEqual([rule.id]);
    expect(await ok('workload_identity_providers_federation_rules_retrieve', ruleArgs)).toMatchObject({ id: rule.id, attribute_matchers: { sub: 'pipeline:e2e', attempt: 1 } });

    const widen = await previewThenConfirm<{ permissions: { type: string } }>('workload_identity_providers_federation_rules_update', {
      ...ruleArgs,
      permissions: { type: 'service_account_default' },
    });
    expect(widen.preview.target).toMatchObject({ id: rule.id, permissions: { type: 'restricted', scopes: ['api.all.read'] } });
    expect(widen.done.permissions).toEqual({ type: 'service_account_default' });

    const second = await ok<{ id: string }>('workload_identity_providers_federation_rules_create', {
      workload_identity_provider_id: provider.id,
      project_id: projectId,
      service_account_id: account.id,
      attribute_matchers: { sub: 'pipeline:other' },
    });
    const removed = await previewThenConfirm<{ deleted: boolean }>('workload_identity_providers_federation_rules_delete', ruleArgs);
    expect(removed.preview.target).toMatchObject({ id: rule.id });
    expect(removed.done).toMatchObject({ id: rule.id, deleted: true });
    expect(state().federationRules.get(provider.id)?.has(rule.id)).toBe(false);

    // Deleting the provider takes its remaining rule with it.
    const gone = await previewThenConfirm<{ deleted: boolean }>('workload_identity_providers_delete', { workload_identity_provider_id: provider.id });
    expect(gone.preview.target).toMatchObject({ id: provider.id, enabled: false });
    expect(gone.done).toMatchObject({ id: provider.id, deleted: true });
    expect(state().workloadIdentityProviders.has(provider.id)).toBe(false);
    expect(state().federationRules.get(provider.id)?.has(second.id) ?? false).toBe(false);
  });

  it('project service tier settings: retrieve, then a previewed and confirmed update', async () => {
    const project = [...state().projects.values()].find((p) => p.status === 'active' && state().serviceTierSettings.get(p.id)?.enabled_tiers === 'all')!;
    const current = await ok('projects_service_tier_settings_retrieve', { project_id: project.id });
    expect(current).toEqual({ object: 'project.service_tier_settings', default: state().serviceTierSettings.get(project.id)?.default, enabled_tiers: 'all' });

    const { preview, done } = await previewThenConfirm('projects_service_tier_settings_update', { project_id: project.id, enabled_tiers: ['flex'] });
    expect(preview.target).toEqual(current);
    expect(preview.request.body).toEqual({ enabled_tiers: ['flex'] });
    expect(done).toMatchObject({ enabled_tiers: ['flex'] });
    expect(state().serviceTierSettings.get(project.id)?.enabled_tiers).toEqual(['flex']);
  });

  it("project API key update: the preview shows the key, and the token is bound to the key's state", async () => {
    const [projectId, keys] = [...state().projectApiKeys].find(([id]) => state().projects.get(id)?.status === 'active')!;
    const key = [...keys.values()].find((k) => k.expires_at == null)!;
    const args = { project_id: projectId, api_key_id: key.id, scopes: ['api.all.read'], expires_in_seconds: 86_400 };

    // A token for the key as it was is refused once the key has changed.
    const stale = await ok<Preview>('projects_api_keys_update', args);
    expect(stale.target).toMatchObject({ id: key.id, expires_at: null });
    key.expires_at = state().now() + 999_999;
    const refused = await server.client.callTool({ name: 'projects_api_keys_update', arguments: { ...args, confirm: stale.confirmation_token } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/changed/);
    expect(key.scopes).toBeUndefined();

    const { preview, done } = await previewThenConfirm<{ id: string; expires_at: number }>('projects_api_keys_update', args);
    expect(preview.target).toMatchObject({ id: key.id, redacted_value: key.redacted_value });
    expect(done.id).toBe(key.id);
    expect(done.expires_at).toBeGreaterThan(state().now());
    expect(key.scopes).toEqual(['api.all.read']);
    expect(done).not.toHaveProperty('value');
  });

  it('bad input is refused before sending, naming the field; upstream refusals keep their param', async () => {
    const before = sandbox.requests.length;
    const badType = await server.client.callTool({ name: 'workload_identity_providers_create', arguments: { name: 'x', type: 'saml', issuer: 'https://x', audience: 'y' } });
    expect(badType.isError).toBe(true);
    expect(text(badType)).toMatch(/type: 'saml' is not allowed; use one of 'oidc'/);
    const badTier = await server.client.callTool({ name: 'projects_service_tier_settings_update', arguments: { project_id: 'proj_x', enabled_tiers: ['standard'] } });
    expect(badTier.isError).toBe(true);
    expect(text(badTier)).toMatch(/enabled_tiers/);
    expect(sandbox.requests.length).toBe(before);

    const provider = [...state().workloadIdentityProviders.keys()][0]!;
    const wrong = await server.client.callTool({
      name: 'workload_identity_providers_federation_rules_retrieve',
      arguments: { workload_identity_provider_id: provider, workload_identity_federation_rule_id: 'wifr_missing' },
    });
    expect(wrong.isError).toBe(true);
    expect(text(wrong)).toMatch(/404/);
    expect(text(wrong)).toMatch(/workload_identity_federation_rule_id/);
  });
});
