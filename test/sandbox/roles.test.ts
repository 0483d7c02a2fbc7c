import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { OWNERLESS_PROJECT } from '../../src/sandbox/seed/core.js';
import type { RoleRecord, SandboxState } from '../../src/sandbox/state.js';
import {
  refusalsLeaving,
  pickArchivedProject,
  pickProjectNamed,
  stateSnapshot,
  useSandbox,
  withSandboxes,
  type NextList as List,
} from '../helpers.js';

let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ client } = started));

// ---------------------------------------------------------------------------------------------
// Helpers

interface Role {
  object: string;
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  resource_type: string;
  predefined_role: boolean;
}
interface AssignedRole {
  id: string;
  name: string;
  permissions: string[];
  resource_type: string;
  predefined_role: boolean;
  description: string | null;
  created_at: number | null;
  updated_at: number | null;
  created_by: string | null;
  created_by_user_obj: unknown;
  metadata: unknown;
  assignment_sources: Array<{ principal_id: string; principal_type: string }> | null;
}


/** Everything this family owns in a sandbox's state. */
const familyOf = (s: SandboxState) => stateSnapshot(s.roles, s.roleAssignments, s.projectGroups);
/** This family in the shared sandbox, to assert that a refused request changed nothing. */
const snapshot = () => familyOf(state());

/** A request that must fail with this status, param (and code, when given) and change nothing. */
const refused = refusalsLeaving(snapshot);

const projectNamed = (name: string) => pickProjectNamed(state(), name);
const activeProject = () => projectNamed('Atlas');
const archivedProject = () => pickArchivedProject(state());
const predefined = (resource: 'api.organization' | 'api.project', name: string) =>
  [...state().roles.values()].find((r) => r.predefined_role && r.resource_type === resource && r.name === name) as RoleRecord;
const customProjectRole = (projectId: string) =>
  [...state().roles.values()].find((r) => !r.predefined_role && r.project_id === projectId) as RoleRecord;
/** A project member (role member) who holds no custom role there. */
const plainMember = (projectId: string) => {
  const members = [...(state().projectUsers.get(projectId)?.values() ?? [])];
  return members.find((m) => m.role === 'member') ?? (members[0] as { user_id: string });
};
const nonMember = (projectId: string) => [...state().users.values()].find((u) => !state().projectUsers.get(projectId)?.has(u.id)) as { id: string };

let counter = 0;
const uniqueName = (base: string) => `${base} ${++counter}`;

function expectRoleShape(role: Role): void {
  expect(role.object).toBe('role');
  expect(role.id).toMatch(/^role_/);
  expect(typeof role.name).toBe('string');
  expect(role.description === null || typeof role.description === 'string').toBe(true);
  expect(Array.isArray(role.permissions)).toBe(true);
  expect(['api.organization', 'api.project']).toContain(role.resource_type);
  expect(typeof role.predefined_role).toBe('boolean');
}

function expectAssignedShape(role: AssignedRole): void {
  for (const key of [
    'id',
    'name',
    'permissions',
    'resource_type',
    'predefined_role',
    'description',
    'created_at',
    'updated_at',
    'created_by',
    'created_by_user_obj',
    'metadata',
    'assignment_sources',
  ]) {
    expect(role).toHaveProperty(key);
  }
  expect(role).not.toHaveProperty('object');
  expect(role.resource_type).toBe('api.project');
}

function expectListShape(list: List<unknown>): void {
  expect(list.object).toBe('list');
  expect(Array.isArray(list.data)).toBe(true);
  expect(typeof list.has_more).toBe('boolean');
  expect(list.next === null || typeof list.next === 'string').toBe(true);
}

// ---------------------------------------------------------------------------------------------

