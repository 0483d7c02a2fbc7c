import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { GroupRecord, RoleRecord } from '../../src/sandbox/state.js';
import { refusalsLeaving, pickArchivedProject, pickProjectNamed, stateSnapshot, useSandbox, type NextList as List } from '../helpers.js';

let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ client } = started));

interface ProjectGroup {
  object: string;
  project_id: string;
  group_id: string;
  group_name: string;
  group_type: string;
  created_at: number;
}


/** What this family owns, to assert that a refused request changed nothing. */
const snapshot = () => stateSnapshot(state().roleAssignments, state().projectGroups);

/** A request that must fail with this status, param (and code, when given) and change nothing. */
const refused = refusalsLeaving(snapshot);

const projectNamed = (name: string) => pickProjectNamed(state(), name);
const archivedProject = () => pickArchivedProject(state());
const projectRole = (name: string) =>
  [...state().roles.values()].find((r) => r.predefined_role && r.resource_type === 'api.project' && r.name === name) as RoleRecord;
const groupOutside = (projectId: string) =>
  [...state().groups.values()].find((g) => !state().projectGroups.get(projectId)?.has(g.id)) as GroupRecord;
const groupInside = (projectId: string) => {
  const id = [...(state().projectGroups.get(projectId)?.keys() ?? [])][0] as string;
  return state().groups.get(id) as GroupRecord;
};

function expectProjectGroup(item: ProjectGroup, projectId: string): void {
  expect(item.object).toBe('project.group');
  expect(item.project_id).toBe(projectId);
  expect(item.group_id).toMatch(/^group_/);
  expect(typeof item.group_name).toBe('string');
  expect(['group', 'tenant_group']).toContain(item.group_type);
  expect(Number.isInteger(item.created_at)).toBe(true);
}

describe('seeded project groups', () => {
  it('reference existing groups, and each holds a project role', () => {
    let total = 0;
    for (const [projectId, groups] of state().projectGroups) {
      expect(state().projects.has(projectId)).toBe(true);
      for (const record of groups.values()) {
        total += 1;
        expect(state().groups.has(record.group_id)).toBe(true);
        expect(record.created_at).toBeLessThan(state().anchor);
        expect(
          state().roleAssignments.some((a) => a.scope === projectId && a.principal_type === 'group' && a.principal_id === record.group_id),
        ).toBe(true);
      }
    }
    expect(total).toBeGreaterThan(0);
  });
});

