import { SandboxError, conflict, invalid, notFound } from '../errors.js';
import { requireActiveProject, requireGroup, requireProject, requireUser } from '../lookup.js';
import { cursorNextPage, type LimitRule } from '../paginate.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import { assignedRoleObject, groupSummaryObject, roleObject, userObject } from '../serialize.js';
import type { ProjectRecord, RoleAssignmentRecord, RoleRecord, SandboxState } from '../state.js';

/*
 * Organization roles, project roles, and project-scoped role assignments for users and groups.
 * Organization roles have resource_type `api.organization`; project roles `api.project`. Predefined
 * project roles (project_id null) are usable in every project; custom ones belong to one project.
 */

const ROLE_LIST_LIMIT: LimitRule = { min: 0, max: 1000, default: 1000 };
/** Assignment lists document 0..1000 and no default; the sandbox uses the maximum. */
const ASSIGNMENT_LIST_LIMIT: LimitRule = { min: 0, max: 1000, default: 1000 };

// ---------------------------------------------------------------------------------------------
// Look-ups shared with project-groups.ts

export function orgRoles(state: SandboxState): RoleRecord[] {
  return [...state.roles.values()].filter((r) => r.resource_type === 'api.organization');
}

/** Roles usable in a project: the predefined project roles and the project's own custom roles. */
export function projectRoles(state: SandboxState, projectId: string): RoleRecord[] {
  return [...state.roles.values()].filter(
    (r) => r.resource_type === 'api.project' && (r.project_id === null || r.project_id === projectId),
  );
}

export function requireOrgRole(state: SandboxState, id: string, param = 'role_id'): RoleRecord {
  const role = state.roles.get(id);
  if (!role || role.resource_type !== 'api.organization') throw notFound('role', id, param);
  return role;
}

/** A role usable in this project; a custom role of another project is not found here. */
export function requireProjectRole(state: SandboxState, projectId: string, id: string, param = 'role_id'): RoleRecord {
  const role = state.roles.get(id);
  if (!role || role.resource_type !== 'api.project' || (role.project_id !== null && role.project_id !== projectId)) {
    throw notFound('project role', id, param);
  }
  return role;
}

/** Records a new project-scoped assignment and its audit event. */
export function addProjectAssignment(
  state: SandboxState,
  project: ProjectRecord,
  principal_type: 'user' | 'group',
  principal_id: string,
  role: RoleRecord,
): RoleAssignmentRecord {
  const assignment: RoleAssignmentRecord = {
    id: state.newId('roleasgn'),
    principal_type,
    principal_id,
    role_id: role.id,
    scope: project.id,
    created_at: state.now(),
  };
  state.roleAssignments.push(assignment);
  state.audit('role.assignment.created', assignmentEvent(assignment, role), { id: project.id, name: project.name });
  return assignment;
}

/** Removes the assignments matching `match`, recording one audit event each. Returns how many went. */
export function removeAssignments(
  state: SandboxState,
  match: (a: RoleAssignmentRecord) => boolean,
  project?: ProjectRecord,
): number {
  let removed = 0;
  for (let i = state.roleAssignments.length - 1; i >= 0; i--) {
    const a = state.roleAssignments[i] as RoleAssignmentRecord;
    if (!match(a)) continue;
    state.roleAssignments.splice(i, 1);
    removed += 1;
    const role = state.roles.get(a.role_id);
    if (role) state.audit('role.assignment.deleted', assignmentEvent(a, role), project ? { id: project.id, name: project.name } : undefined);
  }
  return removed;
}

function assignmentEvent(a: RoleAssignmentRecord, role: RoleRecord) {
  return {
    id: a.id ?? `${a.scope}:${a.principal_type}:${a.principal_id}:${a.role_id}`,
    principal_id: a.principal_id,
    principal_type: a.principal_type,
    resource_id: a.scope,
    resource_type: role.resource_type,
  };
}

// ---------------------------------------------------------------------------------------------
// Role bodies

function readPermissions(body: Body, required: boolean): string[] | undefined {
  const permissions = body.stringArray('permissions', { required, nullable: !required });
  if (permissions === undefined) return undefined;
  for (const p of permissions) {
    if (p.trim() === '') throw invalid('permissions', "Invalid 'permissions': permission strings must not be empty.");
  }
  return [...new Set(permissions)];
}

function readRoleName(body: Body, required: boolean): string | undefined {
  const name = body.string('role_name', { required, nullable: !required });
  if (name === undefined) return undefined;
  if (name.trim() === '') throw invalid('role_name', "Invalid 'role_name': must not be empty.");
  return name.trim();
}

