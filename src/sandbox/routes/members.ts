import { conflict, invalid, notFound } from '../errors.js';
import { requireGroup, requireRole, requireUser } from '../lookup.js';
import { cursorIdPage, cursorNextPage, type LimitRule } from '../paginate.js';
import type { Body, QueryParams } from '../params.js';
import type { Route } from '../router.js';
import { assignedRoleObject, groupSummaryObject, roleObject, userObject } from '../serialize.js';
import type {
  GroupRecord,
  InviteRecord,
  OrgRole,
  ProjectRole,
  RoleAssignmentRecord,
  RoleRecord,
  SandboxState,
  UserRecord,
} from '../state.js';
import { INVITE_TTL_DAYS } from '../seed/members.js';

/*
 * Organization users, invites and groups, with their organization-level role assignments
 * (users.roles, groups.roles). Project-level assignments live with the project families.
 */

const DAY = 86_400;
const ORG_SCOPE = 'organization';
const ORG_ROLES = ['owner', 'reader'] as const satisfies readonly OrgRole[];
const PROJECT_ROLES = ['member', 'owner'] as const satisfies readonly ProjectRole[];

const USERS_LIMIT: LimitRule = { min: 1, max: 100, default: 20 };
const INVITES_LIMIT: LimitRule = { min: 1, max: 100, default: 20 };
const GROUPS_LIMIT: LimitRule = { min: 0, max: 1000, default: 100 };
/** The API documents 0-1000 for role-assignment lists but no default; 100 matches its sibling lists. */
const ASSIGNMENTS_LIMIT: LimitRule = { min: 0, max: 1000, default: 100 };

// ---------------------------------------------------------------------------------------------
// Shapes

function memberObject(user: UserRecord) {
  return {
    ...userObject(user),
    ...(user.technical_level !== undefined ? { technical_level: user.technical_level } : {}),
    ...(user.developer_persona !== undefined ? { developer_persona: user.developer_persona } : {}),
  };
}

/** A pending invite whose expiry has passed reads as expired. */
function inviteStatus(state: SandboxState, invite: InviteRecord): InviteRecord['status'] {
  if (invite.status === 'pending' && invite.expires_at !== null && invite.expires_at <= state.now()) return 'expired';
  return invite.status;
}

function inviteObject(state: SandboxState, invite: InviteRecord) {
  return {
    object: 'organization.invite' as const,
    id: invite.id,
    email: invite.email,
    role: invite.role,
    status: inviteStatus(state, invite),
    created_at: invite.created_at,
    expires_at: invite.expires_at,
    accepted_at: invite.accepted_at,
    projects: invite.projects.map((p) => ({ id: p.id, role: p.role })),
  };
}

function groupObject(group: GroupRecord) {
  return {
    id: group.id,
    name: group.name,
    created_at: group.created_at,
    is_scim_managed: group.is_scim_managed,
    group_type: group.group_type,
  };
}

function groupUserObject(user: UserRecord) {
  return { id: user.id, name: user.name, email: user.email };
}

function groupMemberObject(user: UserRecord) {
  return { id: user.id, name: user.name, email: user.email, picture: null, is_service_account: false, user_type: 'user' as const };
}

// ---------------------------------------------------------------------------------------------
// Look-ups and rules

function requireInvite(state: SandboxState, id: string): InviteRecord {
  const invite = state.invites.get(id);
  if (!invite) throw notFound('invite', id, 'invite_id');
  return invite;
}

function members(state: SandboxState, groupId: string): Map<string, number> {
  return state.scoped(state.groupUsers, groupId);
}

/** SCIM-managed groups belong to the identity provider: their name and members are changed there. */
function requireUnmanagedGroup(group: GroupRecord, action: string): void {
  if (group.is_scim_managed) {
    throw invalid('group_id', `Group '${group.id}' is managed through SCIM; ${action} in your identity provider instead.`, 'scim_managed_group');
  }
}

/** Only organization roles can be assigned through users.roles and groups.roles. */
function requireOrgRole(state: SandboxState, roleId: string): RoleRecord {
  const role = requireRole(state, roleId, 'role_id');
  if (role.resource_type !== 'api.organization') {
    throw invalid(
      'role_id',
      `Role '${roleId}' is a project role (resource_type '${role.resource_type}'); only organization roles can be assigned here.`,
      'invalid_role_type',
    );
  }
  return role;
}

