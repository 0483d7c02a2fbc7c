import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { ProjectApiKeyRecord } from '../../src/sandbox/state.js';
import {
  expectError,
  failure,
  pickActiveNonDefaultProject,
  pickArchivedProject,
  projectsIn,
  stateSnapshot,
  useSandbox,
  withSandboxes,
  type List,
} from '../helpers.js';

let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ client } = started));

interface ServiceAccount {
  object: string;
  id: string;
  name: string;
  role: string;
  created_at: number;
}
interface NewKey {
  object: string;
  id: string;
  name: string;
  value: string;
  created_at: number;
}
interface ProjectKey {
  object: string;
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner_project_access: 'active' | 'inactive';
  owner: {
    type: 'user' | 'service_account';
    user?: { id: string; email: string; name: string; created_at: number; role: string };
    service_account?: { id: string; name: string; created_at: number; role: string };
  };
}
interface AdminKey {
  object: string;
  id: string;
  name: string | null;
  redacted_value: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  owner: { type: string; object: string; id: string; name: string; created_at: number; role: string };
  value?: string;
}

const DAY = 86_400;

const projects = () => projectsIn(state());
const archivedProject = () => pickArchivedProject(state());
const activeProject = () => pickActiveNonDefaultProject(state());
/** Everything this family keeps, to check that a refused request changed nothing. */
const snapshot = () => stateSnapshot(state().serviceAccounts, state().projectApiKeys, state().adminApiKeys, state().projects.size);
/** Every stored string, to check that no plaintext key value was kept. */
const storedText = () => JSON.stringify([snapshot(), state().auditLogs]);

const base = (projectId: string) => `/organization/projects/${projectId}`;

async function newProject(name = 'Keys scratch'): Promise<string> {
  return (await client.post<{ id: string }>('/organization/projects', { name })).id;
}

async function newServiceAccount(projectId: string, name = 'bot') {
  return client.post<ServiceAccount & { api_key: NewKey | null }>(`${base(projectId)}/service_accounts`, { name });
}

function hasGroupAccess(projectId: string, userId: string): boolean {
  for (const groupId of state().projectGroups.get(projectId)?.keys() ?? []) {
    if (state().groupUsers.get(groupId)?.has(userId)) return true;
  }
  return false;
}

function keysOf(projectId: string): ProjectApiKeyRecord[] {
  return [...(state().projectApiKeys.get(projectId)?.values() ?? [])];
}