describe('seed', () => {
  it('has predefined organization and project roles with realistic permissions', () => {
    for (const name of ['owner', 'reader']) {
      const role = predefined('api.organization', name);
      expect(role).toBeDefined();
      expect(role.project_id).toBeNull();
      expect(role.permissions.every((p) => p.startsWith('api.organization.'))).toBe(true);
    }
    for (const name of ['owner', 'member', 'viewer']) {
      const role = predefined('api.project', name);
      expect(role).toBeDefined();
      expect(role.permissions.every((p) => p.startsWith('api.project.'))).toBe(true);
    }
    expect(predefined('api.organization', 'reader').permissions).toContain('api.organization.projects.read');
    const custom = [...state().roles.values()].filter((r) => !r.predefined_role);
    expect(custom.filter((r) => r.resource_type === 'api.organization').length).toBeGreaterThanOrEqual(2);
    expect(custom.filter((r) => r.resource_type === 'api.project' && r.project_id !== null).length).toBeGreaterThanOrEqual(2);
  });

  it("assigns every user's organization role and every project membership's role", () => {
    const s = state();
    for (const user of s.users.values()) {
      const role = predefined('api.organization', user.role);
      expect(s.roleAssignments.some((a) => a.scope === 'organization' && a.principal_id === user.id && a.role_id === role.id)).toBe(true);
    }
    for (const [projectId, members] of s.projectUsers) {
      for (const member of members.values()) {
        const role = predefined('api.project', member.role);
        expect(s.roleAssignments.some((a) => a.scope === projectId && a.principal_id === member.user_id && a.role_id === role.id)).toBe(true);
      }
    }
    expect(s.roleAssignments.some((a) => a.principal_type === 'group' && a.scope === 'organization')).toBe(true);
    expect(s.roleAssignments.some((a) => a.principal_type === 'group' && a.scope !== 'organization')).toBe(true);
  });

  it('references only existing roles, users, groups and projects', () => {
    const s = state();
    for (const a of s.roleAssignments) {
      const role = s.roles.get(a.role_id) as RoleRecord;
      expect(role).toBeDefined();
      if (a.principal_type === 'user') expect(s.users.has(a.principal_id)).toBe(true);
      else expect(s.groups.has(a.principal_id)).toBe(true);
      if (a.scope === 'organization') expect(role.resource_type).toBe('api.organization');
      else {
        expect(s.projects.has(a.scope)).toBe(true);
        expect(role.resource_type).toBe('api.project');
        expect(role.project_id === null || role.project_id === a.scope).toBe(true);
        if (a.principal_type === 'group') expect(s.projectGroups.get(a.scope)?.has(a.principal_id)).toBe(true);
      }
      expect(a.created_at).toBeLessThan(s.anchor);
    }
  });

  it('gives the ownerless project no owner assignment at all', () => {
    const project = projectNamed(OWNERLESS_PROJECT);
    const owner = predefined('api.project', 'owner');
    expect(state().roleAssignments.filter((a) => a.scope === project.id && a.role_id === owner.id)).toEqual([]);
    expect(state().roleAssignments.some((a) => a.scope === project.id)).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 7 }, { seed: 7 }, { seed: 8 }], ([a, b, c]) => {
      expect(familyOf(a.state)).toBe(familyOf(b.state));
      expect([...c.state.roles.keys()]).not.toEqual([...a.state.roles.keys()]);
    });
  });
});

