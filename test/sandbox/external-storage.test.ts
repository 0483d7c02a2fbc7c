import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { expectError, pickArchivedProject, pickProjectNamed, stateSnapshot, useSandbox, withSandboxes, type List } from '../helpers.js';

interface Storage {
  object: string;
  id: string;
  project_id: string;
  created_at: number;
  geography: string;
  provider: Record<string, string>;
  status: string;
}

const BASE = '/organization/external_storage';
const NOW = Date.UTC(2026, 4, 12, 10, 30) / 1000;

let sandbox: Sandbox;
let client: AdminClient;
const state = useSandbox({ seed: 9, now: () => NOW }, (started) => ({ sandbox, client } = started));

const snapshot = () => stateSnapshot(state().externalStorage, state().removedExternalStorage, state().auditLogs.length);
const project = (name: string) => pickProjectNamed(state(), name);

const providers = {
  aws: { type: 'aws', bucket: 'rt-aws', role_arn: 'arn:aws:iam::111122223333:role/openai-storage' },
  azure: {
    type: 'azure',
    account_name: 'rtaccount',
    container: 'c',
    resource_group: 'rg',
    subscription_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    tenant_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  },
  gcp: { type: 'gcp', bucket: 'rt-gcp', workload_identity_pool_id: 'pool', workload_identity_project_number: '123456789', workload_identity_provider_id: 'prov' },
  oci: { type: 'oci', bucket: 'rt-oci', region: 'eu-frankfurt-1', tenancy_ocid: 'ocid1.tenancy.oc1..aaaa' },
} as const;

describe('seed', () => {
  it('has one config per provider across projects, healthy and not', () => {
    const records = [...state().externalStorage.values()];
    expect(new Set(records.map((r) => r.provider.type))).toEqual(new Set(['aws', 'azure', 'gcp', 'oci']));
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(['validated', 'degraded', 'unhealthy']));
    for (const record of records) expect(state().projects.has(record.project_id)).toBe(true);
    const eu = records.find((r) => r.project_id === project('Data Platform').id);
    expect(eu).toMatchObject({ geography: 'eu', provider: { region: 'europe-west4', audience: project('Data Platform').id } });
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 9, now: () => NOW }, { seed: 10, now: () => NOW }], ([again, other]) => {
      const ids = (s: Sandbox) => [...s.state.externalStorage.keys()];
      expect(ids(again)).toEqual(ids(sandbox));
      expect(ids(other)).not.toEqual(ids(sandbox));
    });
  });
});

describe('round trip per provider: create, retrieve, list, validate, delete', () => {
  it.each(Object.keys(providers) as Array<keyof typeof providers>)('%s', async (type) => {
    const atlas = project('Atlas');
    const created = await client.post<Storage>(BASE, { project_id: atlas.id, provider: providers[type] });
    expect(created).toMatchObject({ object: 'organization.external_storage', project_id: atlas.id, created_at: NOW, status: 'pending', provider: providers[type] });
    expect(created.id).toMatch(/^extstorage_/);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'external_storage.registered', payload: { id: created.id, data: { provider: created.provider } } });

    // The check runs right after creation: reads show what it found.
    const current = await client.get<Storage>(`${BASE}/${created.id}`);
    expect(current).toEqual({ ...created, status: 'validated' });
    const list = await client.get<List<Storage>>(BASE, { project_id: atlas.id, limit: 100 });
    expect(list.data.at(-1)).toEqual(current);
    expect(await client.post(`${BASE}/${created.id}/validate`)).toEqual(current);

    const removed = await client.delete(`${BASE}/${created.id}`);
    expect(removed).toEqual({ object: 'organization.external_storage.deleted', id: created.id, deleted: true });
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'external_storage.removed', payload: { id: created.id } });
    await expectError(client.get(`${BASE}/${created.id}`), 404, 'external_storage_id', { code: 'not_found' });
    await expectError(client.post(`${BASE}/${created.id}/validate`), 404, 'external_storage_id');
    // Repeating a deletion succeeds, as documented, and records nothing more.
    const audits = state().auditLogs.length;
    expect(await client.delete(`${BASE}/${created.id}`)).toEqual(removed);
    expect(state().auditLogs.length).toBe(audits);
  });

  it('derives what OpenAI fills in: AWS account and external ID, region and geography', async () => {
    const atlas = project('Atlas');
    const aws = await client.post<Storage>(BASE, { project_id: atlas.id, provider: providers.aws });
    expect(aws.provider).toMatchObject({ account_id: '111122223333', external_id: atlas.id, region: 'us-east-1' });
    expect(aws.geography).toBe('us');
    const oci = await client.post<Storage>(BASE, { project_id: atlas.id, provider: providers.oci });
    expect(oci.geography).toBe('eu');
    const eu = project('Data Platform');
    const azure = await client.post<Storage>(BASE, { project_id: eu.id, provider: providers.azure });
    expect(azure).toMatchObject({ geography: 'eu', provider: { region: 'westeurope' } });
  });
});

