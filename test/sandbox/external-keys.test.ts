import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { expectError, pickArchivedProject, pickProjectNamed, stateSnapshot, useSandbox, withSandboxes, type List } from '../helpers.js';

interface ExternalKey {
  object: string;
  id: string;
  name: string;
  type: string;
  purpose: string;
  created_at: number;
  workspace_id: string;
  api_project_ids: string[];
  [field: string]: unknown;
}

const BASE = '/organization/external_keys';
/** A fixed clock, so creation times are exact. */
const NOW = Date.UTC(2026, 4, 12, 10, 30) / 1000;

let sandbox: Sandbox;
let client: AdminClient;
const state = useSandbox({ seed: 7, now: () => NOW }, (started) => ({ sandbox, client } = started));

const snapshot = () => stateSnapshot(state().externalKeys, [...state().projects.values()].map((p) => p.external_key_id), state().auditLogs.length);
const org = () => state().organizationId;

/** A valid body per type, for the organization of this sandbox. */
const bodies = () => ({
  aws: { type: 'aws', name: 'Round trip (AWS)', external_id: org(), kms_arn: 'arn:aws:kms:us-east-1:111122223333:key/abcd', role_arn: 'arn:aws:iam::111122223333:role/openai-ekm' },
  gcp: {
    type: 'gcp',
    name: 'Round trip (GCP)',
    audience: pickProjectNamed(state(), 'Atlas').id,
    kms_key_location: 'us-central1',
    kms_key_name: 'k',
    kms_key_ring_name: 'ring',
    kms_project_id: 'p',
    workload_identity_pool_id: 'pool',
    workload_identity_project_number: '123456789',
    workload_identity_provider_id: 'prov',
  },
  azure: { type: 'azure', name: 'Round trip (Azure)', key_name: 'k', tenant_id: '0f8fad5b-d9cb-469f-a165-70867728950e', vault_uri: 'https://v.vault.azure.net/' },
  oci: { type: 'oci', name: 'Round trip (OCI)', key_ocid: 'ocid1.key.oc1..k', region: 'us-ashburn-1', vault_ocid: 'ocid1.vault.oc1..v' },
});

describe('seed', () => {
  it('has one key per provider, two of them used by projects and one whose store does not answer', () => {
    const keys = [...state().externalKeys.values()];
    expect(new Set(keys.map((k) => k.type))).toEqual(new Set(['aws', 'gcp', 'azure', 'oci']));
    const used = [...state().projects.values()].filter((p) => p.external_key_id !== null);
    expect(used.map((p) => p.name).sort()).toEqual(['Billing', 'Data Platform']);
    for (const project of used) expect(state().externalKeys.has(project.external_key_id as string)).toBe(true);
    expect(keys.filter((k) => !k.reachable)).toHaveLength(1);
    expect(keys.some((k) => k.purpose === 'psp_decryption')).toBe(true);
    for (const key of keys) expect(JSON.stringify(key.config)).not.toMatch(/\{org\}|\{project:/);
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 7, now: () => NOW }, { seed: 8, now: () => NOW }], ([again, other]) => {
      const ids = (s: Sandbox) => [...s.state.externalKeys.keys()];
      expect(ids(again)).toEqual(ids(sandbox));
      expect(ids(other)).not.toEqual(ids(sandbox));
    });
  });
});

