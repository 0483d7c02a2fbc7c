import type { GroupRecord, RoleAssignmentRecord, RoleRecord, SandboxState, UserRecord } from './state.js';

/** API object shapes for records that more than one family returns. */

export function userObject(user: UserRecord) {
  return {
    object: 'organization.user' as const,
    id: user.id,
    name: user.name,
    email: user.email,
    role: user.role,
    added_at: user.added_at,
  };
}

export function roleObject(role: RoleRecord) {
  return {
    object: 'role' as const,
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: [...role.permissions],
    resource_type: role.resource_type,
    predefined_role: role.predefined_role,
  };
}

/** A role as seen through an assignment (AssignedRoleDetails), with the principals it came from. */
export function assignedRoleObject(state: SandboxState, role: RoleRecord, assignments: readonly RoleAssignmentRecord[]) {
  return {
    id: role.id,
    name: role.name,
    permissions: [...role.permissions],
    resource_type: role.resource_type,
    predefined_role: role.predefined_role,
    description: role.description,
    created_at: role.created_at,
    updated_at: role.updated_at,
    created_by: role.predefined_role ? null : firstOwnerId(state),
    created_by_user_obj: null,
    metadata: null,
    assignment_sources: assignments.map((a) => ({ principal_id: a.principal_id, principal_type: a.principal_type })),
  };
}

function firstOwnerId(state: SandboxState): string | null {
  for (const user of state.users.values()) if (user.role === 'owner') return user.id;
  return null;
}

/** The short Group object embedded in group role assignments (`group.role`), organization and project alike. */
export function groupSummaryObject(group: GroupRecord) {
  return {
    object: 'group' as const,
    id: group.id,
    name: group.name,
    created_at: group.created_at,
    scim_managed: group.is_scim_managed,
  };
}

/** A group's access to a project (ProjectGroup). */
export function projectGroupObject(projectId: string, group: GroupRecord, created_at: number) {
  return {
    object: 'project.group' as const,
    project_id: projectId,
    group_id: group.id,
    group_name: group.name,
    group_type: group.group_type,
    created_at,
  };
}