function requireUniqueName(peers: readonly RoleRecord[], name: string, scope: string, exceptId?: string): void {
  const lower = name.toLowerCase();
  const clash = peers.find((r) => r.id !== exceptId && r.name.toLowerCase() === lower);
  if (clash) throw conflict(`A role named '${clash.name}' already exists in ${scope} (${clash.id}).`, 'role_name');
}

function refusePredefined(role: RoleRecord, action: string): void {
  if (role.predefined_role) {
    throw invalid('role_id', `Role '${role.name}' (${role.id}) is predefined and cannot be ${action}.`, 'predefined_role');
  }
}

function createRole(state: SandboxState, body: Body, peers: readonly RoleRecord[], project: ProjectRecord | null): RoleRecord {
  body.only(['role_name', 'permissions', 'description']);
  const name = readRoleName(body, true) as string;
  const permissions = readPermissions(body, true) as string[];
  const description = body.string('description', { nullable: true }) ?? null;
  requireUniqueName(peers, name, project ? `project ${project.id}` : 'the organization');
  const now = state.now();
  const role: RoleRecord = {
    object: 'role',
    id: state.newId('role'),
    name,
    description,
    permissions,
    resource_type: project ? 'api.project' : 'api.organization',
    predefined_role: false,
    project_id: project ? project.id : null,
    created_at: now,
    updated_at: now,
  };
  state.roles.set(role.id, role);
  state.audit(
    'role.created',
    {
      id: role.id,
      role_name: role.name,
      permissions: [...role.permissions],
      resource_type: role.resource_type,
      ...(project ? { resource_id: project.id } : {}),
    },
    project ? { id: project.id, name: project.name } : undefined,
  );
  return role;
}

function updateRole(state: SandboxState, role: RoleRecord, body: Body, peers: readonly RoleRecord[], project: ProjectRecord | null): RoleRecord {
  refusePredefined(role, 'updated');
  body.only(['role_name', 'permissions', 'description']);
  const name = readRoleName(body, false);
  const permissions = readPermissions(body, false);
  const description = body.string('description', { nullable: true });
  const clearDescription = body.isNull('description');
  if (name !== undefined) requireUniqueName(peers, name, project ? `project ${project.id}` : 'the organization', role.id);

  const changes: Record<string, unknown> = { resource_type: role.resource_type };
  if (project) changes.resource_id = project.id;
  if (name !== undefined && name !== role.name) {
    role.name = name;
    changes.role_name = name;
  }
  if (permissions !== undefined) {
    const before = new Set(role.permissions);
    const after = new Set(permissions);
    changes.permissions_added = permissions.filter((p) => !before.has(p));
    changes.permissions_removed = role.permissions.filter((p) => !after.has(p));
    role.permissions = permissions;
  }
  if (description !== undefined) {
    role.description = description;
    changes.description = description;
  } else if (clearDescription) {
    role.description = null;
  }
  if (body.keys().length > 0) {
    role.updated_at = state.now();
    state.audit('role.updated', { id: role.id, changes_requested: changes }, project ? { id: project.id, name: project.name } : undefined);
  }
  return role;
}

function deleteRole(state: SandboxState, role: RoleRecord, project: ProjectRecord | null) {
  refusePredefined(role, 'deleted');
  // Deleting a role takes every assignment of it with it, in every scope.
  state.roleAssignments.splice(
    0,
    state.roleAssignments.length,
    ...state.roleAssignments.filter((a) => a.role_id !== role.id),
  );
  state.roles.delete(role.id);
  state.audit('role.deleted', { id: role.id }, project ? { id: project.id, name: project.name } : undefined);
  return { object: 'role.deleted' as const, id: role.id, deleted: true };
}

// ---------------------------------------------------------------------------------------------
// Assignments

/** Whether a group currently reaches this project (it still exists and is added to the project). */
function groupInProject(state: SandboxState, projectId: string, groupId: string): boolean {
  return state.groups.has(groupId) && (state.projectGroups.get(projectId)?.has(groupId) ?? false);
}

/**
 * The project roles a user holds: direct assignments plus those of the project's groups the user
 * belongs to, each role once with every principal it comes from, in order of first assignment.
 */