describe('round trip per type: create, retrieve, list, validate, delete', () => {
  it.each(['aws', 'gcp', 'azure', 'oci'] as const)('%s', async (type) => {
    const body = bodies()[type];
    const created = await client.post<ExternalKey>(BASE, body);
    const { type: _type, name, ...fields } = body;
    expect(created).toMatchObject({ object: 'organization.external_key', type, name, purpose: 'ekm', workspace_id: org(), api_project_ids: [], ...fields });
    expect(created.id).toMatch(/^ekm_/);
    expect(created.created_at).toBe(NOW);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'external_key.registered', payload: { id: created.id } });

    expect(await client.get<ExternalKey>(`${BASE}/${created.id}`)).toEqual(created);
    const list = await client.get<List<ExternalKey>>(BASE, { limit: 100 });
    expect(list.data.at(-1)).toEqual(created);

    expect(await client.post(`${BASE}/${created.id}/validate`)).toEqual({ status: 'valid' });

    const removed = await client.delete<ExternalKey>(`${BASE}/${created.id}`);
    expect(removed).toEqual(created);
    expect(state().externalKeys.has(created.id)).toBe(false);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'external_key.removed', payload: { id: created.id } });
    await expectError(client.get(`${BASE}/${created.id}`), 404, 'external_key_id', { code: 'not_found' });
    await expectError(client.delete(`${BASE}/${created.id}`), 404, 'external_key_id');
  });

  it('a psp_decryption key takes its exact version', async () => {
    const created = await client.post<ExternalKey>(BASE, { ...bodies().azure, purpose: 'psp_decryption', key_version: 'v7' });
    expect(created).toMatchObject({ purpose: 'psp_decryption', key_version: 'v7' });
    const psp = await client.get<List<ExternalKey>>(BASE, { purpose: 'psp_decryption', limit: 100 });
    expect(psp.data.every((k) => k.purpose === 'psp_decryption')).toBe(true);
    expect(psp.data.map((k) => k.id)).toContain(created.id);
    const ekm = await client.get<List<ExternalKey>>(BASE, { purpose: 'ekm', limit: 100 });
    expect(ekm.data.map((k) => k.id)).not.toContain(created.id);
  });
});

describe('list', () => {
  it('pages with limit and after, in either order, and names the projects that use each key', async () => {
    const all = await client.get<List<ExternalKey>>(BASE, { limit: 100 });
    expect(all.data.map((k) => k.id)).toEqual([...state().externalKeys.keys()]);
    const billing = pickProjectNamed(state(), 'Billing');
    expect(all.data.find((k) => k.id === billing.external_key_id)?.api_project_ids).toEqual([billing.id]);
    const first = await client.get<List<ExternalKey>>(BASE, { limit: 2 });
    expect(first).toMatchObject({ object: 'list', has_more: true, first_id: all.data[0]?.id, last_id: all.data[1]?.id });
    const rest = await client.get<List<ExternalKey>>(BASE, { limit: 100, after: first.last_id as string });
    expect([...first.data, ...rest.data]).toEqual(all.data);
    const desc = await client.get<List<ExternalKey>>(BASE, { limit: 100, order: 'desc' });
    expect(desc.data.map((k) => k.id)).toEqual(all.data.map((k) => k.id).reverse());
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ order: 'newest' }, 'order'],
    [{ purpose: 'signing' }, 'purpose'],
    [{ after: 'ekm_nope' }, 'after'],
  ])('refuses %j', async (query, param) => {
    await expectError(client.get(BASE, query), 400, param);
  });
});

