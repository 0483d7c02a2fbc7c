import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
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

let sandbox: Sandbox;
let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ sandbox, client } = started));

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

const projects = () => projectsIn(state());
const defaultProject = () => projects()[0]!;
const archivedProject = () => pickArchivedProject(state());
/** An active project other than the default one. */
const activeProject = () => pickActiveNonDefaultProject(state());
const snapshot = () => stateSnapshot(state().projects, state().projectUsers);

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
    await expectError(client.get('/organization/projects', query), 400, param);
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
    await expectError(client.post('/organization/projects', body), 400, param, { unchanged: snapshot });
  });

  it('refuses to update an archived project', async () => {
    const p = archivedProject();
    await expectError(client.post(`/organization/projects/${p.id}`, { name: 'Revived' }), 400, 'project_id', { unchanged: snapshot });
  });

  it('refuses to update the default project', async () => {
    const p = defaultProject();
    await expectError(client.post(`/organization/projects/${p.id}`, { name: 'Renamed default' }), 400, 'project_id', { unchanged: snapshot });
  });

  it('rejects unknown update fields', async () => {
    const p = await newProject();
    await expectError(client.post(`/organization/projects/${p.id}`, { status: 'active' }), 400, 'status', { unchanged: snapshot });
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
      await expectError(request, 404, 'project_id');
    }
  });

  it('seeds the same projects for the same seed, and different ones for another', async () => {
    await withSandboxes([{ seed: 7 }, { seed: 8 }], ([twin, other]) => {
      // The first eight are the seeded ones; later ones were created by the tests above.
      const ids = (s: Sandbox) => [...s.state.projects.keys()].slice(0, 8);
      expect(ids(twin)).toEqual(ids(sandbox));
      expect(ids(other)).not.toEqual(ids(twin));
    });
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
    await expectError(client.get(`/organization/projects/${activeProject().id}/users`, query), 400, param);
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

    // Role assignment events interleave: the membership's predefined project role follows it.
    const types = state().auditLogs.filter((e) => e.type.startsWith('user.')).slice(-3).map((e) => e.type);
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
    await expectError(client.post(`/organization/projects/${p.id}/users`, body), 400, param, { unchanged: snapshot });
  });

  it('needs an existing organization user', async () => {
    const p = activeProject();
    await expectError(client.post(`/organization/projects/${p.id}/users`, { user_id: 'user-ghost', role: 'member' }), 400, 'user_id', { code: 'user_not_in_organization', unchanged: snapshot });
  });

  it('answers 409 when the user is already a member', async () => {
    const p = activeProject();
    const [member] = state().projectUsers.get(p.id)!.values();
    await expectError(client.post(`/organization/projects/${p.id}/users`, { user_id: member!.user_id, role: 'owner' }), 409, 'user_id', { unchanged: snapshot });
  });

  it('rejects a bad role on update', async () => {
    const p = activeProject();
    const [member] = state().projectUsers.get(p.id)!.values();
    await expectError(client.post(`/organization/projects/${p.id}/users/${member!.user_id}`, { role: 'admin' }), 400, 'role', { unchanged: snapshot });
  });

  describe('archived projects refuse changes to their users', () => {
    it('list', async () => {
      await expectError(client.get(`/organization/projects/${archivedProject().id}/users`), 400, 'project_id');
    });

    it('add', async () => {
      const p = archivedProject();
      await expectError(client.post(`/organization/projects/${p.id}/users`, { user_id: outsider(p.id).id, role: 'member' }), 400, 'project_id', { unchanged: snapshot });
    });

    it('update and remove', async () => {
      const p = archivedProject();
      const [member] = state().projectUsers.get(p.id)!.values();
      const before = snapshot();
      await expectError(client.post(`/organization/projects/${p.id}/users/${member!.user_id}`, { role: member!.role === 'owner' ? 'member' : 'owner' }), 400, 'project_id');
      await expectError(client.delete(`/organization/projects/${p.id}/users/${member!.user_id}`), 400, 'project_id');
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
      await expectError(request, 404, param);
    }
  });
});