function userProjectRoles(state: SandboxState, projectId: string, userId: string): Map<string, RoleAssignmentRecord[]> {
  const held = new Map<string, RoleAssignmentRecord[]>();
  for (const a of state.roleAssignments) {
    if (a.scope !== projectId || !state.roles.has(a.role_id)) continue;
    const direct = a.principal_type === 'user' && a.principal_id === userId;
    const viaGroup =
      a.principal_type === 'group' &&
      groupInProject(state, projectId, a.principal_id) &&
      (state.groupUsers.get(a.principal_id)?.has(userId) ?? false);
    if (!direct && !viaGroup) continue;
    const sources = held.get(a.role_id) ?? [];
    sources.push(a);
    held.set(a.role_id, sources);
  }
  return held;
}

function groupProjectRoles(state: SandboxState, projectId: string, groupId: string): Map<string, RoleAssignmentRecord[]> {
  const held = new Map<string, RoleAssignmentRecord[]>();
  for (const a of state.roleAssignments) {
    if (a.scope !== projectId || a.principal_type !== 'group' || a.principal_id !== groupId || !state.roles.has(a.role_id)) continue;
    held.set(a.role_id, [...(held.get(a.role_id) ?? []), a]);
  }
  return held;
}

function assignedList(state: SandboxState, held: Map<string, RoleAssignmentRecord[]>) {
  return [...held].map(([roleId, sources]) => assignedRoleObject(state, state.roles.get(roleId) as RoleRecord, sources));
}

/** A 404 for a missing assignment, where `notFound`'s "No X found with id" wording does not fit. */
function noAssignment(message: string): SandboxError {
  return new SandboxError(404, 'invalid_request_error', message, 'role_id', 'not_found');
}

/** The project role named in an assignment body; an organization role is the wrong kind (400). */
export function readAssignableRole(state: SandboxState, projectId: string, body: Body, param: string): RoleRecord {
  const roleId = body.string(param, { required: true, minLength: 1 }) as string;
  const role = state.roles.get(roleId);
  if (role && role.resource_type !== 'api.project') {
    throw invalid(
      param,
      `Role '${roleId}' is an organization role (resource_type '${role.resource_type}'); only project roles can be assigned in a project.`,
      'invalid_role_type',
    );
  }
  return requireProjectRole(state, projectId, roleId, param);
}

function findDirect(state: SandboxState, scope: string, type: 'user' | 'group', principalId: string, roleId: string) {
  return state.roleAssignments.find(
    (a) => a.scope === scope && a.principal_type === type && a.principal_id === principalId && a.role_id === roleId,
  );
}

// ---------------------------------------------------------------------------------------------