describe('organization roles', () => {
  it('lists organization roles only, in the documented shape', async () => {
    const list = await client.get<List<Role>>('/organization/roles');
    expectListShape(list);
    list.data.forEach(expectRoleShape);
    expect(list.data.every((r) => r.resource_type === 'api.organization')).toBe(true);
    expect(list.data.map((r) => r.name)).toEqual(expect.arrayContaining(['owner', 'reader', 'Billing Admin']));
    expect(list.has_more).toBe(false);
    expect(list.next).toBeNull();
  });

  it('pages with limit and next, and orders desc', async () => {
    const first = await client.get<List<Role>>('/organization/roles', { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.next).toBe(first.data[1]?.id);
    const second = await client.get<List<Role>>('/organization/roles', { limit: 2, after: first.next as string });
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
    const all = await client.get<List<Role>>('/organization/roles');
    const desc = await client.get<List<Role>>('/organization/roles', { order: 'desc' });
    expect(desc.data.map((r) => r.id)).toEqual(all.data.map((r) => r.id).reverse());
    const walked: Role[] = [];
    for await (const role of client.paginate<Role>({ path: '/organization/roles', query: { limit: 2 }, style: 'cursor_next' })) walked.push(role);
    expect(walked.map((r) => r.id)).toEqual(all.data.map((r) => r.id));
  });

  it('refuses limit above 1000, below 0, and an unknown order', async () => {
    await refused(client.get('/organization/roles', { limit: 1001 }), 400, 'limit');
    await refused(client.get('/organization/roles', { limit: -1 }), 400, 'limit');
    await refused(client.get('/organization/roles', { order: 'newest' }), 400, 'order');
    await refused(client.get('/organization/roles', { after: 'role_nope' }), 400, 'after');
  });

  it('round trip: create, retrieve, list, update, delete', async () => {
    const name = uniqueName('Compliance Reviewer');
    const created = await client.post<Role>('/organization/roles', {
      role_name: name,
      permissions: ['api.organization.audit_logs.read', 'api.organization.users.read'],
      description: 'Reads the audit log',
    });
    expectRoleShape(created);
    expect(created).toMatchObject({ name, resource_type: 'api.organization', predefined_role: false, description: 'Reads the audit log' });
    expect(state().roles.get(created.id)?.project_id).toBeNull();
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'role.created', payload: { id: created.id, role_name: name } });

    expect(await client.get<Role>(`/organization/roles/${created.id}`)).toEqual(created);
    const list = await client.get<List<Role>>('/organization/roles');
    expect(list.data.at(-1)).toEqual(created);

    const updated = await client.post<Role>(`/organization/roles/${created.id}`, {
      role_name: `${name} v2`,
      permissions: ['api.organization.audit_logs.read', 'api.organization.groups.read'],
    });
    expect(updated).toMatchObject({ id: created.id, name: `${name} v2`, description: 'Reads the audit log' });
    expect(updated.permissions).toEqual(['api.organization.audit_logs.read', 'api.organization.groups.read']);
    const event = state().auditLogs.at(-1);
    expect(event?.type).toBe('role.updated');
    expect(event?.payload).toMatchObject({
      id: created.id,
      changes_requested: { role_name: `${name} v2`, permissions_added: ['api.organization.groups.read'], permissions_removed: ['api.organization.users.read'] },
    });

    const cleared = await client.post<Role>(`/organization/roles/${created.id}`, { description: null, permissions: null, role_name: null });
    expect(cleared.description).toBeNull();
    expect(cleared.name).toBe(`${name} v2`);
    expect(cleared.permissions).toEqual(updated.permissions);

    const gone = await client.delete<{ object: string; id: string; deleted: boolean }>(`/organization/roles/${created.id}`);
    expect(gone).toEqual({ object: 'role.deleted', id: created.id, deleted: true });
    expect(state().roles.has(created.id)).toBe(false);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'role.deleted', payload: { id: created.id } });
    await refused(client.get(`/organization/roles/${created.id}`), 404, 'role_id', 'not_found');
  });

  it('requires role_name and permissions, with the right types, and no unknown fields', async () => {
    await refused(client.post('/organization/roles', { permissions: ['api.organization.read'] }), 400, 'role_name');
    await refused(client.post('/organization/roles', { role_name: uniqueName('X') }), 400, 'permissions');
    await refused(client.post('/organization/roles', { role_name: '  ', permissions: [] }), 400, 'role_name');
    await refused(client.post('/organization/roles', { role_name: uniqueName('X'), permissions: 'api.organization.read' }), 400, 'permissions');
    await refused(client.post('/organization/roles', { role_name: uniqueName('X'), permissions: [''] }), 400, 'permissions');
    await refused(client.post('/organization/roles', { role_name: 7, permissions: [] }), 400, 'role_name');
    await refused(client.post('/organization/roles', { role_name: uniqueName('X'), permissions: [], scope: 'org' }), 400, 'scope');
    const role = [...state().roles.values()].find((r) => !r.predefined_role && r.resource_type === 'api.organization') as RoleRecord;
    await refused(client.post(`/organization/roles/${role.id}`, { permissions: [1] }), 400, 'permissions');
    await refused(client.post(`/organization/roles/${role.id}`, { name: 'x' }), 400, 'name');
  });

  it('keeps role names unique in the organization, case-insensitively', async () => {
    await refused(client.post('/organization/roles', { role_name: 'OWNER', permissions: [] }), 409, 'role_name');
    await refused(client.post('/organization/roles', { role_name: 'billing admin', permissions: [] }), 409, 'role_name');
    const created = await client.post<Role>('/organization/roles', { role_name: uniqueName('Temp'), permissions: [] });
    await refused(client.post(`/organization/roles/${created.id}`, { role_name: 'Reader' }), 409, 'role_name');
    // The same name as a project role is fine: different scope.
    const mine = await client.post<Role>(`/organization/roles/${created.id}`, { role_name: 'Deployer' });
    expect(mine.name).toBe('Deployer');
    await client.delete(`/organization/roles/${created.id}`);
  });

  it('refuses to update or delete predefined roles', async () => {
    const owner = predefined('api.organization', 'owner');
    await refused(client.post(`/organization/roles/${owner.id}`, { description: 'mine now' }), 400, 'role_id', 'predefined_role');
    await refused(client.delete(`/organization/roles/${owner.id}`), 400, 'role_id', 'predefined_role');
  });

  it('deleting a role removes its assignments', async () => {
    const role = [...state().roles.values()].find((r) => r.name === 'Billing Admin') as RoleRecord;
    const held = state().roleAssignments.filter((a) => a.role_id === role.id).length;
    expect(held).toBeGreaterThan(0);
    const total = state().roleAssignments.length;
    await client.delete(`/organization/roles/${role.id}`);
    expect(state().roleAssignments.some((a) => a.role_id === role.id)).toBe(false);
    expect(state().roleAssignments.length).toBe(total - held);
  });

  it('answers 404 for unknown roles and for project roles', async () => {
    for (const id of ['role_unknown', predefined('api.project', 'member').id]) {
      await refused(client.get(`/organization/roles/${id}`), 404, 'role_id', 'not_found');
      await refused(client.post(`/organization/roles/${id}`, { description: 'x' }), 404, 'role_id');
      await refused(client.delete(`/organization/roles/${id}`), 404, 'role_id');
    }
  });
});