describe('project users and project role assignments stay in step', () => {
  // A sandbox of its own, loaded lazily so this block stands alone in the file.
  let own: Awaited<ReturnType<typeof import('../helpers.js').sandboxWithClient>>;
  beforeAll(async () => {
    const { sandboxWithClient } = await import('../helpers.js');
    own = await sandboxWithClient({ seed: 5 });
  });
  afterAll(async () => {
    await own.close();
  });

  interface HeldRole {
    id: string;
    name: string;
    predefined_role: boolean;
  }
  const rolesOf = async (projectId: string, userId: string) =>
    (await own.client.get<{ data: HeldRole[] }>(`/projects/${projectId}/users/${userId}/roles`)).data.map((r) => [r.name, r.predefined_role]);
  const reader = () => [...own.sandbox.state.users.values()].find((u) => u.role === 'reader') as NonNullable<ReturnType<typeof own.sandbox.state.users.get>>;

  it('every seeded membership holds the predefined project role of the same name', () => {
    const s = own.sandbox.state;
    for (const [projectId, members] of s.projectUsers) {
      for (const member of members.values()) {
        const held = s.roleAssignments
          .filter((a) => a.scope === projectId && a.principal_type === 'user' && a.principal_id === member.user_id)
          .map((a) => s.roles.get(a.role_id))
          .filter((r) => r?.predefined_role)
          .map((r) => r?.name);
        expect(held, `${projectId}/${member.user_id}`).toEqual([member.role]);
      }
    }
  });

  it('adding assigns the matching predefined role, a role change swaps it, removal takes every role', async () => {
    const project = await own.client.post<{ id: string }>('/organization/projects', { name: 'Role sync' });
    const user = reader();
    const auditStart = own.sandbox.state.auditLogs.length;

    await own.client.post(`/organization/projects/${project.id}/users`, { user_id: user.id, role: 'member' });
    expect(await rolesOf(project.id, user.id)).toEqual([['member', true]]);

    await own.client.post(`/organization/projects/${project.id}/users/${user.id}`, { role: 'owner' });
    expect(await rolesOf(project.id, user.id)).toEqual([['owner', true]]);

    // A custom role held directly goes with the membership too.
    const custom = await own.client.post<{ id: string }>(`/projects/${project.id}/roles`, { role_name: 'Release', permissions: ['api.project.read'] });
    await own.client.post(`/projects/${project.id}/users/${user.id}/roles`, { role_id: custom.id });
    expect(await rolesOf(project.id, user.id)).toEqual([
      ['owner', true],
      ['Release', false],
    ]);

    await own.client.delete(`/organization/projects/${project.id}/users/${user.id}`);
    expect(await rolesOf(project.id, user.id)).toEqual([]);
    expect(own.sandbox.state.roleAssignments.filter((a) => a.scope === project.id && a.principal_id === user.id)).toEqual([]);

    const events = own.sandbox.state.auditLogs.slice(auditStart).map((e) => e.type);
    expect(events.filter((t) => t === 'role.assignment.created')).toHaveLength(3);
    expect(events.filter((t) => t === 'role.assignment.deleted')).toHaveLength(3);
  });

  it('adding by email assigns the role as well; a refused add assigns nothing', async () => {
    const project = await own.client.post<{ id: string }>('/organization/projects', { name: 'Role sync by email' });
    const user = reader();
    await own.client.post(`/organization/projects/${project.id}/users`, { email: user.email, role: 'owner' });
    expect(await rolesOf(project.id, user.id)).toEqual([['owner', true]]);

    const before = own.sandbox.state.roleAssignments.length;
    const err = await own.client.post(`/organization/projects/${project.id}/users`, { user_id: user.id, role: 'member' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect(own.sandbox.state.roleAssignments.length).toBe(before);
    expect(await rolesOf(project.id, user.id)).toEqual([['owner', true]]);
  });
});
