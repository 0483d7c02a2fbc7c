import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, deletedFlag, listOf, objectOf, order, pageSize, roleId, userId } from './common.js';
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
  }),
];

export default tools;