describe('project roles', () => {
  it("lists the predefined project roles and the project's own custom roles only", async () => {
    const project = activeProject();
    const list = await client.get<List<Role>>(`/projects/${project.id}/roles`);
    expectListShape(list);
    list.data.forEach(expectRoleShape);
    expect(list.data.every((r) => r.resource_type === 'api.project')).toBe(true);
    expect(list.data.filter((r) => r.predefined_role).map((r) => r.name)).toEqual(['owner', 'member', 'viewer']);
    const own = customProjectRole(project.id);
    expect(list.data.map((r) => r.id)).toContain(own.id);
    const foreign = [...state().roles.values()].filter((r) => r.project_id !== null && r.project_id !== project.id);
    expect(foreign.length).toBeGreaterThan(0);
    for (const r of foreign) expect(list.data.map((x) => x.id)).not.toContain(r.id);
  });

  it('validates limit and order, and 404s an unknown project', async () => {
    const project = activeProject();
    await refused(client.get(`/projects/${project.id}/roles`, { limit: 1001 }), 400, 'limit');
    await refused(client.get(`/projects/${project.id}/roles`, { order: 'up' }), 400, 'order');
    const one = await client.get<List<Role>>(`/projects/${project.id}/roles`, { limit: 1 });
    expect(one.data).toHaveLength(1);
    expect(one.has_more).toBe(true);
    await refused(client.get('/projects/proj_unknown/roles'), 404, 'project_id');
    await refused(client.post('/projects/proj_unknown/roles', { role_name: 'x', permissions: [] }), 404, 'project_id');
  });

  it('round trip: create, retrieve, list, update, delete', async () => {
    const project = activeProject();
    const name = uniqueName('Evaluator');
    const created = await client.post<Role>(`/projects/${project.id}/roles`, {
      role_name: name,
      permissions: ['api.project.read', 'api.project.models.request'],
    });
    expectRoleShape(created);
    expect(created).toMatchObject({ name, resource_type: 'api.project', predefined_role: false, description: null });
    expect(state().roles.get(created.id)?.project_id).toBe(project.id);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'role.created', project: { id: project.id }, payload: { resource_id: project.id } });

    expect(await client.get<Role>(`/projects/${project.id}/roles/${created.id}`)).toEqual(created);
    expect((await client.get<List<Role>>(`/projects/${project.id}/roles`)).data.at(-1)).toEqual(created);

    const updated = await client.post<Role>(`/projects/${project.id}/roles/${created.id}`, { description: 'Runs evals', permissions: ['api.project.read'] });
    expect(updated).toMatchObject({ id: created.id, name, description: 'Runs evals', permissions: ['api.project.read'] });
    expect(state().auditLogs.at(-1)?.type).toBe('role.updated');

    const gone = await client.delete(`/projects/${project.id}/roles/${created.id}`);
    expect(gone).toEqual({ object: 'role.deleted', id: created.id, deleted: true });
    await refused(client.get(`/projects/${project.id}/roles/${created.id}`), 404, 'role_id');
  });

  it("answers 404 for another project's role and for organization roles", async () => {
    const project = activeProject();
    const other = [...state().roles.values()].find((r) => r.project_id !== null && r.project_id !== project.id) as RoleRecord;
    const orgRole = predefined('api.organization', 'owner');
    for (const id of [other.id, orgRole.id, 'role_unknown']) {
      await refused(client.get(`/projects/${project.id}/roles/${id}`), 404, 'role_id', 'not_found');
      await refused(client.post(`/projects/${project.id}/roles/${id}`, { description: 'x' }), 404, 'role_id');
      await refused(client.delete(`/projects/${project.id}/roles/${id}`), 404, 'role_id');
    }
    // Still reachable in its own project.
    expect((await client.get<Role>(`/projects/${other.project_id}/roles/${other.id}`)).id).toBe(other.id);
  });

  it('requires role_name and permissions and refuses unknown fields', async () => {
    const project = activeProject();
    await refused(client.post(`/projects/${project.id}/roles`, { permissions: [] }), 400, 'role_name');
    await refused(client.post(`/projects/${project.id}/roles`, { role_name: uniqueName('X') }), 400, 'permissions');
    await refused(client.post(`/projects/${project.id}/roles`, { role_name: uniqueName('X'), permissions: [], project_id: project.id }), 400, 'project_id');
  });

  it('keeps names unique within the project, not across projects', async () => {
    const project = activeProject();
    const own = customProjectRole(project.id);
    await refused(client.post(`/projects/${project.id}/roles`, { role_name: 'Member', permissions: [] }), 409, 'role_name');
    await refused(client.post(`/projects/${project.id}/roles`, { role_name: own.name.toUpperCase(), permissions: [] }), 409, 'role_name');
    const elsewhere = projectNamed('Billing');
    const twin = await client.post<Role>(`/projects/${elsewhere.id}/roles`, { role_name: own.name, permissions: ['api.project.read'] });
    expect(twin.name).toBe(own.name);
    await refused(client.post(`/projects/${project.id}/roles/${own.id}`, { role_name: 'viewer' }), 409, 'role_name');
    await client.delete(`/projects/${elsewhere.id}/roles/${twin.id}`);
  });

  it('refuses to update or delete predefined project roles', async () => {
    const project = activeProject();
    const member = predefined('api.project', 'member');
    await refused(client.post(`/projects/${project.id}/roles/${member.id}`, { permissions: [] }), 400, 'role_id', 'predefined_role');
    await refused(client.delete(`/projects/${project.id}/roles/${member.id}`), 400, 'role_id', 'predefined_role');
  });

  it('refuses changes in an archived project but still reads it', async () => {
    const project = archivedProject();
    const list = await client.get<List<Role>>(`/projects/${project.id}/roles`);
    expect(list.data.length).toBeGreaterThan(0);
    await refused(client.post(`/projects/${project.id}/roles`, { role_name: uniqueName('Late'), permissions: [] }), 400, 'project_id', 'project_archived');
    // A custom role placed there directly, to check update and delete.
    const role: RoleRecord = {
      object: 'role',
      id: 'role_archived_custom',
      name: 'Archivist',
      description: null,
      permissions: ['api.project.read'],
      resource_type: 'api.project',
      predefined_role: false,
      project_id: project.id,
      created_at: state().anchor - 86_400,
      updated_at: state().anchor - 86_400,
    };
    state().roles.set(role.id, role);
    await refused(client.post(`/projects/${project.id}/roles/${role.id}`, { description: 'x' }), 400, 'project_id', 'project_archived');
    await refused(client.delete(`/projects/${project.id}/roles/${role.id}`), 400, 'project_id', 'project_archived');
    state().roles.delete(role.id);
  });

  it('deleting a project role removes its assignments', async () => {
    const project = projectNamed('Data Platform');
    const role = customProjectRole(project.id);
    expect(state().roleAssignments.some((a) => a.role_id === role.id)).toBe(true);
    await client.delete(`/projects/${project.id}/roles/${role.id}`);
    expect(state().roleAssignments.some((a) => a.role_id === role.id)).toBe(false);
    expect(state().roles.has(role.id)).toBe(false);
  });
});