function directAssignments(state: SandboxState, type: 'user' | 'group', principalId: string): RoleAssignmentRecord[] {
  return state.roleAssignments.filter((a) => a.principal_type === type && a.principal_id === principalId && a.scope === ORG_SCOPE);
}

/**
 * The organization roles a principal holds, one entry per role, with every assignment it comes
 * from. A user also holds the roles of the groups they belong to. Ordered by first assignment.
 */
function heldRoles(state: SandboxState, type: 'user' | 'group', principalId: string) {
  const sources = directAssignments(state, type, principalId);
  if (type === 'user') {
    for (const [groupId, inner] of state.groupUsers) {
      if (inner.has(principalId) && state.groups.has(groupId)) sources.push(...directAssignments(state, 'group', groupId));
    }
  }
  const byRole = new Map<string, { role: RoleRecord; assignments: RoleAssignmentRecord[]; since: number }>();
  for (const assignment of sources) {
    const role = state.roles.get(assignment.role_id);
    if (!role) continue;
    const entry = byRole.get(role.id) ?? { role, assignments: [], since: assignment.created_at };
    entry.assignments.push(assignment);
    entry.since = Math.min(entry.since, assignment.created_at);
    byRole.set(role.id, entry);
  }
  return [...byRole.values()].sort((a, b) => a.since - b.since);
}

function assignedRole(state: SandboxState, type: 'user' | 'group', principalId: string, roleId: string) {
  requireRole(state, roleId, 'role_id');
  const held = heldRoles(state, type, principalId).find((entry) => entry.role.id === roleId);
  if (!held) throw notFound(`organization role assigned to ${type} '${principalId}'`, roleId, 'role_id');
  return held;
}

function holdsDirectly(state: SandboxState, type: 'user' | 'group', principalId: string, roleId: string): boolean {
  return directAssignments(state, type, principalId).some((a) => a.role_id === roleId);
}

/** Assigning a role the principal already holds directly is a conflict, as for project roles. */
function assign(state: SandboxState, type: 'user' | 'group', principalId: string, role: RoleRecord): void {
  if (holdsDirectly(state, type, principalId, role.id)) {
    throw conflict(`${type === 'user' ? 'User' : 'Group'} '${principalId}' already has organization role '${role.name}' (${role.id}).`, 'role_id');
  }
  const assignment: RoleAssignmentRecord = {
    id: state.newId('roleasgn'),
    principal_type: type,
    principal_id: principalId,
    role_id: role.id,
    scope: ORG_SCOPE,
    created_at: state.now(),
  };
  state.roleAssignments.push(assignment);
  state.audit('role.assignment.created', assignmentEvent(assignment));
}

function assignmentEvent(a: RoleAssignmentRecord) {
  return {
    id: a.id ?? `${a.scope}:${a.principal_type}:${a.principal_id}:${a.role_id}`,
    principal_id: a.principal_id,
    principal_type: a.principal_type,
    resource_id: a.scope,
    resource_type: 'api.organization',
  };
}

function unassign(state: SandboxState, type: 'user' | 'group', principalId: string, roleId: string): void {
  const { role } = assignedRole(state, type, principalId, roleId);
  const index = state.roleAssignments.findIndex(
    (a) => a.principal_type === type && a.principal_id === principalId && a.role_id === role.id && a.scope === ORG_SCOPE,
  );
  if (index < 0) {
    // Held only through a group: it has to be removed from the group.
    throw invalid(
      'role_id',
      `Role '${roleId}' is not assigned to user '${principalId}' directly; it comes from a group. Unassign it from the group instead.`,
      'inherited_role',
    );
  }
  const [removed] = state.roleAssignments.splice(index, 1);
  state.audit('role.assignment.deleted', assignmentEvent(removed as RoleAssignmentRecord));
}

function removeAssignmentsOf(state: SandboxState, type: 'user' | 'group', principalId: string): void {
  for (let i = state.roleAssignments.length - 1; i >= 0; i--) {
    const a = state.roleAssignments[i] as RoleAssignmentRecord;
    if (a.principal_type === type && a.principal_id === principalId) state.roleAssignments.splice(i, 1);
  }
}

function assignmentsPage(state: SandboxState, type: 'user' | 'group', principalId: string, q: QueryParams) {
  const held = heldRoles(state, type, principalId);
  const page = cursorNextPage(held, q, { limit: ASSIGNMENTS_LIMIT, order: true, idOf: (entry) => entry.role.id });
  return { ...page, data: page.data.map((entry) => assignedRoleObject(state, entry.role, entry.assignments)) };
}