export const routes: Route[] = [
  // roles
  {
    method: 'GET',
    path: '/organization/roles',
    handle: ({ state, query }) => cursorNextPage(orgRoles(state).map(roleObject), query, { limit: ROLE_LIST_LIMIT, order: true }),
  },
  {
    method: 'POST',
    path: '/organization/roles',
    handle: ({ state, body }) => roleObject(createRole(state, body, orgRoles(state), null)),
  },
  {
    method: 'GET',
    path: '/organization/roles/{role_id}',
    handle: ({ state, params }) => roleObject(requireOrgRole(state, params.role_id as string)),
  },
  {
    method: 'POST',
    path: '/organization/roles/{role_id}',
    handle: ({ state, params, body }) => {
      const role = requireOrgRole(state, params.role_id as string);
      return roleObject(updateRole(state, role, body, orgRoles(state), null));
    },
  },
  {
    method: 'DELETE',
    path: '/organization/roles/{role_id}',
    handle: ({ state, params }) => deleteRole(state, requireOrgRole(state, params.role_id as string), null),
  },

  // projects.roles
  {
    method: 'GET',
    path: '/projects/{project_id}/roles',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      return cursorNextPage(projectRoles(state, project.id).map(roleObject), query, { limit: ROLE_LIST_LIMIT, order: true });
    },
  },
  {
    method: 'POST',
    path: '/projects/{project_id}/roles',
    handle: ({ state, params, body }) => {
      const project = requireActiveProject(state, params.project_id as string);
      return roleObject(createRole(state, body, projectRoles(state, project.id), project));
    },
  },
  {
    method: 'GET',
    path: '/projects/{project_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      return roleObject(requireProjectRole(state, project.id, params.role_id as string));
    },
  },
  {
    method: 'POST',
    path: '/projects/{project_id}/roles/{role_id}',
    handle: ({ state, params, body }) => {
      const project = requireProject(state, params.project_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      requireActiveProject(state, project.id);
      return roleObject(updateRole(state, role, body, projectRoles(state, project.id), project));
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{project_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      requireActiveProject(state, project.id);
      return deleteRole(state, role, project);
    },
  },

  // projects.users.roles
  {
    method: 'GET',
    path: '/projects/{project_id}/users/{user_id}/roles',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      const user = requireUser(state, params.user_id as string);
      const items = assignedList(state, userProjectRoles(state, project.id, user.id));
      return cursorNextPage(items, query, { limit: ASSIGNMENT_LIST_LIMIT, order: true });
    },
  },
  {
    method: 'POST',
    path: '/projects/{project_id}/users/{user_id}/roles',
    handle: ({ state, params, body }) => {
      const project = requireProject(state, params.project_id as string);
      const user = requireUser(state, params.user_id as string);
      body.only(['role_id']);
      const role = readAssignableRole(state, project.id, body, 'role_id');
      requireActiveProject(state, project.id);
      if (!state.projectUsers.get(project.id)?.has(user.id)) {
        throw invalid('user_id', `User '${user.id}' is not a member of project '${project.id}'; add them to the project first.`, 'user_not_in_project');
      }
      if (findDirect(state, project.id, 'user', user.id, role.id)) {
        throw conflict(`User '${user.id}' already has role '${role.name}' (${role.id}) in project '${project.id}'.`, 'role_id');
      }
      addProjectAssignment(state, project, 'user', user.id, role);
      return { object: 'user.role' as const, user: userObject(user), role: roleObject(role) };
    },
  },
  {
    method: 'GET',
    path: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const user = requireUser(state, params.user_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      const sources = userProjectRoles(state, project.id, user.id).get(role.id);
      if (!sources) throw noAssignment(`User '${user.id}' does not hold role '${role.id}' in project '${project.id}'.`);
      return assignedRoleObject(state, role, sources);
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const user = requireUser(state, params.user_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      requireActiveProject(state, project.id);
      const direct = findDirect(state, project.id, 'user', user.id, role.id);
      if (!direct) {
        if (userProjectRoles(state, project.id, user.id).has(role.id)) {
          // Held only through a group: it has to be removed from the group.
          throw invalid(
            'role_id',
            `Role '${role.id}' is not assigned to user '${user.id}' directly in project '${project.id}'; it comes from a group. Unassign it from the group instead.`,
            'inherited_role',
          );
        }
        throw noAssignment(`User '${user.id}' does not hold role '${role.id}' in project '${project.id}'.`);
      }
      removeAssignments(state, (a) => a === direct, project);
      return { object: 'user.role.deleted', deleted: true };
    },
  },

  // projects.groups.roles
  {
    method: 'GET',
    path: '/projects/{project_id}/groups/{group_id}/roles',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      const group = requireGroup(state, params.group_id as string);
      const items = assignedList(state, groupProjectRoles(state, project.id, group.id));
      return cursorNextPage(items, query, { limit: ASSIGNMENT_LIST_LIMIT, order: true });
    },
  },
  {
    method: 'POST',
    path: '/projects/{project_id}/groups/{group_id}/roles',
    handle: ({ state, params, body }) => {
      const project = requireProject(state, params.project_id as string);
      const group = requireGroup(state, params.group_id as string);
      body.only(['role_id']);
      const role = readAssignableRole(state, project.id, body, 'role_id');
      requireActiveProject(state, project.id);
      if (!state.projectGroups.get(project.id)?.has(group.id)) {
        throw invalid('group_id', `Group '${group.id}' has no access to project '${project.id}'; add it to the project first.`, 'group_not_in_project');
      }
      if (findDirect(state, project.id, 'group', group.id, role.id)) {
        throw conflict(`Group '${group.id}' already has role '${role.name}' (${role.id}) in project '${project.id}'.`, 'role_id');
      }
      addProjectAssignment(state, project, 'group', group.id, role);
      return { object: 'group.role' as const, group: groupSummaryObject(group), role: roleObject(role) };
    },
  },
  {
    method: 'GET',
    path: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const group = requireGroup(state, params.group_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      const sources = groupProjectRoles(state, project.id, group.id).get(role.id);
      if (!sources) throw noAssignment(`Group '${group.id}' does not hold role '${role.id}' in project '${project.id}'.`);
      return assignedRoleObject(state, role, sources);
    },
  },
  {
    method: 'DELETE',
    path: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const group = requireGroup(state, params.group_id as string);
      const role = requireProjectRole(state, project.id, params.role_id as string);
      requireActiveProject(state, project.id);
      const direct = findDirect(state, project.id, 'group', group.id, role.id);
      if (!direct) throw noAssignment(`Group '${group.id}' does not hold role '${role.id}' in project '${project.id}'.`);
      removeAssignments(state, (a) => a === direct, project);
      return { object: 'group.role.deleted', deleted: true };
    },
  },
];