describe('project user roles', () => {
  it("lists a member's roles as AssignedRoleDetails", async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const list = await client.get<List<AssignedRole>>(`/projects/${project.id}/users/${member.user_id}/roles`);
    expectListShape(list);
    list.data.forEach(expectAssignedShape);
    const memberRole = predefined('api.project', 'member');
    const entry = list.data.find((r) => r.id === memberRole.id) as AssignedRole;
    expect(entry.assignment_sources).toContainEqual({ principal_id: member.user_id, principal_type: 'user' });
    const one = await client.get<AssignedRole>(`/projects/${project.id}/users/${member.user_id}/roles/${memberRole.id}`);
    expectAssignedShape(one);
    expect(one).toEqual(entry);
  });

  it('round trip: assign, retrieve, list, unassign', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const viewer = predefined('api.project', 'viewer');
    const path = `/projects/${project.id}/users/${member.user_id}/roles`;
    const assigned = await client.post<{ object: string; user: { object: string; id: string }; role: Role }>(path, { role_id: viewer.id });
    expect(assigned.object).toBe('user.role');
    expect(assigned.user).toMatchObject({ object: 'organization.user', id: member.user_id });
    expectRoleShape(assigned.role);
    expect(assigned.role.id).toBe(viewer.id);
    expect(state().auditLogs.at(-1)).toMatchObject({
      type: 'role.assignment.created',
      project: { id: project.id },
      payload: { principal_id: member.user_id, principal_type: 'user', resource_id: project.id },
    });

    const one = await client.get<AssignedRole>(`${path}/${viewer.id}`);
    expect(one.assignment_sources).toEqual([{ principal_id: member.user_id, principal_type: 'user' }]);
    expect((await client.get<List<AssignedRole>>(path)).data.map((r) => r.id)).toContain(viewer.id);

    const gone = await client.delete(`${path}/${viewer.id}`);
    expect(gone).toEqual({ object: 'user.role.deleted', deleted: true });
    expect(state().auditLogs.at(-1)?.type).toBe('role.assignment.deleted');
    await refused(client.get(`${path}/${viewer.id}`), 404, 'role_id', 'not_found');
    await refused(client.delete(`${path}/${viewer.id}`), 404, 'role_id', 'not_found');
  });

  it('needs the user to be a member of the project', async () => {
    const project = activeProject();
    const outsider = nonMember(project.id);
    const role = predefined('api.project', 'viewer');
    await refused(client.post(`/projects/${project.id}/users/${outsider.id}/roles`, { role_id: role.id }), 400, 'user_id', 'user_not_in_project');
  });

  it('refuses a second assignment of the same role', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const role = predefined('api.project', 'member');
    await refused(client.post(`/projects/${project.id}/users/${member.user_id}/roles`, { role_id: role.id }), 409, 'role_id', 'conflict');
  });

  it('assigns only roles usable in the project', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const path = `/projects/${project.id}/users/${member.user_id}/roles`;
    const foreign = [...state().roles.values()].find((r) => r.project_id !== null && r.project_id !== project.id) as RoleRecord;
    await refused(client.post(path, { role_id: foreign.id }), 404, 'role_id', 'not_found');
    await refused(client.post(path, { role_id: 'role_unknown' }), 404, 'role_id');
    await refused(client.post(path, { role_id: predefined('api.organization', 'reader').id }), 400, 'role_id', 'invalid_role_type');
    // A custom role of the project itself works.
    const own = customProjectRole(project.id);
    if (!state().roleAssignments.some((a) => a.scope === project.id && a.principal_id === member.user_id && a.role_id === own.id)) {
      await client.post(path, { role_id: own.id });
      await client.delete(`${path}/${own.id}`);
    }
  });

  it('requires role_id and refuses unknown fields', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const path = `/projects/${project.id}/users/${member.user_id}/roles`;
    await refused(client.post(path, {}), 400, 'role_id');
    await refused(client.post(path, { role_id: 5 }), 400, 'role_id');
    await refused(client.post(path, { role_id: predefined('api.project', 'viewer').id, role: 'viewer' }), 400, 'role');
  });

  it('refuses changes in an archived project', async () => {
    const project = archivedProject();
    const member = [...(state().projectUsers.get(project.id)?.values() ?? [])][0] as { user_id: string };
    const path = `/projects/${project.id}/users/${member.user_id}/roles`;
    const held = (await client.get<List<AssignedRole>>(path)).data[0] as AssignedRole;
    expect(held).toBeDefined();
    await refused(client.post(path, { role_id: predefined('api.project', 'viewer').id }), 400, 'project_id', 'project_archived');
    await refused(client.delete(`${path}/${held.id}`), 400, 'project_id', 'project_archived');
  });

  it('answers 404 for unknown projects, users and roles', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const role = predefined('api.project', 'member');
    await refused(client.get(`/projects/proj_unknown/users/${member.user_id}/roles`), 404, 'project_id');
    await refused(client.get(`/projects/${project.id}/users/user-unknown/roles`), 404, 'user_id');
    await refused(client.post(`/projects/${project.id}/users/user-unknown/roles`, { role_id: role.id }), 404, 'user_id');
    await refused(client.get(`/projects/${project.id}/users/${member.user_id}/roles/role_unknown`), 404, 'role_id');
    await refused(client.delete(`/projects/proj_unknown/users/${member.user_id}/roles/${role.id}`), 404, 'project_id');
  });

  it('validates limit and order', async () => {
    const project = activeProject();
    const member = plainMember(project.id);
    const path = `/projects/${project.id}/users/${member.user_id}/roles`;
    await refused(client.get(path, { limit: 1001 }), 400, 'limit');
    await refused(client.get(path, { limit: -1 }), 400, 'limit');
    await refused(client.get(path, { order: 'sideways' }), 400, 'order');
  });

  it('shows roles held through a group, which cannot be unassigned from the user', async () => {
    const project = projectNamed('Billing');
    const group = [...state().groups.values()].find(
      (g) => (state().groupUsers.get(g.id)?.size ?? 0) > 0 && !state().projectGroups.get(project.id)?.has(g.id),
    );
    expect(group).toBeDefined();
    const userId = [...(state().groupUsers.get(group!.id)?.keys() ?? [])][0] as string;
    const role = await client.post<Role>(`/projects/${project.id}/roles`, { role_name: uniqueName('Group grant'), permissions: ['api.project.read'] });
    await client.post(`/organization/projects/${project.id}/groups`, { group_id: group!.id, role: role.id });

    const held = await client.get<AssignedRole>(`/projects/${project.id}/users/${userId}/roles/${role.id}`);
    expect(held.assignment_sources).toEqual([{ principal_id: group!.id, principal_type: 'group' }]);
    const list = await client.get<List<AssignedRole>>(`/projects/${project.id}/users/${userId}/roles`);
    expect(list.data.map((r) => r.id)).toContain(role.id);
    await refused(client.delete(`/projects/${project.id}/users/${userId}/roles/${role.id}`), 400, 'role_id', 'inherited_role');

    await client.delete(`/organization/projects/${project.id}/groups/${group!.id}`);
    await refused(client.get(`/projects/${project.id}/users/${userId}/roles/${role.id}`), 404, 'role_id');
    await client.delete(`/projects/${project.id}/roles/${role.id}`);
  });
});