describe('create validation', () => {
  const without = (body: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== field));

  it.each([
    ['no type', () => without(bodies().aws, 'type'), 'type'],
    ['an unknown type', () => ({ ...bodies().aws, type: 'hsm' }), 'type'],
    ['no name', () => without(bodies().aws, 'name'), 'name'],
    ['an empty name', () => ({ ...bodies().aws, name: '' }), 'name'],
    ['an unknown purpose', () => ({ ...bodies().aws, purpose: 'signing' }), 'purpose'],
    ['aws without kms_arn', () => without(bodies().aws, 'kms_arn'), 'kms_arn'],
    ['gcp without workload_identity_pool_id', () => without(bodies().gcp, 'workload_identity_pool_id'), 'workload_identity_pool_id'],
    ['azure without vault_uri', () => without(bodies().azure, 'vault_uri'), 'vault_uri'],
    ['oci without vault_ocid', () => without(bodies().oci, 'vault_ocid'), 'vault_ocid'],
    ['a field of another type', () => ({ ...bodies().aws, vault_uri: 'https://v' }), 'vault_uri'],
    ['an unknown field', () => ({ ...bodies().oci, rotation: 'yearly' }), 'rotation'],
    ['a non-string field', () => ({ ...bodies().aws, kms_arn: 5 }), 'kms_arn'],
    ['an external_id outside the organization', () => ({ ...bodies().aws, external_id: 'org-someoneelse' }), 'external_id'],
    ['an audience outside the organization', () => ({ ...bodies().gcp, audience: 'proj_unknown' }), 'audience'],
    ['an Azure tenant that is not a UUID', () => ({ ...bodies().azure, tenant_id: 'contoso' }), 'tenant_id'],
    ['psp_decryption without the key version', () => ({ ...bodies().gcp, purpose: 'psp_decryption' }), 'kms_key_version'],
    ['ekm with a key version', () => ({ ...bodies().oci, key_version_ocid: 'ocid1.keyversion..x' }), 'key_version_ocid'],
    ['an aws key with a version field', () => ({ ...bodies().aws, purpose: 'psp_decryption', key_version: 'v1' }), 'key_version'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_label, body, param) => {
    await expectError(client.post(BASE, body()), 400, param, { unchanged: snapshot });
  });

  it('accepts a project ID of the organization as the identity, archived ones included', async () => {
    const archived = pickArchivedProject(state());
    const created = await client.post<ExternalKey>(BASE, { ...bodies().aws, external_id: archived.id });
    expect(created.external_id).toBe(archived.id);
  });
});

describe('delete and validate rules', () => {
  it('refuses to remove a key that projects use, and removes it once they no longer do', async () => {
    const billing = pickProjectNamed(state(), 'Billing');
    const keyId = billing.external_key_id as string;
    const error = await expectError(client.delete(`${BASE}/${keyId}`), 409, 'external_key_id', { unchanged: snapshot, code: 'conflict' });
    expect(error.message).toContain(billing.id);
    await client.post(`/organization/projects/${billing.id}`, { external_key_id: null });
    const removed = await client.delete<ExternalKey>(`${BASE}/${keyId}`);
    expect(removed).toMatchObject({ id: keyId, api_project_ids: [] });
  });

  it('an archived project, which can no longer be changed, does not hold its key', async () => {
    const created = await client.post<ExternalKey>(BASE, { ...bodies().oci, name: 'Used by an archived project' });
    const archived = pickArchivedProject(state());
    archived.external_key_id = created.id;
    expect((await client.get<ExternalKey>(`${BASE}/${created.id}`)).api_project_ids).toEqual([archived.id]);
    expect(await client.delete<ExternalKey>(`${BASE}/${created.id}`)).toMatchObject({ id: created.id, api_project_ids: [archived.id] });
    expect(state().externalKeys.has(created.id)).toBe(false);
  });

  it('validation reports an unreachable key store and changes nothing', async () => {
    const broken = [...state().externalKeys.values()].find((k) => !k.reachable)!;
    const before = snapshot();
    expect(await client.post(`${BASE}/${broken.id}/validate`)).toEqual({ status: 'invalid' });
    expect(snapshot()).toBe(before);
  });

  it('answers 404 for unknown IDs and 400 for a validate body', async () => {
    await expectError(client.get(`${BASE}/ekm_unknown`), 404, 'external_key_id');
    await expectError(client.delete(`${BASE}/ekm_unknown`), 404, 'external_key_id');
    await expectError(client.post(`${BASE}/ekm_unknown/validate`), 404, 'external_key_id');
    const key = [...state().externalKeys.keys()][0] as string;
    await expectError(client.post(`${BASE}/${key}/validate`, { force: true }), 400, 'force');
  });

  it('answers errors in the OpenAI envelope', async () => {
    const response = await fetch(`${sandbox.url}${BASE}/ekm_unknown`, { headers: { authorization: 'Bearer sk-admin-test' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { message: "No external key found with id 'ekm_unknown'.", type: 'invalid_request_error', param: 'external_key_id', code: 'not_found' },
    });
  });
});
