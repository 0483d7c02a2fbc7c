import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { GroupRecord, ProjectApiKeyRecord, ProjectRecord, RoleAssignmentRecord, RoleRecord, UserRecord } from '../../src/sandbox/state.js';
import { pickArchivedProject, useSandbox } from '../helpers.js';
import { DAY, hostFor, NOW, ok } from './support.js';

/*
 * access_review on a project built for the test straight in the sandbox state: members, groups with
 * roles, service accounts and keys with known last use, so every verdict is known in advance.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 9, now: () => NOW }, (started) => ({ sandbox, client } = started));

interface Review {
  project: { id: string; name: string; status: string };
  summary: string;
  flags: string[];
  users: Array<{ name: string; email: string; role: string }>;
  groups: Array<{ name: string; id: string; roles: string[] }>;
  service_accounts: Array<{ name: string; id: string; role: string }>;
  keys: Array<{ name: string; id: string; owner: string; last_used: string; stale?: boolean }>;
  unavailable?: string[];
}

const PROJECT_ID = 'proj_accessReviewLab0000000001';
let project: ProjectRecord;
let alice: UserRecord;
let bob: UserRecord;
let former: UserRecord;
let group: GroupRecord;
let memberRole: RoleRecord;
let ownerRole: RoleRecord;

function predefinedProjectRole(name: string): RoleRecord {
  const role = [...sandbox.state.roles.values()].find((r) => r.resource_type === 'api.project' && r.predefined_role && r.name === name);
  if (!role) throw new Error(`no predefined project role ${name}`);
  return role;
}

function key(name: string, owner: ProjectApiKeyRecord['owner'], createdDaysAgo: number, usedDaysAgo: number | null): ProjectApiKeyRecord {
  return {
    id: `key_review${name.replace(/[^a-z0-9]/gi, '')}`,
    name,
    redacted_value: 'sk-proj...abcd',
    created_at: NOW - createdDaysAgo * DAY,
    last_used_at: usedDaysAgo === null ? null : NOW - usedDaysAgo * DAY,
    owner,
  };
}

beforeAll(() => {
  const state = sandbox.state;
  const users = [...state.users.values()];
  group = [...state.groups.values()][0] as GroupRecord;
  // Nobody here reaches the project through the group: access comes from the direct memberships only.
  const outside = users.filter((u) => !state.groupUsers.get(group.id)?.has(u.id));
  [alice, bob, former] = outside.slice(3, 6) as [UserRecord, UserRecord, UserRecord];
  memberRole = predefinedProjectRole('member');
  ownerRole = predefinedProjectRole('owner');

  project = {
    id: PROJECT_ID,
    object: 'organization.project',
    name: 'Access Review Lab',
    created_at: NOW - 400 * DAY,
    archived_at: null,
    status: 'active',
    external_key_id: null,
    residency: null,
  };
  state.projects.set(project.id, project);
  state.projectUsers.set(
    project.id,
    new Map([
      [alice.id, { user_id: alice.id, role: 'member', added_at: NOW - 300 * DAY }],
      [bob.id, { user_id: bob.id, role: 'member', added_at: NOW - 300 * DAY }],
    ]),
  );
  state.projectGroups.set(project.id, new Map([[group.id, { group_id: group.id, created_at: NOW - 200 * DAY }]]));
  state.roleAssignments.push({ principal_type: 'group', principal_id: group.id, role_id: memberRole.id, scope: project.id, created_at: NOW - 200 * DAY });
  state.serviceAccounts.set(
    project.id,
    new Map([['svc_acct_reviewlab', { object: 'organization.project.service_account', id: 'svc_acct_reviewlab', name: 'lab-bot', role: 'member', created_at: NOW - 250 * DAY }]]),
  );
  const keys = [
    key('used-10d', { type: 'user', user_id: alice.id }, 300, 10),
    key('used-45d', { type: 'user', user_id: bob.id }, 300, 45),
    key('used-91d', { type: 'user', user_id: alice.id }, 300, 91),
    key('never-200d', { type: 'user', user_id: bob.id }, 200, null),
    key('never-60d', { type: 'service_account', service_account_id: 'svc_acct_reviewlab' }, 60, null),
    key('never-5d', { type: 'user', user_id: alice.id }, 5, null),
    // Its owner has left the project; the key still exists and still works.
    key('left-behind', { type: 'user', user_id: former.id }, 300, 2),
  ];
  state.projectApiKeys.set(project.id, new Map(keys.map((k) => [k.id, k])));
});

const review = (args: Record<string, unknown> = {}) => ok<Review>(hostFor(client), 'access_review', { project: PROJECT_ID, ...args });
const staleNames = (r: Review) => r.keys.filter((k) => k.stale).map((k) => k.name).sort();

describe('keys', () => {
  it('stale by the default 90 days: used 91 days ago, or never used and created 200 days ago', async () => {
    const r = await review();
    expect(r.project).toEqual({ id: PROJECT_ID, name: 'Access Review Lab', status: 'active' });
    expect(staleNames(r)).toEqual(['never-200d', 'used-91d']);
    const byName = new Map(r.keys.map((k) => [k.name, k]));
    expect(byName.get('used-10d')).toMatchObject({ owner: alice.email, last_used: new Date((NOW - 10 * DAY) * 1000).toISOString().slice(0, 10) });
    expect(byName.get('used-10d')).not.toHaveProperty('stale');
    expect(byName.get('never-5d')).toMatchObject({ last_used: 'never' });
    expect(byName.get('never-5d')).not.toHaveProperty('stale');
    expect(byName.get('never-60d')?.owner).toBe('service account lab-bot');
    const flag = r.flags.find((f) => f.startsWith('stale_keys'));
    expect(flag).toMatch(/2 key\(s\) unused for more than 90 days/);
    expect(flag).toContain('used-91d');
    expect(flag).toContain('never-200d');
    expect(r.summary).toMatch(/7 keys \(2 stale\)/);
  });

  it('stale_days: 30 changes the verdicts', async () => {
    const r = await review({ stale_days: 30 });
    expect(staleNames(r)).toEqual(['never-200d', 'never-60d', 'used-45d', 'used-91d']);
    expect(r.flags.find((f) => f.startsWith('stale_keys'))).toMatch(/4 key\(s\) unused for more than 30 days/);
    const lenient = await review({ stale_days: 365 });
    expect(staleNames(lenient)).toEqual([]);
    expect(lenient.flags.some((f) => f.startsWith('stale_keys'))).toBe(false);
  });

  it('lists a key whose owner has left the project', async () => {
    const r = await review();
    expect(r.keys.find((k) => k.name === 'left-behind')).toMatchObject({ owner: former.email });
    expect(r.keys).toHaveLength(7);
  });
});

describe('owners', () => {
  it('members only and a group without an owner role: flagged no_owner', async () => {
    const r = await review();
    expect(r.users.map((u) => u.role)).toEqual(['member', 'member']);
    expect(r.groups).toEqual([{ name: group.name, id: group.id, roles: ['member'] }]);
    expect(r.service_accounts).toEqual([{ name: 'lab-bot', id: 'svc_acct_reviewlab', role: 'member' }]);
    expect(r.flags.some((f) => f.startsWith('no_owner'))).toBe(true);
    expect(r.summary).toMatch(/^2 users \(0 owners\), 1 group, 1 service account/);
  });

  it('a user made owner removes the flag', async () => {
    const membership = sandbox.state.projectUsers.get(PROJECT_ID)?.get(alice.id);
    if (!membership) throw new Error('alice is not in the project');
    membership.role = 'owner';
    try {
      const r = await review();
      expect(r.flags.some((f) => f.startsWith('no_owner'))).toBe(false);
      expect(r.summary).toMatch(/^2 users \(1 owner\)/);
    } finally {
      membership.role = 'member';
    }
    expect((await review()).flags.some((f) => f.startsWith('no_owner'))).toBe(true);
  });

  it('a group given the owner role removes the flag', async () => {
    const grant: RoleAssignmentRecord = { principal_type: 'group', principal_id: group.id, role_id: ownerRole.id, scope: PROJECT_ID, created_at: NOW - DAY };
    sandbox.state.roleAssignments.push(grant);
    try {
      const r = await review();
      expect(r.groups[0]?.roles.sort()).toEqual(['member', 'owner']);
      expect(r.flags.some((f) => f.startsWith('no_owner'))).toBe(false);
    } finally {
      sandbox.state.roleAssignments.splice(sandbox.state.roleAssignments.indexOf(grant), 1);
    }
  });

  it('a service account that owns the project does not count as an owner', async () => {
    const account = sandbox.state.serviceAccounts.get(PROJECT_ID)?.get('svc_acct_reviewlab');
    if (!account) throw new Error('no service account');
    account.role = 'owner';
    try {
      expect((await review()).flags.some((f) => f.startsWith('no_owner'))).toBe(true);
    } finally {
      account.role = 'member';
    }
  });
});

describe('an archived project', () => {
  it('still answers: refused sections are reported under unavailable, not thrown', async () => {
    const archived = pickArchivedProject(sandbox.state);
    const r = await ok<Review>(hostFor(client), 'access_review', { project: archived.name });
    expect(r.project).toEqual({ id: archived.id, name: archived.name, status: 'archived' });
    expect(r.unavailable?.map((u) => u.split(':')[0]).sort()).toEqual(['service_accounts', 'users']);
    expect(r.unavailable?.join('\n')).toMatch(/archived/);
    expect(r.keys.length).toBe(sandbox.state.projectApiKeys.get(archived.id)?.size);
    expect(r.flags.some((f) => f.startsWith('archived'))).toBe(true);
    // Without the member list nothing can be said about owners.
    expect(r.flags.some((f) => f.startsWith('no_owner'))).toBe(false);
  });

  it('a project archived through the server is reviewed the same way', async () => {
    const host = hostFor(client);
    const created = await ok<{ id: string }>(host, 'projects_create', { name: 'Soon Archived' });
    await ok(host, 'projects_users_create', { project_id: created.id, user_id: alice.id, role: 'owner' });
    const preview = await ok<{ confirmation_token: string }>(host, 'projects_archive', { project_id: created.id });
    await ok(host, 'projects_archive', { project_id: created.id, confirm: preview.confirmation_token });
    const r = await ok<Review>(host, 'access_review', { project: 'Soon Archived' });
    expect(r.project.status).toBe('archived');
    expect(r.unavailable).toHaveLength(2);
  });
});