describe('service accounts', () => {
  it('round trip: create (key value once), retrieve, list, update, delete with its keys', async () => {
    const projectId = await newProject('SA round trip');
    const created = await newServiceAccount(projectId, 'ci-runner');
    expect(created).toMatchObject({ object: 'organization.project.service_account', name: 'ci-runner', role: 'member' });
    expect(created.id).toMatch(/^svc_acct_/);
    expect(created.api_key).toMatchObject({ object: 'organization.project.service_account.api_key' });
    const value = created.api_key!.value;
    expect(value).toMatch(/^sk-svcacct-/);
    expect(storedText()).not.toContain(value);

    const stored = state().projectApiKeys.get(projectId)!.get(created.api_key!.id)!;
    expect(stored.owner).toEqual({ type: 'service_account', service_account_id: created.id });
    expect(stored.redacted_value.endsWith(value.slice(-4))).toBe(true);

    const { api_key: _key, ...account } = created;
    expect(await client.get(`${base(projectId)}/service_accounts/${created.id}`)).toEqual(account);
    const list = await client.get<List<ServiceAccount>>(`${base(projectId)}/service_accounts`);
    expect(list.object).toBe('list');
    expect(list.data).toEqual([account]);

    const key = await client.get<ProjectKey>(`${base(projectId)}/api_keys/${created.api_key!.id}`);
    expect(key).not.toHaveProperty('value');
    expect(key.owner).toEqual({
      type: 'service_account',
      service_account: { id: created.id, name: 'ci-runner', created_at: created.created_at, role: 'member' },
    });

    const updated = await client.post<ServiceAccount>(`${base(projectId)}/service_accounts/${created.id}`, { name: 'ci-runner-2', role: 'owner' });
    expect(updated).toMatchObject({ id: created.id, name: 'ci-runner-2', role: 'owner' });

    const extra = await client.post<NewKey>(`${base(projectId)}/service_accounts/${created.id}/api_keys`, { name: 'deploy', scopes: ['api.responses.write'] });
    expect(keysOf(projectId)).toHaveLength(2);

    const removed = await client.delete(`${base(projectId)}/service_accounts/${created.id}`);
    expect(removed).toEqual({ object: 'organization.project.service_account.deleted', id: created.id, deleted: true });
    expect(state().serviceAccounts.get(projectId)?.has(created.id)).toBe(false);
    expect(keysOf(projectId)).toHaveLength(0);
    expect((await failure(client.get(`${base(projectId)}/api_keys/${extra.id}`))).status).toBe(404);
    expect((await failure(client.get(`${base(projectId)}/service_accounts/${created.id}`))).status).toBe(404);

    const types = state().auditLogs.filter((e) => e.project?.id === projectId).map((e) => e.type);
    expect(types).toEqual(['project.created', 'service_account.created', 'api_key.created', 'service_account.updated', 'api_key.created', 'service_account.deleted']);
  });

  it('create_service_account_only makes an account with role none and no key', async () => {
    const projectId = await newProject('SA only');
    const created = await client.post<ServiceAccount & { api_key: unknown }>(`${base(projectId)}/service_accounts`, {
      name: 'reader',
      create_service_account_only: true,
    });
    expect(created.role).toBe('none');
    expect(created.api_key).toBeNull();
    expect(keysOf(projectId)).toHaveLength(0);
  });

  it('creates extra keys for a service account, returning the value once', async () => {
    const projectId = await newProject('SA keys');
    const account = await newServiceAccount(projectId);
    const key = await client.post<NewKey>(`${base(projectId)}/service_accounts/${account.id}/api_keys`);
    expect(key).toMatchObject({ object: 'organization.project.service_account.api_key', name: 'Secret key' });
    expect(key.value).toMatch(/^sk-svcacct-/);
    expect(storedText()).not.toContain(key.value);
    const listed = await client.get<List<ProjectKey>>(`${base(projectId)}/api_keys`);
    const entry = listed.data.find((k) => k.id === key.id)!;
    expect(entry.redacted_value.endsWith(key.value.slice(-4))).toBe(true);
    expect(entry).not.toHaveProperty('value');
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 7 }, 'name'],
    [{ name: 'x', create_service_account_only: 'yes' }, 'create_service_account_only'],
    [{ name: 'x', role: 'owner' }, 'role'],
  ])('create rejects %j without changing state', async (body, param) => {
    const p = activeProject();
    await expectError(client.post(`${base(p.id)}/service_accounts`, body), 400, param, { unchanged: snapshot });
  });

  it.each([
    [{ role: 'none' }, 'role'],
    [{ role: 'admin' }, 'role'],
    [{ name: '' }, 'name'],
    [{ scopes: [] }, 'scopes'],
  ])('update rejects %j without changing state', async (body, param) => {
    const p = activeProject();
    const [account] = state().serviceAccounts.get(p.id)!.values();
    await expectError(client.post(`${base(p.id)}/service_accounts/${account!.id}`, body), 400, param, { unchanged: snapshot });
  });

  it.each([
    [{ scopes: 'all' }, 'scopes'],
    [{ scopes: [1] }, 'scopes'],
    [{ name: 3 }, 'name'],
    [{ expires: 1 }, 'expires'],
  ])('key create rejects %j without changing state', async (body, param) => {
    const p = activeProject();
    const [account] = state().serviceAccounts.get(p.id)!.values();
    await expectError(client.post(`${base(p.id)}/service_accounts/${account!.id}/api_keys`, body), 400, param, { unchanged: snapshot });
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ after: 'svc_acct_missing' }, 'after'],
  ])('list rejects %j', async (query, param) => {
    await expectError(client.get(`${base(activeProject().id)}/service_accounts`, query), 400, param);
  });

  it('pages through a project with several accounts', async () => {
    const p = projects().find((x) => (state().serviceAccounts.get(x.id)?.size ?? 0) >= 2)!;
    const items: ServiceAccount[] = [];
    for await (const a of client.paginate<ServiceAccount>({ path: `${base(p.id)}/service_accounts`, query: { limit: 1 }, style: 'cursor_id' })) items.push(a);
    expect(items.map((a) => a.id)).toEqual([...state().serviceAccounts.get(p.id)!.keys()]);
    for (const a of items) {
      expect(a.object).toBe('organization.project.service_account');
      expect(['owner', 'member', 'none']).toContain(a.role);
    }
  });

  it('archived projects refuse changes to their service accounts and keys', async () => {
    const projectId = await newProject('To archive');
    const account = await newServiceAccount(projectId);
    await client.post(`${base(projectId)}/archive`);
    const before = snapshot();
    const cases: Array<() => Promise<unknown>> = [
      () => client.get(`${base(projectId)}/service_accounts`),
      () => newServiceAccount(projectId, 'late'),
      () => client.post(`${base(projectId)}/service_accounts/${account.id}`, { role: 'owner' }),
      () => client.delete(`${base(projectId)}/service_accounts/${account.id}`),
      () => client.post(`${base(projectId)}/service_accounts/${account.id}/api_keys`, { name: 'late' }),
    ];
    for (const request of cases) {
      await expectError(request, 400, 'project_id');
    }
    expect(snapshot()).toBe(before);
    // Reads of one account still work.
    expect((await client.get<ServiceAccount>(`${base(projectId)}/service_accounts/${account.id}`)).id).toBe(account.id);
  });

  it('answers 404 for unknown projects and accounts', async () => {
    const p = activeProject();
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.get('/organization/projects/proj_missing/service_accounts'), 'project_id'],
      [() => client.post('/organization/projects/proj_missing/service_accounts', { name: 'x' }), 'project_id'],
      [() => client.get(`${base(p.id)}/service_accounts/svc_acct_missing`), 'service_account_id'],
      [() => client.post(`${base(p.id)}/service_accounts/svc_acct_missing`, { name: 'x' }), 'service_account_id'],
      [() => client.delete(`${base(p.id)}/service_accounts/svc_acct_missing`), 'service_account_id'],
      [() => client.post(`${base(p.id)}/service_accounts/svc_acct_missing/api_keys`, {}), 'service_account_id'],
    ];
    for (const [request, param] of cases) {
      await expectError(request, 404, param);
    }
  });
});