describe('list', () => {
  it('filters by project, pages with limit and after, in either order', async () => {
    const all = await client.get<List<Storage>>(BASE, { limit: 100 });
    expect(all.data.map((r) => r.id)).toEqual([...state().externalStorage.keys()]);
    const research = project('Research');
    const only = await client.get<List<Storage>>(BASE, { project_id: research.id });
    expect(only.data.length).toBeGreaterThan(0);
    expect(only.data.every((r) => r.project_id === research.id)).toBe(true);
    expect((await client.get<List<Storage>>(BASE, { project_id: 'proj_nobody' })).data).toEqual([]);
    const first = await client.get<List<Storage>>(BASE, { limit: 1 });
    expect(first).toMatchObject({ has_more: true, first_id: all.data[0]?.id, last_id: all.data[0]?.id });
    const rest = await client.get<List<Storage>>(BASE, { limit: 100, after: first.last_id as string });
    expect([...first.data, ...rest.data]).toEqual(all.data);
    const desc = await client.get<List<Storage>>(BASE, { limit: 100, order: 'desc' });
    expect(desc.data.map((r) => r.id)).toEqual(all.data.map((r) => r.id).reverse());
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ order: 'up' }, 'order'],
    [{ after: 'extstorage_nope' }, 'after'],
  ])('refuses %j', async (query, param) => {
    await expectError(client.get(BASE, query), 400, param);
  });
});

describe('create validation', () => {
  const atlasId = () => project('Atlas').id;
  it.each([
    ['no project_id', () => ({ provider: providers.aws }), 'project_id'],
    ['no provider', () => ({ project_id: atlasId() }), 'provider'],
    ['a provider that is not an object', () => ({ project_id: atlasId(), provider: 'aws' }), 'provider'],
    ['no provider type', () => ({ project_id: atlasId(), provider: { bucket: 'b', role_arn: providers.aws.role_arn } }), 'provider.type'],
    ['an unknown provider type', () => ({ project_id: atlasId(), provider: { ...providers.aws, type: 'r2' } }), 'provider.type'],
    ['a missing provider field', () => ({ project_id: atlasId(), provider: { type: 'gcp', bucket: 'b', workload_identity_pool_id: 'p', workload_identity_provider_id: 'x' } }), 'provider.workload_identity_project_number'],
    ['a field of another provider', () => ({ project_id: atlasId(), provider: { ...providers.aws, container: 'c' } }), 'provider.container'],
    ['an unknown top-level field', () => ({ project_id: atlasId(), provider: providers.aws, retention_days: 30 }), 'retention_days'],
    ['a role that is not an IAM role ARN', () => ({ project_id: atlasId(), provider: { ...providers.aws, role_arn: 'openai-storage' } }), 'provider.role_arn'],
    ['a subscription that is not a UUID', () => ({ project_id: atlasId(), provider: { ...providers.azure, subscription_id: 'prod' } }), 'provider.subscription_id'],
    ['a GCP project number that is not numeric', () => ({ project_id: atlasId(), provider: { ...providers.gcp, workload_identity_project_number: 'northwind' } }), 'provider.workload_identity_project_number'],
    ['a tenancy that is not a tenancy OCID', () => ({ project_id: atlasId(), provider: { ...providers.oci, tenancy_ocid: 'ocid1.user.oc1..x' } }), 'provider.tenancy_ocid'],
    ['a malformed OCI region', () => ({ project_id: atlasId(), provider: { ...providers.oci, region: 'frankfurt' } }), 'provider.region'],
    ['a region outside the organization geographies', () => ({ project_id: atlasId(), provider: { ...providers.oci, region: 'ap-tokyo-1' } }), 'provider.region'],
    ['an archived project', () => ({ project_id: pickArchivedProject(state()).id, provider: providers.aws }), 'project_id'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_label, body, param) => {
    await expectError(client.post(BASE, body()), 400, param, { unchanged: snapshot });
  });

  it('answers 404 for an unknown project', async () => {
    await expectError(client.post(BASE, { project_id: 'proj_unknown', provider: providers.aws }), 404, 'project_id', { unchanged: snapshot });
  });
});

describe('validate and 404s', () => {
  it('validation answers each seeded config with its checked status and changes nothing', async () => {
    for (const record of state().externalStorage.values()) {
      const before = snapshot();
      const checked = await client.post<Storage>(`${BASE}/${record.id}/validate`);
      expect(checked.status).toBe(record.status);
      expect(snapshot()).toBe(before);
    }
  });

  it('answers 404 for unknown IDs and 400 for a validate body', async () => {
    await expectError(client.get(`${BASE}/extstorage_unknown`), 404, 'external_storage_id');
    await expectError(client.delete(`${BASE}/extstorage_unknown`), 404, 'external_storage_id', { unchanged: snapshot });
    await expectError(client.post(`${BASE}/extstorage_unknown/validate`), 404, 'external_storage_id');
    const id = [...state().externalStorage.keys()][0] as string;
    await expectError(client.post(`${BASE}/${id}/validate`, { deep: true }), 400, 'deep');
  });
});
