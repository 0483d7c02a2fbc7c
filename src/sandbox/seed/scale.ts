import type { Rng } from '../rng.js';
import type {
  GroupRecord,
  ProjectApiKeyRecord,
  ProjectRecord,
  ProjectRole,
  RoleAssignmentRecord,
  RoleRecord,
  SandboxState,
  ServiceAccountRecord,
  UserRecord,
} from '../state.js';
import { SANDBOX_DOMAIN } from './core.js';
import { seedActivity, type Workload } from './usage.js';
import type { OrgSize } from '../size.js';

/*
 * Larger organizations. `small` is the seeded organization as it always was (8 projects, 25 users);
 * `large` and `huge` grow it to hundreds or thousands of projects with this family, which runs after
 * every other one and draws from its own stream, so the first 8 projects and 25 users, their keys,
 * usage and audit log are the same at every size. The added projects follow the same rules: one in
 * twenty archived (no service accounts there, usage stopping at the archive date), an owner in most,
 * keys with a spread of last use, group access, and daily usage and costs from the keys' lifetimes.
 */

const DAY = 86_400;
const FIRST = ['Aiko', 'Bruno', 'Chidi', 'Dana', 'Elif', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jonas', 'Kira', 'Luca', 'Maya', 'Nils', 'Oona', 'Pavel', 'Rosa', 'Sami', 'Tariq', 'Uma', 'Vera', 'Wen', 'Yara', 'Zoe'];
const LAST = ['Abara', 'Berg', 'Costa', 'Dahl', 'Eze', 'Fox', 'Gil', 'Holm', 'Ito', 'Jung', 'Kane', 'Lund', 'Moss', 'Noor', 'Ortiz', 'Park', 'Quinn', 'Roy', 'Sato', 'Tran', 'Ueda', 'Voss', 'West', 'Yilmaz'];
const TEAMS = ['Search', 'Checkout', 'Onboarding', 'Fraud', 'Catalog', 'Insights', 'Mobile', 'Partner', 'Growth', 'Docs', 'Forecast', 'Routing', 'Ledger', 'Inbox', 'Voice'];
const KINDS = ['API', 'Bot', 'Pipeline', 'Assistant', 'Labs', 'Service', 'Evals', 'Sync'];
const ACCOUNT_NAMES = ['deploy-bot', 'batch-worker', 'ci-runner', 'sync-job', 'eval-runner'];
const KEY_NAMES = ['prod', 'staging', 'dev', 'notebook', 'backfill', 'cli', 'canary', 'worker'];

/** What each added project runs: one chat workload, so usage and costs grow with the projects. */
const ADDED_PLAN: readonly Workload[] = [
  { family: 'completions', model: 'gpt-4o-mini-2024-07-18', volume: 600, input: 900, output: 220, cached: 0.2, growth: 1.8, weekend: 0.45, service_tier: 'default' },
];

export function seedScale(state: SandboxState, rng: Rng, size: OrgSize): void {
  const orgStart = state.anchor - 760 * DAY;
  const users = addUsers(state, rng, size.users - state.users.size, orgStart);
  const projects = addProjects(state, rng, size.projects - state.projects.size, orgStart);
  if (projects.length === 0 && users.length === 0) return;
  const everyone = [...state.users.values()];
  const roles = predefinedProjectRoles(state);
  const assignments: RoleAssignmentRecord[] = [];
  const groups = addGroups(state, rng, everyone, Math.max(0, Math.round(size.projects / 10)));
  const keysLeft = Math.max(0, size.keys - countKeys(state));
  const keysPerProject = projects.length > 0 ? keysLeft / projects.length : 0;
  for (const project of projects) {
    const members = addMembers(state, rng, project, everyone, roles, assignments);
    const accounts = project.status === 'archived' ? [] : addAccounts(state, rng, project);
    addKeys(state, rng, project, members, accounts, keysPerProject);
    addGroupAccess(state, rng, project, groups, roles, assignments);
  }
  assignments.sort((a, b) => a.created_at - b.created_at);
  state.roleAssignments.push(...assignments);
  seedActivity(state, rng.fork('activity'), {}, ADDED_PLAN, new Set(projects.map((p) => p.id)));
}

function countKeys(state: SandboxState): number {
  let n = 0;
  for (const keys of state.projectApiKeys.values()) n += keys.size;
  return n;
}

/** `count` distinct indexes below `n`, without copying the pool (a pool of 20,000 users, 2,000 times). */
function sampleIndexes(rng: Rng, n: number, count: number): number[] {
  const chosen = new Set<number>();
  const want = Math.min(n, count);
  while (chosen.size < want) chosen.add(Math.floor(rng.next() * n));
  return [...chosen];
}

function addUsers(state: SandboxState, rng: Rng, count: number, orgStart: number): UserRecord[] {
  const added: UserRecord[] = [];
  for (let i = 0; i < count; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    // Joined over the organization's history, in order, like the small organization's members.
    const user: UserRecord = {
      object: 'organization.user',
      id: `user-${rng.token(24)}`,
      name: `${first} ${last}`,
      email: `${first}.${last}.${i + 1}`.toLowerCase() + `@${SANDBOX_DOMAIN}`,
      role: rng.chance(0.01) ? 'owner' : 'reader',
      added_at: orgStart + Math.floor(((i + 1) / (count + 1)) * 740 * DAY) + rng.int(0, DAY),
    };
    state.users.set(user.id, user);
    added.push(user);
  }
  return added;
}

function addProjects(state: SandboxState, rng: Rng, count: number, orgStart: number): ProjectRecord[] {
  const added: ProjectRecord[] = [];
  for (let i = 0; i < count; i++) {
    const created = orgStart + 40 * DAY + Math.floor((i / Math.max(1, count)) * 700 * DAY) + rng.int(0, DAY);
    const archived = rng.chance(0.05);
    const project: ProjectRecord = {
      id: `proj_${rng.token(24)}`,
      object: 'organization.project',
      // Numbered, so every name is unique and a name search has one answer.
      name: `${rng.pick(TEAMS)} ${rng.pick(KINDS)} ${String(i + 1).padStart(4, '0')}`,
      created_at: created,
      archived_at: archived ? Math.max(created + DAY, state.anchor - rng.int(1, 200) * DAY) : null,
      status: archived ? 'archived' : 'active',
      external_key_id: null,
      residency: null,
    };
    state.projects.set(project.id, project);
    added.push(project);
  }
  return added;
}

function predefinedProjectRoles(state: SandboxState): Map<string, RoleRecord> {
  const roles = new Map<string, RoleRecord>();
  for (const role of state.roles.values()) if (role.predefined_role && role.resource_type === 'api.project') roles.set(role.name, role);
  return roles;
}

function addGroups(state: SandboxState, rng: Rng, users: UserRecord[], count: number): GroupRecord[] {
  const added: GroupRecord[] = [];
  for (let i = 0; i < count; i++) {
    const group: GroupRecord = {
      id: `group_${rng.token(24)}`,
      name: `${rng.pick(TEAMS)} team ${String(i + 1).padStart(3, '0')}`,
      created_at: state.anchor - rng.int(30, 500) * DAY,
      is_scim_managed: rng.chance(0.3),
      group_type: 'group',
    };
    state.groups.set(group.id, group);
    const inner = state.scoped(state.groupUsers, group.id);
    const members = sampleIndexes(rng, users.length, rng.int(5, 40)).map((j) => users[j] as UserRecord);
    for (const user of members.sort((a, b) => a.added_at - b.added_at)) inner.set(user.id, Math.min(Math.max(group.created_at, user.added_at) + rng.int(0, 10 * DAY), state.anchor - DAY));
    added.push(group);
  }
  return added;
}

function addMembers(state: SandboxState, rng: Rng, project: ProjectRecord, users: UserRecord[], roles: Map<string, RoleRecord>, assignments: RoleAssignmentRecord[]): UserRecord[] {
  const members = sampleIndexes(rng, users.length, rng.int(4, 20)).map((j) => users[j] as UserRecord);
  // One project in twelve has no owner, so access reviews at scale have something to flag.
  const ownerless = rng.chance(1 / 12);
  const inner = state.scoped(state.projectUsers, project.id);
  members.forEach((user, j) => {
    const role: ProjectRole = !ownerless && (j === 0 || rng.chance(0.1)) ? 'owner' : 'member';
    const added_at = Math.min(Math.max(project.created_at, user.added_at) + rng.int(0, 5 * DAY), state.anchor - DAY);
    inner.set(user.id, { user_id: user.id, role, added_at });
    const predefined = roles.get(role);
    if (predefined) assignments.push({ id: `roleasgn_${rng.token(20)}`, principal_type: 'user', principal_id: user.id, role_id: predefined.id, scope: project.id, created_at: added_at });
  });
  return members;
}

function addAccounts(state: SandboxState, rng: Rng, project: ProjectRecord): ServiceAccountRecord[] {
  const accounts = state.scoped(state.serviceAccounts, project.id);
  const names = sampleIndexes(rng, ACCOUNT_NAMES.length, rng.int(1, 3)).map((j) => ACCOUNT_NAMES[j] as string);
  return names.map((name, j) => {
    const account: ServiceAccountRecord = {
      object: 'organization.project.service_account',
      id: `svc_acct_${rng.token(24)}`,
      name,
      role: j === 0 && rng.chance(0.3) ? 'owner' : 'member',
      created_at: Math.min(project.created_at + rng.int(1, 30) * DAY, state.anchor - 20 * DAY),
    };
    accounts.set(account.id, account);
    return account;
  });
}

function addKeys(state: SandboxState, rng: Rng, project: ProjectRecord, members: UserRecord[], accounts: ServiceAccountRecord[], perProject: number): void {
  const keys = state.scoped(state.projectApiKeys, project.id);
  const end = project.archived_at ?? state.anchor;
  const count = Math.max(1, Math.round(perProject * (0.5 + rng.next())));
  const made: ProjectApiKeyRecord[] = [];
  for (let k = 0; k < count; k++) {
    const account = accounts.length > 0 && rng.chance(0.4) ? rng.pick(accounts) : undefined;
    const user = account ? undefined : rng.pick(members);
    const from = Math.max(project.created_at, account?.created_at ?? 0, user ? Math.max(project.created_at, user.added_at) : 0);
    const created = from >= end - 10 * DAY ? from : rng.int(from, end - 10 * DAY);
    const r = rng.next();
    // Mostly used lately, some weeks ago, some stale, some never, as in the small organization.
    const lastUsed = r < 0.5 ? Math.max(created, end - rng.int(60, 3 * DAY)) : r < 0.72 ? Math.max(created, end - rng.int(5 * DAY, 60 * DAY)) : r < 0.87 ? Math.max(created, Math.min(end - 91 * DAY, created + rng.int(DAY, 200 * DAY))) : null;
    made.push({
      id: `key_${rng.token(16)}`,
      name: `${rng.pick(KEY_NAMES)}-${k + 1}`,
      redacted_value: `sk-${account ? 'svcacct' : 'proj'}...${rng.token(4)}`,
      created_at: created,
      last_used_at: lastUsed,
      owner: account ? { type: 'service_account', service_account_id: account.id } : { type: 'user', user_id: (user as UserRecord).id },
    });
  }
  // Lists are in creation order.
  for (const key of made.sort((a, b) => a.created_at - b.created_at)) keys.set(key.id, key);
}

function addGroupAccess(state: SandboxState, rng: Rng, project: ProjectRecord, groups: GroupRecord[], roles: Map<string, RoleRecord>, assignments: RoleAssignmentRecord[]): void {
  if (groups.length === 0 || !rng.chance(0.3)) return;
  const access = state.scoped(state.projectGroups, project.id);
  for (const j of sampleIndexes(rng, groups.length, rng.int(1, 2))) {
    const group = groups[j] as GroupRecord;
    const created = Math.min(Math.max(project.created_at, group.created_at) + rng.int(1, 30) * DAY, state.anchor - DAY);
    access.set(group.id, { group_id: group.id, created_at: created });
    const role = roles.get(rng.chance(0.2) ? 'owner' : rng.chance(0.5) ? 'member' : 'viewer');
    if (role) assignments.push({ id: `roleasgn_${rng.token(20)}`, principal_type: 'group', principal_id: group.id, role_id: role.id, scope: project.id, created_at: created });
  }
}
