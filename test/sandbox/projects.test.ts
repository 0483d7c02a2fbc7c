import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, ApiError } from '../../src/client/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;
let client: AdminClient;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 7 });
  client = new AdminClient({ apiKey: 'sk-admin-test', baseUrl: sandbox.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

interface Project {
  id: string;
  object: string;
  name: string | null;
  created_at: number;
  archived_at: number | null;
  status: string | null;
  external_key_id: string | null;
  residency?: string | null;
}
interface ProjectUser {
  object: string;
  id: string;
  name: string | null;
  email: string | null;
  role: string;
  added_at: number;
}
interface List<T> {
  object: string;
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

const state = () => sandbox.state;
const projects = () => [...state().projects.values()];
const defaultProject = () => projects()[0]!;
const archivedProject = () => projects().find((p) => p.status === 'archived')!;
/** An active project other than the default one. */
const activeProject = () => projects().find((p, i) => i > 0 && p.status === 'active')!;
const snapshot = () => JSON.stringify([[...state().projects.values()], [...state().projectUsers].map(([k, v]) => [k, [...v.values()]])]);

async function newProject(name = 'Scratch'): Promise<Project> {
  return client.post<Project>('/organization/projects', { name });
}

/** An org user who is not a member of the project. */
function outsider(projectId: string) {
  const members = state().projectUsers.get(projectId) ?? new Map();
  return [...state().users.values()].find((u) => !members.has(u.id))!;
}

describe('projects', () => {
  it('lists active projects by default, with the documented shape', async () => {
    const page = await client.get<List<Project>>('/organization/projects', { limit: 100 });
    expect(page.object).toBe('list');
    expect(page.has_more).toBe(false);
    expect(page.data.length).toBe(projects().filter((p) => p.status === 'active').length);
    expect(page.data.every((p) => p.status === 'active')).toBe(true);
    expect(page.first_id).toBe(page.data[0]!.id);
    expect(page.last_id).toBe(page.data.at(-1)!.id);
    for (const p of page.data) {
      expect(p.object).toBe('organization.project');
      expect(p.id).toMatch(/^proj_/);
      expect(typeof p.created_at).toBe('number');
      expect(p.archived_at).toBeNull();
      expect(p).toHaveProperty('external_key_id');
    }
  });

  it('includes archived projects only with include_archived=true', async () => {
    const all = await client.get<List<Project>>('/organization/projects', { limit: 100, include_archived: true });
    const archived = all.data.find((p) => p.id === archivedProject().id);
    expect(archived?.status).toBe('archived');
    expect(typeof archived?.archived_at).toBe('number');
  });

  it('pages with limit and after', async () => {
    const items: Project[] = [];
    for await (const p of client.paginate<Project>({ path: '/organization/projects', query: { limit: 2, include_archived: true }, style: 'cursor_id' })) {
      items.push(p);
    }
    expect(items.map((p) => p.id)).toEqual(projects().map((p) => p.id));
    const first = await client.get<List<Project>>('/organization/projects', { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ include_archived: 'yes' }, 'include_archived'],
    [{ after: 'proj_nope' }, 'after'],
  ])('rejects bad list query %j', async (query, param) => {
    const err = await failure(client.get('/organization/projects', query));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  it('round trip: create, retrieve, list, update, archive', async () => {
    const auditBefore = state().auditLogs.length;
    const created = await client.post<Project>('/organization/projects', { name: 'Round Trip', external_key_id: 'ekm_123' });
    expect(created).toMatchObject({ object: 'organization.project', name: 'Round Trip', status: 'active', archived_at: null, external_key_id: 'ekm_123' });
    expect(state().projects.get(created.id)?.name).toBe('Round Trip');

    const fetched = await client.get<Project>(`/organization/projects/${created.id}`);
    expect(fetched).toEqual(created);

    const listed = await client.get<List<Project>>('/organization/projects', { limit: 100 });
    expect(listed.data.at(-1)?.id).toBe(created.id);

    const updated = await client.post<Project>(`/organization/projects/${created.id}`, { name: 'Round Trip 2', external_key_id: null });
    expect(updated).toMatchObject({ id: created.id, name: 'Round Trip 2', external_key_id: null });

    const unchanged = await client.post<Project>(`/organization/projects/${created.id}`, { name: null });
    expect(unchanged.name).toBe('Round Trip 2');

    const archived = await client.post<Project>(`/organization/projects/${created.id}/archive`);
    expect(archived.status).toBe('archived');
    expect(typeof archived.archived_at).toBe('number');
    expect(state().projects.get(created.id)?.status).toBe('archived');

    // Archiving again changes nothing.
    const again = await client.post<Project>(`/organization/projects/${created.id}/archive`);
    expect(again).toEqual(archived);

    const types = state().auditLogs.slice(auditBefore).map((e) => e.type);
    expect(types).toEqual(['project.created', 'project.updated', 'project.archived']);
    expect(state().auditLogs.at(-1)?.project?.id).toBe(created.id);
  });

  it('creates with an accessible residency', async () => {
    const p = await client.post<Project>('/organization/projects', { name: 'EU', residency: 'EU_STORAGE_PROCESSING' });
    expect(p.residency).toBe('EU_STORAGE_PROCESSING');
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 42 }, 'name'],
    [{ name: 'x', residency: 'MARS' }, 'residency'],
    [{ name: 'x', residency: 'JP_STORAGE' }, 'residency'],
    [{ name: 'x', external_key_id: 5 }, 'external_key_id'],
    [{ name: 'x', colour: 'red' }, 'colour'],
  ])('create rejects %j without creating anything', async (body, param) => {
    const before = snapshot();
    const err = await failure(client.post('/organization/projects', body));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(snapshot()).toBe(before);
  });

  it('refuses to update an archived project', async () => {
    const p = archivedProject();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}`, { name: 'Revived' }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('project_id');
    expect(snapshot()).toBe(before);
  });

  it('refuses to update the default project', async () => {
    const p = defaultProject();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}`, { name: 'Renamed default' }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('project_id');
    expect(snapshot()).toBe(before);
  });

  it('rejects unknown update fields', async () => {
    const p = await newProject();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}`, { status: 'active' }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('status');
    expect(snapshot()).toBe(before);
  });

  it('has no way to delete a project', async () => {
    const p = activeProject();
    const err = await failure(client.delete(`/organization/projects/${p.id}`));
    expect(err.status).toBe(405);
    expect(state().projects.get(p.id)?.status).toBe('active');
  });

  it('answers 404 for unknown projects', async () => {
    for (const request of [
      () => client.get('/organization/projects/proj_missing'),
      () => client.post('/organization/projects/proj_missing', { name: 'x' }),
      () => client.post('/organization/projects/proj_missing/archive'),
    ]) {
      const err = await failure(request());
      expect(err.status).toBe(404);
      expect(err.param).toBe('project_id');
    }
  });

  it('seeds the same projects for the same seed, and different ones for another', async () => {
    const twin = await startSandbox({ seed: 7 });
    const other = await startSandbox({ seed: 8 });
    try {
      // The first eight are the seeded ones; later ones were created by the tests above.
      const ids = (s: Sandbox) => [...s.state.projects.keys()].slice(0, 8);
      expect(ids(twin)).toEqual(ids(sandbox));
      expect(ids(other)).not.toEqual(ids(twin));
    } finally {
      await twin.close();
      await other.close();
    }
  });
});

describe('project users', () => {
  it('lists members with the documented shape', async () => {
    const p = activeProject();
    const page = await client.get<List<ProjectUser>>(`/organization/projects/${p.id}/users`, { limit: 100 });
    expect(page.object).toBe('list');
    expect(page.data.length).toBe(state().projectUsers.get(p.id)!.size);
    for (const u of page.data) {
      expect(u.object).toBe('organization.project.user');
      expect(u.id).toMatch(/^user-/);
      expect(['owner', 'member']).toContain(u.role);
      expect(u.email).toContain('@');
      expect(typeof u.added_at).toBe('number');
    }
    const one = await client.get<ProjectUser>(`/organization/projects/${p.id}/users/${page.data[0]!.id}`);
    expect(one).toEqual(page.data[0]);
  });

  it('pages through the default project members', async () => {
    const p = defaultProject();
    const items: ProjectUser[] = [];
    for await (const u of client.paginate<ProjectUser>({ path: `/organization/projects/${p.id}/users`, query: { limit: 7 }, style: 'cursor_id' })) items.push(u);
    expect(items.map((u) => u.id)).toEqual([...state().projectUsers.get(p.id)!.keys()]);
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ after: 'user-missing' }, 'after'],
  ])('rejects bad list query %j', async (query, param) => {
    const err = await failure(client.get(`/organization/projects/${activeProject().id}/users`, query));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  it('round trip: add, retrieve, list, change role, remove', async () => {
    const p = await newProject('Members');
    const user = outsider(p.id);
    const added = await client.post<ProjectUser>(`/organization/projects/${p.id}/users`, { user_id: user.id, role: 'member' });
    expect(added).toMatchObject({ object: 'organization.project.user', id: user.id, name: user.name, email: user.email, role: 'member' });

    expect(await client.get(`/organization/projects/${p.id}/users/${user.id}`)).toEqual(added);
    const list = await client.get<List<ProjectUser>>(`/organization/projects/${p.id}/users`);
    expect(list.data.map((u) => u.id)).toEqual([user.id]);

    const promoted = await client.post<ProjectUser>(`/organization/projects/${p.id}/users/${user.id}`, { role: 'owner' });
    expect(promoted.role).toBe('owner');
    expect(state().projectUsers.get(p.id)?.get(user.id)?.role).toBe('owner');

    const removed = await client.delete(`/organization/projects/${p.id}/users/${user.id}`);
    expect(removed).toEqual({ object: 'organization.project.user.deleted', id: user.id, deleted: true });
    expect(state().projectUsers.get(p.id)?.has(user.id)).toBe(false);
    expect((await failure(client.get(`/organization/projects/${p.id}/users/${user.id}`))).status).toBe(404);

    const types = state().auditLogs.slice(-3).map((e) => e.type);
    expect(types).toEqual(['user.added', 'user.updated', 'user.deleted']);
  });

  it('adds a user by email', async () => {
    const p = await newProject('By email');
    const user = outsider(p.id);
    const added = await client.post<ProjectUser>(`/organization/projects/${p.id}/users`, { email: user.email.toUpperCase(), role: 'owner' });
    expect(added.id).toBe(user.id);
    expect(added.role).toBe('owner');
  });

  it.each([
    [{ user_id: 'USER', role: 'admin' }, 'role'],
    [{ user_id: 'USER' }, 'role'],
    [{ role: 'member' }, 'user_id'],
    [{ user_id: null, email: null, role: 'member' }, 'user_id'],
    [{ user_id: 'user-not-in-org', role: 'member' }, 'user_id'],
    [{ email: 'stranger@example.com', role: 'member' }, 'email'],
    [{ user_id: 'USER', role: 'member', note: 'hi' }, 'note'],
  ])('add rejects %j without changing state', async (raw, param) => {
    const p = activeProject();
    const user = outsider(p.id);
    const body = JSON.parse(JSON.stringify(raw).replace('"USER"', JSON.stringify(user.id))) as Record<string, unknown>;
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}/users`, body));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(snapshot()).toBe(before);
  });

  it('needs an existing organization user', async () => {
    const p = activeProject();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}/users`, { user_id: 'user-ghost', role: 'member' }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('user_id');
    expect(err.code).toBe('user_not_in_organization');
    expect(snapshot()).toBe(before);
  });

  it('answers 409 when the user is already a member', async () => {
    const p = activeProject();
    const [member] = state().projectUsers.get(p.id)!.values();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}/users`, { user_id: member!.user_id, role: 'owner' }));
    expect(err.status).toBe(409);
    expect(err.param).toBe('user_id');
    expect(snapshot()).toBe(before);
  });

  it('rejects a bad role on update', async () => {
    const p = activeProject();
    const [member] = state().projectUsers.get(p.id)!.values();
    const before = snapshot();
    const err = await failure(client.post(`/organization/projects/${p.id}/users/${member!.user_id}`, { role: 'admin' }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('role');
    expect(snapshot()).toBe(before);
  });

  describe('archived projects refuse changes to their users', () => {
    it('list', async () => {
      const err = await failure(client.get(`/organization/projects/${archivedProject().id}/users`));
      expect(err.status).toBe(400);
      expect(err.param).toBe('project_id');
    });

    it('add', async () => {
      const p = archivedProject();
      const before = snapshot();
      const err = await failure(client.post(`/organization/projects/${p.id}/users`, { user_id: outsider(p.id).id, role: 'member' }));
      expect(err.status).toBe(400);
      expect(err.param).toBe('project_id');
      expect(snapshot()).toBe(before);
    });

    it('update and remove', async () => {
      const p = archivedProject();
      const [member] = state().projectUsers.get(p.id)!.values();
      const before = snapshot();
      const update = await failure(client.post(`/organization/projects/${p.id}/users/${member!.user_id}`, { role: member!.role === 'owner' ? 'member' : 'owner' }));
      expect(update.status).toBe(400);
      expect(update.param).toBe('project_id');
      const remove = await failure(client.delete(`/organization/projects/${p.id}/users/${member!.user_id}`));
      expect(remove.status).toBe(400);
      expect(remove.param).toBe('project_id');
      expect(snapshot()).toBe(before);
      // Reading one member still works.
      const one = await client.get<ProjectUser>(`/organization/projects/${p.id}/users/${member!.user_id}`);
      expect(one.id).toBe(member!.user_id);
    });
  });

  it('answers 404 for unknown projects and non-members', async () => {
    const p = activeProject();
    const stranger = outsider(p.id);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.get('/organization/projects/proj_missing/users'), 'project_id'],
      [() => client.post('/organization/projects/proj_missing/users', { user_id: stranger.id, role: 'member' }), 'project_id'],
      [() => client.get(`/organization/projects/${p.id}/users/${stranger.id}`), 'user_id'],
      [() => client.post(`/organization/projects/${p.id}/users/${stranger.id}`, { role: 'owner' }), 'user_id'],
      [() => client.delete(`/organization/projects/${p.id}/users/${stranger.id}`), 'user_id'],
    ];
    for (const [request, param] of cases) {
      const err = await failure(request());
      expect(err.status).toBe(404);
      expect(err.param).toBe(param);
    }
  });
});