describe('project API keys', () => {
  it('lists keys with the documented shape and both owner kinds', async () => {
    const p = activeProject();
    const page = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { limit: 100, owner_project_access: 'any' });
    expect(page.object).toBe('list');
    expect(page.data.map((k) => k.id)).toEqual(keysOf(p.id).map((k) => k.id));
    for (const k of page.data) {
      expect(k.object).toBe('organization.project.api_key');
      expect(k.id).toMatch(/^key_/);
      expect(k.redacted_value).toMatch(/^sk-(proj|svcacct)\.\.\..{4}$/);
      expect(k).toHaveProperty('last_used_at');
      expect(['active', 'inactive']).toContain(k.owner_project_access);
      if (k.owner.type === 'user') expect(Object.keys(k.owner.user!).sort()).toEqual(['created_at', 'email', 'id', 'name', 'role']);
      else expect(Object.keys(k.owner.service_account!).sort()).toEqual(['created_at', 'id', 'name', 'role']);
    }
    expect(new Set(page.data.map((k) => k.owner.type))).toEqual(new Set(['user', 'service_account']));
    const one = await client.get<ProjectKey>(`${base(p.id)}/api_keys/${page.data[0]!.id}`);
    expect(one).toEqual(page.data[0]);
  });

  it('filters by owner_project_access; by default only keys whose owner has access', async () => {
    const p = activeProject();
    const all = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { limit: 100, owner_project_access: 'any' });
    const inactive = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { limit: 100, owner_project_access: 'inactive' });
    const active = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { limit: 100, owner_project_access: 'active' });
    const byDefault = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { limit: 100 });
    expect(inactive.data.length).toBeGreaterThan(0);
    expect(inactive.data.every((k) => k.owner_project_access === 'inactive')).toBe(true);
    expect(active.data.every((k) => k.owner_project_access === 'active')).toBe(true);
    expect(active.data.length + inactive.data.length).toBe(all.data.length);
    expect(byDefault.data).toEqual(active.data);
  });

  it.each([
    [{ owner_project_access: 'all' }, 'owner_project_access'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ after: 'key_missing' }, 'after'],
  ])('list rejects %j', async (query, param) => {
    await expectError(client.get(`${base(activeProject().id)}/api_keys`, query), 400, param);
  });

  it('a key turns inactive when its owner is removed from the project', async () => {
    const p = activeProject();
    const key = keysOf(p.id).find(
      (k) => k.owner.type === 'user' && state().projectUsers.get(p.id)?.has(k.owner.user_id) && !hasGroupAccess(p.id, k.owner.user_id),
    )!;
    const userId = (key.owner as { user_id: string }).user_id;
    expect((await client.get<ProjectKey>(`${base(p.id)}/api_keys/${key.id}`)).owner_project_access).toBe('active');
    await client.delete(`${base(p.id)}/users/${userId}`);
    const after = await client.get<ProjectKey>(`${base(p.id)}/api_keys/${key.id}`);
    expect(after.owner_project_access).toBe('inactive');
    expect(after.owner.user?.id).toBe(userId);
  });

  it("revokes a user's key", async () => {
    const p = activeProject();
    const key = keysOf(p.id).find((k) => k.owner.type === 'user')!;
    const result = await client.delete(`${base(p.id)}/api_keys/${key.id}`);
    expect(result).toEqual({ object: 'organization.project.api_key.deleted', id: key.id, deleted: true });
    expect(state().projectApiKeys.get(p.id)?.has(key.id)).toBe(false);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'api_key.deleted', payload: { id: key.id } });
    expect((await failure(client.get(`${base(p.id)}/api_keys/${key.id}`))).status).toBe(404);
  });

  it("revokes a service account's key, leaving the account and its other keys", async () => {
    const p = activeProject();
    const account = await newServiceAccount(p.id, 'two-keys');
    const extra = await client.post<NewKey>(`${base(p.id)}/service_accounts/${account.id}/api_keys`, { name: 'second' });
    const result = await client.delete(`${base(p.id)}/api_keys/${account.api_key!.id}`);
    expect(result).toEqual({ object: 'organization.project.api_key.deleted', id: account.api_key!.id, deleted: true });
    expect(state().projectApiKeys.get(p.id)?.has(account.api_key!.id)).toBe(false);
    expect(state().projectApiKeys.get(p.id)?.has(extra.id)).toBe(true);
    expect(state().serviceAccounts.get(p.id)?.has(account.id)).toBe(true);
  });

  it('refuses to revoke keys in an archived project', async () => {
    const p = archivedProject();
    const key = keysOf(p.id)[0]!;
    await expectError(client.delete(`${base(p.id)}/api_keys/${key.id}`), 400, 'project_id', { unchanged: snapshot });
    // The archived project's keys can still be read, e.g. for an access review.
    const listed = await client.get<List<ProjectKey>>(`${base(p.id)}/api_keys`, { owner_project_access: 'any' });
    expect(listed.data.length).toBe(keysOf(p.id).length);
  });

  it('answers 404 for unknown projects and keys', async () => {
    const p = activeProject();
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.get('/organization/projects/proj_missing/api_keys'), 'project_id'],
      [() => client.get(`${base(p.id)}/api_keys/key_missing`), 'api_key_id'],
      [() => client.delete(`${base(p.id)}/api_keys/key_missing`), 'api_key_id'],
    ];
    for (const [request, param] of cases) {
      await expectError(request, 404, param);
    }
  });
});

