import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, deleted, groupId, listOf, objectOf, order, projectId, roleId, userId, pageSize } from './common.js';
import { assignedRoleFields, assignmentLimit, assignmentSources, roleCreateBody, roleOutput, roleUpdateBody } from './roles.js';

/** A role as held by a principal (AssignedRoleDetails), with where it comes from. */
const assignedRole = z
  .object({
    id: z.string(),
    name: z.string(),
    ...assignedRoleFields(),
    assignment_sources: assignmentSources(),
  })
  .passthrough();

const unassigned = z.object({ object: z.string(), deleted: z.boolean() }).passthrough();

const roleBody = { role_id: roleId() };

const tools: EndpointTool[] = [
  // projects.roles
  endpoint({
    name: 'projects_roles_list',
    title: 'List project roles',
    description: 'List roles usable in a project, predefined and custom.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/projects/{project_id}/roles',
    input: { path: { project_id: projectId() }, query: { limit: pageSize(0, 1000), after: after(), order: order() } },
    output: listOf(roleOutput),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'projects_roles_create',
    title: 'Create project role',
    description: 'Create a custom role in a project.',
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
    description: 'Get a project role and its permissions.',
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
    description: 'Rename or re-permission a custom project role.',
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
    description: 'Delete a custom project role and its assignments.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), role_id: roleId() } },
    output: deleted('role.deleted'),
    target: '/projects/{project_id}/roles/{role_id}',
    preview: {
      refuseWhen: [archivedProject],
      affects: [
        { label: 'users_holding_it', effect: 'lose it (the API removes every assignment)', each: { get: '/organization/projects/{project_id}/users', as: 'user' }, get: '/projects/{project_id}/users/{user.id}/roles', style: 'cursor_next', where: { field: 'id', equals: '{role_id}' }, show: [] },
        { label: 'groups_holding_it', effect: 'lose it (the API removes every assignment)', each: { get: '/organization/projects/{project_id}/groups', style: 'cursor_next', as: 'group', id: 'group_id', name: 'group_name' }, get: '/projects/{project_id}/groups/{group.group_id}/roles', style: 'cursor_next', where: { field: 'id', equals: '{role_id}' }, show: [] },
      ],
    },
  }),

  // projects.users.roles
  endpoint({
    name: 'projects_users_roles_list',
    title: 'List user project roles',
    description: "List a user's project roles, direct or via groups.",
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
    description: 'Give a project member a project role.',
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
    description: 'Get a project role a user holds.',
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
    description: 'Unassign a project role given directly to a user.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), user_id: userId(), role_id: roleId() } },
    output: unassigned,
    target: '/projects/{project_id}/users/{user_id}/roles/{role_id}',
    preview: { refuseWhen: [archivedProject], alone: 'Only this assignment: the user stays a project member with their other roles.' },
  }),

  // projects.groups.roles
  endpoint({
    name: 'projects_groups_roles_list',
    title: 'List group project roles',
    description: "List a group's roles in a project.",
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
    description: 'Give a group in a project a project role.',
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
    description: 'Get a project role of a group.',
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
    description: 'Unassign a project role from a group.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    input: { path: { project_id: projectId(), group_id: groupId(), role_id: roleId() } },
    output: unassigned,
    target: '/projects/{project_id}/groups/{group_id}/roles/{role_id}',
    preview: {
      refuseWhen: [archivedProject],
      affects: [{ label: 'members', effect: 'lose this project role unless they hold it otherwise', get: '/organization/groups/{group_id}/users', style: 'cursor_next', show: ['name', 'email'] }],
    },
  }),
];

export default tools;
