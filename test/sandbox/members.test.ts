import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { ProjectRecord, RoleRecord, UserRecord } from '../../src/sandbox/state.js';
import { refusalsLeaving, pickArchivedProject, stateSnapshot, useSandbox, withSandboxes } from '../helpers.js';

/*
 * Users, invites, groups, group members, and the organization roles of users and groups,
 * through real HTTP against the sandbox.
 */

let sandbox: Sandbox;
let client: AdminClient;

const DAY = 86_400;
const ORG_ROLE = 'role_test_org_auditor';
const ORG_ROLE_2 = 'role_test_org_billing';
const PROJECT_ROLE = 'role_test_project_dev';

function role(id: string, name: string, resource_type: RoleRecord['resource_type'], project_id: string | null = null): RoleRecord {
  return {
    object: 'role',
    id,
    name,
    description: `${name} (test)`,
    permissions: ['api.organization.read'],
    resource_type,
    predefined_role: false,
    project_id,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
  };
}

useSandbox({ seed: 7 }, (started) => ({ sandbox, client } = started));
beforeAll(() => {
  const firstProject = [...sandbox.state.projects.keys()][0] as string;
  for (const r of [
    role(ORG_ROLE, 'Test Auditor', 'api.organization'),
    role(ORG_ROLE_2, 'Test Billing Viewer', 'api.organization'),
    role(PROJECT_ROLE, 'Test Developer', 'api.project', firstProject),
  ]) {
    sandbox.state.roles.set(r.id, r);
  }
});

/** Everything these families can change, as plain data, to show a refused call changed nothing. */
function snapshot(): string {
  const s = sandbox.state;
  return stateSnapshot(s.users, s.invites, s.groups, s.groupUsers, s.projectUsers, s.projectGroups, s.roleAssignments, s.auditLogs.length);
}

/** Runs a call that must fail, and checks its status and param (and code) and that no state changed. */
const refused = refusalsLeaving(snapshot);

const users = () => [...sandbox.state.users.values()];
const groups = () => [...sandbox.state.groups.values()];
const lastAudit = () => sandbox.state.auditLogs[sandbox.state.auditLogs.length - 1];
const groupMembers = (groupId: string) => [...(sandbox.state.groupUsers.get(groupId)?.keys() ?? [])];
/** A new member in no group and with no role, for tests that need a clean principal. */
let fresh = 0;
function cleanUser(): UserRecord {
  fresh += 1;
  const user: UserRecord = {
    object: 'organization.user',
    id: `user-testfresh${fresh}`,
    name: `Fresh Member ${fresh}`,
    email: `fresh${fresh}@northwind-labs.test`,
    role: 'reader',
    added_at: sandbox.state.anchor - DAY,
  };
  sandbox.state.users.set(user.id, user);
  return user;
}
const plainGroup = () => groups().find((g) => !g.is_scim_managed && groupMembers(g.id).length > 0)!;
const scimGroup = () => groups().find((g) => g.is_scim_managed)!;

type List<T> = { object: string; data: T[]; has_more: boolean; first_id?: string | null; last_id?: string | null; next?: string | null };
type User = { object: string; id: string; name: string; email: string; role: string; added_at: number };
type Invite = {
  object: string;
  id: string;
  email: string;
  role: string;
  status: string;
  created_at: number;
  expires_at: number | null;
  accepted_at: number | null;
  projects: Array<{ id: string; role: string }>;
};
type Group = { id: string; name: string; created_at: number; is_scim_managed: boolean; group_type?: string };
type AssignedRole = { id: string; name: string; resource_type: string; assignment_sources: Array<{ principal_id: string; principal_type: string }> | null };

// ---------------------------------------------------------------------------------------------

