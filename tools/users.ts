import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deletedFlag, everyGroup, everyProject, keyFields, listOf, objectOf, order, pageSize, projectKeys, roleId, userId } from './common.js';
import { assignmentLimit, orgAssignedRole, roleSummary } from './roles.js';

/** Organization users and the organization roles assigned to them. */

const user = objectOf('organization.user', {
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  role: z.string().nullable().optional(),
  added_at: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'users_list',
    title: 'List users',
    description: 'List org members and their org roles.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/users',
    input: {
      query: {
        limit: pageSize(1, 100),
        after: after(),
        emails: z.array(z.string()).optional(),
      },
    },
    output: listOf(user),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'users_retrieve',
    title: 'Get user',
    description: 'Get an org member.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/users/{user_id}',
    input: { path: { user_id: userId() } },
    output: user,
  }),
  endpoint({
    name: 'users_update',
    title: 'Update user',
    description: "Change a member's org role.",
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/users/{user_id}',
    input: {
      path: { user_id: userId() },
      body: {
        role: z.enum(['owner', 'reader']).nullable().optional(),
        role_id: z.string().nullable().optional(),
        technical_level: z.string().nullable().optional(),
        developer_persona: z.string().nullable().optional(),
      },
    },
    output: user,
  }),
  endpoint({
    name: 'users_delete',
    title: 'Remove user',
    description: 'Remove a user from the org, its projects and groups.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/users/{user_id}',
    input: { path: { user_id: userId() } },
    output: objectOf('organization.user.deleted', { deleted: z.boolean() }),
    target: '/organization/users/{user_id}',
    preview: {
      affects: [
        { label: 'project_memberships', effect: 'removed', each: everyProject, get: '/organization/projects/{project.id}/users/{user_id}', one: true, show: ['role'] },
        { label: 'group_memberships', effect: 'removed', each: everyGroup, get: '/organization/groups/{group.id}/users/{user_id}', one: true, show: [] },
        { label: 'organization_roles', effect: 'unassigned', get: '/organization/users/{user_id}/roles', style: 'cursor_next', show: ['name', 'id'] },
        { label: 'project_keys', effect: 'deleted with the user: apps using them stop working', each: everyProject, ...projectKeys('{project.id}'), where: { field: 'owner.user.id', equals: '{user_id}' }, show: keyFields },
        { label: 'admin_keys', effect: 'not changed: admin keys belong to the organization and keep working; revoke them separately', kept: true, get: '/organization/admin_api_keys', where: { field: 'owner.id', equals: '{user_id}' }, show: keyFields },
      ],
      lastOwner: { user: '{user_id}' },
    },
  }),
  endpoint({
    name: 'users_roles_list',
    title: 'List user org roles',
    description: "List a user's org roles, direct or via groups.",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/users/{user_id}/roles',
    input: {
      path: { user_id: userId() },
      query: { limit: assignmentLimit(), after: after(), order: order() },
    },
    output: listOf(orgAssignedRole),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'users_roles_create',
    title: 'Assign org role to user',
    description: 'Assign an org role to a user.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/users/{user_id}/roles',
    input: {
      path: { user_id: userId() },
      body: { role_id: roleId() },
    },
    output: z.object({ object: z.string().optional(), user, role: roleSummary }).passthrough(),
  }),
  endpoint({
    name: 'users_roles_retrieve',
    title: 'Get user org role',
    description: 'Get an org role a user holds.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/users/{user_id}/roles/{role_id}',
    input: { path: { user_id: userId(), role_id: roleId() } },
    output: orgAssignedRole,
  }),
  endpoint({
    name: 'users_roles_delete',
    title: 'Unassign org role from user',
    description: 'Unassign an org role given directly to a user.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/users/{user_id}/roles/{role_id}',
    input: { path: { user_id: userId(), role_id: roleId() } },
    output: deletedFlag(),
    target: '/organization/users/{user_id}/roles/{role_id}',
    preview: { alone: "Only this assignment: the user keeps other roles and memberships, and this role's permissions if a group gives it too." },
  }),
];

export default tools;