describe('project group roles', () => {
  const seededGroup = () => {
    const project = projectNamed('Default project');
    const groupId = [...(state().projectGroups.get(project.id)?.keys() ?? [])][0] as string;
    return { project, groupId };
  };

  it("lists and retrieves a seeded group's project roles", async () => {
    const { project, groupId } = seededGroup();
    const list = await client.get<List<AssignedRole>>(`/projects/${project.id}/groups/${groupId}/roles`);
    expectListShape(list);
    expect(list.data.length).toBeGreaterThan(0);
    list.data.forEach(expectAssignedShape);
    const first = list.data[0] as AssignedRole;
    expect(first.assignment_sources).toEqual([{ principal_id: groupId, principal_type: 'group' }]);
    expect(await client.get(`/projects/${project.id}/groups/${groupId}/roles/${first.id}`)).toEqual(first);
    await refused(client.get(`/projects/${project.id}/groups/${groupId}/roles`, { limit: 1001 }), 400, 'limit');
    await refused(client.get(`/projects/${project.id}/groups/${groupId}/roles`, { order: 'random' }), 400, 'order');
  });

  it('round trip: assign, retrieve, list, unassign', async () => {
    const { project, groupId } = seededGroup();
    const path = `/projects/${project.id}/groups/${groupId}/roles`;
    const held = new Set((await client.get<List<AssignedRole>>(path)).data.map((r) => r.id));
    const role = ['owner', 'member', 'viewer'].map((n) => predefined('api.project', n)).find((r) => !held.has(r.id)) as RoleRecord;
    const assigned = await client.post<{ object: string; group: Record<string, unknown>; role: Role }>(path, { role_id: role.id });
    expect(assigned.object).toBe('group.role');
    expect(assigned.group).toMatchObject({ object: 'group', id: groupId });
    expect(Object.keys(assigned.group).sort()).toEqual(['created_at', 'id', 'name', 'object', 'scim_managed']);
    expect(assigned.role.id).toBe(role.id);
    expect((await client.get<AssignedRole>(`${path}/${role.id}`)).id).toBe(role.id);
    expect((await client.get<List<AssignedRole>>(path)).data.map((r) => r.id)).toContain(role.id);
    await refused(client.post(path, { role_id: role.id }), 409, 'role_id');
    expect(await client.delete(`${path}/${role.id}`)).toEqual({ object: 'group.role.deleted', deleted: true });
    await refused(client.get(`${path}/${role.id}`), 404, 'role_id');
    await refused(client.delete(`${path}/${role.id}`), 404, 'role_id');
  });

  it('needs the group to be added to the project first', async () => {
    const project = activeProject();
    const outside = [...state().groups.values()].find((g) => !state().projectGroups.get(project.id)?.has(g.id)) as { id: string };
    await refused(
      client.post(`/projects/${project.id}/groups/${outside.id}/roles`, { role_id: predefined('api.project', 'viewer').id }),
      400,
      'group_id',
      'group_not_in_project',
    );
    const empty = await client.get<List<AssignedRole>>(`/projects/${project.id}/groups/${outside.id}/roles`);
    expect(empty.data).toEqual([]);
  });

  it('validates the body and the role', async () => {
    const { project, groupId } = seededGroup();
    const path = `/projects/${project.id}/groups/${groupId}/roles`;
    await refused(client.post(path, {}), 400, 'role_id');
    await refused(client.post(path, { role_id: predefined('api.project', 'viewer').id, extra: true }), 400, 'extra');
    await refused(client.post(path, { role_id: predefined('api.organization', 'owner').id }), 400, 'role_id', 'invalid_role_type');
    const foreign = [...state().roles.values()].find((r) => r.project_id !== null && r.project_id !== project.id) as RoleRecord;
    await refused(client.post(path, { role_id: foreign.id }), 404, 'role_id');
  });

  it('refuses changes in an archived project', async () => {
    const project = archivedProject();
    const groupId = [...(state().projectGroups.get(project.id)?.keys() ?? [])][0];
    expect(groupId).toBeDefined();
    const path = `/projects/${project.id}/groups/${groupId}/roles`;
    const held = (await client.get<List<AssignedRole>>(path)).data[0] as AssignedRole;
    await refused(client.post(path, { role_id: predefined('api.project', 'owner').id }), 400, 'project_id', 'project_archived');
    await refused(client.delete(`${path}/${held.id}`), 400, 'project_id', 'project_archived');
  });

  it('answers 404 for unknown projects, groups and roles', async () => {
    const { project, groupId } = seededGroup();
    await refused(client.get(`/projects/proj_unknown/groups/${groupId}/roles`), 404, 'project_id');
    await refused(client.get(`/projects/${project.id}/groups/group_unknown/roles`), 404, 'group_id');
    await refused(client.post(`/projects/${project.id}/groups/group_unknown/roles`, { role_id: 'role_x' }), 404, 'group_id');
    await refused(client.get(`/projects/${project.id}/groups/${groupId}/roles/role_unknown`), 404, 'role_id');
    await refused(client.delete(`/projects/${project.id}/groups/group_unknown/roles/role_unknown`), 404, 'group_id');
  });
});