describe('project groups', () => {
  it('lists the groups of a project in the documented shape', async () => {
    const project = projectNamed('Default project');
    const list = await client.get<List<ProjectGroup>>(`/organization/projects/${project.id}/groups`);
    expect(list.object).toBe('list');
    expect(list.has_more).toBe(false);
    expect(list.next).toBeNull();
    expect(list.data.length).toBe(state().projectGroups.get(project.id)?.size);
    list.data.forEach((item) => expectProjectGroup(item, project.id));
    const desc = await client.get<List<ProjectGroup>>(`/organization/projects/${project.id}/groups`, { order: 'desc' });
    expect(desc.data.map((g) => g.group_id)).toEqual(list.data.map((g) => g.group_id).reverse());
  });

  it('pages with limit and next', async () => {
    const project = projectNamed('Default project');
    const path = `/organization/projects/${project.id}/groups`;
    const first = await client.get<List<ProjectGroup>>(path, { limit: 1 });
    expect(first.data).toHaveLength(1);
    expect(first.has_more).toBe(true);
    expect(first.next).toBe(first.data[0]?.group_id);
    const second = await client.get<List<ProjectGroup>>(path, { limit: 1, after: first.next as string });
    expect(second.data[0]?.group_id).not.toBe(first.data[0]?.group_id);
  });

  it('validates limit (0-100) and order', async () => {
    const project = projectNamed('Default project');
    const path = `/organization/projects/${project.id}/groups`;
    await refused(client.get(path, { limit: 101 }), 400, 'limit');
    await refused(client.get(path, { limit: -1 }), 400, 'limit');
    await refused(client.get(path, { limit: 'ten' }), 400, 'limit');
    await refused(client.get(path, { order: 'oldest' }), 400, 'order');
    const hundred = await client.get<List<ProjectGroup>>(path, { limit: 100 });
    expect(hundred.object).toBe('list');
  });

  it('defaults to 20 per page', async () => {
    const project = projectNamed('Atlas');
    const access = state().scoped(state().projectGroups, project.id);
    const saved = new Map(access);
    const fakeGroups: GroupRecord[] = [];
    for (let i = 0; i < 25; i++) {
      const group: GroupRecord = { id: `group_page_${i}`, name: `Paging ${i}`, created_at: state().anchor - 86_400, is_scim_managed: false, group_type: 'group' };
      state().groups.set(group.id, group);
      access.set(group.id, { group_id: group.id, created_at: state().anchor - 3600 });
      fakeGroups.push(group);
    }
    try {
      const list = await client.get<List<ProjectGroup>>(`/organization/projects/${project.id}/groups`);
      expect(list.data).toHaveLength(20);
      expect(list.has_more).toBe(true);
    } finally {
      for (const g of fakeGroups) {
        state().groups.delete(g.id);
        access.delete(g.id);
      }
      expect(new Map(access)).toEqual(saved);
    }
  });

  it('round trip: add, retrieve, list, remove', async () => {
    const project = projectNamed('Billing');
    const group = groupOutside(project.id);
    const viewer = projectRole('viewer');
    const base = `/organization/projects/${project.id}/groups`;

    const added = await client.post<ProjectGroup>(base, { group_id: group.id, role: viewer.id });
    expectProjectGroup(added, project.id);
    expect(added).toMatchObject({ group_id: group.id, group_name: group.name, group_type: group.group_type });
    expect(state().projectGroups.get(project.id)?.has(group.id)).toBe(true);
    const assignment = state().roleAssignments.find((a) => a.scope === project.id && a.principal_type === 'group' && a.principal_id === group.id);
    expect(assignment?.role_id).toBe(viewer.id);
    expect(state().auditLogs.at(-1)).toMatchObject({
      type: 'role.assignment.created',
      project: { id: project.id },
      payload: { principal_id: group.id, principal_type: 'group', resource_id: project.id },
    });

    expect(await client.get<ProjectGroup>(`${base}/${group.id}`)).toEqual(added);
    expect(await client.get<ProjectGroup>(`${base}/${group.id}`, { group_type: 'group' })).toEqual(added);
    const list = await client.get<List<ProjectGroup>>(base, { limit: 100 });
    expect(list.data.at(-1)).toEqual(added);

    const removed = await client.delete(`${base}/${group.id}`);
    expect(removed).toEqual({ object: 'project.group.deleted', deleted: true });
    expect(state().projectGroups.get(project.id)?.has(group.id) ?? false).toBe(false);
    expect(state().roleAssignments.some((a) => a.scope === project.id && a.principal_id === group.id)).toBe(false);
    expect(state().auditLogs.at(-1)?.type).toBe('role.assignment.deleted');
    await refused(client.get(`${base}/${group.id}`), 404, 'group_id', 'not_found');
    await refused(client.delete(`${base}/${group.id}`), 404, 'group_id');
  });

  it('grants a custom role of the project', async () => {
    const project = projectNamed('Atlas');
    const own = [...state().roles.values()].find((r) => r.project_id === project.id) as RoleRecord;
    const group = groupOutside(project.id);
    const base = `/organization/projects/${project.id}/groups`;
    await client.post(base, { group_id: group.id, role: own.id });
    expect(state().roleAssignments.some((a) => a.scope === project.id && a.principal_id === group.id && a.role_id === own.id)).toBe(true);
    await client.delete(`${base}/${group.id}`);
  });

  it('requires group_id and role, and refuses unknown fields', async () => {
    const project = projectNamed('Billing');
    const group = groupOutside(project.id);
    const base = `/organization/projects/${project.id}/groups`;
    const role = projectRole('member').id;
    await refused(client.post(base, { role }), 400, 'group_id');
    await refused(client.post(base, { group_id: group.id }), 400, 'role');
    await refused(client.post(base, { group_id: group.id, role_id: role }), 400, 'role_id');
    await refused(client.post(base, { group_id: 42, role }), 400, 'group_id');
    await refused(client.post(base, { group_id: group.id, role: ['member'] }), 400, 'role');
  });

  it('checks the group and the role', async () => {
    const project = projectNamed('Billing');
    const group = groupOutside(project.id);
    const base = `/organization/projects/${project.id}/groups`;
    await refused(client.post(base, { group_id: 'group_unknown', role: projectRole('member').id }), 404, 'group_id', 'not_found');
    await refused(client.post(base, { group_id: group.id, role: 'role_unknown' }), 404, 'role', 'not_found');
    const foreign = [...state().roles.values()].find((r) => r.project_id !== null && r.project_id !== project.id) as RoleRecord;
    await refused(client.post(base, { group_id: group.id, role: foreign.id }), 404, 'role');
    const orgRole = [...state().roles.values()].find((r) => r.resource_type === 'api.organization') as RoleRecord;
    await refused(client.post(base, { group_id: group.id, role: orgRole.id }), 400, 'role', 'invalid_role_type');
  });

  it('refuses adding a group that already has access', async () => {
    const project = projectNamed('Default project');
    const group = groupInside(project.id);
    await refused(
      client.post(`/organization/projects/${project.id}/groups`, { group_id: group.id, role: projectRole('viewer').id }),
      409,
      'group_id',
      'conflict',
    );
  });

  it('refuses changes in an archived project but still reads it', async () => {
    const project = archivedProject();
    const base = `/organization/projects/${project.id}/groups`;
    const inside = groupInside(project.id);
    expect(inside).toBeDefined();
    const list = await client.get<List<ProjectGroup>>(base);
    expect(list.data.map((g) => g.group_id)).toContain(inside.id);
    expect((await client.get<ProjectGroup>(`${base}/${inside.id}`)).group_id).toBe(inside.id);
    await refused(client.post(base, { group_id: groupOutside(project.id).id, role: projectRole('viewer').id }), 400, 'project_id', 'project_archived');
    await refused(client.delete(`${base}/${inside.id}`), 400, 'project_id', 'project_archived');
  });

  it('validates group_type and matches it against the group', async () => {
    const project = projectNamed('Default project');
    const group = groupInside(project.id);
    const path = `/organization/projects/${project.id}/groups/${group.id}`;
    await refused(client.get(path, { group_type: 'team' }), 400, 'group_type');
    await refused(client.get(path, { group_type: 'tenant_group' }), 404, 'group_id');
  });

  it('answers 404 for unknown projects, unknown groups and groups outside the project', async () => {
    const project = projectNamed('Billing');
    const outside = groupOutside(project.id);
    await refused(client.get('/organization/projects/proj_unknown/groups'), 404, 'project_id');
    await refused(client.post('/organization/projects/proj_unknown/groups', { group_id: outside.id, role: projectRole('member').id }), 404, 'project_id');
    await refused(client.get(`/organization/projects/${project.id}/groups/group_unknown`), 404, 'group_id');
    await refused(client.get(`/organization/projects/${project.id}/groups/${outside.id}`), 404, 'group_id');
    await refused(client.delete(`/organization/projects/${project.id}/groups/${outside.id}`), 404, 'group_id');
    await refused(client.delete('/organization/projects/proj_unknown/groups/group_unknown'), 404, 'project_id');
  });
});