describe('admin API keys', () => {
  it('round trip: create (value once), retrieve, list, delete', async () => {
    const created = await client.post<AdminKey>('/organization/admin_api_keys', { name: 'Round trip', expires_in_seconds: 3600 });
    expect(created).toMatchObject({ object: 'organization.admin_api_key', name: 'Round trip', last_used_at: null });
    expect(created.value).toMatch(/^sk-admin-/);
    expect(created.expires_at).toBe(created.created_at + 3600);
    expect(created.redacted_value).toBe(`sk-admin...${created.value!.slice(-4)}`);
    expect(created.owner).toMatchObject({ type: 'user', object: 'organization.user', role: 'owner' });
    expect(state().users.get(created.owner.id)?.role).toBe('owner');
    expect(storedText()).not.toContain(created.value);

    const { value: _value, ...withoutValue } = created;
    const fetched = await client.get<AdminKey>(`/organization/admin_api_keys/${created.id}`);
    expect(fetched).toEqual(withoutValue);
    const list = await client.get<List<AdminKey>>('/organization/admin_api_keys', { limit: 100 });
    expect(list.data.at(-1)).toEqual(withoutValue);
    expect(list.data.every((k) => !('value' in k))).toBe(true);

    const removed = await client.delete(`/organization/admin_api_keys/${created.id}`);
    expect(removed).toEqual({ id: created.id, object: 'organization.admin_api_key.deleted', deleted: true });
    expect(state().adminApiKeys.has(created.id)).toBe(false);
    expect((await failure(client.get(`/organization/admin_api_keys/${created.id}`))).status).toBe(404);
    const types = state().auditLogs.slice(-2).map((e) => e.type);
    expect(types).toEqual(['api_key.created', 'api_key.deleted']);
  });

  it('creates keys that never expire when expires_in_seconds is omitted', async () => {
    const created = await client.post<AdminKey>('/organization/admin_api_keys', { name: 'Forever' });
    expect(created.expires_at).toBeNull();
  });

  it.each([
    [{}, 'name'],
    [{ name: null }, 'name'],
    [{ name: 'x', expires_in_seconds: 0 }, 'expires_in_seconds'],
    [{ name: 'x', expires_in_seconds: 31_536_001 }, 'expires_in_seconds'],
    [{ name: 'x', expires_in_seconds: 1.5 }, 'expires_in_seconds'],
    [{ name: 'x', expires_in_seconds: '60' }, 'expires_in_seconds'],
    [{ name: 'x', scopes: ['all'] }, 'scopes'],
  ])('create rejects %j without changing state', async (body, param) => {
    await expectError(client.post('/organization/admin_api_keys', body), 400, param, { unchanged: snapshot });
  });

  it('lists with order and pages, with no upper limit on limit', async () => {
    const ids = [...state().adminApiKeys.keys()];
    const asc = await client.get<List<AdminKey>>('/organization/admin_api_keys', { limit: 1000 });
    expect(asc.data.map((k) => k.id)).toEqual(ids);
    const desc = await client.get<List<AdminKey>>('/organization/admin_api_keys', { limit: 1000, order: 'desc' });
    expect(desc.data.map((k) => k.id)).toEqual([...ids].reverse());
    const paged: AdminKey[] = [];
    for await (const k of client.paginate<AdminKey>({ path: '/organization/admin_api_keys', query: { limit: 1 }, style: 'cursor_id' })) paged.push(k);
    expect(paged.map((k) => k.id)).toEqual(ids);
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ order: 'newest' }, 'order'],
    [{ after: 'key_missing' }, 'after'],
  ])('list rejects %j', async (query, param) => {
    await expectError(client.get('/organization/admin_api_keys', query), 400, param);
  });

  it('answers 404 for unknown keys', async () => {
    for (const request of [() => client.get('/organization/admin_api_keys/key_missing'), () => client.delete('/organization/admin_api_keys/key_missing')]) {
      await expectError(request, 404, 'key_id');
    }
  });
});

