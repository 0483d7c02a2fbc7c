import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, deleted, groupId, limit, listOf, objectOf, order, projectId, roleId, userId } from './common.js';
import { assignmentLimit, assignmentSources, roleCreateBody, roleOutput, roleUpdateBody } from './roles.js';

/** A role as held by a principal (AssignedRoleDetails), with where it comes from. */
const assignedRole = z
  .object({
    id: z.string(),
    name: z.string(),
    permissions: z.array(z.string()).optional(),
    predefined_role: z.boolean().optional(),
    assignment_sources: assignmentSources(),
  })
  .passthrough();

const unassigned = z.object({ object: z.string(), deleted: z.boolean() }).passthrough();

const roleBody = { role_id: roleId().describe('Project role ID to assign') };

const tools: EndpointTool[] = [
  // projects.roles
  endpoint({
    name: 'projects_roles_list',
    title: 'List project roles',
    description: "Lists the roles usable in a project: predefined ones and the project's custom roles.",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/roles',
    input: { path: { project_id: projectId() }, query: { limit: limit(0, 1000, 1000), after: after(), order: order() } },
    output: listOf(roleOutput),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'projects_roles_create',
    title: 'Create project role',
    description: 'Creates a custom role in one project. Archived projects cannot be changed.',
    toolset: 'members',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/projects/{project_id}/roles',
    input: { path: { project_id: projectId() }, body: roleCreateBody },
    output: roleOutput,
  }),
  endpoint({
    name: 'projects_roles_retrieve',
    title: 'Get project role',
    description: 'Gets one role usable in the project with its permissions.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), role_id: roleId() } },
    output: roleOutput,
  }),
  endpoint({
    name: 'projects_roles_update',
    title: 'Update project role',
    description: 'Renames or re-permissions a custom project role; affects every holder. Predefined roles cannot change.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/projects/{project_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), role_id: roleId() }, body: roleUpdateBody },
    output: roleOutput,
  }),
  endpoint({
    name: 'projects_roles_delete',
    title: 'Delete project role',
    description: 'Deletes a custom project role and all its assignments. Predefined roles cannot be deleted.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), role_id: roleId() } },
    output: deleted('role.deleted'),
    target: '/projects/{project_id}/roles/{role_id}',
  }),

  // projects.users.roles
  endpoint({
    name: 'projects_users_roles_list',
    title: 'List user project roles',
    description: "Lists a user's roles in a project, direct or via groups (see assignment_sources).",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/users/{user_id}/roles',
    input: {
      path: { project_id: projectId(), user_id: userId() },
      query: { limit: assignmentLimit(), after: after(), order: order() },
    },
    output: listOf(assignedRole),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'projects_users_roles_create',
    title: 'Assign project role to user',
    description: 'Gives a project member a project role. The user must already be a member of the project.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/projects/{project_id}/users/{user_id}/roles',
    input: { path: { project_id: projectId(), user_id: userId() }, body: roleBody },
    output: objectOf('user.role', { user: objectOf('organization.user'), role: roleOutput }),
  }),
  endpoint({
    name: 'projects_users_roles_retrieve',
    title: 'Get user project role',
    description: 'Gets one project role a user holds, with its assignment sources.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), user_id: userId(), role_id: roleId() } },
    output: assignedRole,
  }),
  endpoint({
    name: 'projects_users_roles_delete',
    title: 'Unassign project role from user',
    description: "Removes a user's direct project role assignment; roles held via groups remain.",
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), user_id: userId(), role_id: roleId() } },
    output: unassigned,
    target: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
  }),

  // projects.groups.roles
  endpoint({
    name: 'projects_groups_roles_list',
    title: 'List group project roles',
    description: 'Lists the project roles assigned to a group in a project.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/groups/{group_id}/roles',
    input: {
      path: { project_id: projectId(), group_id: groupId() },
      query: { limit: assignmentLimit(), after: after(), order: order() },
    },
    output: listOf(assignedRole),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'projects_groups_roles_create',
    title: 'Assign project role to group',
    description: 'Gives a group a project role. The group must already be added to the project.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/projects/{project_id}/groups/{group_id}/roles',
    input: { path: { project_id: projectId(), group_id: groupId() }, body: roleBody },
    output: objectOf('group.role', { group: objectOf('group'), role: roleOutput }),
  }),
  endpoint({
    name: 'projects_groups_roles_retrieve',
    title: 'Get group project role',
    description: 'Gets one project role assigned to a group.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), group_id: groupId(), role_id: roleId() } },
    output: assignedRole,
  }),
  endpoint({
    name: 'projects_groups_roles_delete',
    title: 'Unassign project role from group',
    description: "Removes a project role from a group; its members lose what it granted.",
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), group_id: groupId(), role_id: roleId() } },
    output: unassigned,
    target: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
  }),
];

export default tools;
