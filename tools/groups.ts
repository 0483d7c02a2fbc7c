import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, deleted, groupId, limit, listOf, objectOf, order, roleId, userId } from './common.js';

/** Organization groups, their members and the organization roles assigned to them. */

const group = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    created_at: z.number().optional(),
    is_scim_managed: z.boolean().optional(),
    group_type: z.string().optional(),
  })
  .passthrough();

const groupUser = z.object({ id: z.string(), name: z.string().optional(), email: z.string().nullable().optional() }).passthrough();

const role = objectOf('role', {
  name: z.string().optional(),
  resource_type: z.string().optional(),
  predefined_role: z.boolean().optional(),
});

const assignedRole = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    resource_type: z.string().optional(),
    permissions: z.array(z.string()).optional(),
    assignment_sources: z
      .array(z.object({ principal_id: z.string(), principal_type: z.string() }).passthrough())
      .nullable()
      .optional(),
  })
  .passthrough();

const unassigned = z.object({ object: z.string().optional(), deleted: z.boolean() }).passthrough();
const groupName = () => z.string().min(1).max(255).describe('Group name, 1-255 chars');

const tools: EndpointTool[] = [
  endpoint({
    name: 'groups_list',
    title: 'List groups',
    description: 'List the groups in the organization, including SCIM-managed ones.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups',
    input: { query: { limit: limit(0, 1000, 100), after: after(), order: order() } },
    output: listOf(group),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'groups_create',
    title: 'Create group',
    description: 'Create an empty organization group.',
    toolset: 'members',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/groups',
    input: { body: { name: groupName() } },
    output: group,
  }),
  endpoint({
    name: 'groups_retrieve',
    title: 'Get group',
    description: 'Get one organization group by ID.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups/{group_id}',
    input: { path: { group_id: groupId() } },
    output: group,
  }),
  endpoint({
    name: 'groups_update',
    title: 'Rename group',
    description: 'Rename a group. SCIM-managed groups are changed in the identity provider instead.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/groups/{group_id}',
    input: { path: { group_id: groupId() }, body: { name: groupName() } },
    output: group,
  }),
  endpoint({
    name: 'groups_delete',
    title: 'Delete group',
    description: 'Delete a group; its members lose every access granted through it.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/groups/{group_id}',
    input: { path: { group_id: groupId() } },
    output: deleted('group.deleted'),
    target: '/organization/groups/{group_id}',
  }),
  endpoint({
    name: 'groups_users_list',
    title: 'List group members',
    description: 'List the users in a group; newest first by default.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups/{group_id}/users',
    input: {
      path: { group_id: groupId() },
      query: {
        limit: limit(0, 1000, 100),
        after: after(),
        order: z.enum(['asc', 'desc']).optional().describe('Sort by time added; default desc'),
      },
    },
    output: listOf(groupUser),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'groups_users_create',
    title: 'Add user to group',
    description: 'Add an organization member to a group; they gain the access granted to it.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/groups/{group_id}/users',
    input: { path: { group_id: groupId() }, body: { user_id: userId() } },
    output: z.object({ object: z.string().optional(), user_id: z.string(), group_id: z.string() }).passthrough(),
  }),
  endpoint({
    name: 'groups_users_retrieve',
    title: 'Get group member',
    description: 'Get one member of a group; 404 when the user is not in it.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups/{group_id}/users/{user_id}',
    input: { path: { group_id: groupId(), user_id: userId() } },
    output: groupUser,
  }),
  endpoint({
    name: 'groups_users_delete',
    title: 'Remove user from group',
    description: 'Remove a user from a group; they lose access granted through it.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/groups/{group_id}/users/{user_id}',
    input: { path: { group_id: groupId(), user_id: userId() } },
    output: unassigned,
    target: '/organization/groups/{group_id}/users/{user_id}',
  }),
  endpoint({
    name: 'groups_roles_list',
    title: 'List group org roles',
    description: 'List the organization roles assigned to a group.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups/{group_id}/roles',
    input: {
      path: { group_id: groupId() },
      query: {
        limit: z.number().int().min(0).max(1000).optional().describe('Page size 0-1000'),
        after: after(),
        order: order(),
      },
    },
    output: listOf(assignedRole),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'groups_roles_create',
    title: 'Assign org role to group',
    description: 'Assign an organization role to a group and so to its members; project roles are refused.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/groups/{group_id}/roles',
    input: { path: { group_id: groupId() }, body: { role_id: roleId() } },
    output: z.object({ object: z.string().optional(), group: objectOf('group'), role }).passthrough(),
  }),
  endpoint({
    name: 'groups_roles_retrieve',
    title: 'Get group org role',
    description: 'Get one organization role assigned to a group.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/groups/{group_id}/roles/{role_id}',
    input: { path: { group_id: groupId(), role_id: roleId() } },
    output: assignedRole,
  }),
  endpoint({
    name: 'groups_roles_delete',
    title: 'Unassign org role from group',
    description: "Remove an organization role from a group; its members lose that role's access.",
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/groups/{group_id}/roles/{role_id}',
    input: { path: { group_id: groupId(), role_id: roleId() } },
    output: unassigned,
    target: '/organization/groups/{group_id}/roles/{role_id}',
  }),
];

export default tools;