describe('seed', () => {
  it('gives keys varied last use: recent, stale (>90 days) and never used', async () => {
    await withSandboxes([{ seed: 7 }], ([fresh]) => {
      const s = fresh.state;
      const keys = [...s.projectApiKeys.values()].flatMap((m) => [...m.values()]);
      expect(keys.some((k) => k.last_used_at === null)).toBe(true);
      expect(keys.some((k) => k.last_used_at !== null && k.last_used_at < s.anchor - 90 * DAY)).toBe(true);
      expect(keys.some((k) => k.last_used_at !== null && k.last_used_at > s.anchor - 7 * DAY)).toBe(true);
      expect(keys.some((k) => k.owner.type === 'user')).toBe(true);
      expect(keys.some((k) => k.owner.type === 'service_account')).toBe(true);
      for (const k of keys) {
        if (k.last_used_at !== null) expect(k.last_used_at).toBeGreaterThanOrEqual(k.created_at);
        expect(k.created_at).toBeLessThanOrEqual(s.anchor);
      }
      for (const [projectId, accounts] of s.serviceAccounts) {
        for (const key of s.projectApiKeys.get(projectId)?.values() ?? []) {
          if (key.owner.type === 'service_account') expect(accounts.has(key.owner.service_account_id)).toBe(true);
        }
      }
      const admin = [...s.adminApiKeys.values()];
      expect(admin.length).toBeGreaterThanOrEqual(3);
      expect(admin.some((k) => k.last_used_at === null)).toBe(true);
      expect(admin.every((k) => s.users.get(k.owner_user_id)?.role === 'owner')).toBe(true);
      // The archived project has no service accounts, and its keys went quiet before it was archived.
      const archived = pickArchivedProject(s);
      expect(s.serviceAccounts.get(archived.id)?.size ?? 0).toBe(0);
      for (const k of s.projectApiKeys.get(archived.id)?.values() ?? []) {
        if (k.last_used_at !== null) expect(k.last_used_at).toBeLessThanOrEqual(archived.archived_at!);
      }
    });
  });

  it('is deterministic: same seed, same IDs; another seed, other IDs', async () => {
    await withSandboxes([{ seed: 11 }, { seed: 11 }, { seed: 12 }], ([a, b, c]) => {
      const ids = (s: Sandbox) => ({
        accounts: [...s.state.serviceAccounts.values()].flatMap((m) => [...m.keys()]),
        keys: [...s.state.projectApiKeys.values()].flatMap((m) => [...m.values()].map((k) => [k.id, k.last_used_at, k.redacted_value])),
        admin: [...s.state.adminApiKeys.values()],
      });
      expect(ids(a)).toEqual(ids(b));
      expect(ids(c).accounts).not.toEqual(ids(a).accounts);
    });
  });
});