describe('seed', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    await withSandboxes([{ seed: 7 }, { seed: 8 }, { seed: 7 }], ([again, other, fresh]) => {
      const ids = (s: Sandbox) => ({
        groups: [...s.state.groups.keys()],
        members: [...s.state.groupUsers].map(([g, m]) => [g, [...m.keys()]]),
        invites: [...s.state.invites.keys()],
      });
      expect(ids(again)).toEqual(ids(fresh));
      expect(ids(other).groups).not.toEqual(ids(again).groups);
    });
  });

  it('has plain and SCIM-managed groups, with members drawn from the seeded users', () => {
    const names = groups().map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['Platform Engineering', 'Data Science', 'Finance']));
    expect(groups().some((g) => g.is_scim_managed)).toBe(true);
    for (const [groupId, inner] of sandbox.state.groupUsers) {
      expect(sandbox.state.groups.has(groupId)).toBe(true);
      for (const userId of inner.keys()) expect(sandbox.state.users.has(userId)).toBe(true);
    }
  });

  it('has pending, accepted and expired invites, some granting projects', async () => {
    const page = await client.get<List<Invite>>('/organization/invites', { limit: 100 });
    const statuses = new Set(page.data.map((i) => i.status));
    expect(statuses).toEqual(new Set(['pending', 'accepted', 'expired']));
    expect(page.data.some((i) => i.status === 'pending' && i.projects.length > 0)).toBe(true);
    for (const invite of page.data.filter((i) => i.status === 'accepted')) {
      expect(users().some((u) => u.email === invite.email)).toBe(true);
      expect(invite.accepted_at).not.toBeNull();
    }
    for (const invite of page.data.filter((i) => i.status === 'pending')) {
      expect(users().some((u) => u.email === invite.email)).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('users', () => {
  it('lists users with the cursor_id shape and a default page of 20', async () => {
    const page = await client.get<List<User>>('/organization/users');
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(20);
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(page.data[0]?.id);
    expect(page.last_id).toBe(page.data[19]?.id);
    const first = page.data[0] as User;
    expect(first.object).toBe('organization.user');
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['id', 'name', 'email', 'role', 'added_at']));
    const all = await client.collect<User>({ path: '/organization/users', query: { limit: 7 }, style: 'cursor_id' });
    expect(all.items.map((u) => u.id)).toEqual([...sandbox.state.users.keys()]);
  });

  it('filters by email, case-insensitively', async () => {
    const [a, b] = users() as [UserRecord, UserRecord];
    const page = await client.get<List<User>>('/organization/users', { emails: [a.email.toUpperCase(), b.email, 'nobody@example.com'] });
    expect(page.data.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('refuses limits outside 1-100', async () => {
    await refused(() => client.get('/organization/users', { limit: 0 }), 400, 'limit');
    await refused(() => client.get('/organization/users', { limit: 101 }), 400, 'limit');
    await refused(() => client.get('/organization/users', { limit: 'ten' }), 400, 'limit');
    await refused(() => client.get('/organization/users', { after: 'user-unknown' }), 400, 'after');
  });

  it('retrieves a user, and answers 404 for an unknown one', async () => {
    const user = users()[3] as UserRecord;
    const got = await client.get<User>(`/organization/users/${user.id}`);
    expect(got).toMatchObject({ object: 'organization.user', id: user.id, email: user.email, role: user.role, added_at: user.added_at });
    await refused(() => client.get('/organization/users/user-doesnotexist'), 404, 'user_id', 'not_found');
  });

  it('updates the org role and metadata, and records the change', async () => {
    const user = users().find((u) => u.role === 'reader') as UserRecord;
    const updated = await client.post<User & { technical_level?: string }>(
      `/organization/users/${user.id}`,
      { role: 'owner', technical_level: 'expert' },
      { idempotent: true },
    );
    expect(updated).toMatchObject({ object: 'organization.user', id: user.id, role: 'owner', technical_level: 'expert' });
    expect(sandbox.state.users.get(user.id)?.role).toBe('owner');
    expect(lastAudit()).toMatchObject({ type: 'user.updated', payload: { id: user.id, changes_requested: { role: 'owner' } } });
    const back = await client.post<User>(`/organization/users/${user.id}`, { role: 'reader' });
    expect(back.role).toBe('reader');
  });

  it('validates update bodies: role enum, unknown fields, empty body, role_id', async () => {
    const user = users()[4] as UserRecord;
    const path = `/organization/users/${user.id}`;
    await refused(() => client.post(path, { role: 'member' }), 400, 'role');
    await refused(() => client.post(path, { role: 'admin' }), 400, 'role');
    await refused(() => client.post(path, { nickname: 'x' }), 400, 'nickname');
    await refused(() => client.post(path, {}), 400, 'role');
    await refused(() => client.post(path, { technical_level: 5 }), 400, 'technical_level');
    await refused(() => client.post(path, { role_id: PROJECT_ROLE }), 400, 'role_id');
    await refused(() => client.post(path, { role_id: 'role_nope' }), 404, 'role_id');
    await refused(() => client.post('/organization/users/user-doesnotexist', { role: 'owner' }), 404, 'user_id');
  });

  it('assigns an organization role through role_id, and converges when repeated', async () => {
    const user = cleanUser();
    await client.post(`/organization/users/${user.id}`, { role_id: ORG_ROLE_2 });
    await client.post(`/organization/users/${user.id}`, { role_id: ORG_ROLE_2 });
    const held = sandbox.state.roleAssignments.filter((a) => a.principal_id === user.id);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ principal_type: 'user', role_id: ORG_ROLE_2, scope: 'organization' });
    await client.delete(`/organization/users/${user.id}/roles/${ORG_ROLE_2}`);
  });

  it('deletes a user and removes them from projects, groups and role assignments', async () => {
    const group = plainGroup();
    const userId = groupMembers(group.id)[0] as string;
    sandbox.state.roleAssignments.push({ principal_type: 'user', principal_id: userId, role_id: ORG_ROLE, scope: 'organization', created_at: 1 });
    expect([...sandbox.state.projectUsers.values()].some((m) => m.has(userId))).toBe(true);

    const result = await client.delete<{ object: string; id: string; deleted: boolean }>(`/organization/users/${userId}`);
    expect(result).toEqual({ object: 'organization.user.deleted', id: userId, deleted: true });
    expect(sandbox.state.users.has(userId)).toBe(false);
    expect([...sandbox.state.projectUsers.values()].some((m) => m.has(userId))).toBe(false);
    expect([...sandbox.state.groupUsers.values()].some((m) => m.has(userId))).toBe(false);
    expect(sandbox.state.roleAssignments.some((a) => a.principal_id === userId)).toBe(false);
    expect(lastAudit()).toMatchObject({ type: 'user.deleted', payload: { id: userId } });

    await refused(() => client.get(`/organization/users/${userId}`), 404, 'user_id');
    await refused(() => client.delete(`/organization/users/${userId}`), 404, 'user_id');
  });
});

// ---------------------------------------------------------------------------------------------

describe('users.roles', () => {
  it('assign → list → retrieve → unassign', async () => {
    const user = cleanUser();
    const base = `/organization/users/${user.id}/roles`;
    expect((await client.get<List<AssignedRole>>(base)).data).toEqual([]);

    const assigned = await client.post<{ object: string; user: User; role: Record<string, unknown> }>(base, { role_id: ORG_ROLE });
    expect(assigned.object).toBe('user.role');
    expect(assigned.user).toMatchObject({ object: 'organization.user', id: user.id });
    expect(assigned.role).toMatchObject({ object: 'role', id: ORG_ROLE, resource_type: 'api.organization', predefined_role: false });
    expect(sandbox.state.roleAssignments.find((a) => a.principal_id === user.id)).toMatchObject({
      principal_type: 'user',
      role_id: ORG_ROLE,
      scope: 'organization',
    });
    expect(lastAudit()).toMatchObject({ type: 'role.assignment.created', payload: { principal_id: user.id, principal_type: 'user' } });

    const list = await client.get<List<AssignedRole>>(base);
    expect(list).toMatchObject({ object: 'list', has_more: false, next: null });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ id: ORG_ROLE, name: 'Test Auditor', assignment_sources: [{ principal_id: user.id, principal_type: 'user' }] });
    expect(Object.keys(list.data[0] as object)).toEqual(
      expect.arrayContaining(['permissions', 'predefined_role', 'description', 'created_at', 'updated_at', 'created_by', 'metadata']),
    );

    const one = await client.get<AssignedRole>(`${base}/${ORG_ROLE}`);
    expect(one).toMatchObject({ id: ORG_ROLE, resource_type: 'api.organization' });

    const removed = await client.delete(`${base}/${ORG_ROLE}`);
    expect(removed).toEqual({ object: 'user.role.deleted', deleted: true });
    expect(sandbox.state.roleAssignments.some((a) => a.principal_id === user.id)).toBe(false);
    expect(lastAudit()?.type).toBe('role.assignment.deleted');
    await refused(() => client.get(`${base}/${ORG_ROLE}`), 404, 'role_id');
    await refused(() => client.delete(`${base}/${ORG_ROLE}`), 404, 'role_id');
  });

  it('answers a repeated assignment with 409 and keeps one assignment', async () => {
    const user = cleanUser();
    const base = `/organization/users/${user.id}/roles`;
    await client.post(base, { role_id: ORG_ROLE });
    await refused(() => client.post(base, { role_id: ORG_ROLE }), 409, 'role_id', 'conflict');
    expect(sandbox.state.roleAssignments.filter((a) => a.principal_id === user.id)).toHaveLength(1);
    await client.delete(`${base}/${ORG_ROLE}`);
  });

  it('refuses project roles, missing and unknown role IDs, unknown users and fields', async () => {
    const user = cleanUser();
    const base = `/organization/users/${user.id}/roles`;
    await refused(() => client.post(base, { role_id: PROJECT_ROLE }), 400, 'role_id', 'invalid_role_type');
    await refused(() => client.post(base, {}), 400, 'role_id');
    await refused(() => client.post(base, { role_id: 42 }), 400, 'role_id');
    await refused(() => client.post(base, { role_id: ORG_ROLE, scope: 'org' }), 400, 'scope');
    await refused(() => client.post(base, { role_id: 'role_nope' }), 404, 'role_id');
    await refused(() => client.post('/organization/users/user-doesnotexist/roles', { role_id: ORG_ROLE }), 404, 'user_id');
    await refused(() => client.get('/organization/users/user-doesnotexist/roles'), 404, 'user_id');
    await refused(() => client.get(`${base}/role_nope`), 404, 'role_id');
    await refused(() => client.get(`${base}/${ORG_ROLE_2}`), 404, 'role_id');
  });

  it('validates list limits and order', async () => {
    const user = cleanUser();
    const base = `/organization/users/${user.id}/roles`;
    await refused(() => client.get(base, { limit: 1001 }), 400, 'limit');
    await refused(() => client.get(base, { limit: -1 }), 400, 'limit');
    await refused(() => client.get(base, { order: 'newest' }), 400, 'order');
    await client.post(base, { role_id: ORG_ROLE });
    await client.post(base, { role_id: ORG_ROLE_2 });
    const empty = await client.get<List<AssignedRole>>(base, { limit: 0 });
    expect(empty.data).toEqual([]);
    const firstPage = await client.get<List<AssignedRole>>(base, { limit: 1 });
    expect(firstPage).toMatchObject({ has_more: true, next: ORG_ROLE });
    const second = await client.get<List<AssignedRole>>(base, { limit: 1, after: firstPage.next as string });
    expect(second.data.map((r) => r.id)).toEqual([ORG_ROLE_2]);
    const desc = await client.get<List<AssignedRole>>(base, { order: 'desc' });
    expect(desc.data.map((r) => r.id)).toEqual([ORG_ROLE_2, ORG_ROLE]);
    await client.delete(`${base}/${ORG_ROLE}`);
    await client.delete(`${base}/${ORG_ROLE_2}`);
  });

  it("shows roles inherited from a user's groups, which cannot be unassigned from the user", async () => {
    const group = plainGroup();
    const userId = groupMembers(group.id)[0] as string;
    await client.post(`/organization/groups/${group.id}/roles`, { role_id: ORG_ROLE_2 });
    const list = await client.get<List<AssignedRole>>(`/organization/users/${userId}/roles`);
    const inherited = list.data.find((r) => r.id === ORG_ROLE_2);
    expect(inherited?.assignment_sources).toContainEqual({ principal_id: group.id, principal_type: 'group' });
    await refused(() => client.delete(`/organization/users/${userId}/roles/${ORG_ROLE_2}`), 400, 'role_id', 'inherited_role');
    await client.delete(`/organization/groups/${group.id}/roles/${ORG_ROLE_2}`);
    const after = await client.get<List<AssignedRole>>(`/organization/users/${userId}/roles`);
    expect(after.data.some((r) => r.id === ORG_ROLE_2)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('invites', () => {
  const activeProjects = () => [...sandbox.state.projects.values()].filter((p) => p.status === 'active');

  it('create → retrieve → list → delete', async () => {
    const [p1, p2] = activeProjects() as [ProjectRecord, ProjectRecord];
    const created = await client.post<Invite>('/organization/invites', {
      email: 'new.hire@example.com',
      role: 'reader',
      projects: [
        { id: p1.id, role: 'member' },
        { id: p2.id, role: 'owner' },
      ],
    });
    expect(created).toMatchObject({
      object: 'organization.invite',
      email: 'new.hire@example.com',
      role: 'reader',
      status: 'pending',
      accepted_at: null,
      projects: [
        { id: p1.id, role: 'member' },
        { id: p2.id, role: 'owner' },
      ],
    });
    expect(created.id).toMatch(/^invite-/);
    expect(created.expires_at).toBe(created.created_at + 7 * DAY);
    expect(sandbox.state.invites.has(created.id)).toBe(true);
    expect(lastAudit()).toMatchObject({ type: 'invite.sent', payload: { id: created.id, data: { email: 'new.hire@example.com', role: 'reader' } } });

    expect(await client.get<Invite>(`/organization/invites/${created.id}`)).toEqual(created);
    const all = await client.collect<Invite>({ path: '/organization/invites', query: { limit: 3 }, style: 'cursor_id' });
    expect(all.items.map((i) => i.id)).toEqual([...sandbox.state.invites.keys()]);
    expect(all.items.at(-1)?.id).toBe(created.id);

    const removed = await client.delete(`/organization/invites/${created.id}`);
    expect(removed).toEqual({ object: 'organization.invite.deleted', id: created.id, deleted: true });
    expect(sandbox.state.invites.has(created.id)).toBe(false);
    expect(lastAudit()).toMatchObject({ type: 'invite.deleted', payload: { id: created.id } });
    await refused(() => client.get(`/organization/invites/${created.id}`), 404, 'invite_id', 'not_found');
    await refused(() => client.delete(`/organization/invites/${created.id}`), 404, 'invite_id');
  });

  it('grants the default project when projects is omitted, and none for an empty list', async () => {
    const omitted = await client.post<Invite>('/organization/invites', { email: 'legacy@example.com', role: 'owner' });
    expect(omitted.projects).toEqual([{ id: activeProjects()[0]?.id, role: 'member' }]);
    const none = await client.post<Invite>('/organization/invites', { email: 'noprojects@example.com', role: 'reader', projects: [] });
    expect(none.projects).toEqual([]);
  });

  it('lists with a default page of 20 and refuses limits outside 1-100', async () => {
    for (let i = 0; i < 12; i++) await client.post('/organization/invites', { email: `bulk${i}@example.com`, role: 'reader', projects: [] });
    const page = await client.get<List<Invite>>('/organization/invites');
    expect(page).toMatchObject({ object: 'list', has_more: true });
    expect(page.data).toHaveLength(20);
    expect(page.first_id).toBe(page.data[0]?.id);
    await refused(() => client.get('/organization/invites', { limit: 0 }), 400, 'limit');
    await refused(() => client.get('/organization/invites', { limit: 101 }), 400, 'limit');
  });

  it('validates required fields, enums, emails, projects and unknown fields', async () => {
    const [project] = activeProjects() as [ProjectRecord];
    const archived = pickArchivedProject(sandbox.state);
    const post = (body: unknown) => () => client.post('/organization/invites', body);
    await refused(post({ role: 'reader' }), 400, 'email');
    await refused(post({ email: 'a@example.com' }), 400, 'role');
    await refused(post({ email: 'a@example.com', role: 'member' }), 400, 'role');
    await refused(post({ email: 'not-an-email', role: 'reader' }), 400, 'email');
    await refused(post({ email: 'a@example.com', role: 'reader', team: 'x' }), 400, 'team');
    await refused(post({ email: 'a@example.com', role: 'reader', projects: 'proj' }), 400, 'projects');
    await refused(post({ email: 'a@example.com', role: 'reader', projects: [{ id: project.id }] }), 400, 'projects[0].role');
    await refused(post({ email: 'a@example.com', role: 'reader', projects: [{ id: project.id, role: 'reader' }] }), 400, 'projects[0].role');
    await refused(post({ email: 'a@example.com', role: 'reader', projects: [{ role: 'member' }] }), 400, 'projects[0].id');
    await refused(
      post({ email: 'a@example.com', role: 'reader', projects: [{ id: project.id, role: 'member' }, { id: 'proj_nope', role: 'member' }] }),
      404,
      'projects[1].id',
    );
    await refused(post({ email: 'a@example.com', role: 'reader', projects: [{ id: archived.id, role: 'member' }] }), 400, 'projects[0].id');
    await refused(
      post({ email: 'a@example.com', role: 'reader', projects: [{ id: project.id, role: 'member' }, { id: project.id, role: 'owner' }] }),
      400,
      'projects[1].id',
    );
  });

  it('refuses to invite a current member or an email with a pending invite', async () => {
    const member = users()[0] as UserRecord;
    await refused(() => client.post('/organization/invites', { email: member.email.toUpperCase(), role: 'reader' }), 409, 'email', 'conflict');
    const pending = [...sandbox.state.invites.values()].find((i) => i.status === 'pending' && (i.expires_at ?? 0) > sandbox.state.now())!;
    await refused(() => client.post('/organization/invites', { email: pending.email, role: 'reader' }), 409, 'email');
  });

  it('allows re-inviting an email whose invite expired', async () => {
    const expired = [...sandbox.state.invites.values()].find((i) => i.status === 'expired')!;
    const again = await client.post<Invite>('/organization/invites', { email: expired.email, role: 'reader', projects: [] });
    expect(again.status).toBe('pending');
  });

  it('reports a pending invite past its expiry as expired', async () => {
    const stale = { ...([...sandbox.state.invites.values()][0]!), id: 'invite-stale', email: 'stale@example.com', status: 'pending' as const };
    stale.created_at = sandbox.state.now() - 10 * DAY;
    stale.expires_at = sandbox.state.now() - 3 * DAY;
    stale.accepted_at = null;
    sandbox.state.invites.set(stale.id, stale);
    expect((await client.get<Invite>('/organization/invites/invite-stale')).status).toBe('expired');
    await client.delete('/organization/invites/invite-stale');
  });

  it('refuses to delete an accepted invite', async () => {
    const accepted = [...sandbox.state.invites.values()].find((i) => i.status === 'accepted')!;
    await refused(() => client.delete(`/organization/invites/${accepted.id}`), 400, 'invite_id', 'invite_accepted');
    expect(sandbox.state.invites.has(accepted.id)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('groups', () => {
  it('create → retrieve → list → update → delete', async () => {
    const created = await client.post<Group>('/organization/groups', { name: 'Applied Research' });
    expect(created).toMatchObject({ name: 'Applied Research', is_scim_managed: false, group_type: 'group' });
    expect(created.created_at).toBeTypeOf('number');
    expect(sandbox.state.groups.has(created.id)).toBe(true);
    expect(lastAudit()).toMatchObject({ type: 'group.created', payload: { id: created.id, data: { group_name: 'Applied Research' } } });

    expect(await client.get<Group>(`/organization/groups/${created.id}`)).toEqual(created);
    const all = await client.collect<Group>({ path: '/organization/groups', query: { limit: 2 }, style: 'cursor_next' });
    expect(all.items.map((g) => g.id)).toEqual([...sandbox.state.groups.keys()]);

    const renamed = await client.post<Group>(`/organization/groups/${created.id}`, { name: 'Applied AI Research' }, { idempotent: true });
    expect(renamed).toEqual({ id: created.id, name: 'Applied AI Research', created_at: created.created_at, is_scim_managed: false });
    expect(sandbox.state.groups.get(created.id)?.name).toBe('Applied AI Research');
    expect(lastAudit()).toMatchObject({ type: 'group.updated', payload: { id: created.id, changes_requested: { group_name: 'Applied AI Research' } } });

    const removed = await client.delete(`/organization/groups/${created.id}`);
    expect(removed).toEqual({ object: 'group.deleted', id: created.id, deleted: true });
    expect(lastAudit()).toMatchObject({ type: 'group.deleted', payload: { id: created.id } });
    await refused(() => client.get(`/organization/groups/${created.id}`), 404, 'group_id', 'not_found');
    await refused(() => client.delete(`/organization/groups/${created.id}`), 404, 'group_id');
    await refused(() => client.post(`/organization/groups/${created.id}`, { name: 'x' }), 404, 'group_id');
  });

  it('lists with the cursor_next shape, ascending by default', async () => {
    const page = await client.get<List<Group>>('/organization/groups');
    expect(page).toMatchObject({ object: 'list', has_more: false, next: null });
    expect(page.data.map((g) => g.id)).toEqual([...sandbox.state.groups.keys()]);
    for (const g of page.data) expect(Object.keys(g).sort()).toEqual(['created_at', 'group_type', 'id', 'is_scim_managed', 'name']);
    const desc = await client.get<List<Group>>('/organization/groups', { order: 'desc' });
    expect(desc.data.map((g) => g.id)).toEqual([...sandbox.state.groups.keys()].reverse());
    const one = await client.get<List<Group>>('/organization/groups', { limit: 1 });
    expect(one).toMatchObject({ has_more: true, next: one.data[0]?.id });
  });

  it('refuses limits outside 0-1000 and unknown orders', async () => {
    await refused(() => client.get('/organization/groups', { limit: 1001 }), 400, 'limit');
    await refused(() => client.get('/organization/groups', { limit: -1 }), 400, 'limit');
    await refused(() => client.get('/organization/groups', { order: 'up' }), 400, 'order');
    await refused(() => client.get('/organization/groups', { after: 'group_nope' }), 400, 'after');
  });

  it('requires a name of 1-255 characters and no other fields', async () => {
    await refused(() => client.post('/organization/groups', {}), 400, 'name');
    await refused(() => client.post('/organization/groups', { name: '' }), 400, 'name');
    await refused(() => client.post('/organization/groups', { name: 'x'.repeat(256) }), 400, 'name');
    await refused(() => client.post('/organization/groups', { name: 7 }), 400, 'name');
    await refused(() => client.post('/organization/groups', { name: 'Ok', scim: true }), 400, 'scim');
    const group = plainGroup();
    await refused(() => client.post(`/organization/groups/${group.id}`, {}), 400, 'name');
    await refused(() => client.post(`/organization/groups/${group.id}`, { name: 'y'.repeat(256) }), 400, 'name');
    const max = await client.post<Group>('/organization/groups', { name: 'z'.repeat(255) });
    await client.delete(`/organization/groups/${max.id}`);
  });

  it('leaves SCIM-managed groups to the identity provider', async () => {
    const group = scimGroup();
    const user = users()[1] as UserRecord;
    await refused(() => client.post(`/organization/groups/${group.id}`, { name: 'Renamed' }), 400, 'group_id', 'scim_managed_group');
    await refused(() => client.delete(`/organization/groups/${group.id}`), 400, 'group_id', 'scim_managed_group');
    if (!groupMembers(group.id).includes(user.id)) {
      await refused(() => client.post(`/organization/groups/${group.id}/users`, { user_id: user.id }), 400, 'group_id');
    }
    expect((await client.get<Group>(`/organization/groups/${group.id}`)).is_scim_managed).toBe(true);
  });

  it('deleting a group removes its memberships, project access and role assignments', async () => {
    const group = await client.post<Group>('/organization/groups', { name: 'Short-lived' });
    const user = users()[2] as UserRecord;
    const project = [...sandbox.state.projects.keys()][1] as string;
    await client.post(`/organization/groups/${group.id}/users`, { user_id: user.id });
    await client.post(`/organization/groups/${group.id}/roles`, { role_id: ORG_ROLE });
    sandbox.state.scoped(sandbox.state.projectGroups, project).set(group.id, { group_id: group.id, created_at: 1 });

    await client.delete(`/organization/groups/${group.id}`);
    expect(sandbox.state.groupUsers.has(group.id)).toBe(false);
    expect(sandbox.state.projectGroups.get(project)?.has(group.id)).toBe(false);
    expect(sandbox.state.roleAssignments.some((a) => a.principal_id === group.id)).toBe(false);
    expect(sandbox.state.users.has(user.id)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('groups.users', () => {
  it('add → retrieve → list → remove', async () => {
    const group = plainGroup();
    const user = users().find((u) => !groupMembers(group.id).includes(u.id)) as UserRecord;
    const base = `/organization/groups/${group.id}/users`;

    const added = await client.post(base, { user_id: user.id });
    expect(added).toEqual({ object: 'group.user', user_id: user.id, group_id: group.id });
    expect(groupMembers(group.id)).toContain(user.id);

    const member = await client.get(`${base}/${user.id}`);
    expect(member).toEqual({ id: user.id, name: user.name, email: user.email, picture: null, is_service_account: false, user_type: 'user' });

    const list = await client.get<List<{ id: string; name: string; email: string | null }>>(base);
    expect(list).toMatchObject({ object: 'list', has_more: false, next: null });
    // Newest first by default: the user just added leads.
    expect(list.data[0]).toEqual({ id: user.id, name: user.name, email: user.email });
    const asc = await client.get<List<{ id: string }>>(base, { order: 'asc' });
    expect(asc.data.map((u) => u.id)).toEqual(groupMembers(group.id));
    expect(list.data.map((u) => u.id)).toEqual([...groupMembers(group.id)].reverse());

    await refused(() => client.post(base, { user_id: user.id }), 409, 'user_id', 'conflict');

    const removed = await client.delete(`${base}/${user.id}`);
    expect(removed).toEqual({ object: 'group.user.deleted', deleted: true });
    expect(groupMembers(group.id)).not.toContain(user.id);
    expect(sandbox.state.users.has(user.id)).toBe(true);
    await refused(() => client.get(`${base}/${user.id}`), 404, 'user_id');
    await refused(() => client.delete(`${base}/${user.id}`), 404, 'user_id');
  });

  it('pages with next cursors', async () => {
    const group = groups().find((g) => groupMembers(g.id).length >= 3)!;
    const all = await client.collect<{ id: string }>({ path: `/organization/groups/${group.id}/users`, query: { limit: 1 }, style: 'cursor_next' });
    expect(all.items.map((u) => u.id)).toEqual([...groupMembers(group.id)].reverse());
    expect(all.pages).toBeGreaterThanOrEqual(3);
  });

  it('validates bodies, limits and IDs', async () => {
    const group = plainGroup();
    const base = `/organization/groups/${group.id}/users`;
    await refused(() => client.post(base, {}), 400, 'user_id');
    await refused(() => client.post(base, { user_id: users()[0]!.id, role: 'owner' }), 400, 'role');
    await refused(() => client.post(base, { user_id: 'user-doesnotexist' }), 404, 'user_id');
    await refused(() => client.post('/organization/groups/group_nope/users', { user_id: users()[0]!.id }), 404, 'group_id');
    await refused(() => client.get(base, { limit: 1001 }), 400, 'limit');
    await refused(() => client.get(base, { order: 'sideways' }), 400, 'order');
    await refused(() => client.get('/organization/groups/group_nope/users'), 404, 'group_id');
    await refused(() => client.get(`${base}/user-doesnotexist`), 404, 'user_id');
    const outsider = users().find((u) => !groupMembers(group.id).includes(u.id))!;
    await refused(() => client.get(`${base}/${outsider.id}`), 404, 'user_id');
  });
});

// ---------------------------------------------------------------------------------------------

describe('groups.roles', () => {
  it('assign → list → retrieve → unassign', async () => {
    const group = scimGroup(); // roles are managed in the organization even for SCIM groups
    const base = `/organization/groups/${group.id}/roles`;
    const before = sandbox.state.roleAssignments.length;

    const assigned = await client.post<{ object: string; group: Record<string, unknown>; role: Record<string, unknown> }>(base, { role_id: ORG_ROLE });
    expect(assigned).toEqual({
      object: 'group.role',
      group: { object: 'group', id: group.id, name: group.name, created_at: group.created_at, scim_managed: true },
      role: expect.objectContaining({ object: 'role', id: ORG_ROLE, resource_type: 'api.organization' }),
    });
    expect(sandbox.state.roleAssignments).toHaveLength(before + 1);
    expect(sandbox.state.roleAssignments.at(-1)).toMatchObject({ principal_type: 'group', principal_id: group.id, scope: 'organization' });

    const list = await client.get<List<AssignedRole>>(base);
    expect(list).toMatchObject({ object: 'list', has_more: false, next: null });
    expect(list.data.find((r) => r.id === ORG_ROLE)?.assignment_sources).toEqual([{ principal_id: group.id, principal_type: 'group' }]);
    expect(await client.get(`${base}/${ORG_ROLE}`)).toMatchObject({ id: ORG_ROLE, name: 'Test Auditor' });

    await refused(() => client.post(base, { role_id: ORG_ROLE }), 409, 'role_id');

    expect(await client.delete(`${base}/${ORG_ROLE}`)).toEqual({ object: 'group.role.deleted', deleted: true });
    expect(sandbox.state.roleAssignments).toHaveLength(before);
    await refused(() => client.get(`${base}/${ORG_ROLE}`), 404, 'role_id');
    await refused(() => client.delete(`${base}/${ORG_ROLE}`), 404, 'role_id');
  });

  it('refuses project roles and bad input', async () => {
    const group = plainGroup();
    const base = `/organization/groups/${group.id}/roles`;
    await refused(() => client.post(base, { role_id: PROJECT_ROLE }), 400, 'role_id', 'invalid_role_type');
    await refused(() => client.post(base, {}), 400, 'role_id');
    await refused(() => client.post(base, { role_id: ORG_ROLE, extra: 1 }), 400, 'extra');
    await refused(() => client.post(base, { role_id: 'role_nope' }), 404, 'role_id');
    await refused(() => client.post('/organization/groups/group_nope/roles', { role_id: ORG_ROLE }), 404, 'group_id');
    await refused(() => client.get('/organization/groups/group_nope/roles'), 404, 'group_id');
    await refused(() => client.get(`${base}/role_nope`), 404, 'role_id');
    await refused(() => client.get(base, { limit: 1001 }), 400, 'limit');
    await refused(() => client.get(base, { order: 'random' }), 400, 'order');
  });
});

describe('deleting a user revokes the project API keys they own', () => {
  // A sandbox of its own, loaded lazily so this block stands alone in the file.
  let own: Awaited<ReturnType<typeof import('../helpers.js').sandboxWithClient>>;
  beforeAll(async () => {
    const { sandboxWithClient } = await import('../helpers.js');
    own = await sandboxWithClient({ seed: 6 });
  });
  afterAll(async () => {
    await own.close();
  });

  it('deletes their project keys with an audit event each, and keeps the admin keys they created', async () => {
    const s = own.sandbox.state;
    const ownedKeys = (userId: string) =>
      [...s.projectApiKeys].flatMap(([projectId, keys]) =>
        [...keys.values()].filter((k) => k.owner.type === 'user' && k.owner.user_id === userId).map((k) => ({ projectId, keyId: k.id })),
      );
    // An owner who created an admin key and owns project keys.
    const user = [...s.users.values()].find(
      (u) => ownedKeys(u.id).length > 0 && [...s.adminApiKeys.values()].some((k) => k.owner_user_id === u.id),
    );
    if (!user) throw new Error('seed 6 has no owner with both an admin key and project keys');
    const keys = ownedKeys(user.id);
    const adminKeys = [...s.adminApiKeys.values()].filter((k) => k.owner_user_id === user.id).map((k) => k.id);
    const otherKeys = [...s.projectApiKeys.values()].reduce((n, m) => n + m.size, 0) - keys.length;
    const auditStart = s.auditLogs.length;

    await own.client.delete(`/organization/users/${user.id}`);

    for (const { projectId, keyId } of keys) {
      const err = await own.client.get(`/organization/projects/${projectId}/api_keys/${keyId}`).catch((e: unknown) => e);
      expect((err as ApiError).status, keyId).toBe(404);
      expect(s.projectApiKeys.get(projectId)?.has(keyId)).toBe(false);
    }
    expect([...s.projectApiKeys.values()].reduce((n, m) => n + m.size, 0)).toBe(otherKeys);
    for (const id of adminKeys) {
      expect((await own.client.get<{ id: string }>(`/organization/admin_api_keys/${id}`)).id).toBe(id);
    }

    const events = s.auditLogs.slice(auditStart);
    const revoked = events.filter((e) => e.type === 'api_key.deleted');
    expect(revoked.map((e) => e.payload.id).sort()).toEqual(keys.map((k) => k.keyId).sort());
    for (const event of revoked) {
      const key = keys.find((k) => k.keyId === event.payload.id);
      expect(event.project?.id).toBe(key?.projectId);
    }
    expect(events.at(-1)).toMatchObject({ type: 'user.deleted', payload: { id: user.id } });
  });
});