function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

// ---------------------------------------------------------------------------------------------
// Routes

const users: Route[] = [
  {
    method: 'GET',
    path: '/organization/users',
    handle: ({ query, state }) => {
      const emails = query.array('emails')?.map((e) => e.toLowerCase());
      let list = [...state.users.values()];
      if (emails) list = list.filter((u) => emails.includes(u.email.toLowerCase()));
      const page = cursorIdPage(list, query, { limit: USERS_LIMIT });
      return { ...page, data: page.data.map(memberObject) };
    },
  },
  {
    method: 'GET',
    path: '/organization/users/{user_id}',
    handle: ({ params, state }) => memberObject(requireUser(state, params.user_id as string)),
  },
  {
    method: 'POST',
    path: '/organization/users/{user_id}',
    handle: ({ params, body, state }) => {
      const user = requireUser(state, params.user_id as string);
      body.only(['role', 'role_id', 'technical_level', 'developer_persona']);
      const role = body.enum('role', ORG_ROLES, { nullable: true });
      const roleId = body.string('role_id', { nullable: true, minLength: 1 });
      const technical = body.string('technical_level', { nullable: true });
      const persona = body.string('developer_persona', { nullable: true });
      if (body.keys().length === 0) {
        throw invalid('role', 'Nothing to update: provide role, role_id, technical_level or developer_persona.');
      }
      const orgRole = roleId === undefined ? undefined : requireOrgRole(state, roleId);

      const changes: Record<string, unknown> = {};
      if (role !== undefined && role !== user.role) {
        user.role = role;
        changes.role = role;
      }
      if (body.has('technical_level')) user.technical_level = technical ?? null;
      if (body.has('developer_persona')) user.developer_persona = persona ?? null;
      // An update converges: a role the user already holds directly stays as it is.
      if (orgRole && !holdsDirectly(state, 'user', user.id, orgRole.id)) assign(state, 'user', user.id, orgRole);
      if (Object.keys(changes).length > 0) state.audit('user.updated', { id: user.id, changes_requested: changes });
      return memberObject(user);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/users/{user_id}',
    handle: ({ params, state }) => {
      const user = requireUser(state, params.user_id as string);
      state.users.delete(user.id);
      for (const inner of state.projectUsers.values()) inner.delete(user.id);
      for (const inner of state.groupUsers.values()) inner.delete(user.id);
      removeAssignmentsOf(state, 'user', user.id);
      // The project API keys the user owned stop working with them; admin keys they created belong
      // to the organization and stay.
      for (const [projectId, keys] of state.projectApiKeys) {
        const project = state.projects.get(projectId);
        for (const key of [...keys.values()]) {
          if (key.owner.type !== 'user' || key.owner.user_id !== user.id) continue;
          keys.delete(key.id);
          state.audit('api_key.deleted', { id: key.id }, project ? { id: project.id, name: project.name } : undefined);
        }
      }
      state.audit('user.deleted', { id: user.id });
      return { object: 'organization.user.deleted', id: user.id, deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/organization/users/{user_id}/roles',
    handle: ({ params, query, state }) => {
      const user = requireUser(state, params.user_id as string);
      return assignmentsPage(state, 'user', user.id, query);
    },
  },
  {
    method: 'POST',
    path: '/organization/users/{user_id}/roles',
    handle: ({ params, body, state }) => {
      const user = requireUser(state, params.user_id as string);
      body.only(['role_id']);
      const role = requireOrgRole(state, body.string('role_id', { required: true, minLength: 1 }) as string);
      assign(state, 'user', user.id, role);
      return { object: 'user.role', user: userObject(user), role: roleObject(role) };
    },
  },
  {
    method: 'GET',
    path: '/organization/users/{user_id}/roles/{role_id}',
    handle: ({ params, state }) => {
      const user = requireUser(state, params.user_id as string);
      const { role, assignments } = assignedRole(state, 'user', user.id, params.role_id as string);
      return assignedRoleObject(state, role, assignments);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/users/{user_id}/roles/{role_id}',
    handle: ({ params, state }) => {
      const user = requireUser(state, params.user_id as string);
      unassign(state, 'user', user.id, params.role_id as string);
      return { object: 'user.role.deleted', deleted: true };
    },
  },
];

const invites: Route[] = [
  {
    method: 'GET',
    path: '/organization/invites',
    handle: ({ query, state }) => {
      const page = cursorIdPage([...state.invites.values()], query, { limit: INVITES_LIMIT });
      return { ...page, data: page.data.map((invite) => inviteObject(state, invite)) };
    },
  },
  {
    method: 'POST',
    path: '/organization/invites',
    handle: ({ body, state }) => {
      body.only(['email', 'role', 'projects']);
      const email = (body.string('email', { required: true }) as string).trim();
      if (!isEmail(email)) throw invalid('email', `Invalid 'email': '${email}' is not an email address.`);
      const role = body.enum('role', ORG_ROLES, { required: true }) as OrgRole;
      const projects = readInviteProjects(state, body);

      const lower = email.toLowerCase();
      if ([...state.users.values()].some((u) => u.email.toLowerCase() === lower)) {
        throw conflict(`'${email}' is already a member of this organization.`, 'email');
      }
      const pending = [...state.invites.values()].find((i) => i.email.toLowerCase() === lower && inviteStatus(state, i) === 'pending');
      if (pending) {
        throw conflict(`'${email}' already has a pending invite (${pending.id}).`, 'email');
      }

      const now = state.now();
      const invite: InviteRecord = {
        object: 'organization.invite',
        id: state.newId('invite').replace(/^invite_/, 'invite-'),
        email,
        role,
        status: 'pending',
        created_at: now,
        expires_at: now + INVITE_TTL_DAYS * DAY,
        accepted_at: null,
        projects,
      };
      state.invites.set(invite.id, invite);
      state.audit('invite.sent', { id: invite.id, data: { email, role } });
      return inviteObject(state, invite);
    },
  },
  {
    method: 'GET',
    path: '/organization/invites/{invite_id}',
    handle: ({ params, state }) => inviteObject(state, requireInvite(state, params.invite_id as string)),
  },
  {
    method: 'DELETE',
    path: '/organization/invites/{invite_id}',
    handle: ({ params, state }) => {
      const invite = requireInvite(state, params.invite_id as string);
      if (invite.status === 'accepted') {
        throw invalid('invite_id', `Invite '${invite.id}' has already been accepted and cannot be deleted.`, 'invite_accepted');
      }
      state.invites.delete(invite.id);
      state.audit('invite.deleted', { id: invite.id });
      return { object: 'organization.invite.deleted', id: invite.id, deleted: true };
    },
  },
];

/** Omitted: the default project, as a member. An empty list: no projects. */
function readInviteProjects(state: SandboxState, body: Body): Array<{ id: string; role: ProjectRole }> {
  const items = body.objectArray('projects');
  if (items === undefined) {
    const fallback = [...state.projects.values()].find((p) => p.status === 'active');
    return fallback ? [{ id: fallback.id, role: 'member' }] : [];
  }
  const seen = new Set<string>();
  return items.map((item, i) => {
    item.only(['id', 'role']);
    const id = item.string('id', { required: true, minLength: 1 }) as string;
    const role = item.enum('role', PROJECT_ROLES, { required: true }) as ProjectRole;
    const param = `projects[${i}].id`;
    const project = state.projects.get(id);
    if (!project) throw notFound('project', id, param);
    if (project.status === 'archived') {
      throw invalid(param, `Project '${id}' is archived; invites cannot grant access to archived projects.`, 'project_archived');
    }
    if (seen.has(id)) throw invalid(param, `Project '${id}' is listed more than once.`);
    seen.add(id);
    return { id, role };
  });
}

const groups: Route[] = [
  {
    method: 'GET',
    path: '/organization/groups',
    handle: ({ query, state }) => {
      const page = cursorNextPage([...state.groups.values()], query, { limit: GROUPS_LIMIT, order: true });
      return { ...page, data: page.data.map(groupObject) };
    },
  },
  {
    method: 'POST',
    path: '/organization/groups',
    handle: ({ body, state }) => {
      body.only(['name']);
      const name = body.string('name', { required: true, minLength: 1, maxLength: 255 }) as string;
      const group: GroupRecord = { id: state.newId('group'), name, created_at: state.now(), is_scim_managed: false, group_type: 'group' };
      state.groups.set(group.id, group);
      state.audit('group.created', { id: group.id, data: { group_name: name } });
      return groupObject(group);
    },
  },
  {
    method: 'GET',
    path: '/organization/groups/{group_id}',
    handle: ({ params, state }) => groupObject(requireGroup(state, params.group_id as string)),
  },
  {
    method: 'POST',
    path: '/organization/groups/{group_id}',
    handle: ({ params, body, state }) => {
      const group = requireGroup(state, params.group_id as string);
      body.only(['name']);
      const name = body.string('name', { required: true, minLength: 1, maxLength: 255 }) as string;
      requireUnmanagedGroup(group, 'rename it');
      if (name !== group.name) {
        group.name = name;
        state.audit('group.updated', { id: group.id, changes_requested: { group_name: name } });
      }
      return { id: group.id, name: group.name, created_at: group.created_at, is_scim_managed: group.is_scim_managed };
    },
  },
  {
    method: 'DELETE',
    path: '/organization/groups/{group_id}',
    handle: ({ params, state }) => {
      const group = requireGroup(state, params.group_id as string);
      requireUnmanagedGroup(group, 'delete it');
      state.groups.delete(group.id);
      state.groupUsers.delete(group.id);
      for (const inner of state.projectGroups.values()) inner.delete(group.id);
      removeAssignmentsOf(state, 'group', group.id);
      state.audit('group.deleted', { id: group.id });
      return { object: 'group.deleted', id: group.id, deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/organization/groups/{group_id}/users',
    handle: ({ params, query, state }) => {
      const group = requireGroup(state, params.group_id as string);
      // Default order is newest first here, unlike the other lists.
      const order = query.enum('order', ['asc', 'desc'] as const, 'desc');
      const list = [...members(state, group.id).keys()].map((id) => state.users.get(id)).filter((u): u is UserRecord => u !== undefined);
      if (order === 'desc') list.reverse();
      const page = cursorNextPage(list, query, { limit: GROUPS_LIMIT });
      return { ...page, data: page.data.map(groupUserObject) };
    },
  },
  {
    method: 'POST',
    path: '/organization/groups/{group_id}/users',
    handle: ({ params, body, state }) => {
      const group = requireGroup(state, params.group_id as string);
      body.only(['user_id']);
      const userId = body.string('user_id', { required: true, minLength: 1 }) as string;
      const user = requireUser(state, userId, 'user_id');
      requireUnmanagedGroup(group, 'change its members');
      const inner = members(state, group.id);
      if (inner.has(user.id)) throw conflict(`User '${user.id}' is already a member of group '${group.id}'.`, 'user_id');
      inner.set(user.id, state.now());
      return { object: 'group.user', user_id: user.id, group_id: group.id };
    },
  },
  {
    method: 'GET',
    path: '/organization/groups/{group_id}/users/{user_id}',
    handle: ({ params, state }) => {
      const group = requireGroup(state, params.group_id as string);
      const user = requireUser(state, params.user_id as string);
      if (!members(state, group.id).has(user.id)) throw notFound(`member of group '${group.id}'`, user.id, 'user_id');
      return groupMemberObject(user);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/groups/{group_id}/users/{user_id}',
    handle: ({ params, state }) => {
      const group = requireGroup(state, params.group_id as string);
      const user = requireUser(state, params.user_id as string);
      const inner = members(state, group.id);
      if (!inner.has(user.id)) throw notFound(`member of group '${group.id}'`, user.id, 'user_id');
      requireUnmanagedGroup(group, 'change its members');
      inner.delete(user.id);
      return { object: 'group.user.deleted', deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/organization/groups/{group_id}/roles',
    handle: ({ params, query, state }) => {
      const group = requireGroup(state, params.group_id as string);
      return assignmentsPage(state, 'group', group.id, query);
    },
  },
  {
    method: 'POST',
    path: '/organization/groups/{group_id}/roles',
    handle: ({ params, body, state }) => {
      const group = requireGroup(state, params.group_id as string);
      body.only(['role_id']);
      const role = requireOrgRole(state, body.string('role_id', { required: true, minLength: 1 }) as string);
      assign(state, 'group', group.id, role);
      return { object: 'group.role', group: groupSummaryObject(group), role: roleObject(role) };
    },
  },
  {
    method: 'GET',
    path: '/organization/groups/{group_id}/roles/{role_id}',
    handle: ({ params, state }) => {
      const group = requireGroup(state, params.group_id as string);
      const { role, assignments } = assignedRole(state, 'group', group.id, params.role_id as string);
      return assignedRoleObject(state, role, assignments);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/groups/{group_id}/roles/{role_id}',
    handle: ({ params, state }) => {
      const group = requireGroup(state, params.group_id as string);
      unassign(state, 'group', group.id, params.role_id as string);
      return { object: 'group.role.deleted', deleted: true };
    },
  },
];

export const routes: Route[] = [...users, ...invites, ...groups];