describe('seeded keys keep recent usage continuous', () => {
  const DAY = 86_400;

  it.each([1, 2, 3, 7, 42, 99])('seed %i: every active project has a key used in the last day, and usage every day', async (seed) => {
    const { sandboxWithClient } = await import('../helpers.js');
    const own = await sandboxWithClient({ seed });
    try {
      const s = own.sandbox.state;
      for (const project of [...s.projects.values()].filter((p) => p.status === 'active')) {
        const list = await own.client.get<{ data: Array<{ last_used_at: number | null }> }>(`/organization/projects/${project.id}/api_keys`, {
          owner_project_access: 'any',
          limit: 100,
        });
        const lastUse = Math.max(...list.data.map((k) => k.last_used_at ?? 0));
        expect(lastUse, project.name).toBeGreaterThanOrEqual(s.anchor - DAY);
        expect(lastUse, project.name).toBeLessThan(s.anchor);
        // Key-driven traffic on each of the last 30 days.
        const days = new Set(s.activity.filter((a) => a.project_id === project.id && a.api_key_id !== null).map((a) => a.day));
        for (let day = s.anchor - 30 * DAY; day < s.anchor; day += DAY) expect(days.has(day), `${project.name} ${day}`).toBe(true);
      }
    } finally {
      await own.close();
    }
  });

  it('the seed stays deterministic', async () => {
    const { sandboxWithClient } = await import('../helpers.js');
    const [a, b] = await Promise.all([sandboxWithClient({ seed: 3 }), sandboxWithClient({ seed: 3 })]);
    try {
      const keys = (s: typeof a.sandbox.state) => JSON.stringify([...s.projectApiKeys].map(([p, m]) => [p, [...m.values()]]));
      expect(keys(a.sandbox.state)).toBe(keys(b.sandbox.state));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
